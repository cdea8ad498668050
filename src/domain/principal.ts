/**
 * Who is calling. Every surface turns its credential into one of these before calling a service;
 * services decide what the principal may do (see access.ts) and record the actor on activities.
 */
export type ActorType = 'user' | 'support' | 'system' | 'api';

export interface Actor {
  type: ActorType;
  id: string | null;
  details: string | null;
  ip: string | null;
  userAgent: string | null;
}

export type KeyRole = 'admin' | 'developer' | 'query_endpoints';

/** PostHog personal-key scopes; a `:write` scope implies its `:read`, `*` is everything. */
export const SCOPES = [
  'organization:read',
  'organization:write',
  'organization_member:read',
  'organization_member:write',
  '*',
] as const;
export type Scope = (typeof SCOPES)[number];

export interface RootPrincipal {
  kind: 'root';
  actor: Actor;
}

export interface OrganizationKeyPrincipal {
  kind: 'organization_key';
  /** The key's `id` (uuid), not its secret key id. */
  keyId: string;
  organizationId: string;
  roles: readonly KeyRole[];
  actor: Actor;
}

/** A user's personal key: acts with the user's membership in each organization, within its scopes. */
export interface PersonalKeyPrincipal {
  kind: 'personal_key';
  keyId: string;
  userId: string;
  scopes: readonly Scope[];
  /** The organizations the key is limited to; null: all of the user's. */
  organizationIds: readonly string[] | null;
  actor: Actor;
}

export type Principal = RootPrincipal | OrganizationKeyPrincipal | PersonalKeyPrincipal;
