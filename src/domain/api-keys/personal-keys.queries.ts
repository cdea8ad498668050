import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { ApiKeyRow } from './api-keys.queries.js';

export async function listPersonalKeys(db: Db, userId: string, afterId: string | undefined, limit: number): Promise<ApiKeyRow[]> {
  let query = db.selectFrom('api_keys').selectAll().where('user_id', '=', userId).orderBy('id').limit(limit);
  if (afterId) query = query.where('id', '>', afterId);
  return query.execute();
}

export async function findPersonalKey(db: Db, userId: string, id: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom('api_keys').selectAll().where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
}

export async function countPersonalKeys(db: Db, userId: string): Promise<number> {
  const row = await db
    .selectFrom('api_keys')
    .select(sql<number>`count(*)::int`.as('count'))
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  return row.count;
}

/** Which of these organizations are live and have the user as a member. */
export async function memberOrganizations(db: Db, userId: string, organizationIds: readonly string[]): Promise<Set<string>> {
  const rows = await db
    .selectFrom('memberships as m')
    .innerJoin('organizations as o', 'o.id', 'm.organization_id')
    .select('m.organization_id')
    .where('m.user_id', '=', userId)
    .where('o.deleted_at', 'is', null)
    .where('m.organization_id', 'in', [...organizationIds])
    .execute();
  return new Set(rows.map((row) => row.organization_id));
}

export async function lockUser(db: Db, userId: string): Promise<boolean> {
  const row = await db.selectFrom('users').select('id').where('id', '=', userId).forUpdate().executeTakeFirst();
  return row !== undefined;
}
