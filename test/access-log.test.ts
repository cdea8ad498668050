/**
 * The access log: every credential kind's successes and failures are recorded (with the key's id,
 * never its secret), successes once per credential, IP and minute, failures always; the
 * per-organization list (admin only) with dates, outcome and cursor paging; rows written by the
 * background recorder, never by the request, and not lost on a graceful close.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { AuthenticationAttempt } from '../src/domain/access-log/access-log.recorder.js';
import { testDatabases, type TestDatabase } from './helpers/databases.js';
import { createKey, createTenant, createUserWithKey, joinOrganization, type KeyFixture } from './helpers/fixtures.js';
import { authorizationHeader, onEachDatabase, ROOT_KEY, startServer, type Auth, type TestServer } from './helpers/server.js';

const ORG_ROUTE = '/v1/organizations/:organizationId';
const UA = 'access-log-test/1.0';

/** Every access_log row, after writing out what is buffered. */
async function rows(server: TestServer, where: { organizationId?: string; credentialId?: string } = {}): Promise<any[]> {
  await server.orgbase.services.accessLog.flush();
  let query = server.orgbase.services.db.selectFrom('access_log').selectAll();
  if (where.organizationId) query = query.where('organization_id', '=', where.organizationId);
  if (where.credentialId) query = query.where('credential_id', '=', where.credentialId);
  return query.orderBy('occurred_at').orderBy('id').execute();
}

/** A personal key of a new user who is a member of the organization at `level`, with the key's id. */
async function memberWithKey(server: TestServer, organizationId: string, level: number) {
  const user = await createUserWithKey(server, ['*']);
  await joinOrganization(server, organizationId, user, level);
  const keys = await server.request({ method: 'GET', url: `/v1/users/${user.id}/keys`, auth: 'root' });
  assert.equal(keys.status, 200, JSON.stringify(keys.body));
  return { ...user, keyId: keys.body.result[0].id as string };
}

const read = (server: TestServer, organizationId: string, auth: Auth | undefined, remoteAddress = '198.51.100.10', suffix = '') =>
  server.request({ method: 'GET', url: `/v1/organizations/${organizationId}${suffix}`, auth, remoteAddress, headers: { 'user-agent': UA } });

function assertEvent(row: any, expected: Record<string, unknown>): void {
  for (const [column, value] of Object.entries(expected)) assert.deepEqual(row[column], value, `${column} of ${JSON.stringify(row)}`);
}

onEachDatabase('access log', (server) => {
  /** Secrets and whole Authorization header values used in this suite: none may be stored or logged. */
  const secrets = new Set<string>([ROOT_KEY, authorizationHeader('root')]);
  const remember = (key: KeyFixture) => {
    for (const value of [key.keySecret, authorizationHeader(key.basic), authorizationHeader(key.bearer)]) secrets.add(value);
    return key;
  };

  it('records a success of every credential kind: organization key (Basic, Bearer), personal key, root', async () => {
    const { organization } = await createTenant(server());
    const basic = remember(await createKey(server(), organization.id, { roles: ['developer'] }));
    const bearer = remember(await createKey(server(), organization.id, { roles: ['developer'] }));
    const member = await memberWithKey(server(), organization.id, 1);
    secrets.add((member.auth as { bearer: string }).bearer);

    assert.equal((await read(server(), organization.id, basic.basic, '198.51.100.1', '?limit=5')).status, 200); // the route is stored, not the URL
    assert.equal((await read(server(), organization.id, bearer.bearer, '198.51.100.2')).status, 200);
    assert.equal((await read(server(), organization.id, member.auth, '198.51.100.3')).status, 200);
    assert.equal((await read(server(), organization.id, 'root', '198.51.100.4')).status, 200);

    const common = { outcome: 'success', ip: null, user_agent: UA, method: 'GET', route: ORG_ROUTE, reason: null };
    const [viaBasic] = await rows(server(), { credentialId: basic.id });
    assertEvent(viaBasic, { ...common, ip: '198.51.100.1', status: 200, credential_kind: 'organization_key', actor_type: 'api', actor_id: basic.id, organization_id: organization.id });
    const [viaBearer] = await rows(server(), { credentialId: bearer.id });
    assertEvent(viaBearer, { ...common, ip: '198.51.100.2', status: 200, credential_kind: 'organization_key', actor_type: 'api', actor_id: bearer.id, organization_id: organization.id });
    const [viaPersonal] = (await rows(server(), { credentialId: member.keyId })).filter((row) => row.ip === '198.51.100.3'); // not the invitation's acceptance
    assertEvent(viaPersonal, { ...common, ip: '198.51.100.3', status: 200, credential_kind: 'personal_key', actor_type: 'user', actor_id: member.id, organization_id: organization.id });
    const viaRoot = (await rows(server(), { organizationId: organization.id })).filter((row) => row.ip === '198.51.100.4');
    assert.equal(viaRoot.length, 1);
    assertEvent(viaRoot[0], { ...common, ip: '198.51.100.4', status: 200, credential_kind: 'root', credential_id: null, actor_type: 'support', actor_id: 'root' });
  });

  it('records failures: unknown key, wrong secret of a known key id, disabled, expired, IP not allowed, missing and malformed headers', async () => {
    const { organization } = await createTenant(server());
    const known = remember(await createKey(server(), organization.id, { roles: ['developer'] }));
    const disabled = remember(await createKey(server(), organization.id, { roles: ['developer'], state: 'disabled' }));
    const expireAt = new Date(server().clock.now().getTime() + 60_000).toISOString();
    const expiring = remember(await createKey(server(), organization.id, { roles: ['developer'], expireAt }));
    const listed = remember(await createKey(server(), organization.id, { roles: ['developer'], ipAccessList: [{ source: '203.0.113.7' }] }));
    const unknownSecret = randomBytes(32).toString('base64url');
    const wrongSecret = { keyId: known.keyId, keySecret: randomBytes(32).toString('base64url') };
    const malformed = `Basic ${Buffer.from('no-colon').toString('base64')}`;
    for (const value of [unknownSecret, wrongSecret.keySecret, authorizationHeader({ bearer: unknownSecret }), authorizationHeader(wrongSecret)]) secrets.add(value);

    const attempts: [Auth | undefined, string][] = [
      [{ bearer: unknownSecret }, '198.51.100.20'],
      [wrongSecret, '198.51.100.21'],
      [disabled.basic, '198.51.100.22'],
      [listed.bearer, '198.51.100.23'],
      [undefined, '198.51.100.24'],
      [{ header: malformed }, '198.51.100.25'],
    ];
    for (const [auth, ip] of attempts) assert.equal((await read(server(), organization.id, auth, ip)).status, 401, ip);
    server().clock.advance(61_000);
    assert.equal((await read(server(), organization.id, expiring.basic, '198.51.100.26')).status, 401);

    const failures = (await rows(server(), { organizationId: organization.id })).filter((row) => row.outcome === 'failure');
    const byIp = new Map(failures.map((row) => [row.ip, row]));
    const failure = { outcome: 'failure', status: 401, method: 'GET', route: ORG_ROUTE, user_agent: UA, organization_id: organization.id };
    const anonymous = { credential_id: null, actor_type: null, actor_id: null };
    assertEvent(byIp.get('198.51.100.20'), { ...failure, ...anonymous, credential_kind: 'unknown', reason: 'unknown_key' });
    assertEvent(byIp.get('198.51.100.21'), { ...failure, credential_kind: 'organization_key', credential_id: known.id, actor_type: 'api', actor_id: known.id, reason: 'wrong_secret' });
    assertEvent(byIp.get('198.51.100.22'), { ...failure, credential_kind: 'organization_key', credential_id: disabled.id, reason: 'key_disabled' });
    assertEvent(byIp.get('198.51.100.23'), { ...failure, credential_kind: 'organization_key', credential_id: listed.id, reason: 'ip_not_allowed' });
    assertEvent(byIp.get('198.51.100.24'), { ...failure, ...anonymous, credential_kind: 'none', reason: 'missing_credential' });
    assertEvent(byIp.get('198.51.100.25'), { ...failure, ...anonymous, credential_kind: 'none', reason: 'malformed_credential' });
    assertEvent(byIp.get('198.51.100.26'), { ...failure, credential_kind: 'organization_key', credential_id: expiring.id, reason: 'key_expired' });
    assert.equal(failures.length, 7);
  });

  it('a failed personal key and failures on other surfaces are recorded with the route pattern', async () => {
    const { organization } = await createTenant(server());
    const unknown = randomBytes(32).toString('base64url');
    secrets.add(unknown);
    const posthog = await server().request({ method: 'GET', url: `/api/organizations/${organization.id}/members/?limit=5`, auth: { bearer: unknown }, remoteAddress: '198.51.100.30' });
    assert.equal(posthog.status, 401);
    const [row] = (await rows(server(), { organizationId: organization.id })).filter((r) => r.ip === '198.51.100.30');
    assertEvent(row, { outcome: 'failure', credential_kind: 'unknown', route: '/api/organizations/:organization_id/members/', status: 401 });

    // Routes that never authenticate (health, unknown routes) record nothing.
    const before = (await rows(server())).length;
    await server().request({ method: 'GET', url: '/health', remoteAddress: '198.51.100.31' });
    await server().request({ method: 'GET', url: `/v1/nowhere/${organization.id}`, auth: { bearer: unknown }, remoteAddress: '198.51.100.31' });
    assert.equal((await rows(server())).length, before);
  });

  it('a failure filed under the path\u2019s organization tells nothing about the credential (no probing of key ids)', async () => {
    const attacker = await createTenant(server());
    const victim = await createUserWithKey(server());
    const made = await server().request({ method: 'POST', url: `/v1/users/${victim.id}/keys`, auth: 'root', body: { name: 'victim key', scopes: ['*'] } });
    assert.equal(made.status, 200, JSON.stringify(made.body));
    secrets.add(made.body.result.keySecret);
    const guess = { keyId: made.body.result.keyId as string, keySecret: randomBytes(32).toString('base64url') };
    secrets.add(guess.keySecret);
    const wrong = await read(server(), attacker.organization.id, guess, '198.51.100.35');
    assert.equal(wrong.status, 401);
    const unknown = await read(server(), attacker.organization.id, { keyId: randomBytes(16).toString('hex'), keySecret: guess.keySecret }, '198.51.100.35');
    assert.equal(unknown.status, 401);
    await server().orgbase.services.accessLog.flush();
    const filed = (await rows(server(), { organizationId: attacker.organization.id })).filter((row) => row.ip === '198.51.100.35');
    assert.equal(filed.length, 2);
    for (const row of filed) {
      assertEvent(row, { outcome: 'failure', credential_kind: 'unknown', credential_id: null, actor_type: null, actor_id: null, reason: 'unknown_key' });
    }
    const listed = await server().request({ method: 'GET', url: `/v1/organizations/${attacker.organization.id}/accessLog?outcome=failure`, auth: attacker.admin.basic });
    assert.ok(!JSON.stringify(listed.body).includes(victim.id), 'the victim is not named');
    assert.ok(!JSON.stringify(listed.body).includes(made.body.result.key?.id ?? made.body.result.id), 'nor their key');
  });

  it('successes are kept once per credential, IP and minute; failures every time', async () => {
    const { organization } = await createTenant(server());
    const key = remember(await createKey(server(), organization.id, { roles: ['developer'] }));
    for (let i = 0; i < 5; i += 1) assert.equal((await read(server(), organization.id, i % 2 ? key.basic : key.bearer, '198.51.100.40')).status, 200);
    assert.equal((await rows(server(), { credentialId: key.id })).length, 1);
    assert.equal((await read(server(), organization.id, key.basic, '198.51.100.41')).status, 200);
    assert.equal((await rows(server(), { credentialId: key.id })).length, 2, 'another IP is another row');
    server().clock.advance(60_000);
    assert.equal((await read(server(), organization.id, key.basic, '198.51.100.40')).status, 200);
    assert.equal((await rows(server(), { credentialId: key.id })).length, 3, 'the next minute is another row');

    const wrong = { keyId: key.keyId, keySecret: randomBytes(32).toString('base64url') };
    secrets.add(wrong.keySecret);
    for (let i = 0; i < 4; i += 1) assert.equal((await read(server(), organization.id, wrong, '198.51.100.40')).status, 401);
    const all = await rows(server(), { credentialId: key.id });
    assert.equal(all.filter((row) => row.outcome === 'failure').length, 4);
  });

  it('a success is the path organization\'s only below 400: probing another tenant\'s id fills no log', async () => {
    const mine = await createTenant(server());
    const theirs = await createTenant(server());
    const member = await memberWithKey(server(), mine.organization.id, 1);
    secrets.add((member.auth as { bearer: string }).bearer);
    assert.equal((await read(server(), theirs.organization.id, member.auth, '198.51.100.50')).status, 404);
    assert.equal((await read(server(), theirs.organization.id, mine.admin.basic, '198.51.100.50')).status, 404);
    const probes = (await rows(server())).filter((row) => row.ip === '198.51.100.50');
    assert.equal(probes.length, 2);
    assert.deepEqual(probes.map((row) => row.organization_id).sort(), [null, mine.organization.id].sort());
    assert.equal((await rows(server(), { organizationId: theirs.organization.id })).some((row) => row.ip === '198.51.100.50'), false);
  });

  it('GET …/accessLog: newest first, cursor paging, from/to and outcome filters, in the native envelope', async () => {
    const { organization, admin } = await createTenant(server());
    remember(admin);
    const url = `/v1/organizations/${organization.id}/accessLog`;
    const times: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      server().clock.advance(3_600_000);
      times.push(server().clock.now().toISOString());
      assert.equal((await read(server(), organization.id, { bearer: `wrong-${i}-${randomBytes(8).toString('hex')}` }, `198.51.100.6${i}`)).status, 401);
    }
    await server().orgbase.services.accessLog.flush();

    const pages: any[] = [];
    let cursor: string | undefined;
    do {
      const response = await server().request({ method: 'GET', url: `${url}?outcome=failure&limit=2${cursor ? `&cursor=${cursor}` : ''}`, auth: admin.basic });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(response.body.status, 200);
      assert.ok(response.body.result.length <= 2);
      pages.push(...response.body.result);
      cursor = response.body.nextCursor;
    } while (cursor);
    assert.deepEqual(pages.map((event) => event.ipAddress), ['198.51.100.64', '198.51.100.63', '198.51.100.62', '198.51.100.61', '198.51.100.60']);
    assert.deepEqual(Object.keys(pages[0]).sort(), ['credentialKind', 'id', 'ipAddress', 'method', 'occurredAt', 'organizationId', 'outcome', 'reason', 'route', 'status', 'userAgent'].sort());
    assertEvent(pages[0], { outcome: 'failure', credentialKind: 'unknown', method: 'GET', route: ORG_ROUTE, status: 401, reason: 'unknown_key', organizationId: organization.id, userAgent: UA });

    const to = new Date(Date.parse(times[3]!) + 60_000).toISOString(); // events are an hour apart, a few ms after their time
    const window = await server().request({ method: 'GET', url: `${url}?outcome=failure&from_date=${times[1]}&to_date=${to}`, auth: admin.basic });
    assert.equal(window.status, 200);
    assert.deepEqual(window.body.result.map((event: any) => event.ipAddress), ['198.51.100.63', '198.51.100.62', '198.51.100.61']);

    const successes = await server().request({ method: 'GET', url: `${url}?outcome=success`, auth: admin.basic });
    assert.equal(successes.status, 200);
    assert.ok(successes.body.result.length > 0);
    assert.ok(successes.body.result.every((event: any) => event.outcome === 'success'));

    for (const [query, field] of [
      [`from_date=${times[3]}&to_date=${times[1]}`, 'from_date'],
      ['from_date=yesterday', 'from_date'],
      ['cursor=bm90LWEtY3Vyc29y', 'cursor'],
      ['outcome=maybe', 'outcome'],
      ['limit=0', 'limit'],
      ['page=2', 'page'],
    ] as const) {
      const response = await server().request({ method: 'GET', url: `${url}?${query}`, auth: admin.basic });
      assert.equal(response.status, 400, `${query}: ${JSON.stringify(response.body)}`);
      assert.equal(response.body.field, field, query);
    }
  });

  it('GET …/accessLog needs admin: root and admins read; developer key and plain member 403; another organization 404; none 401', async () => {
    const { organization, admin, developer } = await createTenant(server());
    const other = await createTenant(server());
    const owner = await memberWithKey(server(), organization.id, 8);
    const plain = await memberWithKey(server(), organization.id, 1);
    const url = `/v1/organizations/${organization.id}/accessLog`;
    const status = async (auth: Auth | undefined) => (await server().request({ method: 'GET', url, auth })).status;
    assert.equal(await status('root'), 200);
    assert.equal(await status(admin.basic), 200);
    assert.equal(await status(owner.auth), 200);
    assert.equal(await status(developer.basic), 403);
    assert.equal(await status(plain.auth), 403);
    assert.equal(await status(other.admin.basic), 404);
    assert.equal(await status(undefined), 401);
    const missing = await server().request({ method: 'GET', url: `/v1/organizations/${'0'.repeat(8)}-0000-7000-8000-${'0'.repeat(12)}/accessLog`, auth: 'root' });
    assert.equal(missing.status, 404);
    assert.equal((await server().request({ method: 'GET', url: '/v1/organizations/not-a-uuid/accessLog', auth: 'root' })).status, 400);
    // And nothing of the other tenant shows up here.
    const listed = await server().request({ method: 'GET', url: `${url}?limit=1000`, auth: 'root' });
    assert.ok(listed.body.result.every((event: any) => event.organizationId === organization.id));
  });

  it('a failed flush keeps its rows and the next flush writes them', async () => {
    const { organization } = await createTenant(server());
    const { db, accessLog } = server().orgbase.services;
    await sql`alter table access_log rename to access_log_away`.execute(db);
    try {
      assert.equal((await read(server(), organization.id, undefined, '198.51.100.70')).status, 401);
      await assert.rejects(accessLog.flush());
    } finally {
      await sql`alter table access_log_away rename to access_log`.execute(db);
    }
    const kept = (await rows(server(), { organizationId: organization.id })).filter((row) => row.ip === '198.51.100.70');
    assert.equal(kept.length, 1);
  });

  it('no secret is ever stored or logged: every column of every row, and the server logs', async () => {
    const all = await rows(server());
    assert.ok(all.length > 20, `only ${all.length} rows`);
    assert.ok(secrets.size > 10);
    const text = all.map((row) => JSON.stringify(Object.values(row))).join('\n');
    const logs = server().logs.join('\n');
    for (const secret of secrets) {
      assert.equal(text.includes(secret), false, 'a secret or Authorization header was stored in access_log');
      assert.equal(logs.includes(secret), false, 'a secret or Authorization header was logged');
    }
    // Only the documented kinds, and credential ids are key ids (uuids) or nothing.
    for (const row of all) {
      assert.ok(['root', 'organization_key', 'personal_key', 'unknown', 'none'].includes(row.credential_kind));
      assert.ok(row.credential_id === null || /^[0-9a-f-]{36}$/.test(row.credential_id));
      assert.ok(!/[?]/.test(row.route) && !/[0-9a-f]{8}-[0-9a-f]{4}/.test(row.route), `route ${row.route} is not a pattern`);
    }
  });
});

// ---- The request never waits for the database; a graceful close loses nothing ----------------------

const tempDirs: string[] = [];
after(async () => {
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

function closeSuite(database: TestDatabase) {
  describe(`access log across a graceful close [${database.kind}]`, () => {
    const open: TestServer[] = [];
    after(async () => {
      for (const server of open) {
        await server.app.close().catch(() => {});
        await server.database.dispose();
      }
    });

    it('recording is synchronous and writes nothing until a flush; events survive a close without a flush', async () => {
      const dataDir = database.kind === 'pglite' ? await mkdtemp(join(tmpdir(), 'orgbase-access-log-')) : undefined;
      if (dataDir) tempDirs.push(dataDir);
      const env = { ORGBASE_FLUSH_INTERVAL_MS: '60000' }; // no timer flush during the test: only close writes
      const first = await startServer(database, { env, ...(dataDir && { reuse: { dataDir } }) });
      open.push(first);
      const { accessLog } = first.orgbase.services;

      // Structurally: record is a plain function returning nothing to await.
      assert.equal(accessLog.record.constructor.name, 'Function');
      const attempt: AuthenticationAttempt = {
        outcome: 'failure', credentialKind: 'unknown', credentialId: null, credentialOrganizationId: null, actorType: null, actorId: null,
        pathOrganizationId: null, ip: '192.0.2.99', userAgent: null, method: 'GET', route: '/v1/organizations/:organizationId', status: 401, reason: 'unknown_key',
      };
      assert.equal(accessLog.record(attempt), undefined);

      const { organization } = await createTenant(first);
      for (let i = 0; i < 3; i += 1) assert.equal((await read(first, organization.id, { bearer: `nope-${i}` }, '192.0.2.1')).status, 401);
      const count = async (handle: TestServer) =>
        Number((await sql<{ n: string }>`select count(*) as n from access_log`.execute(handle.orgbase.services.db)).rows[0]!.n);
      assert.equal(await count(first), 0, 'rows were written before any flush');

      await first.app.close(); // closes the database, keeps its data
      const second = await startServer(database, { env, reuse: first.database.schema ? { schema: first.database.schema } : { dataDir: dataDir! } });
      open.push(second);
      const kept = await second.orgbase.services.db.selectFrom('access_log').selectAll().where('organization_id', '=', organization.id).execute();
      assert.equal(kept.filter((row) => row.outcome === 'failure' && row.ip === '192.0.2.1').length, 3);
      assert.ok(kept.some((row) => row.outcome === 'success' && row.credential_kind === 'root'));
      assert.equal(await count(second) >= 5, true);
    });
  });
}

for (const database of testDatabases()) closeSuite(database);
