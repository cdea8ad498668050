/**
 * Invitations: an admin invites an address at a level (never above their own); the user with
 * that address accepts with their personal key and becomes a member. Acceptance locks the
 * invitation row, so two concurrent accepts make one membership.
 */
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { Ids } from '../../ids.js';
import { LEVEL, requireOrganizationAccess, requireReadableOrganization, requireScope } from '../access.js';
import type { ActivityRecorder } from '../activities/activity-recorder.js';
import { conflict, forbidden, invalid, notFound } from '../errors.js';
import { requireWithinLicense } from '../licenses/limits.js';
import { findOrganization } from '../organizations/organizations.queries.js';
import { pageById, sliceBounds, toSlice, type Page, type PageRequest, type Slice, type SliceRequest } from '../pagination.js';
import type { Principal } from '../principal.js';
import { findUser } from '../users/users.queries.js';
import {
  deleteInvitation,
  deletePending,
  findInvitation,
  findInvitationRecord,
  insertInvitation,
  listInvitations,
  markAccepted,
  memberWithEmail,
  pendingInvitationCount,
  slicePendingInvitations,
  toInvitationRecord,
  type InvitationRecord,
} from './invitations.queries.js';
import { findMember, insertMembership, toMemberRecord, type MemberRecord } from './memberships.queries.js';
import { INVITATION_VALIDITY_DAYS, levelOfRole, roleOfLevel, type InvitationDraft } from './memberships.schemas.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export function createInvitationsService(deps: { db: Db; clock: Clock; ids: Ids; activities: ActivityRecorder }) {
  const { db, clock, ids, activities } = deps;

  return {
    async list(principal: Principal, organizationId: string, page: PageRequest): Promise<Page<InvitationRecord>> {
      await requireReadableOrganization(db, principal, organizationId, 'organization_member');
      const now = clock.now();
      return pageById(page, (afterId, limit) => listInvitations(db, organizationId, afterId, limit, now), (record) => record);
    },

    /** Pending invitations, newest first, as an offset slice with the total. */
    async slicePending(principal: Principal, organizationId: string, request: SliceRequest): Promise<Slice<InvitationRecord>> {
      await requireReadableOrganization(db, principal, organizationId, 'organization_member');
      const rows = await slicePendingInvitations(db, organizationId, sliceBounds(request));
      const now = clock.now();
      return toSlice(rows, () => pendingInvitationCount(db, organizationId), (row) => toInvitationRecord(row, now));
    },

    async get(principal: Principal, organizationId: string, id: string): Promise<InvitationRecord> {
      await requireOrganizationAccess(db, principal, organizationId, 'read', 'organization_member');
      const record = await findInvitationRecord(db, organizationId, id, clock.now());
      if (!record) throw notFound('Invitation', id);
      return record;
    },

    async create(principal: Principal, organizationId: string, input: InvitationDraft): Promise<InvitationRecord> {
      const requester = (await requireOrganizationAccess(db, principal, organizationId, 'admin', 'organization_member')).level;
      const level = input.level ?? levelOfRole(input.role ?? 'developer');
      if (input.level !== undefined && input.role !== undefined && roleOfLevel(input.level) !== input.role) {
        throw invalid('role', `role ${input.role} does not match level ${input.level}: give one of them`);
      }
      if (level === LEVEL.owner && requester < LEVEL.owner) {
        throw forbidden("You can only invite an owner if you're this organization's owner.", 'owner_required');
      }
      if (level > requester) throw forbidden('You can only invite at a level lower or equal to your own.', 'level_too_high');
      const email = input.email.trim().toLowerCase();
      try {
        return await db.transaction().execute(async (trx) => {
          if (!(await findOrganization(trx, organizationId, { forUpdate: true }))) throw notFound('Organization', organizationId);
          if (await memberWithEmail(trx, organizationId, email)) {
            throw conflict(`email: ${email} is already a member of this organization.`, 'already_member', 'email');
          }
          const now = clock.now();
          // Replaced (or expired) invitations leave the trail like revoked ones.
          const replaced = await deletePending(trx, organizationId, email, input.replacePending ? {} : { expiredBefore: now });
          const row = await insertInvitation(trx, {
            id: ids.uuid(),
            organization_id: organizationId,
            email,
            level,
            first_name: input.firstName?.trim() ?? '',
            message: input.message ?? null,
            created_by: principal.kind === 'personal_key' ? principal.userId : null,
            created_at: now,
            updated_at: now,
            expire_at: new Date(now.getTime() + INVITATION_VALIDITY_DAYS * DAY_MS),
          });
          await activities.record(trx, principal.actor, [
            ...replaced.map((id) => ({ type: 'organization_invite_delete' as const, organizationId, targetId: id, changes: { email: { old: email, new: null } } })),
            { type: 'organization_invite_create', organizationId, targetId: row.id, changes: { email: { old: null, new: email }, level: { old: null, new: level } } },
          ]);
          return (await findInvitationRecord(trx, organizationId, row.id, now))!;
        });
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw conflict(`email: ${email} already has a pending invitation to this organization.`, 'invitation_exists', 'email');
        }
        throw error;
      }
    },

    async delete(principal: Principal, organizationId: string, id: string): Promise<void> {
      await requireOrganizationAccess(db, principal, organizationId, 'admin', 'organization_member');
      await db.transaction().execute(async (trx) => {
        const row = await findInvitation(trx, id, { organizationId, forUpdate: true });
        if (!row) throw notFound('Invitation', id);
        // An accepted invitation is the record of how the member joined: it stays.
        if (row.accepted_at !== null) throw conflict('This invitation has already been used: it cannot be revoked.', 'invitation_used');
        await deleteInvitation(trx, id);
        await activities.record(trx, principal.actor, [
          { type: 'organization_invite_delete', organizationId, targetId: id, changes: { email: { old: row.email, new: null } } },
        ]);
      });
    },

    /** The invited user accepts with their personal key; they join at the invitation's level. */
    async accept(principal: Principal, id: string): Promise<MemberRecord> {
      if (principal.kind !== 'personal_key') {
        throw forbidden("Accept an invitation with the invited user's personal API key.", 'personal_key_required');
      }
      requireScope(principal, 'organization_member:write');
      const user = await findUser(db, principal.userId);
      if (!user) throw notFound('Invitation', id);
      return db.transaction().execute(async (trx) => {
        const invitation = await findInvitation(trx, id, { forUpdate: true });
        // Someone else's invitation is not revealed to exist.
        if (!invitation || invitation.email !== user.email.toLowerCase()) throw notFound('Invitation', id);
        // Locked: concurrent joins queue up behind one count of the members the license allows.
        if (!(await findOrganization(trx, invitation.organization_id, { forUpdate: true }))) throw notFound('Invitation', id);
        if (invitation.accepted_at !== null) throw conflict('This invitation has already been used.', 'invitation_used');
        const now = clock.now();
        if (invitation.expire_at <= now) throw conflict('This invitation has expired: ask for a new one.', 'invitation_expired');
        await requireWithinLicense(trx, invitation.organization_id, 'members');
        const joined = await insertMembership(trx, {
          id: ids.uuid(),
          organization_id: invitation.organization_id,
          user_id: user.id,
          level: invitation.level,
          joined_at: now,
          updated_at: now,
        });
        if (!joined) throw conflict('You are already a member of this organization.', 'already_member');
        await markAccepted(trx, id, user.id, now);
        await activities.record(trx, principal.actor, [
          {
            type: 'organization_member_join',
            organizationId: invitation.organization_id,
            targetId: user.id,
            changes: { level: { old: null, new: invitation.level } },
          },
        ]);
        const member = await findMember(trx, invitation.organization_id, user.id);
        return toMemberRecord(member!);
      });
    },
  };
}

export type InvitationsService = ReturnType<typeof createInvitationsService>;
