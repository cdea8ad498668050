/**
 * PostHog's wire shapes (snake_case, no envelope), field by field after PostHog's OpenAPI
 * (reference/specs/posthog-org-subset.openapi.yaml). Orgbase extensions are marked.
 */
import { Type, type TSchema, type TProperties } from 'typebox';
import { MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE } from '../../../domain/pagination.js';
import { Permissions as RolePermissions, RoleName } from '../../../domain/roles/roles.schemas.js';

const uuid = (description?: string) => Type.String({ format: 'uuid', ...(description && { description }) });
const dateTime = Type.String({ format: 'date-time' });
const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Level = Type.Enum([1, 8, 15], { description: '1 member, 8 administrator, 15 owner.' });
/** Responses declare the level as an integer: serialization needs no enum, and the domain keeps it to 1, 8 or 15. */
const LevelOut = Type.Integer({ description: '1 member, 8 administrator, 15 owner.' });

export const UserBasicSchema = Type.Object({
  id: Type.Integer(),
  uuid: uuid(),
  distinct_id: nullable(Type.String()),
  first_name: Type.String(),
  last_name: Type.String(),
  email: Type.String({ format: 'email' }),
  is_email_verified: nullable(Type.Boolean()),
  hedgehog_config: nullable(Type.Object({}, { additionalProperties: true })),
  role_at_organization: nullable(Type.String()),
});

export const OrganizationMemberSchema = Type.Object({
  id: uuid('The membership.'),
  user: UserBasicSchema,
  level: LevelOut,
  joined_at: dateTime,
  updated_at: dateTime,
  is_2fa_enabled: Type.Boolean(),
  has_social_auth: Type.Boolean(),
  last_login: nullable(dateTime),
});

export const RoleMembershipSchema = Type.Object({
  id: uuid(),
  role_id: uuid(),
  organization_member: OrganizationMemberSchema,
  user: UserBasicSchema,
  joined_at: dateTime,
  updated_at: dateTime,
});

const Permissions = { ...RolePermissions, description: 'Orgbase extension: what the role grants its members beyond their level.' };

export const RoleSchema = Type.Object({
  id: uuid(),
  name: Type.String(),
  created_at: dateTime,
  created_by: nullable(UserBasicSchema),
  members: Type.Array(RoleMembershipSchema),
  is_default: Type.Boolean(),
  permissions: Type.Array(Type.String(), { description: 'Orgbase extension: what the role grants its members beyond their level.' }),
});

export const OrganizationInviteSchema = Type.Object({
  id: uuid(),
  target_email: Type.String({ format: 'email' }),
  first_name: Type.String(),
  emailing_attempt_made: Type.Boolean({ description: 'Orgbase sends no email: always false.' }),
  level: LevelOut,
  is_expired: Type.Boolean(),
  created_by: nullable(UserBasicSchema),
  created_at: dateTime,
  updated_at: dateTime,
  message: nullable(Type.String()),
  private_project_access: nullable(Type.Array(Type.Object({}, { additionalProperties: true }))),
});

export const paginated = <T extends TSchema>(item: T) =>
  Type.Object({
    count: Type.Integer(),
    next: nullable(Type.String({ format: 'uri' })),
    previous: nullable(Type.String({ format: 'uri' })),
    results: Type.Array(item),
  });

/**
 * DRF ignores read-only fields in a body, so a client may send back what it read; they are
 * accepted and ignored. Any other unknown field is refused (DRF would drop it silently).
 */
const ignored = (names: readonly string[]): TProperties =>
  Object.fromEntries(names.map((name) => [name, Type.Optional(Type.Unknown({ description: 'Read-only: ignored.' }))]));

const ROLE_READ_ONLY = ['id', 'created_at', 'created_by', 'members', 'is_default'];

export const CreateRoleBody = Type.Object({ name: RoleName, permissions: Type.Optional(Permissions), ...ignored(ROLE_READ_ONLY) }, { additionalProperties: false });
export const PatchRoleBody = Type.Object(
  { name: Type.Optional(RoleName), permissions: Type.Optional(Permissions), ...ignored(ROLE_READ_ONLY) },
  { additionalProperties: false },
);

export const CreateRoleMembershipBody = Type.Object(
  { user_uuid: uuid('A member of the organization.'), ...ignored(['id', 'role_id', 'organization_member', 'user', 'joined_at', 'updated_at']) },
  { additionalProperties: false },
);

const MEMBER_READ_ONLY = ['id', 'user', 'joined_at', 'updated_at', 'is_2fa_enabled', 'has_social_auth', 'last_login'];
export const UpdateMemberBody = Type.Object({ level: Level, ...ignored(MEMBER_READ_ONLY) }, { additionalProperties: false });

export const CreateInviteBody = Type.Object(
  {
    target_email: Type.String({ format: 'email', maxLength: 254 }),
    first_name: Type.Optional(Type.String({ maxLength: 30 })),
    level: Type.Optional(Level),
    message: Type.Optional(nullable(Type.String({ maxLength: 1000 }))),
    private_project_access: Type.Optional(
      nullable(Type.Array(Type.Object({}, { additionalProperties: true }), { maxItems: 0, description: 'Projects arrive with Orgbase\u2019s projects; until then only an empty list.' })),
    ),
    send_email: Type.Optional(Type.Boolean({ description: 'Accepted; Orgbase sends no email.' })),
    combine_pending_invites: Type.Optional(Type.Boolean({ description: 'Replace a pending invite to the same address instead of refusing.' })),
    ...ignored(['id', 'emailing_attempt_made', 'is_expired', 'created_by', 'created_at', 'updated_at']),
  },
  { additionalProperties: false },
);

const OrganizationId = Type.String({
  pattern: '^(@current|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$',
  description: 'the organization\u2019s UUID, or @current for the credential\u2019s one organization',
});

export const OrganizationParams = Type.Object({ organization_id: OrganizationId });
export const RoleParams = Type.Object({ organization_id: OrganizationId, id: uuid('The role.') });
export const RoleMembershipsParams = Type.Object({ organization_id: OrganizationId, role_id: uuid('The role.') });
export const RoleMembershipParams = Type.Object({ organization_id: OrganizationId, role_id: uuid('The role.'), id: uuid('The role membership.') });
export const MemberParams = Type.Object({ organization_id: OrganizationId, user__uuid: uuid('The member\u2019s user.') });
export const InviteParams = Type.Object({ organization_id: OrganizationId, id: uuid('The invite.') });

const pageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, description: `Number of results to return per page (default ${DEFAULT_PAGE_SIZE}).` })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647, description: 'The initial index from which to return the results.' })),
};
export const PageQuery = Type.Object(pageQuery, { additionalProperties: false });
export const MembersQuery = Type.Object(
  { ...pageQuery, order: Type.Optional(Type.Enum(['-joined_at', 'joined_at'], { description: 'Sort order. Defaults to `-joined_at`.' })) },
  { additionalProperties: false },
);
