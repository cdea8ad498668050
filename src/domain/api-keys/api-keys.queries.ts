import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { Db } from '../../db/database.js';
import type { ApiKeysTable } from '../../db/schema.js';

export type ApiKeyRow = Selectable<ApiKeysTable>;

export async function insertKey(db: Db, row: Insertable<ApiKeysTable>): Promise<ApiKeyRow> {
  return db.insertInto('api_keys').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findKey(
  db: Db,
  organizationId: string,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<ApiKeyRow | undefined> {
  let query = db.selectFrom('api_keys').selectAll().where('organization_id', '=', organizationId).where('id', '=', id);
  if (options.forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function listKeys(db: Db, organizationId: string, afterId: string | undefined, limit: number): Promise<ApiKeyRow[]> {
  let query = db.selectFrom('api_keys').selectAll().where('organization_id', '=', organizationId).orderBy('id').limit(limit);
  if (afterId) query = query.where('id', '>', afterId);
  return query.execute();
}

export async function countKeys(db: Db, organizationId: string): Promise<number> {
  const row = await db
    .selectFrom('api_keys')
    .select(sql<number>`count(*)::int`.as('count'))
    .where('organization_id', '=', organizationId)
    .executeTakeFirstOrThrow();
  return row.count;
}

export async function updateKey(db: Db, id: string, changes: Updateable<ApiKeysTable>): Promise<ApiKeyRow> {
  return db.updateTable('api_keys').set(changes).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
}

export async function deleteKey(db: Db, id: string): Promise<void> {
  await db.deleteFrom('api_keys').where('id', '=', id).execute();
}

/** The credential lookup: one indexed read; organization keys only while their organization lives. */
export async function findKeyForAuthentication(
  db: Db,
  by: { keyIdHash: string } | { secretHash: string },
): Promise<ApiKeyRow | undefined> {
  let query = db
    .selectFrom('api_keys as k')
    .leftJoin('organizations as o', 'o.id', 'k.organization_id')
    .selectAll('k')
    .where((eb) => eb.or([eb('k.user_id', 'is not', null), eb('o.deleted_at', 'is', null)]));
  query = 'keyIdHash' in by ? query.where('k.key_id_hash', '=', by.keyIdHash) : query.where('k.secret_hash', '=', by.secretHash);
  return query.executeTakeFirst();
}

/** Records use at minute granularity; the condition keeps concurrent replicas from writing twice. */
export async function touchKey(db: Db, id: string, now: Date): Promise<void> {
  await db
    .updateTable('api_keys')
    .set({ used_at: now })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('used_at', 'is', null), eb('used_at', '<', new Date(now.getTime() - 60_000))]))
    .execute();
}
