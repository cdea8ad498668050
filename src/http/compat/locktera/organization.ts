/**
 * What several Locktera routes share: the caller's current organization (for `GET /org`), an
 * organization in the Org shape (one read of the core), and `page`/`limit`.
 */
import { workingOrganization } from '../../../domain/current-organization.js';
import { invalid } from '../../../domain/errors.js';
import { MAX_OFFSET } from '../../../domain/time-pages.js';
import type { Principal } from '../../../domain/principal.js';
import type { Services } from '../../../services.js';
import { toOrg } from './mappers.js';
import { DEFAULT_LIMIT } from './schemas.js';

/** Locktera's "current organization" is the API key's: the credential's working organization. */
export const currentOrganizationId = async (services: Services, principal: Principal): Promise<string> =>
  (await workingOrganization(services.db, principal, { root: 'use GET /orgs/{org_id}.', none: 'create or join one first.' })).organizationId;

/** The organization in Locktera's Org shape (with the root of its tree and its customizations). */
export async function loadOrg(services: Services, principal: Principal, id: string) {
  const { organization, rootId, customizations } = await services.organizations.getProfile(principal, id);
  return toOrg(organization, rootId, customizations);
}

/** `page` (from 1) and `limit` as an offset and a limit. */
export function sliceOf(query: { page?: number | undefined; limit?: number | undefined }) {
  const limit = query.limit ?? DEFAULT_LIMIT;
  const offset = ((query.page ?? 1) - 1) * limit;
  // Each page reads every row before it: deep pages narrow the window (start/end) instead.
  if (offset > MAX_OFFSET) throw invalid('page', `page × limit may reach at most ${MAX_OFFSET} rows in: narrow the list with start/end`);
  return { limit, offset };
}
