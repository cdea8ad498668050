import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { Db } from '../../db/database.js';
import type { OrganizationsTable } from '../../db/schema.js';

export type OrganizationRow = Selectable<OrganizationsTable>;

/** A live (not deleted) organization; `forUpdate` locks the row for the rest of the transaction. */
export async function findOrganization(
  db: Db,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<OrganizationRow | undefined> {
  let query = db.selectFrom('organizations').selectAll().where('id', '=', id).where('deleted_at', 'is', null);
  if (options.forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function organizationExists(db: Db, id: string, options: { includeDeleted: boolean }): Promise<boolean> {
  let query = db.selectFrom('organizations').select(sql<number>`1`.as('one')).where('id', '=', id);
  if (!options.includeDeleted) query = query.where('deleted_at', 'is', null);
  return (await query.executeTakeFirst()) !== undefined;
}

/** Live organizations in id (= creation) order, after the given id. */
export async function listOrganizations(db: Db, afterId: string | undefined, limit: number): Promise<OrganizationRow[]> {
  let query = db.selectFrom('organizations').selectAll().where('deleted_at', 'is', null).orderBy('id').limit(limit);
  if (afterId) query = query.where('id', '>', afterId);
  return query.execute();
}

export async function hasLiveChildren(db: Db, id: string): Promise<boolean> {
  const row = await db
    .selectFrom('organizations')
    .select(sql<number>`1`.as('one'))
    .where('parent_id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return row !== undefined;
}

export async function insertOrganization(db: Db, row: Insertable<OrganizationsTable>): Promise<OrganizationRow> {
  return db.insertInto('organizations').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function updateOrganization(
  db: Db,
  id: string,
  changes: Updateable<OrganizationsTable>,
): Promise<OrganizationRow> {
  return db
    .updateTable('organizations')
    .set({ ...changes, version: sql`version + 1` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}
