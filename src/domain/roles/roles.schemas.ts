import { Type, type Static } from 'typebox';

/** What a role can grant a member beyond their level: the organization capabilities by name. */
export const ROLE_PERMISSIONS = [
  'organization:read',
  'organization:write',
  'organization_member:read',
  'organization_member:write',
] as const;
export type RolePermission = (typeof ROLE_PERMISSIONS)[number];

export const RoleMembershipSchema = Type.Object({
  id: Type.String({ format: 'uuid', description: 'ID of the role membership.' }),
  roleId: Type.String({ format: 'uuid' }),
  userId: Type.String({ format: 'uuid' }),
  joinedAt: Type.String({ format: 'date-time' }),
});
export type RoleMembership = Static<typeof RoleMembershipSchema>;

export const RoleSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  permissions: Type.Array(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  createdBy: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], { description: 'The user who created it, when a user did.' }),
  members: Type.Array(RoleMembershipSchema),
});
export type Role = Static<typeof RoleSchema>;

export const RoleName = Type.String({ minLength: 1, maxLength: 200, description: 'Unique in the organization, case-insensitively.' });
export const Permissions = Type.Array(Type.Enum([...ROLE_PERMISSIONS]), { uniqueItems: true, maxItems: ROLE_PERMISSIONS.length });

export const CreateRoleBody = Type.Object(
  { name: RoleName, permissions: Type.Optional(Permissions) },
  { additionalProperties: false },
);
export type CreateRoleInput = Static<typeof CreateRoleBody>;

export const PatchRoleBody = Type.Object(
  { name: Type.Optional(RoleName), permissions: Type.Optional(Permissions) },
  { additionalProperties: false },
);
export type PatchRoleInput = Static<typeof PatchRoleBody>;

export const CreateRoleMembershipBody = Type.Object(
  { userId: Type.String({ format: 'uuid', description: 'A member of the organization.' }) },
  { additionalProperties: false },
);
