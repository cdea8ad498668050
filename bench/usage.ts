/**
 * The usage scenarios (issue 5), against real Orgbase processes on PostgreSQL:
 *
 *  1. usageCost: GET /v1/organizations/{id}/usageCost over the 31 days of an organization holding
 *     10,000,000 events (bench/usage-seed.ts), with its admin key; checked once against SQL sums
 *     over usage_events, then autocannon at the usual connections and at 1. Target: p99 ≤ 50 ms.
 *     Beside it (not judged): what a report costs to build when it is not cached (bench/usage-build.ts).
 *  2. ingest: batches of 1,000 new events, a few connections (bench/ingest.ts). Target ≥ 20,000 events/s.
 *  3. the API-call meter: GET /v1/organizations/{id} (the main table's scenario, same organization
 *     and key) against two fresh Orgbase processes that differ only in ORGBASE_METER_API_CALLS,
 *     alternating rounds as the baseline comparisons do. Target: metered ≥ 0.95× unmetered. The
 *     metered process is then stopped (a graceful stop writes its buffer) and the api_calls it
 *     wrote are compared with the requests it answered.
 */
import type pg from 'pg';
import { measureIngest, type IngestResult } from './ingest.js';
import { measureReportBuilds, type BuildLatency } from './usage-build.js';
import { loadUsageConfig } from '../src/usage-config.js';
import { measurePair, segment, summarize, warmUp, type LoadResult, type LoadSpec, type Segment } from './load.js';
import type { CpuMeter } from './machine.js';
import type { Server } from './processes.js';
import { evaluate, type ScenarioResult } from './report.js';
import { checkReportAgainstEvents, countApiCalls, countIngested, prepareUsage, REPORT_DAYS, USAGE_PRICES, type ReportCheck, type UsageFixture } from './usage-seed.js';

export const INGEST_TARGET_EVENTS_PER_SECOND = 20_000;
export const METER_MIN_RATIO = 0.95;
export const USAGE_COST_P99_LIMIT_MS = 50;
const NO_PROJECT = '00000000-0000-0000-0000-000000000000';

export interface UsageSettings {
  events: number;
  ingestSeconds: number;
  ingestConnections: number;
  durationSeconds: number;
  rounds: number;
  warmupSeconds: number;
  connections: number;
  unloadedDurationSeconds: number;
}

export interface UsageResult {
  fixture: UsageFixture;
  usageCost: {
    path: string;
    records: number;
    check: ReportCheck;
    loaded: LoadResult;
    unloaded: LoadResult | undefined;
    /** Building the report without the cache, in-process (not judged). */
    builds: BuildLatency[];
    problems: string[];
    pass: boolean;
    otherCpuPercent: number | undefined;
  };
  ingest: IngestResult & { stored: { events: number; rolledUp: number }; problems: string[]; pass: boolean; otherCpuPercent: number | undefined };
  /** orgbase = ORGBASE_METER_API_CALLS=true, baseline = false. */
  meter: ScenarioResult;
  meterCount: { counted: number; answered: number };
  pass: boolean;
  missed: string[];
}

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
const format = (n: number) => Math.round(n).toLocaleString('en');

async function getJson(url: string, authorization: string): Promise<any> {
  const response = await fetch(url, { headers: { authorization }, signal: AbortSignal.timeout(30_000) });
  const body = await response.json();
  if (!response.ok) throw new Error(`bench: GET ${url} → ${response.status} ${JSON.stringify(body)}`);
  return body;
}

const loadProblems = (result: LoadResult) => [
  ...(result.non2xx > 0 ? [`${result.non2xx} non-2xx responses ${JSON.stringify(result.statusCodes)}`] : []),
  ...(result.errors > 0 ? [`${result.errors} request errors (${result.timeouts} timeouts)`] : []),
  ...(result.ok === 0 ? ['no successful responses'] : []),
];

/** One server, no baseline: warm-up, then `rounds` segments (as measurePair does for each side). */
async function measureAlone(spec: LoadSpec, options: { seconds: number; rounds: number; warmupSeconds: number }): Promise<LoadResult> {
  const warm = await warmUp(spec, options.warmupSeconds);
  const segments: Segment[] = [];
  for (let round = 0; round < options.rounds; round++) segments.push(await segment(spec, Math.max(1, options.seconds / options.rounds)));
  return summarize(segments, warm);
}

export async function runUsageScenarios(ctx: {
  client: pg.Client;
  /** The bench database (the uncached report build is measured in this process against it). */
  databaseUrl: string;
  /** The main Orgbase process (default configuration: API calls metered). */
  orgbase: Server;
  /** Starts another Orgbase process like the main one, with these variables added (and stopped with it). */
  startOrgbase: (name: string, env: Record<string, string>) => Promise<Server>;
  rootKey: string;
  /** The organization and admin key of the main table's GET /v1/organizations/{id}. */
  get: { organizationId: string; authorization: string };
  settings: UsageSettings;
  cpu: CpuMeter;
  log: (message: string) => void;
}): Promise<UsageResult> {
  const { client, orgbase, settings, cpu, log } = ctx;
  const fixture = await prepareUsage(client, orgbase.url, ctx.rootKey, settings.events, log);
  const { report } = fixture;

  // 1. usageCost: checked once against the raw events, then measured.
  const path = `/v1/organizations/${report.id}/usageCost?from_date=${report.from}&to_date=${report.to}`;
  let t0 = Date.now();
  const answer = (await getJson(`${orgbase.url}${path}`, report.auth)).result as {
    costs: { date: string; serviceId: string | null; usage: { metric: string; quantity: number }[] }[];
  };
  const cells = answer.costs.flatMap((record) =>
    record.usage.map((usage) => ({ date: record.date, project: record.serviceId ?? NO_PROJECT, metric: usage.metric, quantity: usage.quantity })),
  );
  const check = await checkReportAgainstEvents(client, report.id, report.from, report.to, cells);
  if (check.events !== report.events) throw new Error(`bench: ${check.events} events in the report's ${REPORT_DAYS} days, but the organization holds ${report.events}`);
  log(
    `usageCost: ${answer.costs.length} records, ${check.cells} (day, entity, metric) quantities, each equal to the SQL sum over usage_events ` +
      `(${format(check.events)} events; ${seconds(t0)})`,
  );
  const costSpec: LoadSpec = { baseUrl: orgbase.url, method: 'GET', path, headers: { authorization: report.auth }, connections: settings.connections };
  let share = cpu.start();
  t0 = Date.now();
  const loaded = await measureAlone(costSpec, { seconds: settings.durationSeconds, rounds: settings.rounds, warmupSeconds: settings.warmupSeconds });
  const costCpu = share()?.otherPercent;
  const unloaded =
    settings.unloadedDurationSeconds > 0
      ? await measureAlone({ ...costSpec, connections: 1 }, { seconds: settings.unloadedDurationSeconds, rounds: 1, warmupSeconds: Math.min(1, settings.warmupSeconds) })
      : undefined;
  const builds = await measureReportBuilds({
    databaseUrl: ctx.databaseUrl,
    organizationId: report.id,
    from: report.from,
    to: report.to,
    prices: loadUsageConfig({ ORGBASE_USAGE_PRICES: JSON.stringify(USAGE_PRICES) }).usagePrices, // as the servers read them
    seconds: Math.max(1, settings.unloadedDurationSeconds),
    concurrencies: [1, 8],
  });
  log(`usageCost uncached build (query + report + JSON, in-process): ${builds.map((b) => `${b.concurrency} at a time p50 ${b.p50Ms.toFixed(2)} ms, p99 ${b.p99Ms.toFixed(2)} ms, ${b.buildsPerSecond.toFixed(0)}/s`).join('; ')}`);
  const costProblems = [...loadProblems(loaded), ...(unloaded ? loadProblems(unloaded).map((p) => `1 connection: ${p}`) : [])];
  log(
    `usageCost: ${settings.connections} connections p50 ${loaded.p50Ms.toFixed(2)} ms, p99 ${loaded.p99Ms.toFixed(2)} ms, ${loaded.requestsPerSecond.toFixed(0)} req/s` +
      `${unloaded ? `; 1 connection p50 ${unloaded.p50Ms.toFixed(2)} ms, p99 ${unloaded.p99Ms.toFixed(2)} ms` : ''} (${seconds(t0)})`,
  );

  // 2. Ingest.
  share = cpu.start();
  t0 = Date.now();
  const ingested = await measureIngest(
    { baseUrl: orgbase.url, organizationId: fixture.ingest.id, authorization: fixture.ingest.auth, projectIds: fixture.ingest.projectIds },
    { seconds: settings.ingestSeconds, warmupSeconds: settings.warmupSeconds, connections: settings.ingestConnections },
  );
  const ingestCpu = share()?.otherPercent;
  const stored = await countIngested(client, fixture.ingest.id);
  const acceptedInAll = ingested.events + ingested.warmupEvents;
  const ingestProblems = [
    ...(ingested.failures > 0 ? [`${ingested.failures} batches not fully accepted: ${ingested.failureSamples.join(' | ')}`] : []),
    ...(stored.events !== acceptedInAll || stored.rolledUp !== acceptedInAll
      ? [`${format(acceptedInAll)} events accepted, but usage_events holds ${format(stored.events)} and the rollup counts ${format(stored.rolledUp)}`]
      : []),
  ];
  log(
    `ingest: ${format(ingested.eventsPerSecond)} events/s (${format(ingested.batches)} batches of ${ingested.batchSize} in ${ingested.seconds.toFixed(1)} s, ` +
      `${ingested.connections} connections), batch p50 ${ingested.batchP50Ms.toFixed(1)} ms, p99 ${ingested.batchP99Ms.toFixed(1)} ms; ` +
      `stored ${format(stored.events)} events, rollup ${format(stored.rolledUp)} (${seconds(t0)})`,
  );

  // 3. The API-call meter: two fresh processes, alternating rounds.
  const getPath = `/v1/organizations/${ctx.get.organizationId}`;
  const callsBefore = await countApiCalls(client, ctx.get.organizationId);
  const metered = await ctx.startOrgbase('orgbase (API calls metered)', { ORGBASE_METER_API_CALLS: 'true' });
  const unmetered = await ctx.startOrgbase('orgbase (API calls not metered)', { ORGBASE_METER_API_CALLS: 'false' });
  let meter: ScenarioResult;
  try {
    log(`meter: metered orgbase at ${metered.url} (pid ${metered.child.pid}), unmetered at ${unmetered.url} (pid ${unmetered.child.pid})`);
    for (const server of [metered, unmetered]) {
      const got = await getJson(`${server.url}${getPath}`, ctx.get.authorization);
      if (got.result.id !== ctx.get.organizationId) throw new Error(`bench: ${server.name} answered GET ${getPath} with another organization`);
    }
    const spec = (server: Server): LoadSpec => ({
      baseUrl: server.url,
      method: 'GET',
      path: getPath,
      headers: { authorization: ctx.get.authorization },
      connections: settings.connections,
    });
    share = cpu.start();
    t0 = Date.now();
    const [a, b] = await measurePair(spec(metered), spec(unmetered), {
      seconds: settings.durationSeconds,
      rounds: settings.rounds,
      warmupSeconds: settings.warmupSeconds,
    });
    meter = {
      ...evaluate(
        'GET /v1/organizations/{id}, meter on vs off',
        { orgbase: `GET ${getPath} (ORGBASE_METER_API_CALLS=true)`, baseline: `GET ${getPath} (ORGBASE_METER_API_CALLS=false)` },
        a,
        b,
        { text: `≥ ${METER_MIN_RATIO.toFixed(2)}× off`, check: ({ ratio }) => ratio >= METER_MIN_RATIO },
      ),
      otherCpuPercent: share()?.otherPercent,
    };
    log(
      `meter: on ${a.requestsPerSecond.toFixed(0)} req/s (rounds ${a.roundRequestsPerSecond.join(', ')}), off ${b.requestsPerSecond.toFixed(0)} req/s ` +
        `(rounds ${b.roundRequestsPerSecond.join(', ')}): ${meter.ratio.toFixed(3)}× (${seconds(t0)})`,
    );
  } finally {
    await metered.stop(); // SIGTERM: the meter writes what it holds before the process exits
    await unmetered.stop();
  }
  // Every answered request (the sanity GET, warm-up, rounds) is one call; a request in flight when a
  // run stopped is answered and counted without autocannon counting it: at most one per connection per run.
  const counted = (await countApiCalls(client, ctx.get.organizationId)) - callsBefore;
  const answered = 1 + meter.orgbase.ok + meter.orgbase.warmupOk;
  const runs = meter.orgbase.rounds + (settings.warmupSeconds > 0 ? 1 : 0);
  if (counted < answered || counted > answered + runs * settings.connections) {
    meter.problems.push(`the metered server wrote ${counted} api_calls for ${answered} answered requests`);
    meter.pass = false;
  }
  log(`meter: the metered server wrote ${format(counted)} api_calls for ${format(answered)} answered requests; the unmetered one none`);

  const usageCostPass = costProblems.length === 0 && loaded.p99Ms <= USAGE_COST_P99_LIMIT_MS;
  const ingestPass = ingestProblems.length === 0 && ingested.eventsPerSecond >= INGEST_TARGET_EVENTS_PER_SECOND;
  const missed = [
    ...(usageCostPass ? [] : [`usageCost p99 ≤ ${USAGE_COST_P99_LIMIT_MS} ms`]),
    ...(ingestPass ? [] : [`usage ingest ≥ ${format(INGEST_TARGET_EVENTS_PER_SECOND)} events/s`]),
    ...(meter.pass ? [] : [`API-call meter ≥ ${METER_MIN_RATIO}× unmetered`]),
  ];
  return {
    fixture,
    usageCost: { path, records: answer.costs.length, check, loaded, unloaded, builds, problems: costProblems, pass: usageCostPass, otherCpuPercent: costCpu },
    ingest: { ...ingested, stored, problems: ingestProblems, pass: ingestPass, otherCpuPercent: ingestCpu },
    meter,
    meterCount: { counted, answered },
    pass: missed.length === 0,
    missed,
  };
}

const verdict = (pass: boolean, problems: string[]) => (problems.length > 0 ? 'FAIL*' : pass ? 'PASS' : 'FAIL');
const other = (percent: number | undefined) => (percent === undefined ? '' : `; other load ${percent.toFixed(0)}% CPU`);

/** The lines printed under the table (the meter comparison is a row of the table). */
export function describeUsage(result: UsageResult, settings: UsageSettings): string[] {
  const { fixture, usageCost: cost, ingest } = result;
  const { report } = fixture;
  const lines = [
    `Usage: organization ${report.id} with ${format(report.events)} usage events over ${REPORT_DAYS} days (${report.from} to ${report.to}; ` +
      `4 metrics × (${report.projectIds.length} projects + no project), seeded by SQL with the rollup ingest would have made` +
      `${report.seededThisRun > 0 ? `, ${format(report.seededThisRun)} this run` : ''}).`,
    `  usageCost (${REPORT_DAYS} days, ${cost.records} records, ${cost.check.cells} quantities, each equal to the SQL sum over usage_events; admin key): ` +
      `${settings.connections} connections p50 ${cost.loaded.p50Ms.toFixed(2)} ms, p99 ${cost.loaded.p99Ms.toFixed(2)} ms, ${cost.loaded.requestsPerSecond.toFixed(0)} req/s` +
      `  target p99 ≤ ${USAGE_COST_P99_LIMIT_MS} ms  ${verdict(cost.pass, cost.problems)}${other(cost.otherCpuPercent)}`,
  ];
  if (cost.unloaded) {
    lines.push(
      `    1 connection: p50 ${cost.unloaded.p50Ms.toFixed(2)} ms, p99 ${cost.unloaded.p99Ms.toFixed(2)} ms, ${cost.unloaded.requestsPerSecond.toFixed(0)} req/s` +
        ` (${cost.unloaded.p99Ms <= USAGE_COST_P99_LIMIT_MS ? 'within' : 'over'} ${USAGE_COST_P99_LIMIT_MS} ms)`,
    );
  }
  lines.push(
    `    served from the report cache (≤ ORGBASE_FLUSH_INTERVAL_MS old, dropped on ingest); building it uncached (query + report + JSON, in-process): ` +
      cost.builds.map((b) => `${b.concurrency} at a time p50 ${b.p50Ms.toFixed(2)} ms, p99 ${b.p99Ms.toFixed(2)} ms (${b.buildsPerSecond.toFixed(0)}/s)`).join('; '),
  );
  lines.push(
    `  ingest (POST …/usage, batches of ${ingest.batchSize} new events, ${format(ingest.batchBytes / 1024)} KiB each, random UUID idempotency keys, ` +
      `${ingest.connections} connections, ${ingest.seconds.toFixed(1)} s after ${settings.warmupSeconds} s warm-up): ` +
      `${format(ingest.eventsPerSecond)} events/s (${format(ingest.batches)} batches), batch p50 ${ingest.batchP50Ms.toFixed(1)} ms, ` +
      `p99 ${ingest.batchP99Ms.toFixed(1)} ms  target ≥ ${format(INGEST_TARGET_EVENTS_PER_SECOND)} events/s  ${verdict(ingest.pass, ingest.problems)}${other(ingest.otherCpuPercent)}`,
    `  API-call meter (table row "meter on vs off": base = a second, fresh Orgbase with ORGBASE_METER_API_CALLS=false): ` +
      `${result.meter.ratio.toFixed(3)}×  target ≥ ${METER_MIN_RATIO}×  ${verdict(result.meter.pass, result.meter.problems)}; ` +
      `the metered server wrote ${format(result.meterCount.counted)} api_calls for ${format(result.meterCount.answered)} answered requests`,
  );
  for (const problem of [...cost.problems.map((p) => `usageCost: ${p}`), ...ingest.problems.map((p) => `ingest: ${p}`)]) lines.push(`  * ${problem}`);
  return lines;
}

/** The usage part of bench/results/latest.json. */
export function usageJson(result: UsageResult) {
  const { report, ingest } = result.fixture;
  return {
    reportOrganization: {
      id: report.id,
      events: report.events,
      seededThisRun: report.seededThisRun,
      from: report.from,
      to: report.to,
      projects: report.projectIds.length,
    },
    ingestOrganization: { id: ingest.id, projects: ingest.projectIds.length, clearedEvents: ingest.clearedEvents },
    usageCost: { ...result.usageCost, targetP99Ms: USAGE_COST_P99_LIMIT_MS },
    ingest: { ...result.ingest, targetEventsPerSecond: INGEST_TARGET_EVENTS_PER_SECOND },
    meter: { ...result.meter, targetRatio: METER_MIN_RATIO, counted: result.meterCount },
    pass: result.pass,
    missed: result.missed,
  };
}
