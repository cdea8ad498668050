/**
 * `@current` in place of an organization id (PostHog's convention): the organization the
 * credential stands for, when it stands for exactly one.
 */
import type { Db } from '../db/database.js';
import { invalid } from './errors.js';
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
