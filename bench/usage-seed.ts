/**
 * The usage benchmark's data (issue 5). Two organizations, made through the API with their
 * projects and, per run, a fresh admin key each:
 *
 *  - "orgbase-usage-bench" holds the events a 31-day usageCost report reads: BENCH_USAGE_EVENTS
 *    (10,000,000) events spread evenly over 31 UTC days ending the day before the first seeding,
 *    4 metrics × (4 projects + no project). Seeded by SQL in chunks of 1,000,000, each ONE
 *    statement that inserts the events and adds them to `usage_daily` exactly as ingest does
 *    (src/domain/usage/usage.queries.ts), so a run cut short leaves a consistent prefix the next run
 *    continues from. Event n (1, 2, …) is a pure function of n: key "seed-<n, 10 digits>" (ascending,
 *    so the primary-key index grows at its end), metric n mod 4, project (n div 4) mod 5 (0: none),
 *    time start + (n · 7919 mod 31 days) seconds (7919 is prime to 31 days' seconds: any count of
 *    events covers all 31 days evenly), quantity 0.01–10.00. Re-runs with more events top it up.
 *  - "orgbase-ingest-bench" receives the ingest scenario's batches; earlier runs' events are
 *    deleted first, so it holds only this run's.
 */
import type pg from 'pg';
import { api, createAdminKey } from './seed.js';

export const USAGE_ORGANIZATION_NAME = 'orgbase-usage-bench';
export const INGEST_ORGANIZATION_NAME = 'orgbase-ingest-bench';
export const USAGE_METRICS = ['compute_units', 'storage_gb', 'egress_gb', 'backup_gb'] as const;
/** ORGBASE_USAGE_PRICES of the servers under test, so the report prices every metric in its category. */
export const USAGE_PRICES = {
  compute_units: 0.0001,
  storage_gb: { unitPrice: 0.02, category: 'storage' },
  egress_gb: { unitPrice: 0.09, category: 'dataTransfer' },
  backup_gb: { unitPrice: 0.01, category: 'backup' },
};
export const REPORT_DAYS = 31;
/** Projects of the report organization; its events are spread over these and "no project". */
const REPORT_PROJECTS = 4;
/** Projects of the ingest organization. */
const INGEST_PROJECTS = 2;
const CHUNK = 1_000_000;
const NO_PROJECT = '00000000-0000-0000-0000-000000000000';
const API_CALLS = 'api_calls';

export interface BenchOrganization {
  id: string;
  created: boolean;
  projectIds: string[];
  key: { id: string; keyId: string; keySecret: string };
  /** `Basic base64(keyId:keySecret)` of its admin key. */
  auth: string;
}

export interface UsageFixture {
  report: BenchOrganization & {
    /** Events the organization holds (all of them in [from, to]). */
    events: number;
    seededThisRun: number;
    from: string;
    to: string;
  };
  ingest: BenchOrganization & { clearedEvents: number };
}

const day = (date: Date) => date.toISOString().slice(0, 10);
const addDays = (isoDay: string, days: number) => day(new Date(Date.parse(`${isoDay}T00:00:00Z`) + days * 86_400_000));
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** The named top-level organization with at least `projects` projects (made through the API when missing) and a fresh admin key. */
async function benchOrganization(client: pg.Client, orgbaseUrl: string, rootKey: string, name: string, projects: number): Promise<BenchOrganization> {
  const found = await client.query<{ id: string }>(
    'select id from organizations where name = $1 and deleted_at is null and parent_id is null order by created_at limit 1',
    [name],
  );
  const id = found.rows[0]?.id ?? (await api<{ id: string }>(orgbaseUrl, 'POST', '/v1/organizations', rootKey, { name })).id;
  const projectIds = async () =>
    (await client.query<{ id: string }>('select id from projects where organization_id = $1 order by created_at, id', [id])).rows.map((row) => row.id);
  let ids = await projectIds();
  for (let n = ids.length; n < projects; n++) {
    await api(orgbaseUrl, 'POST', `/v1/organizations/${id}/projects`, rootKey, { name: `bench-project-${n + 1}-${Date.now()}` });
  }
  ids = (await projectIds()).slice(0, projects); // oldest first: the same ones every run
  const key = await createAdminKey(orgbaseUrl, rootKey, id);
  return { id, created: found.rows.length === 0, projectIds: ids, key, auth: `Basic ${Buffer.from(`${key.keyId}:${key.keySecret}`).toString('base64')}` };
}

/** Events of the organization, from the rollup (exact at every commit; API calls are not events). */
async function rolledUpEvents(client: pg.Client, organizationId: string): Promise<number> {
  const { rows } = await client.query<{ events: string }>(
    'select coalesce(sum(events), 0)::text as events from usage_daily where organization_id = $1 and metric <> $2',
    [organizationId, API_CALLS],
  );
  return Number(rows[0]!.events);
}

/** Seeds events target − existing (see the header), one statement per chunk; then VACUUM ANALYZE. */
async function seedReportEvents(
  client: pg.Client,
  organizationId: string,
  projectIds: string[],
  target: number,
  log: (message: string) => void,
): Promise<{ events: number; seeded: number; from: string }> {
  const existing = await rolledUpEvents(client, organizationId);
  let from: string;
  if (existing === 0) {
    from = addDays(day(new Date()), -REPORT_DAYS); // 31 days ending yesterday
  } else {
    const first = await client.query<{ day: string }>(
      `select (occurred_at at time zone 'UTC')::date::text as day from usage_events where organization_id = $1 and idempotency_key = $2`,
      [organizationId, seedKey(1)],
    );
    if (!first.rows[0]) throw new Error(`bench: ${USAGE_ORGANIZATION_NAME} holds ${existing} events but not the first seeded one`);
    from = first.rows[0].day;
  }
  if (existing >= target) {
    await client.query('analyze usage_daily');
    return { events: existing, seeded: 0, from };
  }
  const started = Date.now();
  log(`usage: seeding events ${(existing + 1).toLocaleString('en')}–${target.toLocaleString('en')} of ${USAGE_ORGANIZATION_NAME} by SQL, ${CHUNK.toLocaleString('en')} per statement`);
  for (let first = existing + 1; first <= target; first += CHUNK) {
    const last = Math.min(target, first + CHUNK - 1);
    await client.query(
      `with g as (
         select n, $3::timestamptz + ((n * 7919) % ${REPORT_DAYS * 86_400}) * interval '1 second' + (n % 1000) * interval '1 millisecond' as ts
         from generate_series($4::bigint, $5::bigint) n
       ),
       inserted as (
         insert into usage_events (organization_id, idempotency_key, project_id, metric, quantity, occurred_at, received_at)
         select $1::uuid, 'seed-' || lpad(n::text, 10, '0'),
                case when (n / 4) % 5 = 0 then null else ($2::uuid[])[(n / 4) % 5] end,
                ($6::text[])[1 + n % 4], round(((n * 37) % 1000 + 1) / 100.0, 2), ts, ts + interval '2 seconds'
         from g
         on conflict do nothing
         returning project_id, metric, quantity, occurred_at
       )
       insert into usage_daily (organization_id, day, metric, project_id, quantity, events)
       select $1::uuid, (occurred_at at time zone 'UTC')::date, metric, coalesce(project_id, $7::uuid), sum(quantity), count(*)
       from inserted
       group by 2, 3, 4
       order by 2, 3, 4
       on conflict (organization_id, day, metric, project_id) do update
         set quantity = usage_daily.quantity + excluded.quantity, events = usage_daily.events + excluded.events`,
      [organizationId, projectIds, `${from}T00:00:00Z`, first, last, USAGE_METRICS, NO_PROJECT],
    );
    log(`usage: ${last.toLocaleString('en')} / ${target.toLocaleString('en')} events (${seconds(started)})`);
  }
  log('usage: VACUUM ANALYZE usage_events, usage_daily');
  await client.query('vacuum analyze usage_events, usage_daily');
  const events = await rolledUpEvents(client, organizationId);
  if (events !== target) throw new Error(`bench: ${USAGE_ORGANIZATION_NAME} holds ${events} events after seeding, expected ${target}`);
  log(`usage: seeded ${(target - existing).toLocaleString('en')} events in ${seconds(started)}`);
  return { events, seeded: target - existing, from };
}

const seedKey = (n: number) => `seed-${String(n).padStart(10, '0')}`;

/** Both organizations, the report organization seeded up to `targetEvents`, the ingest organization emptied. */
export async function prepareUsage(
  client: pg.Client,
  orgbaseUrl: string,
  rootKey: string,
  targetEvents: number,
  log: (message: string) => void,
): Promise<UsageFixture> {
  const report = await benchOrganization(client, orgbaseUrl, rootKey, USAGE_ORGANIZATION_NAME, REPORT_PROJECTS);
  if (report.projectIds.length !== REPORT_PROJECTS) throw new Error(`bench: ${USAGE_ORGANIZATION_NAME} has ${report.projectIds.length} projects`);
  const seeded = await seedReportEvents(client, report.id, report.projectIds, targetEvents, log);
  log(
    `usage: ${USAGE_ORGANIZATION_NAME} ${report.id} (${report.created ? 'created' : 'from an earlier run'}) holds ` +
      `${seeded.events.toLocaleString('en')} events, ${seeded.from} to ${addDays(seeded.from, REPORT_DAYS - 1)}` +
      `${seeded.seeded > 0 ? '' : ' (seeding skipped)'}; admin key ${report.key.id}`,
  );

  const ingest = await benchOrganization(client, orgbaseUrl, rootKey, INGEST_ORGANIZATION_NAME, INGEST_PROJECTS);
  const cleared = await client.query('delete from usage_events where organization_id = $1', [ingest.id]);
  await client.query('delete from usage_daily where organization_id = $1', [ingest.id]);
  log(`usage: ${INGEST_ORGANIZATION_NAME} ${ingest.id}: deleted ${(cleared.rowCount ?? 0).toLocaleString('en')} events of earlier runs; admin key ${ingest.key.id}`);

  return {
    report: { ...report, events: seeded.events, seededThisRun: seeded.seeded, from: seeded.from, to: addDays(seeded.from, REPORT_DAYS - 1) },
    ingest: { ...ingest, clearedEvents: cleared.rowCount ?? 0 },
  };
}

/** Ingested events of the organization: in `usage_events`, and in the rollup. */
export async function countIngested(client: pg.Client, organizationId: string): Promise<{ events: number; rolledUp: number }> {
  const { rows } = await client.query<{ count: string }>('select count(*)::text as count from usage_events where organization_id = $1', [organizationId]);
  return { events: Number(rows[0]!.count), rolledUp: await rolledUpEvents(client, organizationId) };
}

/** The organization's `api_calls` so far (all days), as the API-call meter wrote them. */
export async function countApiCalls(client: pg.Client, organizationId: string): Promise<number> {
  const { rows } = await client.query<{ calls: string }>(
    'select coalesce(sum(quantity), 0)::text as calls from usage_daily where organization_id = $1 and metric = $2',
    [organizationId, API_CALLS],
  );
  return Number(rows[0]!.calls);
}

export interface ReportCell {
  date: string;
  /** The project, or NO_PROJECT for the organization itself. */
  project: string;
  metric: string;
  quantity: number;
}

export interface ReportCheck {
  cells: number;
  events: number;
  /** Per metric: the sum over usage_events (SQL numeric, as text). */
  metricTotals: Record<string, string>;
}

/**
 * Checks a usageCost report against the raw events: every (day, entity, metric) quantity of the
 * report equals the SQL sum over `usage_events` (not the rollup the report is made from), and no
 * group of events is missing from the report. One scan of the organization's events. Throws on a difference.
 */
export async function checkReportAgainstEvents(client: pg.Client, organizationId: string, from: string, to: string, cells: ReportCell[]): Promise<ReportCheck> {
  // One scan: a row per (day, entity, metric), and per metric (day and project null) for the totals.
  const { rows: groups } = await client.query<{ day: string | null; project: string | null; metric: string; quantity: string; events: string }>(
    `select (occurred_at at time zone 'UTC')::date::text as day, coalesce(project_id, $4::uuid)::text as project, metric,
            sum(quantity)::text as quantity, count(*)::text as events
     from usage_events
     where organization_id = $1 and occurred_at >= $2::date and occurred_at < $3::date + 1
     group by grouping sets ((1, 2, 3), (3))`,
    [organizationId, from, to, NO_PROJECT],
  );
  const rows = groups.filter((row) => row.day !== null);
  const totals = groups.filter((row) => row.day === null).sort((a, b) => a.metric.localeCompare(b.metric));
  const expected = new Map(rows.map((row) => [`${row.day}|${row.project}|${row.metric}`, row]));
  const problems: string[] = [];
  for (const cell of cells) {
    const key = `${cell.date}|${cell.project}|${cell.metric}`;
    const row = expected.get(key);
    // Both sides parse the same decimal text when the sums agree, so the doubles are identical.
    if (!row) problems.push(`${key}: ${cell.quantity} in the report, no events`);
    else if (Number(row.quantity) !== cell.quantity) problems.push(`${key}: ${cell.quantity} in the report, ${row.quantity} over usage_events`);
    expected.delete(key);
  }
  for (const key of expected.keys()) problems.push(`${key}: events, but not in the report`);
  if (problems.length > 0) throw new Error(`bench: the usageCost report differs from usage_events in ${problems.length} cells: ${problems.slice(0, 5).join('; ')}`);
  return {
    cells: cells.length,
    events: rows.reduce((sum, row) => sum + Number(row.events), 0),
    metricTotals: Object.fromEntries(totals.map((row) => [row.metric, row.quantity])),
  };
}
