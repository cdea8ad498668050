import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import type { RootPrincipal } from '../src/domain/principal.js';
import { assertEnvelope, assertErrorEnvelope, assertMatchesClickHouse } from './contracts/clickhouse.js';
import { activitiesOf, createKey, createUserWithKey, joinOrganization, type KeyFixture } from './helpers/fixtures.js';
import { onEachDatabase, type Auth, type TestServer } from './helpers/server.js';

const ROOT: RootPrincipal = { kind: 'root', actor: { type: 'support', id: null, details: null, ip: null, userAgent: null } };

function list(s: TestServer, organizationId: string, query = '', auth: Auth = 'root') {
  return s.request({ method: 'GET', url: `/v1/organizations/${organizationId}/childrenActivities${query ? `?${query}` : ''}`, auth });
}

/** Every row through pages of `limit`, checking the page/cursor contract on the way. */
async function pageThrough(s: TestServer, organizationId: string, limit: number, filter = '', auth: Auth = 'root'): Promise<any[]> {
  const rows: any[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 500; page++) {
    const query = [`limit=${limit}`, filter, cursor ? `cursor=${encodeURIComponent(cursor)}` : ''].filter(Boolean).join('&');
    const response = await list(s, organizationId, query, auth);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assertEnvelope(response.body, { result: true });
    const { result, nextCursor } = response.body;
    rows.push(...result);
    if (nextCursor === undefined) {
      assert.ok(result.length <= limit);
      return rows;
    }
    assert.equal(result.length, limit, 'a page with a nextCursor is a full page');
    cursor = nextCursor;
  }
  throw new Error('paging did not end');
}

/** Newest first, as the API orders: created_at desc, then id desc. */
const newestFirst = (a: any, b: any) =>
  a.createdAt === b.createdAt ? (a.id < b.id ? 1 : a.id > b.id ? -1 : 0) : a.createdAt < b.createdAt ? 1 : -1;

async function trailOf(s: TestServer, organizationIds: string[]): Promise<any[]> {
  const all = (await Promise.all(organizationIds.map((id) => activitiesOf(s, id)))).flat();
  return all.sort(newestFirst);
}

const ids = (rows: any[]) => rows.map((row) => row.id);

onEachDatabase('children activities', (server) => {
  // A ─┬─ B1 ── C1 ── D1       X ── Y
  //    └─ B2
  const tree: Record<'A' | 'B1' | 'B2' | 'C1' | 'D1' | 'X' | 'Y', string> = { A: '', B1: '', B2: '', C1: '', D1: '', X: '', Y: '' };
  let adminA: KeyFixture;
  let developerA: KeyFixture;
  let adminB1: KeyFixture;
  let adminX: KeyFixture;

  before(async () => {
    const s = server();
    const create = async (name: string, parentId?: string) => {
      s.clock.advance(1000);
      const response = await s.request({ method: 'POST', url: '/v1/organizations', auth: 'root', body: { name: `${name} ${Date.now()}`, ...(parentId && { parentId }) } });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return response.body.result.id as string;
    };
    tree.A = await create('A');
    tree.B1 = await create('B1', tree.A);
    tree.B2 = await create('B2', tree.A);
    tree.C1 = await create('C1', tree.B1);
    tree.D1 = await create('D1', tree.C1);
    tree.X = await create('X');
    tree.Y = await create('Y', tree.X);
    adminA = await createKey(s, tree.A, { roles: ['admin'] });
    developerA = await createKey(s, tree.A, { roles: ['developer'] });
    adminB1 = await createKey(s, tree.B1, { roles: ['admin'] });
    adminX = await createKey(s, tree.X, { roles: ['admin'] });
    // More changes in every organization, at distinct times.
    for (const [name, id] of Object.entries(tree)) {
      for (let i = 0; i < 2; i++) {
        s.clock.advance(1000);
        const response = await s.request({ method: 'PATCH', url: `/v1/organizations/${id}/customizations`, auth: 'root', body: { [`${name}${i}`]: i } });
        assert.equal(response.status, 200, JSON.stringify(response.body));
      }
    }
  });

  it("lists every descendant's activities (grandchildren too), newest first, and never the organization's own", async () => {
    const s = server();
    const want = await trailOf(s, [tree.B1, tree.B2, tree.C1, tree.D1]);
    const response = await list(s, tree.A, 'limit=1000');
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assertEnvelope(response.body, { result: true });
    assert.equal('nextCursor' in response.body, false);
    const got = response.body.result;
    assert.deepEqual(got, want);
    for (const activity of got) assertMatchesClickHouse('Activity', activity);

    const own = new Set(ids(await activitiesOf(s, tree.A)));
    assert.ok(own.size > 0);
    assert.ok(got.every((activity: any) => !own.has(activity.id)));
    const organizations = new Set(got.map((activity: any) => activity.organizationId));
    assert.deepEqual([...organizations].sort(), [tree.B1, tree.B2, tree.C1, tree.D1].sort());
    assert.ok(got.some((activity: any) => activity.organizationId === tree.D1 && activity.type === 'create_organization'));

    // Further down the tree: only what is below.
    assert.deepEqual(ids((await list(s, tree.B1, 'limit=1000')).body.result), ids(await trailOf(s, [tree.C1, tree.D1])));
    const leaf = await list(s, tree.D1);
    assert.equal(leaf.status, 200);
    assert.deepEqual(leaf.body.result, []);
  });

  it('pages with a cursor through every row exactly once', async () => {
    const s = server();
    const want = ids(await trailOf(s, [tree.B1, tree.B2, tree.C1, tree.D1]));
    for (const limit of [1, 3, 7, want.length, want.length + 1]) {
      const got = ids(await pageThrough(s, tree.A, limit));
      assert.deepEqual(got, want, `limit ${limit}`);
    }
  });

  it('filters by from_date and to_date (inclusive), also while paging', async () => {
    const s = server();
    const all = await trailOf(s, [tree.B1, tree.B2, tree.C1, tree.D1]);
    const times = [...new Set(all.map((activity) => activity.createdAt))].sort();
    const from = times[2]!;
    const to = times[times.length - 3]!;
    const inside = all.filter((activity) => activity.createdAt >= from && activity.createdAt <= to);
    assert.ok(inside.length > 0 && inside.length < all.length);
    const filter = new URLSearchParams({ from_date: from, to_date: to }).toString();
    assert.deepEqual(ids(await pageThrough(s, tree.A, 2, filter)), ids(inside));
    assert.deepEqual(ids(await pageThrough(s, tree.A, 1000, `from_date=${encodeURIComponent(from)}`)), ids(all.filter((a) => a.createdAt >= from)));
    assert.deepEqual(ids(await pageThrough(s, tree.A, 1000, `to_date=${encodeURIComponent(to)}`)), ids(all.filter((a) => a.createdAt <= to)));

    const reversed = await list(s, tree.A, new URLSearchParams({ from_date: to, to_date: from }).toString());
    assert.equal(reversed.status, 400);
    assert.equal(reversed.body.field, 'from_date');
  });

  it('pages by offset for surfaces that page by number (no cursor then)', async () => {
    const s = server();
    const want = ids(await trailOf(s, [tree.B1, tree.B2, tree.C1, tree.D1]));
    const { activities } = s.orgbase.services;
    const windows = [[want.length - 1, 10], [want.length, 10], [want.length + 5, 1]];
    for (let offset = 0; offset < want.length; offset++) windows.push([offset, 1], [offset, 3]);
    for (const [offset, limit] of windows as [number, number][]) {
      const page = await activities.listDescendants(ROOT, tree.A, { offset, limit });
      assert.deepEqual(ids(page.items), want.slice(offset, offset + limit), `offset ${offset}, limit ${limit}`);
      assert.equal(page.nextCursor, undefined);
    }
    const cursor = (await list(s, tree.A, 'limit=1')).body.nextCursor;
    await assert.rejects(activities.listDescendants(ROOT, tree.A, { offset: 1, cursor }), { code: 'invalid_input', field: 'cursor' });
    await assert.rejects(activities.listDescendants(ROOT, tree.A, { offset: -1 }), { field: 'offset' });
  });

  it('admins of the organization only: other trees are 404, developer keys and plain members 403', async () => {
    const s = server();
    const wantA = ids(await trailOf(s, [tree.B1, tree.B2, tree.C1, tree.D1]));
    assert.deepEqual(ids(await pageThrough(s, tree.A, 1000, '', adminA.basic)), wantA);
    assert.deepEqual(ids(await pageThrough(s, tree.B1, 1000, '', adminA.bearer)), ids(await trailOf(s, [tree.C1, tree.D1])));
    assert.deepEqual(ids(await pageThrough(s, tree.X, 1000, '', adminX.basic)), ids(await trailOf(s, [tree.Y])));

    const notFound: [string, Auth][] = [
      [tree.X, adminA.basic], // a sibling tree
      [tree.Y, adminA.basic],
      [tree.A, adminX.basic],
      [tree.B1, adminX.basic],
      [tree.A, adminB1.basic], // an ancestor is not the key's to see
      [tree.B1, developerA.basic], // developer keys do not reach descendants
      ['00000000-0000-4000-8000-000000000000', 'root'],
    ];
    for (const [organizationId, auth] of notFound) {
      const response = await list(s, organizationId, '', auth);
      assert.equal(response.status, 404, JSON.stringify(response.body));
      assertErrorEnvelope(response.body, 404);
    }

    const developer = await list(s, tree.A, '', developerA.basic);
    assert.equal(developer.status, 403);
    assert.equal(developer.body.code, 'admin_role_required');

    const member = await createUserWithKey(s);
    await joinOrganization(s, tree.A, member, 1);
    assert.equal((await list(s, tree.A, '', member.auth)).status, 403);
    const admin = await createUserWithKey(s);
    await joinOrganization(s, tree.A, admin, 8);
    assert.deepEqual(ids(await pageThrough(s, tree.B1, 1000, '', admin.auth)), ids(await trailOf(s, [tree.C1, tree.D1])));

    assert.equal((await s.request({ method: 'GET', url: `/v1/organizations/${tree.A}/childrenActivities` })).status, 401);
  });

  it('refuses bad input with a 400 naming the field', async () => {
    const s = server();
    const cases: [string, string, string][] = [
      [tree.A, 'cursor=not-a-cursor', 'cursor'],
      [tree.A, 'limit=0', 'limit'],
      [tree.A, 'limit=1001', 'limit'],
      [tree.A, 'from_date=yesterday', 'from_date'],
      [tree.A, 'page=2', 'page'],
      ['not-a-uuid', '', 'organizationId'],
    ];
    for (const [organizationId, query, field] of cases) {
      const response = await list(s, organizationId, query);
      assert.equal(response.status, 400, `${query}: ${JSON.stringify(response.body)}`);
      assertErrorEnvelope(response.body, 400);
      assert.equal(response.body.field, field);
    }
  });

  it('leaves out deleted descendants (and a deleted organization has no list)', async () => {
    const s = server();
    const deleted = await s.request({ method: 'DELETE', url: `/v1/organizations/${tree.C1}`, auth: 'root' });
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    assert.deepEqual(ids(await pageThrough(s, tree.A, 4)), ids(await trailOf(s, [tree.B1, tree.B2])));
    assert.equal((await list(s, tree.C1)).status, 404);
  });
});
