import type { Db } from '../../db/database.js';
import { requireOrganizationAccess } from '../access.js';
import { invalid, notFound } from '../errors.js';
import { parseTimestamp } from '../timestamps.js';
import { decodeCursor, pageSize, toPage, type Page, type PageRequest } from '../pagination.js';
import type { Principal } from '../principal.js';
import { organizationExists } from '../organizations/organizations.queries.js';
import { findActivity, listActivities, type ActivityRow } from './activities.queries.js';
import { KEY_ACTIVITY_TYPES, MEMBER_ACTIVITY_TYPES, type Activity } from './activities.schemas.js';

export interface ActivityQuery extends PageRequest {
  /** ISO-8601, inclusive. */
  fromDate?: string | undefined;
  /** ISO-8601, inclusive. */
  toDate?: string | undefined;
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
      const from = query.fromDate === undefined ? undefined : parseTimestamp(query.fromDate, 'from_date');
      const to = query.toDate === undefined ? undefined : parseTimestamp(query.toDate, 'to_date');
      if (from && to && from > to) {
        throw invalid('from_date', 'from_date must not be after to_date');
      }
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
