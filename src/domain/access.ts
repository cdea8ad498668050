/**
 * Authorization rules, in one place. A resource outside the principal's reach is "not found"
 * (its existence is not revealed); a visible resource the principal may not change is "forbidden".
 */
import type { Db } from '../db/database.js';
import { forbidden, notFound } from './errors.js';
import { membershipLevel } from './memberships/memberships.queries.js';
import type { PersonalKeyPrincipal, Principal, Scope } from './principal.js';

export type Access = 'read' | 'admin';

/** PostHog membership levels. */
export const LEVEL = { member: 1, admin: 8, owner: 15 } as const;
/** The operator stands above every level. */
export const ROOT_LEVEL = 100;

/** What a personal key's scope must cover: organization settings, or its members and invitations. */
export type ScopeObject = 'organization' | 'organization_member';

/**
 * Throws unless the principal may act on the organization at the given level; returns the
 * principal's level there (root above all, an admin key as admin, a developer key as member).
 * - Organization keys: `developer` reads, `admin` reads and writes; a key with neither role
 *   (only `query_endpoints`) has no use of the organization API.
 * - Personal keys: the user must be a member (else 404) of an organization the key is not
 *   limited away from (else 404); reads need `organization:read`, writes `organization:write`
 *   and membership level admin or owner. Costs one query; the other principals cost none.
 */
export async function requireOrganizationAccess(
  db: Db,
  principal: Principal,
  organizationId: string,
  access: Access,
  object: ScopeObject = 'organization',
): Promise<number> {
  switch (principal.kind) {
    case 'root':
      return ROOT_LEVEL;
    case 'organization_key': {
      if (principal.organizationId !== organizationId) throw notFound('Organization', organizationId);
      const isAdmin = principal.roles.includes('admin');
      if (access === 'admin' && !isAdmin) {
        throw forbidden('This action requires an API key with the admin role.', 'admin_role_required');
      }
      if (!isAdmin && !principal.roles.includes('developer')) {
        throw forbidden('This API key has no organization role (admin or developer).', 'organization_role_required');
      }
      return isAdmin ? LEVEL.admin : LEVEL.member;
    }
    case 'personal_key': {
      if (principal.organizationIds !== null && !principal.organizationIds.includes(organizationId)) {
        throw notFound('Organization', organizationId);
      }
      const level = await membershipLevel(db, organizationId, principal.userId);
      if (level === undefined) throw notFound('Organization', organizationId);
      requireScope(principal, `${object}:${access === 'admin' ? 'write' : 'read'}`);
      if (access === 'admin' && level < LEVEL.admin) {
        throw forbidden('Your organization access level is insufficient.', 'admin_level_required');
      }
      return level;
    }
  }
}

/** `*` grants everything; `x:write` grants `x:read`. */
export function hasScope(scopes: readonly Scope[], needed: Scope): boolean {
  if (scopes.includes('*') || scopes.includes(needed)) return true;
  return needed.endsWith(':read') && scopes.includes(needed.replace(/:read$/, ':write') as Scope);
}

export function requireScope(principal: PersonalKeyPrincipal, needed: Scope): void {
  if (!hasScope(principal.scopes, needed)) {
    throw forbidden(`API key missing required scope '${needed}'`, 'missing_scope');
  }
}

/** For changes a member may make without being an admin (leaving): a personal key needs the write scope. */
export function requireWriteScope(principal: Principal, object: ScopeObject): void {
  if (principal.kind === 'personal_key') requireScope(principal, `${object}:write`);
}

export function requireRoot(principal: Principal): void {
  if (principal.kind !== 'root') {
    throw forbidden('Only the operator (root key) may do this.', 'root_required');
  }
}

/** Root, or the user's own personal key; anyone else is told the user does not exist. */
export function requireSelfOrRoot(principal: Principal, userId: string): void {
  if (principal.kind === 'root') return;
  if (principal.kind === 'personal_key' && principal.userId === userId) return;
  throw notFound('User', userId);
}
