import { Type, type Static } from 'typebox';
import { CustomizationsPatchSchema } from '../customizations/customizations.schemas.js';

export const CLOUD_PROVIDERS = ['gcp', 'aws', 'azure'] as const;
export type CloudProvider = (typeof CLOUD_PROVIDERS)[number];

/**
 * Regions with the provider each belongs to: the union of the 2025-07 ClickHouse list and the
 * newest one (which dropped `me-central-1`; organizations created against the older API keep it).
 */
export const REGION_PROVIDERS = {
  'ap-northeast-1': 'aws', 'ap-northeast-2': 'aws', 'ap-south-1': 'aws', 'ap-southeast-1': 'aws',
  'ap-southeast-2': 'aws', 'eu-central-1': 'aws', 'eu-west-1': 'aws', 'eu-west-2': 'aws',
  'il-central-1': 'aws', 'me-central-1': 'aws', 'us-east-1': 'aws', 'us-east-2': 'aws', 'us-west-2': 'aws',
  'us-east1': 'gcp', 'us-central1': 'gcp', 'europe-west2': 'gcp', 'europe-west4': 'gcp',
  'asia-southeast1': 'gcp', 'asia-northeast1': 'gcp',
  eastus: 'azure', eastus2: 'azure', westus3: 'azure', germanywestcentral: 'azure', centralus: 'azure',
} as const satisfies Record<string, CloudProvider>;
export type Region = keyof typeof REGION_PROVIDERS;
export const REGIONS = Object.keys(REGION_PROVIDERS) as Region[];

const enumOf = <T extends string>(values: readonly T[], description: string) => Type.Enum([...values], { description });

export const CloudProviderSchema = enumOf(CLOUD_PROVIDERS, 'Cloud provider: aws, gcp or azure.');
export const RegionSchema = enumOf(REGIONS, 'Cloud region.');

export const OrganizationName = Type.String({ minLength: 1, maxLength: 255, description: 'Name of the organization.' });

export const PrivateEndpointSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 255, description: 'Private endpoint identifier' }),
    description: Type.String({ maxLength: 1024, description: 'Description of private endpoint' }),
    cloudProvider: CloudProviderSchema,
    region: RegionSchema,
  },
  {},
);
export type PrivateEndpoint = Static<typeof PrivateEndpointSchema>;

export const ByocConfigSchema = Type.Object(
  {
    id: Type.String({ description: 'Unique identifier of the BYOC configuration' }),
    state: enumOf(['infra-ready', 'infra-provisioning', 'infra-terminated'], 'State of the infrastructure'),
    accountName: Type.String({ description: 'Name of the account' }),
    regionId: RegionSchema,
    cloudProvider: CloudProviderSchema,
    displayName: Type.String({ description: 'Display name of the BYOC infrastructure' }),
    availabilityZoneSuffixes: Type.Array(Type.String(), { description: 'Availability zone suffixes in use.' }),
    vpcCidrRange: Type.String({ description: 'CIDR range of the VPC.' }),
  },
  {},
);
export type ByocConfig = Static<typeof ByocConfigSchema>;

export const OrganizationSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'Unique organization ID.' }),
    createdAt: Type.String({ format: 'date-time', description: 'The timestamp the organization was created. ISO-8601.' }),
    name: Type.String({ description: 'Name of the organization.' }),
    privateEndpoints: Type.Array(PrivateEndpointSchema, { description: 'List of private endpoints for organization' }),
    byocConfig: Type.Array(ByocConfigSchema, { description: 'BYOC configuration for the organization' }),
    parentId: Type.Optional(Type.String({ format: 'uuid', description: 'Orgbase extension: the parent organization.' })),
  },
  {},
);
export type Organization = Static<typeof OrganizationSchema>;

export const CreateOrganizationBody = Type.Object(
  {
    name: OrganizationName,
    parentId: Type.Optional(Type.String({ format: 'uuid', description: 'Parent organization, for hierarchies.' })),
  },
  { additionalProperties: false },
);
export type CreateOrganizationInput = Static<typeof CreateOrganizationBody>;

const PrivateEndpointAdd = Type.Object(
  {
    id: PrivateEndpointSchema.properties.id,
    description: Type.Optional(Type.String({ maxLength: 1024, description: 'Optional description of private endpoint' })),
    cloudProvider: CloudProviderSchema,
    region: RegionSchema,
  },
  { additionalProperties: false },
);
/** `remove` entries match by `id`; the other fields are accepted (the spec shares one schema) but not compared. */
const PrivateEndpointRemove = Type.Object(
  {
    id: PrivateEndpointSchema.properties.id,
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    cloudProvider: Type.Optional(CloudProviderSchema),
    region: Type.Optional(RegionSchema),
  },
  { additionalProperties: false },
);

export const MAX_PRIVATE_ENDPOINTS = 100;

export const PatchOrganizationBody = Type.Object(
  {
    name: Type.Optional(OrganizationName),
    parentId: Type.Optional(
      Type.Union([Type.String({ format: 'uuid' }), Type.Null()], {
        description: 'Orgbase extension: move under this organization (null: to the root level, root key only).',
      }),
    ),
    privateEndpoints: Type.Optional(
      Type.Object(
        {
          add: Type.Optional(Type.Array(PrivateEndpointAdd, { maxItems: MAX_PRIVATE_ENDPOINTS, description: 'Executed after "remove".' })),
          remove: Type.Optional(Type.Array(PrivateEndpointRemove, { maxItems: MAX_PRIVATE_ENDPOINTS, description: 'Executed before "add".' })),
        },
        { additionalProperties: false },
      ),
    ),
    customizations: Type.Optional(CustomizationsPatchSchema),
  },
  { additionalProperties: false },
);
export type PatchOrganizationInput = Static<typeof PatchOrganizationBody>;

/**
 * What a list of relatives shows: who they are, not their settings. A member of a child may see
 * its ancestors' names, but not their private endpoints or BYOC accounts (members do not inherit).
 */
export const OrganizationSummarySchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  parentId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
});
export type OrganizationSummary = Static<typeof OrganizationSummarySchema>;

export const NameAvailabilityQuery = Type.Object(
  {
    name: OrganizationName,
    parentId: Type.Optional(Type.String({ format: 'uuid', description: 'Check among the children of this organization; absent: the root level.' })),
  },
  { additionalProperties: false },
);

export const NameAvailabilitySchema = Type.Object({
  name: Type.String(),
  available: Type.Boolean({ description: 'No live sibling has this name (compared case-insensitively).' }),
  suggestions: Type.Array(Type.String(), { description: 'Free names like it, when it is taken.' }),
});
export type NameAvailability = Static<typeof NameAvailabilitySchema>;

export const PrivateEndpointConfigQuery = Type.Object(
  {
    cloud_provider: CloudProviderSchema,
    region_id: RegionSchema,
  },
  { additionalProperties: false },
);

export const PrivateEndpointConfigSchema = Type.Object({
  endpointServiceId: Type.String({ description: 'Identifier of the endpoint service to connect your VPC endpoint to.' }),
});

export const AVAILABILITY_ZONE_SUFFIXES = ['a', 'b', 'c', 'd', 'e', 'f'] as const;

export const CreateByocBody = Type.Object(
  {
    regionId: RegionSchema,
    accountId: Type.String({ minLength: 1, maxLength: 128, description: 'Cloud account (or project) ID hosting the infrastructure.' }),
    availabilityZoneSuffixes: Type.Optional(
      Type.Array(enumOf(AVAILABILITY_ZONE_SUFFIXES, 'Availability zone suffix.'), { minItems: 1, maxItems: 6, uniqueItems: true }),
    ),
    vpcCidrRange: Type.Optional(Type.String({ maxLength: 18, description: 'IPv4 CIDR range of the VPC, e.g. 10.0.0.0/16.' })),
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  },
  { additionalProperties: false },
);
export type CreateByocInput = Static<typeof CreateByocBody>;

export const PatchByocBody = Type.Object(
  { displayName: Type.String({ minLength: 1, maxLength: 255 }) },
  { additionalProperties: false },
);
export type PatchByocInput = Static<typeof PatchByocBody>;
