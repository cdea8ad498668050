/**
 * What several Locktera routes share: the caller's current organization (for `GET /org`), an
 * organization in the Org shape (three reads of the core, made at once), and `page`/`limit`.
 */
import { DomainError, invalid } from '../../../domain/errors.js';
import { MAX_PAGE_SIZE } from '../../../domain/pagination.js';
import type { Principal } from '../../../domain/principal.js';
import type { Services } from '../../../services.js';
import { toOrg } from './mappers.js';
import { DEFAULT_LIMIT } from './schemas.js';

/**
 * Locktera's "current organization" is the API key's. In Orgbase: an organization key's own; a
 * personal key's user's active project's organization (as on the Bindplane surface). The root key
 * has none.
 */
export async function currentOrganizationId(services: Services, principal: Principal): Promise<string> {
  switch (principal.kind) {
    case 'organization_key':
      return principal.organizationId;
    case 'personal_key':
      try {
        return (await services.users.getActiveProject(principal, principal.userId)).organization_id;
      } catch (error) {
        if (!(error instanceof DomainError && error.kind === 'not_found')) throw error;
        throw new DomainError('not_found', 'no_current_organization', 'The key\u2019s user belongs to no organization, so there is no current organization.', undefined, 'Organization');
      }
    case 'root':
      throw invalid(undefined, 'The root key belongs to no organization: use GET /orgs/{org_id}.', 'no_current_organization');
  }
}

/**
 * The organization, the root of its tree and its customizations. The three reads run at once, so
 * the answer takes as long as the slowest (one access check and one query each).
 */
export async function loadOrg(services: Services, principal: Principal, id: string) {
  const [organization, ancestors, customizations] = await Promise.all([
    services.organizations.get(principal, id),
    services.hierarchy.ancestors(principal, id, { limit: MAX_PAGE_SIZE }),
    services.customizations.get(principal, id),
  ]);
  // Nearest first: the last ancestor is the root; an organization without one is its own root.
  const root = ancestors.items.at(-1)?.id ?? organization.id;
  return toOrg(organization, root, customizations);
}

/** `page` (from 1) and `limit` as an offset and a limit. */
export function sliceOf(query: { page?: number | undefined; limit?: number | undefined }) {
  const limit = query.limit ?? DEFAULT_LIMIT;
  return { limit, offset: ((query.page ?? 1) - 1) * limit };
}
