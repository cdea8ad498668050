import { sql, type Insertable, type Selectable } from 'kysely';
import type { Db } from '../../db/database.js';
import type { RoleMembershipsTable, RolesTable } from '../../db/schema.js';
import { ACTIVITY_INSERT_COLUMNS, actorValues } from '../activities/activities.queries.js';
import { MEMBER_COLUMNS, toMemberRecord, type MemberRecord, type MemberRow } from '../memberships/memberships.queries.js';
import type { Actor } from '../principal.js';
import { CREATOR_COLUMNS, creatorOf, type CreatorColumns, type UserSummary } from '../users/user-summary.js';

export type RoleRow = Selectable<RolesTable>;
export type RoleMembershipRow = Selectable<RoleMembershipsTable>;

/** A grant of a role, with the member it is granted to. */
export interface RoleMembershipRecord {
  id: string;
  roleId: string;
  member: MemberRecord;
  joinedAt: Date;
  updatedAt: Date;
}

/** A role as the domain hands it to surfaces: its creator (when a user) and its grants. */
export interface RoleRecord {
  id: string;
  name: string;
  permissions: string[];
  createdBy: UserSummary | null;
  createdAt: Date;
  updatedAt: Date;
  members: RoleMembershipRecord[];
}

type RoleWithCreator = RoleRow & CreatorColumns;

export function toRoleRecord(row: RoleWithCreator, members: RoleMembershipRecord[]): RoleRecord {
  return {
    id: row.id,
    name: row.name,
    permissions: row.permissions,
    createdBy: creatorOf(row),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    members,
  };
}

function rolesWithCreators(db: Db, organizationId: string) {
  return db
    .selectFrom('roles as r')
    .leftJoin('users as u', 'u.id', 'r.created_by')
    .selectAll('r')
    .select(CREATOR_COLUMNS)
    .where('r.organization_id', '=', organizationId);
}

/** In creation order (UUIDv7 ids), keyset on id. */
export async function listRoles(db: Db, organizationId: string, afterId: string | undefined, limit: number): Promise<RoleWithCreator[]> {
  let query = rolesWithCreators(db, organizationId).orderBy('r.id').limit(limit);
  if (afterId) query = query.where('r.id', '>', afterId);
  return query.execute();
}

const countRoles = (organizationId: string) => sql<number>`(select count(*)::int from roles c where c.organization_id = ${organizationId})`;

/** In creation order, as an offset slice with the total in the same statement. */
export async function sliceRoles(db: Db, organizationId: string, slice: { limit: number; offset: number }): Promise<(RoleWithCreator & { total: number })[]> {
  return rolesWithCreators(db, organizationId)
    .select(countRoles(organizationId).as('total'))
    .orderBy('r.id')
    .limit(slice.limit)
    .offset(slice.offset)
    .execute();
}

export async function roleCount(db: Db, organizationId: string): Promise<number> {
  return (await db.selectNoFrom(countRoles(organizationId).as('total')).executeTakeFirstOrThrow()).total;
}

export async function findRoleWithCreator(db: Db, organizationId: string, id: string): Promise<RoleWithCreator | undefined> {
  return rolesWithCreators(db, organizationId).where('r.id', '=', id).executeTakeFirst();
}

export async function findRole(db: Db, organizationId: string, id: string, options: { forUpdate?: boolean } = {}): Promise<RoleRow | undefined> {
  let query = db.selectFrom('roles').selectAll().where('organization_id', '=', organizationId).where('id', '=', id);
  if (options.forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function insertRole(db: Db, row: Insertable<RolesTable>): Promise<RoleRow> {
  return db.insertInto('roles').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function updateRole(db: Db, id: string, changes: { name: string; permissions: string[]; updated_at: Date }): Promise<RoleRow> {
  return db.updateTable('roles').set(changes).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
}

/** Deletes the role; its memberships go with it (on delete cascade). */
export async function deleteRole(db: Db, id: string): Promise<void> {
  await db.deleteFrom('roles').where('id', '=', id).execute();
}

function roleMemberships(db: Db) {
  return db
    .selectFrom('role_memberships as rm')
    .innerJoin('memberships as m', (join) => join.onRef('m.organization_id', '=', 'rm.organization_id').onRef('m.user_id', '=', 'rm.user_id'))
    .innerJoin('users as u', 'u.id', 'rm.user_id')
    .select(['rm.id', 'rm.role_id', 'rm.joined_at as granted_at', 'rm.updated_at as grant_updated_at', ...MEMBER_COLUMNS]);
}

type RoleMembershipWithMember = Awaited<ReturnType<ReturnType<typeof roleMemberships>['execute']>>[number];

const toRoleMembershipRecord = (row: RoleMembershipWithMember): RoleMembershipRecord => ({
  id: row.id,
  roleId: row.role_id,
  member: toMemberRecord(row),
  joinedAt: row.granted_at,
  updatedAt: row.grant_updated_at,
});

/** Grants of these roles with their members, oldest first. */
export async function membershipsOfRoles(db: Db, roleIds: readonly string[]): Promise<RoleMembershipRecord[]> {
  if (roleIds.length === 0) return [];
  const rows = await roleMemberships(db).where('rm.role_id', 'in', [...roleIds]).orderBy('rm.joined_at').orderBy('rm.id').execute();
  return rows.map(toRoleMembershipRecord);
}

export async function findRoleMembership(db: Db, roleId: string, id: string): Promise<RoleMembershipRecord | undefined> {
  const row = await roleMemberships(db).where('rm.role_id', '=', roleId).where('rm.id', '=', id).executeTakeFirst();
  return row && toRoleMembershipRecord(row);
}

export async function deleteRoleMembership(db: Db, id: string): Promise<void> {
  await db.deleteFrom('role_memberships').where('id', '=', id).execute();
}

const countGrants = (roleId: string) => sql<number>`(select count(*)::int from role_memberships c where c.role_id = ${roleId})`;

/** Grants of one role, oldest first, as an offset slice with the total in the same statement. */
export async function sliceRoleMemberships(
  db: Db,
  roleId: string,
  slice: { limit: number; offset: number },
): Promise<(RoleMembershipRecord & { total: number })[]> {
  const rows = await roleMemberships(db)
    .select(countGrants(roleId).as('total'))
    .where('rm.role_id', '=', roleId)
    .orderBy('rm.joined_at')
    .orderBy('rm.id')
    .limit(slice.limit)
    .offset(slice.offset)
    .execute();
  return rows.map((row) => ({ ...toRoleMembershipRecord(row), total: row.total }));
}

export async function roleMembershipCount(db: Db, roleId: string): Promise<number> {
  return (await db.selectNoFrom(countGrants(roleId).as('total')).executeTakeFirstOrThrow()).total;
}

export interface AuditedGrant {
  id: string;
  roleId: string;
  organizationId: string;
  userId: string;
  now: Date;
  actor: Actor;
  activityId: string;
}

/** What granting found: the role (if live), the member (if one), and the grant (if new). */
export interface GrantOutcome {
  roleName: string | null;
  member: MemberRow | null;
  grant: { id: string; joinedAt: Date; updatedAt: Date } | null;
}

/**
 * Grants a role to a member and records `organization_member_update_roles`, in ONE statement. The
 * outcome says why nothing was granted: no live role, not a member, or already granted (the unique
 * (role, user) index). The foreign keys to the role and the membership keep concurrent deletes
 * honest: a grant never outlives either.
 */
export async function grantRoleAudited(db: Db, g: AuditedGrant): Promise<GrantOutcome> {
  const result = await sql<MemberRow & { role_name: string | null; grant_id: string | null; granted_at: Date | null; grant_updated_at: Date | null }>`
    with role as (
      select r.id, r.name from roles r join organizations o on o.id = r.organization_id
      where r.id = ${g.roleId}::uuid and r.organization_id = ${g.organizationId}::uuid and o.deleted_at is null
    ), member as (
      select m.id as membership_id, m.user_id, u.number as user_number, u.email, u.first_name, u.last_name,
        m.level, m.joined_at, m.updated_at
      from memberships m join users u on u.id = m.user_id
      where m.organization_id = ${g.organizationId}::uuid and m.user_id = ${g.userId}::uuid
    ), granted as (
      insert into role_memberships (id, role_id, organization_id, user_id, joined_at, updated_at)
      select ${g.id}::uuid, role.id, ${g.organizationId}::uuid, member.user_id, ${g.now}::timestamptz, ${g.now}::timestamptz
      from role cross join member
      on conflict (role_id, user_id) do nothing
      returning id, joined_at, updated_at
    ), recorded as (
      insert into activities ${ACTIVITY_INSERT_COLUMNS}
      select ${g.activityId}::uuid, ${g.organizationId}::uuid, 'organization_member_update_roles', ${actorValues(g.actor)}, member.user_id,
        jsonb_build_object('roles', jsonb_build_object('old', null, 'new', role.name)), ${g.now}::timestamptz
      from granted cross join role cross join member
    )
    select role.name as role_name, member.*, granted.id as grant_id, granted.joined_at as granted_at, granted.updated_at as grant_updated_at
    from (select 1) as one left join role on true left join member on true left join granted on true`.execute(db);
  const row = result.rows[0]!;
  return {
    roleName: row.role_name,
    member: row.membership_id === null ? null : row,
    grant: row.grant_id === null ? null : { id: row.grant_id, joinedAt: row.granted_at!, updatedAt: row.grant_updated_at! },
  };
}
