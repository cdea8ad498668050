import { sql, type Insertable, type Selectable } from 'kysely';
import type { Db } from '../../db/database.js';
import type { UsersTable } from '../../db/schema.js';

export type UserRow = Selectable<UsersTable>;

export async function insertUser(db: Db, row: Insertable<UsersTable>): Promise<UserRow> {
  return db.insertInto('users').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findUser(db: Db, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * The user with this email (compared case-insensitively, as the unique index does), created with
 * the given fields when there is none. Race-free: a concurrent creation of the same email makes
 * the insert do nothing (after waiting for it to commit), and the select then finds that user.
 */
export async function findOrCreateUserByEmail(db: Db, row: Insertable<UsersTable>): Promise<{ user: UserRow; created: boolean }> {
  const inserted = await db
    .insertInto('users')
    .values({ ...row, email: row.email.toLowerCase() })
    .onConflict((conflict) => conflict.expression(sql`lower(email)`).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { user: inserted, created: true };
  const user = await db.selectFrom('users').selectAll().where(sql`lower(email)`, '=', row.email.toLowerCase()).executeTakeFirstOrThrow();
  return { user, created: false };
}

/** Whether the user is a member of the organization or of one of its ancestors (one walk up the tree). */
export async function isMemberOfTree(db: Db, userId: string, organizationId: string): Promise<boolean> {
  const result = await sql<{ found: boolean }>`
    with recursive up as (
      select o.id, o.parent_id, 0 as distance from organizations o where o.id = ${organizationId}::uuid and o.deleted_at is null
      union all
      select p.id, p.parent_id, up.distance + 1 from up join organizations p on p.id = up.parent_id
      where up.distance < 100 and p.deleted_at is null
    )
    select exists (select 1 from up join memberships m on m.organization_id = up.id where m.user_id = ${userId}::uuid) as found`.execute(db);
  return result.rows[0]?.found === true;
}
