/**
 * Describes a request's authentication attempt (remembered by authenticateRequest) for the access
 * log, once the response has been sent — so the route pattern and status are known, and nothing
 * is added before the response (request-accounting.ts calls these). Requests that never attempted
 * authentication (health, docs, unknown routes) record nothing.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccessLogRecorder, AuthenticationAttempt } from '../domain/access-log/access-log.recorder.js';
import type { Principal } from '../domain/principal.js';
import type { AuthFailure } from './authenticate.js';
import { pathOrganizationId } from './path-organization.js';

const MAX_USER_AGENT = 512;

/**
 * A success, unless one of its (credential, IP, organization) was kept this minute already — most
 * successes repeat one, so the recorder is asked before the attempt is described.
 * `organizationId`: the organization the request belongs to (see request-accounting.ts).
 */
export function recordSuccess(recorder: AttemptRecorder, principal: Principal, request: FastifyRequest, reply: FastifyReply, organizationId: string | null): void {
  if (recorder.isRepeatSuccess(principal.kind === 'root' ? 'root' : principal.keyId, request.ip ?? null, organizationId)) return;
  recorder.record(successOf(principal, request, reply, organizationId));
}

/** Every failure is kept. */
export function recordFailure(recorder: AttemptRecorder, failure: AuthFailure, request: FastifyRequest, reply: FastifyReply): void {
  recorder.record(failureOf(failure, request, reply));
}

export type AttemptRecorder = Pick<AccessLogRecorder, 'record' | 'isRepeatSuccess'>;

function successOf(principal: Principal, request: FastifyRequest, reply: FastifyReply, organizationId: string | null): AuthenticationAttempt {
  return {
    outcome: 'success',
    credentialKind: principal.kind,
    credentialId: principal.kind === 'root' ? null : principal.keyId,
    credentialOrganizationId: principal.kind === 'organization_key' ? principal.organizationId : null,
    actorType: principal.actor.type,
    actorId: principal.actor.id,
    reason: null,
    ...requestFacts(request, reply, organizationId),
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
    ...requestFacts(request, reply, pathOrganizationId(request)),
  };
}

function requestFacts(request: FastifyRequest, reply: FastifyReply, organizationId: string | null) {
  const userAgent = request.headers['user-agent'];
  return {
    pathOrganizationId: organizationId,
    ip: request.ip ?? null,
    userAgent: userAgent === undefined ? null : userAgent.slice(0, MAX_USER_AGENT),
    method: request.method,
    route: request.routeOptions.url ?? '',
    status: reply.statusCode,
  };
}
