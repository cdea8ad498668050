/**
 * The first member of an organization provisioned for someone else (Locktera's "provision
 * organization with a new user"): the user with the given email, created when there is none.
 * A user who already exists joins directly only when the operator asks, or when they already
 * belong to the parent's tree; anyone else's account is not the caller's to enrol, so they get an
 * invitation at that level instead (accepting is theirs to do, as for every invitation).
 */
import type { Db } from '../../db/database.js';
import type { Ids } from '../../ids.js';
import type { ActivityInput } from '../activities/activity-recorder.js';
import { insertInvitation } from '../memberships/invitations.queries.js';
import { INVITATION_VALIDITY_DAYS } from '../memberships/memberships.schemas.js';
import type { Principal } from '../principal.js';
import { findOrCreateUserByEmail, isMemberOfTree } from '../users/users.queries.js';

const DAY_MS = 86_400_000;

export interface FirstMemberInput {
  email: string;
  firstName: string;
  lastName: string;
  level: number;
}

/** The member to add (or null), and the activities of an invitation made instead. */
export async function provisionFirstMember(
  trx: Db,
  ids: Ids,
  principal: Principal,
  where: { organizationId: string; parentId: string | null },
  owner: FirstMemberInput,
  now: Date,
): Promise<{ member: { userId: string; level: number } | null; invited: ActivityInput[] }> {
  const { user, created } = await findOrCreateUserByEmail(trx, {
    id: ids.uuid(),
    email: owner.email,
    first_name: owner.firstName.trim(),
    last_name: owner.lastName.trim(),
    created_at: now,
    updated_at: now,
  });
  if (created || principal.kind === 'root' || (where.parentId !== null && (await isMemberOfTree(trx, user.id, where.parentId)))) {
    return { member: { userId: user.id, level: owner.level }, invited: [] };
  }
  const invitation = await insertInvitation(trx, {
    id: ids.uuid(),
    organization_id: where.organizationId,
    email: user.email,
    level: owner.level,
    first_name: owner.firstName.trim(),
    message: null,
    created_by: principal.kind === 'personal_key' ? principal.userId : null,
    created_at: now,
    updated_at: now,
    expire_at: new Date(now.getTime() + INVITATION_VALIDITY_DAYS * DAY_MS),
  });
  const changes = { email: { old: null, new: user.email }, level: { old: null, new: owner.level } };
  return { member: null, invited: [{ type: 'organization_invite_create', organizationId: where.organizationId, targetId: invitation.id, changes }] };
}
