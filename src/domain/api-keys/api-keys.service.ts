import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { Ids } from '../../ids.js';
import { requireOrganizationAccess, requireReadableOrganization } from '../access.js';
import { diff, type ActivityInput, type ActivityRecorder } from '../activities/activity-recorder.js';
import type { KeyUpdateType } from '../activities/activities.schemas.js';
import { validateIpAccessList } from '../auth/ip-access.js';
import type { KeyCache } from '../auth/key-cache.js';
import { generateKey, sha256Base64 } from '../auth/secrets.js';
import { conflict, invalid, notFound } from '../errors.js';
import { findOrganization } from '../organizations/organizations.queries.js';
import { requireNonBlankName } from '../names.js';
import { pageById, type Page, type PageRequest } from '../pagination.js';
import type { KeyRole, Principal } from '../principal.js';
import { commonKeyFields, parseExpiry } from './key-fields.js';
import {
  countKeys,
  deleteKey,
  findKey,
  insertKey,
  listKeys,
  updateKey,
  type ApiKeyRow,
} from './api-keys.queries.js';
import {
  KEY_ROLES,
  MAX_KEYS_PER_ORGANIZATION,
  type ApiKey,
  type CreateKeyInput,
  type CreateKeyResult,
  type PatchKeyInput,
} from './api-keys.schemas.js';

/** Which ClickHouse `keyUpdateType` each changed field is recorded under. */
const UPDATE_TYPES: Record<string, KeyUpdateType> = {
  name: 'name-changed',
  roles: 'role-changed',
  state: 'state-changed',
  expireAt: 'date-changed',
  ipAccessList: 'ip-access-list-changed',
};

export function createApiKeysService(deps: { db: Db; clock: Clock; ids: Ids; activities: ActivityRecorder; keyCache: KeyCache }) {
  const { db, clock, ids, activities, keyCache } = deps;

  return {
    async list(principal: Principal, organizationId: string, page: PageRequest): Promise<Page<ApiKey>> {
      await requireReadableOrganization(db, principal, organizationId);
      return pageById(page, (afterId, limit) => listKeys(db, organizationId, afterId, limit), toApiKey);
    },

    async get(principal: Principal, organizationId: string, id: string): Promise<ApiKey> {
      await requireOrganizationAccess(db, principal, organizationId, 'read');
      const row = await findKey(db, organizationId, id);
      if (!row) throw notFound('API key', id);
      return toApiKey(row);
    },

    async create(principal: Principal, organizationId: string, input: CreateKeyInput): Promise<CreateKeyResult> {
      await requireOrganizationAccess(db, principal, organizationId, 'admin');
      const name = requireNonBlankName(input.name);
      const expireAt = parseExpiry(input.expireAt, clock) ?? null;
      const ipAccessList = (input.ipAccessList ?? []).map((entry) => ({ source: entry.source.trim(), description: entry.description ?? '' }));
      validateIpAccessList(ipAccessList);
      const generated = input.hashData ? undefined : generateKey();
      const hashes = input.hashData
        ? { keyIdHash: input.hashData.keyIdHash, secretHash: input.hashData.keySecretHash, suffix: input.hashData.keyIdSuffix }
        : { keyIdHash: sha256Base64(generated!.keyId), secretHash: sha256Base64(generated!.keySecret), suffix: generated!.keyId.slice(-4) };

      const key = await db.transaction().execute(async (trx) => {
        // The organization row lock serializes key creation per organization, so the limit holds.
        if (!(await findOrganization(trx, organizationId, { forUpdate: true }))) throw notFound('Organization', organizationId);
        if ((await countKeys(trx, organizationId)) >= MAX_KEYS_PER_ORGANIZATION) {
          throw invalid(undefined, `An organization has at most ${MAX_KEYS_PER_ORGANIZATION} API keys: delete one first.`, 'key_limit_reached');
        }
        const now = clock.now();
        const created = await insertKey(trx, {
          id: ids.uuid(),
          organization_id: organizationId,
          name,
          key_id_hash: hashes.keyIdHash,
          key_suffix: hashes.suffix,
          secret_hash: hashes.secretHash,
          roles: canonicalRoles(input.roles),
          state: input.state ?? 'enabled',
          ip_access_list: JSON.stringify(ipAccessList),
          expire_at: expireAt,
          created_at: now,
          updated_at: now,
        });
        const key = toApiKey(created);
        await activities.record(trx, principal.actor, [
          {
            type: 'key_create',
            organizationId,
            targetId: created.id,
            changes: diff({}, { name: key.name, roles: key.roles, state: key.state, expireAt: key.expireAt, ipAccessList: key.ipAccessList }),
          },
        ]);
        return key;
      }).catch((error: unknown) => {
        // Key id and secret hashes are unique across all keys: the indexes decide, race-free.
        if (isUniqueViolation(error)) throw conflict('hashData: a key with this key ID or secret hash already exists.', 'duplicate_key', 'hashData');
        throw error;
      });
      return { key, ...(generated && { keyId: generated.keyId, keySecret: generated.keySecret }) };
    },

    async update(principal: Principal, organizationId: string, id: string, patch: PatchKeyInput): Promise<ApiKey> {
      await requireOrganizationAccess(db, principal, organizationId, 'admin');
      const name = patch.name === undefined ? undefined : requireNonBlankName(patch.name);
      const expireAt = parseExpiry(patch.expireAt, clock);
      const ipAccessList = patch.ipAccessList?.map((entry) => ({ source: entry.source.trim(), description: entry.description ?? '' }));
      if (ipAccessList) validateIpAccessList(ipAccessList);

      const updated = await db.transaction().execute(async (trx) => {
        const current = await findKey(trx, organizationId, id, { forUpdate: true });
        if (!current) throw notFound('API key', id);
        const before = toApiKey(current);
        const after = {
          name: name ?? before.name,
          roles: patch.roles ? canonicalRoles(patch.roles) : before.roles,
          state: patch.state ?? before.state,
          expireAt: expireAt === undefined ? before.expireAt : expireAt && expireAt.toISOString(),
          ipAccessList: ipAccessList ?? before.ipAccessList,
        };
        const changes = diff(before, after);
        const recorded: ActivityInput[] = Object.entries(changes).map(([field, change]) => ({
          type: 'openapi_key_update',
          organizationId,
          targetId: id,
          keyUpdateType: UPDATE_TYPES[field]!,
          changes: { [field]: change },
        }));
        if (recorded.length === 0) return current;
        const row = await updateKey(trx, id, {
          name: after.name,
          roles: after.roles,
          state: after.state,
          expire_at: after.expireAt,
          ip_access_list: JSON.stringify(after.ipAccessList),
          updated_at: clock.now(),
        });
        await activities.record(trx, principal.actor, recorded);
        return row;
      });
      keyCache.invalidateKey(id);
      return toApiKey(updated);
    },

    /** "Only a key not used to authenticate the active request can be deleted." */
    async delete(principal: Principal, organizationId: string, id: string): Promise<void> {
      await requireOrganizationAccess(db, principal, organizationId, 'admin');
      if (principal.kind === 'organization_key' && principal.keyId === id) {
        throw invalid('keyId', 'A key cannot delete itself: use another admin key.', 'cannot_delete_own_key');
      }
      await db.transaction().execute(async (trx) => {
        const current = await findKey(trx, organizationId, id, { forUpdate: true });
        if (!current) throw notFound('API key', id);
        await deleteKey(trx, id);
        const key = toApiKey(current);
        await activities.record(trx, principal.actor, [
          { type: 'key_delete', organizationId, targetId: id, changes: { name: { old: key.name, new: null }, roles: { old: key.roles, new: null } } },
        ]);
      });
      keyCache.invalidateKey(id);
    },
  };
}

export type ApiKeysService = ReturnType<typeof createApiKeysService>;

/** Roles are a set: stored in one order, so a reordered list is not a change. */
function canonicalRoles(roles: readonly KeyRole[]): KeyRole[] {
  return KEY_ROLES.filter((role) => roles.includes(role));
}

export function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    ...commonKeyFields(row),
    roles: row.roles,
    ipAccessList: row.ip_access_list.map((entry) => ({ source: entry.source, description: entry.description })),
  };
}
