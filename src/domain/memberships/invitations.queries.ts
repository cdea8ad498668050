import type { Insertable, Selectable } from 'kysely';
import type { Db } from '../../db/database.js';
import type { InvitationsTable } from '../../db/schema.js';

export type InvitationRow = Selectable<InvitationsTable>;

export async function insertInvitation(db: Db, row: Insertable<InvitationsTable>): Promise<InvitationRow> {
  return db.insertInto('invitations').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findInvitation(
  db: Db,
  id: string,
  options: { organizationId?: string; forUpdate?: boolean } = {},
): Promise<InvitationRow | undefined> {
  let query = db.selectFrom('invitations').selectAll().where('id', '=', id);
  if (options.organizationId !== undefined) query = query.where('organization_id', '=', options.organizationId);
  if (options.forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function listInvitations(db: Db, organizationId: string, afterId: string | undefined, limit: number): Promise<InvitationRow[]> {
  let query = db.selectFrom('invitations').selectAll().where('organization_id', '=', organizationId).orderBy('id').limit(limit);
  if (afterId) query = query.where('id', '>', afterId);
  return query.execute();
}

/** Pending invitations that have expired make way for a new one to the same address. */
export async function deleteExpiredPending(db: Db, organizationId: string, email: string, now: Date): Promise<void> {
  await db
    .deleteFrom('invitations')
    .where('organization_id', '=', organizationId)
    .where('email', '=', email)
    .where('accepted_at', 'is', null)
    .where('expire_at', '<=', now)
    .execute();
}

export async function deleteInvitation(db: Db, id: string): Promise<void> {
  await db.deleteFrom('invitations').where('id', '=', id).execute();
}

export async function markAccepted(db: Db, id: string, userId: string, now: Date): Promise<void> {
  await db.updateTable('invitations').set({ accepted_at: now, accepted_by: userId }).where('id', '=', id).execute();
}

export async function memberWithEmail(db: Db, organizationId: string, email: string): Promise<boolean> {
  const row = await db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select('m.user_id')
    .where('m.organization_id', '=', organizationId)
    .where('u.email', '=', email)
    .executeTakeFirst();
  return row !== undefined;
}
