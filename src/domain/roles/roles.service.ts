/**
 * Custom roles: named sets of permissions in one organization, granted to its members. A member
 * whose roles grant `<object>:write` may do that object's admin-gated actions (see access.ts).
 * Reading roles needs organization read access; changing them, admin access to the organization.
 */
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { Ids } from '../../ids.js';
import { requireOrganizationAccess, requireReadableOrganization } from '../access.js';
import type { ActivityRecorder } from '../activities/activity-recorder.js';
import { conflict, invalid, notFound } from '../errors.js';
import { findMember } from '../memberships/memberships.queries.js';
import { requireNonBlankName } from '../names.js';
import { findOrganization } from '../organizations/organizations.queries.js';
import { pageById, type Page, type PageRequest } from '../pagination.js';
import type { Principal } from '../principal.js';
import {
  deleteRole,
  deleteRoleMembership,
  findRole,
  findRoleMembership,
  insertRole,
  insertRoleMembership,
  listRoles,
  membershipsOfRoles,
  updateRole,
  type RoleMembershipRow,
  type RoleRow,
} from './roles.queries.js';
import type { CreateRoleInput, PatchRoleInput, Role, RoleMembership } from './roles.schemas.js';

const duplicateName = (name: string) => conflict(`name: there is already a role named "${name}".`, 'unique', 'name');

export function createRolesService(deps: { db: Db; clock: Clock; ids: Ids; activities: ActivityRecorder }) {
  const { db, clock, ids, activities } = deps;

  async function withMembers(rows: RoleRow[]): Promise<Role[]> {
    const memberships = await membershipsOfRoles(db, rows.map((row) => row.id));
    return rows.map((row) => toRole(row, memberships.filter((membership) => membership.role_id === row.id)));
  }

  /** Role writes run with the organization row locked, so names and grants change one at a time. */
  async function write<T>(organizationId: string, work: (trx: Db) => Promise<T>): Promise<T> {
    return db.transaction().execute(async (trx) => {
      if (!(await findOrganization(trx, organizationId, { forUpdate: true }))) throw notFound('Organization', organizationId);
      return work(trx);
    });
  }

  async function get(principal: Principal, organizationId: string, id: string): Promise<Role> {
    await requireOrganizationAccess(db, principal, organizationId, 'read');
    const row = await findRole(db, organizationId, id);
    if (!row) throw notFound('Role', id);
    return (await withMembers([row]))[0]!;
  }

  return {
    async list(principal: Principal, organizationId: string, page: PageRequest): Promise<Page<Role>> {
      await requireReadableOrganization(db, principal, organizationId);
      const result = await pageById(page, (afterId, limit) => listRoles(db, organizationId, afterId, limit), (row) => row);
      return { items: await withMembers(result.items), nextCursor: result.nextCursor };
    },

    get,

    async create(principal: Principal, organizationId: string, input: CreateRoleInput): Promise<Role> {
      await requireOrganizationAccess(db, principal, organizationId, 'admin');
      const name = requireNonBlankName(input.name);
      const row = await write(organizationId, async (trx) => {
        const now = clock.now();
        const created = await insertRole(trx, {
          id: ids.uuid(),
          organization_id: organizationId,
          name,
          permissions: input.permissions ?? [],
          created_by: principal.kind === 'personal_key' ? principal.userId : null,
          created_at: now,
          updated_at: now,
        }).catch((error: unknown) => {
          throw isUniqueViolation(error) ? duplicateName(name) : error;
        });
        await activities.record(trx, principal.actor, [
          { type: 'role_create', organizationId, targetId: created.id, changes: { name: { old: null, new: name }, permissions: { old: null, new: created.permissions } } },
        ]);
        return created;
      });
      return toRole(row, []);
    },

    async update(principal: Principal, organizationId: string, id: string, patch: PatchRoleInput): Promise<Role> {
      await requireOrganizationAccess(db, principal, organizationId, 'admin');
      const name = patch.name === undefined ? undefined : requireNonBlankName(patch.name);
      const row = await write(organizationId, async (trx) => {
        const current = await findRole(trx, organizationId, id, { forUpdate: true });
        if (!current) throw notFound('Role', id);
        const next = { name: name ?? current.name, permissions: patch.permissions ?? current.permissions };
        const changes: Record<string, { old: unknown; new: unknown }> = {};
        if (next.name !== current.name) changes.name = { old: current.name, new: next.name };
        if ([...next.permissions].sort().join() !== [...current.permissions].sort().join()) {
          changes.permissions = { old: current.permissions, new: next.permissions };
        }
        if (Object.keys(changes).length === 0) return current;
        const updated = await updateRole(trx, id, { ...next, updated_at: clock.now() }).catch((error: unknown) => {
          throw isUniqueViolation(error) ? duplicateName(next.name) : error;
        });
        await activities.record(trx, principal.actor, [{ type: 'role_update', organizationId, targetId: id, changes }]);
        return updated;
      });
      return (await withMembers([row]))[0]!;
    },

    async delete(principal: Principal, organizationId: string, id: string): Promise<void> {
      await requireOrganizationAccess(db, principal, organizationId, 'admin');
      await write(organizationId, async (trx) => {
        const current = await findRole(trx, organizationId, id, { forUpdate: true });
        if (!current) throw notFound('Role', id);
        await deleteRole(trx, id);
        await activities.record(trx, principal.actor, [
          { type: 'role_delete', organizationId, targetId: id, changes: { name: { old: current.name, new: null } } },
        ]);
      });
    },

    async listMembers(principal: Principal, organizationId: string, roleId: string): Promise<RoleMembership[]> {
      return (await get(principal, organizationId, roleId)).members;
    },

    /** Grants the role to a member of the same organization (only). */
    async addMember(principal: Principal, organizationId: string, roleId: string, userId: string): Promise<RoleMembership> {
      await requireOrganizationAccess(db, principal, organizationId, 'admin');
      const row = await write(organizationId, async (trx) => {
        const role = await findRole(trx, organizationId, roleId);
        if (!role) throw notFound('Role', roleId);
        if (!(await findMember(trx, organizationId, userId))) {
          throw invalid('userId', `userId: ${userId} is not a member of this organization`, 'not_a_member');
        }
        const now = clock.now();
        const created = await insertRoleMembership(trx, {
          id: ids.uuid(),
          role_id: roleId,
          organization_id: organizationId,
          user_id: userId,
          joined_at: now,
          updated_at: now,
        }).catch((error: unknown) => {
          throw isUniqueViolation(error) ? conflict('The user is already part of the role.', 'already_in_role', 'userId') : error;
        });
        await activities.record(trx, principal.actor, [
          { type: 'organization_member_update_roles', organizationId, targetId: userId, changes: { roles: { old: null, new: role.name } } },
        ]);
        return created;
      });
      return toRoleMembership(row);
    },

    async removeMember(principal: Principal, organizationId: string, roleId: string, membershipId: string): Promise<void> {
      await requireOrganizationAccess(db, principal, organizationId, 'admin');
      await write(organizationId, async (trx) => {
        const role = await findRole(trx, organizationId, roleId);
        if (!role) throw notFound('Role', roleId);
        const membership = await findRoleMembership(trx, roleId, membershipId);
        if (!membership) throw notFound('Role membership', membershipId);
        await deleteRoleMembership(trx, membershipId);
        await activities.record(trx, principal.actor, [
          { type: 'organization_member_remove_roles', organizationId, targetId: membership.user_id, changes: { roles: { old: role.name, new: null } } },
        ]);
      });
    },
  };
}

export type RolesService = ReturnType<typeof createRolesService>;

export function toRoleMembership(row: RoleMembershipRow): RoleMembership {
  return { id: row.id, roleId: row.role_id, userId: row.user_id, joinedAt: row.joined_at.toISOString() };
}

export function toRole(row: RoleRow, memberships: RoleMembershipRow[]): Role {
  return {
    id: row.id,
    name: row.name,
    permissions: row.permissions,
    createdAt: row.created_at.toISOString(),
    createdBy: row.created_by,
    members: memberships.map(toRoleMembership),
  };
}
