/**
 * Meters API calls: every request made with an organization's credentials counts once for it —
 * an organization key's own organization; for a user's personal key, the organization named in
 * the path when the request succeeded (a refused probe of someone else's id is not charged to
 * them). The operator's root-key calls are not the organization's and are not counted. A synchronous hook:
 * a Map increment, no promise, no database write (see ApiCallMeter).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiCallMeter } from '../domain/usage/api-call-meter.js';
import { pathOrganizationId } from './path-organization.js';

export function meteredOrganization(request: FastifyRequest, status: number): string | undefined {
  const principal = request.principal;
  if (principal === undefined || principal.kind === 'root') return undefined;
  if (principal.kind === 'organization_key') return principal.organizationId;
  if (status >= 400) return undefined;
  return pathOrganizationId(request) ?? undefined;
}

export function meterApiCalls(app: FastifyInstance, meter: ApiCallMeter): void {
  meter.start((error) => app.log.error({ err: error }, 'writing metered API calls failed; they are kept for the next flush'));
  app.addHook('onResponse', (request, reply, done) => {
    const organizationId = meteredOrganization(request, reply.statusCode);
    if (organizationId !== undefined) meter.count(organizationId);
    done();
  });
}
