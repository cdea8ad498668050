/**
 * Personal API keys: they belong to a user and act with that user's membership in each
 * organization, never beyond their scopes. Created by root or by the user themself; the secret
 * is shown once and stored as a hash, exactly like organization keys.
 */
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import type { Ids } from '../../ids.js';
import { hasScope, requireSelfOrRoot } from '../access.js';
import type { KeyCache } from '../auth/key-cache.js';
import { generateKey, sha256Base64 } from '../auth/secrets.js';
import { forbidden, invalid, notFound } from '../errors.js';
import { requireNonBlankName } from '../names.js';
import { pageById, type Page, type PageRequest } from '../pagination.js';
import { SCOPES, type PersonalKeyPrincipal, type Principal } from '../principal.js';
import { findUser } from '../users/users.queries.js';
import type { CreatePersonalKeyInput, CreatePersonalKeyResult, PersonalKey } from '../users/users.schemas.js';
import { deleteKey, insertKey, type ApiKeyRow } from './api-keys.queries.js';
import { commonKeyFields, parseExpiry } from './key-fields.js';
import { countPersonalKeys, findPersonalKey, listPersonalKeys, lockUser, memberOrganizations } from './personal-keys.queries.js';

export const MAX_KEYS_PER_USER = 100;

export function createPersonalKeysService(deps: { db: Db; clock: Clock; ids: Ids; keyCache: KeyCache }) {
  const { db, clock, ids, keyCache } = deps;

  return {
    async list(principal: Principal, userId: string, page: PageRequest): Promise<Page<PersonalKey>> {
      requireSelfOrRoot(principal, userId);
      const result = await pageById(page, (afterId, limit) => listPersonalKeys(db, userId, afterId, limit), toPersonalKey);
      if (result.items.length === 0 && page.cursor === undefined && !(await findUser(db, userId))) throw notFound('User', userId);
      return result;
    },

    async create(principal: Principal, userId: string, input: CreatePersonalKeyInput): Promise<CreatePersonalKeyResult> {
      requireSelfOrRoot(principal, userId);
      if (principal.kind === 'personal_key') requireNoEscalation(principal, input);
      const name = requireNonBlankName(input.name);
      const expireAt = parseExpiry(input.expireAt, clock) ?? null;
      const generated = generateKey();
      const row = await db.transaction().execute(async (trx) => {
        // The user row lock serializes key creation per user, so the limit holds.
        if (!(await lockUser(trx, userId))) throw notFound('User', userId);
        if ((await countPersonalKeys(trx, userId)) >= MAX_KEYS_PER_USER) {
          throw invalid(undefined, `A user has at most ${MAX_KEYS_PER_USER} personal API keys: delete one first.`, 'key_limit_reached');
        }
        if (input.organizationIds) {
          const member = await memberOrganizations(trx, userId, input.organizationIds);
          input.organizationIds.forEach((organizationId, index) => {
            if (!member.has(organizationId)) {
              throw invalid(
                `organizationIds[${index}]`,
                `organizationIds[${index}]: the user is not a member of organization ${organizationId}`,
                'not_a_member',
              );
            }
          });
        }
        const now = clock.now();
        return insertKey(trx, {
          id: ids.uuid(),
          organization_id: null,
          user_id: userId,
          name,
          key_id_hash: sha256Base64(generated.keyId),
          key_suffix: generated.keyId.slice(-4),
          secret_hash: sha256Base64(generated.keySecret),
          roles: [],
          scopes: SCOPES.filter((scope) => input.scopes.includes(scope)),
          organization_ids: input.organizationIds ?? null,
          state: 'enabled',
          ip_access_list: '[]',
          expire_at: expireAt,
          created_at: now,
          updated_at: now,
        });
      });
      return { key: toPersonalKey(row), keyId: generated.keyId, keySecret: generated.keySecret };
    },

    async delete(principal: Principal, userId: string, id: string): Promise<void> {
      requireSelfOrRoot(principal, userId);
      if (!(await findPersonalKey(db, userId, id))) throw notFound('API key', id);
      await deleteKey(db, id);
      keyCache.invalidateKey(id);
    },
  };
}

export type PersonalKeysService = ReturnType<typeof createPersonalKeysService>;

/** A personal key may create keys for its user, but never one that can do more than itself. */
function requireNoEscalation(creator: PersonalKeyPrincipal, input: CreatePersonalKeyInput): void {
  const broader = input.scopes.find((scope) => !hasScope(creator.scopes, scope));
  if (broader !== undefined) {
    throw forbidden(`A key cannot create a key with a scope it lacks ('${broader}').`, 'scope_escalation');
  }
  const limit = creator.organizationIds;
  if (limit !== null && (input.organizationIds === undefined || input.organizationIds.some((id) => !limit.includes(id)))) {
    throw forbidden('A key limited to some organizations can only create keys limited to (some of) the same ones.', 'scope_escalation');
  }
}

export function toPersonalKey(row: ApiKeyRow): PersonalKey {
  return { ...commonKeyFields(row), scopes: row.scopes, organizationIds: row.organization_ids };
}
