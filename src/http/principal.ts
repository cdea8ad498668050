/** The authenticated principal travels on the request from a surface's auth hook to its handlers. */
import type { FastifyRequest } from 'fastify';
import type { RequestContext } from '../domain/auth/authenticator.js';
import { unauthenticated } from '../domain/errors.js';
import type { Principal } from '../domain/principal.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === undefined) throw unauthenticated();
  return request.principal;
}

export function requestContext(request: FastifyRequest): RequestContext {
  const userAgent = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: userAgent === undefined ? null : userAgent.slice(0, 512) };
}
