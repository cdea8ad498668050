/**
 * Members of an organization and the rules for changing them (PostHog's, with their messages):
 * nobody changes their own level, nobody raises anyone above their own level, only admins edit
 * others, and an organization that has an owner always keeps one. Membership changes lock the
 * organization row, so the owner count cannot change under a concurrent request.
 */
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import type { Ids } from '../../ids.js';
import { actsAsAdmin, type Grant, LEVEL, requireOrganizationAccess, requireReadableOrganization, requireRoot, requireWriteScope } from '../access.js';
import type { ActivityRecorder } from '../activities/activity-recorder.js';
import { conflict, forbidden, invalid, notFound } from '../errors.js';
import { findOrganization } from '../organizations/organizations.queries.js';
import { decodeCursor, pageSize, sliceBounds, toPage, toSlice, type Page, type PageRequest, type Slice, type SliceRequest } from '../pagination.js';
import type { Principal } from '../principal.js';
import {
  countOwners,
  deleteMembership,
  findMember,
  insertMembership,
  listMembers,
  memberAccess,
  memberCount,
  sliceMembers,
  toMemberRecord,
  updateMembershipLevel,
  type MemberRecord,
  type MemberRow,
} from './memberships.queries.js';
import { requireWithinLicense } from '../licenses/limits.js';
import { findUser } from '../users/users.queries.js';
import { levelOfRole, roleOfLevel, type AddMemberInput, type PatchMemberInput } from './memberships.schemas.js';

const isSelf = (principal: Principal, userId: string) => principal.kind === 'personal_key' && principal.userId === userId;

export function createMembershipsService(deps: { db: Db; clock: Clock; ids: Ids; activities: ActivityRecorder }) {
  const { db, clock, ids, activities } = deps;

  /**
   * Runs a membership change with the organization row locked; 404 when it or the member is gone.
   * The requester's own grant is read again under the lock: a level checked before it could have
   * been lowered by a concurrent request, and the rules must judge the current one.
   */
  async function change<T>(
    principal: Principal,
    checked: Grant,
    organizationId: string,
    userId: string,
    work: (trx: Db, target: MemberRow, requester: Grant) => Promise<T>,
  ): Promise<T> {
    return db.transaction().execute(async (trx) => {
      if (!(await findOrganization(trx, organizationId, { forUpdate: true }))) throw notFound('Organization', organizationId);
      const requester = principal.kind === 'personal_key' ? await memberAccess(trx, organizationId, principal.userId) : checked;
      if (!requester) throw notFound('Organization', organizationId);
      const target = await findMember(trx, organizationId, userId);
      if (!target) throw notFound('Member', userId);
      return work(trx, target, requester);
    });
  }

  /**
   * Member changes are judged by the level rules below, which a member may pass (leaving); so a
   * personal key needs only the write scope here. Keys of the organization are not members: only
   * an admin key changes members. The scope is checked first, as PostHog does.
   */
  async function requireMemberWriter(principal: Principal, organizationId: string): Promise<Grant> {
    if (principal.kind !== 'personal_key') return requireOrganizationAccess(db, principal, organizationId, 'admin', 'organization_member');
    requireWriteScope(principal, 'organization_member');
    return requireOrganizationAccess(db, principal, organizationId, 'read', 'organization_member');
  }

  async function requireOwnerRemains(trx: Db, organizationId: string, target: MemberRow, newLevel: number | null) {
    if (target.level === LEVEL.owner && (newLevel === null || newLevel < LEVEL.owner) && (await countOwners(trx, organizationId)) <= 1) {
      throw conflict('An organization must keep at least one owner: make someone else owner first.', 'last_owner');
    }
  }

  return {
    async list(principal: Principal, organizationId: string, page: PageRequest): Promise<Page<MemberRecord>> {
      await requireReadableOrganization(db, principal, organizationId, 'organization_member');
      const limit = pageSize(page);
      const after = page.cursor ? decodeCursor(page.cursor, ['timestamp', 'uuid']) : undefined;
      const rows = await listMembers(db, organizationId, after && { joinedAt: after[0], userId: after[1] }, limit + 1);
      const result = toPage(rows, limit, (row) => [row.joined_at.toISOString(), row.user_id]);
      return { items: result.items.map(toMemberRecord), nextCursor: result.nextCursor };
    },

    /** Members by join date, newest first unless asked otherwise, as an offset slice with the total. */
    async slice(
      principal: Principal,
      organizationId: string,
      request: SliceRequest & { oldestFirst?: boolean | undefined },
    ): Promise<Slice<MemberRecord>> {
      await requireReadableOrganization(db, principal, organizationId, 'organization_member');
      const rows = await sliceMembers(db, organizationId, { ...sliceBounds(request), newestFirst: !request.oldestFirst });
      return toSlice(rows, () => memberCount(db, organizationId), toMemberRecord);
    },

    async get(principal: Principal, organizationId: string, userId: string): Promise<MemberRecord> {
      await requireOrganizationAccess(db, principal, organizationId, 'read', 'organization_member');
      const row = await findMember(db, organizationId, userId);
      if (!row) throw notFound('Member', userId);
      return toMemberRecord(row);
    },

    async update(principal: Principal, organizationId: string, userId: string, patch: PatchMemberInput): Promise<MemberRecord> {
      const checked = await requireMemberWriter(principal, organizationId);
      const level = newLevel(patch);
      return change(principal, checked, organizationId, userId, async (trx, target, requester) => {
        if (isSelf(principal, userId)) throw forbidden("You can't change your own access level.", 'own_level');
        if (level === LEVEL.owner && requester.level < LEVEL.owner) {
          throw forbidden("You can only make another member owner if you're this organization's owner.", 'owner_required');
        }
        if (level > requester.level) {
          throw forbidden('You can only change access level of others to lower or equal to your current one.', 'level_too_high');
        }
        if (!actsAsAdmin(requester, 'organization_member')) {
          throw forbidden('You can only edit others if you are an admin.', 'admin_level_required');
        }
        if (target.level > requester.level) {
          throw forbidden('You can only edit others with level lower or equal to you.', 'target_level_too_high');
        }
        if (target.level === level) return toMemberRecord(target);
        await requireOwnerRemains(trx, organizationId, target, level);
        const now = clock.now();
        await updateMembershipLevel(trx, organizationId, userId, level, now);
        await activities.record(trx, principal.actor, [
          {
            type: 'organization_member_update_role',
            organizationId,
            targetId: userId,
            changes: { level: { old: target.level, new: level }, role: { old: roleOfLevel(target.level), new: roleOfLevel(level) } },
          },
        ]);
        return toMemberRecord({ ...target, level, updated_at: now });
      });
    },

    /**
     * The operator adds an existing user directly (provisioning, e.g. an organization's first
     * owner); everyone else joins by accepting an invitation, which needs the user's consent.
     */
    async add(principal: Principal, organizationId: string, input: AddMemberInput): Promise<MemberRecord> {
      requireRoot(principal);
      const level = input.level === undefined && input.role === undefined ? LEVEL.member : newLevel(input);
      return db.transaction().execute(async (trx) => {
        if (!(await findOrganization(trx, organizationId, { forUpdate: true }))) throw notFound('Organization', organizationId);
        if (!(await findUser(trx, input.userId))) throw invalid('userId', `userId: no user ${input.userId}`, 'unknown_user');
        if (await findMember(trx, organizationId, input.userId)) {
          throw conflict('userId: the user is already a member of this organization.', 'already_member', 'userId');
        }
        await requireWithinLicense(trx, organizationId, 'members');
        const now = clock.now();
        const added = await insertMembership(trx, {
          id: ids.uuid(),
          organization_id: organizationId,
          user_id: input.userId,
          level,
          joined_at: now,
          updated_at: now,
        });
        if (!added) throw conflict('userId: the user is already a member of this organization.', 'already_member', 'userId');
        await activities.record(trx, principal.actor, [
          { type: 'organization_member_add', organizationId, targetId: input.userId, changes: { level: { old: null, new: level } } },
        ]);
        return toMemberRecord((await findMember(trx, organizationId, input.userId))!);
      });
    },

    /** Removes a member; a member may remove themself (leave), admins may remove those at or below them. */
    async remove(principal: Principal, organizationId: string, userId: string): Promise<void> {
      const checked = await requireMemberWriter(principal, organizationId);
      const leaving = isSelf(principal, userId);
      await change(principal, checked, organizationId, userId, async (trx, target, requester) => {
        if (!leaving && !actsAsAdmin(requester, 'organization_member')) {
          throw forbidden('You can only remove others if you are an admin.', 'admin_level_required');
        }
        if (!leaving && target.level > requester.level) {
          throw forbidden('You can only remove others with level lower or equal to you.', 'target_level_too_high');
        }
        await requireOwnerRemains(trx, organizationId, target, null);
        await deleteMembership(trx, organizationId, userId);
        await activities.record(trx, principal.actor, [
          {
            type: leaving ? 'organization_member_leave' : 'organization_member_delete',
            organizationId,
            targetId: userId,
            changes: { level: { old: target.level, new: null } },
          },
        ]);
      });
    },
  };
}

export type MembershipsService = ReturnType<typeof createMembershipsService>;

function newLevel(patch: PatchMemberInput): number {
  if (patch.level !== undefined && patch.role !== undefined && roleOfLevel(patch.level) !== patch.role) {
    throw invalid('role', `role ${patch.role} does not match level ${patch.level}: give one of them`);
  }
  if (patch.level !== undefined) return patch.level;
  if (patch.role !== undefined) return levelOfRole(patch.role);
  throw invalid('role', 'role (admin or developer) or level (1, 8 or 15) is required');
}
