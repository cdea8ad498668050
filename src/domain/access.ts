/**
 * Authorization rules, in one place. A resource outside the principal's reach is "not found"
 * (its existence is not revealed); a visible resource the principal may not change is "forbidden".
 */
import type { Db } from '../db/database.js';
import { forbidden, notFound } from './errors.js';
import { memberAccess } from './memberships/memberships.queries.js';
import { isLiveAncestor } from './organizations/hierarchy.queries.js';
import { organizationExists } from './organizations/organizations.queries.js';
import type { PersonalKeyPrincipal, Principal, Scope } from './principal.js';

export type Access = 'read' | 'admin';

/** PostHog membership levels. */
export const LEVEL = { member: 1, admin: 8, owner: 15 } as const;
/** The operator stands above every level. */
export const ROOT_LEVEL = 100;

/** What a personal key's scope must cover: organization settings, or its members and invitations. */
export type ScopeObject = 'organization' | 'organization_member';

/** What the principal holds in an organization: a level, and permissions from custom roles. */
export interface Grant {
  level: number;
  permissions: readonly string[];
}

/** Admins act as admins; so does a member whose roles grant `<object>:write`. */
export const actsAsAdmin = (grant: Grant, object: ScopeObject): boolean =>
  grant.level >= LEVEL.admin || grant.permissions.includes(`${object}:write`);

/**
 * Throws unless the principal may act on the organization at the given level; returns what the
 * principal holds there (root above all, an admin key as admin, a developer key as member).
 * - Organization keys: `developer` reads, `admin` reads and writes (also in the descendants of
 *   its organization); a key with neither role (only `query_endpoints`) has no use of the
 *   organization API.
 * - Personal keys: the user must be a member, or an admin of an ancestor, (else 404) of an organization the key is not
 *   limited away from (else 403, as PostHog); reads need the `<object>:read` scope, writes `<object>:write`
 *   and either level admin/owner or a role granting `<object>:write`. Costs one query (level
 *   and role permissions together); the other principals cost none.
 */
export async function requireOrganizationAccess(
  db: Db,
  principal: Principal,
  organizationId: string,
  access: Access,
  object: ScopeObject = 'organization',
): Promise<Grant> {
  switch (principal.kind) {
    case 'root':
      return { level: ROOT_LEVEL, permissions: [] };
    case 'organization_key': {
      const isAdmin = principal.roles.includes('admin');
      if (principal.organizationId !== organizationId) {
        // An admin key of an ancestor administers the descendants (one query, only then).
        if (isAdmin && (await isLiveAncestor(db, principal.organizationId, organizationId))) return { level: LEVEL.admin, permissions: [] };
        throw notFound('Organization', organizationId);
      }
      if (access === 'admin' && !isAdmin) {
        throw forbidden('This action requires an API key with the admin role.', 'admin_role_required');
      }
      if (!isAdmin && !principal.roles.includes('developer')) {
        throw forbidden('This API key has no organization role (admin or developer).', 'organization_role_required');
      }
      return { level: isAdmin ? LEVEL.admin : LEVEL.member, permissions: [] };
    }
    case 'personal_key': {
      const grant = await memberAccess(db, organizationId, principal.userId);
      if (grant === undefined) throw notFound('Organization', organizationId);
      // The user belongs here, so naming the organization reveals nothing: PostHog's 403 tells
      // the caller that the key, not the user, lacks access.
      if (principal.organizationIds !== null && !principal.organizationIds.includes(organizationId)) {
        throw forbidden(`API key does not have access to the requested organization: ID ${organizationId}.`, 'organization_not_allowed');
      }
      requireScope(principal, `${object}:${access === 'admin' ? 'write' : 'read'}`);
      if (access === 'admin' && !actsAsAdmin(grant, object)) {
        throw forbidden('Your organization access level is insufficient.', 'admin_level_required');
      }
      return grant;
    }
  }
}

/**
 * Access to an organization that must exist. Keys are tied to organizations that exist (and a
 * personal key reaches only live ones); root is not, so for root the organization is looked up
 * too — live, or also deleted where its trail outlives it (`includeDeleted`).
 */
export async function requireExistingOrganizationAccess(
  db: Db,
  principal: Principal,
  organizationId: string,
  access: Access,
  options: { object?: ScopeObject; includeDeleted?: boolean } = {},
): Promise<Grant> {
  const grant = await requireOrganizationAccess(db, principal, organizationId, access, options.object);
  if (principal.kind === 'root' && !(await organizationExists(db, organizationId, { includeDeleted: options.includeDeleted ?? false }))) {
    throw notFound('Organization', organizationId);
  }
  return grant;
}

/** Read access for a list: an empty list would say that the organization exists. */
export async function requireReadableOrganization(
  db: Db,
  principal: Principal,
  organizationId: string,
  object: ScopeObject = 'organization',
): Promise<void> {
  await requireExistingOrganizationAccess(db, principal, organizationId, 'read', { object });
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

/** Top-level organizations belong to no one yet: the operator or a user (who will own it) makes them, not an organization's key. */
export function requireTopLevelCreator(principal: Principal): void {
  if (principal.kind !== 'personal_key') return requireRoot(principal);
  requireScope(principal, 'organization:write');
  if (principal.organizationIds !== null) {
    throw forbidden('This API key is limited to some organizations, so it could not act in a new one: use a key of the user that is not limited.', 'organization_not_allowed');
  }
}

/** Root, or the user's own personal key; anyone else is told the user does not exist. */
export function requireSelfOrRoot(principal: Principal, userId: string): void {
  if (principal.kind === 'root') return;
  if (principal.kind === 'personal_key' && principal.userId === userId) return;
  throw notFound('User', userId);
}
