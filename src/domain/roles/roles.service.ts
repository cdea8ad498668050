/**
 * Custom roles: named sets of permissions in one organization, granted to its members. A member
 * whose roles grant `<object>:write` may do that object's admin-gated actions (see access.ts).
 * Reading roles needs organization read access; changing them, admin access to the organization.
 */
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import { foreignKeyViolation, isUniqueViolation } from '../../db/errors.js';
import type { Ids } from '../../ids.js';
import { hasScope, LEVEL, requireOrganizationAccess, requireReadableOrganization, type Grant } from '../access.js';
import type { Scope } from '../principal.js';
import type { ActivityRecorder } from '../activities/activity-recorder.js';
import { conflict, forbidden, invalid, notFound } from '../errors.js';
import { toMemberRecord } from '../memberships/memberships.queries.js';
import { requireNonBlankName } from '../names.js';
import { findOrganization } from '../organizations/organizations.queries.js';
import { pageById, sliceBounds, toSlice, type Page, type PageRequest, type Slice, type SliceRequest } from '../pagination.js';
import type { Principal } from '../principal.js';
import {
  deleteRole,
  deleteRoleMembership,
  findRole,
  findRoleMembership,
  findRoleWithCreator,
  grantRoleAudited,
  insertRole,
  listRoles,
  membershipsOfRoles,
  roleCount,
  roleMembershipCount,
  sliceRoleMemberships,
  sliceRoles,
  toRoleRecord,
  updateRole,
  type RoleMembershipRecord,
  type RoleRecord,
} from './roles.queries.js';
import type { CreateRoleInput, PatchRoleInput } from './roles.schemas.js';

/**
 * Below admin level, a member manages roles only through a role of their own granting
 * `organization:write`; they may not make, change, grant or revoke a role carrying a permission
 * they do not hold, or a member could hand themself `organization_member:write`.
 */
function requireHeld(requester: Grant, permissions: readonly string[]): void {
  if (requester.level >= LEVEL.admin) return;
  const missing = permissions.find((permission) => !hasScope(requester.permissions as Scope[], permission as Scope));
  if (missing !== undefined) {
    throw forbidden(`You can only manage roles within your own permissions: you do not hold ${missing}.`, 'permission_escalation');
  }
}

const notAMember = (userId: string) => invalid('userId', `userId: ${userId} is not a member of this organization`, 'not_a_member');
const duplicateName = (name: string) => conflict(`name: there is already a role named "${name}".`, 'unique', 'name');

export function createRolesService(deps: { db: Db; clock: Clock; ids: Ids; activities: ActivityRecorder }) {
  const { db, clock, ids, activities } = deps;

  async function withMembers(rows: Parameters<typeof toRoleRecord>[0][], executor: Db = db): Promise<RoleRecord[]> {
    const memberships = await membershipsOfRoles(executor, rows.map((row) => row.id));
    return rows.map((row) => toRoleRecord(row, memberships.filter((membership) => membership.roleId === row.id)));
  }

  /** The role as it is now; after a change, read inside its transaction (a later delete cannot turn the success into a 404). */
  async function current(executor: Db, organizationId: string, id: string): Promise<RoleRecord> {
    const row = await findRoleWithCreator(executor, organizationId, id);
    if (!row) throw notFound('Role', id);
    return (await withMembers([row], executor))[0]!;
  }

  /**
   * Role changes run with the organization row locked, so names change one at a time. (Grants are
   * one statement each: the unique (role, user) index and the foreign keys keep them consistent.)
   */
  async function write<T>(organizationId: string, work: (trx: Db) => Promise<T>): Promise<T> {
    return db.transaction().execute(async (trx) => {
      if (!(await findOrganization(trx, organizationId, { forUpdate: true }))) throw notFound('Organization', organizationId);
      return work(trx);
    });
  }

  async function get(principal: Principal, organizationId: string, id: string): Promise<RoleRecord> {
    await requireOrganizationAccess(db, principal, organizationId, 'read');
    return current(db, organizationId, id);
  }

  return {
    async list(principal: Principal, organizationId: string, page: PageRequest): Promise<Page<RoleRecord>> {
      await requireReadableOrganization(db, principal, organizationId);
      const result = await pageById(page, (afterId, limit) => listRoles(db, organizationId, afterId, limit), (row) => row);
      return { items: await withMembers(result.items), nextCursor: result.nextCursor };
    },

    /** Roles in creation order, as an offset slice with the total. */
    async slice(principal: Principal, organizationId: string, request: SliceRequest): Promise<Slice<RoleRecord>> {
      await requireReadableOrganization(db, principal, organizationId);
      const rows = await sliceRoles(db, organizationId, sliceBounds(request));
      const result = await toSlice(rows, () => roleCount(db, organizationId), (row) => row);
      return { items: await withMembers(result.items), count: result.count };
    },

    get,

    async create(principal: Principal, organizationId: string, input: CreateRoleInput): Promise<RoleRecord> {
      const requester = await requireOrganizationAccess(db, principal, organizationId, 'admin');
      requireHeld(requester, input.permissions ?? []);
      const name = requireNonBlankName(input.name);
      return write(organizationId, async (trx) => {
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
        return current(trx, organizationId, created.id);
      });
    },

    async update(principal: Principal, organizationId: string, id: string, patch: PatchRoleInput): Promise<RoleRecord> {
      const requester = await requireOrganizationAccess(db, principal, organizationId, 'admin');
      const name = patch.name === undefined ? undefined : requireNonBlankName(patch.name);
      return write(organizationId, async (trx) => {
        const before = await findRole(trx, organizationId, id, { forUpdate: true });
        if (!before) throw notFound('Role', id);
        requireHeld(requester, [...before.permissions, ...(patch.permissions ?? [])]);
        const next = { name: name ?? before.name, permissions: patch.permissions ?? before.permissions };
        const changes: Record<string, { old: unknown; new: unknown }> = {};
        if (next.name !== before.name) changes.name = { old: before.name, new: next.name };
        if ([...next.permissions].sort().join() !== [...before.permissions].sort().join()) {
          changes.permissions = { old: before.permissions, new: next.permissions };
        }
        if (Object.keys(changes).length > 0) {
          await updateRole(trx, id, { ...next, updated_at: clock.now() }).catch((error: unknown) => {
            throw isUniqueViolation(error) ? duplicateName(next.name) : error;
          });
          await activities.record(trx, principal.actor, [{ type: 'role_update', organizationId, targetId: id, changes }]);
        }
        return current(trx, organizationId, id);
      });
    },

    async delete(principal: Principal, organizationId: string, id: string): Promise<void> {
      const requester = await requireOrganizationAccess(db, principal, organizationId, 'admin');
      await write(organizationId, async (trx) => {
        const current = await findRole(trx, organizationId, id, { forUpdate: true });
        if (!current) throw notFound('Role', id);
        requireHeld(requester, current.permissions);
        await deleteRole(trx, id);
        await activities.record(trx, principal.actor, [
          { type: 'role_delete', organizationId, targetId: id, changes: { name: { old: current.name, new: null } } },
        ]);
      });
    },

    async listMembers(principal: Principal, organizationId: string, roleId: string): Promise<RoleMembershipRecord[]> {
      return (await get(principal, organizationId, roleId)).members;
    },

    /** Grants of one role, oldest first, as an offset slice with the total. */
    async sliceMembers(principal: Principal, organizationId: string, roleId: string, request: SliceRequest): Promise<Slice<RoleMembershipRecord>> {
      await requireOrganizationAccess(db, principal, organizationId, 'read');
      if (!(await findRole(db, organizationId, roleId))) throw notFound('Role', roleId);
      const rows = await sliceRoleMemberships(db, roleId, sliceBounds(request));
      return toSlice(rows, () => roleMembershipCount(db, roleId), ({ total: _total, ...record }) => record);
    },

    async getMember(principal: Principal, organizationId: string, roleId: string, membershipId: string): Promise<RoleMembershipRecord> {
      await requireOrganizationAccess(db, principal, organizationId, 'read');
      if (!(await findRole(db, organizationId, roleId))) throw notFound('Role', roleId);
      const record = await findRoleMembership(db, roleId, membershipId);
      if (!record) throw notFound('Role membership', membershipId);
      return record;
    },

    /** Grants the role to a member of the same organization (only), in one statement with its activity. */
    async addMember(principal: Principal, organizationId: string, roleId: string, userId: string): Promise<RoleMembershipRecord> {
      const requester = await requireOrganizationAccess(db, principal, organizationId, 'admin');
      // Admins grant any role in one statement; a member acting through a role first shows it
      // holds everything the granted role would give.
      if (requester.level < LEVEL.admin) {
        const role = await findRole(db, organizationId, roleId);
        if (!role) throw notFound('Role', roleId);
        requireHeld(requester, role.permissions);
      }
      const now = clock.now();
      const outcome = await grantRoleAudited(db, {
        id: ids.uuid(),
        roleId,
        organizationId,
        userId,
        now,
        actor: principal.actor,
        activityId: ids.uuid(),
      }).catch((error: unknown) => {
        // The role or the membership was deleted while the grant was being written.
        const violation = foreignKeyViolation(error);
        if (violation?.constraint === 'role_memberships_membership_fkey') throw notAMember(userId);
        throw violation ? notFound('Role', roleId) : error;
      });
      if (outcome.roleName === null) throw notFound('Role', roleId);
      if (outcome.member === null) throw notAMember(userId);
      if (outcome.grant === null) throw conflict('The user is already part of the role.', 'already_in_role', 'userId');
      return { id: outcome.grant.id, roleId, member: toMemberRecord(outcome.member), joinedAt: outcome.grant.joinedAt, updatedAt: outcome.grant.updatedAt };
    },

    async removeMember(principal: Principal, organizationId: string, roleId: string, membershipId: string): Promise<void> {
      const requester = await requireOrganizationAccess(db, principal, organizationId, 'admin');
      await write(organizationId, async (trx) => {
        const role = await findRole(trx, organizationId, roleId);
        if (!role) throw notFound('Role', roleId);
        requireHeld(requester, role.permissions);
        const membership = await findRoleMembership(trx, roleId, membershipId);
        if (!membership) throw notFound('Role membership', membershipId);
        await deleteRoleMembership(trx, membershipId);
        await activities.record(trx, principal.actor, [
          { type: 'organization_member_remove_roles', organizationId, targetId: membership.member.user.id, changes: { roles: { old: role.name, new: null } } },
        ]);
      });
    },
  };
}

export type RolesService = ReturnType<typeof createRolesService>;
