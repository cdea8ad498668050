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

export type Principal = RootPrincipal | OrganizationKeyPrincipal;
