/**
 * The one way a surface authenticates a request: read its credential (each surface has its own
 * headers), turn it into a Principal, and remember the attempt on the request — success or
 * failure — so the access log can record it when the response is sent (see access-log.ts).
 *
 * A success is `request.principal` itself (nothing more is allocated on the hot path); a failure is
 * `request.authFailure`. A request with neither never attempted authentication (health, docs,
 * unknown routes) and is not logged.
 */
import type { FastifyRequest } from 'fastify';
import {
  AuthenticationError,
  UNKNOWN_CREDENTIAL,
  type AuthenticationFailureReason,
  type Authenticator,
  type Credential,
  type CredentialRef,
} from '../domain/auth/authenticator.js';
import { requestContext } from './principal.js';

export interface AuthFailure {
  credential: CredentialRef;
  reason: AuthenticationFailureReason;
}

declare module 'fastify' {
  interface FastifyRequest {
    authFailure: AuthFailure | undefined;
  }
}

const NO_CREDENTIAL: CredentialRef = Object.freeze({ kind: 'none', id: null, organizationId: null, userId: null });

/** The headers any surface reads a credential from: present but unreadable is "malformed". */
const CREDENTIAL_HEADERS = ['authorization', 'x-bindplane-api-key'];

export async function authenticateRequest(
  authenticator: Authenticator,
  request: FastifyRequest,
  readCredential: (request: FastifyRequest) => Credential,
): Promise<void> {
  let credential: Credential;
  try {
    credential = readCredential(request);
  } catch (error) {
    const sent = CREDENTIAL_HEADERS.some((name) => request.headers[name] !== undefined);
    request.authFailure = { credential: NO_CREDENTIAL, reason: sent ? 'malformed_credential' : 'missing_credential' };
    throw error;
  }
  try {
    request.principal = await authenticator.authenticate(credential, requestContext(request));
  } catch (error) {
    request.authFailure =
      error instanceof AuthenticationError
        ? { credential: error.credential, reason: error.reason }
        : { credential: UNKNOWN_CREDENTIAL, reason: 'error' }; // e.g. the key lookup failed: still a failed attempt
    throw error;
  }
}
