/**
 * Locktera's wire shapes (L1 components, snake_case) with the extensions index.ts lists. Only
 * declared fields are serialized, so nothing else (no key hash, no secret outside the one create
 * response) can leave through these routes.
 */
import { Type } from 'typebox';
import { CustomizationsPatchSchema, CustomizationsSchema } from '../../../domain/customizations/customizations.schemas.js';

const uuid = (description: string) => Type.String({ format: 'uuid', description });
const DateTime = (description: string) => Type.String({ format: 'date-time', description });
const OrgName = (description: string) => Type.String({ minLength: 1, maxLength: 255, description });

export const Customization = CustomizationsSchema;

export const Org = Type.Object(
  {
    id: Type.String({ description: 'Unique identifier for the organization (a UUID).' }),
    org_name: Type.String({ description: 'Name associated with the organization.' }),
    root_org_id: Type.String({ description: 'ID of the root organization in the hierarchy (its own id at the top).' }),
    parent_org_id: Type.Optional(Type.String({ description: 'ID of the parent organization; absent at the top of the hierarchy.' })),
    created_at: DateTime('When the organization was created (L2).'),
    customizations: Customization,
  },
  { description: 'Org' },
);

export const AccessLogEntry = Type.Object(
  {
    org_id: Type.String({ description: 'ID of the organization where access was logged.' }),
    timestamp: DateTime('Date and time of the access event.'),
    user: Type.Optional(Type.String({ description: 'ID of the user (or, for an organization key, of the key) that authenticated; absent when unknown.' })),
    action: Type.Enum(['login', 'login_failed'], { description: 'login: a credential was accepted; login_failed: refused.' }),
    ip: Type.Optional(Type.String({ description: 'IP address the request came from.' })),
    status: Type.Enum(['SUCCESS', 'FAILURE'], { description: 'L2\u2019s outcome field.' }),
    credential_kind: Type.String({ description: 'Orgbase: root, organization_key, personal_key, unknown or none.' }),
  },
  { description: 'AccessLog' },
);

export const AuditLogEntry = Type.Object(
  {
    action: Type.Enum(['insert', 'update', 'delete'], { description: 'What kind of change it was.' }),
    org_id: Type.String({ description: 'The organization where the change took place (a descendant).' }),
    admin_id: Type.Optional(Type.String({ description: 'Who made it: a user id, an API key id, or "root".' })),
    timestamp: DateTime('When the change was made.'),
    old_data: Type.Record(Type.String(), Type.Unknown(), { description: 'The changed fields\u2019 values before the change.' }),
    ip: Type.Optional(Type.String({ description: 'IP address the change came from.' })),
    type: Type.String({ description: 'Orgbase: the activity type (create_organization, organization_update_name, \u2026).' }),
    new_data: Type.Record(Type.String(), Type.Unknown(), { description: 'Orgbase: the changed fields\u2019 values after the change.' }),
  },
  { description: 'AuditLog' },
);

export const Consumption = Type.Object(
  {
    org_id: Type.String({ description: 'The organization.' }),
    month: Type.String({ description: 'The month reported, YYYY-MM (UTC).' }),
    api_calls: Type.Integer({ description: 'API calls made during the month.' }),
    storage_used: Type.Number({ description: 'Storage used (GB).' }),
  },
  { description: 'Consumption' },
);

export const PERMISSIONS = ['read', 'write'] as const;

const apiKeyFields = {
  key_id: Type.String({ description: 'Unique identifier for the API key (a UUID).' }),
  org_id: Type.String({ description: 'The organization the key belongs to.' }),
  name: Type.String({ description: 'The key\u2019s name (L2).' }),
  created_at: DateTime('When the key was created.'),
  permissions: Type.Array(Type.Enum([...PERMISSIONS]), { description: 'read, or read and write.' }),
};
export const ApiKey = Type.Object(apiKeyFields, { description: 'ApiKey' });
export const CreatedApiKey = Type.Object(
  { ...apiKeyFields, api_key: Type.String({ description: 'Orgbase: the key\u2019s secret, shown this once. Send it as Authorization: Bearer <api_key>.' }) },
  { description: 'ApiKey, with its secret' },
);

export const ServiceStatus = Type.Object({
  api: Type.Enum(['up', 'down']),
  auth: Type.Enum(['up', 'down']),
  storage: Type.Enum(['up', 'down'], { description: 'up when the database answers within a second.' }),
});

// ---- requests ----

export const OrgParams = Type.Object({ org_id: uuid('The organization\u2019s id.') });
export const KeyParams = Type.Object({ org_id: uuid('The organization\u2019s id.'), key_id: uuid('The API key\u2019s id.') });

export const MAX_PAGE = 1_000_000;
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 100;
const paging = {
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 1, description: 'Page number, from 1.' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT, description: `Page size (default ${DEFAULT_LIMIT}, max ${MAX_LIMIT}).` })),
};
export const PageQuery = Type.Object(paging, { additionalProperties: false });
export const LogQuery = Type.Object(
  {
    ...paging,
    start: Type.Optional(DateTime('Only entries at or after this time (ISO UTC, e.g. 2023-01-01T00:00:00Z).')),
    end: Type.Optional(DateTime('Only entries at or before this time.')),
  },
  { additionalProperties: false },
);
export const ConsumptionQuery = Type.Object(
  { month: Type.Optional(Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$', description: 'YYYY-MM (default: the current UTC month)' })) },
  { additionalProperties: false },
);

export const PatchOrgBody = Type.Object(
  {
    org_name: Type.Optional(OrgName('The new name (L1).')),
    name: Type.Optional(OrgName('The new name (L2); must equal org_name when both are given.')),
    parent_org_id: Type.Optional(
      Type.Union([uuid('Move under this organization.'), Type.Null()], { description: 'Move under this organization (admin of both); null: to the top (root key only).' }),
    ),
    customizations: Type.Optional(CustomizationsPatchSchema),
    // The rest of L1's Org, so an Org read with GET can be sent back changed: read-only or not kept.
    id: Type.Optional(Type.String({ maxLength: 64, description: 'Read-only: must be the organization\u2019s own id when given.' })),
    root_org_id: Type.Optional(Type.String({ maxLength: 64, description: 'Read-only; ignored.' })),
    created_at: Type.Optional(Type.String({ maxLength: 64, description: 'Read-only; ignored.' })),
    role: Type.Optional(Type.String({ maxLength: 64, description: 'Not kept by Orgbase; ignored.' })),
    first_name: Type.Optional(Type.String({ maxLength: 256, description: 'Not kept by Orgbase; ignored.' })),
    last_name: Type.Optional(Type.String({ maxLength: 256, description: 'Not kept by Orgbase; ignored.' })),
    email: Type.Optional(Type.String({ maxLength: 320, description: 'Not kept by Orgbase; ignored.' })),
    mobile_phone: Type.Optional(Type.String({ maxLength: 64, description: 'Not kept by Orgbase; ignored.' })),
  },
  { additionalProperties: false },
);

export const ROLES = ['org', 'group', 'org_admin', 'user_admin', 'user'] as const;
export const ProvisionBody = Type.Object(
  {
    org_name: OrgName('The new child organization\u2019s name.'),
    email: Type.String({ format: 'email', maxLength: 254, description: 'Its first user: found by email (case-insensitively) or created.' }),
    first_name: Type.Optional(Type.String({ maxLength: 150, description: 'For a user that is created.' })),
    last_name: Type.Optional(Type.String({ maxLength: 150, description: 'For a user that is created.' })),
    role: Type.Optional(Type.Enum([...ROLES], { description: 'The first user\u2019s role: org, group, org_admin → owner (default org); user_admin → admin; user → member.' })),
    mobile_phone: Type.Optional(Type.String({ maxLength: 64, description: 'Accepted for Locktera\u2019s Org fields; Orgbase keeps no phone numbers.' })),
  },
  { additionalProperties: false },
);

export const CreateApiKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 255, description: 'The key\u2019s name.' }),
    permissions: Type.Array(Type.Enum([...PERMISSIONS]), {
      minItems: 1,
      maxItems: PERMISSIONS.length,
      uniqueItems: true,
      description: '["read"]: reads only (role developer); with "write": reads and changes (role admin).',
    }),
  },
  { additionalProperties: false },
);

export const NoContent = (description: string) => Type.Null({ description });
