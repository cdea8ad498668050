/**
 * Turns a credential into a Principal. Surfaces parse their own headers into a `Credential`;
 * the checks (hash, constant-time compare, state, expiry, IP list) live here once.
 * A failure is an `AuthenticationError` that also says, for the access log, which credential
 * failed where that is known (its kind, the key's uuid `id`, organization and user — never the
 * secret nor the secret key id) and why. The client sees only the message: a wrong secret for a
 * known key id reads like an unknown key, so key ids cannot be probed.
 */
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import { findKeyForAuthentication, touchKey, type ApiKeyRow } from '../api-keys/api-keys.queries.js';
import { DomainError } from '../errors.js';
import type { Actor, KeyRole, Principal, Scope } from '../principal.js';
import { compileIpAccessList, ipAllowed } from './ip-access.js';
import type { CachedKey, KeyCache } from './key-cache.js';
import { hashesEqual, sha256Base64 } from './secrets.js';

export type Credential = { scheme: 'basic'; keyId: string; secret: string } | { scheme: 'bearer'; token: string };

export interface RequestContext {
  ip: string | null;
  userAgent: string | null;
}

/** What an access-log event says about the credential; `none`: the request carried no readable one. */
export type CredentialKind = 'root' | 'organization_key' | 'personal_key' | 'unknown' | 'none';

export interface CredentialRef {
  kind: CredentialKind;
  /** The key's uuid `id` (never its secret key id nor its secret); null for root, unknown and none. */
  id: string | null;
  /** An organization key's organization. */
  organizationId: string | null;
  /** A personal key's user. */
  userId: string | null;
}

/** Why authentication failed (stored in the access log's `reason`). */
export type AuthenticationFailureReason =
  | 'missing_credential'
  | 'malformed_credential'
  | 'unknown_key'
  | 'wrong_secret'
  | 'key_disabled'
  | 'key_expired'
  | 'ip_not_allowed'
  | 'error';

export class AuthenticationError extends DomainError {
  constructor(
    message: string,
    readonly reason: AuthenticationFailureReason,
    readonly credential: CredentialRef,
  ) {
    super('unauthenticated', 'unauthenticated', message);
  }
}

export const UNKNOWN_CREDENTIAL: CredentialRef = Object.freeze({ kind: 'unknown', id: null, organizationId: null, userId: null });

const refOf = (key: CachedKey): CredentialRef => ({
  kind: key.userId !== null ? 'personal_key' : 'organization_key',
  id: key.id,
  organizationId: key.organizationId,
  userId: key.userId,
});

const UNKNOWN_OR_WRONG = 'Authentication failed: unknown API key or wrong secret.';

/** "used at" is kept to the minute: at most one write per key per minute. */
const USED_AT_GRANULARITY_MS = 60_000;

export function createAuthenticator(deps: { db: Db; clock: Clock; keyCache: KeyCache; rootKeyHash: string }) {
  const { db, clock, keyCache, rootKeyHash } = deps;

  async function lookup(by: { keyIdHash: string } | { secretHash: string }): Promise<CachedKey | undefined> {
    const cacheKey = 'keyIdHash' in by ? `id:${by.keyIdHash}` : `secret:${by.secretHash}`;
    const cached = keyCache.get(cacheKey);
    if (cached) return cached;
    const row = await findKeyForAuthentication(db, by);
    if (!row) return undefined;
    const key = toCachedKey(row);
    keyCache.set(cacheKey, key);
    return key;
  }

  return {
    async authenticate(credential: Credential, context: RequestContext): Promise<Principal> {
      let key: CachedKey | undefined;
      if (credential.scheme === 'bearer') {
        const secretHash = sha256Base64(credential.token);
        if (hashesEqual(secretHash, rootKeyHash)) {
          return { kind: 'root', actor: { type: 'support', id: 'root', details: 'Orgbase operator (root key)', ...context } };
        }
        key = await lookup({ secretHash });
      } else {
        key = await lookup({ keyIdHash: sha256Base64(credential.keyId) });
        if (key && !hashesEqual(sha256Base64(credential.secret), key.secretHash)) {
          throw new AuthenticationError(UNKNOWN_OR_WRONG, 'wrong_secret', refOf(key));
        }
      }
      if (!key) throw new AuthenticationError(UNKNOWN_OR_WRONG, 'unknown_key', UNKNOWN_CREDENTIAL);
      const now = clock.now();
      if (key.state !== 'enabled') throw new AuthenticationError('This API key is disabled.', 'key_disabled', refOf(key));
      if (key.expireAt !== null && key.expireAt <= now) {
        throw new AuthenticationError('This API key has expired.', 'key_expired', refOf(key));
      }
      if (!ipAllowed(key.ipAccessList, context.ip)) {
        throw new AuthenticationError("Requests from this IP address are not allowed by the key's IP access list.", 'ip_not_allowed', refOf(key));
      }
      if (key.usedAt === null || now.getTime() - key.usedAt.getTime() >= USED_AT_GRANULARITY_MS) {
        key.usedAt = now; // shared with the cache entry: the next minute's requests skip the write
        await touchKey(db, key.id, now);
      }
      if (key.userId !== null) {
        const actor: Actor = { type: 'user', id: key.userId, details: `personal API key "${key.name}" (…${key.keySuffix})`, ...context };
        return { kind: 'personal_key', keyId: key.id, userId: key.userId, scopes: key.scopes, organizationIds: key.organizationIds, actor };
      }
      const actor: Actor = { type: 'api', id: key.id, details: `API key "${key.name}" (…${key.keySuffix})`, ...context };
      return { kind: 'organization_key', keyId: key.id, organizationId: key.organizationId!, roles: key.roles, actor };
    },
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;

function toCachedKey(row: ApiKeyRow): CachedKey {
  return {
    id: row.id,
    organizationId: row.organization_id,
    userId: row.user_id,
    scopes: row.scopes as Scope[],
    organizationIds: row.organization_ids,
    name: row.name,
    keySuffix: row.key_suffix,
    secretHash: row.secret_hash,
    roles: row.roles as KeyRole[],
    state: row.state,
    expireAt: row.expire_at,
    usedAt: row.used_at,
    ipAccessList: compileIpAccessList(row.ip_access_list),
  };
}
