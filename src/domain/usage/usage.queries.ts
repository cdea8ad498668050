/**
 * Usage storage. Events are kept (for idempotency) and folded into `usage_daily` in the same
 * statement, so the rollup is exact at every commit and reports read only the rollup.
 */
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';

/** `usage_daily.project_id` for usage of the organization itself (the key has no nullable column). */
export const NO_PROJECT = '00000000-0000-0000-0000-000000000000';

export interface NewUsageEvent {
  idempotencyKey: string;
  metric: string;
  quantity: number;
  occurredAt: Date;
  projectId: string | null;
}

/**
 * Inserts a batch and adds what was new to the daily rollup: ONE statement (so one transaction,
 * one round trip). Events whose key the organization has seen are skipped. Rows are taken in key
 * order and the rollup upserted in (day, metric, project) order, so concurrent batches lock in
 * the same order and cannot deadlock. Returns how many events were new.
 */
export async function ingestUsageEvents(db: Db, organizationId: string, events: NewUsageEvent[], receivedAt: Date): Promise<number> {
  const { rows } = await sql<{ accepted: number }>`
    with input as (
      select * from unnest(
        ${events.map((e) => e.idempotencyKey)}::text[],
        ${events.map((e) => e.metric)}::text[],
        ${events.map((e) => String(e.quantity))}::numeric[],
        ${events.map((e) => e.occurredAt.toISOString())}::timestamptz[],
        ${events.map((e) => e.projectId)}::uuid[]
      ) as e(idempotency_key, metric, quantity, occurred_at, project_id)
    ),
    inserted as (
      insert into usage_events (organization_id, idempotency_key, project_id, metric, quantity, occurred_at, received_at)
      select ${organizationId}::uuid, idempotency_key, project_id, metric, quantity, occurred_at, ${receivedAt}::timestamptz
      from input order by idempotency_key
      on conflict do nothing
      returning project_id, metric, quantity, occurred_at
    ),
    rolled as (
      insert into usage_daily (organization_id, day, metric, project_id, quantity, events)
      select ${organizationId}::uuid, (occurred_at at time zone 'UTC')::date, metric, coalesce(project_id, ${NO_PROJECT}::uuid), sum(quantity), count(*)
      from inserted
      group by 2, 3, 4
      order by 2, 3, 4
      on conflict (organization_id, day, metric, project_id) do update
        set quantity = usage_daily.quantity + excluded.quantity, events = usage_daily.events + excluded.events
      returning 1
    )
    select count(*)::int as accepted from inserted`.execute(db);
  return rows[0]!.accepted;
}

/** The given ids that are live projects of the organization. */
export async function projectsOfOrganization(db: Db, organizationId: string, projectIds: string[]): Promise<Set<string>> {
  const rows = await db
    .selectFrom('projects')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('id', 'in', projectIds)
    .execute();
  return new Set(rows.map((row) => row.id));
}

/** Adds API-call counts (organization, UTC day, count) to the rollup, in one statement. */
export async function addApiCalls(db: Db, metric: string, counts: { organizationId: string; day: string; calls: number }[]): Promise<void> {
  if (counts.length === 0) return;
  await sql`
    insert into usage_daily (organization_id, day, metric, project_id, quantity, events)
    select c.organization_id, c.day, ${metric}, ${NO_PROJECT}::uuid, c.calls, c.calls
    from unnest(${counts.map((c) => c.organizationId)}::uuid[], ${counts.map((c) => c.day)}::date[], ${counts.map((c) => c.calls)}::bigint[])
      as c(organization_id, day, calls)
    order by 1, 2
    on conflict (organization_id, day, metric, project_id) do update
      set quantity = usage_daily.quantity + excluded.quantity, events = usage_daily.events + excluded.events`.execute(db);
}

export interface DailyUsageRow {
  organization_name: string;
  day: string | null;
  project_id: string | null;
  project_name: string | null;
  metric: string | null;
  quantity: string | null;
}

/**
 * The organization's rollup rows for [from, to] with project names, in one query that also says
 * whether the organization is live: no row at all means it is not; a live one without usage gives
 * one row of nulls beside its name.
 */
export async function dailyUsage(db: Db, organizationId: string, from: string, to: string): Promise<DailyUsageRow[]> {
  const { rows } = await sql<DailyUsageRow>`
    select o.name as organization_name, d.day::text as day, d.project_id, p.name as project_name, d.metric, d.quantity::text as quantity
    from organizations o
    left join usage_daily d on d.organization_id = o.id and d.day between ${from}::date and ${to}::date
    left join projects p on p.id = d.project_id
    where o.id = ${organizationId} and o.deleted_at is null
    order by d.day, d.project_id, d.metric`.execute(db);
  return rows;
}

export interface MonthlyMetricRow {
  metric: string;
  quantity: string;
  events: string;
  /** The metric's total on the latest day it has in the range (for gauges such as storage). */
  latest_day_quantity: string;
}

/** Per metric over [from, to]: totals, and the latest day's total. Served by the rollup's primary key. */
export async function monthlyUsage(db: Db, organizationId: string, from: string, to: string): Promise<MonthlyMetricRow[]> {
  const { rows } = await sql<MonthlyMetricRow>`
    with by_day as (
      select day, metric, sum(quantity) as quantity, sum(events) as events
      from usage_daily
      where organization_id = ${organizationId} and day between ${from}::date and ${to}::date
      group by day, metric
    )
    select metric, sum(quantity)::text as quantity, sum(events)::text as events,
      ((array_agg(quantity order by day desc))[1])::text as latest_day_quantity
    from by_day group by metric order by metric`.execute(db);
  return rows;
}
