import type { PrivateEndpointRow } from '../../db/schema.js';
import { invalid } from '../errors.js';
import { MAX_PRIVATE_ENDPOINTS, REGION_PROVIDERS, type PatchOrganizationInput } from './organizations.schemas.js';

type EndpointsPatch = NonNullable<PatchOrganizationInput['privateEndpoints']>;

/**
 * Applies a ClickHouse `privateEndpoints` patch: `remove` (matched by id; absent ids are ignored,
 * so retries are harmless) runs before `add`. Adding an id that is still present is an error,
 * never a silent overwrite.
 */
export function applyPrivateEndpointsPatch(current: PrivateEndpointRow[], patch: EndpointsPatch): PrivateEndpointRow[] {
  const removed = new Set((patch.remove ?? []).map((entry) => entry.id));
  const next = current.filter((endpoint) => !removed.has(endpoint.id));
  const present = new Set(next.map((endpoint) => endpoint.id));
  (patch.add ?? []).forEach((entry, index) => {
    if (present.has(entry.id)) {
      throw invalid(
        `privateEndpoints.add[${index}].id`,
        `privateEndpoints.add[${index}].id: private endpoint "${entry.id}" already exists (remove it in the same request to replace it)`,
        'duplicate_private_endpoint',
      );
    }
    if (REGION_PROVIDERS[entry.region] !== entry.cloudProvider) {
      throw invalid(
        `privateEndpoints.add[${index}].region`,
        `privateEndpoints.add[${index}].region: ${entry.region} is not a ${entry.cloudProvider} region`,
        'region_provider_mismatch',
      );
    }
    present.add(entry.id);
    next.push({ id: entry.id, description: entry.description ?? '', cloudProvider: entry.cloudProvider, region: entry.region });
  });
  if (next.length > MAX_PRIVATE_ENDPOINTS) {
    throw invalid('privateEndpoints.add', `an organization has at most ${MAX_PRIVATE_ENDPOINTS} private endpoints`, 'limit_exceeded');
  }
  return next;
}
