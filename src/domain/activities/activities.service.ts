import type { Db } from '../../db/database.js';
import { requireOrganizationAccess } from '../access.js';
import { invalid, notFound } from '../errors.js';
import { parseTimestamp } from '../timestamps.js';
import { decodeCursor, pageSize, toPage, type Page, type PageRequest } from '../pagination.js';
import type { Principal } from '../principal.js';
import { organizationExists } from '../organizations/organizations.queries.js';
import { findActivity, listActivities, type ActivityRow } from './activities.queries.js';
import { listDescendantActivities } from './children-activities.queries.js';
import { KEY_ACTIVITY_TYPES, MEMBER_ACTIVITY_TYPES, type Activity } from './activities.schemas.js';

export interface ActivityQuery extends PageRequest {
  /** ISO-8601, inclusive. */
  fromDate?: string | undefined;
  /** ISO-8601, inclusive. */
  toDate?: string | undefined;
}

export interface DescendantActivityQuery extends ActivityQuery {
  /** Offset paging (surfaces that page by number): skip this many rows; no cursor is used or returned. */
  offset?: number | undefined;
}

/** from_date/to_date as Dates, refusing a range that ends before it starts. */
function dateRange(query: ActivityQuery): { from: Date | undefined; to: Date | undefined } {
  const from = query.fromDate === undefined ? undefined : parseTimestamp(query.fromDate, 'from_date');
  const to = query.toDate === undefined ? undefined : parseTimestamp(query.toDate, 'to_date');
  if (from && to && from > to) {
    throw invalid('from_date', 'from_date must not be after to_date');
  }
  return { from, to };
}

export function createActivitiesService(deps: { db: Db }) {
  const { db } = deps;

  /** Keys reach only their own live organization; root also reads the trail of deleted ones. */
  async function requireReadable(principal: Principal, organizationId: string): Promise<void> {
    await requireOrganizationAccess(db, principal, organizationId, 'read');
    if (principal.kind === 'root' && !(await organizationExists(db, organizationId, { includeDeleted: true }))) {
      throw notFound('Organization', organizationId);
    }
  }

  return {
    async list(principal: Principal, organizationId: string, query: ActivityQuery): Promise<Page<Activity>> {
      const { from, to } = dateRange(query);
      await requireReadable(principal, organizationId);
      const limit = pageSize(query);
      const after = query.cursor ? decodeCursor(query.cursor, ['timestamp', 'uuid']) : undefined;
      const rows = await listActivities(db, {
        organizationId,
        from,
        to,
        after: after && { createdAt: after[0], id: after[1] },
        limit: limit + 1,
      });
      const page = toPage(rows, limit, (row) => [row.created_at.toISOString(), row.id]);
      return { items: page.items.map(toActivity), nextCursor: page.nextCursor };
    },

    /**
     * The activities of every live descendant of the organization (not its own), newest first.
     * Only those who administer the subtree see its trail: admin access, so a developer key or a
     * plain member gets 403; root sees any live organization's descendants.
     */
    async listDescendants(principal: Principal, organizationId: string, query: DescendantActivityQuery): Promise<Page<Activity>> {
      const { from, to } = dateRange(query);
      const { offset } = query;
      if (offset !== undefined && (!Number.isSafeInteger(offset) || offset < 0)) {
        throw invalid('offset', 'offset must be a non-negative integer');
      }
      if (offset !== undefined && query.cursor !== undefined) {
        throw invalid('cursor', 'cursor and offset cannot be combined: page with one or the other');
      }
      await requireOrganizationAccess(db, principal, organizationId, 'admin');
      if (principal.kind === 'root' && !(await organizationExists(db, organizationId, { includeDeleted: false }))) {
        throw notFound('Organization', organizationId);
      }
      const limit = pageSize(query);
      const after = query.cursor ? decodeCursor(query.cursor, ['timestamp', 'uuid']) : undefined;
      const rows = await listDescendantActivities(db, {
        organizationId,
        from,
        to,
        after: after && { createdAt: after[0], id: after[1] },
        skip: offset ?? 0,
        limit: limit + 1,
      });
      const page = toPage(rows, limit, (row) => [row.created_at.toISOString(), row.id]);
      return { items: page.items.map(toActivity), nextCursor: offset === undefined ? page.nextCursor : undefined };
    },

    async get(principal: Principal, organizationId: string, activityId: string): Promise<Activity> {
      await requireReadable(principal, organizationId);
      const row = await findActivity(db, organizationId, activityId);
      if (!row) throw notFound('Activity', activityId);
      return toActivity(row);
    },
  };
}

export type ActivitiesService = ReturnType<typeof createActivitiesService>;

export function toActivity(row: ActivityRow): Activity {
  // Plain assignments, not conditional spreads: a page maps 100 of these per request.
  const activity: Activity = {
    id: row.id,
    createdAt: row.created_at.toISOString(),
    type: row.type,
    actorType: row.actor_type as Activity['actorType'],
    organizationId: row.organization_id,
  };
  if (row.actor_id !== null) activity.actorId = row.actor_id;
  if (row.actor_details !== null) activity.actorDetails = row.actor_details;
  if (row.actor_ip !== null) activity.actorIpAddress = row.actor_ip;
  if (row.user_agent !== null) activity.userAgent = row.user_agent;
  if (row.target_id !== null) {
    if (KEY_ACTIVITY_TYPES.includes(row.type)) activity.targetKeyId = row.target_id;
    else if (MEMBER_ACTIVITY_TYPES.includes(row.type)) activity.targetActorIds = [row.target_id];
    else activity.targetResourceIds = [row.target_id];
  }
  if (row.key_update_type !== null) activity.keyUpdateType = row.key_update_type;
  if (row.changes !== null) activity.changes = row.changes;
  return activity;
}
