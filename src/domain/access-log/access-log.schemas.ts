/**
 * An access-log event as the API serves it (camelCase, the native wire shape; other surfaces map
 * it to theirs). An authentication attempt, not a change: it lives apart from activities.
 */
import { Type, type Static } from 'typebox';

export const ACCESS_OUTCOMES = ['success', 'failure'] as const;
export type AccessOutcome = (typeof ACCESS_OUTCOMES)[number];

export const CREDENTIAL_KINDS = ['root', 'organization_key', 'personal_key', 'unknown', 'none'] as const;

export const AccessEventSchema = Type.Object({
  id: Type.String({ format: 'uuid', description: 'Unique event ID.' }),
  occurredAt: Type.String({ format: 'date-time', description: 'When the request was answered. ISO-8601.' }),
  outcome: Type.Enum([...ACCESS_OUTCOMES], { description: 'Whether the credential authenticated.' }),
  credentialKind: Type.Enum([...CREDENTIAL_KINDS], {
    description: "The credential presented: 'root', 'organization_key', 'personal_key', 'unknown' (no such key), 'none' (missing or unreadable).",
  }),
  credentialId: Type.Optional(Type.String({ format: 'uuid', description: 'The API key\'s ID (never its secret). Absent for root, unknown and none.' })),
  actorType: Type.Optional(Type.String({ description: "Who the credential acts as: 'api' (organization key), 'user' (personal key), 'support' (root)." })),
  actorId: Type.Optional(Type.String({ description: 'The actor: the key ID, the user ID, or `root`.' })),
  ipAddress: Type.Optional(Type.String({ description: 'IP address of the client.' })),
  userAgent: Type.Optional(Type.String({ description: 'User agent of the client (truncated).' })),
  method: Type.String({ description: 'HTTP method.' }),
  route: Type.String({ description: 'The route pattern called (e.g. `/v1/organizations/:organizationId`), never the raw URL.' }),
  status: Type.Integer({ description: 'HTTP status of the response.' }),
  reason: Type.Optional(
    Type.String({
      description:
        'For failures: missing_credential, malformed_credential, unknown_key, wrong_secret, key_disabled, key_expired, ip_not_allowed, error.',
    }),
  ),
  organizationId: Type.String({ format: 'uuid', description: 'The organization the event belongs to.' }),
});
export type AccessEvent = Static<typeof AccessEventSchema>;
