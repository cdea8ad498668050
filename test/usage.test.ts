import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { sql } from 'kysely';
import { assertMatchesClickHouse } from './contracts/clickhouse.js';
import { testDatabases } from './helpers/databases.js';
import { createKey, createTenant, createUserWithKey, joinOrganization } from './helpers/fixtures.js';
import { onEachDatabase, startServer, type TestServer } from './helpers/server.js';

const today = () => new Date().toISOString().slice(0, 10);
const daysAgo = (days: number, hour = 12) => {
  const date = new Date(Date.now() - days * 86_400_000);
  date.setUTCHours(hour, 0, 0, 0);
  return date;
};
const dayOf = (date: Date) => date.toISOString().slice(0, 10);
let sequence = 0;
const event = (fields: Record<string, unknown> = {}) => ({
  metric: 'rows_read',
  quantity: 1,
  timestamp: new Date().toISOString(),
  idempotencyKey: `evt-${++sequence}`,
  ...fields,
});

async function ingest(server: TestServer, organizationId: string, auth: any, events: unknown[]) {
  return server.request({ method: 'POST', url: `/v1/organizations/${organizationId}/usage`, auth, body: { events } });
}

async function projectOf(server: TestServer, organizationId: string, name: string): Promise<string> {
  const response = await server.request({ method: 'POST', url: `/v1/organizations/${organizationId}/projects`, auth: 'root', body: { name } });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body.result.id;
}

/** Sums straight from the tables: what the rollup must agree with. */
async function totals(server: TestServer, organizationId: string) {
  const db = server.orgbase.services.db;
  const events = await sql<{ key: string; quantity: string; events: string }>`
    select (occurred_at at time zone 'UTC')::date::text || '|' || metric || '|' || coalesce(project_id::text, '-') as key,
      sum(quantity)::text as quantity, count(*)::text as events
    from usage_events where organization_id = ${organizationId} group by 1 order by 1`.execute(db);
  const daily = await sql<{ key: string; quantity: string; events: string }>`
    select day::text || '|' || metric || '|' || case when project_id = '00000000-0000-0000-0000-000000000000' then '-' else project_id::text end as key,
      quantity::text as quantity, events::text as events
    from usage_daily where organization_id = ${organizationId} and metric <> 'api_calls' order by 1`.execute(db);
  const normalize = (rows: { key: string; quantity: string; events: string }[]) =>
    rows.map((row) => ({ key: row.key, quantity: Number(row.quantity), events: Number(row.events) }));
  return { events: normalize(events.rows), daily: normalize(daily.rows) };
}

onEachDatabase('usage ingest', (server) => {
  it('counts each event once: a retried batch is all duplicates, an overlapping one counts only what is new', async () => {
    const { organization, admin } = await createTenant(server());
    const batch = [event({ quantity: 2 }), event({ quantity: 3.5 }), event({ quantity: 0 })];
    const first = await ingest(server(), organization.id, admin.basic, batch);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual(first.body.result, { accepted: 3, duplicates: 0 });
    const retried = await ingest(server(), organization.id, admin.basic, batch);
    assert.deepEqual(retried.body.result, { accepted: 0, duplicates: 3 });
    const overlap = await ingest(server(), organization.id, admin.basic, [batch[0], event({ quantity: 10 })]);
    assert.deepEqual(overlap.body.result, { accepted: 1, duplicates: 1 });
    const sameKeyTwice = await ingest(server(), organization.id, admin.basic, [event({ idempotencyKey: 'twice' }), event({ idempotencyKey: 'twice', quantity: 99 })]);
    assert.deepEqual(sameKeyTwice.body.result, { accepted: 1, duplicates: 1 });
    const { daily } = await totals(server(), organization.id);
    assert.deepEqual(daily, [{ key: `${today()}|rows_read|-`, quantity: 2 + 3.5 + 0 + 10 + 1, events: 5 }]);
  });

  it('keeps idempotency keys per organization: another organization may use the same keys', async () => {
    const a = await createTenant(server());
    const b = await createTenant(server());
    const batch = [event({ idempotencyKey: 'shared-1' }), event({ idempotencyKey: 'shared-2' })];
    assert.deepEqual((await ingest(server(), a.organization.id, a.admin.basic, batch)).body.result, { accepted: 2, duplicates: 0 });
    assert.deepEqual((await ingest(server(), b.organization.id, b.admin.basic, batch)).body.result, { accepted: 2, duplicates: 0 });
  });

  it('rolls up exactly: per day, metric and project, the rollup equals the sum of the events', async () => {
    const { organization, admin } = await createTenant(server());
    const projects = [await projectOf(server(), organization.id, 'alpha'), await projectOf(server(), organization.id, 'beta')];
    let random = 7;
    const next = () => (random = (random * 48271) % 2147483647) / 2147483647;
    const events = Array.from({ length: 600 }, () => {
      const project = next();
      return event({
        metric: ['rows_read', 'bytes_written', 'storage_gb'][Math.floor(next() * 3)],
        quantity: Math.round(next() * 100000) / 1000,
        timestamp: new Date(Date.now() - Math.floor(next() * 20 * 86_400_000)).toISOString(),
        ...(project < 0.66 && { projectId: projects[project < 0.33 ? 0 : 1] }),
      });
    });
    for (let i = 0; i < events.length; i += 200) {
      const response = await ingest(server(), organization.id, admin.basic, events.slice(i, i + 200));
      assert.equal(response.status, 200, JSON.stringify(response.body));
    }
    await ingest(server(), organization.id, admin.basic, events.slice(100, 400)); // a retry changes nothing
    const { events: fromEvents, daily } = await totals(server(), organization.id);
    assert.equal(fromEvents.length > 20, true);
    assert.deepEqual(daily, fromEvents);
    assert.equal(daily.reduce((sum, row) => sum + row.events, 0), 600);
  });

  it('concurrent identical batches count once', async () => {
    const { organization, admin } = await createTenant(server());
    const batch = Array.from({ length: 50 }, (_, i) => event({ metric: i % 2 ? 'a' : 'b' }));
    const results = await Promise.all([1, 2, 3, 4].map(() => ingest(server(), organization.id, admin.basic, batch)));
    results.forEach((response) => assert.equal(response.status, 200, JSON.stringify(response.body)));
    assert.equal(results.reduce((sum, response) => sum + response.body.result.accepted, 0), 50);
    const { daily } = await totals(server(), organization.id);
    assert.equal(daily.reduce((sum, row) => sum + row.events, 0), 50);
  });

  it('refuses a bad event with a 400 naming it, and counts nothing of its batch', async () => {
    const { organization, admin } = await createTenant(server());
    const other = await createTenant(server());
    const foreignProject = await projectOf(server(), other.organization.id, 'theirs');
    const cases: [unknown, string][] = [
      [event({ metric: 'api_calls' }), 'events[1].metric'],
      [event({ metric: 'Rows Read' }), 'events[1].metric'],
      [event({ quantity: -1 }), 'events[1].quantity'],
      [event({ quantity: '3' }), 'events[1].quantity'],
      [event({ timestamp: 'yesterday' }), 'events[1].timestamp'],
      [event({ timestamp: new Date(Date.now() + 3_600_000).toISOString() }), 'events[1].timestamp'],
      [event({ timestamp: daysAgo(40).toISOString() }), 'events[1].timestamp'],
      [event({ projectId: foreignProject }), 'events[1].projectId'],
      [event({ projectId: 'not-a-uuid' }), 'events[1].projectId'],
      [event({ idempotencyKey: '' }), 'events[1].idempotencyKey'],
      [event({ unit: 'rows' }), 'events[1].unit'],
      [{ metric: 'x', quantity: 1, timestamp: new Date().toISOString() }, 'events[1].idempotencyKey'],
    ];
    for (const [bad, field] of cases) {
      const response = await ingest(server(), organization.id, admin.basic, [event(), bad, event()]);
      assert.equal(response.status, 400, `${JSON.stringify(bad)}: ${JSON.stringify(response.body)}`);
      assert.ok(
        response.body.field === field || String(response.body.field).replace(/\//g, '.') === field || response.body.error.includes(field.split('.').pop()!),
        `${JSON.stringify(bad)} → ${JSON.stringify(response.body)} does not name ${field}`,
      );
    }
    const tooMany = await ingest(server(), organization.id, admin.basic, Array.from({ length: 1001 }, () => event()));
    assert.equal(tooMany.status, 400);
    const none = await ingest(server(), organization.id, admin.basic, []);
    assert.equal(none.status, 400);
    const unknownField = await server().request({ method: 'POST', url: `/v1/organizations/${organization.id}/usage`, auth: admin.basic, body: { events: [event()], dryRun: true } });
    assert.equal(unknownField.status, 400);
    assert.equal((await totals(server(), organization.id)).events.length, 0, 'nothing was counted');
  });

  it('accepts 1,000 events in a batch and late events inside the window', async () => {
    const { organization, admin } = await createTenant(server());
    const batch = Array.from({ length: 1000 }, (_, i) => event({ timestamp: daysAgo(i % 30).toISOString() }));
    const response = await ingest(server(), organization.id, admin.basic, batch);
    assert.deepEqual(response.body.result, { accepted: 1000, duplicates: 0 });
  });

  it('needs admin access; other tenants get 404 and change nothing', async () => {
    const { organization, admin, developer } = await createTenant(server());
    const other = await createTenant(server());
    const asDeveloper = await ingest(server(), organization.id, developer.basic, [event()]);
    assert.equal(asDeveloper.status, 403);
    for (const auth of [other.admin.basic, other.developer.basic]) {
      assert.equal((await ingest(server(), organization.id, auth, [event()])).status, 404);
      assert.equal((await server().request({ method: 'GET', url: `/v1/organizations/${organization.id}/usageCost?from_date=${today()}&to_date=${today()}`, auth })).status, 404);
      assert.equal((await server().request({ method: 'GET', url: `/v1/organizations/${organization.id}/consumption`, auth })).status, 404);
    }
    assert.equal((await ingest(server(), organization.id, undefined, [event()])).status, 401);
    const user = await createUserWithKey(server());
    await joinOrganization(server(), organization.id, user, 1);
    assert.equal((await ingest(server(), organization.id, user.auth, [event()])).status, 403, 'a member is not an admin');
    assert.equal((await totals(server(), organization.id)).events.length, 0);
    assert.equal((await ingest(server(), organization.id, 'root', [event()])).status, 200);
    assert.equal((await ingest(server(), organization.id, admin.bearer, [event()])).status, 200);
    const missing = await ingest(server(), '0190f0f0-0000-7000-8000-000000000000', 'root', [event()]);
    assert.equal(missing.status, 404);
  });
});

onEachDatabase('usageCost', (server) => {
  it('reports daily costs per entity in the ClickHouse shape, from the configured prices', async () => {
    const { organization, admin, developer } = await createTenant(server(), `Priced ${Date.now()}`);
    const project = await projectOf(server(), organization.id, 'warehouse');
    const yesterday = daysAgo(1);
    await ingest(server(), organization.id, admin.basic, [
      event({ metric: 'rows_read', quantity: 1000, timestamp: yesterday.toISOString() }),
      event({ metric: 'rows_read', quantity: 500, timestamp: yesterday.toISOString(), projectId: project }),
      event({ metric: 'storage_gb', quantity: 10, timestamp: yesterday.toISOString(), projectId: project }),
      event({ metric: 'unpriced', quantity: 7, timestamp: new Date().toISOString() }),
    ]);
    const url = `/v1/organizations/${organization.id}/usageCost?from_date=${dayOf(daysAgo(2))}&to_date=${today()}`;
    const response = await server().request({ method: 'GET', url, auth: developer.basic });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assertMatchesClickHouse('UsageCost', response.body.result);
    const { grandTotalCHC, costs } = response.body.result;
    // The test server prices rows_read at 0.001 (compute) and storage_gb at 0.5 (storage).
    assert.deepEqual(costs.map((c: any) => [c.date, c.entityType, c.entityName, c.totalCHC]), [
      [dayOf(yesterday), 'datawarehouse', organization.name, 1],
      [dayOf(yesterday), 'service', 'warehouse', 0.5 + 5],
      [today(), 'datawarehouse', organization.name, 0],
    ].sort((a, b) => String(a[0]).localeCompare(String(b[0])) || (a[1] === 'service' ? 1 : -1)));
    const projectRecord = costs.find((c: any) => c.entityType === 'service');
    assert.equal(projectRecord.serviceId, project);
    assert.equal(projectRecord.entityId, project);
    assert.equal(projectRecord.dataWarehouseId, organization.id);
    assert.equal(projectRecord.metrics.computeCHC, 0.5);
    assert.equal(projectRecord.metrics.storageCHC, 5);
    assert.equal(projectRecord.locked, false);
    assert.deepEqual(projectRecord.usage, [
      { metric: 'rows_read', quantity: 500, unitPrice: 0.001, costCHC: 0.5 },
      { metric: 'storage_gb', quantity: 10, unitPrice: 0.5, costCHC: 5 },
    ]);
    assert.equal(costs[0].serviceId, null);
    assert.equal(grandTotalCHC, 6.5);
  });

  it('shows an ingest at once, although reports are cached for a moment', async () => {
    const { organization, admin } = await createTenant(server());
    const url = `/v1/organizations/${organization.id}/usageCost?from_date=${today()}&to_date=${today()}`;
    const quantityOf = async () => {
      const response = await server().request({ method: 'GET', url, auth: admin.basic });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return response.body.result.costs.flatMap((record: any) => record.usage).find((usage: any) => usage.metric === 'rows_read')?.quantity;
    };
    assert.equal(await quantityOf(), undefined);
    await ingest(server(), organization.id, admin.basic, [event({ quantity: 4 })]);
    assert.equal(await quantityOf(), 4);
    assert.equal(await quantityOf(), 4, 'served again (from the cache)');
    await ingest(server(), organization.id, admin.basic, [event({ quantity: 6 })]);
    assert.equal(await quantityOf(), 10);
    // Another organization's ingest leaves this report alone, and a deleted organization has none.
    const root = await server().request({ method: 'GET', url, auth: 'root' });
    assert.equal(root.status, 200);
    assert.equal((await server().request({ method: 'DELETE', url: `/v1/organizations/${organization.id}`, auth: 'root' })).status, 200);
    assert.equal((await server().request({ method: 'GET', url, auth: 'root' })).status, 404);
    assert.equal((await server().request({ method: 'GET', url, auth: admin.basic })).status, 401);
  });

  it('allows at most 31 days and checks the dates, naming the parameter', async () => {
    const { organization, developer } = await createTenant(server());
    const base = `/v1/organizations/${organization.id}/usageCost`;
    const get = (query: string) => server().request({ method: 'GET', url: `${base}?${query}`, auth: developer.basic });
    assert.equal((await get('from_date=2024-01-01&to_date=2024-01-31')).status, 200, '31 days');
    assert.equal((await get('from_date=2024-01-01T00:00:00Z&to_date=2024-01-31T23:59:59Z')).status, 200, 'date-times');
    const cases: [string, string][] = [
      ['from_date=2024-01-01&to_date=2024-02-01', 'to_date'],
      ['from_date=2024-02-01&to_date=2024-01-31', 'to_date'],
      ['from_date=2024-02-30&to_date=2024-03-01', 'from_date'],
      ['from_date=yesterday&to_date=2024-03-01', 'from_date'],
      ['from_date=2024-01-01', 'to_date'],
      ['from_date=2024-01-01&to_date=2024-01-02&filter=Environment', 'filter'],
      ['from_date=2024-01-01&to_date=2024-01-02&bogus=1', 'bogus'],
      ['from_date=0000-01-01&to_date=0000-01-02', 'from_date'],
    ];
    // ClickHouse filters by resource tags only; Orgbase entities have none, so a tag filter matches nothing.
    for (const query of ['filter=tag:Environment=Production', 'filter=tag:isActive&filter=tag:Department=Engineering']) {
      const filtered = await get(`from_date=2024-01-01&to_date=2024-01-02&${query}`);
      assert.equal(filtered.status, 200, JSON.stringify(filtered.body));
      assert.deepEqual(filtered.body.result, { grandTotalCHC: 0, costs: [] });
    }
    for (const [query, field] of cases) {
      const response = await get(query);
      assert.equal(response.status, 400, `${query}: ${JSON.stringify(response.body)}`);
      assert.ok(JSON.stringify(response.body).includes(field), `${query} → ${JSON.stringify(response.body)} does not name ${field}`);
    }
  });

  it('locks days older than the late-arrival window', async () => {
    const { organization, admin } = await createTenant(server());
    await ingest(server(), organization.id, admin.basic, [event({ timestamp: daysAgo(34).toISOString() })]);
    server().clock.advance(2 * 86_400_000); // two days later, that day is past the 35-day window
    const from = dayOf(daysAgo(34));
    const response = await server().request({ method: 'GET', url: `/v1/organizations/${organization.id}/usageCost?from_date=${from}&to_date=${from}`, auth: admin.basic });
    assert.equal(response.body.result.costs[0].locked, true);
    server().clock.advance(-2 * 86_400_000);
  });
}, { env: { ORGBASE_USAGE_PRICES: JSON.stringify({ rows_read: 0.001, storage_gb: { unitPrice: 0.5, category: 'storage' } }) } });

onEachDatabase('API calls and monthly consumption', (server) => {
  it('counts each organization key request once, without a write per request, and reports it by month', async () => {
    const { organization, admin } = await createTenant(server());
    const other = await createTenant(server());
    const { apiCallMeter } = server().orgbase.services;
    await apiCallMeter.flush();
    for (let i = 0; i < 7; i++) {
      const response = await server().request({ method: 'GET', url: `/v1/organizations/${organization.id}`, auth: admin.basic });
      assert.equal(response.status, 200);
    }
    await server().request({ method: 'GET', url: `/v1/organizations/${organization.id}`, auth: other.admin.basic }); // 404: charged to the caller
    assert.ok(apiCallMeter.pendingCalls >= 8, 'counted in memory first');
    await apiCallMeter.flush();
    assert.equal(apiCallMeter.pendingCalls, 0);
    const response = await server().request({ method: 'GET', url: `/v1/organizations/${organization.id}/consumption`, auth: 'root' });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.result.apiCalls, 7);
    assert.equal(response.body.result.month, today().slice(0, 7));
    const theirs = await server().request({ method: 'GET', url: `/v1/organizations/${other.organization.id}/consumption`, auth: 'root' });
    assert.equal(theirs.body.result.apiCalls, 1);
  });

  it('counts a user\u2019s personal-key calls for the organization in the path, on every surface, when they succeed', async () => {
    const { organization } = await createTenant(server());
    const user = await createUserWithKey(server());
    await joinOrganization(server(), organization.id, user, 15);
    const { apiCallMeter } = server().orgbase.services;
    await apiCallMeter.flush();
    const calls = [
      await server().request({ method: 'GET', url: `/v1/organizations/${organization.id}`, auth: user.auth }),
      await server().request({ method: 'GET', url: `/api/organizations/${organization.id}/members/`, auth: user.auth }),
      await server().request({ method: 'PATCH', url: `/bindplane/v1/organizations/${organization.id}/metadata`, auth: user.auth, body: { name: `Renamed ${organization.id}` } }),
      await server().request({ method: 'GET', url: `/orgs/${organization.id}`, auth: user.auth }),
    ];
    calls.forEach((call) => assert.equal(call.status, 200, JSON.stringify(call.body)));
    // Refused calls are not charged to the organization they name.
    assert.equal((await server().request({ method: 'DELETE', url: `/v1/organizations/${organization.id}/members/${user.id}/nothing`, auth: user.auth })).status, 404);
    await apiCallMeter.flush();
    const response = await server().request({ method: 'GET', url: `/v1/organizations/${organization.id}/consumption`, auth: 'root' });
    assert.equal(response.body.result.apiCalls, 4);
  });

  it('keeps the counts when a write fails, and writes them with the next flush', async () => {
    const { organization, admin } = await createTenant(server());
    const { apiCallMeter, db } = server().orgbase.services;
    await apiCallMeter.flush();
    for (let i = 0; i < 3; i++) await server().request({ method: 'GET', url: `/v1/organizations/${organization.id}`, auth: admin.basic });
    await sql`alter table usage_daily rename to usage_daily_away`.execute(db);
    try {
      await apiCallMeter.flush();
      assert.ok(apiCallMeter.pendingCalls >= 3, 'the failed write kept its counts');
    } finally {
      await sql`alter table usage_daily_away rename to usage_daily`.execute(db);
    }
    await apiCallMeter.flush();
    assert.equal(apiCallMeter.pendingCalls, 0);
    const response = await server().request({ method: 'GET', url: `/v1/organizations/${organization.id}/consumption`, auth: 'root' });
    assert.equal(response.body.result.apiCalls, 3);
  });

  it('reports storage as the latest daily total, and every metric of the month', async () => {
    const { organization, admin } = await createTenant(server());
    const month = today().slice(0, 7);
    const thisMonth = (day: number) => new Date(`${month}-${String(day).padStart(2, '0')}T08:00:00Z`);
    const days = [1, 2].map(thisMonth).filter((date) => date.getTime() <= Date.now());
    const events = days.flatMap((date, i) => [
      event({ metric: 'storage_gb', quantity: 10 * (i + 1), timestamp: date.toISOString() }),
      event({ metric: 'storage_gb', quantity: 1, timestamp: date.toISOString(), projectId: undefined }),
      event({ metric: 'rows_read', quantity: 5, timestamp: date.toISOString() }),
    ]);
    assert.equal((await ingest(server(), organization.id, admin.basic, events)).status, 200);
    const response = await server().request({ method: 'GET', url: `/v1/organizations/${organization.id}/consumption?month=${month}`, auth: admin.basic });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const result = response.body.result;
    assert.equal(result.from, `${month}-01`);
    assert.equal(result.storageGb, 10 * days.length + 1);
    assert.deepEqual(result.metrics.map((m: any) => [m.metric, m.quantity, m.events]), [
      ['rows_read', 5 * days.length, days.length],
      ['storage_gb', days.reduce((sum, _, i) => sum + 10 * (i + 1) + 1, 0), 2 * days.length],
    ]);
    const empty = await server().request({ method: 'GET', url: `/v1/organizations/${organization.id}/consumption?month=2001-02`, auth: admin.basic });
    assert.deepEqual([empty.body.result.to, empty.body.result.apiCalls, empty.body.result.metrics], ['2001-02-28', 0, []]);
    for (const month of ['2024-13', '2024-1', 'May', '2024-05-01']) {
      const bad = await server().request({ method: 'GET', url: `/v1/organizations/${organization.id}/consumption?month=${month}`, auth: admin.basic });
      assert.equal(bad.status, 400, month);
      assert.ok(JSON.stringify(bad.body).includes('month'));
    }
  });
});

describe('metered API calls survive a graceful restart', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });
  for (const database of testDatabases()) {
    it(`are written when the server closes [${database.kind}]`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'orgbase-usage-'));
      dirs.push(dir);
      // A long flush interval: only the close can have written the counts.
      const env = { ORGBASE_FLUSH_INTERVAL_MS: '60000' };
      const first = await startServer(database, { env, reuse: database.kind === 'pglite' ? { dataDir: dir } : {} });
      const { organization, admin } = await createTenant(first);
      for (let i = 0; i < 5; i++) await first.request({ method: 'GET', url: `/v1/organizations/${organization.id}`, auth: admin.basic });
      await first.app.close(); // graceful: the meter is stopped (and flushed) before the database closes
      const reuse = first.database.schema ? { schema: first.database.schema } : { dataDir: dir };
      const second = await startServer(database, { env, reuse });
      try {
        const response = await second.request({ method: 'GET', url: `/v1/organizations/${organization.id}/consumption`, auth: 'root' });
        assert.equal(response.body.result.apiCalls, 5);
      } finally {
        await second.close();
      }
    });
  }
});

describe('API-call metering can be turned off', () => {
  it('counts nothing with ORGBASE_METER_API_CALLS=false', async () => {
    const server = await startServer(testDatabases()[0]!, { env: { ORGBASE_METER_API_CALLS: 'false' } });
    try {
      const { organization, admin } = await createTenant(server);
      await server.request({ method: 'GET', url: `/v1/organizations/${organization.id}`, auth: admin.basic });
      assert.equal(server.orgbase.services.apiCallMeter.pendingCalls, 0);
      await createKey(server, organization.id);
    } finally {
      await server.close();
    }
  });
});
