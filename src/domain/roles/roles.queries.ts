import type { Insertable, Selectable } from 'kysely';
import type { Db } from '../../db/database.js';
import type { RoleMembershipsTable, RolesTable } from '../../db/schema.js';

export type RoleRow = Selectable<RolesTable>;
export type RoleMembershipRow = Selectable<RoleMembershipsTable>;

export async function listRoles(db: Db, organizationId: string, afterId: string | undefined, limit: number): Promise<RoleRow[]> {
  let query = db.selectFrom('roles').selectAll().where('organization_id', '=', organizationId).orderBy('id').limit(limit);
  if (afterId) query = query.where('id', '>', afterId);
  return query.execute();
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

/** Memberships of these roles, oldest first. */
export async function membershipsOfRoles(db: Db, roleIds: readonly string[]): Promise<RoleMembershipRow[]> {
  if (roleIds.length === 0) return [];
  return db.selectFrom('role_memberships').selectAll().where('role_id', 'in', [...roleIds]).orderBy('joined_at').orderBy('id').execute();
}

export async function insertRoleMembership(db: Db, row: Insertable<RoleMembershipsTable>): Promise<RoleMembershipRow> {
  return db.insertInto('role_memberships').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findRoleMembership(db: Db, roleId: string, id: string): Promise<RoleMembershipRow | undefined> {
  return db.selectFrom('role_memberships').selectAll().where('role_id', '=', roleId).where('id', '=', id).executeTakeFirst();
}

export async function deleteRoleMembership(db: Db, id: string): Promise<void> {
  await db.deleteFrom('role_memberships').where('id', '=', id).execute();
}
