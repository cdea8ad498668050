import { CompiledQuery, sql, type Insertable, type Selectable } from 'kysely';
import type { Db } from '../../db/database.js';
import type { MembershipsTable } from '../../db/schema.js';
import { toUserSummary, type UserSummary, type UserSummaryColumns } from '../users/user-summary.js';

// Membership in a deleted organization grants nothing: the walk starts only from a live one, so
// its keys, trail and settings stay out of reach of members' personal keys, as they are of its
// organization keys. Admins and owners of an ancestor administer the descendants (at their
// ancestor level); members of an ancestor get nothing here. Role permissions come from the
// organization's own roles only. One round trip.
const ACCESS_OF =
  'with recursive chain as (' +
  'select o.id, o.parent_id, 0 as distance from organizations o where o.id = $1 and o.deleted_at is null ' +
  'union all ' +
  'select p.id, p.parent_id, chain.distance + 1 from chain join organizations p on p.id = chain.parent_id where chain.distance < 100) ' +
  'select max(m.level) as level, coalesce((select array_agg(distinct p) from role_memberships rm ' +
  'join roles r on r.id = rm.role_id cross join unnest(r.permissions) as p ' +
  'where rm.organization_id = $1 and rm.user_id = $2), ' +
  "'{}'::text[]) as permissions " +
  'from chain join memberships m on m.organization_id = chain.id and m.user_id = $2 ' +
  'where chain.distance = 0 or m.level >= 8';

export interface MemberAccess {
  level: number;
  /** Granted through the member's custom roles. */
  permissions: string[];
}

/**
 * The user's level (direct, or as an admin of an ancestor) and role permissions in the live
 * organization; undefined when the user has neither.
 */
export async function memberAccess(db: Db, organizationId: string, userId: string): Promise<MemberAccess | undefined> {
  const result = await db.executeQuery<{ level: number | null; permissions: string[] }>(CompiledQuery.raw(ACCESS_OF, [organizationId, userId]));
  const row = result.rows[0];
  return row && row.level !== null ? { level: row.level, permissions: row.permissions } : undefined;
}

export interface MemberRow extends UserSummaryColumns {
  membership_id: string;
  level: number;
  joined_at: Date;
  updated_at: Date;
}

/** A member as the domain hands it to surfaces. */
export interface MemberRecord {
  /** The membership's own id (PostHog's OrganizationMember.id). */
  id: string;
  user: UserSummary;
  level: number;
  joinedAt: Date;
  updatedAt: Date;
}

export const toMemberRecord = (row: MemberRow): MemberRecord => ({
  id: row.membership_id,
  user: toUserSummary(row),
  level: row.level,
  joinedAt: row.joined_at,
  updatedAt: row.updated_at,
});

/** A MemberRow's columns, from `memberships as m` joined with `users as u`. */
export const MEMBER_COLUMNS = [
  'm.id as membership_id',
  'm.user_id',
  'u.number as user_number',
  'u.email',
  'u.first_name',
  'u.last_name',
  'm.level',
  'm.joined_at',
  'm.updated_at',
] as const;

function members(db: Db, organizationId: string) {
  return db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(MEMBER_COLUMNS)
    .where('m.organization_id', '=', organizationId);
}

/** Oldest first, keyset on (joined_at, user_id), served by memberships_org_joined_idx. */
export async function listMembers(
  db: Db,
  organizationId: string,
  after: { joinedAt: Date; userId: string } | undefined,
  limit: number,
): Promise<MemberRow[]> {
  let query = members(db, organizationId).orderBy('m.joined_at').orderBy('m.user_id').limit(limit);
  if (after) query = query.where(sql<boolean>`(m.joined_at, m.user_id) > (${after.joinedAt}, ${after.userId}::uuid)`);
  return query.execute();
}

export const countMembers = (organizationId: string) => sql<number>`(select count(*)::int from memberships c where c.organization_id = ${organizationId})`;

/**
 * A slice by join date (either direction) with the member count in the same statement; the index
 * memberships_org_joined_idx serves both the order and the count.
 */
export async function sliceMembers(
  db: Db,
  organizationId: string,
  slice: { limit: number; offset: number; newestFirst: boolean },
): Promise<(MemberRow & { total: number })[]> {
  const direction = slice.newestFirst ? 'desc' : 'asc';
  return members(db, organizationId)
    .select(countMembers(organizationId).as('total'))
    .orderBy('m.joined_at', direction)
    .orderBy('m.user_id', direction)
    .limit(slice.limit)
    .offset(slice.offset)
    .execute();
}

export async function memberCount(db: Db, organizationId: string): Promise<number> {
  const row = await db.selectNoFrom(countMembers(organizationId).as('total')).executeTakeFirstOrThrow();
  return row.total;
}

export async function findMember(db: Db, organizationId: string, userId: string): Promise<MemberRow | undefined> {
  return members(db, organizationId).where('m.user_id', '=', userId).executeTakeFirst();
}

export async function countOwners(db: Db, organizationId: string): Promise<number> {
  const row = await db
    .selectFrom('memberships')
    .select(sql<number>`count(*)::int`.as('count'))
    .where('organization_id', '=', organizationId)
    .where('level', '=', 15)
    .executeTakeFirstOrThrow();
  return row.count;
}

/** Inserts unless the user is already a member; returns whether a row was added. */
export async function insertMembership(db: Db, row: Insertable<MembershipsTable>): Promise<boolean> {
  const result = await db
    .insertInto('memberships')
    .values(row)
    .onConflict((oc) => oc.columns(['organization_id', 'user_id']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function updateMembershipLevel(db: Db, organizationId: string, userId: string, level: number, now: Date): Promise<void> {
  await db
    .updateTable('memberships')
    .set({ level, updated_at: now })
    .where('organization_id', '=', organizationId)
    .where('user_id', '=', userId)
    .execute();
}

/** Removes the membership; the member's role grants in that organization go with it (on delete cascade). */
export async function deleteMembership(db: Db, organizationId: string, userId: string): Promise<void> {
  await db.deleteFrom('memberships').where('organization_id', '=', organizationId).where('user_id', '=', userId).execute();
}

export type MembershipRow = Selectable<MembershipsTable>;
