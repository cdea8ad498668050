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
export async function findOrCreateUserByEmail(db: Db, row: Insertable<UsersTable>): Promise<UserRow> {
  const inserted = await db
    .insertInto('users')
    .values({ ...row, email: row.email.toLowerCase() })
    .onConflict((conflict) => conflict.expression(sql`lower(email)`).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return inserted;
  return db.selectFrom('users').selectAll().where(sql`lower(email)`, '=', row.email.toLowerCase()).executeTakeFirstOrThrow();
}
