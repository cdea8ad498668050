/**
 * Turns a credential into a Principal. Surfaces parse their own headers into a `Credential`;
 * the checks (hash, constant-time compare, state, expiry, IP list) live here once.
 */
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import { findKeyForAuthentication, touchKey, type ApiKeyRow } from '../api-keys/api-keys.queries.js';
import { unauthenticated } from '../errors.js';
import type { Actor, KeyRole, Principal, Scope } from '../principal.js';
import { compileIpAccessList, ipAllowed } from './ip-access.js';
import type { CachedKey, KeyCache } from './key-cache.js';
import { hashesEqual, sha256Base64 } from './secrets.js';

export type Credential = { scheme: 'basic'; keyId: string; secret: string } | { scheme: 'bearer'; token: string };

export interface RequestContext {
  ip: string | null;
  userAgent: string | null;
}

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
        if (key && !hashesEqual(sha256Base64(credential.secret), key.secretHash)) key = undefined;
      }
      if (!key) throw unauthenticated('Authentication failed: unknown API key or wrong secret.');
      const now = clock.now();
      if (key.state !== 'enabled') throw unauthenticated('This API key is disabled.');
      if (key.expireAt !== null && key.expireAt <= now) throw unauthenticated('This API key has expired.');
      if (!ipAllowed(key.ipAccessList, context.ip)) {
        throw unauthenticated("Requests from this IP address are not allowed by the key's IP access list.");
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
