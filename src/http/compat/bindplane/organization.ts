/**
 * What Bindplane's organization-less paths act on. Bindplane keeps a current organization per
 * session; Orgbase derives it from the credential: an organization key's own organization, a
 * personal key's user's active project's organization. The root key has none.
 */
import { workingOrganization } from '../../../domain/current-organization.js';
import { invalid } from '../../../domain/errors.js';
import type { Organization } from '../../../domain/organizations/organizations.schemas.js';
import { MAX_PAGE_SIZE, type Page, type PageRequest } from '../../../domain/pagination.js';
import type { Principal } from '../../../domain/principal.js';
import type { Services } from '../../../services.js';

const rootHasNone = (hint: string) =>
  invalid(undefined, `The root key belongs to no organization, so this route has nothing to act on: ${hint}`, 'no_current_organization');

export const currentOrganization = (services: Services, principal: Principal) =>
  workingOrganization(services.db, principal, {
    root: 'use an organization key or a personal key, or the routes that take an organization id.',
    none: 'create one with POST /bindplane/v1/organizations.',
  });

/** Every item of a paged list (the Bindplane surface does not page). */
export async function allPages<T>(fetch: (page: PageRequest) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await fetch({ limit: MAX_PAGE_SIZE, cursor });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return items;
}

/** The organizations the caller belongs to: a user's (all pages), an organization key's own. */
export async function organizationsOf(services: Services, principal: Principal): Promise<Organization[]> {
  if (principal.kind === 'root') throw rootHasNone('list every organization with GET /v1/organizations.');
  return allPages((page) => services.organizations.list(principal, page));
}

/** A name field must have a non-blank character (checked before anything is written). */
export function nonBlank(field: string, value: string): string {
  const trimmed = value.trim();
  if (trimmed === '') throw invalid(field, `body field ${field} must not be blank`);
  return trimmed;
}
