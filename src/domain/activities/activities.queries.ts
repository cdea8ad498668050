import { CompiledQuery, sql, type Selectable } from 'kysely';
import type { Db } from '../../db/database.js';
import type { ActivitiesTable } from '../../db/schema.js';
import type { Actor } from '../principal.js';

export type ActivityRow = Omit<Selectable<ActivitiesTable>, 'project_id'>;

/** What an Activity is served from (project_id is not part of the wire shape yet). */
export const SERVED_COLUMNS = [
  'id', 'organization_id', 'type', 'actor_type', 'actor_id', 'actor_details', 'actor_ip',
  'user_agent', 'target_id', 'key_update_type', 'changes', 'created_at',
] as const;
export type NewActivityRow = Omit<Selectable<ActivitiesTable>, 'changes'> & { changes: string | null };

/**
 * For statements that record their own change (one round trip instead of a transaction): the
 * activity columns they insert, and the actor's values in that order after `id, organization_id, type`.
 */
export const ACTIVITY_INSERT_COLUMNS = sql.raw(
  '(id, organization_id, type, actor_type, actor_id, actor_details, actor_ip, user_agent, target_id, changes, created_at)',
);
export const actorValues = (actor: Actor) =>
  sql`${actor.type}::text, ${actor.id}::text, ${actor.details}::text, ${actor.ip}::text, ${actor.userAgent}::text`;

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

/**
 * The list query in each of its shapes (with or without from, to and a cursor), compiled once:
 * the query builder cost more per page than the database does.
 */
const listQueries = new Map<string, string>();

function listQuery(filter: ActivityFilter): string {
  const shape = `${filter.from ? 'f' : ''}${filter.to ? 't' : ''}${filter.after ? 'a' : ''}`;
  let text = listQueries.get(shape);
  if (text === undefined) {
    let next = 2;
    const conditions = ['organization_id = $1'];
    if (filter.from) conditions.push(`created_at >= $${next++}`);
    if (filter.to) conditions.push(`created_at <= $${next++}`);
    if (filter.after) conditions.push(`(created_at, id) < ($${next++}, $${next++}::uuid)`);
    text =
      `select ${SERVED_COLUMNS.join(', ')} from activities where ${conditions.join(' and ')} ` +
      `order by created_at desc, id desc limit $${next}`;
    listQueries.set(shape, text);
  }
  return text;
}

/** Newest first, served from the (organization_id, created_at desc, id desc) index. */
export async function listActivities(db: Db, filter: ActivityFilter): Promise<ActivityRow[]> {
  const parameters: unknown[] = [filter.organizationId];
  if (filter.from) parameters.push(filter.from);
  if (filter.to) parameters.push(filter.to);
  if (filter.after) parameters.push(filter.after.createdAt, filter.after.id);
  parameters.push(filter.limit);
  const result = await db.executeQuery<ActivityRow>(CompiledQuery.raw(listQuery(filter), parameters));
  return result.rows;
}

export async function findActivity(db: Db, organizationId: string, id: string): Promise<ActivityRow | undefined> {
  return db
    .selectFrom('activities')
    .select(SERVED_COLUMNS)
    .where('organization_id', '=', organizationId)
    .where('id', '=', id)
    .executeTakeFirst();
}
