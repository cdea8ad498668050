import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import { assertEnvelope, assertErrorEnvelope, assertMatchesClickHouse } from './contracts/clickhouse.js';
import { activitiesOf, createKey, createOrganization, createTenant } from './helpers/fixtures.js';
import { onEachDatabase, type Auth, type RequestOptions, type TestServer } from './helpers/server.js';

const USER_AGENT = 'activities-test/1.0 (+orgbase)';
const IP = '203.0.113.7';

function list(server: TestServer, organizationId: string, query = '', auth: Auth = 'root') {
  return server.request({ method: 'GET', url: `/v1/organizations/${organizationId}/activities${query ? `?${query}` : ''}`, auth });
}

/** Every activity through pages of `limit`, checking the page/cursor contract on the way. */
async function pageThrough(server: TestServer, organizationId: string, limit: number, filter = ''): Promise<any[]> {
  const rows: any[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const query = [`limit=${limit}`, filter, cursor ? `cursor=${encodeURIComponent(cursor)}` : ''].filter(Boolean).join('&');
    const response = await list(server, organizationId, query);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assertEnvelope(response.body, { result: true });
    const { result, nextCursor } = response.body;
    if (nextCursor === undefined) {
      assert.equal('nextCursor' in response.body, false);
      assert.ok(result.length <= limit);
      return [...rows, ...result];
    }
    assert.equal(typeof nextCursor, 'string');
    assert.equal(result.length, limit, 'a page with a nextCursor is a full page');
    rows.push(...result);
    cursor = nextCursor;
  }
  throw new Error('paging did not end');
}

/** The same instant, shifted by `ms`, as an ISO-8601 string (UTC). */
const shift = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();
const q = (params: Record<string, string>) => new URLSearchParams(params).toString();

onEachDatabase('activities', (server) => {
  it('records one activity per mutation with actor, request context and changes; newest first', async () => {
    const s = server();
    const actingAs = (auth: Auth) => (options: Omit<RequestOptions, 'auth'>) =>
      s.request({ ...options, auth, headers: { 'user-agent': USER_AGENT }, remoteAddress: IP });
    const root = actingAs('root');
    const step = () => s.clock.advance(1000);

    const created = await root({ method: 'POST', url: '/v1/organizations', body: { name: 'Trail' } });
    assert.equal(created.status, 200);
    const orgId: string = created.body.result.id;
    const base = `/v1/organizations/${orgId}`;
    step();
    const admin = await createKey(s, orgId, { name: 'ops', roles: ['admin'] });
    const byAdmin = actingAs(admin.basic);
    const want: { type: string; actor: 'root' | 'admin'; targetKeyId?: string; changes: (c: any) => void }[] = [];
    const expectRoot = (type: string, changes: (c: any) => void) => want.unshift({ type, actor: 'root', changes });
    const expectAdmin = (type: string, changes: (c: any) => void, targetKeyId?: string) =>
      want.unshift({ type, actor: 'admin', changes, ...(targetKeyId && { targetKeyId }) });

    // Every organization starts with a project; its creation is recorded just before the organization's.
    expectRoot('project_create', (c) => assert.deepEqual(c, { name: { old: null, new: 'Default' } }));
    expectRoot('create_organization', (c) => assert.deepEqual(c, { name: { old: null, new: 'Trail' } }));
    want.unshift({ type: 'key_create', actor: 'root', targetKeyId: admin.id, changes: (c) => {
      assert.deepEqual(c.name, { old: null, new: 'ops' });
      assert.deepEqual(c.roles, { old: null, new: ['admin'] });
      assert.deepEqual(c.state, { old: null, new: 'enabled' });
    } });

    step();
    assert.equal((await byAdmin({ method: 'PATCH', url: base, body: { name: 'Trail 2' } })).status, 200);
    expectAdmin('organization_update_name', (c) => assert.deepEqual(c, { name: { old: 'Trail', new: 'Trail 2' } }));

    step();
    const endpoint = { id: 'vpce-1', description: 'primary', cloudProvider: 'aws', region: 'us-east-1' };
    assert.equal((await byAdmin({ method: 'PATCH', url: base, body: { privateEndpoints: { add: [endpoint] } } })).status, 200);
    expectAdmin('organization_update_private_endpoints', (c) => assert.deepEqual(c, { privateEndpoints: { old: [], new: [endpoint] } }));

    step();
    const keyResponse = await byAdmin({ method: 'POST', url: `${base}/keys`, body: { name: 'ci', roles: ['developer'] } });
    assert.equal(keyResponse.status, 200);
    const keyId: string = keyResponse.body.result.key.id;
    expectAdmin('key_create', (c) => assert.deepEqual(c.name, { old: null, new: 'ci' }), keyId);

    step();
    assert.equal((await byAdmin({ method: 'PATCH', url: `${base}/keys/${keyId}`, body: { name: 'ci-2' } })).status, 200);
    expectAdmin('openapi_key_update', (c) => assert.deepEqual(c, { name: { old: 'ci', new: 'ci-2' } }), keyId);

    step();
    assert.equal((await byAdmin({ method: 'DELETE', url: `${base}/keys/${keyId}` })).status, 200);
    expectAdmin('key_delete', (c) => assert.deepEqual(c.name, { old: 'ci-2', new: null }), keyId);

    step();
    const byoc = await byAdmin({ method: 'POST', url: `${base}/byocInfrastructure`, body: { regionId: 'eu-west-1', accountId: '123456789012' } });
    assert.equal(byoc.status, 200, JSON.stringify(byoc.body));
    const byocEntry = byoc.body.result;
    expectAdmin('byoc_infrastructure_create', (c) => assert.deepEqual(c, { byocConfig: { old: null, new: byocEntry } }));

    step();
    const renamed = await byAdmin({ method: 'PATCH', url: `${base}/byocInfrastructure/${byocEntry.id}`, body: { displayName: 'Prod' } });
    assert.equal(renamed.status, 200);
    expectAdmin('byoc_infrastructure_update', (c) => assert.deepEqual(c, { displayName: { old: '123456789012', new: 'Prod' } }));

    step();
    assert.equal((await byAdmin({ method: 'DELETE', url: `${base}/byocInfrastructure/${byocEntry.id}` })).status, 200);
    expectAdmin('byoc_infrastructure_delete', (c) => assert.deepEqual(c, { byocConfig: { old: renamed.body.result, new: null } }));

    step();
    assert.equal((await byAdmin({ method: 'DELETE', url: base })).status, 200);
    expectAdmin('delete_organization', (c) => assert.deepEqual(c, { name: { old: 'Trail 2', new: null } }));

    // The organization is deleted: root still reads its whole trail, newest first.
    const trail = await activitiesOf(s, orgId);
    assert.deepEqual(trail.map((a) => a.type), want.map((e) => e.type));
    for (const [i, activity] of trail.entries()) {
      const expected = want[i]!;
      assertMatchesClickHouse('Activity', activity);
      assert.equal(activity.organizationId, orgId);
      // Newest first; only the organization and its default project are made in the same instant.
      const sameInstant = expected.type === 'project_create';
      assert.ok(i === 0 || Date.parse(activity.createdAt) < Date.parse(trail[i - 1].createdAt) || sameInstant, 'strictly newest first');
      if (expected.actor === 'root') {
        assert.equal(activity.actorType, 'support');
        assert.equal(activity.actorId, 'root');
      } else {
        assert.equal(activity.actorType, 'api');
        assert.equal(activity.actorId, admin.id);
        assert.match(activity.actorDetails, /ops/);
      }
      if (expected.type !== 'key_create' || expected.actor !== 'root') {
        assert.equal(activity.actorIpAddress, IP, expected.type);
        assert.equal(activity.userAgent, USER_AGENT, expected.type);
      }
      if (expected.targetKeyId) assert.equal(activity.targetKeyId, expected.targetKeyId);
      if (expected.type === 'openapi_key_update') assert.equal(activity.keyUpdateType, 'name-changed');
      expected.changes(activity.changes);
      const single = await s.request({ method: 'GET', url: `${base}/activities/${activity.id}`, auth: 'root' });
      assert.equal(single.status, 200);
      assertEnvelope(single.body, { result: true });
      assertMatchesClickHouse('Activity', single.body.result);
      assert.deepEqual(single.body.result, activity);
    }
  });

  it('changes list only fields whose value changed', async () => {
    const s = server();
    const { organization, admin } = await createTenant(s);
    const base = `/v1/organizations/${organization.id}`;
    const created = await s.request({ method: 'POST', url: `${base}/keys`, auth: admin.basic, body: { name: 'plain', roles: ['developer'] } });
    assert.equal(created.status, 200);
    const updated = await s.request({ method: 'PATCH', url: `${base}/keys/${created.body.result.key.id}`, auth: admin.basic, body: { name: 'plain', state: 'disabled', expireAt: null } });
    assert.equal(updated.status, 200);
    const trail = await activitiesOf(s, organization.id);
    assert.deepEqual(trail.slice(0, 2).map((a) => a.type), ['openapi_key_update', 'key_create']);
    assert.deepEqual(trail[0].changes, { state: { old: 'enabled', new: 'disabled' } });
    for (const activity of trail) {
      for (const [field, change] of Object.entries<any>(activity.changes ?? {})) {
        assert.notDeepEqual(change.old, change.new, `${activity.type}: "${field}" is recorded as a change from ${JSON.stringify(change.old)} to the same value`);
      }
    }
  });

  it('failed and no-op requests record no activity', async () => {
    const s = server();
    const { organization, admin, developer } = await createTenant(s);
    const other = await createTenant(s);
    const base = `/v1/organizations/${organization.id}`;
    const setup = [
      await s.request({ method: 'PATCH', url: base, auth: admin.basic, body: { privateEndpoints: { add: [{ id: 'e1', cloudProvider: 'aws', region: 'us-east-1' }] } } }),
      await s.request({ method: 'POST', url: `${base}/byocInfrastructure`, auth: admin.basic, body: { regionId: 'us-east-1', accountId: 'acct' } }),
    ];
    setup.forEach((response) => assert.equal(response.status, 200, JSON.stringify(response.body)));
    const before = await activitiesOf(s, organization.id);

    const attempts: [RequestOptions, number][] = [
      [{ method: 'PATCH', url: base, auth: developer.basic, body: { name: 'x' } }, 403],
      [{ method: 'PATCH', url: base, auth: admin.basic, body: { name: 42 } }, 400],
      [{ method: 'PATCH', url: base, auth: other.admin.basic, body: { name: 'x' } }, 404],
      [{ method: 'PATCH', url: base, auth: admin.basic, body: { privateEndpoints: { add: [{ id: 'e1', cloudProvider: 'aws', region: 'us-east-1' }] } } }, 400],
      [{ method: 'POST', url: `${base}/keys`, auth: developer.basic, body: { name: 'k', roles: ['admin'] } }, 403],
      [{ method: 'POST', url: `${base}/keys`, auth: admin.basic, body: { name: 'k', roles: ['owner'] } }, 400],
      [{ method: 'PATCH', url: `${base}/keys/${randomUUID()}`, auth: admin.basic, body: { name: 'k' } }, 404],
      [{ method: 'DELETE', url: `${base}/keys/${randomUUID()}`, auth: admin.basic }, 404],
      [{ method: 'DELETE', url: `${base}/keys/${admin.id}`, auth: admin.basic }, 400],
      [{ method: 'POST', url: `${base}/byocInfrastructure`, auth: admin.basic, body: { regionId: 'us-east-1', accountId: 'acct' } }, 409],
      [{ method: 'POST', url: `${base}/byocInfrastructure`, auth: admin.basic, body: { regionId: 'us-east-1', accountId: 'b', vpcCidrRange: '10.0.0.0/8' } }, 400],
      [{ method: 'PATCH', url: `${base}/byocInfrastructure/${randomUUID()}`, auth: admin.basic, body: { displayName: 'x' } }, 404],
      [{ method: 'DELETE', url: base, auth: developer.basic }, 403],
      [{ method: 'DELETE', url: base, auth: other.admin.basic }, 404],
      // No-ops: accepted, but nothing changed, so nothing to record.
      [{ method: 'PATCH', url: base, auth: admin.basic, body: { name: organization.name } }, 200],
      [{ method: 'PATCH', url: base, auth: admin.basic, body: { privateEndpoints: { remove: [{ id: 'absent' }] } } }, 200],
      [{ method: 'PATCH', url: `${base}/keys/${developer.id}`, auth: admin.basic, body: { roles: ['developer'] } }, 200],
    ];
    for (const [request, status] of attempts) {
      const response = await s.request(request);
      assert.equal(response.status, status, `${request.method} ${request.url}: ${JSON.stringify(response.body)}`);
    }
    assert.deepEqual(await activitiesOf(s, organization.id), before);
  });

  it('from_date and to_date are inclusive at millisecond precision', async () => {
    const s = server();
    const { id } = await createOrganization(s, 'Dates');
    for (const name of ['d1', 'd2', 'd3']) {
      s.clock.advance(60_000);
      const response = await s.request({ method: 'PATCH', url: `/v1/organizations/${id}`, auth: 'root', body: { name } });
      assert.equal(response.status, 200);
    }
    // The default project's creation shares the organization's instant; these windows are about the other four.
    const everything = await activitiesOf(s, id);
    assert.equal(everything.length, 5);
    const project = everything.find((a) => a.type === 'project_create');
    const all = everything.filter((a) => a !== project);
    const [a3, a2, a1, a0] = all.map((a) => ({ id: a.id as string, at: a.createdAt as string }));
    const ids = async (params: Record<string, string>) => {
      const response = await list(s, id, q(params));
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal('nextCursor' in response.body, false);
      return response.body.result.map((a: any) => a.id).filter((activityId: string) => activityId !== project.id);
    };
    assert.deepEqual(await ids({ from_date: a2!.at, to_date: a2!.at }), [a2!.id]);
    assert.deepEqual(await ids({ from_date: a2!.at }), [a3!.id, a2!.id]);
    assert.deepEqual(await ids({ from_date: shift(a2!.at, 1) }), [a3!.id]);
    assert.deepEqual(await ids({ to_date: a1!.at }), [a1!.id, a0!.id]);
    assert.deepEqual(await ids({ to_date: shift(a1!.at, -1) }), [a0!.id]);
    assert.deepEqual(await ids({ from_date: a0!.at, to_date: a3!.at }), [a3!.id, a2!.id, a1!.id, a0!.id]);
    assert.deepEqual(await ids({ from_date: shift(a0!.at, 1), to_date: shift(a3!.at, -1) }), [a2!.id, a1!.id]);
    assert.deepEqual(await ids({ from_date: shift(a2!.at, 1), to_date: shift(a2!.at, 1) }), []);
    // The same instant written with an offset selects the same rows.
    const inPlusTwo = new Date(Date.parse(a2!.at) + 2 * 3600_000).toISOString().replace('Z', '+02:00');
    assert.deepEqual(await ids({ from_date: inPlusTwo, to_date: inPlusTwo }), [a2!.id]);
  });

  it('rejects invalid filters, limits, cursors and unknown parameters with 400 naming the parameter', async () => {
    const s = server();
    const { id } = await createOrganization(s);
    const cases: [string, string, string?][] = [
      [q({ from_date: '2025-02-01T00:00:00Z', to_date: '2025-01-31T23:59:59.999Z' }), 'from_date'],
      [q({ from_date: 'yesterday' }), 'from_date'],
      [q({ from_date: '2025-01-01' }), 'from_date'],
      [q({ from_date: '2025-01-01T00:00:00' }), 'from_date'],
      [q({ to_date: '2025-13-01T00:00:00Z' }), 'to_date'],
      [q({ to_date: '2025-02-30T00:00:00Z' }), 'to_date'],
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=2.5', 'limit'],
      ['page=2', 'page'],
      ['fromDate=2025-01-01T00:00:00Z', 'fromDate'],
      ['cursor=not-a-cursor', 'cursor', 'invalid_cursor'],
      [`cursor=${Buffer.from('{"a":1}').toString('base64url')}`, 'cursor', 'invalid_cursor'],
      [`cursor=${Buffer.from(JSON.stringify([randomUUID()])).toString('base64url')}`, 'cursor', 'invalid_cursor'],
    ];
    for (const [query, field, code] of cases) {
      const response = await list(s, id, query);
      assertErrorEnvelope(response.body, 400, code);
      assert.equal(response.body.field, field, `${query}: ${JSON.stringify(response.body)}`);
      assert.ok(response.body.error.includes(field), response.body.error);
    }
    const fine = await list(s, id, 'limit=1000');
    assert.equal(fine.status, 200);
  });

  it('answers 400 invalid_cursor, not 500, for a decodable cursor holding no position', async () => {
    const s = server();
    const { id } = await createOrganization(s);
    for (const key of [['not a date', 'not a uuid'], [new Date().toISOString(), 'not a uuid'], ['not a date', randomUUID()]]) {
      const forged = Buffer.from(JSON.stringify(key)).toString('base64url');
      const response = await list(s, id, `cursor=${forged}`);
      assertErrorEnvelope(response.body, 400, 'invalid_cursor');
      assert.equal(response.body.field, 'cursor');
    }
  });

  it('answers 400, not 500, for a from_date that passes the format check but is no instant', async () => {
    const s = server();
    const { id } = await createOrganization(s);
    // Both pass the date-time format check but are not instants JavaScript's Date can represent.
    const answers: string[] = [];
    for (const date of ['2016-12-31T23:59:60Z', '2025-01-01T10:00:00+01']) {
      const response = await list(s, id, q({ from_date: date }));
      assert.ok([200, 400, 500].includes(response.status), JSON.stringify(response.body));
      if (response.status === 400) assert.equal(response.body.field, 'from_date');
      answers.push(`${date} → ${response.status === 500 ? '500' : 'handled'}`);
    }
    assert.deepEqual(answers, ['2016-12-31T23:59:60Z → handled', '2025-01-01T10:00:00+01 → handled']);
  });

  it('pages every activity exactly once, in order, for any limit, with and without filters', async () => {
    const s = server();
    const { organization, developer } = await createTenant(s, 'Pages');
    const base = `/v1/organizations/${organization.id}`;
    for (let i = 0; i < 8; i++) {
      if (i % 3 === 0) s.clock.advance(5);
      // Two changed fields: two activities with the same createdAt (ties broken by id).
      const key = await s.request({
        method: 'PATCH',
        url: `${base}/keys/${developer.id}`,
        auth: 'root',
        body: { name: `dev ${i}`, roles: i % 2 ? ['developer'] : ['developer', 'query_endpoints'] },
      });
      assert.equal(key.status, 200, JSON.stringify(key.body));
      assert.equal((await s.request({ method: 'PATCH', url: base, auth: 'root', body: { name: `Pages ${i}` } })).status, 200);
    }
    const full = await list(s, organization.id, 'limit=1000');
    assert.equal(full.status, 200);
    const all: any[] = full.body.result;
    assert.equal(all.length, 28);
    assert.equal('nextCursor' in full.body, false);
    const ids = all.map((a) => a.id);
    for (let i = 1; i < all.length; i++) {
      const [newer, older] = [all[i - 1], all[i]];
      assert.ok(newer.createdAt > older.createdAt || (newer.createdAt === older.createdAt && newer.id > older.id), 'sorted');
    }
    assert.ok(all.some((a, i) => i > 0 && a.createdAt === all[i - 1].createdAt), 'the data has ties');

    for (const limit of [1, 3, 7, 27, 100]) {
      assert.deepEqual((await pageThrough(s, organization.id, limit)).map((a) => a.id), ids, `limit ${limit}`);
    }
    const from = all[20].createdAt;
    const to = all[5].createdAt;
    const window = all.filter((a) => a.createdAt >= from && a.createdAt <= to).map((a) => a.id);
    assert.ok(window.length >= 15 && window.length < all.length);
    for (const limit of [1, 2, 4]) {
      const filter = q({ from_date: from, to_date: to });
      assert.deepEqual((await pageThrough(s, organization.id, limit, filter)).map((a) => a.id), window, `filtered, limit ${limit}`);
    }

    // Activities added while paging are newer than the cursor: the walk neither repeats nor skips.
    const first = await list(s, organization.id, 'limit=5');
    assert.equal((await s.request({ method: 'PATCH', url: base, auth: 'root', body: { name: 'Meanwhile' } })).status, 200);
    const rest = await pageThrough(s, organization.id, 1000, `cursor=${encodeURIComponent(first.body.nextCursor)}`);
    assert.deepEqual([...first.body.result, ...rest].map((a) => a.id), ids);
  });

  it('GET one activity: 404 unknown, 400 malformed, 404 for another organization\'s activity', async () => {
    const s = server();
    const mine = await createTenant(s);
    const theirs = await createTenant(s);
    const [theirActivity] = await activitiesOf(s, theirs.organization.id);
    const base = `/v1/organizations/${mine.organization.id}/activities`;
    for (const auth of ['root', mine.admin.basic, mine.developer.basic] as const) {
      assertErrorEnvelope((await s.request({ method: 'GET', url: `${base}/${randomUUID()}`, auth })).body, 404, 'not_found');
      assertErrorEnvelope((await s.request({ method: 'GET', url: `${base}/${theirActivity.id}`, auth })).body, 404, 'not_found');
      const malformed = await s.request({ method: 'GET', url: `${base}/not-an-id`, auth });
      assertErrorEnvelope(malformed.body, 400);
      assert.equal(malformed.body.field, 'activityId');
    }
  });

  it('isolates tenants: another organization\'s key gets 404; developer keys read; query_endpoints keys do not', async () => {
    const s = server();
    const mine = await createTenant(s);
    const other = await createTenant(s);
    const endpointsOnly = await createKey(s, mine.organization.id, { roles: ['query_endpoints'] });
    const [activity] = await activitiesOf(s, mine.organization.id);
    const base = `/v1/organizations/${mine.organization.id}/activities`;
    for (const auth of [other.admin.basic, other.developer.bearer]) {
      assertErrorEnvelope((await s.request({ method: 'GET', url: base, auth })).body, 404, 'not_found');
      assertErrorEnvelope((await s.request({ method: 'GET', url: `${base}/${activity.id}`, auth })).body, 404, 'not_found');
    }
    const read = await s.request({ method: 'GET', url: base, auth: mine.developer.basic });
    assert.equal(read.status, 200);
    read.body.result.forEach((a: unknown) => assertMatchesClickHouse('Activity', a));
    assert.deepEqual(read.body.result.map((a: any) => a.id), (await activitiesOf(s, mine.organization.id)).map((a) => a.id));
    const one = await s.request({ method: 'GET', url: `${base}/${activity.id}`, auth: mine.developer.bearer });
    assert.deepEqual(one.body.result, activity);
    assertErrorEnvelope((await s.request({ method: 'GET', url: base, auth: endpointsOnly.basic })).body, 403);
    assertErrorEnvelope((await s.request({ method: 'GET', url: `/v1/organizations/${randomUUID()}/activities`, auth: 'root' })).body, 404);
  });

  it('after deletion, root still reads the trail and the organization\'s keys no longer do', async () => {
    const s = server();
    const { organization, admin, developer } = await createTenant(s);
    assert.equal((await s.request({ method: 'DELETE', url: `/v1/organizations/${organization.id}`, auth: admin.basic })).status, 200);
    const trail = await activitiesOf(s, organization.id);
    assert.equal(trail[0].type, 'delete_organization');
    assert.deepEqual(trail.slice(-2).map((a) => a.type), ['create_organization', 'project_create']);
    const one = await s.request({ method: 'GET', url: `/v1/organizations/${organization.id}/activities/${trail[0].id}`, auth: 'root' });
    assert.deepEqual(one.body.result, trail[0]);
    const denied = await list(s, organization.id, '', developer.basic);
    assertErrorEnvelope(denied.body, 401);
  });
});
