/**
 * The organization tree: creating children, sibling-unique names, name availability, children and
 * ancestors, the depth limit, moves (cycles, depth, access), subtree deletion, inherited admin
 * access, and concurrent moves and creates. Assertions follow the product spec; where the code
 * disagrees, the assertion is kept and marked `SPEC:`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertEnvelope, assertErrorEnvelope, assertMatchesClickHouse } from './contracts/clickhouse.js';
import {
  activitiesOf,
  createKey,
  createOrganization,
  createTenant,
  createUserWithKey,
  joinOrganization,
  type OrganizationFixture,
} from './helpers/fixtures.js';
import { onEachDatabase, startServer, type ApiResponse, type Auth, type TestServer } from './helpers/server.js';
import { testDatabases } from './helpers/databases.js';

const orgUrl = (id: string, rest = '') => `/v1/organizations/${id}${rest}`;

/** Names unique across this file (root-level organizations are siblings of each other). */
let sequence = 0;
const unique = (prefix: string) => `${prefix} h${++sequence}`;

function postChild(server: TestServer, parentId: string | undefined, name: string, auth: Auth = 'root'): Promise<ApiResponse> {
  return server.request({ method: 'POST', url: '/v1/organizations', auth, body: { name, ...(parentId !== undefined && { parentId }) } });
}

async function createChild(server: TestServer, parentId: string, name = unique('Child'), auth: Auth = 'root'): Promise<OrganizationFixture> {
  const response = await postChild(server, parentId, name, auth);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  assert.equal(response.body.result.parentId, parentId);
  return { id: response.body.result.id, name };
}

const patch = (server: TestServer, id: string, body: object, auth: Auth = 'root') =>
  server.request({ method: 'PATCH', url: orgUrl(id), auth, body });

const get = (server: TestServer, url: string, auth: Auth = 'root') => server.request({ method: 'GET', url, auth });

/** Every page of a list (children, ancestors), following nextCursor. */
async function allPages(server: TestServer, url: string, auth: Auth = 'root', limit = 1000): Promise<{ items: any[]; pages: number }> {
  const items: any[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const response = await get(server, `${url}?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, auth);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assertEnvelope(response.body, { result: true });
    items.push(...response.body.result);
    cursor = response.body.nextCursor;
    pages++;
    assert.ok(pages < 100, 'paging does not end');
  } while (cursor);
  return { items, pages };
}

const childIds = async (server: TestServer, id: string, auth: Auth = 'root') => (await allPages(server, orgUrl(id, '/children'), auth)).items.map((o) => o.id);
const ancestorIds = async (server: TestServer, id: string, auth: Auth = 'root') => (await allPages(server, orgUrl(id, '/ancestors'), auth)).items.map((o) => o.id);
const parentOf = async (server: TestServer, id: string): Promise<string | null> => {
  const response = await get(server, orgUrl(id));
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body.result.parentId ?? null;
};
const ofType = (trail: any[], type: string) => trail.filter((activity) => activity.type === type);
const counts = async (server: TestServer, ids: string[]) => Promise.all(ids.map(async (id) => (await activitiesOf(server, id)).length));

onEachDatabase('organization tree', (server) => {
  it('root creates a child: parentId in the result, listed by the parent, create_organization and organization_child_create recorded', async () => {
    const parent = await createOrganization(server(), unique('Parent'));
    const name = unique('Kid');
    const response = await postChild(server(), parent.id, name);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assertEnvelope(response.body, { result: true });
    assertMatchesClickHouse('Organization', response.body.result);
    const child = response.body.result;
    assert.deepEqual([child.name, child.parentId], [name, parent.id]);
    assert.equal((await get(server(), orgUrl(child.id))).body.result.parentId, parent.id);
    assert.equal((await get(server(), orgUrl(parent.id))).body.result.parentId, undefined, 'a root-level organization has no parentId');
    assert.deepEqual(await childIds(server(), parent.id), [child.id]);

    const [created, ...more] = ofType(await activitiesOf(server(), child.id), 'create_organization');
    assert.equal(more.length, 0);
    assert.deepEqual(created.changes, { name: { old: null, new: name }, parentId: { old: null, new: parent.id } });
    assert.equal(created.actorType, 'support');
    assert.equal(ofType(await activitiesOf(server(), child.id), 'organization_member_add').length, 0, 'root becomes no member');
    const childCreates = ofType(await activitiesOf(server(), parent.id), 'organization_child_create');
    assert.equal(childCreates.length, 1);
    assert.deepEqual(childCreates[0].targetResourceIds, [child.id]);
    assertMatchesClickHouse('Activity', { ...childCreates[0], type: 'create_organization' });
  });

  it('who may create a child: admins of the parent or an ancestor (keys and users), root; not developers, members, outsiders', async () => {
    const grand = await createTenant(server(), unique('Grand'));
    const parent = await createChild(server(), grand.organization.id, unique('Parent'));
    const parentAdmin = await createKey(server(), parent.id, { roles: ['admin'] });
    const parentDeveloper = await createKey(server(), parent.id, { roles: ['developer'] });
    const admin8 = await createUserWithKey(server(), ['organization:write', 'organization_member:write']);
    const ancestorOwner = await createUserWithKey(server());
    const member1 = await createUserWithKey(server());
    const noScope = await createUserWithKey(server(), ['organization:read', 'organization_member:write']);
    await joinOrganization(server(), parent.id, admin8, 8);
    await joinOrganization(server(), grand.organization.id, ancestorOwner, 15);
    await joinOrganization(server(), parent.id, member1, 1);
    await joinOrganization(server(), parent.id, noScope, 15);
    const outsider = await createTenant(server());
    const outsiderUser = await createUserWithKey(server());
    await joinOrganization(server(), outsider.organization.id, outsiderUser, 15);

    const before = await childIds(server(), parent.id);
    const beforeTrail = (await activitiesOf(server(), parent.id)).length;
    for (const [auth, status, code] of [
      [parentDeveloper.basic, 403, 'admin_role_required'],
      [member1.auth, 403, 'admin_level_required'],
      [noScope.auth, 403, 'missing_scope'],
      [grand.developer.basic, 404, 'not_found'],
      [outsider.admin.basic, 404, 'not_found'],
      [outsiderUser.auth, 404, 'not_found'],
    ] as const) {
      assertErrorEnvelope((await postChild(server(), parent.id, unique('Refused'), auth)).body, status, code);
    }
    // Without a parent: root, or a user (self-service; they own it); organization keys never.
    for (const auth of [parentAdmin.basic, grand.admin.basic]) {
      assertErrorEnvelope((await postChild(server(), undefined, unique('Top'), auth)).body, 403, 'root_required');
    }
    assertErrorEnvelope((await postChild(server(), undefined, unique('Top'), noScope.auth)).body, 403, 'missing_scope');
    assert.deepEqual(await childIds(server(), parent.id), before, 'refusals create nothing');
    assert.equal((await activitiesOf(server(), parent.id)).length, beforeTrail);

    const made = [
      await createChild(server(), parent.id, unique('ByParentKey'), parentAdmin.basic),
      await createChild(server(), parent.id, unique('ByAncestorKey'), grand.admin.basic),
      await createChild(server(), parent.id, unique('ByAdmin8'), admin8.auth),
      await createChild(server(), parent.id, unique('ByAncestorOwner'), ancestorOwner.auth),
      await createChild(server(), parent.id, unique('ByRoot')),
    ];
    assert.deepEqual(await childIds(server(), parent.id), made.map((o) => o.id), 'live children in creation order');
    const unknown = await postChild(server(), '0190a0a0-0000-7000-8000-000000000000', unique('Orphan'));
    assertErrorEnvelope(unknown.body, 400, 'unknown_parent');
    assert.equal(unknown.body.field, 'parentId');
  });

  it('a user who creates a child becomes its direct owner (organization_member_add on the child); an admin key makes no member', async () => {
    const parent = await createTenant(server(), unique('Parent'));
    const user = await createUserWithKey(server(), ['organization:write', 'organization_member:write']);
    await joinOrganization(server(), parent.organization.id, user, 8);
    const child = await createChild(server(), parent.organization.id, unique('Owned'), user.auth);
    const member = await get(server(), orgUrl(child.id, `/members/${user.id}`));
    assert.equal(member.status, 200, JSON.stringify(member.body));
    assert.equal(member.body.result.level, 15);
    const added = ofType(await activitiesOf(server(), child.id), 'organization_member_add');
    assert.equal(added.length, 1);
    assert.deepEqual(added[0].targetActorIds, [user.id]);
    assert.deepEqual(added[0].changes.level, { old: null, new: 15 });
    assert.equal(added[0].actorType, 'user');
    const created = ofType(await activitiesOf(server(), child.id), 'create_organization');
    assert.deepEqual(created[0].changes.parentId, { old: null, new: parent.organization.id });
    assert.deepEqual(ofType(await activitiesOf(server(), parent.organization.id), 'organization_child_create').map((a) => a.targetResourceIds), [[child.id]]);
    // The user now owns the child directly: it is among the user's organizations.
    const mine = await get(server(), '/v1/organizations', user.auth);
    assert.ok(mine.body.result.some((o: any) => o.id === child.id), JSON.stringify(mine.body));

    const byKey = await createChild(server(), parent.organization.id, unique('KeyMade'), parent.admin.basic);
    const members = await get(server(), orgUrl(byKey.id, '/members'));
    assert.deepEqual(members.body.result, []);
    assert.equal(ofType(await activitiesOf(server(), byKey.id), 'organization_member_add').length, 0);
  });

  it('names are unique among live siblings, case-insensitively: on create, rename and move; free again after delete', async () => {
    const parent = await createOrganization(server(), unique('Names'));
    const other = await createOrganization(server(), unique('Names'));
    const name = unique('Alpha');
    const alpha = await createChild(server(), parent.id, name);
    const clash = await postChild(server(), parent.id, name.toUpperCase());
    assertErrorEnvelope(clash.body, 409, 'name_taken');
    assert.equal(clash.body.field, 'name');
    assertErrorEnvelope((await postChild(server(), parent.id, `  ${name.toLowerCase()} `)).body, 409, 'name_taken');
    // The same name under another parent, and at the root level, is fine.
    const elsewhere = await createChild(server(), other.id, name);
    const rootLevel = await postChild(server(), undefined, name);
    assert.equal(rootLevel.status, 200, JSON.stringify(rootLevel.body));
    // Root-level organizations are siblings of each other.
    const rootClash = await postChild(server(), undefined, parent.name.toLowerCase());
    assertErrorEnvelope(rootClash.body, 409, 'name_taken');
    assert.equal(rootClash.body.field, 'name');
    assertErrorEnvelope((await patch(server(), other.id, { name: parent.name.toUpperCase() })).body, 409, 'name_taken');

    // Rename.
    const beta = await createChild(server(), parent.id, unique('Beta'));
    const betaTrail = (await activitiesOf(server(), beta.id)).length;
    const renamed = await patch(server(), beta.id, { name: name.toLowerCase() });
    assertErrorEnvelope(renamed.body, 409, 'name_taken');
    assert.equal(renamed.body.field, 'name');
    assert.equal((await get(server(), orgUrl(beta.id))).body.result.name, beta.name, 'a refused rename changes nothing');
    assert.equal((await activitiesOf(server(), beta.id)).length, betaTrail);
    const ownCase = await patch(server(), beta.id, { name: beta.name.toUpperCase() });
    assert.equal(ownCase.status, 200, 'a name clashes with siblings, not with itself');
    assert.equal(ownCase.body.result.name, beta.name.toUpperCase());

    // Move into a parent that already has a child with that name.
    const movedTrail = await counts(server(), [elsewhere.id, other.id, parent.id]);
    const move = await patch(server(), elsewhere.id, { parentId: parent.id });
    assertErrorEnvelope(move.body, 409, 'name_taken');
    assert.equal(move.body.field, 'name');
    assert.equal(await parentOf(server(), elsewhere.id), other.id, 'a refused move changes nothing');
    assert.deepEqual(await counts(server(), [elsewhere.id, other.id, parent.id]), movedTrail);

    // After a delete the name is free again: for a create, a rename and a move.
    assert.equal((await server().request({ method: 'DELETE', url: orgUrl(alpha.id), auth: 'root' })).status, 200);
    const again = await createChild(server(), parent.id, name.toUpperCase());
    assert.equal((await server().request({ method: 'DELETE', url: orgUrl(again.id), auth: 'root' })).status, 200);
    const movedIn = await patch(server(), elsewhere.id, { parentId: parent.id });
    assert.equal(movedIn.status, 200, JSON.stringify(movedIn.body));
    assert.equal((await server().request({ method: 'DELETE', url: orgUrl(elsewhere.id), auth: 'root' })).status, 200);
    const renamedIn = await patch(server(), beta.id, { name });
    assert.equal(renamedIn.status, 200, JSON.stringify(renamedIn.body));
    assert.deepEqual((await allPages(server(), orgUrl(parent.id, '/children'))).items.map((o) => o.name), [name]);
  });

  it('nameAvailability: free or taken among live siblings, with 3 free "<name> n" suggestions; creates nothing; admins of the parent, root for the root level', async () => {
    const grand = await createTenant(server(), unique('Avail'));
    const parent = await createTenant(server());
    await patch(server(), parent.organization.id, { parentId: grand.organization.id });
    const parentId = parent.organization.id;
    const base = unique('Beta');
    await createChild(server(), parentId, base);
    await createChild(server(), parentId, `${base} 2`);
    await createChild(server(), parentId, `${base.toUpperCase()} 4`);
    const deleted = await createChild(server(), parentId, unique('Deleted'));
    await server().request({ method: 'DELETE', url: orgUrl(deleted.id), auth: 'root' });
    const member = await createUserWithKey(server());
    await joinOrganization(server(), parentId, member, 1);
    const ancestorAdmin = await createUserWithKey(server(), ['organization:write', 'organization_member:write']);
    await joinOrganization(server(), grand.organization.id, ancestorAdmin, 8);
    const outsider = await createTenant(server());

    const check = (name: string, parent: string | undefined, auth: Auth = 'root') =>
      get(server(), `/v1/organizations/nameAvailability?name=${encodeURIComponent(name)}${parent ? `&parentId=${parent}` : ''}`, auth);
    const rowsBefore = (await server().database.db.selectFrom('organizations').select('id').execute()).length;

    const taken = await check(base.toLowerCase(), parentId);
    assert.equal(taken.status, 200, JSON.stringify(taken.body));
    assertEnvelope(taken.body, { result: true });
    assert.deepEqual(taken.body.result, {
      name: base.toLowerCase(),
      available: false,
      suggestions: [`${base.toLowerCase()} 3`, `${base.toLowerCase()} 5`, `${base.toLowerCase()} 6`],
    });
    assert.deepEqual((await check(unique('Gamma'), parentId)).body.result.suggestions, []);
    const free = await check(base, grand.organization.id);
    assert.deepEqual([free.body.result.available, free.body.result.suggestions], [true, []], 'the same name under another parent is free');
    assert.equal((await check(deleted.name, parentId)).body.result.available, true, 'a deleted sibling frees its name');
    // Root level: root only.
    const rootTaken = await check(grand.organization.name.toUpperCase(), undefined);
    assert.deepEqual(rootTaken.body.result, {
      name: grand.organization.name.toUpperCase(),
      available: false,
      suggestions: [2, 3, 4].map((n) => `${grand.organization.name.toUpperCase()} ${n}`),
    });
    assert.equal((await check(unique('Fresh'), undefined)).body.result.available, true);
    for (const auth of [grand.admin.basic, parent.admin.basic]) {
      assertErrorEnvelope((await check(base, undefined, auth)).body, 403, 'root_required');
    }
    assert.equal((await check(unique('Mine'), undefined, ancestorAdmin.auth)).body.result.available, true, 'users may create top-level organizations, so they may check');
    // With a parent: admins of it (or of an ancestor); others are refused.
    for (const auth of [parent.admin.basic, grand.admin.basic, ancestorAdmin.auth]) {
      const response = await check(base, parentId, auth);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(response.body.result.available, false);
    }
    assertErrorEnvelope((await check(base, parentId, parent.developer.basic)).body, 403, 'admin_role_required');
    assertErrorEnvelope((await check(base, parentId, member.auth)).body, 403, 'admin_level_required');
    assertErrorEnvelope((await check(base, parentId, outsider.admin.basic)).body, 404);
    const unknown = await check(base, '0190a0a0-0000-7000-8000-000000000001');
    assertErrorEnvelope(unknown.body, 400, 'unknown_parent');
    assert.equal(unknown.body.field, 'parentId');
    assert.equal((await server().database.db.selectFrom('organizations').select('id').execute()).length, rowsBefore, 'creates nothing');

    // The suggestions are really free.
    for (const suggestion of taken.body.result.suggestions) await createChild(server(), parentId, suggestion);
    assert.deepEqual((await check(base, parentId)).body.result.suggestions, [`${base} 7`, `${base} 8`, `${base} 9`]);
  });

  it('children and ancestors: live children in creation order, ancestors nearest first, both paged; anyone who can read the organization', async () => {
    const top = await createTenant(server(), unique('Top'));
    const middle = await createChild(server(), top.organization.id);
    const kids: OrganizationFixture[] = [];
    for (let i = 0; i < 5; i++) kids.push(await createChild(server(), middle.id));
    const leaf = await createChild(server(), kids[0]!.id);
    const removed = await createChild(server(), middle.id);
    await server().request({ method: 'DELETE', url: orgUrl(removed.id), auth: 'root' });
    const movedAway = await createChild(server(), middle.id);
    assert.equal((await patch(server(), movedAway.id, { parentId: top.organization.id })).status, 200);

    const paged = await allPages(server(), orgUrl(middle.id, '/children'), 'root', 2);
    assert.equal(paged.pages, 3);
    assert.deepEqual(paged.items.map((o) => o.id), kids.map((o) => o.id));
    paged.items.forEach((o) => {
      // Who they are, not their settings (no private endpoints or BYOC accounts).
      assert.deepEqual(Object.keys(o).sort(), ['createdAt', 'id', 'name', 'parentId']);
      assert.equal(o.parentId, middle.id);
    });
    const first = await get(server(), `${orgUrl(middle.id, '/children')}?limit=5`);
    assert.equal(first.body.nextCursor, undefined, 'no nextCursor on the last page');
    assert.deepEqual(await childIds(server(), leaf.id), []);

    const ancestors = await allPages(server(), orgUrl(leaf.id, '/ancestors'), 'root', 1);
    assert.equal(ancestors.pages, 3);
    assert.deepEqual(ancestors.items.map((o) => o.id), [kids[0]!.id, middle.id, top.organization.id]);
    assert.equal(ancestors.items[2].parentId, null, 'the top of the tree has no parent');
    assert.deepEqual(await ancestorIds(server(), top.organization.id), []);
    const twoPages = await get(server(), `${orgUrl(leaf.id, '/ancestors')}?limit=2`);
    assert.deepEqual(twoPages.body.result.map((o: any) => o.id), [kids[0]!.id, middle.id]);
    assert.equal(typeof twoPages.body.nextCursor, 'string');
    assertErrorEnvelope((await get(server(), `${orgUrl(leaf.id, '/ancestors')}?cursor=nonsense`)).body, 400, 'invalid_cursor');
    assertErrorEnvelope((await get(server(), orgUrl(removed.id, '/children'))).body, 404);
    assertErrorEnvelope((await get(server(), orgUrl(removed.id, '/ancestors'))).body, 404);

    // Readers of the organization: its developer key, a plain member; admins above; not outsiders.
    const middleDeveloper = await createKey(server(), middle.id, { roles: ['developer'] });
    const member = await createUserWithKey(server(), ['organization:read', 'organization_member:write']);
    await joinOrganization(server(), middle.id, member, 1);
    const outsider = await createTenant(server());
    for (const auth of [middleDeveloper.basic, member.auth, top.admin.basic]) {
      assert.deepEqual(await childIds(server(), middle.id, auth), kids.map((o) => o.id));
      assert.deepEqual(await ancestorIds(server(), middle.id, auth), [top.organization.id]);
    }
    for (const auth of [outsider.admin.basic, outsider.developer.basic, top.developer.basic]) {
      assertErrorEnvelope((await get(server(), orgUrl(middle.id, '/children'), auth)).body, 404);
      assertErrorEnvelope((await get(server(), orgUrl(middle.id, '/ancestors'), auth)).body, 404);
    }
  });

  it('the default depth limit is 10: a chain of 10 takes no child below (409 depth_limit on parentId), nor a subtree moved too deep', async () => {
    assert.equal(server().config.maxOrganizationDepth, 10);
    const chain = [await createOrganization(server(), unique('Depth'))];
    for (let level = 2; level <= 10; level++) chain.push(await createChild(server(), chain[chain.length - 1]!.id, unique(`Depth L${level}`)));
    const deepest = chain[9]!;
    assert.deepEqual(await ancestorIds(server(), deepest.id), chain.slice(0, 9).map((o) => o.id).reverse());
    const paged = await allPages(server(), orgUrl(deepest.id, '/ancestors'), 'root', 4);
    assert.equal(paged.pages, 3);
    assert.deepEqual(paged.items.map((o) => o.id), chain.slice(0, 9).map((o) => o.id).reverse());

    const parentTrail = (await activitiesOf(server(), deepest.id)).length;
    const tooDeep = await postChild(server(), deepest.id, unique('Depth L11'));
    assertErrorEnvelope(tooDeep.body, 409, 'depth_limit');
    assert.equal(tooDeep.body.field, 'parentId');
    assert.deepEqual(await childIds(server(), deepest.id), []);
    assert.equal((await activitiesOf(server(), deepest.id)).length, parentTrail);
    await createChild(server(), chain[8]!.id, unique('Depth L10 sibling'));

    // A subtree two levels tall fits under depth 8, not under depth 9.
    const subtree = await createOrganization(server(), unique('Tall'));
    const subtreeChild = await createChild(server(), subtree.id);
    const trails = await counts(server(), [subtree.id, chain[8]!.id]);
    const refused = await patch(server(), subtree.id, { parentId: chain[8]!.id });
    assertErrorEnvelope(refused.body, 409, 'depth_limit');
    assert.equal(refused.body.field, 'parentId');
    assert.equal(await parentOf(server(), subtree.id), null);
    assert.deepEqual(await counts(server(), [subtree.id, chain[8]!.id]), trails);
    assert.equal((await patch(server(), subtree.id, { parentId: chain[7]!.id })).status, 200);
    assert.equal((await ancestorIds(server(), subtreeChild.id)).length, 9, 'the moved leaf is at depth 10');
  });

  it('move: admin of the organization and of the new parent; activities on the moved one and both parents; no-op and to-root', async () => {
    const left = await createTenant(server(), unique('Left'));
    const right = await createTenant(server(), unique('Right'));
    const moved = await createChild(server(), left.organization.id, unique('Moved'));
    const movedChild = await createChild(server(), moved.id);
    const target = await createChild(server(), right.organization.id, unique('Target'));

    const response = await patch(server(), moved.id, { parentId: target.id });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assertMatchesClickHouse('Organization', response.body.result);
    assert.deepEqual([response.body.result.parentId, response.body.result.name], [target.id, moved.name]);
    assert.deepEqual(await ancestorIds(server(), movedChild.id), [moved.id, target.id, right.organization.id]);
    assert.deepEqual(await childIds(server(), left.organization.id), []);
    assert.deepEqual(await childIds(server(), target.id), [moved.id]);
    const updateParent = ofType(await activitiesOf(server(), moved.id), 'organization_update_parent');
    assert.equal(updateParent.length, 1);
    assert.deepEqual(updateParent[0].changes, { parentId: { old: left.organization.id, new: target.id } });
    const removed = ofType(await activitiesOf(server(), left.organization.id), 'organization_child_remove');
    assert.deepEqual(removed.map((a) => a.targetResourceIds), [[moved.id]]);
    const added = ofType(await activitiesOf(server(), target.id), 'organization_child_add');
    assert.deepEqual(added.map((a) => a.targetResourceIds), [[moved.id]]);
    assert.equal(ofType(await activitiesOf(server(), movedChild.id), 'organization_update_parent').length, 0, 'descendants move along unrecorded');

    // A user who administers both (through the ancestors) moves it back.
    const both = await createUserWithKey(server(), ['organization:write', 'organization_member:write']);
    await joinOrganization(server(), left.organization.id, both, 8);
    await joinOrganization(server(), right.organization.id, both, 15);
    const back = await patch(server(), moved.id, { parentId: left.organization.id }, both.auth);
    assert.equal(back.status, 200, JSON.stringify(back.body));
    assert.equal(await parentOf(server(), moved.id), left.organization.id);
    const backTrail = ofType(await activitiesOf(server(), moved.id), 'organization_update_parent');
    assert.deepEqual(backTrail[0].changes, { parentId: { old: target.id, new: left.organization.id } });
    assert.equal(backTrail[0].actorId, both.id);

    // The same parent again: nothing changes, nothing is recorded.
    const ids = [moved.id, left.organization.id, target.id, right.organization.id];
    let trails = await counts(server(), ids);
    for (const auth of ['root', both.auth, left.admin.basic] as Auth[]) {
      const same = await patch(server(), moved.id, { parentId: left.organization.id }, auth);
      assert.equal(same.status, 200, JSON.stringify(same.body));
      assert.equal(same.body.result.parentId, left.organization.id);
    }
    assert.equal((await patch(server(), left.organization.id, { parentId: null })).status, 200, 'a root-level organization to the root level');
    assert.deepEqual(await counts(server(), ids), trails, 'a PATCH with the current parent records nothing');

    // To the root level: root only.
    trails = await counts(server(), ids);
    for (const auth of [both.auth, left.admin.basic]) {
      assertErrorEnvelope((await patch(server(), moved.id, { parentId: null }, auth)).body, 403, 'root_required');
    }
    assert.equal(await parentOf(server(), moved.id), left.organization.id);
    assert.deepEqual(await counts(server(), ids), trails);
    const toRoot = await patch(server(), moved.id, { parentId: null });
    assert.equal(toRoot.status, 200, JSON.stringify(toRoot.body));
    assert.equal(toRoot.body.result.parentId, undefined);
    assert.deepEqual(await ancestorIds(server(), movedChild.id), [moved.id]);
    assert.deepEqual(ofType(await activitiesOf(server(), moved.id), 'organization_update_parent')[0].changes, { parentId: { old: left.organization.id, new: null } });
    assert.equal(ofType(await activitiesOf(server(), left.organization.id), 'organization_child_remove').length, 2);
  });

  it('move refusals: under itself or a descendant (409 cycle), a parent the caller cannot see (404) or administer (403); nothing changes', async () => {
    const top = await createTenant(server(), unique('CycleTop'));
    const middle = await createChild(server(), top.organization.id);
    const bottom = await createChild(server(), middle.id);
    const sibling = await createChild(server(), top.organization.id);
    const elsewhere = await createTenant(server(), unique('Elsewhere'));
    const visible = await createChild(server(), elsewhere.organization.id);
    const topAdmin = await createUserWithKey(server(), ['organization:write', 'organization_member:write']);
    await joinOrganization(server(), top.organization.id, topAdmin, 8);
    await joinOrganization(server(), visible.id, topAdmin, 1); // sees `visible`, cannot administer it
    const middleMember = await createUserWithKey(server(), ['organization:write', 'organization_member:write']);
    await joinOrganization(server(), middle.id, middleMember, 1);
    await joinOrganization(server(), sibling.id, middleMember, 15);
    const middleKey = await createKey(server(), middle.id, { roles: ['admin'] });

    const ids = [top.organization.id, middle.id, bottom.id, sibling.id, elsewhere.organization.id, visible.id];
    const trails = await counts(server(), ids);
    const refuse = async (id: string, parentId: string | null, auth: Auth, status: number, code: string) => {
      const response = await patch(server(), id, { parentId }, auth);
      assertErrorEnvelope(response.body, status, code);
      if (code === 'cycle') assert.equal(response.body.field, 'parentId');
    };
    for (const auth of ['root', topAdmin.auth, top.admin.basic] as Auth[]) {
      await refuse(middle.id, middle.id, auth, 409, 'cycle');
      await refuse(middle.id, bottom.id, auth, 409, 'cycle');
      await refuse(top.organization.id, bottom.id, auth, 409, 'cycle');
    }
    await refuse(middle.id, elsewhere.organization.id, top.admin.basic, 404, 'not_found');
    await refuse(middle.id, elsewhere.organization.id, topAdmin.auth, 404, 'not_found');
    await refuse(middle.id, visible.id, topAdmin.auth, 403, 'admin_level_required');
    await refuse(middle.id, sibling.id, middleMember.auth, 403, 'admin_level_required'); // admin of the new parent only
    await refuse(middle.id, sibling.id, middleKey.basic, 404, 'not_found'); // admin of the moved one only
    await refuse(middle.id, sibling.id, top.developer.basic, 404, 'not_found');
    await refuse(middle.id, '0190a0a0-0000-7000-8000-000000000002', 'root', 400, 'unknown_parent');
    assert.deepEqual(await ancestorIds(server(), bottom.id), [middle.id, top.organization.id], 'nothing moved');
    assert.deepEqual(await childIds(server(), top.organization.id), [middle.id, sibling.id]);
    assert.deepEqual(await counts(server(), ids), trails, 'refusals record nothing');

    // The admin key of the top administers both ends of a move inside its tree.
    assert.equal((await patch(server(), bottom.id, { parentId: sibling.id }, top.admin.basic)).status, 200);
    assert.deepEqual(await ancestorIds(server(), bottom.id), [sibling.id, top.organization.id]);
  });

  it('delete takes the whole live subtree: each 404, gone from the lists, delete_organization on each, organization_child_delete on the parent; keys below stop working', async () => {
    const top = await createTenant(server(), unique('DelTop'));
    const doomed = await createChild(server(), top.organization.id, unique('Doomed'));
    const child = await createChild(server(), doomed.id);
    const grandchild = await createChild(server(), child.id);
    const survivor = await createChild(server(), top.organization.id);
    const grandchildKey = await createKey(server(), grandchild.id, { roles: ['admin'] });
    const member = await createUserWithKey(server());
    await joinOrganization(server(), child.id, member, 15);
    assert.equal((await get(server(), orgUrl(grandchild.id), grandchildKey.basic)).status, 200, 'the key works before');
    assert.equal((await get(server(), orgUrl(grandchild.id), member.auth)).status, 200);

    const response = await server().request({ method: 'DELETE', url: orgUrl(doomed.id), auth: top.admin.basic });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assertEnvelope(response.body, { result: false });

    for (const gone of [doomed, child, grandchild]) {
      assertErrorEnvelope((await get(server(), orgUrl(gone.id))).body, 404);
      assertErrorEnvelope((await get(server(), orgUrl(gone.id, '/children'))).body, 404);
      assertErrorEnvelope((await get(server(), orgUrl(gone.id), top.admin.basic)).body, 404);
      assertErrorEnvelope((await patch(server(), gone.id, { name: unique('Zombie') })).body, 404);
      const trail = await activitiesOf(server(), gone.id);
      assert.equal(ofType(trail, 'delete_organization').length, 1, `delete_organization on ${gone.name}`);
      assert.equal(trail[0].type, 'delete_organization');
    }
    assert.deepEqual(await childIds(server(), top.organization.id), [survivor.id]);
    const childDeletes = ofType(await activitiesOf(server(), top.organization.id), 'organization_child_delete');
    assert.deepEqual(childDeletes.map((a) => a.targetResourceIds), [[doomed.id]]);
    assert.equal(ofType(await activitiesOf(server(), survivor.id), 'delete_organization').length, 0);
    assert.equal((await get(server(), orgUrl(survivor.id))).status, 200);
    assertErrorEnvelope((await get(server(), orgUrl(grandchild.id), grandchildKey.basic)).body, 401);
    assertErrorEnvelope((await get(server(), orgUrl(grandchild.id), member.auth)).body, 404);
    assertErrorEnvelope((await server().request({ method: 'DELETE', url: orgUrl(doomed.id), auth: 'root' })).body, 404);
    assertErrorEnvelope((await postChild(server(), child.id, unique('UnderDeleted'))).body, 400, 'unknown_parent');
    assert.equal((await postChild(server(), top.organization.id, doomed.name)).status, 200, 'the name is free again');
  });

  it('admins of an ancestor (level 8 and 15, and admin keys) administer every descendant; members and developer keys of it see nothing below', async () => {
    const grand = await createTenant(server(), unique('Inherit'));
    const parent = await createChild(server(), grand.organization.id);
    const grandchild = await createChild(server(), parent.id);
    const admin8 = await createUserWithKey(server());
    const owner15 = await createUserWithKey(server());
    const member1 = await createUserWithKey(server());
    await joinOrganization(server(), grand.organization.id, admin8, 8);
    await joinOrganization(server(), grand.organization.id, owner15, 15);
    await joinOrganization(server(), grand.organization.id, member1, 1);
    const local = await createUserWithKey(server());
    await joinOrganization(server(), grandchild.id, local, 1);

    let level = 1;
    for (const [label, auth] of [['admin 8', admin8.auth], ['owner 15', owner15.auth], ['admin key', grand.admin.basic]] as const) {
      const read = await get(server(), orgUrl(grandchild.id), auth);
      assert.equal(read.status, 200, `${label}: ${JSON.stringify(read.body)}`);
      const name = unique('Renamed');
      const renamed = await patch(server(), grandchild.id, { name }, auth);
      assert.equal(renamed.status, 200, `${label}: ${JSON.stringify(renamed.body)}`);
      assert.equal((await get(server(), orgUrl(grandchild.id))).body.result.name, name);
      assert.deepEqual(await childIds(server(), parent.id, auth), [grandchild.id]);
      const members = await get(server(), orgUrl(grandchild.id, '/members'), auth);
      assert.equal(members.status, 200, `${label}: ${JSON.stringify(members.body)}`);
      assert.deepEqual(members.body.result.map((m: any) => m.userId), [local.id]);
      level = level === 1 ? 8 : 1;
      const promoted = await server().request({ method: 'PATCH', url: orgUrl(grandchild.id, `/members/${local.id}`), auth, body: { level } });
      assert.equal(promoted.status, 200, `${label}: ${JSON.stringify(promoted.body)}`);
      assert.equal(promoted.body.result.level, level);
      const invited = await server().request({ method: 'POST', url: orgUrl(grandchild.id, '/invitations'), auth, body: { email: `${unique('inv').replace(/ /g, '')}@example.com`, level: 1 } });
      assert.equal(invited.status, 200, `${label}: ${JSON.stringify(invited.body)}`);
      const key = await server().request({ method: 'POST', url: orgUrl(grandchild.id, '/keys'), auth, body: { name: unique('key'), roles: ['developer'] } });
      assert.equal(key.status, 200, `${label}: ${JSON.stringify(key.body)}`);
      const keys = await get(server(), orgUrl(grandchild.id, '/keys'), auth);
      assert.ok(keys.body.result.some((k: any) => k.id === key.body.result.key.id), label);
      const role = await server().request({ method: 'POST', url: orgUrl(grandchild.id, '/roles'), auth, body: { name: unique('Role') } });
      assert.equal(role.status, 200, `${label}: ${JSON.stringify(role.body)}`);
      assert.equal((await get(server(), orgUrl(grandchild.id, '/roles'), auth)).status, 200);
      assert.equal((await get(server(), orgUrl(grandchild.id, '/activities'), auth)).status, 200);
    }

    const before = await counts(server(), [parent.id, grandchild.id]);
    for (const [label, auth] of [['member 1', member1.auth], ['developer key', grand.developer.basic]] as const) {
      assert.equal((await get(server(), orgUrl(grand.organization.id), auth)).status, 200, `${label} reads its own organization`);
      for (const id of [parent.id, grandchild.id]) {
        for (const url of [orgUrl(id), orgUrl(id, '/children'), orgUrl(id, '/ancestors'), orgUrl(id, '/members'), orgUrl(id, '/keys'), orgUrl(id, '/roles')]) {
          assertErrorEnvelope((await get(server(), url, auth)).body, 404);
        }
        assertErrorEnvelope((await patch(server(), id, { name: unique('Nope') }, auth)).body, 404);
        assertErrorEnvelope((await server().request({ method: 'DELETE', url: orgUrl(id), auth })).body, 404);
      }
    }
    assert.deepEqual(await counts(server(), [parent.id, grandchild.id]), before);
  });

  it('nothing leaks between sibling trees: admins of one get 404 on the other, in both directions', async () => {
    const a = await createTenant(server(), unique('TreeA'));
    const b = await createTenant(server(), unique('TreeB'));
    const a1 = await createChild(server(), a.organization.id);
    const b1 = await createChild(server(), b.organization.id);
    const adminA = await createUserWithKey(server());
    const adminB = await createUserWithKey(server());
    await joinOrganization(server(), a.organization.id, adminA, 15);
    await joinOrganization(server(), b.organization.id, adminB, 15);
    const trails = await counts(server(), [a.organization.id, a1.id, b.organization.id, b1.id]);
    for (const [mine, theirs, auths] of [
      [a, b, [a.admin.basic, adminA.auth]],
      [b, a, [b.admin.basic, adminB.auth]],
    ] as const) {
      const theirChild = theirs === a ? a1 : b1;
      const myChild = mine === a ? a1 : b1;
      for (const auth of auths) {
        assert.deepEqual(await childIds(server(), mine.organization.id, auth), [myChild.id]);
        for (const id of [theirs.organization.id, theirChild.id]) {
          assertErrorEnvelope((await get(server(), orgUrl(id), auth)).body, 404);
          assertErrorEnvelope((await get(server(), orgUrl(id, '/children'), auth)).body, 404);
          assertErrorEnvelope((await get(server(), orgUrl(id, '/ancestors'), auth)).body, 404);
          assertErrorEnvelope((await patch(server(), id, { name: unique('Leak') }, auth)).body, 404);
        }
        assertErrorEnvelope((await postChild(server(), theirs.organization.id, unique('Leak'), auth)).body, 404);
        assertErrorEnvelope((await patch(server(), myChild.id, { parentId: theirChild.id }, auth)).body, 404);
        assertErrorEnvelope((await patch(server(), theirChild.id, { parentId: myChild.id }, auth)).body, 404);
      }
    }
    assert.deepEqual(await counts(server(), [a.organization.id, a1.id, b.organization.id, b1.id]), trails);
  });

  it('concurrent moves A under B and B under A: exactly one succeeds, the other is a 409 cycle; no cycle remains', async () => {
    for (let round = 0; round < 3; round++) {
      const a = await createOrganization(server(), unique('RaceA'));
      const b = await createOrganization(server(), unique('RaceB'));
      const [ab, ba] = await Promise.all([patch(server(), a.id, { parentId: b.id }), patch(server(), b.id, { parentId: a.id })]);
      const statuses = [ab.status, ba.status].sort();
      assert.deepEqual(statuses, [200, 409], `${JSON.stringify(ab.body)} ${JSON.stringify(ba.body)}`);
      const loser = ab.status === 409 ? ab : ba;
      assertErrorEnvelope(loser.body, 409, 'cycle');
      const [lower, upper] = ab.status === 200 ? [a, b] : [b, a];
      assert.deepEqual(await ancestorIds(server(), lower.id), [upper.id]);
      assert.deepEqual(await ancestorIds(server(), upper.id), []);
      assert.equal(await parentOf(server(), upper.id), null, 'the chain ends at the root level');
      assert.equal(ofType(await activitiesOf(server(), upper.id), 'organization_update_parent').length, 0);
      assert.equal(ofType(await activitiesOf(server(), lower.id), 'organization_update_parent').length, 1);
    }
  });

  it('5 concurrent creates of one name under one parent: exactly one 200, the rest 409 name_taken', async () => {
    const parent = await createOrganization(server(), unique('RaceParent'));
    const name = unique('Contested');
    const responses = await Promise.all(Array.from({ length: 5 }, (_, i) => postChild(server(), parent.id, i % 2 ? name.toUpperCase() : name)));
    assert.equal(responses.filter((r) => r.status === 200).length, 1, JSON.stringify(responses.map((r) => r.body)));
    for (const refused of responses.filter((r) => r.status !== 200)) {
      assertErrorEnvelope(refused.body, 409, 'name_taken');
      assert.equal(refused.body.field, 'name');
    }
    const children = (await allPages(server(), orgUrl(parent.id, '/children'))).items;
    assert.equal(children.length, 1);
    assert.equal(children[0].name.toLowerCase(), name.toLowerCase());
    assert.equal(ofType(await activitiesOf(server(), parent.id), 'organization_child_create').length, 1);
  });

  it('moving an organization out needs its current parent\u2019s admin too: an owner of a child cannot carry it out of the tree', async () => {
    const a = await createOrganization(server(), `Owning tree ${Date.now()}`);
    const u = await createUserWithKey(server());
    const child = await server().request({ method: 'POST', url: '/v1/organizations', auth: 'root', body: { name: 'Kept child', parentId: a.id } });
    const d = child.body.result.id as string;
    await server().request({ method: 'POST', url: `/v1/organizations/${d}/members`, auth: 'root', body: { userId: u.id, level: 15 } });
    const p = await server().request({ method: 'POST', url: '/v1/organizations', auth: u.auth, body: { name: `Elsewhere ${u.id}` } });
    assert.equal(p.status, 200, JSON.stringify(p.body));
    const before = (await activitiesOf(server(), a.id)).length;
    const carried = await server().request({ method: 'PATCH', url: `/v1/organizations/${d}`, auth: u.auth, body: { parentId: p.body.result.id } });
    assertErrorEnvelope(carried.body, 404, 'not_found');
    const still = await server().request({ method: 'GET', url: `/v1/organizations/${d}`, auth: 'root' });
    assert.equal(still.body.result.parentId, a.id, 'it stays in the tree');
    assert.equal((await activitiesOf(server(), a.id)).length, before);
  });
});

for (const database of testDatabases()) {
  describe(`organization tree, ORGBASE_MAX_ORGANIZATION_DEPTH=3 [${database.kind}]`, () => {
    let small: TestServer | undefined;
    before(async () => {
      small = await startServer(database, { env: { ORGBASE_MAX_ORGANIZATION_DEPTH: '3' } });
    });
    after(async () => {
      await small?.close();
    });
    const server = () => {
      if (!small) throw new Error('server not started');
      return small;
    };

    it('a chain of 3 takes no fourth level, on create or by a move counting the moved subtree', async () => {
      assert.equal(server().config.maxOrganizationDepth, 3);
      const one = await createTenant(server(), unique('Small'));
      const two = await createChild(server(), one.organization.id);
      const three = await createChild(server(), two.id, unique('Third'), one.admin.basic);
      for (const auth of ['root', one.admin.basic] as Auth[]) {
        const refused = await postChild(server(), three.id, unique('Fourth'), auth);
        assertErrorEnvelope(refused.body, 409, 'depth_limit');
        assert.equal(refused.body.field, 'parentId');
      }
      assert.deepEqual(await childIds(server(), three.id), []);

      // A two-level subtree fits under depth 1, not under depth 2; a leaf fits under depth 2.
      const subtree = await createOrganization(server(), unique('Sub'));
      const leafOfSubtree = await createChild(server(), subtree.id);
      const trails = await counts(server(), [subtree.id, two.id, one.organization.id]);
      const tooDeep = await patch(server(), subtree.id, { parentId: two.id });
      assertErrorEnvelope(tooDeep.body, 409, 'depth_limit');
      assert.equal(tooDeep.body.field, 'parentId');
      assertErrorEnvelope((await patch(server(), subtree.id, { parentId: three.id })).body, 409, 'depth_limit');
      assert.equal(await parentOf(server(), subtree.id), null);
      assert.deepEqual(await counts(server(), [subtree.id, two.id, one.organization.id]), trails);
      assert.equal((await patch(server(), subtree.id, { parentId: one.organization.id })).status, 200);
      assert.deepEqual(await ancestorIds(server(), leafOfSubtree.id), [subtree.id, one.organization.id]);
      // Moving the deepest organization of a full chain sideways keeps it at depth 3.
      assert.equal((await patch(server(), leafOfSubtree.id, { parentId: two.id })).status, 200);
      // The tree under `one` is now 3 deep: `one` cannot go under another root-level organization.
      const host = await createOrganization(server(), unique('Host'));
      assertErrorEnvelope((await patch(server(), one.organization.id, { parentId: host.id })).body, 409, 'depth_limit');
      const shallow = await createOrganization(server(), unique('Shallow'));
      assert.equal((await patch(server(), shallow.id, { parentId: host.id })).status, 200);
    });
  });
}
