/**
 * What Bindplane's organization-less paths act on. Bindplane keeps a current organization per
 * session; Orgbase derives it from the credential: an organization key's own organization, a
 * personal key's user's active project's organization. The root key has none.
 */
import { DomainError, invalid } from '../../../domain/errors.js';
import type { Organization } from '../../../domain/organizations/organizations.schemas.js';
import { MAX_PAGE_SIZE, type Page, type PageRequest } from '../../../domain/pagination.js';
import type { Principal } from '../../../domain/principal.js';
import type { Services } from '../../../services.js';

export interface CurrentOrganization {
  organizationId: string;
  /** A personal key's user's active project (in that organization). */
  activeProjectId?: string;
}

const rootHasNone = (hint: string) =>
  invalid(undefined, `The root key belongs to no organization, so this route has nothing to act on: ${hint}`, 'no_current_organization');

export async function currentOrganization(services: Services, principal: Principal): Promise<CurrentOrganization> {
  switch (principal.kind) {
    case 'organization_key':
      return { organizationId: principal.organizationId };
    case 'personal_key': {
      try {
        const project = await services.users.getActiveProject(principal, principal.userId);
        return { organizationId: project.organization_id, activeProjectId: project.id };
      } catch (error) {
        if (!(error instanceof DomainError && error.kind === 'not_found')) throw error;
        throw new DomainError(
          'not_found',
          'no_current_organization',
          'The user belongs to no organization, so there is no current organization: create one with POST /bindplane/v1/organizations.',
          undefined,
          'Organization',
        );
      }
    }
    case 'root':
      throw rootHasNone('use an organization key or a personal key, or the routes that take an organization id.');
  }
}

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
