import { sql, type Selectable } from 'kysely';
import type { Db } from '../../db/database.js';
import type { ActivitiesTable } from '../../db/schema.js';

export type ActivityRow = Omit<Selectable<ActivitiesTable>, 'project_id'>;

/** What an Activity is served from (project_id is not part of the wire shape yet). */
const SERVED_COLUMNS = [
  'id', 'organization_id', 'type', 'actor_type', 'actor_id', 'actor_details', 'actor_ip',
  'user_agent', 'target_id', 'key_update_type', 'changes', 'created_at',
] as const;
export type NewActivityRow = Omit<Selectable<ActivitiesTable>, 'changes'> & { changes: string | null };

export async function insertActivities(db: Db, rows: NewActivityRow[]): Promise<void> {
  if (rows.length > 0) await db.insertInto('activities').values(rows).execute();
}

export interface ActivityFilter {
  organizationId: string;
  from: Date | undefined;
  to: Date | undefined;
  /** Keyset position: rows strictly older than (createdAt, id). */
  after: { createdAt: Date; id: string } | undefined;
  limit: number;
}

/** Newest first, served from the (organization_id, created_at desc, id desc) index. */
export async function listActivities(db: Db, filter: ActivityFilter): Promise<ActivityRow[]> {
  let query = db
    .selectFrom('activities')
    .select(SERVED_COLUMNS)
    .where('organization_id', '=', filter.organizationId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit);
  if (filter.from) query = query.where('created_at', '>=', filter.from);
  if (filter.to) query = query.where('created_at', '<=', filter.to);
  if (filter.after) {
    const { createdAt, id } = filter.after;
    query = query.where(sql<boolean>`(created_at, id) < (${createdAt}, ${id}::uuid)`);
  }
  return query.execute();
}

export async function findActivity(db: Db, organizationId: string, id: string): Promise<ActivityRow | undefined> {
  return db
    .selectFrom('activities')
    .select(SERVED_COLUMNS)
    .where('organization_id', '=', organizationId)
    .where('id', '=', id)
    .executeTakeFirst();
}
