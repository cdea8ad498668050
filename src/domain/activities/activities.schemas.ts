import { Type, type Static } from 'typebox';

/** Activities whose target is an API key: ClickHouse reports the target as `targetKeyId`. */
const KEY_TYPES = ['key_create', 'key_delete', 'openapi_key_update'] as const;
/** Activities whose target is a user: reported as `targetActorIds`. */
const MEMBER_TYPES = [
  'organization_member_add',
  'organization_member_join',
  'organization_member_leave',
  'organization_member_delete',
  'organization_member_update_role',
  'organization_member_update_roles',
  'organization_member_remove_roles',
] as const;

/** Activity types Orgbase records. ClickHouse names where ClickHouse has one. */
export const ACTIVITY_TYPES = [
  'create_organization',
  'delete_organization',
  'organization_update_name',
  'organization_update_private_endpoints',
  ...KEY_TYPES,
  'organization_invite_create',
  'organization_invite_delete',
  ...MEMBER_TYPES,
  'role_create',
  'role_update',
  'role_delete',
  // Orgbase names (ClickHouse has no projects):
  'project_create',
  'project_update',
  'project_delete',
  // Orgbase names (ClickHouse records none for BYOC infrastructure changes):
  'byoc_infrastructure_create',
  'byoc_infrastructure_update',
  'byoc_infrastructure_delete',
  // Orgbase names for the organization tree: the moved organization, and its old and new parent.
  'organization_update_parent',
  'organization_child_create',
  'organization_child_add',
  'organization_child_remove',
  'organization_child_delete',
  'organization_update_license',
  'organization_update_customizations',
] as const;
export type ActivityType = (typeof ACTIVITY_TYPES)[number];

export const KEY_ACTIVITY_TYPES: readonly string[] = KEY_TYPES;
export const MEMBER_ACTIVITY_TYPES: readonly string[] = MEMBER_TYPES;

export const KEY_UPDATE_TYPES = [
  'created',
  'deleted',
  'name-changed',
  'role-changed',
  'state-changed',
  'date-changed',
  'ip-access-list-changed',
] as const;
export type KeyUpdateType = (typeof KEY_UPDATE_TYPES)[number];

const Change = Type.Object({ old: Type.Unknown(), new: Type.Unknown() });

export const ActivitySchema = Type.Object(
  {
    id: Type.String({ description: 'Unique activity ID.' }),
    createdAt: Type.String({ format: 'date-time', description: 'Timestamp of the activity. ISO-8601.' }),
    type: Type.String({ description: 'Type of the activity.' }),
    actorType: Type.Enum(['user', 'support', 'system', 'api'], {
      description: "Type of the actor: 'user', 'support', 'system', 'api'.",
    }),
    actorId: Type.Optional(Type.String({ description: 'Unique actor ID.' })),
    actorDetails: Type.Optional(Type.String({ description: 'Additional information about the actor.' })),
    actorIpAddress: Type.Optional(Type.String({ description: "IP address of the actor. Defined for 'user' and 'api' actor types." })),
    organizationId: Type.String({ description: 'Scope of the activity: organization ID this activity is related to.' }),
    userAgent: Type.Optional(Type.String({ description: 'User agent of the request that caused the activity.' })),
    targetKeyId: Type.Optional(Type.String({ description: 'For key activities: the ID of the key acted on.' })),
    targetActorIds: Type.Optional(
      Type.Array(Type.String(), { description: 'For member activities: the users acted on.' }),
    ),
    targetResourceIds: Type.Optional(
      Type.Array(Type.String(), { description: 'For activities on other resources (e.g. BYOC infrastructure): the IDs acted on.' }),
    ),
    keyUpdateType: Type.Optional(Type.String({ description: 'For openapi_key_update: what changed.' })),
    changes: Type.Optional(
      Type.Record(Type.String(), Change, {
        description: 'Orgbase extension: the fields this activity changed, with their old and new values.',
      }),
    ),
  },
  {},
);
export type Activity = Static<typeof ActivitySchema>;
