import { Type, type Static } from 'typebox';
import { SCOPES } from '../principal.js';

export const UserSchema = Type.Object({
  id: Type.String({ format: 'uuid', description: 'Unique user ID (the same in every organization).' }),
  email: Type.String({ format: 'email', description: 'Stored in lowercase.' }),
  firstName: Type.String(),
  lastName: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});
export type User = Static<typeof UserSchema>;

export const CreateUserBody = Type.Object(
  {
    email: Type.String({ format: 'email', maxLength: 254, description: 'Unique, case-insensitively.' }),
    firstName: Type.Optional(Type.String({ maxLength: 150 })),
    lastName: Type.Optional(Type.String({ maxLength: 150 })),
  },
  { additionalProperties: false },
);
export type CreateUserInput = Static<typeof CreateUserBody>;

const ScopeSchema = Type.Enum([...SCOPES], { description: 'PostHog scope; a :write scope implies its :read.' });

export const PersonalKeySchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  state: Type.Enum(['enabled', 'disabled']),
  scopes: Type.Array(Type.String()),
  organizationIds: Type.Union([Type.Array(Type.String({ format: 'uuid' })), Type.Null()], {
    description: 'The organizations the key is limited to; null: all of the user\u2019s organizations.',
  }),
  keySuffix: Type.String({ description: 'Last 4 characters of the key ID.' }),
  createdAt: Type.String({ format: 'date-time' }),
  expireAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  usedAt: Type.Optional(Type.String({ format: 'date-time' })),
});
export type PersonalKey = Static<typeof PersonalKeySchema>;

export const CreatePersonalKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 255 }),
    scopes: Type.Array(ScopeSchema, { minItems: 1, maxItems: SCOPES.length, uniqueItems: true }),
    organizationIds: Type.Optional(
      Type.Array(Type.String({ format: 'uuid' }), { minItems: 1, maxItems: 100, uniqueItems: true }),
    ),
    expireAt: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
  },
  { additionalProperties: false },
);
export type CreatePersonalKeyInput = Static<typeof CreatePersonalKeyBody>;

export const CreatePersonalKeyResultSchema = Type.Object({
  key: PersonalKeySchema,
  keyId: Type.String({ description: 'Generated key ID (Basic auth user name).' }),
  keySecret: Type.String({ description: 'Generated secret, shown this once: send it as Authorization: Bearer <keySecret>.' }),
});
export type CreatePersonalKeyResult = Static<typeof CreatePersonalKeyResultSchema>;
