import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import * as m1 from '../src/db/migrations/0001-foundation.js';
import * as m2 from '../src/db/migrations/0002-people.js';
import * as m3 from '../src/db/migrations/0003-invitations.js';
import * as m4 from '../src/db/migrations/0004-roles.js';
import * as m5 from '../src/db/migrations/0005-posthog-people.js';
import * as m6 from '../src/db/migrations/0006-grants-follow-membership.js';
import * as m7 from '../src/db/migrations/0007-hierarchy.js';
import * as m8 from '../src/db/migrations/0008-projects.js';
import { uuidv7 } from '../src/ids.js';
import { testDatabases } from './helpers/databases.js';
import { assertEnvelope, assertErrorEnvelope } from './contracts/clickhouse.js';
import { activitiesOf, createOrganization, createTenant, createUserWithKey, joinOrganization } from './helpers/fixtures.js';
import { onEachDatabase, type Auth, type TestServer } from './helpers/server.js';

const projectsUrl = (organizationId: string, rest = '') => `/v1/organizations/${organizationId}/projects${rest}`;
const activeUrl = (userId: string) => `/v1/users/${userId}/activeProject`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MISSING = '0190a8b0-0000-7000-8000-000000000000';

async function createProject(server: TestServer, organizationId: string, body: object, auth: Auth = 'root') {
  const response = await server.request({ method: 'POST', url: projectsUrl(organizationId), auth, body });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body.result;
}

/** Every project of the organization, in list order (root, one page). */
async function projectsOf(server: TestServer, organizationId: string): Promise<any[]> {
  const response = await server.request({ method: 'GET', url: projectsUrl(organizationId, '?limit=1000'), auth: 'root' });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body.result;
}

/** The project activities of an organization, oldest first, as stored (with project_id). */
async function projectActivityRows(server: TestServer, organizationId: string) {
  return server.database.db
    .selectFrom('activities')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('type', 'like', 'project\\_%')
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** Deletes every project of the organization but `keep` (root). */
async function deleteAllBut(server: TestServer, organizationId: string, keep: string) {
  for (const project of await projectsOf(server, organizationId)) {
    if (project.id === keep) continue;
    const response = await server.request({ method: 'DELETE', url: projectsUrl(organizationId, `/${project.id}`), auth: 'root' });
    assert.equal(response.status, 200, JSON.stringify(response.body));
  }
}

onEachDatabase('projects', (server) => {
  it('create, read, list, update and delete a project, in the ClickHouse envelope', async () => {
    const organization = await createOrganization(server());
    const created = await server().request({
      method: 'POST',
      url: projectsUrl(organization.id),
      auth: 'root',
      body: { name: '  Alpha  ', description: 'The first one' },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assertEnvelope(created.body, { result: true });
    const alpha = created.body.result;
    assert.match(alpha.id, UUID);
    assert.deepEqual(Object.keys(alpha).sort(), ['createdAt', 'description', 'id', 'name', 'organizationId', 'updatedAt']);
    assert.deepEqual([alpha.organizationId, alpha.name, alpha.description], [organization.id, 'Alpha', 'The first one']);
    assert.equal(alpha.createdAt, alpha.updatedAt);
    assert.equal(new Date(alpha.createdAt).toISOString(), alpha.createdAt);

    const read = await server().request({ method: 'GET', url: projectsUrl(organization.id, `/${alpha.id}`), auth: 'root' });
    assertEnvelope(read.body, { result: true });
    assert.deepEqual(read.body.result, alpha);

    const bare = await createProject(server(), organization.id, { name: 'Bare' });
    assert.equal(bare.description, '', 'description defaults to empty');

    server().clock.advance(1000);
    const renamed = await server().request({ method: 'PATCH', url: projectsUrl(organization.id, `/${alpha.id}`), auth: 'root', body: { name: 'Beta' } });
    assertEnvelope(renamed.body, { result: true });
    assert.deepEqual([renamed.body.result.name, renamed.body.result.description], ['Beta', 'The first one']);
    assert.equal(renamed.body.result.createdAt, alpha.createdAt);
    assert.ok(renamed.body.result.updatedAt > alpha.updatedAt, 'updatedAt moves on a change');
    const cleared = await server().request({ method: 'PATCH', url: projectsUrl(organization.id, `/${alpha.id}`), auth: 'root', body: { description: '' } });
    assert.deepEqual([cleared.body.result.name, cleared.body.result.description], ['Beta', '']);

    const list = await server().request({ method: 'GET', url: projectsUrl(organization.id), auth: 'root' });
    assertEnvelope(list.body, { result: true });
    assert.equal('nextCursor' in list.body, false);
    assert.ok(list.body.result.every((p: any) => p.organizationId === organization.id));
    const mine = list.body.result.filter((p: any) => [alpha.id, bare.id].includes(p.id));
    assert.deepEqual(mine.map((p: any) => p.name), ['Beta', 'Bare'], 'creation order, current values');

    const deleted = await server().request({ method: 'DELETE', url: projectsUrl(organization.id, `/${alpha.id}`), auth: 'root' });
    assertEnvelope(deleted.body, { result: false });
    assertErrorEnvelope((await server().request({ method: 'GET', url: projectsUrl(organization.id, `/${alpha.id}`), auth: 'root' })).body, 404, 'not_found');
    assertErrorEnvelope((await server().request({ method: 'PATCH', url: projectsUrl(organization.id, `/${alpha.id}`), auth: 'root', body: { name: 'X' } })).body, 404);
    assertErrorEnvelope((await server().request({ method: 'DELETE', url: projectsUrl(organization.id, `/${alpha.id}`), auth: 'root' })).body, 404);
    assert.ok(!(await projectsOf(server(), organization.id)).some((p) => p.id === alpha.id));
  });

  it('lists page by cursor in creation order, without repeats or gaps', async () => {
    const organization = await createOrganization(server());
    for (const name of ['P1', 'P2', 'P3', 'P4', 'P5']) await createProject(server(), organization.id, { name });
    const all = await projectsOf(server(), organization.id);
    assert.deepEqual(all.map((p) => p.name).filter((n) => n.startsWith('P')), ['P1', 'P2', 'P3', 'P4', 'P5']);
    const paged: any[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const response = await server().request({ method: 'GET', url: projectsUrl(organization.id, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`), auth: 'root' });
      assertEnvelope(response.body, { result: true });
      assert.ok(response.body.result.length <= 2);
      paged.push(...response.body.result);
      cursor = response.body.nextCursor;
      pages++;
    } while (cursor);
    assert.deepEqual(paged.map((p) => p.id), all.map((p) => p.id));
    assert.equal(pages, Math.ceil(all.length / 2));
    const bad = await server().request({ method: 'GET', url: projectsUrl(organization.id, '?cursor=nonsense'), auth: 'root' });
    assertErrorEnvelope(bad.body, 400, 'invalid_cursor');
    assert.equal(bad.body.field, 'cursor');
  });

  it('names are unique per organization, case-insensitively and after trimming (409 unique, field name)', async () => {
    const organization = await createOrganization(server());
    const other = await createOrganization(server());
    const billing = await createProject(server(), organization.id, { name: 'Billing' });
    const ops = await createProject(server(), organization.id, { name: 'Ops' });
    const before = (await projectActivityRows(server(), organization.id)).length;
    for (const name of ['BILLING', '  billing ']) {
      const duplicate = await server().request({ method: 'POST', url: projectsUrl(organization.id), auth: 'root', body: { name } });
      assertErrorEnvelope(duplicate.body, 409, 'unique');
      assert.equal(duplicate.body.field, 'name');
    }
    const renameClash = await server().request({ method: 'PATCH', url: projectsUrl(organization.id, `/${ops.id}`), auth: 'root', body: { name: 'bIlLiNg' } });
    assertErrorEnvelope(renameClash.body, 409, 'unique');
    assert.equal(renameClash.body.field, 'name');
    assert.equal((await projectActivityRows(server(), organization.id)).length, before, 'refusals record nothing');
    const names = (await projectsOf(server(), organization.id)).map((p) => p.name);
    assert.equal(names.filter((n) => n.toLowerCase() === 'billing').length, 1);
    assert.ok(names.includes('Ops'));

    // Another organization may use the name; a project may change the case of its own name.
    assert.equal((await createProject(server(), other.id, { name: 'billing' })).name, 'billing');
    const recased = await server().request({ method: 'PATCH', url: projectsUrl(organization.id, `/${billing.id}`), auth: 'root', body: { name: 'BILLING' } });
    assert.equal(recased.status, 200, JSON.stringify(recased.body));
    assert.equal(recased.body.result.name, 'BILLING');
  });

  it('each organization keeps at least one project: deleting the last is 409 last_project and changes nothing', async () => {
    const organization = await createOrganization(server());
    const only = await createProject(server(), organization.id, { name: 'Only' });
    await deleteAllBut(server(), organization.id, only.id);
    const before = (await projectActivityRows(server(), organization.id)).length;
    const refused = await server().request({ method: 'DELETE', url: projectsUrl(organization.id, `/${only.id}`), auth: 'root' });
    assertErrorEnvelope(refused.body, 409, 'last_project');
    assert.deepEqual((await projectsOf(server(), organization.id)).map((p) => p.id), [only.id]);
    assert.equal((await projectActivityRows(server(), organization.id)).length, before);
    // With a second project, either may go.
    const second = await createProject(server(), organization.id, { name: 'Second' });
    assert.equal((await server().request({ method: 'DELETE', url: projectsUrl(organization.id, `/${only.id}`), auth: 'root' })).status, 200);
    assertErrorEnvelope((await server().request({ method: 'DELETE', url: projectsUrl(organization.id, `/${second.id}`), auth: 'root' })).body, 409, 'last_project');
  });

  it('two concurrent deletes of the last two projects leave one', async () => {
    const organization = await createOrganization(server());
    let survivor = await createProject(server(), organization.id, { name: 'Round 0' });
    await deleteAllBut(server(), organization.id, survivor.id);
    const deletesBefore = (await projectActivityRows(server(), organization.id)).filter((a) => a.type === 'project_delete').length;
    for (let round = 1; round <= 5; round++) {
      const extra = await createProject(server(), organization.id, { name: `Round ${round}` });
      const responses = await Promise.all(
        [survivor, extra].map((p) => server().request({ method: 'DELETE', url: projectsUrl(organization.id, `/${p.id}`), auth: 'root' })),
      );
      const statuses = responses.map((r) => r.status).sort();
      assert.deepEqual(statuses, [200, 409], JSON.stringify(responses.map((r) => r.body)));
      assert.equal(responses.find((r) => r.status === 409)!.body.code, 'last_project');
      const left = await projectsOf(server(), organization.id);
      assert.equal(left.length, 1);
      survivor = left[0];
    }
    const deletes = (await projectActivityRows(server(), organization.id)).filter((a) => a.type === 'project_delete');
    assert.equal(deletes.length, deletesBefore + 5, 'one activity per delete that happened, none for the refusals');
  });

  it('bad input is a 400 naming the field, and changes nothing', async () => {
    const { organization, admin } = await createTenant(server());
    const project = await createProject(server(), organization.id, { name: 'Valid', description: 'kept' });
    const before = { projects: await projectsOf(server(), organization.id), trail: (await activitiesOf(server(), organization.id)).length };
    const cases: [string, 'POST' | 'PATCH', object, string][] = [
      ['missing name', 'POST', {}, 'name'],
      ['empty name', 'POST', { name: '' }, 'name'],
      ['blank name', 'POST', { name: '   ' }, 'name'],
      ['long name', 'POST', { name: 'x'.repeat(256) }, 'name'],
      ['name not a string', 'POST', { name: 7 }, 'name'],
      ['long description', 'POST', { name: 'Fine', description: 'x'.repeat(1001) }, 'description'],
      ['unknown field', 'POST', { name: 'Fine', colour: 'red' }, 'colour'],
      ['blank rename', 'PATCH', { name: ' \t ' }, 'name'],
      ['long rename', 'PATCH', { name: 'y'.repeat(256) }, 'name'],
      ['long description patch', 'PATCH', { description: 'd'.repeat(1001) }, 'description'],
      ['unknown patch field', 'PATCH', { nmae: 'Typo' }, 'nmae'],
    ];
    for (const [label, method, body, field] of cases) {
      const url = method === 'POST' ? projectsUrl(organization.id) : projectsUrl(organization.id, `/${project.id}`);
      const response = await server().request({ method, url, auth: admin.basic, body });
      assertErrorEnvelope(response.body, 400);
      assert.equal(response.body.field, field, `${label}: ${JSON.stringify(response.body)}`);
    }
    // The limits themselves are allowed.
    const longest = await createProject(server(), organization.id, { name: 'n'.repeat(255), description: 'd'.repeat(1000) });
    assert.equal(longest.name.length, 255);
    await server().request({ method: 'DELETE', url: projectsUrl(organization.id, `/${longest.id}`), auth: 'root' });
    const badId = await server().request({ method: 'GET', url: projectsUrl(organization.id, '/not-a-uuid'), auth: admin.basic });
    assertErrorEnvelope(badId.body, 400);
    assert.equal(badId.body.field, 'projectId');
    assert.deepEqual(await projectsOf(server(), organization.id), before.projects);
    // The trail has the longest project's create and delete, nothing from the refusals.
    assert.equal((await activitiesOf(server(), organization.id)).length, before.trail + 2);
  });

  it('records project_create, project_update (old/new) and project_delete with project_id, in the trail too', async () => {
    const organization = await createOrganization(server());
    const project = await createProject(server(), organization.id, { name: 'Audited', description: 'one' });
    await server().request({ method: 'PATCH', url: projectsUrl(organization.id, `/${project.id}`), auth: 'root', body: { name: 'Audited 2', description: 'two' } });
    // An update that changes nothing records nothing.
    const same = await server().request({ method: 'PATCH', url: projectsUrl(organization.id, `/${project.id}`), auth: 'root', body: { name: 'Audited 2' } });
    assert.equal(same.status, 200);
    await createProject(server(), organization.id, { name: 'Keeper' });
    await server().request({ method: 'DELETE', url: projectsUrl(organization.id, `/${project.id}`), auth: 'root' });

    const rows = (await projectActivityRows(server(), organization.id)).filter((a) => a.target_id === project.id);
    assert.deepEqual(rows.map((a) => a.type), ['project_create', 'project_update', 'project_delete']);
    for (const row of rows) {
      assert.equal(row.project_id, project.id);
      assert.equal(row.actor_type, 'support');
    }
    assert.deepEqual(rows[0]!.changes, { name: { old: null, new: 'Audited' }, description: { old: null, new: 'one' } });
    assert.deepEqual(rows[1]!.changes, { name: { old: 'Audited', new: 'Audited 2' }, description: { old: 'one', new: 'two' } });
    assert.deepEqual(rows[2]!.changes, { name: { old: 'Audited 2', new: null } });

    const trail = (await activitiesOf(server(), organization.id)).filter((a) => a.targetResourceIds?.[0] === project.id);
    assert.deepEqual(trail.map((a) => a.type), ['project_delete', 'project_update', 'project_create']);
    assert.ok(trail.every((a) => a.organizationId === organization.id));
  });

  it('tenant isolation: other organizations get 404; developer keys and members without write get 403; nothing changes', async () => {
    const { organization, admin, developer } = await createTenant(server());
    const outsider = await createTenant(server());
    const reader = await createUserWithKey(server(), ['organization:read']);
    const plainMember = await createUserWithKey(server());
    const stranger = await createUserWithKey(server());
    // Added by root: accepting an invitation needs organization_member:write, which this key lacks.
    const added = await server().request({ method: 'POST', url: `/v1/organizations/${organization.id}/members`, auth: 'root', body: { userId: reader.id, level: 8 } });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    await joinOrganization(server(), organization.id, plainMember, 1);
    const project = await createProject(server(), organization.id, { name: 'Guarded' }, admin.basic);
    const foreign = await createProject(server(), outsider.organization.id, { name: 'Foreign' });
    const before = { projects: await projectsOf(server(), organization.id), trail: (await activitiesOf(server(), organization.id)).length };

    const routes = [
      ['GET', projectsUrl(organization.id)],
      ['GET', projectsUrl(organization.id, `/${project.id}`)],
      ['POST', projectsUrl(organization.id), { name: 'Z' }],
      ['PATCH', projectsUrl(organization.id, `/${project.id}`), { name: 'Z' }],
      ['DELETE', projectsUrl(organization.id, `/${project.id}`)],
    ] as const;
    for (const auth of [outsider.admin.basic, outsider.developer.bearer, stranger.auth]) {
      for (const [method, url, body] of routes) {
        const response = await server().request({ method, url, auth, ...(body && { body }) });
        assertErrorEnvelope(response.body, 404, 'not_found');
      }
    }
    // A project is reached only through its own organization, even by root.
    assertErrorEnvelope((await server().request({ method: 'GET', url: projectsUrl(organization.id, `/${foreign.id}`), auth: 'root' })).body, 404);
    assertErrorEnvelope((await server().request({ method: 'DELETE', url: projectsUrl(organization.id, `/${foreign.id}`), auth: 'root' })).body, 404);
    assertErrorEnvelope((await server().request({ method: 'GET', url: projectsUrl(outsider.organization.id, `/${foreign.id}`), auth: admin.basic })).body, 404);

    for (const [auth, code] of [[developer.basic, 'admin_role_required'], [reader.auth, 'missing_scope'], [plainMember.auth, 'admin_level_required']] as const) {
      assert.equal((await server().request({ method: 'GET', url: projectsUrl(organization.id), auth })).status, 200);
      assert.equal((await server().request({ method: 'GET', url: projectsUrl(organization.id, `/${project.id}`), auth })).status, 200);
      for (const [method, url, body] of routes.slice(2)) {
        assertErrorEnvelope((await server().request({ method, url, auth, ...(body && { body }) })).body, 403, code);
      }
    }
    assert.deepEqual(await projectsOf(server(), organization.id), before.projects);
    assert.equal((await activitiesOf(server(), organization.id)).length, before.trail);

    // The admin key may write.
    const renamed = await server().request({ method: 'PATCH', url: projectsUrl(organization.id, `/${project.id}`), auth: admin.bearer, body: { name: 'Renamed' } });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
  });

  it('a deleted or unknown organization has no projects to show (404)', async () => {
    const organization = await createOrganization(server());
    const project = await createProject(server(), organization.id, { name: 'Doomed' });
    assert.equal((await server().request({ method: 'DELETE', url: `/v1/organizations/${organization.id}`, auth: 'root' })).status, 200);
    for (const [method, url, body] of [
      ['GET', projectsUrl(organization.id)],
      ['GET', projectsUrl(organization.id, `/${project.id}`)],
      ['POST', projectsUrl(organization.id), { name: 'Late' }],
      ['PATCH', projectsUrl(organization.id, `/${project.id}`), { name: 'Late' }],
      ['GET', projectsUrl(MISSING)],
      ['POST', projectsUrl(MISSING), { name: 'Nowhere' }],
    ] as const) {
      assertErrorEnvelope((await server().request({ method, url, auth: 'root', ...(body && { body }) })).body, 404, 'not_found');
    }
  });

  it('active project: chosen among the user\u2019s live organizations, else the oldest project of the oldest membership', async () => {
    const ada = await createUserWithKey(server());
    const noOrganization = await server().request({ method: 'GET', url: activeUrl(ada.id), auth: ada.auth });
    assertErrorEnvelope(noOrganization.body, 404, 'not_found');
    assert.match(noOrganization.body.error, /no organization/);

    // X is older than Y, but Ada joins Y first: the fallback follows membership age.
    const x = await createOrganization(server());
    const y = await createOrganization(server());
    const xFirst = await createProject(server(), x.id, { name: 'X1' });
    await createProject(server(), x.id, { name: 'X2' });
    const yFirst = await createProject(server(), y.id, { name: 'Y1' });
    const ySecond = await createProject(server(), y.id, { name: 'Y2' });
    const oldestOf = async (organizationId: string) => (await projectsOf(server(), organizationId))[0];
    await joinOrganization(server(), y.id, ada, 1);
    server().clock.advance(1000);
    await joinOrganization(server(), x.id, ada, 1);
    const expectedY = await oldestOf(y.id);
    assert.ok(expectedY.id === yFirst.id || expectedY.name === 'Default');

    const get = (auth: Auth = ada.auth) => server().request({ method: 'GET', url: activeUrl(ada.id), auth });
    const put = (projectId: string, auth: Auth = ada.auth) => server().request({ method: 'PUT', url: activeUrl(ada.id), auth, body: { projectId } });
    const fallback = await get();
    assertEnvelope(fallback.body, { result: true });
    assert.deepEqual(fallback.body.result, expectedY);

    // Choosing one: self or root; anyone else is told the user does not exist.
    const chosen = await put(xFirst.id);
    assertEnvelope(chosen.body, { result: true });
    assert.deepEqual(chosen.body.result, xFirst);
    assert.deepEqual((await get()).body.result, xFirst);
    assert.deepEqual((await get('root')).body.result, xFirst);
    assert.equal((await put(ySecond.id, 'root')).status, 200);
    assert.deepEqual((await get()).body.result, ySecond);
    const bob = await createUserWithKey(server());
    const xAdmin = (await createTenant(server())).admin;
    for (const auth of [bob.auth, xAdmin.basic]) {
      assertErrorEnvelope((await get(auth)).body, 404, 'not_found');
      assertErrorEnvelope((await put(xFirst.id, auth)).body, 404, 'not_found');
    }

    // A project of an organization Ada is not in is "not found", like an unknown one: its existence is not revealed.
    const elsewhere = await createOrganization(server());
    const foreign = await createProject(server(), elsewhere.id, { name: 'Not hers' });
    await joinOrganization(server(), elsewhere.id, bob, 1); // an organization with members, just not her
    const notMember = await put(foreign.id);
    assertErrorEnvelope(notMember.body, 404, 'not_found');
    assertErrorEnvelope((await put(MISSING)).body, 404, 'not_found');
    const invalidBody = await server().request({ method: 'PUT', url: activeUrl(ada.id), auth: ada.auth, body: { projectId: xFirst.id, extra: true } });
    assertErrorEnvelope(invalidBody.body, 400);
    assert.equal(invalidBody.body.field, 'extra');
    const badId = await put('nope');
    assertErrorEnvelope(badId.body, 400);
    assert.equal(badId.body.field, 'projectId');
    assert.deepEqual((await get()).body.result, ySecond, 'failed choices change nothing');

    // A key limited to X does not choose for Y.
    const limited = await server().request({ method: 'POST', url: `/v1/users/${ada.id}/keys`, auth: 'root', body: { name: 'x only', scopes: ['*'], organizationIds: [x.id] } });
    assert.equal(limited.status, 200, JSON.stringify(limited.body));
    const limitedAuth = { bearer: limited.body.result.keySecret };
    assertErrorEnvelope((await put(yFirst.id, limitedAuth)).body, 403, 'organization_not_allowed');
    assert.equal((await put(xFirst.id, limitedAuth)).status, 200);

    // Deleting the chosen project falls back (and clears the choice).
    const xThird = await createProject(server(), x.id, { name: 'X3' });
    assert.equal((await put(xThird.id)).status, 200);
    assert.equal((await server().request({ method: 'DELETE', url: projectsUrl(x.id, `/${xThird.id}`), auth: 'root' })).status, 200);
    assert.deepEqual((await get()).body.result, expectedY);
    const stored = await server().database.db.selectFrom('users').select('active_project_id').where('id', '=', ada.id).executeTakeFirstOrThrow();
    assert.equal(stored.active_project_id, null);

    // Leaving the chosen project's organization falls back to the oldest remaining membership.
    assert.equal((await put(ySecond.id)).status, 200);
    assert.equal((await server().request({ method: 'DELETE', url: `/v1/organizations/${y.id}/members/${ada.id}`, auth: 'root' })).status, 200);
    assert.deepEqual((await get()).body.result, await oldestOf(x.id));
    assertErrorEnvelope((await put(ySecond.id)).body, 404, 'not_found');

    // A deleted organization is out of reach too.
    assert.equal((await put(xFirst.id)).status, 200);
    const z = await createOrganization(server());
    const zProject = await createProject(server(), z.id, { name: 'Z1' });
    await joinOrganization(server(), z.id, ada, 1);
    assert.equal((await put(zProject.id)).status, 200);
    assert.equal((await server().request({ method: 'DELETE', url: `/v1/organizations/${z.id}`, auth: 'root' })).status, 200);
    assert.deepEqual((await get()).body.result, await oldestOf(x.id));
    assertErrorEnvelope((await put(zProject.id)).body, 404, 'not_found');

    // In no organization any more: 404 again.
    assert.equal((await server().request({ method: 'DELETE', url: `/v1/organizations/${x.id}/members/${ada.id}`, auth: 'root' })).status, 200);
    assertErrorEnvelope((await get()).body, 404, 'not_found');

    // Root asking about a user who does not exist.
    assertErrorEnvelope((await server().request({ method: 'GET', url: activeUrl(MISSING), auth: 'root' })).body, 404, 'not_found');
    assertErrorEnvelope((await server().request({ method: 'PUT', url: activeUrl(MISSING), auth: 'root', body: { projectId: xFirst.id } })).body, 404, 'not_found');
  });
});

async function migrate(db: Kysely<any>, migrations: Record<string, Migration>): Promise<void> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations }, migrationTableSchema: rows[0]!.schema });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
}

for (const database of testDatabases()) {
  describe(`projects migration [${database.kind}]`, () => {
    it('gives every existing organization a Default project whose id sorts before later projects', async () => {
      const handle = await database.open();
      try {
        const db = handle.db as unknown as Kysely<any>;
        const before = { '0001': m1, '0002': m2, '0003': m3, '0004': m4, '0005': m5, '0006': m6, '0007': m7 };
        await migrate(db, before);
        const created = [new Date('2024-01-02T03:04:05.678Z'), new Date('2025-06-07T08:09:10.111Z')];
        const organizations = [uuidv7(created[0]!.getTime()), uuidv7(created[1]!.getTime())];
        for (const [i, id] of organizations.entries()) {
          await db.insertInto('organizations').values({ id, name: `Old ${i}`, created_at: created[i], updated_at: created[i], deleted_at: i === 1 ? created[1] : null }).execute();
        }
        await migrate(db, { ...before, '0008': m8 });

        const projects = await db.selectFrom('projects').selectAll().orderBy('organization_id').execute();
        assert.deepEqual(projects.map((p) => [p.organization_id, p.name, p.description, p.created_by]), organizations.map((id) => [id, 'Default', '', null]));
        for (const [i, project] of projects.entries()) {
          assert.match(project.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a UUIDv7');
          assert.equal(parseInt(project.id.replace(/-/g, '').slice(0, 12), 16), created[i]!.getTime(), 'stamped with the organization’s creation');
        }
        // A project made later sorts after the Default one.
        const later = uuidv7();
        await db.insertInto('projects').values({ id: later, organization_id: organizations[0], name: 'Later', created_at: new Date(), updated_at: new Date() }).execute();
        const ordered = await db.selectFrom('projects').select('name').where('organization_id', '=', organizations[0]).orderBy('id').execute();
        assert.deepEqual(ordered.map((p) => p.name), ['Default', 'Later']);
        const clash = await db.insertInto('projects').values({ id: uuidv7(), organization_id: organizations[0], name: 'DEFAULT', created_at: new Date(), updated_at: new Date() }).execute().catch((error: unknown) => error);
        assert.equal((clash as { code?: string }).code, '23505', 'names are unique per organization, case-insensitively');
      } finally {
        await handle.close();
        await handle.dispose();
      }
    });
  });
}
