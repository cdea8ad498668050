/**
 * The organization a request acts on when its path does not name one: `@current` (PostHog's
 * convention), or the credential's working organization (Bindplane, Locktera).
 */
import type { Db } from '../db/database.js';
import { DomainError, invalid } from './errors.js';
import { activeProjectOf } from './projects/projects.queries.js';
import { listOrganizationsOfUser } from './organizations/organizations.queries.js';
import type { Principal } from './principal.js';

export const CURRENT_ORGANIZATION = '@current';

/** The id itself, or the credential's one organization for `@current`. Costs a query only for a personal key not limited to one organization. */
export async function resolveOrganizationId(db: Db, principal: Principal, reference: string): Promise<string> {
  if (reference !== CURRENT_ORGANIZATION) return reference;
  if (principal.kind === 'organization_key') return principal.organizationId;
  if (principal.kind === 'personal_key') {
    if (principal.organizationIds?.length === 1) return principal.organizationIds[0]!;
    const organizations = await listOrganizationsOfUser(db, principal.userId, principal.organizationIds, undefined, 2);
    if (organizations.length === 1) return organizations[0]!.id;
    throw ambiguous(organizations.length === 0 ? 'belongs to no organization' : 'belongs to several organizations');
  }
  throw ambiguous('is the root key, which belongs to no organization');
}

const ambiguous = (why: string) =>
  invalid('organization_id', `@current needs a credential with exactly one organization; this one ${why}: give the organization's id.`, 'ambiguous_organization');

export interface WorkingOrganization {
  organizationId: string;
  /** A personal key's user's active project (in that organization). */
  activeProjectId?: string;
}

/**
 * The organization a credential works in when the path names none (Bindplane's and Locktera's
 * "current organization"): an organization key's own; for a personal key, the organization of its
 * user's active project (the chosen one, else the oldest project of the oldest membership). The
 * root key has none. `hints` finish the messages with what the caller's surface offers instead.
 */
export async function workingOrganization(
  db: Db,
  principal: Principal,
  hints: { root: string; none: string },
): Promise<WorkingOrganization> {
  switch (principal.kind) {
    case 'organization_key':
      return { organizationId: principal.organizationId };
    case 'personal_key': {
      const project = await activeProjectOf(db, principal.userId);
      if (project === undefined) {
        throw new DomainError('not_found', 'no_current_organization', `The user belongs to no organization, so there is no current organization: ${hints.none}`, undefined, 'Organization');
      }
      return { organizationId: project.organization_id, activeProjectId: project.id };
    }
    case 'root':
      throw invalid(undefined, `The root key belongs to no organization, so this route has nothing to act on: ${hints.root}`, 'no_current_organization');
  }
}
