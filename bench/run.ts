/**
 * `npm run bench`: Orgbase on PostgreSQL against a bare Fastify + pg baseline, in one run.
 *
 *   1. its own database (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/orgbase_bench),
 *      created if missing; Orgbase migrates it on start
 *   2. Orgbase (`node --import tsx src/main.ts`) and the baseline (bench/baseline.ts) as child processes
 *   3. seed: one organization and an admin key through the API (root key), 1,000,000 activities by SQL;
 *      a second organization of 10,000 members with an admin member and their personal key (bench/people.ts);
 *      a tree of 99,231 organizations, 10 levels deep, with an admin key of its root (bench/hierarchy.ts)
 *   4. the PostgreSQL round trips of a members page, of a role grant and of the two tree reads, counted
 *      through a proxy in front of a second, short-lived Orgbase process (bench/round-trips.ts)
 *   5. autocannon from this process, 32 connections, per scenario: warm-up, then measured rounds
 *      alternating Orgbase and baseline: GET /v1/organizations/{id}, PATCH /v1/organizations/{id}
 *      (a new name every request, so every request writes and records an activity),
 *      GET …/activities page 1 and page 1,000; then the two pages again at 1 connection (unloaded latency);
 *      then GET …/members?limit=100 and POST …/roles/{roleId}/memberships (a new grant every request)
 *      with the admin's personal key; then GET …/{depth-10 organization}/ancestors and
 *      GET …/{mid-tree organization}/children?limit=100 with the tree root's admin key (and both at 1 connection)
 *   6. usage (bench/usage.ts): a 31-day GET …/usageCost over an organization of 10,000,000 usage events (seeded
 *      once by SQL, checked against SQL sums), at 32 connections and at 1; POST …/usage ingest in batches of 1,000
 *      new events; GET /v1/organizations/{id} against two more Orgbase processes, API-call meter on and off
 *   7. license key verification in this process, servers idle (bench/licenses.ts)
 *   8. the table on stdout, the details in bench/results/latest.json
 *
 * Environment: BENCH_DATABASE_URL, BENCH_ADMIN_DATABASE_URL (to create the database), BENCH_DURATION
 * (measured seconds per server and scenario, 10), BENCH_ROUNDS (5), BENCH_WARMUP (seconds, 3),
 * BENCH_CONNECTIONS (32), BENCH_LOG_LEVEL (Orgbase's LOG_LEVEL, default info; output to /dev/null),
 * BENCH_UNLOADED_DURATION (seconds, 5; 0 skips the 1-connection runs), BENCH_LICENSE_DURATION (measured seconds
 * of license verification, as long again for its baseline, 3; 0 skips it), BENCH_TIMEOUT (seconds, 1800: the first
 * run seeds 10,000,000 usage events), BENCH_USAGE (0 skips the usage part), BENCH_ONLY (usage: only the usage part,
 * without the baseline and the other seeds), BENCH_USAGE_EVENTS (events of the usageCost organization, 10,000,000; a
 * run with more tops it up), BENCH_INGEST_SECONDS (measured seconds of ingest, 10), BENCH_INGEST_CONNECTIONS (4).
 * Exits 0 when the run completed, whether or not the targets were met; 1 when it could not run.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measurePair, type LoadResult, type LoadSpec } from './load.js';
import { CpuMeter } from './machine.js';
import { describeHierarchy, HIERARCHY_P99_LIMIT_MS, hierarchyJson, measureHierarchyRoundTrips, prepareHierarchy, runHierarchyScenarios } from './hierarchy.js';
import { LICENSE_VERIFICATION_TARGET, measureLicenseVerification, type LicenseVerificationResult } from './licenses.js';
import { describePeople, measurePeopleRoundTrips, peopleJson, preparePeople, runPeopleScenarios } from './people.js';
import { killChildrenOnSignals, startServer, type Server } from './processes.js';
import { evaluate, OTHER_LOAD_WARNING_PERCENT, renderTable, writeJson, type ScenarioResult, type Target } from './report.js';
import {
  ACTIVITY_TARGET,
  ORGANIZATION_NAME_PREFIX,
  connect,
  countActivities,
  createAdminKey,
  cursorAfter,
  ensureDatabase,
  ensureOrganization,
  seedActivities,
} from './seed.js';
import { describeUsage, INGEST_TARGET_EVENTS_PER_SECOND, METER_MIN_RATIO, runUsageScenarios, USAGE_COST_P99_LIMIT_MS, usageJson, type UsageResult } from './usage.js';
import { USAGE_PRICES } from './usage-seed.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
const projectDir = resolve(benchDir, '..');
const resultsPath = join(benchDir, 'results', 'latest.json');

const env = process.env;
const settings = {
  databaseUrl: env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/orgbase_bench',
  adminDatabaseUrl: env.BENCH_ADMIN_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test',
  durationSeconds: number('BENCH_DURATION', 10),
  rounds: Math.round(number('BENCH_ROUNDS', 5)),
  warmupSeconds: number('BENCH_WARMUP', 3, true),
  connections: Math.round(number('BENCH_CONNECTIONS', 32)),
  unloadedDurationSeconds: number('BENCH_UNLOADED_DURATION', 5, true),
  licenseSeconds: number('BENCH_LICENSE_DURATION', 3, true),
  logLevel: env.BENCH_LOG_LEVEL || 'info',
  timeoutSeconds: number('BENCH_TIMEOUT', 1800),
  usage: env.BENCH_USAGE !== '0' && env.BENCH_USAGE !== 'false',
  only: choice('BENCH_ONLY', ['', 'usage'] as const),
  usageEvents: Math.round(number('BENCH_USAGE_EVENTS', 10_000_000)),
  ingestSeconds: number('BENCH_INGEST_SECONDS', 10),
  ingestConnections: Math.round(number('BENCH_INGEST_CONNECTIONS', 4)),
  pageSize: 100,
  page: 1000,
};

function number(name: string, fallback: number, zeroOk = false): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || (!zeroOk && value === 0)) throw new Error(`${name} must be a positive number`);
  return value;
}

function choice<T extends string>(name: string, values: readonly T[]): T {
  const text = env[name] ?? '';
  if (!values.includes(text as T)) throw new Error(`${name} must be one of: ${values.filter(Boolean).join(', ')} (or unset)`);
  return text as T;
}

if (settings.only === 'usage' && !settings.usage) throw new Error('BENCH_ONLY=usage and BENCH_USAGE=0 leave nothing to run');

const P99_LIMIT_MS = 20;
const targets = {
  get: { text: '≥ 0.80× base', check: ({ ratio }) => ratio >= 0.8 },
  patch: { text: '≥ 0.50× base', check: ({ ratio }) => ratio >= 0.5 },
  page: { text: `p99 ≤ ${P99_LIMIT_MS} ms`, check: ({ orgbase }) => orgbase.p99Ms <= P99_LIMIT_MS },
} satisfies Record<string, Target>;

const log = (message: string) => console.log(`bench: ${message}`);
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
const redact = (url: string) => url.replace(/\/\/[^@/]*@/, '//…@');

async function expectJson(url: string, init: RequestInit = {}): Promise<any> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  const body = await response.json();
  if (!response.ok) throw new Error(`bench: ${init.method ?? 'GET'} ${url} → ${response.status} ${JSON.stringify(body)}`);
  return body;
}

/** Best effort: leave no usable key behind. */
async function revokeKeys(orgbaseUrl: string, rootKey: string, paths: string[]): Promise<void> {
  for (const path of paths) {
    await fetch(`${orgbaseUrl}${path}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${rootKey}` },
      signal: AbortSignal.timeout(10_000),
    }).catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const rootKey = `obroot_bench_${randomBytes(24).toString('base64url')}`;
  const servers: Server[] = [];

  log(`database ${redact(settings.databaseUrl)}; load average before start ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
  const database = await ensureDatabase(settings.databaseUrl, settings.adminDatabaseUrl);
  if (database === 'created') log('created the benchmark database');

  try {
    // Orgbase first: it migrates the database on start. Every Orgbase process of the run starts alike.
    const orgbaseEnv = {
      DATABASE_URL: settings.databaseUrl,
      ORGBASE_ROOT_KEY: rootKey,
      LOG_LEVEL: settings.logLevel,
      HOST: '127.0.0.1',
      ORGBASE_USAGE_PRICES: JSON.stringify(USAGE_PRICES),
    };
    const startOrgbase = async (name: string, extraEnv: Record<string, string> = {}) => {
      const server = await startServer({ name, script: 'src/main.ts', cwd: projectDir, env: { ...orgbaseEnv, ...extraEnv }, readyTimeoutMs: 60_000 });
      servers.push(server);
      return server;
    };
    const orgbase = await startOrgbase('orgbase');
    const databaseName = decodeURIComponent(new URL(settings.databaseUrl).pathname.slice(1));
    const meter = new CpuMeter(() => [process.pid, ...servers.map((server) => server.child.pid ?? -1)], databaseName);
    log(`orgbase ready at ${orgbase.url} (pid ${orgbase.child.pid}, LOG_LEVEL=${settings.logLevel}, logs → /dev/null, pg pool 10)`);

    const client = await connect(settings.databaseUrl);
    try {
      const organization = await ensureOrganization(client, orgbase.url, rootKey);
      log(`organization ${organization.id} (${organization.created ? 'created through the API' : 'from an earlier run'})`);
      const key = await createAdminKey(orgbase.url, rootKey, organization.id);
      log(`admin key ${key.id} created through the API`);

      const usageSettings = {
        events: settings.usageEvents,
        ingestSeconds: settings.ingestSeconds,
        ingestConnections: settings.ingestConnections,
        durationSeconds: settings.durationSeconds,
        rounds: settings.rounds,
        warmupSeconds: settings.warmupSeconds,
        connections: settings.connections,
        unloadedDurationSeconds: settings.unloadedDurationSeconds,
      };
      const runUsage = () =>
        runUsageScenarios({
          client,
          databaseUrl: settings.databaseUrl,
          orgbase,
          startOrgbase,
          rootKey,
          get: { organizationId: organization.id, authorization: `Basic ${Buffer.from(`${key.keyId}:${key.keySecret}`).toString('base64')}` },
          settings: usageSettings,
          cpu: meter,
          log,
        });
      const usageKeys = (usage: UsageResult) =>
        [usage.fixture.report, usage.fixture.ingest].map((org) => `/v1/organizations/${org.id}/keys/${org.key.id}`);

      if (settings.only === 'usage') {
        const usage = await runUsage();
        const { rows: versionRows } = await client.query<{ server_version: string }>('show server_version');
        console.log('');
        console.log(
          `Usage only (BENCH_ONLY=usage): Orgbase on PostgreSQL ${versionRows[0]?.server_version}, Node ${process.version}, ${availableParallelism()} CPUs ` +
            `(${cpus()[0]?.model.trim()}) shared by the load generators, the servers and PostgreSQL; LOG_LEVEL=${settings.logLevel} to /dev/null, pg pool 10; ` +
            `autocannon ${settings.connections} connections, ${settings.durationSeconds} s measured per server (${settings.rounds} rounds, after ${settings.warmupSeconds} s warm-up).`,
        );
        console.log('');
        console.log(renderTable([usage.meter]));
        console.log('');
        for (const line of describeUsage(usage, usageSettings)) console.log(line);
        console.log('');
        console.log(usage.pass ? 'All usage targets met.' : `Targets missed: ${usage.missed.join('; ')}.`);
        console.log(`Results: ${resultsPath}  (total ${seconds(started)})`);
        await writeJson(resultsPath, {
          finishedAt: new Date().toISOString(),
          only: 'usage',
          settings: { ...settings, databaseUrl: redact(settings.databaseUrl), adminDatabaseUrl: redact(settings.adminDatabaseUrl) },
          environment: { node: process.version, postgres: versionRows[0]?.server_version, cpus: availableParallelism(), cpuModel: cpus()[0]?.model.trim(), loadAverageAtEnd: loadavg() },
          usage: usageJson(usage),
          allTargetsMet: usage.pass,
        });
        await revokeKeys(orgbase.url, rootKey, [`/v1/organizations/${organization.id}/keys/${key.id}`, ...usageKeys(usage)]);
        return;
      }

      const seedStarted = Date.now();
      const inserted = await seedActivities(client, organization.id);
      log(
        inserted > 0
          ? `seeded ${inserted.toLocaleString('en')} activities + VACUUM ANALYZE in ${seconds(seedStarted)}`
          : `organization already holds ≥ ${ACTIVITY_TARGET.toLocaleString('en')} activities: seeding skipped (ANALYZE only)`,
      );
      const activitiesAtStart = await countActivities(client, organization.id);

      const people = await preparePeople(client, orgbase.url, rootKey, log);
      const tree = await prepareHierarchy(client, orgbase.url, rootKey, log);
      const roundTrips = await measurePeopleRoundTrips({
        orgbaseUrl: orgbase.url,
        projectDir,
        databaseUrl: settings.databaseUrl,
        rootKey,
        logLevel: settings.logLevel,
        fixture: people,
        log,
      });
      const treeRoundTrips = await measureHierarchyRoundTrips({
        projectDir,
        databaseUrl: settings.databaseUrl,
        rootKey,
        logLevel: settings.logLevel,
        fixture: tree,
        log,
      });

      const baseline = await startServer({
        name: 'baseline',
        script: 'bench/baseline.ts',
        cwd: projectDir,
        env: { BASELINE_DATABASE_URL: settings.databaseUrl },
        readyTimeoutMs: 60_000,
      });
      servers.push(baseline);
      log(`baseline ready at ${baseline.url} (pid ${baseline.child.pid}, bare Fastify, no logger, pg pool 10)`);

      const auth = { authorization: `Basic ${Buffer.from(`${key.keyId}:${key.keySecret}`).toString('base64')}` };
      const orgPath = `/v1/organizations/${organization.id}`;
      const basePath = `/organizations/${organization.id}`;

      // Sanity: both servers answer the lookup with the same row.
      const got = await expectJson(`${orgbase.url}${orgPath}`, { headers: auth });
      const baseGot = await expectJson(`${baseline.url}${basePath}`);
      if (got.result.id !== organization.id || baseGot.result.id !== organization.id) throw new Error('bench: GET sanity check failed');

      const spec = (server: Server, method: LoadSpec['method'], path: string, extra: Partial<LoadSpec> = {}): LoadSpec => ({
        baseUrl: server.url,
        method,
        path,
        connections: settings.connections,
        ...extra,
      });
      const loadOptions = { seconds: settings.durationSeconds, rounds: settings.rounds, warmupSeconds: settings.warmupSeconds };
      const rows: ScenarioResult[] = [];
      const scenario = async (
        name: string,
        requests: { orgbase: string; baseline: string },
        specs: [LoadSpec, LoadSpec],
        target: Target,
      ): Promise<ScenarioResult> => {
        const t0 = Date.now();
        const share = meter.start();
        const [a, b] = await measurePair(specs[0], specs[1], loadOptions);
        const cpu = share();
        const row = { ...evaluate(name, requests, a, b, target), otherCpuPercent: cpu?.otherPercent };
        log(
          `${name}: orgbase ${a.requestsPerSecond.toFixed(0)} req/s (rounds ${a.roundRequestsPerSecond.join(', ')}), ` +
            `baseline ${b.requestsPerSecond.toFixed(0)} req/s (rounds ${b.roundRequestsPerSecond.join(', ')}), ` +
            `other load ${cpu ? `${cpu.otherPercent.toFixed(0)}%` : 'n/a'} (${seconds(t0)})`,
        );
        rows.push(row);
        return row;
      };

      log(
        `autocannon: ${settings.connections} connections; per scenario ${settings.warmupSeconds} s warm-up per server, then ` +
          `${settings.rounds} alternating rounds, ${settings.durationSeconds} s measured per server`,
      );

      await scenario(
        'GET /v1/organizations/{id}',
        { orgbase: `GET ${orgPath}`, baseline: `GET ${basePath}` },
        [spec(orgbase, 'GET', orgPath, { headers: auth }), spec(baseline, 'GET', basePath)],
        targets.get,
      );

      // PATCH: a new name every request, so every request updates the row and records an activity.
      {
        const run = randomBytes(3).toString('hex');
        let n = 0;
        const body = () => JSON.stringify({ name: `${ORGANIZATION_NAME_PREFIX} ${run}-${++n}` });
        const before = await countActivities(client, organization.id);
        const row = await scenario(
          'PATCH /v1/organizations/{id}',
          {
            orgbase: `PATCH ${orgPath} {"name": <new every request>}`,
            baseline: `PATCH ${basePath} (update organizations set name = $2 where id = $1)`,
          },
          [spec(orgbase, 'PATCH', orgPath, { headers: auth, body }), spec(baseline, 'PATCH', basePath, { body })],
          targets.patch,
        );
        // Every successful Orgbase PATCH (warm-up included) must have left exactly one activity; a request
        // in flight when a run stops may be served without being counted, at most one per connection per run.
        const recorded = (await countActivities(client, organization.id)) - before;
        const answered = row.orgbase.ok + row.orgbase.warmupOk;
        const runs = row.orgbase.rounds + (settings.warmupSeconds > 0 ? 1 : 0);
        log(`PATCH: orgbase recorded ${recorded.toLocaleString('en')} activities for ${answered.toLocaleString('en')} successful requests`);
        if (recorded < answered || recorded > answered + runs * settings.connections) {
          row.problems.push(`orgbase recorded ${recorded} activities for ${answered} successful PATCH requests`);
          row.pass = false;
        }
      }

      // Activities: page 1, and page 1,000 through the cursor after row 99,900. The cursor is made by SQL as
      // the API makes it (base64url JSON [createdAt, id]) when that encoding matches the API's own page-1
      // cursor; otherwise (the format changed) it is reached by following nextCursor 999 times.
      const pageQuery = `limit=${settings.pageSize}`;
      const activitiesPath = `${orgPath}/activities`;
      const baseActivitiesPath = `${basePath}/activities`;
      const rowsBefore = settings.pageSize * (settings.page - 1);
      const page1 = await expectJson(`${orgbase.url}${activitiesPath}?${pageQuery}`, { headers: auth });
      const baseCursor = await cursorAfter(client, organization.id, rowsBefore); // the baseline's encoding
      let cursor = baseCursor;
      if (page1.result.length !== settings.pageSize || page1.nextCursor !== (await cursorAfter(client, organization.id, settings.pageSize))) {
        const t0 = Date.now();
        let next: string | undefined = page1.nextCursor;
        for (let page = 2; page < settings.page && next !== undefined; page++) {
          next = (await expectJson(`${orgbase.url}${activitiesPath}?${pageQuery}&cursor=${encodeURIComponent(next)}`, { headers: auth })).nextCursor;
        }
        if (next === undefined) throw new Error(`bench: the organization has fewer than ${settings.page} pages`);
        cursor = next;
        log(`the API's cursor is not the SQL-made one: reached page ${settings.page} by following nextCursor (${seconds(t0)})`);
      }
      cursor = encodeURIComponent(cursor);
      const firstOfPage = JSON.parse(Buffer.from(await cursorAfter(client, organization.id, rowsBefore + 1), 'base64url').toString('utf8'))[1];
      const pageN = await expectJson(`${orgbase.url}${activitiesPath}?${pageQuery}&cursor=${cursor}`, { headers: auth });
      const basePageN = await expectJson(`${baseline.url}${baseActivitiesPath}?${pageQuery}&cursor=${baseCursor}`);
      if (pageN.result.length !== settings.pageSize || pageN.result[0].id !== firstOfPage || basePageN.result[0].id !== firstOfPage) {
        throw new Error(`bench: page ${settings.page} does not start at row ${rowsBefore + 1}`);
      }
      log(`page ${settings.page} = rows ${(rowsBefore + 1).toLocaleString('en')}–${(rowsBefore + settings.pageSize).toLocaleString('en')}, checked through both servers`);

      const pages = [
        { name: 'GET …/activities page 1', query: `?${pageQuery}`, baseQuery: `?${pageQuery}` },
        {
          name: `GET …/activities page ${settings.page.toLocaleString('en')}`,
          query: `?${pageQuery}&cursor=${cursor}`,
          baseQuery: `?${pageQuery}&cursor=${baseCursor}`,
        },
      ];
      const pageRows: ScenarioResult[] = [];
      for (const page of pages) {
        pageRows.push(
          await scenario(
            page.name,
            { orgbase: `GET ${activitiesPath}${page.query}`, baseline: `GET ${baseActivitiesPath}${page.baseQuery}` },
            [spec(orgbase, 'GET', `${activitiesPath}${page.query}`, { headers: auth }), spec(baseline, 'GET', `${baseActivitiesPath}${page.baseQuery}`)],
            targets.page,
          ),
        );
      }

      // The same pages at 1 connection: the latency of a request that does not queue behind 31 others.
      const unloaded: { scenario: string; orgbase: LoadResult; baseline: LoadResult }[] = [];
      if (settings.unloadedDurationSeconds > 0) {
        for (const page of pages) {
          const [a, b] = await measurePair(
            spec(orgbase, 'GET', `${activitiesPath}${page.query}`, { headers: auth, connections: 1 }),
            spec(baseline, 'GET', `${baseActivitiesPath}${page.baseQuery}`, { connections: 1 }),
            { seconds: settings.unloadedDurationSeconds, rounds: 1, warmupSeconds: Math.min(1, settings.warmupSeconds) },
          );
          unloaded.push({ scenario: page.name, orgbase: a, baseline: b });
        }
      }

      // People: a members page and role grants in the organization of 10,000 members (bench/people.ts).
      const runs = settings.rounds + (settings.warmupSeconds > 0 ? 1 : 0);
      const peopleResult = await runPeopleScenarios({
        client,
        orgbase,
        baseline,
        rootKey,
        fixture: people,
        roundTrips,
        loadSeconds: settings.warmupSeconds + settings.rounds * Math.max(1, settings.durationSeconds / settings.rounds) + runs,
        runs,
        connections: settings.connections,
        spec,
        scenario,
        log,
      });

      // Hierarchy: ancestors at depth 10 and a children page in the tree of ~100,000 (bench/hierarchy.ts).
      const hierarchyResult = await runHierarchyScenarios({
        orgbase,
        baseline,
        fixture: tree,
        roundTrips: treeRoundTrips,
        spec,
        scenario,
        unloaded: { seconds: settings.unloadedDurationSeconds, warmupSeconds: settings.warmupSeconds },
        log,
      });
      unloaded.push(...hierarchyResult.unloaded);

      // Usage: usageCost over 10,000,000 events, ingest, and the API-call meter on and off (bench/usage.ts).
      const usage = settings.usage ? await runUsage() : undefined;
      if (usage) rows.push(usage.meter);

      // License verification, in this process while the servers are idle (bench/licenses.ts).
      let license: (LicenseVerificationResult & { pass: boolean; otherCpuPercent: number | undefined }) | undefined;
      let licenseError: string | undefined;
      if (settings.licenseSeconds > 0) {
        const share = meter.start();
        try {
          const measured = await measureLicenseVerification({ seconds: settings.licenseSeconds });
          license = { ...measured, pass: measured.verificationsPerSecond >= LICENSE_VERIFICATION_TARGET, otherCpuPercent: share()?.otherPercent };
          log(
            `license verification: ${Math.round(measured.verificationsPerSecond).toLocaleString('en')}/s ` +
              `(baseline ${Math.round(measured.baselinePerSecond).toLocaleString('en')}/s), other load ` +
              `${license.otherCpuPercent === undefined ? 'n/a' : `${license.otherCpuPercent.toFixed(0)}%`}`,
          );
        } catch (error) {
          licenseError = error instanceof Error ? error.message : String(error);
          log(`license verification failed: ${licenseError}`);
        }
      }

      const activitiesAtEnd = await countActivities(client, organization.id);
      const { rows: versionRows } = await client.query<{ server_version: string }>('show server_version');
      const [firstPage, lastPage] = pageRows as [ScenarioResult, ScenarioResult];
      const pageRatio = lastPage.orgbase.p99Ms / firstPage.orgbase.p99Ms;
      const licensePass = settings.licenseSeconds === 0 || license?.pass === true;
      const usagePass = usage === undefined || (usage.usageCost.pass && usage.ingest.pass);
      const allPass = rows.every((row) => row.pass) && licensePass && usagePass;
      const missed = [
        ...rows.filter((row) => !row.pass).map((row) => row.scenario),
        ...(usage && !usage.usageCost.pass ? [`usageCost p99 ≤ ${USAGE_COST_P99_LIMIT_MS} ms`] : []),
        ...(usage && !usage.ingest.pass ? [`usage ingest ≥ ${INGEST_TARGET_EVENTS_PER_SECOND.toLocaleString('en')} events/s`] : []),
        ...(licensePass ? [] : ['license verification (in-process)']),
      ];

      console.log('');
      console.log(
        `Orgbase vs bare Fastify + pg baseline: autocannon ${settings.connections} connections, ${settings.durationSeconds} s measured per server ` +
          `(${settings.rounds} alternating rounds, after ${settings.warmupSeconds} s warm-up). PostgreSQL ${versionRows[0]?.server_version}, ` +
          `Node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model.trim()}) shared by autocannon, the server and PostgreSQL.`,
      );
      console.log(
        `Orgbase: LOG_LEVEL=${settings.logLevel} to /dev/null, Basic auth with an admin key, pg pool 10. Baseline: bare Fastify, no logger, pg pool 10. ` +
          `Organization with ${activitiesAtStart.toLocaleString('en')} activities at start; pages of ${settings.pageSize}. ` +
          `req/s = 2xx responses per second; latencies from every 2xx response.`,
      );
      console.log('');
      console.log(renderTable(rows));
      const format = (n: number) => Math.round(n).toLocaleString('en');
      if (license) {
        console.log(
          `license verification (in-process): ${format(license.verificationsPerSecond)}/s (${format(license.verified)} in ${license.seconds.toFixed(2)} s, ` +
            `full verify of one license key, nothing cached)  target ≥ ${format(LICENSE_VERIFICATION_TARGET)}/s  ${license.pass ? 'PASS' : 'FAIL'}  ` +
            `| baseline (bare node:crypto Ed25519 verify) ${format(license.baselinePerSecond)}/s, license at ${(license.ratioToBaseline * 100).toFixed(0)}% of it` +
            `${license.otherCpuPercent === undefined ? '' : `; other load ${license.otherCpuPercent.toFixed(0)}% CPU`}`,
        );
      } else if (licenseError !== undefined) {
        console.log(`license verification (in-process): could not run (${licenseError})  target ≥ ${format(LICENSE_VERIFICATION_TARGET)}/s  FAIL`);
      } else {
        console.log('license verification (in-process): skipped (BENCH_LICENSE_DURATION=0)');
      }
      console.log('');
      console.log(
        `Page ${settings.page.toLocaleString('en')} vs page 1 at ${settings.connections} connections (orgbase p99): ` +
          `${lastPage.orgbase.p99Ms.toFixed(2)} ms vs ${firstPage.orgbase.p99Ms.toFixed(2)} ms (${pageRatio.toFixed(2)}×).`,
      );
      if (unloaded.length > 0) {
        console.log(`Unloaded latency (1 connection, ${settings.unloadedDurationSeconds} s each; not a target, shows the cost without queueing):`);
        for (const row of unloaded) {
          console.log(
            `  ${row.scenario.padEnd(30)} orgbase p50 ${row.orgbase.p50Ms.toFixed(2)} ms, p99 ${row.orgbase.p99Ms.toFixed(2)} ms, ${row.orgbase.requestsPerSecond.toFixed(0)} req/s` +
              ` | baseline p50 ${row.baseline.p50Ms.toFixed(2)} ms, p99 ${row.baseline.p99Ms.toFixed(2)} ms, ${row.baseline.requestsPerSecond.toFixed(0)} req/s`,
          );
        }
      }
      console.log('');
      for (const line of describePeople(peopleResult, people)) console.log(line);
      console.log('');
      for (const line of describeHierarchy(hierarchyResult, tree)) console.log(line);
      console.log('');
      for (const line of usage ? describeUsage(usage, usageSettings) : ['Usage: skipped (BENCH_USAGE=0).']) console.log(line);
      console.log('');
      console.log(allPass ? 'All targets met.' : `Targets missed: ${missed.join('; ')}.`);
      if (rows.some((row) => (row.otherCpuPercent ?? 0) >= OTHER_LOAD_WARNING_PERCENT)) {
        console.log('(The machine was not quiet: see the warning above.)');
      }
      console.log(`Results: ${resultsPath}  (total ${seconds(started)})`);

      await writeJson(resultsPath, {
        finishedAt: new Date().toISOString(),
        settings: { ...settings, databaseUrl: redact(settings.databaseUrl), adminDatabaseUrl: redact(settings.adminDatabaseUrl) },
        environment: {
          node: process.version,
          postgres: versionRows[0]?.server_version,
          cpus: availableParallelism(),
          cpuModel: cpus()[0]?.model.trim(),
          loadAverageAtEnd: loadavg(),
          orgbase: { command: 'node --import tsx src/main.ts', logLevel: settings.logLevel, logDestination: '/dev/null', poolSize: 10, auth: 'Basic (admin key)' },
          baseline: { command: 'node --import tsx bench/baseline.ts', server: 'bare Fastify, no logger', poolSize: 10 },
        },
        organization: { id: organization.id, activitiesAtStart, activitiesAtEnd, seededThisRun: inserted, page: settings.page, pageCursor: cursor },
        people: peopleJson(peopleResult, people),
        hierarchy: hierarchyJson(hierarchyResult, tree),
        usage: usage ? usageJson(usage) : { skipped: true },
        targets: {
          getRatio: 0.8,
          patchRatio: 0.5,
          activitiesP99Ms: P99_LIMIT_MS,
          membersRatio: 0.5,
          accessCheckExtraRoundTrips: 1,
          hierarchyP99Ms: HIERARCHY_P99_LIMIT_MS,
          licenseVerificationsPerSecond: LICENSE_VERIFICATION_TARGET,
          usageIngestEventsPerSecond: INGEST_TARGET_EVENTS_PER_SECOND,
          apiCallMeterRatio: METER_MIN_RATIO,
          usageCostP99Ms: USAGE_COST_P99_LIMIT_MS,
        },
        scenarios: rows,
        licenseVerification: license
          ? { ...license, target: `≥ ${LICENSE_VERIFICATION_TARGET}/s`, inProcess: true }
          : { skipped: settings.licenseSeconds === 0, error: licenseError, pass: licensePass },
        pageVsFirstPageP99: pageRatio,
        unloaded,
        allTargetsMet: allPass,
      });

      await revokeKeys(orgbase.url, rootKey, [
        `${orgPath}/keys/${key.id}`,
        `/v1/users/${people.adminUserId}/keys/${people.key.id}`,
        `/v1/organizations/${tree.rootId}/keys/${tree.key.id}`,
        ...(usage ? usageKeys(usage) : []),
      ]);
    } finally {
      await client.end().catch(() => {});
    }
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

killChildrenOnSignals();
const deadline = setTimeout(() => {
  console.error(`bench: did not finish within ${settings.timeoutSeconds} s, giving up`);
  process.exit(1); // the 'exit' handler kills the servers
}, settings.timeoutSeconds * 1000);
deadline.unref();

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('bench: failed:', error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
