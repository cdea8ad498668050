import type { Db } from '../../db/database.js';
import { requireExistingOrganizationAccess } from '../access.js';
import { notFound } from '../errors.js';
import type { Page } from '../pagination.js';
import { planTimePage, toTimePage, type TimePageQuery } from '../time-pages.js';
import type { Principal } from '../principal.js';
import { findActivity, listActivities, type ActivityRow } from './activities.queries.js';
import { listDescendantActivities } from './children-activities.queries.js';
import { KEY_ACTIVITY_TYPES, MEMBER_ACTIVITY_TYPES, type Activity } from './activities.schemas.js';

/** The organization's own trail pages by cursor only. */
export type ActivityQuery = Omit<TimePageQuery, 'offset'>;
/** The subtree's trail also pages by offset (surfaces that page by number). */
export type DescendantActivityQuery = TimePageQuery;

export function createActivitiesService(deps: { db: Db }) {
  const { db } = deps;

  /** Keys reach only their own live organization; root also reads the trail of deleted ones. */
  async function requireReadable(principal: Principal, organizationId: string): Promise<void> {
    await requireExistingOrganizationAccess(db, principal, organizationId, 'read', { includeDeleted: true });
  }

  return {
    async list(principal: Principal, organizationId: string, query: ActivityQuery): Promise<Page<Activity>> {
      const plan = planTimePage(query);
      await requireReadable(principal, organizationId);
      const rows = await listActivities(db, {
        organizationId,
        from: plan.from,
        to: plan.to,
        after: plan.after && { createdAt: plan.after.at, id: plan.after.id },
        limit: plan.fetch,
      });
      return toTimePage(rows, plan, (row) => [row.created_at, row.id], toActivity);
    },

    /**
     * The activities of every live descendant of the organization (not its own), newest first.
     * Only those who administer the subtree see its trail: admin access, so a developer key or a
     * plain member gets 403; root sees any live organization's descendants.
     */
    async listDescendants(principal: Principal, organizationId: string, query: DescendantActivityQuery): Promise<Page<Activity>> {
      const plan = planTimePage(query);
      await requireExistingOrganizationAccess(db, principal, organizationId, 'admin');
      const rows = await listDescendantActivities(db, {
        organizationId,
        from: plan.from,
        to: plan.to,
        after: plan.after && { createdAt: plan.after.at, id: plan.after.id },
        skip: plan.offset ?? 0,
        limit: plan.fetch,
      });
      return toTimePage(rows, plan, (row) => [row.created_at, row.id], toActivity);
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
