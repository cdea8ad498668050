/**
 * The trail of an organization's descendants, in ONE query: a recursive walk down the live tree,
 * then, per descendant, at most one page of its newest activities (a LATERAL subquery served by
 * the (organization_id, created_at desc, id desc) index), merged and cut to the page. The cost is
 * bounded by descendants × page size, however long each trail is.
 */
import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../db/database.js';
import { SERVED_COLUMNS, type ActivityRow } from './activities.queries.js';

/** No tree is deeper than the configuration allows (≤ 100): the walk stops there even on bad data. */
const MAX_WALK = 100;

export interface DescendantActivityFilter {
  organizationId: string;
  from: Date | undefined;
  to: Date | undefined;
  /** Keyset position: rows strictly older than (createdAt, id). */
  after: { createdAt: Date; id: string } | undefined;
  /** Rows to skip before the page (offset paging); each descendant then contributes up to skip + limit rows. */
  skip: number;
  limit: number;
}

const columns = (alias: string) => sql.raw(SERVED_COLUMNS.map((column) => `${alias}.${column}`).join(', '));

/** Activities of every live descendant (not the organization itself), newest first. */
export async function listDescendantActivities(db: Db, filter: DescendantActivityFilter): Promise<ActivityRow[]> {
  const conditions: RawBuilder<unknown>[] = [sql`a.organization_id = d.id`];
  if (filter.from) conditions.push(sql`a.created_at >= ${filter.from}`);
  if (filter.to) conditions.push(sql`a.created_at <= ${filter.to}`);
  if (filter.after) conditions.push(sql`(a.created_at, a.id) < (${filter.after.createdAt}, ${filter.after.id}::uuid)`);
  const perDescendant = filter.skip + filter.limit;
  const result = await sql<ActivityRow>`
    with recursive descendants as (
      select c.id, 1 as level from organizations c
      where c.parent_id = ${filter.organizationId}::uuid and c.deleted_at is null
      union all
      select c.id, d.level + 1 from descendants d join organizations c on c.parent_id = d.id
      where c.deleted_at is null and d.level < ${MAX_WALK}
    )
    select ${columns('t')}
    from descendants d
    cross join lateral (
      select ${columns('a')} from activities a
      where ${sql.join(conditions, sql` and `)}
      order by a.created_at desc, a.id desc
      limit ${perDescendant}
    ) t
    order by t.created_at desc, t.id desc
    limit ${filter.limit} offset ${filter.skip}`.execute(db);
  return result.rows;
}
