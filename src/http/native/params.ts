import { Type } from 'typebox';

const uuid = (description: string) => Type.String({ format: 'uuid', description });

export const OrganizationParams = Type.Object({ organizationId: uuid('ID of the organization.') });
export const KeyParams = Type.Object({ organizationId: uuid('ID of the organization.'), keyId: uuid('ID of the key.') });
export const ActivityParams = Type.Object({
  organizationId: uuid('ID of the organization.'),
  activityId: uuid('ID of the activity.'),
});
export const ByocParams = Type.Object({
  organizationId: uuid('ID of the organization.'),
  byocInfrastructureId: uuid('ID of the BYOC infrastructure.'),
});

export const UserParams = Type.Object({ userId: uuid('ID of the user.') });
export const UserKeyParams = Type.Object({ userId: uuid('ID of the user.'), keyId: uuid('ID of the key.') });
export const MemberParams = Type.Object({ organizationId: uuid('ID of the organization.'), userId: uuid('ID of the user.') });
export const InvitationParams = Type.Object({
  organizationId: uuid('ID of the organization.'),
  invitationId: uuid('ID of the invitation.'),
});
export const AcceptParams = Type.Object({ invitationId: uuid('ID of the invitation.') });
export const RoleParams = Type.Object({ organizationId: uuid('ID of the organization.'), roleId: uuid('ID of the role.') });
export const RoleMembershipParams = Type.Object({
  organizationId: uuid('ID of the organization.'),
  roleId: uuid('ID of the role.'),
  membershipId: uuid('ID of the role membership.'),
});
