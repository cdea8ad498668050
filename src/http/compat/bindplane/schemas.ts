/**
 * Bindplane's wire shapes: every resource is `{apiVersion, kind, metadata, spec, status}`
 * (bindplane-op `model.ResourceMeta`), camelCase. Only the fields Orgbase fills are declared, so
 * serialization drops anything else (no secret can leak through a resource).
 */
import { Type, type TSchema } from 'typebox';

export const API_VERSION = 'bindplane.observiq.com/v1' as const;

const uuid = (description: string) => Type.String({ format: 'uuid', description });
/** A name someone types; the core trims it (and the routes refuse one that is blank). */
const Name = (description: string) => Type.String({ minLength: 1, maxLength: 255, description });

const Metadata = Type.Object({
  id: Type.String({ description: 'The Orgbase id (a UUID).' }),
  name: Type.String(),
  displayName: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  labels: Type.Record(Type.String(), Type.String(), { description: 'Orgbase keeps no labels: always {}.' }),
  version: Type.Optional(Type.Integer()),
  dateModified: Type.Optional(Type.String({ format: 'date-time' })),
});

const resource = <S extends TSchema>(kind: string, spec: S, description: string) =>
  Type.Object(
    {
      apiVersion: Type.Literal(API_VERSION),
      kind: Type.Literal(kind),
      metadata: Metadata,
      spec,
      status: Type.Object({}, { description: 'Always {}.' }),
    },
    { description },
  );

export const OrganizationResource = resource('Organization', Type.Object({}, { description: 'Orgbase has no Auth0 binding or parameters: {}.' }), 'An organization.');
export const AccountResource = resource('Account', Type.Object({}, { description: 'Orgbase projects have no secret keys or parameters: {}.' }), 'A project ("account" is Bindplane\u2019s legacy name).');
export const UserResource = resource(
  'User',
  Type.Object({
    email: Type.String(),
    activeAccount: Type.Optional(Type.String({ description: 'The caller\u2019s own active project; absent for other users.' })),
  }),
  'A member of the organization.',
);

export const OrganizationsResponse = Type.Object({ organizations: Type.Array(OrganizationResource) });
export const OrganizationResponse = Type.Object({ organization: OrganizationResource });
export const AccountsResponse = Type.Object({ accounts: Type.Array(AccountResource) });
export const UsersResponse = Type.Object({ users: Type.Array(UserResource) });
export const CreatedResponse = Type.Object({ account: AccountResource, organization: OrganizationResource });
export const AllAccountsResponse = Type.Object({
  activeAccountId: Type.String({ description: 'The caller\u2019s active project; "" when it has none.' }),
  organizationAccounts: Type.Array(
    Type.Object({ accounts: Type.Array(AccountResource), organization: OrganizationResource, ssoEnabled: Type.Boolean({ description: 'Always false.' }) }),
  ),
});
export const VerifyResponse = Type.Object({ valid: Type.Boolean({ description: 'True when no top-level organization has the name (case-insensitively).' }) });

const LicenseKey = Type.String({ minLength: 1, maxLength: 8192, description: 'A license key (compact JWS) issued by the operator.' });
const LicenseType = Type.String({ minLength: 1, maxLength: 64, description: 'Create a license of this type instead of installing a key.' });

export const UpdateLicenseBody = Type.Object({ licenseKey: LicenseKey }, { additionalProperties: false });

export const OrganizationLicenseBody = Type.Object(
  { licenseKey: Type.Optional(LicenseKey), createLicenseType: Type.Optional(LicenseType) },
  { additionalProperties: false, description: 'One of the two; with both, the key is installed (Bindplane: a key is used instead of creating a license).' },
);

export const CreateOrganizationBody = Type.Object(
  {
    organizationName: Name('The new top-level organization\u2019s name.'),
    accountName: Type.Optional(Name('The name of its first project (default: Default).')),
    eulaAccepted: Type.Optional(Type.Boolean({ description: 'false is refused.' })),
    licenseType: Type.Optional(LicenseType),
    licenseKey: Type.Optional(LicenseKey),
  },
  { additionalProperties: false },
);

export const VerifyBody = Type.Object({ name: Name('The organization name to check.') }, { additionalProperties: false });
export const MetadataBody = Type.Object({ name: Name('The new name.') }, { additionalProperties: false });

export const IdParams = Type.Object({ id: uuid('The organization\u2019s id.') });
export const NameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 255, description: 'The organization\u2019s name (case-insensitive).' }) });
