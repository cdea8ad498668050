/** Which organization a request's path names, on any surface: for the access log and the API-call meter. */
import type { FastifyRequest } from 'fastify';

/** Route parameters that name an organization, across surfaces (native, PostHog, Locktera, Bindplane's `/organizations/:id`). */
const ORGANIZATION_PARAMS = ['organizationId', 'organization_id', 'org_id'] as const;
const BINDPLANE_ORGANIZATION_ROUTE = /^\/bindplane\/v1\/organizations\/:id(\/|$)/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The organization id in the path, if the route has one and it is a uuid (not `@current`), lowercased. */
export function pathOrganizationId(request: FastifyRequest): string | null {
  const params = request.params as Record<string, unknown> | undefined;
  if (params === undefined || params === null) return null;
  for (const name of ORGANIZATION_PARAMS) {
    const value = params[name];
    if (typeof value === 'string' && UUID.test(value)) return value.toLowerCase();
  }
  // `id` names other things on other routes: only Bindplane's organization routes are read by it.
  const id = (params as { id?: unknown }).id;
  if (typeof id === 'string' && UUID.test(id) && BINDPLANE_ORGANIZATION_ROUTE.test(request.routeOptions.url ?? '')) return id.toLowerCase();
  return null;
}
