/**
 * Feeds the access log: one app-level `onResponse` hook hands each request's authentication attempt
 * (remembered by authenticateRequest) to the recorder once the response has been sent — so the
 * route pattern and status are known, and nothing is added before the response. Requests that
 * never attempted authentication (health, docs, unknown routes) record nothing.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccessLogRecorder, AuthenticationAttempt } from '../domain/access-log/access-log.recorder.js';
import type { Principal } from '../domain/principal.js';
import type { AuthFailure } from './authenticate.js';
import { pathOrganizationId } from './path-organization.js';

const MAX_USER_AGENT = 512;

export function recordAuthenticationAttempts(app: FastifyInstance, recorder: Pick<AccessLogRecorder, 'record' | 'attachLogger'>): void {
  app.decorateRequest('authFailure', undefined);
  recorder.attachLogger(app.log);
  app.addHook('onResponse', (request, reply, done) => {
    const principal = request.principal;
    if (principal !== undefined) recorder.record(successOf(principal, request, reply));
    else if (request.authFailure !== undefined) recorder.record(failureOf(request.authFailure, request, reply));
    done();
  });
}

function successOf(principal: Principal, request: FastifyRequest, reply: FastifyReply): AuthenticationAttempt {
  return {
    outcome: 'success',
    credentialKind: principal.kind,
    credentialId: principal.kind === 'root' ? null : principal.keyId,
    credentialOrganizationId: principal.kind === 'organization_key' ? principal.organizationId : null,
    actorType: principal.actor.type,
    actorId: principal.actor.id,
    reason: null,
    ...requestFacts(request, reply),
  };
}

function failureOf(failure: AuthFailure, request: FastifyRequest, reply: FastifyReply): AuthenticationAttempt {
  const { credential } = failure;
  const actor =
    credential.kind === 'organization_key' ? { actorType: 'api', actorId: credential.id }
    : credential.kind === 'personal_key' ? { actorType: 'user', actorId: credential.userId }
    : { actorType: null, actorId: null };
  return {
    outcome: 'failure',
    credentialKind: credential.kind,
    credentialId: credential.id,
    credentialOrganizationId: credential.organizationId,
    ...actor,
    reason: failure.reason,
    ...requestFacts(request, reply),
  };
}

function requestFacts(request: FastifyRequest, reply: FastifyReply) {
  const userAgent = request.headers['user-agent'];
  return {
    pathOrganizationId: pathOrganizationId(request),
    ip: request.ip ?? null,
    userAgent: userAgent === undefined ? null : userAgent.slice(0, MAX_USER_AGENT),
    method: request.method,
    route: request.routeOptions.url ?? '',
    status: reply.statusCode,
  };
}
