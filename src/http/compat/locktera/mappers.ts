/** Domain records in Locktera's shapes (snake_case; see schemas.ts and index.ts). */
import type { AccessEvent } from '../../../domain/access-log/access-log.schemas.js';
import type { Activity } from '../../../domain/activities/activities.schemas.js';
import type { ApiKey as DomainApiKey } from '../../../domain/api-keys/api-keys.schemas.js';
import type { Organization } from '../../../domain/organizations/organizations.schemas.js';
import type { KeyRole } from '../../../domain/principal.js';
import type { PERMISSIONS } from './schemas.js';

type Permission = (typeof PERMISSIONS)[number];

/** An organization with what Locktera shows beside it: the root of its tree and its customizations. */
export function toOrg(organization: Organization, rootId: string, customizations: Record<string, unknown>) {
  return {
    id: organization.id,
    org_name: organization.name,
    root_org_id: rootId,
    ...(organization.parentId !== undefined && { parent_org_id: organization.parentId }),
    created_at: organization.createdAt,
    customizations,
  };
}

/** `::ffff:10.0.0.1` (an IPv4 client seen through an IPv6 socket) is 10.0.0.1, as Locktera's ipv4 field expects. */
export const plainIp = (ip: string) => (ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip);

export const toAccessLogEntry = (event: AccessEvent) => ({
  org_id: event.organizationId,
  timestamp: event.occurredAt,
  ...(event.actorId !== undefined && { user: event.actorId }),
  action: event.outcome === 'success' ? ('login' as const) : ('login_failed' as const),
  ...(event.ipAddress !== undefined && { ip: plainIp(event.ipAddress) }),
  status: event.outcome === 'success' ? ('SUCCESS' as const) : ('FAILURE' as const),
  credential_kind: event.credentialKind,
});

/**
 * Locktera's audit actions are row operations. Orgbase's activity types name the change: creations
 * and additions (`create_*`, `*_create`, `*_add`, `*_join`) insert, deletions and removals
 * (`delete_*`, `*_delete`, `*_remove`, `*_leave`) delete, everything else updates.
 */
export function auditAction(type: string): 'insert' | 'update' | 'delete' {
  if (/^create_|_(create|add|join)$/.test(type)) return 'insert';
  if (/^delete_|_(delete|remove|leave)$/.test(type)) return 'delete';
  return 'update';
}

export function toAuditLogEntry(activity: Activity) {
  const old_data: Record<string, unknown> = {};
  const new_data: Record<string, unknown> = {};
  for (const [field, change] of Object.entries(activity.changes ?? {})) {
    old_data[field] = change.old;
    new_data[field] = change.new;
  }
  return {
    action: auditAction(activity.type),
    org_id: activity.organizationId,
    ...(activity.actorId !== undefined && { admin_id: activity.actorId }),
    timestamp: activity.createdAt,
    old_data,
    ...(activity.actorIpAddress !== undefined && { ip: plainIp(activity.actorIpAddress) }),
    type: activity.type,
    new_data,
  };
}

export interface MonthlyConsumption {
  organizationId: string;
  month: string;
  apiCalls: number;
  storageGb: number;
}

export const toConsumption = (consumption: MonthlyConsumption) => ({
  org_id: consumption.organizationId,
  month: consumption.month,
  api_calls: consumption.apiCalls,
  storage_used: consumption.storageGb,
});

/** Locktera permissions as ClickHouse key roles: write → admin, read only → developer. */
export const rolesOf = (permissions: readonly Permission[]): KeyRole[] => (permissions.includes('write') ? ['admin'] : ['developer']);

/** And back: admin reads and writes, developer reads; other roles give nothing Locktera names. */
export function permissionsOf(roles: readonly string[]): Permission[] {
  if (roles.includes('admin')) return ['read', 'write'];
  return roles.includes('developer') ? ['read'] : [];
}

export const toLockteraApiKey = (key: DomainApiKey, organizationId: string) => ({
  key_id: key.id,
  org_id: organizationId,
  name: key.name,
  created_at: key.createdAt,
  permissions: permissionsOf(key.roles),
});
