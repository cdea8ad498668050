/**
 * The Bindplane-compatible surface, `/bindplane/v1`: every success body is checked against the
 * contract derived from the seed's sample bodies (test/contracts/bindplane.ts), every refusal is
 * `{errors: [..]}` with its status, and every refused change is checked to have changed nothing
 * in the database (organizations, projects, memberships, active projects, activities).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { issueLicense, licensePublicKeyX } from '../src/domain/licenses/license-token.js';
import type { LicenseGrant } from '../src/domain/licenses/license.schemas.js';
import { systemIds } from '../src/ids.js';
import { assertBindplaneErrorShape, assertMatchesBindplane, matchesBindplane, type BindplaneSchema } from './contracts/bindplane.js';
import { createOrganization, createTeam, createUserWithKey, joinOrganization, v1Result, type UserFixture } from './helpers/fixtures.js';
import { testDatabases } from './helpers/databases.js';
import { onEachDatabase, ROOT_KEY, startServer, type ApiResponse, type Auth, type TestServer } from './helpers/server.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
/** A server credential, or `{apiKey}` sent as `X-Bindplane-Api-Key`. */
type As = Auth | { apiKey: string };

const API_VERSION = 'bindplane.observiq.com/v1';
const DAY = 86_400_000;
const UUID_A = '0190a8b0-0000-7000-8000-00000000000a';
const MISSING = '0190a8b0-0000-7000-8000-000000000000';

const isApiKey = (as: As): as is { apiKey: string } => typeof as === 'object' && 'apiKey' in as;
const secretOf = (user: UserFixture) => (user.auth as { bearer: string }).bearer;
const sorted = (values: string[]) => [...values].sort();

/** Requests, fixtures and checks over one server (shared by the suites below). */
function harness(server: () => TestServer) {
  const call = (method: Method, path: string, as?: As, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> =>
    server().request({
      method,
      url: `/bindplane/v1${path}`,
      ...(as !== undefined && (isApiKey(as) ? { headers: { 'x-bindplane-api-key': as.apiKey, ...headers } } : { auth: as, headers })),
      ...(as === undefined && { headers }),
      ...(body !== undefined && { body }),
    });

  /** A success: the status and a body valid against the contract (no schema: no body at all). */
  function ok(response: ApiResponse, status: 200 | 204, schema?: BindplaneSchema): any {
    assert.equal(response.status, status, `${response.status}: ${response.raw.body}`);
    if (schema === undefined) {
      assert.equal(response.raw.body, '', 'no body');
      return undefined;
    }
    assertMatchesBindplane(schema, response.body);
    return response.body;
  }

  /** A refusal: the status, Bindplane's error body, and (optionally) what its message says. */
  function refused(response: ApiResponse, status: number, message?: RegExp): void {
    assert.equal(response.status, status, response.raw.body);
    assertBindplaneErrorShape(response.body);
    if (message) assert.match(response.body.errors[0], message);
  }

  /** Everything a request here could change, read from the database. */
  async function world() {
    const db = server().database.db;
    return {
      organizations: await db.selectFrom('organizations').select(['id', 'name', 'parent_id', 'deleted_at', 'license']).orderBy('id').execute(),
      projects: await db.selectFrom('projects').select(['id', 'organization_id', 'name', 'description', 'updated_at']).orderBy('id').execute(),
      memberships: await db.selectFrom('memberships').select(['organization_id', 'user_id', 'level']).orderBy('organization_id').orderBy('user_id').execute(),
      activeProjects: await db.selectFrom('users').select(['id', 'active_project_id']).orderBy('id').execute(),
      activities: (await db.selectFrom('activities').select(['id']).execute()).length,
    };
  }
  async function unchanged(attempts: () => Promise<void>): Promise<void> {
    const before = await world();
    await attempts();
    assert.deepEqual(await world(), before, 'refused requests change nothing');
  }

  /**
   * What a POST /organizations that failed leaves: nothing. The organization, its project, the
   * membership, the license and the active project are written in one transaction, so the
   * database is exactly as before, and the name is still free.
   */
  async function assertNothingMade(before: Awaited<ReturnType<typeof world>>, name: string) {
    assert.deepEqual(await world(), before, 'a failed creation leaves nothing, not even a deleted row');
    const verify = await call('PUT', '/organizations/verify', 'root', { name });
    assert.deepEqual(ok(verify, 200, 'Verify'), { valid: true }, 'the name is still free');
  }


  const team = (name?: string) => createTeam(server(), name);

  const v1 = (method: Method, url: string, body?: unknown, auth: Auth = 'root') => v1Result(server(), method, url, body, auth);
  const projectIds = async (organizationId: string): Promise<string[]> =>
    (await v1('GET', `/organizations/${organizationId}/projects?limit=1000`)).map((project: any) => project.id);
  const memberLevels = async (organizationId: string) =>
    (await v1('GET', `/organizations/${organizationId}/members?limit=1000`)).map((member: any) => [member.userId, member.level]);
  const activeProjectOf = async (user: UserFixture): Promise<string> => (await v1('GET', `/users/${user.id}/activeProject`)).id;
  const activate = (user: UserFixture, projectId: string) => v1('PUT', `/users/${user.id}/activeProject`, { projectId }, user.auth);
  const childOf = (parentId: string, name: string) => v1('POST', '/organizations', { name, parentId });
  async function personalKey(user: UserFixture, body: Record<string, unknown>): Promise<Auth> {
    return { bearer: (await v1('POST', `/users/${user.id}/keys`, { name: 'extra', scopes: ['*'], ...body })).keySecret };
  }

  return { call, ok, refused, world, unchanged, assertNothingMade, team, v1, projectIds, memberLevels, activeProjectOf, activate, childOf, personalKey };
}

const accountIds = (body: any): string[] => body.accounts.map((account: any) => account.metadata.id);
const userIds = (body: any): string[] => sorted(body.users.map((user: any) => user.metadata.id));
const organizationIds = (body: any): string[] => sorted(body.organizations.map((organization: any) => organization.metadata.id));
const organizationResource = (organization: { id: string; name: string }) => ({
  apiVersion: API_VERSION,
  kind: 'Organization',
  metadata: { id: organization.id, name: organization.name, displayName: organization.name, labels: {} },
  spec: {},
  status: {},
});

onEachDatabase('Bindplane surface', (server) => {
  const { call, ok, refused, unchanged, world, assertNothingMade, team, v1, projectIds, memberLevels, activeProjectOf, activate, childOf, personalKey } = harness(server);

  // ---- contract ----

  it('the contract derived from the seed accepts its optional fields and refuses everything it does not declare', () => {
    const organization = organizationResource({ id: UUID_A, name: 'Acme' });
    assert.ok(matchesBindplane('OrganizationByName', { organization }));
    assert.ok(matchesBindplane('OrganizationByName', {
      organization: { ...organization, metadata: { ...organization.metadata, version: 3, dateModified: '2025-01-01T00:00:00Z', description: 'd' }, spec: { auth0: { id: 'x' } } },
    }), 'the seed\u2019s optional fields are allowed');
    const { status: _status, ...withoutStatus } = organization;
    const brokenOrganizations = [
      { ...organization, extra: 1 },
      withoutStatus,
      { ...organization, kind: 'Account' },
      { ...organization, apiVersion: 'string' },
      { ...organization, metadata: { id: UUID_A, name: 'Acme' } },
      { ...organization, metadata: { ...organization.metadata, id: 'acme' } },
      { ...organization, metadata: { ...organization.metadata, secret: 'x' } },
      { ...organization, metadata: { ...organization.metadata, version: 'one' } },
      { ...organization, metadata: { ...organization.metadata, labels: { a: 1 } } },
      { ...organization, metadata: { ...organization.metadata, dateModified: 'yesterday' } },
      { ...organization, spec: { auth0: { id: 1 } } },
    ];
    for (const broken of brokenOrganizations) assert.ok(!matchesBindplane('OrganizationByName', { organization: broken }), JSON.stringify(broken));
    assert.ok(!matchesBindplane('OrganizationByName', {}));
    assert.ok(!matchesBindplane('Organizations', { organizations: [organization], more: true }));

    const account = { apiVersion: API_VERSION, kind: 'Account', metadata: { id: UUID_A, name: 'Default', labels: {} }, spec: {}, status: {} };
    assert.ok(matchesBindplane('Accounts', { accounts: [account] }));
    assert.ok(!matchesBindplane('Accounts', { accounts: [{ ...account, spec: { secretKey: 's' } }] }), 'no invented secret key');
    assert.ok(!matchesBindplane('Accounts', { accounts: [{ ...account, kind: 'Organization' }] }));
    const user = { apiVersion: API_VERSION, kind: 'User', metadata: { id: UUID_A, name: 'a@b.c', labels: {} }, spec: { email: 'a@b.c', activeAccount: UUID_A }, status: {} };
    assert.ok(matchesBindplane('Users', { users: [user] }));
    assert.ok(!matchesBindplane('Users', { users: [{ ...user, spec: {} }] }), 'a user has its email');
    assert.ok(!matchesBindplane('Users', { users: [{ ...user, spec: { email: 'a@b.c', activeAccount: 'text' } }] }));
    const all = { activeAccountId: '', organizationAccounts: [{ accounts: [account], organization, ssoEnabled: false }] };
    assert.ok(matchesBindplane('AllAccounts', all));
    assert.ok(!matchesBindplane('AllAccounts', { ...all, activeAccountId: 'text' }));
    assert.ok(!matchesBindplane('AllAccounts', { ...all, organizationAccounts: [{ accounts: [account], organization }] }));
    assert.ok(!matchesBindplane('CreatedOrganization', { organization, account: organization }));
    assert.ok(matchesBindplane('Verify', { valid: false }));
    for (const broken of [{}, { valid: 'yes' }, { valid: true, name: 'x' }]) assert.ok(!matchesBindplane('Verify', broken));
    for (const broken of [{ errors: [] }, { error: 'x' }, { errors: ['x'], code: 'y' }, { errors: [1] }, { errors: [''] }]) {
      assert.throws(() => assertBindplaneErrorShape(broken), assert.AssertionError, JSON.stringify(broken));
    }
    assertBindplaneErrorShape({ errors: ['it went wrong'] });
  });

  it('every route answers in the seed\u2019s shapes', async () => {
    const { organization, owner } = await team();
    const listed = ok(await call('GET', '/organizations', owner.auth), 200, 'Organizations');
    assert.deepEqual(listed.organizations, [organizationResource(organization)]);

    const [project] = await projectIds(organization.id);
    const accounts = ok(await call('GET', '/organizations/accounts', owner.auth), 200, 'Accounts');
    assert.deepEqual(accountIds(accounts), [project]);
    assert.deepEqual(accounts.accounts[0].metadata.name, 'Default');
    assert.deepEqual(ok(await call('GET', '/organizations/projects', owner.auth), 200, 'Accounts'), accounts);

    const all = ok(await call('GET', '/organizations/accounts/all', owner.auth), 200, 'AllAccounts');
    assert.deepEqual(all, { activeAccountId: project, organizationAccounts: [{ accounts: accounts.accounts, organization: listed.organizations[0], ssoEnabled: false }] });
    assert.deepEqual(ok(await call('GET', '/organizations/projects/all', owner.auth), 200, 'AllAccounts'), all);

    const users = ok(await call('GET', '/organizations/users', owner.auth), 200, 'Users');
    assert.deepEqual(users.users, [{
      apiVersion: API_VERSION,
      kind: 'User',
      metadata: { id: owner.id, name: owner.email, displayName: (await memberName(organization.id, owner.id)), labels: {} },
      spec: { email: owner.email, activeAccount: project },
      status: {},
    }]);

    assert.deepEqual(ok(await call('PUT', '/organizations/verify', owner.auth, { name: organization.name }), 200, 'Verify'), { valid: false });
    assert.deepEqual(ok(await call('GET', `/organizations/${encodeURIComponent(organization.name)}`, owner.auth), 200, 'OrganizationByName'), { organization: listed.organizations[0] });

    const created = ok(await call('POST', '/organizations', owner.auth, { organizationName: `Shapes ${organization.id}`, accountName: 'Prod', eulaAccepted: true }), 200, 'CreatedOrganization');
    assert.equal(created.account.metadata.name, 'Prod');
    ok(await call('PATCH', `/organizations/${created.organization.metadata.id}/metadata`, owner.auth, { name: `Renamed ${organization.id}` }), 200);
    ok(await call('DELETE', `/organizations/${created.organization.metadata.id}`, owner.auth), 204);
  });

  /** The member's display name as /v1 shows it (first and last name). */
  async function memberName(organizationId: string, userId: string): Promise<string> {
    const members = await v1('GET', `/organizations/${organizationId}/members?limit=1000`);
    return members.find((member: any) => member.userId === userId).name;
  }

  // ---- authentication ----

  it('authenticates X-Bindplane-Api-Key, Bearer and Basic with organization, personal and root keys', async () => {
    const { organization, owner, admin } = await team();
    for (const as of [{ apiKey: admin.keySecret }, admin.bearer, admin.basic, { apiKey: secretOf(owner) }, owner.auth]) {
      assert.deepEqual(organizationIds(ok(await call('GET', '/organizations', as), 200, 'Organizations')), [organization.id], JSON.stringify(as));
    }
    // The root key authenticates (it may create organizations) and has no current organization.
    for (const as of [{ apiKey: ROOT_KEY }, 'root'] as As[]) {
      refused(await call('GET', '/organizations/accounts', as), 400, /root key belongs to no organization/);
      ok(await call('PUT', '/organizations/verify', as, { name: organization.name }), 200, 'Verify');
    }
    // X-Bindplane-Api-Key is the one used when both are sent.
    ok(await call('GET', '/organizations', { apiKey: admin.keySecret }, undefined, { authorization: 'Bearer not-a-key' }), 200, 'Organizations');
    refused(await call('GET', '/organizations', admin.bearer, undefined, { 'x-bindplane-api-key': 'not-a-key' }), 401);
  });

  it('no credential, an unknown or malformed one, a disabled key: 401 in {errors}, before any validation', async () => {
    const { organization, admin } = await team();
    await unchanged(async () => {
      const missing = await call('POST', '/organizations', undefined, { bogus: true });
      refused(missing, 401, /Missing credentials: send X-Bindplane-Api-Key/);
      assert.match(String(missing.headers['www-authenticate']), /Bearer/);
      const attempts: As[] = [
        { apiKey: 'not-a-key' },
        { apiKey: '   ' },
        { bearer: 'not-a-key' },
        { keyId: admin.keyId, keySecret: 'wrong-secret' },
        { header: 'Token abc' },
        { header: 'Basic' },
      ];
      for (const as of attempts) refused(await call('GET', '/organizations', as), 401);
    });
    await v1('PATCH', `/organizations/${organization.id}/keys/${admin.id}`, { state: 'disabled' });
    refused(await call('GET', '/organizations', { apiKey: admin.keySecret }), 401, /disabled/);
  });

  it('secrets never reach the log', async () => {
    const { owner, admin } = await team();
    await call('GET', '/organizations', { apiKey: admin.keySecret });
    await call('GET', '/organizations', { apiKey: secretOf(owner) }, undefined, { authorization: `Bearer ${admin.keySecret}` });
    await call('GET', '/organizations/accounts', { apiKey: ROOT_KEY });
    await call('GET', '/nope', { apiKey: admin.keySecret });
    const logs = server().logs.join('\n');
    assert.match(logs, /\/bindplane\/v1\/organizations/, 'the requests were logged');
    for (const secret of [admin.keySecret, secretOf(owner), ROOT_KEY]) assert.ok(!logs.includes(secret), 'a secret was logged');
  });

  it('unknown routes are 404 in {errors}, with or without a credential', async () => {
    const { admin } = await team();
    refused(await call('GET', '/nope', admin.bearer), 404, /Route GET \/bindplane\/v1\/nope not found/);
    refused(await call('GET', '/nope'), 404);
    refused(await call('POST', '/organizations/accounts', admin.bearer, {}), 404);
    refused(await call('GET', '/organizations/accounts/all/more', admin.bearer), 404);
    refused(await call('GET', '/organization-license', admin.bearer), 404);
  });

  // ---- the current organization ----

  it('the current organization is an organization key\u2019s own, and a personal key\u2019s active project\u2019s, switching with it', async () => {
    const a = await team();
    const b = await team();
    const user = await createUserWithKey(server());
    await joinOrganization(server(), a.organization.id, user, 8);
    await joinOrganization(server(), b.organization.id, user, 1);
    const aProjects = await projectIds(a.organization.id);
    const bProjects = await projectIds(b.organization.id);
    const users = (as: As) => call('GET', '/organizations/users', as).then((response) => ok(response, 200, 'Users'));
    const accounts = (as: As, alias = 'accounts') => call('GET', `/organizations/${alias}`, as).then((response) => ok(response, 200, 'Accounts'));

    assert.deepEqual(accountIds(await accounts(a.admin.bearer)), aProjects);
    assert.deepEqual(accountIds(await accounts(b.developer.basic, 'projects')), bProjects);
    assert.deepEqual(userIds(await users({ apiKey: b.developer.keySecret })), sorted([b.owner.id, user.id]));
    const all = ok(await call('GET', '/organizations/accounts/all', a.admin.bearer), 200, 'AllAccounts');
    assert.equal(all.activeAccountId, aProjects[0], 'an organization key: its oldest project');
    assert.deepEqual(all.organizationAccounts.map((entry: any) => entry.organization.metadata.id), [a.organization.id]);

    for (const [organization, projects, other] of [[a, aProjects, bProjects], [b, bProjects, aProjects], [a, aProjects, bProjects]] as const) {
      await activate(user, projects[0]!);
      const as: As = { apiKey: secretOf(user) };
      assert.deepEqual(accountIds(await accounts(as)), projects);
      assert.deepEqual(accountIds(await accounts(user.auth, 'projects')), projects);
      const members = await users(as);
      assert.deepEqual(userIds(members), sorted([organization.owner.id, user.id]));
      const me = members.users.find((entry: any) => entry.metadata.id === user.id);
      const them = members.users.find((entry: any) => entry.metadata.id === organization.owner.id);
      assert.equal(me.spec.activeAccount, projects[0], 'the caller\u2019s own active project');
      assert.equal(them.spec.activeAccount, undefined, 'not someone else\u2019s');
      const everything = ok(await call('GET', '/organizations/projects/all', as), 200, 'AllAccounts');
      assert.equal(everything.activeAccountId, projects[0]);
      assert.deepEqual(
        sorted(everything.organizationAccounts.map((entry: any) => entry.organization.metadata.id)),
        sorted([a.organization.id, b.organization.id]),
      );
      for (const entry of everything.organizationAccounts) {
        assert.deepEqual(accountIds(entry), entry.organization.metadata.id === a.organization.id ? aProjects : bProjects);
        assert.equal(entry.ssoEnabled, false);
      }
      assert.ok(!accountIds(await accounts(as)).some((id) => other.includes(id)));
    }
  });

  it('a user in no organization has no current organization (404); the root key has none (400)', async () => {
    const loner = await createUserWithKey(server());
    await unchanged(async () => {
      for (const path of ['/organizations/accounts', '/organizations/projects', '/organizations/users']) {
        refused(await call('GET', path, loner.auth), 404, /belongs to no organization/);
        refused(await call('GET', path, 'root'), 400, /root key belongs to no organization/);
      }
      refused(await call('PUT', '/organization-license', loner.auth, { licenseKey: 'x' }), 404, /belongs to no organization/);
      refused(await call('PUT', '/organization-license', 'root', { licenseKey: 'x' }), 400, /root key/);
      for (const path of ['/organizations', '/organizations/accounts/all', '/organizations/Acme']) {
        refused(await call('GET', path, { apiKey: ROOT_KEY }), 400, /root key belongs to no organization/);
      }
    });
    assert.deepEqual(ok(await call('GET', '/organizations', loner.auth), 200, 'Organizations'), { organizations: [] });
    assert.deepEqual(ok(await call('GET', '/organizations/accounts/all', loner.auth), 200, 'AllAccounts'), { activeAccountId: '', organizationAccounts: [] });
  });

  it('GET /organizations lists the user\u2019s organizations, or an organization key\u2019s own (not its children)', async () => {
    const a = await team();
    const b = await team();
    const child = await childOf(a.organization.id, 'Listed child');
    const user = await createUserWithKey(server());
    await joinOrganization(server(), a.organization.id, user, 1);
    await joinOrganization(server(), b.organization.id, user, 1);
    assert.deepEqual(organizationIds(ok(await call('GET', '/organizations', user.auth), 200, 'Organizations')), sorted([a.organization.id, b.organization.id]));
    assert.deepEqual(organizationIds(ok(await call('GET', '/organizations', a.admin.bearer), 200, 'Organizations')), [a.organization.id]);
    assert.ok(!organizationIds(ok(await call('GET', '/organizations', a.owner.auth), 200, 'Organizations')).includes(child.id));
    const limited = await personalKey(user, { organizationIds: [b.organization.id] });
    assert.deepEqual(organizationIds(ok(await call('GET', '/organizations', limited), 200, 'Organizations')), [b.organization.id]);
    const readOnly = await personalKey(user, { scopes: ['organization_member:read'] });
    refused(await call('GET', '/organizations', readOnly), 403, /organization:read/);
  });

  // ---- tenant isolation ----

  it('another tenant\u2019s organization is 404 on every {id} and {name} route, and never listed', async () => {
    const a = await team();
    const b = await team();
    const bProjects = await projectIds(b.organization.id);
    await unchanged(async () => {
      for (const as of [a.admin.bearer, { apiKey: a.admin.keySecret }, a.owner.auth] as As[]) {
        refused(await call('DELETE', `/organizations/${b.organization.id}`, as), 404);
        refused(await call('PATCH', `/organizations/${b.organization.id}/metadata`, as, { name: 'Hijacked' }), 404);
        refused(await call('PUT', `/organizations/${b.organization.id}/license`, as, { licenseKey: 'x' }), 404);
        refused(await call('GET', `/organizations/${encodeURIComponent(b.organization.name)}`, as), 404, /No organization named/);
        refused(await call('DELETE', `/organizations/${MISSING}`, as), 404);
      }
    });
    for (const as of [a.admin.bearer, a.owner.auth] as As[]) {
      const accounts = accountIds(ok(await call('GET', '/organizations/accounts', as), 200, 'Accounts'));
      assert.ok(accounts.length > 0 && !accounts.some((id) => bProjects.includes(id)));
      const users = userIds(ok(await call('GET', '/organizations/users', as), 200, 'Users'));
      assert.ok(users.includes(a.owner.id) && !users.includes(b.owner.id));
      const all = ok(await call('GET', '/organizations/accounts/all', as), 200, 'AllAccounts');
      assert.deepEqual(all.organizationAccounts.map((entry: any) => entry.organization.metadata.id), [a.organization.id]);
    }
  });

  // ---- POST /organizations ----

  it('POST /organizations: a top-level organization the user owns, its one project named accountName and made active', async () => {
    const before = await team();
    const user = await createUserWithKey(server());
    await joinOrganization(server(), before.organization.id, user, 1);
    const name = `Created ${before.organization.id}`;
    const created = ok(await call('POST', '/organizations', { apiKey: secretOf(user) }, { organizationName: `  ${name} `, accountName: ' Production ', eulaAccepted: true }), 200, 'CreatedOrganization');
    const organizationId = created.organization.metadata.id;
    assert.deepEqual(created.organization, organizationResource({ id: organizationId, name }));
    assert.deepEqual([created.account.kind, created.account.metadata.name, created.account.metadata.displayName], ['Account', 'Production', 'Production']);
    assert.deepEqual(created.account.spec, {});
    assert.deepEqual(await projectIds(organizationId), [created.account.metadata.id], 'the Default project was renamed, not joined by another');
    assert.deepEqual(await memberLevels(organizationId), [[user.id, 15]]);
    assert.equal(await activeProjectOf(user), created.account.metadata.id);
    assert.equal((await v1('GET', `/organizations/${organizationId}`)).parentId, undefined, 'top level');
    assert.deepEqual(accountIds(ok(await call('GET', '/organizations/accounts', user.auth), 200, 'Accounts')), [created.account.metadata.id]);

    const byRoot = ok(await call('POST', '/organizations', { apiKey: ROOT_KEY }, { organizationName: `Root made ${organizationId}` }), 200, 'CreatedOrganization');
    assert.equal(byRoot.account.metadata.name, 'Default');
    assert.deepEqual(await memberLevels(byRoot.organization.metadata.id), [], 'root joins nothing');
  });

  it('POST /organizations refuses bad requests before creating anything', async () => {
    const { organization, admin } = await team();
    const user = await createUserWithKey(server());
    await joinOrganization(server(), organization.id, user, 1);
    const readOnly = await personalKey(user, { scopes: ['organization:read'] });
    const limited = await personalKey(user, { organizationIds: [organization.id] });
    const fresh = `Never created ${organization.id}`;
    await unchanged(async () => {
      const post = (body: unknown, as: As = user.auth) => call('POST', '/organizations', as, body);
      refused(await post({ organizationName: fresh, eulaAccepted: false }), 400, /eulaAccepted/);
      refused(await post({ accountName: 'x' }), 400, /body field organizationName is required/);
      refused(await post({ organizationName: fresh, bogus: 1 }), 400, /body field bogus is not a known field/);
      refused(await post({ organizationName: fresh, eulaAccepted: 'yes' }), 400, /eulaAccepted/);
      refused(await post({ organizationName: '   ' }), 400, /organizationName must not be blank/);
      refused(await post({ organizationName: fresh, accountName: '  ' }), 400, /accountName must not be blank/);
      refused(await post({ organizationName: 'x'.repeat(256) }), 400, /organizationName/);
      refused(await post(undefined), 400);
      refused(await post({ organizationName: organization.name.toUpperCase() }), 409, /already exists/);
      refused(await post({ organizationName: fresh, licenseKey: 'not a license' }), 400, /licenseKey|license/i);
      refused(await post({ organizationName: fresh }, admin.bearer), 403);
      refused(await post({ organizationName: fresh }, readOnly), 403, /organization:write/);
      refused(await post({ organizationName: fresh }, limited), 403, /limited/);
    });
  });

  it('POST /organizations with a licenseType this server cannot create: 400, and nothing is made', async () => {
    const { organization, owner } = await team();
    const [project] = await projectIds(organization.id);
    await activate(owner, project!);
    const name = `Typed ${organization.id}`;
    const before = await world();
    refused(await call('POST', '/organizations', owner.auth, { organizationName: name, licenseType: 'team' }), 400, /cannot create licenses/);
    await assertNothingMade(before, name);
    assert.equal(await activeProjectOf(owner), project);
    // PUT …/license with createLicenseType fails before writing anything.
    await unchanged(async () => {
      refused(await call('PUT', `/organizations/${organization.id}/license`, owner.auth, { createLicenseType: 'team' }), 400, /cannot create licenses/);
    });
  });

  // ---- verify, delete, metadata ----

  it('PUT /organizations/verify: valid when no top-level organization has the name, case-insensitively', async () => {
    const { organization, owner, admin } = await team();
    await childOf(organization.id, `Child name ${organization.id}`);
    const verify = async (name: string, as: As = owner.auth) => ok(await call('PUT', '/organizations/verify', as, { name }), 200, 'Verify').valid;
    assert.equal(await verify(organization.name), false);
    assert.equal(await verify(` ${organization.name.toLowerCase()} `), false);
    assert.equal(await verify(`Child name ${organization.id}`), true, 'a child\u2019s name is free at the top level');
    assert.equal(await verify(`Free ${organization.id}`), true);
    assert.equal(await verify(organization.name, 'root'), false);
    await unchanged(async () => {
      refused(await call('PUT', '/organizations/verify', owner.auth, {}), 400, /body field name is required/);
      refused(await call('PUT', '/organizations/verify', owner.auth, { name: 'x', displayName: 'y' }), 400, /displayName is not a known field/);
      refused(await call('PUT', '/organizations/verify', owner.auth, { name: '  ' }), 400, /must not be blank/);
      refused(await call('PUT', '/organizations/verify', admin.bearer, { name: 'x' }), 403);
    });
  });

  it('DELETE /organizations/{id}: admins delete the organization and its subtree (204)', async () => {
    const { organization, owner, admin, developer } = await team();
    const child = await childOf(organization.id, 'Doomed child');
    const member = await createUserWithKey(server());
    await joinOrganization(server(), organization.id, member, 1);
    await unchanged(async () => {
      refused(await call('DELETE', `/organizations/${organization.id}`, developer.bearer), 403);
      refused(await call('DELETE', `/organizations/${organization.id}`, member.auth), 403);
      refused(await call('DELETE', '/organizations/not-a-uuid', owner.auth), 400, /path parameter id must be a UUID/);
    });
    ok(await call('DELETE', `/organizations/${organization.id.toUpperCase()}`, { apiKey: admin.keySecret }), 204);
    for (const id of [organization.id, child.id]) {
      const gone = await server().request({ method: 'GET', url: `/v1/organizations/${id}`, auth: 'root' });
      assert.equal(gone.status, 404);
    }
    assert.deepEqual(ok(await call('GET', '/organizations', owner.auth), 200, 'Organizations'), { organizations: [] });
  });

  it('PATCH /organizations/{id}/metadata renames the organization: 200 with no body', async () => {
    const { organization, owner, developer } = await team();
    const other = await team();
    const renamed = `Renamed ${organization.id}`;
    const response = await call('PATCH', `/organizations/${organization.id}/metadata`, owner.auth, { name: ` ${renamed} ` });
    ok(response, 200);
    assert.equal(response.headers['content-length'], '0');
    assert.equal((await v1('GET', `/organizations/${organization.id}`)).name, renamed);
    assert.equal(ok(await call('GET', `/organizations/${encodeURIComponent(renamed.toUpperCase())}`, owner.auth), 200, 'OrganizationByName').organization.metadata.id, organization.id);
    await unchanged(async () => {
      const patch = (body: unknown, as: As = owner.auth, id = organization.id) => call('PATCH', `/organizations/${id}/metadata`, as, body);
      refused(await patch({}), 400, /body field name is required/);
      refused(await patch({ name: 'x', displayName: 'y' }), 400, /displayName is not a known field/);
      refused(await patch({ name: ' ' }), 400, /must not be blank/);
      refused(await patch({ name: other.organization.name }), 409, /already exists/);
      refused(await patch({ name: 'x' }, developer.bearer), 403);
      refused(await patch({ name: 'x' }, owner.auth, 'nope'), 400, /path parameter id/);
    });
  });

  // ---- GET /organizations/{name} and the fixed paths ----

  it('GET /organizations/{name}: case-insensitive among the caller\u2019s organizations; two of that name are a 409', async () => {
    const a = await team();
    const b = await team();
    const user = await createUserWithKey(server());
    const shared = `Shared ${a.organization.id}`;
    const first = await childOf(a.organization.id, shared);
    const second = await childOf(b.organization.id, shared);
    await joinOrganization(server(), first.id, user, 1);
    const found = ok(await call('GET', `/organizations/${encodeURIComponent(shared.toLowerCase())}`, user.auth), 200, 'OrganizationByName');
    assert.deepEqual(found, { organization: organizationResource({ id: first.id, name: shared }) });
    await joinOrganization(server(), second.id, user, 1);
    refused(await call('GET', `/organizations/${encodeURIComponent(shared)}`, user.auth), 409, new RegExp(`${first.id}.*${second.id}|${second.id}.*${first.id}`));
    refused(await call('GET', `/organizations/${encodeURIComponent(shared)}`, a.admin.bearer), 404, /No organization named/);
    assert.equal(ok(await call('GET', `/organizations/${encodeURIComponent(a.organization.name)}`, a.admin.bearer), 200, 'OrganizationByName').organization.metadata.id, a.organization.id);
    refused(await call('GET', `/organizations/${encodeURIComponent(b.organization.name)}`, a.admin.bearer), 404);
  });

  it('fixed paths win over {name}: organizations named accounts, projects, users or verify are reached through their ids', async () => {
    const user = await createUserWithKey(server());
    const reserved: Record<string, { id: string; name: string }> = {};
    for (const name of ['accounts', 'projects', 'Users', 'verify']) {
      reserved[name] = await createOrganization(server(), name);
      await joinOrganization(server(), reserved[name]!.id, user, 15);
    }
    const accountsOrg = reserved.accounts!;
    await activate(user, (await projectIds(accountsOrg.id))[0]!);
    const accounts = ok(await call('GET', '/organizations/accounts', user.auth), 200, 'Accounts');
    assert.deepEqual(accountIds(accounts), await projectIds(accountsOrg.id));
    assert.ok(accounts.accounts.every((account: any) => account.kind === 'Account'));
    ok(await call('GET', '/organizations/projects', user.auth), 200, 'Accounts');
    assert.equal(userIds(ok(await call('GET', '/organizations/users', user.auth), 200, 'Users')).length, 1);
    for (const path of ['verify', 'Verify', 'ACCOUNTS', 'Users']) {
      refused(await call('GET', `/organizations/${path}`, user.auth), 404, /is a fixed path/);
    }
    assert.deepEqual(ok(await call('PUT', '/organizations/verify', user.auth, { name: 'verify' }), 200, 'Verify'), { valid: false });
    const listed = ok(await call('GET', '/organizations', user.auth), 200, 'Organizations');
    assert.deepEqual(sorted(listed.organizations.map((o: any) => o.metadata.name)), sorted(Object.keys(reserved)));
    ok(await call('PATCH', `/organizations/${reserved.verify!.id}/metadata`, user.auth, { name: 'verify' }), 200);
    ok(await call('DELETE', `/organizations/${reserved.verify!.id}`, user.auth), 204);
    ok(await call('DELETE', `/organizations/${reserved.Users!.id}`, user.auth), 204);
    assert.deepEqual(
      sorted(ok(await call('GET', '/organizations', user.auth), 200, 'Organizations').organizations.map((o: any) => o.metadata.name)),
      ['accounts', 'projects'],
    );
  });
});

// ---- licenses: a server that trusts an issuing key made here, and creates licenses of types ----

const trusted = generateKeyPairSync('ed25519');
const stranger = generateKeyPairSync('ed25519');
const signing = generateKeyPairSync('ed25519');
const keyDir = mkdtempSync(join(tmpdir(), 'orgbase-bindplane-'));
const signingFile = join(keyDir, 'server-1.private.pem');
writeFileSync(signingFile, signing.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
after(() => rmSync(keyDir, { recursive: true, force: true }));

const LICENSE_ENV = {
  ORGBASE_LICENSE_PUBLIC_KEYS: JSON.stringify({ 'ops-1': licensePublicKeyX(trusted.publicKey) }),
  ORGBASE_LICENSE_SIGNING_KEY: signingFile,
  ORGBASE_LICENSE_SIGNING_KID: 'server-1',
  ORGBASE_LICENSE_TYPES: JSON.stringify({
    growth: { limits: { members: 5, projects: 3 }, features: ['sso'], days: 30 },
    cramped: { limits: { projects: 0 }, days: 1 },
  }),
};

for (const database of testDatabases()) {
  describe(`Bindplane licenses [${database.kind}]`, () => {
    let server: TestServer | undefined;
    before(async () => {
      server = await startServer(database, { env: LICENSE_ENV });
    });
    after(async () => server?.close());
    const current = () => {
      if (!server) throw new Error('server not started');
      return server;
    };
    const { call, ok, refused, unchanged, world, assertNothingMade, team, v1, projectIds, activeProjectOf, activate } = harness(current);

    const issue = (grant: Partial<LicenseGrant> = {}, signer = trusted.privateKey) =>
      issueLicense({
        privateKey: signer,
        kid: 'ops-1',
        claims: { licenseType: 'team', limits: {}, features: [], exp: new Date(current().clock.now().getTime() + 30 * DAY), ...grant },
        clock: current().clock,
        ids: systemIds,
      });
    /** The installed license (type, and the organization it is bound to), or null. */
    const licenseOf = async (organizationId: string): Promise<{ type: string; boundTo: string | null } | null> => {
      const response = await current().request({ method: 'GET', url: `/v1/organizations/${organizationId}/license`, auth: 'root' });
      if (response.status === 404) return null;
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return { type: response.body.result.licenseType, boundTo: response.body.result.boundTo };
    };
    const licenseTypeOf = async (organizationId: string) => (await licenseOf(organizationId))?.type ?? null;

    it('PUT /organization-license installs on the current organization: an organization key\u2019s, a personal key\u2019s active one', async () => {
      const a = await team();
      const b = await team();
      ok(await call('PUT', '/organization-license', { apiKey: a.admin.keySecret }, { licenseKey: await issue({ licenseType: 'enterprise' }) }), 204);
      assert.equal(await licenseTypeOf(a.organization.id), 'enterprise');
      assert.equal(await licenseTypeOf(b.organization.id), null);

      const user = await createUserWithKey(current());
      await joinOrganization(current(), a.organization.id, user, 8);
      await joinOrganization(current(), b.organization.id, user, 8);
      await activate(user, (await projectIds(b.organization.id))[0]!);
      ok(await call('PUT', '/organization-license', user.auth, { licenseKey: await issue({ licenseType: 'growth' }) }), 204);
      assert.deepEqual([await licenseTypeOf(a.organization.id), await licenseTypeOf(b.organization.id)], ['enterprise', 'growth']);
      await activate(user, (await projectIds(a.organization.id))[0]!);
      ok(await call('PUT', '/organization-license', user.auth, { licenseKey: await issue({ licenseType: 'free' }) }), 204);
      assert.deepEqual([await licenseTypeOf(a.organization.id), await licenseTypeOf(b.organization.id)], ['free', 'growth']);
    });

    it('PUT /organization-license refuses invalid keys (400), limits below usage (409), non-admins (403), and changes nothing', async () => {
      const { organization, admin, developer } = await team();
      const bound = await issue({ sub: (await team()).organization.id });
      const expiring = await issue({ exp: new Date(current().clock.now().getTime() + DAY) });
      const foreign = await issue({}, stranger.privateKey);
      const small = await issue({ limits: { members: 0 } });
      await unchanged(async () => {
        const put = (body: unknown, as: As = admin.bearer) => call('PUT', '/organization-license', as, body);
        refused(await put({ licenseKey: 'not a license' }), 400, /License key is not a compact JWS/);
        refused(await put({ licenseKey: foreign }), 400, /signature/i);
        refused(await put({ licenseKey: bound }), 400, /this license is for organization/);
        refused(await put({ licenseKey: small }), 409, /members: the license allows 0, the organization has 1/);
        refused(await put({}), 400, /body field licenseKey is required/);
        refused(await put({ licenseKey: '' }), 400, /licenseKey must not be empty/);
        refused(await put({ licenseKey: small, extra: true }), 400, /extra is not a known field/);
        refused(await put({ licenseKey: small, createLicenseType: 'growth' }), 400, /createLicenseType is not a known field/);
        refused(await put({ licenseKey: await issue() }, developer.bearer), 403);
        current().clock.advance(2 * DAY);
        try {
          refused(await put({ licenseKey: expiring }), 400, /expired/i);
        } finally {
          current().clock.advance(-2 * DAY);
        }
      });
      assert.equal(await licenseOf(organization.id), null);
    });

    it('PUT /organizations/{id}/license: a key (which wins over createLicenseType), or a license the server creates of a type', async () => {
      const { organization, owner, admin, developer } = await team();
      const other = await team();
      ok(await call('PUT', `/organizations/${organization.id}/license`, { apiKey: admin.keySecret }, { createLicenseType: 'growth' }), 204);
      assert.deepEqual(await licenseOf(organization.id), { type: 'growth', boundTo: organization.id });
      ok(await call('PUT', `/organizations/${organization.id}/license`, owner.auth, { licenseKey: await issue({ licenseType: 'enterprise' }), createLicenseType: 'growth' }), 204);
      assert.deepEqual(await licenseOf(organization.id), { type: 'enterprise', boundTo: null });
      // The operator's license is not the admins' to replace with a self-service type.
      refused(await call('PUT', `/organizations/${organization.id}/license`, { apiKey: admin.keySecret }, { createLicenseType: 'growth' }), 403, /only the operator may replace it/);
      ok(await call('PUT', `/organizations/${organization.id}/license`, 'root', { createLicenseType: 'growth' }), 204);
      assert.deepEqual(await licenseOf(organization.id), { type: 'growth', boundTo: organization.id });
      await unchanged(async () => {
        const put = (body: unknown, as: As = admin.bearer, id = organization.id) => call('PUT', `/organizations/${id}/license`, as, body);
        refused(await put({}), 400, /licenseKey or createLicenseType/);
        refused(await put({ createLicenseType: 'platinum' }), 400, /License type "platinum" is not configured; the types are: growth, cramped/);
        refused(await put({ createLicenseType: 'cramped' }), 409, /projects: the license allows 0, the organization has 1/);
        refused(await put({ createLicenseType: 'growth' }, developer.bearer), 403);
        refused(await put({ licenseKey: await issue() }, admin.bearer, other.organization.id), 404);
        refused(await put({ createLicenseType: 'growth' }, admin.bearer, other.organization.id), 404);
        refused(await put({ licenseKey: await issue(), secretKey: 'x' }), 400, /secretKey is not a known field/);
        refused(await put({ licenseKey: await issue() }, admin.bearer, 'nope'), 400, /path parameter id/);
      });
      assert.deepEqual(await licenseOf(other.organization.id), null);
    });

    it('POST /organizations installs a license key (which wins over licenseType) or creates one of licenseType', async () => {
      const user = await createUserWithKey(current());
      const created = ok(await call('POST', '/organizations', user.auth, {
        organizationName: `Licensed ${user.id}`,
        licenseKey: await issue({ licenseType: 'enterprise', limits: { members: 1, projects: 1 } }),
        licenseType: 'growth',
      }), 200, 'CreatedOrganization');
      assert.deepEqual(await licenseOf(created.organization.metadata.id), { type: 'enterprise', boundTo: null }, 'the key wins over licenseType');
      assert.equal(await activeProjectOf(user), created.account.metadata.id);

      const typed = ok(await call('POST', '/organizations', { apiKey: (user.auth as { bearer: string }).bearer }, { organizationName: `Typed ${user.id}`, licenseType: 'growth', accountName: 'Main' }), 200, 'CreatedOrganization');
      assert.deepEqual(await licenseOf(typed.organization.metadata.id), { type: 'growth', boundTo: typed.organization.metadata.id });
      assert.equal(typed.account.metadata.name, 'Main');
      assert.equal(await activeProjectOf(user), typed.account.metadata.id);

      const byRoot = ok(await call('POST', '/organizations', 'root', { organizationName: `Root licensed ${user.id}`, licenseKey: await issue({ limits: { members: 0 } }) }), 200, 'CreatedOrganization');
      assert.equal(await licenseTypeOf(byRoot.organization.metadata.id), 'team', 'root joins nothing: a limit of no members fits');
    });

    it('POST /organizations refuses a license key that cannot fit a new organization before creating anything', async () => {
      const user = await createUserWithKey(current());
      const bound = await issue({ sub: (await team()).organization.id });
      const expiring = await issue({ exp: new Date(current().clock.now().getTime() + DAY) });
      await unchanged(async () => {
        const post = async (licenseKey: string) => call('POST', '/organizations', user.auth, { organizationName: `Refused ${user.id}`, licenseKey });
        refused(await post(bound), 400, /this license is for organization/);
        refused(await post(await issue({ limits: { projects: 0 } })), 409, /below what the organization has: projects: the license allows 0, the organization has 1/);
        refused(await post(await issue({ limits: { members: 0 } })), 409, /members: the license allows 0, the organization has 1/);
        refused(await post(await issue({}, stranger.privateKey)), 400, /signature/i);
        current().clock.advance(2 * DAY);
        try {
          refused(await post(expiring), 400, /expired/i);
        } finally {
          current().clock.advance(-2 * DAY);
        }
      });
    });

    it('POST /organizations is one transaction: a step failing after the inserts leaves nothing, and the user\u2019s active project alone', async () => {
      const { organization, owner } = await team();
      const [project] = await projectIds(organization.id);
      await activate(owner, project!);

      // An unknown type fails before writing; a type whose limits do not fit fails inside the transaction, after the inserts.
      for (const [licenseType, status, message] of [['platinum', 400, /not configured/], ['cramped', 409, /projects: the license allows 0/]] as const) {
        const name = `Half made ${licenseType} ${organization.id}`;
        const before = await world();
        refused(await call('POST', '/organizations', owner.auth, { organizationName: name, accountName: 'Prod', licenseType }), status, message);
        await assertNothingMade(before, name);
        assert.equal(await activeProjectOf(owner), project);
      }

      const name = `Half made ${organization.id}`;
      assert.deepEqual(organizationIds(ok(await call('GET', '/organizations', owner.auth), 200, 'Organizations')), [organization.id]);
      const retried = ok(await call('POST', '/organizations', owner.auth, { organizationName: name, licenseKey: await issue() }), 200, 'CreatedOrganization');
      assert.equal((await v1('GET', `/organizations/${retried.organization.metadata.id}`)).name, name);
    });
  });
}
