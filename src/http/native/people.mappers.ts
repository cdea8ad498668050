/** Domain records of people (members, invitations, roles) in the native (ClickHouse-style) shapes. */
import type { InvitationRecord } from '../../domain/memberships/invitations.queries.js';
import type { MemberRecord } from '../../domain/memberships/memberships.queries.js';
import { roleOfLevel, type Invitation, type Member } from '../../domain/memberships/memberships.schemas.js';
import type { RoleMembershipRecord, RoleRecord } from '../../domain/roles/roles.queries.js';
import type { Role, RoleMembership } from '../../domain/roles/roles.schemas.js';

export function toMember(record: MemberRecord): Member {
  const name = `${record.user.firstName} ${record.user.lastName}`.trim();
  return {
    userId: record.user.id,
    name: name === '' ? record.user.email : name,
    email: record.user.email,
    role: roleOfLevel(record.level),
    level: record.level,
    joinedAt: record.joinedAt.toISOString(),
  };
}

export function toInvitation(record: InvitationRecord): Invitation {
  return {
    id: record.id,
    email: record.email,
    role: roleOfLevel(record.level),
    level: record.level,
    createdAt: record.createdAt.toISOString(),
    expireAt: record.expireAt.toISOString(),
    ...(record.acceptedAt !== null && { acceptedAt: record.acceptedAt.toISOString() }),
  };
}

export const toRoleMembership = (record: RoleMembershipRecord): RoleMembership => ({
  id: record.id,
  roleId: record.roleId,
  userId: record.member.user.id,
  joinedAt: record.joinedAt.toISOString(),
});

export const toRole = (record: RoleRecord): Role => ({
  id: record.id,
  name: record.name,
  permissions: record.permissions,
  createdAt: record.createdAt.toISOString(),
  createdBy: record.createdBy?.id ?? null,
  members: record.members.map(toRoleMembership),
});
