/** Domain records in PostHog's shapes, and DRF's limit/offset page around them. */
import type { FastifyRequest } from 'fastify';
import type { InvitationRecord } from '../../../domain/memberships/invitations.queries.js';
import type { MemberRecord } from '../../../domain/memberships/memberships.queries.js';
import type { Slice } from '../../../domain/pagination.js';
import { DEFAULT_PAGE_SIZE } from '../../../domain/pagination.js';
import type { RoleMembershipRecord, RoleRecord } from '../../../domain/roles/roles.queries.js';
import type { UserSummary } from '../../../domain/users/user-summary.js';

// Orgbase keeps no distinct ids, email verification, hedgehogs, job roles, second factors,
// social logins or logins (keys, not sessions): those fields are null or false.
export const toUserBasic = (user: UserSummary) => ({
  id: user.number,
  uuid: user.id,
  distinct_id: null,
  first_name: user.firstName,
  last_name: user.lastName,
  email: user.email,
  is_email_verified: null,
  hedgehog_config: null,
  role_at_organization: null,
});

export const toOrganizationMember = (member: MemberRecord) => ({
  id: member.id,
  user: toUserBasic(member.user),
  level: member.level,
  joined_at: member.joinedAt.toISOString(),
  updated_at: member.updatedAt.toISOString(),
  is_2fa_enabled: false,
  has_social_auth: false,
  last_login: null,
});

export const toRoleMembership = (grant: RoleMembershipRecord) => ({
  id: grant.id,
  role_id: grant.roleId,
  organization_member: toOrganizationMember(grant.member),
  user: toUserBasic(grant.member.user),
  joined_at: grant.joinedAt.toISOString(),
  updated_at: grant.updatedAt.toISOString(),
});

/** Orgbase has no default role: `is_default` is always false. */
export const toRole = (role: RoleRecord) => ({
  id: role.id,
  name: role.name,
  created_at: role.createdAt.toISOString(),
  created_by: role.createdBy && toUserBasic(role.createdBy),
  members: role.members.map(toRoleMembership),
  is_default: false,
  permissions: role.permissions,
});

export const toInvite = (invite: InvitationRecord) => ({
  id: invite.id,
  target_email: invite.email,
  first_name: invite.firstName,
  emailing_attempt_made: false,
  level: invite.level,
  is_expired: invite.expired,
  created_by: invite.createdBy && toUserBasic(invite.createdBy),
  created_at: invite.createdAt.toISOString(),
  updated_at: invite.updatedAt.toISOString(),
  message: invite.message,
  private_project_access: null,
});

/**
 * DRF's LimitOffsetPagination body: absolute `next`/`previous` links that keep the request's other
 * query parameters (sorted, as DRF writes them); `previous` drops `offset` when it would be 0.
 */
export function toPaginated<T, U>(request: FastifyRequest, slice: Slice<T>, map: (item: T) => U) {
  const query = request.query as { limit?: number; offset?: number };
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const offset = query.offset ?? 0;
  const url = new URL(request.url, `${request.protocol}://${request.host}`);
  const link = (newOffset: number | null) => {
    const target = new URL(url);
    target.searchParams.set('limit', String(limit));
    if (newOffset === null) target.searchParams.delete('offset');
    else target.searchParams.set('offset', String(newOffset));
    target.searchParams.sort(); // DRF writes the parameters sorted by name
    return target.toString();
  };
  return {
    count: slice.count,
    next: offset + limit < slice.count ? link(offset + limit) : null,
    previous: offset <= 0 ? null : link(offset - limit > 0 ? offset - limit : null),
    results: slice.items.map(map),
  };
}
