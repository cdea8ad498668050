import { Type, type Static } from 'typebox';

export const KEY_ROLES = ['admin', 'developer', 'query_endpoints'] as const;
export const KEY_STATES = ['enabled', 'disabled'] as const;
export const MAX_KEYS_PER_ORGANIZATION = 100;

const literalUnion = <T extends string>(values: readonly T[], description: string) => Type.Enum([...values], { description });

const KeyName = Type.String({ minLength: 1, maxLength: 255, description: 'Name of the key.' });
const KeyState = literalUnion(KEY_STATES, "State of the key: 'enabled', 'disabled'.");
const KeyRoles = Type.Array(literalUnion(KEY_ROLES, 'Key role.'), {
  minItems: 1,
  maxItems: KEY_ROLES.length,
  uniqueItems: true,
  description: 'List of roles assigned to the key. Contains at least 1 element.',
});
const ExpireAt = Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
  description: 'Timestamp the key expires. If not present or `null` the key never expires. ISO-8601.',
});

export const IpAccessEntrySchema = Type.Object(
  {
    source: Type.String({ minLength: 1, maxLength: 64, description: 'IP or CIDR' }),
    description: Type.Optional(Type.String({ maxLength: 255, description: 'Optional description of the address or range' })),
  },
  { additionalProperties: false },
);
const IpAccessList = Type.Array(IpAccessEntrySchema, {
  maxItems: 100,
  description: 'List of IP addresses allowed to access the API using this key (empty: anywhere).',
});

export const ApiKeySchema = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'Unique API key ID.' }),
    name: Type.String({ description: 'Name of the key' }),
    state: KeyState,
    roles: Type.Array(Type.String(), { description: 'List of roles assigned to the key.' }),
    keySuffix: Type.String({ description: 'Last 4 letters of the key.' }),
    createdAt: Type.String({ format: 'date-time', description: 'Timestamp the key was created. ISO-8601.' }),
    expireAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'Timestamp the key expires; null: never. ISO-8601.',
    }),
    usedAt: Type.Optional(Type.String({ format: 'date-time', description: 'Timestamp the key was last used; refreshed at most once a minute. Absent: never used.' })),
    ipAccessList: Type.Array(
      Type.Object({ source: Type.String(), description: Type.String() }),
      { description: 'List of IP addresses allowed to access the API using this key' },
    ),
  },
  {},
);
export type ApiKey = Static<typeof ApiKeySchema>;

const Sha256Base64 = (description: string) =>
  Type.String({ pattern: '^[A-Za-z0-9+/]{43}=$', description: `${description} base64(sha256(value)), 44 characters.` });

export const CreateKeyBody = Type.Object(
  {
    name: KeyName,
    roles: KeyRoles,
    expireAt: Type.Optional(ExpireAt),
    state: Type.Optional(KeyState),
    ipAccessList: Type.Optional(IpAccessList),
    hashData: Type.Optional(
      Type.Object(
        {
          keyIdHash: Sha256Base64('Hash of the key ID:'),
          keyIdSuffix: Type.String({ pattern: '^[^:\\s]{4}$', description: 'Last 4 characters of the key ID.' }),
          keySecretHash: Sha256Base64('Hash of the key secret:'),
        },
        { additionalProperties: false, description: 'Store these hashes instead of generating a key; no secret is returned.' },
      ),
    ),
  },
  { additionalProperties: false },
);
export type CreateKeyInput = Static<typeof CreateKeyBody>;

export const PatchKeyBody = Type.Object(
  {
    name: Type.Optional(KeyName),
    roles: Type.Optional(KeyRoles),
    expireAt: Type.Optional(ExpireAt),
    state: Type.Optional(KeyState),
    ipAccessList: Type.Optional(IpAccessList),
  },
  { additionalProperties: false },
);
export type PatchKeyInput = Static<typeof PatchKeyBody>;

export const CreateKeyResultSchema = Type.Object({
  key: ApiKeySchema,
  keyId: Type.Optional(Type.String({ description: "Generated key ID. Provided only if there was no 'hashData' in the request." })),
  keySecret: Type.Optional(Type.String({ description: "Generated key secret, shown this once. Provided only if there was no 'hashData' in the request." })),
});
export type CreateKeyResult = Static<typeof CreateKeyResultSchema>;
