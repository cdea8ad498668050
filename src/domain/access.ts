/**
 * Authorization rules, in one place. A resource outside the principal's reach is "not found"
 * (its existence is not revealed); a visible resource the principal may not change is "forbidden".
 */
import { forbidden, notFound } from './errors.js';
import type { Principal } from './principal.js';

export type Access = 'read' | 'admin';

/**
 * Throws unless the principal may act on the organization at the given level.
 * Keys: `developer` reads, `admin` reads and writes; a key with neither role (only
 * `query_endpoints`) has no use of the organization API.
 */
export function requireOrganizationAccess(principal: Principal, organizationId: string, access: Access): void {
  if (principal.kind === 'root') return;
  if (principal.organizationId !== organizationId) throw notFound('Organization', organizationId);
  const isAdmin = principal.roles.includes('admin');
  if (access === 'admin' && !isAdmin) {
    throw forbidden('This action requires an API key with the admin role.', 'admin_role_required');
  }
  if (!isAdmin && !principal.roles.includes('developer')) {
    throw forbidden('This API key has no organization role (admin or developer).', 'organization_role_required');
  }
}

export function requireRoot(principal: Principal): void {
  if (principal.kind !== 'root') {
    throw forbidden('Only the operator (root key) may do this.', 'root_required');
  }
}
