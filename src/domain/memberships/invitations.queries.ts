import { sql, type Insertable, type Selectable } from 'kysely';
import type { Db } from '../../db/database.js';
import type { InvitationsTable } from '../../db/schema.js';
import { CREATOR_COLUMNS, creatorOf, type CreatorColumns, type UserSummary } from '../users/user-summary.js';

export type InvitationRow = Selectable<InvitationsTable>;

/** An invitation as the domain hands it to surfaces, with its creator when a user made it. */
export interface InvitationRecord {
  id: string;
  organizationId: string;
  email: string;
  level: number;
  firstName: string;
  message: string | null;
  createdBy: UserSummary | null;
  createdAt: Date;
  updatedAt: Date;
  expireAt: Date;
  /** Past its expiry at the time it was read. */
  expired: boolean;
  acceptedAt: Date | null;
}

type InvitationWithCreator = InvitationRow & CreatorColumns;

export function toInvitationRecord(row: InvitationWithCreator, now: Date): InvitationRecord {
  return {
    id: row.id,
    organizationId: row.organization_id,
    email: row.email,
    level: row.level,
    firstName: row.first_name,
    message: row.message,
    createdBy: creatorOf(row),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expireAt: row.expire_at,
    expired: row.expire_at <= now,
    acceptedAt: row.accepted_at,
  };
}

function invitationsWithCreators(db: Db, organizationId: string) {
  return db
    .selectFrom('invitations as i')
    .leftJoin('users as u', 'u.id', 'i.created_by')
    .selectAll('i')
    .select(CREATOR_COLUMNS)
    .where('i.organization_id', '=', organizationId);
}

export async function insertInvitation(db: Db, row: Insertable<InvitationsTable>): Promise<InvitationRow> {
  return db.insertInto('invitations').values(row).returningAll().executeTakeFirstOrThrow();
}

/** The bare row, optionally locked: for changes. */
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

export async function findInvitationRecord(db: Db, organizationId: string, id: string, now: Date): Promise<InvitationRecord | undefined> {
  const row = await invitationsWithCreators(db, organizationId).where('i.id', '=', id).executeTakeFirst();
  return row && toInvitationRecord(row, now);
}

/** In creation order (UUIDv7 ids), keyset on id. */
export async function listInvitations(
  db: Db,
  organizationId: string,
  afterId: string | undefined,
  limit: number,
  now: Date,
): Promise<InvitationRecord[]> {
  let query = invitationsWithCreators(db, organizationId).orderBy('i.id').limit(limit);
  if (afterId) query = query.where('i.id', '>', afterId);
  return (await query.execute()).map((row) => toInvitationRecord(row, now));
}

const countPending = (organizationId: string) =>
  sql<number>`(select count(*)::int from invitations c where c.organization_id = ${organizationId} and c.accepted_at is null)`;

/** Pending (not yet accepted) invitations, newest first, with their total in the same statement. */
export async function slicePendingInvitations(
  db: Db,
  organizationId: string,
  slice: { limit: number; offset: number },
): Promise<(InvitationWithCreator & { total: number })[]> {
  return invitationsWithCreators(db, organizationId)
    .select(countPending(organizationId).as('total'))
    .where('i.accepted_at', 'is', null)
    .orderBy('i.id', 'desc')
    .limit(slice.limit)
    .offset(slice.offset)
    .execute();
}

export async function pendingInvitationCount(db: Db, organizationId: string): Promise<number> {
  return (await db.selectNoFrom(countPending(organizationId).as('total')).executeTakeFirstOrThrow()).total;
}

/** Deletes the pending invitations to the address (only the expired ones, given a time); returns their ids. */
export async function deletePending(db: Db, organizationId: string, email: string, options: { expiredBefore?: Date }): Promise<string[]> {
  let query = db
    .deleteFrom('invitations')
    .where('organization_id', '=', organizationId)
    .where('email', '=', email)
    .where('accepted_at', 'is', null);
  if (options.expiredBefore) query = query.where('expire_at', '<=', options.expiredBefore);
  return (await query.returning('id').execute()).map((row) => row.id);
}

export async function deleteInvitation(db: Db, id: string): Promise<void> {
  await db.deleteFrom('invitations').where('id', '=', id).execute();
}

export async function markAccepted(db: Db, id: string, userId: string, now: Date): Promise<void> {
  await db.updateTable('invitations').set({ accepted_at: now, accepted_by: userId, updated_at: now }).where('id', '=', id).execute();
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
