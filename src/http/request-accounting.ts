/**
 * What every finished request leaves behind, in ONE synchronous `onResponse` hook (after the
 * response is sent; no promise, no database write): its authentication attempt for the access log
 * (access-log.ts) and its API call for the meter (ApiCallMeter). The organization a request
 * belongs to is worked out once for both:
 * - an organization key's requests belong to its organization, whatever the status;
 * - other credentials' to the organization named in the path, when the request succeeded — a
 *   refused probe of someone else's id is neither charged to them nor filed in their log.
 * API calls are the organization's own: the operator's root-key calls are logged, not metered.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccessLogRecorder } from '../domain/access-log/access-log.recorder.js';
import type { Principal } from '../domain/principal.js';
import type { ApiCallMeter } from '../domain/usage/api-call-meter.js';
import { recordFailure, recordSuccess } from './access-log.js';
import { pathOrganizationId } from './path-organization.js';

export function organizationOfRequest(principal: Principal, request: FastifyRequest, status: number): string | null {
  if (principal.kind === 'organization_key') return principal.organizationId;
  return status < 400 ? pathOrganizationId(request) : null;
}

export function accountForRequests(
  app: FastifyInstance,
  deps: { accessLog: Pick<AccessLogRecorder, 'record' | 'isRepeatSuccess' | 'attachLogger'>; meter: ApiCallMeter | undefined },
): void {
  const { accessLog, meter } = deps;
  app.decorateRequest('authFailure', undefined);
  accessLog.attachLogger(app.log);
  meter?.start((error) => app.log.error({ err: error }, 'writing metered API calls failed; they are kept for the next flush'));
  app.addHook('onResponse', (request, reply, done) => {
    const principal = request.principal;
    if (principal !== undefined) {
      const organizationId = organizationOfRequest(principal, request, reply.statusCode);
      if (meter !== undefined && organizationId !== null && principal.kind !== 'root') meter.count(organizationId);
      recordSuccess(accessLog, principal, request, reply, organizationId);
    } else if (request.authFailure !== undefined) {
      recordFailure(accessLog, request.authFailure, request, reply);
    }
    done();
  });
}
