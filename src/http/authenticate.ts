/**
 * The one way a surface authenticates a request: read its credential (each surface has its own
 * headers), turn it into a Principal, and remember the attempt on the request — success or
 * failure — so the access log can record it when the response is sent (see access-log wiring).
 */
import type { FastifyRequest } from 'fastify';
import type { Authenticator, Credential } from '../domain/auth/authenticator.js';
import { requestContext } from './principal.js';

export async function authenticateRequest(
  authenticator: Authenticator,
  request: FastifyRequest,
  readCredential: (request: FastifyRequest) => Credential,
): Promise<void> {
  const credential = readCredential(request);
  request.principal = await authenticator.authenticate(credential, requestContext(request));
}
