/**
 * The Locktera-compatible surface (`/orgs/…`, `/org`, `/service_status`): every success body is
 * checked against Locktera's schemas (test/contracts/locktera.ts), every refusal is
 * `{message, code, fields}` with its status, and every refused change is checked to have changed
 * nothing in the database.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { issueLicense, licensePublicKeyX } from '../src/domain/licenses/license-token.js';
import { systemIds } from '../src/ids.js';
import { assertLockteraError, assertMatchesLocktera, matchesLocktera, type LockteraSchema } from './contracts/locktera.js';
import { createKey, createOrganization, createUserWithKey, joinOrganization, createTeam, v1Result } from './helpers/fixtures.js';
import { testDatabases } from './helpers/databases.js';
import { onEachDatabase, startServer, type ApiResponse, type Auth, type TestServer } from './helpers/server.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

const DAY = 86_400_000;
const UUID_A = '0190a8b0-0000-7000-8000-00000000000a';
const MISSING = '0190a8b0-0000-7000-8000-000000000000';

/** Requests, fixtures and checks over one server (shared by the suites below). */
function harness(server: () => TestServer) {
  const call = (method: Method, url: string, auth?: Auth, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse> =>
    server().request({ method, url, ...(auth !== undefined && { auth }), ...(body !== undefined && { body }), ...(headers && { headers }) });

  /** A success: the status and a body valid against the contract (no schema: no body at all). */
  function ok(response: ApiResponse, status: 200 | 201 | 204, schema?: LockteraSchema): any {
    assert.equal(response.status, status, `${response.status}: ${response.raw.body}`);
    if (schema === undefined) {
      assert.equal(response.raw.body, '', 'no body');
      return undefined;
    }
    assertMatchesLocktera(schema, response.body);
    return response.body;
  }

  /** A refusal: the status, Locktera's error body, and the fields it names (none: no `fields`). */
  function refused(response: ApiResponse, status: number, fields: string[] = []): any {
    assert.equal(response.status, status, response.raw.body);
    assertLockteraError(status, response.body);
    assert.deepEqual(Object.keys(response.body.fields ?? {}), fields, JSON.stringify(response.body));
    return response.body;
  }

  /** Everything a request here could change, read from the database. */
  async function world() {
    const db = server().database.db;
    return {
      organizations: await db.selectFrom('organizations').select(['id', 'name', 'parent_id', 'deleted_at', 'customizations']).orderBy('id').execute(),
      users: await db.selectFrom('users').select(['id', 'email', 'first_name', 'last_name']).orderBy('id').execute(),
      memberships: await db.selectFrom('memberships').select(['organization_id', 'user_id', 'level']).orderBy('organization_id').orderBy('user_id').execute(),
      keys: await db.selectFrom('api_keys').select(['id', 'organization_id', 'name', 'roles', 'state']).orderBy('id').execute(),
      activities: (await db.selectFrom('activities').select(['id']).execute()).length,
    };
  }
  async function unchanged(attempts: () => Promise<void>): Promise<void> {
    const before = await world();
    await attempts();
    assert.deepEqual(await world(), before, 'refused requests change nothing');
  }

  const team = (name?: string) => createTeam(server(), name);

  const v1 = (method: Method, url: string, body?: unknown, auth: Auth = 'root') => v1Result(server(), method, url, body, auth);
  const members = async (organizationId: string): Promise<any[]> => v1('GET', `/organizations/${organizationId}/members?limit=1000`);
  const childIds = async (organizationId: string): Promise<string[]> =>
    (await v1('GET', `/organizations/${organizationId}/children?limit=1000`)).map((child: any) => child.id);

  /** Every route on one organization, with a body that would succeed for its admin. */
  const routes = (orgId: string, keyId: string): [Method, string, unknown?][] => [
    ['GET', `/orgs/${orgId}`],
    ['PATCH', `/orgs/${orgId}`, { org_name: 'Renamed' }],
    ['DELETE', `/orgs/${orgId}`],
    ['POST', `/orgs/${orgId}/children`, { org_name: 'Child', email: 'child-owner@example.com' }],
    ['GET', `/orgs/${orgId}/access_log`],
    ['GET', `/orgs/${orgId}/children_audit`],
    ['GET', `/orgs/${orgId}/consumption`],
    ['GET', `/orgs/${orgId}/customizations`],
    ['PUT', `/orgs/${orgId}/customizations`, { theme: 'dark' }],
    ['GET', `/orgs/${orgId}/api_keys`],
    ['POST', `/orgs/${orgId}/api_keys`, { name: 'k', permissions: ['read'] }],
    ['DELETE', `/orgs/${orgId}/api_keys/${keyId}`],
  ];

  return { call, ok, refused, world, unchanged, team, v1, members, childIds, routes };
}

onEachDatabase('Locktera surface', (server) => {
  const { call, ok, refused, unchanged, team, v1, members, childIds, routes } = harness(server);
  const flushAccessLog = () => server().orgbase.services.accessLog.flush();

  // ---- contract ----

  it('the contract accepts Locktera\u2019s shapes with Orgbase\u2019s extensions and refuses anything else', () => {
    const org = { id: UUID_A, org_name: 'Acme', root_org_id: UUID_A, created_at: '2025-01-01T00:00:00.000Z', customizations: {} };
    assert.ok(matchesLocktera('Org', org));
    assert.ok(matchesLocktera('Org', { ...org, parent_org_id: MISSING, role: 'group' }), 'L1 fields stay allowed');
    for (const broken of [{ ...org, name: 'Acme' }, { ...org, id: 'org-123' }, { ...org, parent_org_id: null }, { ...org, role: 'boss' }, { id: UUID_A, org_name: 'Acme' }]) {
      assert.ok(!matchesLocktera('Org', broken), JSON.stringify(broken));
    }
    const access = { org_id: UUID_A, timestamp: '2025-01-01T00:00:00Z', user: 'u', action: 'login', ip: '::1', status: 'SUCCESS', credential_kind: 'organization_key' };
    assert.ok(matchesLocktera('AccessLogList', [access, { ...access, ip: '10.0.0.1', action: 'login_failed', status: 'FAILURE' }]));
    for (const broken of [{ ...access, action: 'LOGIN' }, { ...access, ip: 'somewhere' }, { ...access, secret: 'x' }, { ...access, status: undefined }]) {
      assert.ok(!matchesLocktera('AccessLogList', [broken]), JSON.stringify(broken));
    }
    assert.ok(!matchesLocktera('AccessLogList', access), 'a list is an array');
    const audit = { action: 'update', org_id: UUID_A, admin_id: 'root', timestamp: '2025-01-01T00:00:00Z', old_data: { name: 'a' }, new_data: { name: 'b' }, type: 'organization_update_name' };
    assert.ok(matchesLocktera('AuditLogList', [audit]));
    for (const broken of [{ ...audit, action: 'rename' }, { ...audit, old_data: 'a' }, { ...audit, type: undefined }]) assert.ok(!matchesLocktera('AuditLogList', [broken]));
    const key = { key_id: UUID_A, org_id: UUID_A, name: 'k', created_at: '2025-01-01T00:00:00Z', permissions: ['read'] };
    assert.ok(matchesLocktera('ApiKeyList', [key]));
    assert.ok(!matchesLocktera('ApiKeyList', [{ ...key, api_key: 'x'.repeat(40) }]), 'a list never carries a secret');
    assert.ok(!matchesLocktera('ApiKey', { ...key, permissions: ['admin'] }));
    assert.ok(matchesLocktera('CreatedApiKey', { ...key, api_key: 'x'.repeat(40) }));
    assert.ok(!matchesLocktera('CreatedApiKey', key));
    assert.ok(matchesLocktera('Consumption', { org_id: UUID_A, month: '2024-09', api_calls: 3, storage_used: 1.5 }));
    for (const broken of [{ org_id: UUID_A, month: '2024-9', api_calls: 3, storage_used: 0 }, { org_id: UUID_A, month: '2024-09', api_calls: 1.5, storage_used: 0 }, { org_id: UUID_A, month: '2024-09', api_calls: 1 }]) {
      assert.ok(!matchesLocktera('Consumption', broken), JSON.stringify(broken));
    }
    assert.ok(matchesLocktera('ServiceStatus', { api: 'up', auth: 'up', storage: 'down' }));
    assert.ok(!matchesLocktera('ServiceStatus', { api: 'up', auth: 'up', storage: 'Operational' }));
    assert.ok(!matchesLocktera('ServiceStatus', { status: 'Operational', services: {} }));
    assert.ok(matchesLocktera('Customization', { theme: 'dark', nested: { a: [1] } }));
    for (const broken of [['dark'], 'dark', null]) assert.ok(!matchesLocktera('Customization', broken));
    assert.ok(matchesLocktera('Error', { message: 'm', code: 400, fields: { email: 'bad' } }));
    for (const broken of [{ message: 'm', code: '400' }, { message: 'm' }, { error: 'm', code: 400 }, { message: 'm', code: 400, fields: {} }, { message: 'm', code: 400, detail: 'x' }]) {
      assert.ok(!matchesLocktera('Error', broken), JSON.stringify(broken));
    }
  });

  it('every route answers in Locktera\u2019s shapes', async () => {
    const { organization, owner, admin } = await team();
    const org = ok(await call('GET', `/orgs/${organization.id}`, admin.bearer), 200, 'Org');
    assert.deepEqual(Object.keys(org).sort(), ['created_at', 'customizations', 'id', 'org_name', 'root_org_id']);
    assert.equal(org.id, organization.id);
    assert.equal(org.org_name, organization.name);
    assert.equal(org.root_org_id, organization.id, 'a top-level organization is its own root');
    assert.deepEqual(org.customizations, {});
    assert.deepEqual(ok(await call('GET', '/org', admin.bearer), 200, 'Org'), org);

    const patched = ok(await call('PATCH', `/orgs/${organization.id}`, admin.bearer, { org_name: `${organization.name} 2`, customizations: { theme: 'dark' } }), 200, 'Org');
    assert.deepEqual(patched, { ...org, org_name: `${organization.name} 2`, customizations: { theme: 'dark' } });
    assert.deepEqual(ok(await call('GET', `/orgs/${organization.id}/customizations`, admin.bearer), 200, 'Customization'), { theme: 'dark' });
    const replaced = { theme: 'light', logo_url: 'https://example.com/logo.png', branding_color: '#0047AB' };
    assert.deepEqual(ok(await call('PUT', `/orgs/${organization.id}/customizations`, admin.bearer, replaced), 200, 'Customization'), replaced);

    const provisioned = await call('POST', `/orgs/${organization.id}/children`, admin.bearer, { org_name: 'Team A', email: `a-${organization.id}@example.com` });
    ok(provisioned, 204);
    const childId = String(provisioned.headers.location).replace('/orgs/', '');
    const child = ok(await call('GET', String(provisioned.headers.location), admin.bearer), 200, 'Org');
    assert.deepEqual(child, { id: childId, org_name: 'Team A', root_org_id: organization.id, parent_org_id: organization.id, created_at: child.created_at, customizations: {} });

    const audit = ok(await call('GET', `/orgs/${organization.id}/children_audit`, admin.bearer), 200, 'AuditLogList');
    assert.ok(audit.length >= 3, JSON.stringify(audit));
    assert.ok(audit.every((entry: any) => entry.org_id === childId), 'the children\u2019s trail, not the organization\u2019s own');
    await flushAccessLog();
    const access = ok(await call('GET', `/orgs/${organization.id}/access_log`, admin.bearer), 200, 'AccessLogList');
    assert.ok(access.some((entry: any) => entry.user === admin.id && entry.action === 'login'), JSON.stringify(access));
    const consumption = ok(await call('GET', `/orgs/${organization.id}/consumption?month=2024-09`, admin.bearer), 200, 'Consumption');
    assert.deepEqual(consumption, { org_id: organization.id, month: '2024-09', api_calls: 0, storage_used: 0 });
    ok(await call('GET', `/orgs/${organization.id}/consumption`, owner.auth), 200, 'Consumption');

    const created = ok(await call('POST', `/orgs/${organization.id}/api_keys`, admin.bearer, { name: 'ci', permissions: ['read', 'write'] }), 201, 'CreatedApiKey');
    const keys = ok(await call('GET', `/orgs/${organization.id}/api_keys`, admin.bearer), 200, 'ApiKeyList');
    const { api_key: _secret, ...listed } = created;
    assert.deepEqual(keys.find((key: any) => key.key_id === created.key_id), listed);
    ok(await call('DELETE', `/orgs/${organization.id}/api_keys/${created.key_id}`, admin.bearer), 204);
    ok(await call('DELETE', `/orgs/${childId}`, admin.bearer), 204);
    assert.deepEqual(ok(await call('GET', '/service_status'), 200, 'ServiceStatus'), { api: 'up', auth: 'up', storage: 'up' });
  });

  // ---- authentication ----

  it('Bearer only: organization, personal and root keys; the root key has no current organization', async () => {
    const { organization, owner, admin } = await team();
    for (const auth of [admin.bearer, owner.auth, 'root'] as Auth[]) {
      assert.equal(ok(await call('GET', `/orgs/${organization.id}`, auth), 200, 'Org').id, organization.id);
    }
    assert.equal(ok(await call('GET', '/org', owner.auth), 200, 'Org').id, organization.id, 'a personal key: its user\u2019s active project\u2019s organization');
    const root = refused(await call('GET', '/org', 'root'), 400);
    assert.deepEqual(root, { message: 'The root key belongs to no organization, so this route has nothing to act on: use GET /orgs/{org_id}.', code: 400 });
    const loner = await createUserWithKey(server());
    refused(await call('GET', '/org', loner.auth), 404);
  });

  it('no credential, an unknown key, another scheme, a disabled key: 401 with the golden body, before any validation', async () => {
    const { organization, admin } = await team();
    await unchanged(async () => {
      const missing = await call('PATCH', `/orgs/not-a-uuid`, undefined, { bogus: true });
      assert.deepEqual(refused(missing, 401), { message: 'Missing API key: send Authorization: Bearer <API_KEY>.', code: 401 });
      assert.equal(missing.headers['www-authenticate'], 'Bearer realm="locktera"');
      const basic = await call('GET', `/orgs/${organization.id}`, admin.basic);
      assert.deepEqual(refused(basic, 401), { message: 'Unsupported Authorization scheme: send Authorization: Bearer <API_KEY>.', code: 401 });
      const unknown = await call('GET', `/orgs/${organization.id}`, { bearer: 'not-a-key' });
      assert.deepEqual(refused(unknown, 401), { message: 'Authentication failed: unknown API key or wrong secret.', code: 401 });
      assert.deepEqual(refused(await call('GET', `/orgs/${organization.id}`, { header: 'Bearer' }), 401), {
        message: 'Malformed Authorization header: Bearer needs an API key.',
        code: 401,
      });
      for (const auth of [{ header: 'Token abc' }, { header: '   ' }, { bearer: admin.keyId }] as Auth[]) {
        refused(await call('GET', `/orgs/${organization.id}/api_keys`, auth), 401);
      }
    });
    await v1('PATCH', `/organizations/${organization.id}/keys/${admin.id}`, { state: 'disabled' });
    refused(await call('GET', '/org', admin.bearer), 401);
  });

  it('service_status is public and checks storage; unknown paths under the surface are Locktera 404s, elsewhere not', async () => {
    for (const auth of [undefined, { bearer: 'not-a-key' }, { header: 'Basic x' }] as (Auth | undefined)[]) {
      assert.deepEqual(ok(await call('GET', '/service_status', auth), 200, 'ServiceStatus'), { api: 'up', auth: 'up', storage: 'up' });
    }
    refused(await call('GET', '/service_status/details'), 404);
    refused(await call('POST', '/service_status'), 404);
    const { organization, admin } = await team();
    assert.deepEqual(refused(await call('GET', `/orgs/${organization.id}/tags`, admin.bearer), 404), { message: `Route GET /orgs/${organization.id}/tags not found.`, code: 404 });
    refused(await call('GET', '/orgs', admin.bearer), 404);
    refused(await call('GET', '/org/extra', admin.bearer), 404);
    // Other surfaces keep their own 404s.
    const native = await call('GET', '/v1/nowhere', admin.basic);
    assert.equal(native.status, 404);
    assert.deepEqual(Object.keys(native.body).sort(), ['code', 'error', 'requestId', 'status']);
    const outside = await call('GET', '/orgsx', admin.bearer);
    assert.equal(outside.status, 404);
    assert.ok('requestId' in outside.body, 'a path that only starts like /orgs is not Locktera\u2019s');
    const posthog = await call('GET', '/api/nowhere/', admin.bearer);
    assert.deepEqual(Object.keys(posthog.body).sort(), ['attr', 'code', 'detail', 'type']);
  });

  // ---- validation ----

  it('bad input is a 400 naming the field in Locktera\u2019s spelling, and changes nothing', async () => {
    const { organization, admin } = await team();
    const id = organization.id;
    await unchanged(async () => {
      assert.deepEqual(refused(await call('GET', '/orgs/org-123', admin.bearer), 400, ['org_id']), {
        message: 'path parameter org_id must be a UUID',
        code: 400,
        fields: { org_id: 'path parameter org_id must be a UUID' },
      });
      refused(await call('DELETE', `/orgs/${id}/api_keys/key-1`, admin.bearer), 400, ['key_id']);
      refused(await call('PATCH', `/orgs/${id}`, admin.bearer, { colour: 'blue' }), 400, ['colour']);
      refused(await call('PATCH', `/orgs/${id}`, admin.bearer, { org_name: '' }), 400, ['org_name']);
      refused(await call('PATCH', `/orgs/${id}`, admin.bearer, { org_name: '   ' }), 400, ['org_name']);
      refused(await call('PATCH', `/orgs/${id}`, admin.bearer, { name: '   ' }), 400, ['name']);
      assert.deepEqual(refused(await call('PATCH', `/orgs/${id}`, admin.bearer, { org_name: 'A', name: 'B' }), 400, ['name']).fields, {
        name: 'name: org_name and name are the same field; they must be equal when both are given.',
      });
      refused(await call('PATCH', `/orgs/${id}`, admin.bearer, { parent_org_id: 'top' }), 400, ['parent_org_id']);
      refused(await call('PATCH', `/orgs/${id}`, admin.bearer, { customizations: 'dark' }), 400, ['customizations']);
      refused(await call('PUT', `/orgs/${id}/customizations`, admin.bearer, ['dark']), 400);
      refused(await call('POST', `/orgs/${id}/children`, admin.bearer, { org_name: 'C' }), 400, ['email']);
      refused(await call('POST', `/orgs/${id}/children`, admin.bearer, { org_name: 'C', email: 'not-an-email' }), 400, ['email']);
      refused(await call('POST', `/orgs/${id}/children`, admin.bearer, { org_name: 'C', email: 'c@example.com', role: 'boss' }), 400, ['role']);
      refused(await call('POST', `/orgs/${id}/api_keys`, admin.bearer, { name: 'k' }), 400, ['permissions']);
      refused(await call('POST', `/orgs/${id}/api_keys`, admin.bearer, { name: 'k', permissions: ['admin'] }), 400, ['permissions[0]']);
      refused(await call('POST', `/orgs/${id}/api_keys`, admin.bearer, { name: 'k', permissions: [] }), 400, ['permissions']);
      refused(await call('POST', `/orgs/${id}/api_keys`, admin.bearer, { name: '   ', permissions: ['read'] }), 400, ['name']);
      for (const query of ['page=0', 'limit=0', 'limit=101', 'page=x', 'start=yesterday', 'end=2025-13-01T00:00:00Z', 'cursor=abc', 'offset=3', 'from=2025-01-01T00:00:00Z']) {
        const field = query.split('=')[0]!;
        refused(await call('GET', `/orgs/${id}/access_log?${query}`, admin.bearer), 400, [field]);
        refused(await call('GET', `/orgs/${id}/children_audit?${query}`, admin.bearer), 400, [field]);
      }
      refused(await call('GET', `/orgs/${id}/access_log?start=2025-02-01T00:00:00Z&end=2025-01-01T00:00:00Z`, admin.bearer), 400, ['start']);
      refused(await call('GET', `/orgs/${id}/children_audit?start=2025-02-01T00:00:00Z&end=2025-01-01T00:00:00Z`, admin.bearer), 400, ['start']);
      refused(await call('GET', `/orgs/${id}/api_keys?start=2025-01-01T00:00:00Z`, admin.bearer), 400, ['start']);
      for (const month of ['2024-13', '2024-9', 'september', '1969-12']) refused(await call('GET', `/orgs/${id}/consumption?month=${month}`, admin.bearer), 400, ['month']);
    });
  });

  // ---- isolation and permissions ----

  it('another tenant\u2019s key gets 404 on every route, and nothing changes', async () => {
    const { organization, admin } = await team();
    const stranger = await team();
    await unchanged(async () => {
      for (const [method, url, body] of routes(organization.id, admin.id)) {
        for (const auth of [stranger.admin.bearer, stranger.owner.auth] as Auth[]) {
          assert.deepEqual(refused(await call(method, url, auth, body), 404), { message: `Organization ${organization.id} not found.`, code: 404 }, `${method} ${url}`);
        }
      }
      // Another organization's key is never found under this organization's id either.
      refused(await call('DELETE', `/orgs/${organization.id}/api_keys/${stranger.admin.id}`, admin.bearer), 404);
      // A missing organization reads the same for root.
      for (const [method, url, body] of routes(MISSING, admin.id)) {
        if (method === 'POST' && url.endsWith('/children')) continue; // below
        refused(await call(method, url, 'root', body), 404);
      }
      refused(await call('POST', `/orgs/${MISSING}/children`, 'root', { org_name: 'C', email: 'c@example.com' }), 404);
    });
  });

  it('a read-only key reads and gets 403 on every change; a member\u2019s personal key too', async () => {
    const { organization, admin, developer } = await team();
    const member = await createUserWithKey(server());
    await joinOrganization(server(), organization.id, member, 1);
    await unchanged(async () => {
      for (const [method, url, body] of routes(organization.id, admin.id)) {
        const readable = method === 'GET' && !url.endsWith('/access_log') && !url.endsWith('/children_audit');
        for (const auth of [developer.bearer, member.auth] as Auth[]) {
          const response = await call(method, url, auth, body);
          if (readable) assert.equal(response.status, 200, `${method} ${url}: ${response.raw.body}`);
          else refused(response, 403);
        }
      }
    });
  });

  // ---- organizations ----

  it('PATCH is one change: name, move and customizations together, or none of them', async () => {
    const { organization, admin } = await team();
    const other = await createOrganization(server());
    const child = await v1('POST', '/organizations', { name: 'Mover', parentId: organization.id });
    await unchanged(async () => {
      const huge = { blob: 'x'.repeat(4096 + 1) };
      refused(await call('PATCH', `/orgs/${child.id}`, admin.bearer, { org_name: 'Moved', customizations: huge }), 400, ['customizations.blob']);
      refused(await call('PATCH', `/orgs/${child.id}`, 'root', { org_name: 'Moved', parent_org_id: other.id, customizations: huge }), 400, ['customizations.blob']);
      // The admin key administers its own tree only: moving out of it is not found.
      refused(await call('PATCH', `/orgs/${child.id}`, admin.bearer, { parent_org_id: other.id }), 404);
      refused(await call('PATCH', `/orgs/${child.id}`, admin.bearer, { parent_org_id: null }), 403);
    });
    const moved = ok(await call('PATCH', `/orgs/${child.id}`, 'root', { name: 'Moved', parent_org_id: other.id, customizations: { theme: 'dark', nested: { a: 1 } } }), 200, 'Org');
    assert.deepEqual(moved, { id: child.id, org_name: 'Moved', root_org_id: other.id, parent_org_id: other.id, created_at: child.createdAt, customizations: { theme: 'dark', nested: { a: 1 } } });
    const merged = ok(await call('PATCH', `/orgs/${child.id}`, 'root', { customizations: { nested: { a: null, b: 2 }, theme: null } }), 200, 'Org');
    assert.deepEqual(merged.customizations, { nested: { b: 2 } }, 'customizations merge (RFC 7396)');
    const top = ok(await call('PATCH', `/orgs/${child.id}`, 'root', { parent_org_id: null, org_name: 'Moved' }), 200, 'Org');
    assert.equal(top.root_org_id, child.id);
    assert.ok(!('parent_org_id' in top));
    const name = await call('PATCH', `/orgs/${other.id}`, 'root', { org_name: organization.name });
    refused(name, 400, ['org_name']);
  });

  it('PATCH takes back an Org read with GET: read-only and unkept fields are ignored, a different id is refused', async () => {
    const { organization, admin } = await team();
    const read = ok(await call('GET', `/orgs/${organization.id}`, admin.bearer), 200, 'Org');
    const sent = { ...read, org_name: `${read.org_name} renamed`, role: 'org', first_name: 'A', last_name: 'B', email: 'contact@example.com', mobile_phone: '+1 555 0100' };
    const updated = ok(await call('PATCH', `/orgs/${organization.id}`, admin.bearer, sent), 200, 'Org');
    assert.deepEqual(updated, { ...read, org_name: `${read.org_name} renamed` });
    await unchanged(async () => {
      refused(await call('PATCH', `/orgs/${organization.id}`, admin.bearer, { ...read, id: randomUUID() }), 400, ['id']);
      refused(await call('PATCH', `/orgs/${organization.id}`, admin.bearer, { org_name: 'x', tags: [] }), 400, ['tags']);
    });
  });

  it('DELETE takes the organization and its descendants; they are gone for everyone', async () => {
    const { organization, admin } = await team();
    const child = await v1('POST', '/organizations', { name: 'Doomed child', parentId: organization.id });
    const grandchild = await v1('POST', '/organizations', { name: 'Doomed grandchild', parentId: child.id });
    const response = await call('DELETE', `/orgs/${child.id}`, admin.bearer);
    ok(response, 204);
    for (const id of [child.id, grandchild.id]) refused(await call('GET', `/orgs/${id}`, 'root'), 404);
    assert.deepEqual(await childIds(organization.id), []);
    refused(await call('DELETE', `/orgs/${child.id}`, admin.bearer), 404);
  });

  it('provisions a child with a new user as its first member, in one transaction', async () => {
    const { organization, owner, admin } = await team();
    const email = `New.Person+${organization.id.slice(-6)}@Example.com`;
    const response = await call('POST', `/orgs/${organization.id}/children`, owner.auth, { org_name: 'Team B', email, first_name: ' Ada ', last_name: 'Lovelace', mobile_phone: '+41 00 000 00 00' });
    ok(response, 204);
    const childId = String(response.headers.location).replace(/^\/orgs\//, '');
    assert.deepEqual(await childIds(organization.id), [childId]);
    const [member, ...others] = await members(childId);
    assert.deepEqual(others, [], 'the creating user is not added: the parent\u2019s admins administer the child anyway');
    assert.equal(member.email, email.toLowerCase());
    assert.equal(member.level, 15);
    assert.equal(member.name, 'Ada Lovelace');
    const trail = await v1('GET', `/organizations/${childId}/activities`);
    assert.deepEqual(trail.map((activity: any) => activity.type).sort(), ['create_organization', 'organization_member_add', 'project_create']);
    assert.ok(trail.every((activity: any) => activity.actorId === owner.id));
    // The owner's admin rights reach the child; the new member's key-less user is just a member of it.
    ok(await call('GET', `/orgs/${childId}`, admin.bearer), 200, 'Org');
  });

  it('provisions an existing user of the parent\u2019s tree directly (found case-insensitively, names kept) at the level of its role', async () => {
    const { organization, admin } = await team();
    const existing = await createUserWithKey(server());
    await joinOrganization(server(), organization.id, existing, 1);
    const before = await v1('GET', `/users/${existing.id}`);
    const levels = { org: 15, group: 15, org_admin: 15, user_admin: 8, user: 1 } as const;
    for (const [role, level] of Object.entries(levels)) {
      const response = await call('POST', `/orgs/${organization.id}/children`, admin.bearer, { org_name: `Role ${role}`, email: existing.email.toUpperCase(), first_name: 'Other', role });
      ok(response, 204);
      const childId = String(response.headers.location).slice('/orgs/'.length);
      assert.deepEqual((await members(childId)).map((m: any) => [m.userId, m.level]), [[existing.id, level]], role);
    }
    assert.deepEqual(await v1('GET', `/users/${existing.id}`), before, 'an existing user is left as it was');
    assert.equal((await members(organization.id)).length, 2, 'nobody was added to the parent');
    const listed = ok(await call('GET', `/orgs/${organization.id}/children_audit?limit=100`, admin.bearer), 200, 'AuditLogList');
    const adds = listed.filter((entry: any) => entry.type === 'organization_member_add');
    assert.equal(adds.length, 5);
    assert.ok(adds.every((entry: any) => entry.action === 'insert' && entry.admin_id === admin.id && entry.old_data.level === null));
    // Owning the children does not make the user an admin of the parent, whose audit it is.
    refused(await call('GET', `/orgs/${organization.id}/children_audit`, existing.auth), 403);
  });

  it('invites an existing user from outside the tree instead of enrolling them; the operator may enrol anyone', async () => {
    const { organization, admin } = await team();
    const outsider = await createUserWithKey(server());
    const theirs = await createOrganization(server());
    await joinOrganization(server(), theirs.id, outsider, 15);
    const organizationsBefore = await server().request({ method: 'GET', url: '/v1/organizations', auth: outsider.auth });
    const response = await call('POST', `/orgs/${organization.id}/children`, admin.bearer, { org_name: 'Outside', email: outsider.email, role: 'user_admin' });
    ok(response, 204);
    const childId = String(response.headers.location).slice('/orgs/'.length);
    assert.deepEqual(await members(childId), [], 'not enrolled');
    const invitations = await v1('GET', `/organizations/${childId}/invitations`);
    assert.deepEqual(invitations.map((i: any) => [i.email, i.level]), [[outsider.email.toLowerCase(), 8]]);
    const after = await server().request({ method: 'GET', url: '/v1/organizations', auth: outsider.auth });
    assert.deepEqual(after.body.result, organizationsBefore.body.result, 'their organizations are as they were');
    const trail = await v1('GET', `/organizations/${childId}/activities`);
    assert.deepEqual(trail.map((activity: any) => activity.type).sort(), ['create_organization', 'organization_invite_create', 'project_create']);
    // Accepting is theirs to do.
    const accepted = await server().request({ method: 'POST', url: `/v1/invitations/${invitations[0].id}/accept`, auth: outsider.auth });
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    assert.deepEqual((await members(childId)).map((m: any) => [m.userId, m.level]), [[outsider.id, 8]]);
    // The operator provisions anyone directly.
    const byRoot = await call('POST', `/orgs/${organization.id}/children`, 'root', { org_name: 'Operator', email: outsider.email });
    ok(byRoot, 204);
    assert.deepEqual((await members(String(byRoot.headers.location).slice('/orgs/'.length))).map((m: any) => m.userId), [outsider.id]);
  });

  it('a refused provisioning leaves nothing: taken name, missing permissions, bad parent', async () => {
    const { organization, owner, admin, developer } = await team();
    ok(await call('POST', `/orgs/${organization.id}/children`, admin.bearer, { org_name: 'Taken', email: `t-${organization.id}@example.com` }), 204);
    const member = await createUserWithKey(server());
    await joinOrganization(server(), organization.id, member, 1);
    const email = `nobody-${organization.id}@example.com`;
    await unchanged(async () => {
      refused(await call('POST', `/orgs/${organization.id}/children`, admin.bearer, { org_name: 'taken', email }), 400, ['org_name']);
      refused(await call('POST', `/orgs/${organization.id}/children`, admin.bearer, { org_name: '  ', email }), 400, ['org_name']);
      refused(await call('POST', `/orgs/${organization.id}/children`, developer.bearer, { org_name: 'Fresh', email }), 403);
      refused(await call('POST', `/orgs/${organization.id}/children`, member.auth, { org_name: 'Fresh', email }), 403);
      refused(await call('POST', `/orgs/${organization.id}/children`, owner.auth, { org_name: 'Fresh', email, extra: 1 }), 400, ['extra']);
    });
  });

  // ---- API keys ----

  it('API keys: created with permissions, listed without secrets, usable as Bearer, deleted', async () => {
    const { organization, admin } = await team();
    const personal = await createUserWithKey(server());
    await joinOrganization(server(), organization.id, personal, 15);
    const reader = ok(await call('POST', `/orgs/${organization.id}/api_keys`, admin.bearer, { name: 'reader', permissions: ['read'] }), 201, 'CreatedApiKey');
    const writer = ok(await call('POST', `/orgs/${organization.id}/api_keys`, admin.bearer, { name: 'writer', permissions: ['write', 'read'] }), 201, 'CreatedApiKey');
    assert.deepEqual([reader.permissions, writer.permissions], [['read'], ['read', 'write']]);
    assert.deepEqual(ok(await call('POST', `/orgs/${organization.id}/api_keys`, admin.bearer, { name: 'w', permissions: ['write'] }), 201, 'CreatedApiKey').permissions, ['read', 'write']);
    const native = await v1('GET', `/organizations/${organization.id}/keys/${reader.key_id}`);
    assert.deepEqual(native.roles, ['developer']);

    const keys = ok(await call('GET', `/orgs/${organization.id}/api_keys`, admin.bearer), 200, 'ApiKeyList');
    assert.equal(keys.length, 5, 'the team\u2019s two keys and the three new ones; never the members\u2019 personal keys');
    assert.ok(!JSON.stringify(keys).includes(reader.api_key));

    assert.equal(ok(await call('GET', '/org', { bearer: reader.api_key }), 200, 'Org').id, organization.id);
    refused(await call('PUT', `/orgs/${organization.id}/customizations`, { bearer: reader.api_key }, { a: 1 }), 403);
    assert.deepEqual(ok(await call('PUT', `/orgs/${organization.id}/customizations`, { bearer: writer.api_key }, { a: 1 }), 200, 'Customization'), { a: 1 });

    refused(await call('DELETE', `/orgs/${organization.id}/api_keys/${writer.key_id}`, { bearer: writer.api_key }), 400, ['key_id']);
    ok(await call('DELETE', `/orgs/${organization.id}/api_keys/${reader.key_id}`, { bearer: writer.api_key }), 204);
    refused(await call('GET', '/org', { bearer: reader.api_key }), 401);
    refused(await call('DELETE', `/orgs/${organization.id}/api_keys/${reader.key_id}`, admin.bearer), 404);
    // A member's personal key is not the organization's: never listed, never deleted here.
    const [personalKey] = await v1('GET', `/users/${personal.id}/keys`);
    assert.ok(!keys.some((key: any) => key.key_id === personalKey.id));
    refused(await call('DELETE', `/orgs/${organization.id}/api_keys/${personalKey.id}`, admin.bearer), 404);
    ok(await call('GET', `/orgs/${organization.id}`, personal.auth), 200, 'Org');
  });

  // ---- paging and dates ----

  it('lists page with page/limit; the logs filter with start/end', async () => {
    const { organization, admin } = await team();
    for (let i = 0; i < 3; i++) await createKey(server(), organization.id, { roles: ['developer'] });
    const all = ok(await call('GET', `/orgs/${organization.id}/api_keys?limit=100`, admin.bearer), 200, 'ApiKeyList');
    assert.equal(all.length, 5);
    const pages = [];
    for (let page = 1; page <= 3; page++) pages.push(...ok(await call('GET', `/orgs/${organization.id}/api_keys?page=${page}&limit=2`, admin.bearer), 200, 'ApiKeyList'));
    assert.deepEqual(pages, all);
    assert.deepEqual(ok(await call('GET', `/orgs/${organization.id}/api_keys?page=4&limit=2`, admin.bearer), 200, 'ApiKeyList'), []);
    // Deep pages read every row before them: they stop at 10,000 rows in.
    ok(await call('GET', `/orgs/${organization.id}/children_audit?page=101&limit=100`, admin.bearer), 200, 'AuditLogList');
    for (const list of ['children_audit', 'access_log', 'api_keys']) refused(await call('GET', `/orgs/${organization.id}/${list}?page=102&limit=100`, admin.bearer), 400, ['page']);

    // Three children on three days: the audit pages and filters by date.
    const days: string[] = [];
    for (let i = 0; i < 3; i++) {
      days.push(server().clock.now().toISOString());
      ok(await call('POST', `/orgs/${organization.id}/children`, admin.bearer, { org_name: `Day ${i}`, email: `day${i}-${organization.id}@example.com` }), 204);
      server().clock.advance(DAY);
    }
    const audit = ok(await call('GET', `/orgs/${organization.id}/children_audit?limit=100`, admin.bearer), 200, 'AuditLogList');
    assert.equal(audit.length, 9, 'three activities per child');
    const stamps = audit.map((entry: any) => entry.timestamp);
    assert.deepEqual(stamps, [...stamps].sort().reverse(), 'newest first');
    const paged = [];
    for (let page = 1; page <= 5; page++) paged.push(...ok(await call('GET', `/orgs/${organization.id}/children_audit?page=${page}&limit=2`, admin.bearer), 200, 'AuditLogList'));
    assert.deepEqual(paged, audit);
    const middle = ok(await call('GET', `/orgs/${organization.id}/children_audit?start=${days[1]}&end=${new Date(Date.parse(days[1]!) + DAY / 2).toISOString()}`, admin.bearer), 200, 'AuditLogList');
    assert.equal(middle.length, 3);
    assert.ok(middle.every((entry: any) => entry.timestamp >= days[1]! && entry.timestamp < days[2]!));

    // The access log: one failed login per day, then the same filters.
    const logDays: string[] = [];
    for (let i = 0; i < 3; i++) {
      logDays.push(server().clock.now().toISOString());
      refused(await call('GET', `/orgs/${organization.id}`, { bearer: `wrong-${i}` }, undefined, { 'user-agent': 'locktera-test' }), 401);
      server().clock.advance(DAY);
    }
    await flushAccessLog();
    const failures = ok(await call('GET', `/orgs/${organization.id}/access_log?start=${logDays[0]}&limit=100`, admin.bearer), 200, 'AccessLogList')
      .filter((entry: any) => entry.action === 'login_failed');
    assert.equal(failures.length, 3);
    assert.ok(failures.every((entry: any) => entry.status === 'FAILURE' && entry.org_id === organization.id && entry.ip === '127.0.0.1' && !('user' in entry)));
    // `end` is inclusive and day 2's attempt may share its millisecond: stop half a day earlier.
    const second = ok(await call('GET', `/orgs/${organization.id}/access_log?start=${logDays[1]}&end=${new Date(Date.parse(logDays[1]!) + DAY / 2).toISOString()}`, admin.bearer), 200, 'AccessLogList');
    assert.deepEqual(second.filter((entry: any) => entry.action === 'login_failed').map((entry: any) => entry.timestamp), [failures[1].timestamp]);
    const firstPage = ok(await call('GET', `/orgs/${organization.id}/access_log?start=${logDays[0]}&limit=1`, admin.bearer), 200, 'AccessLogList');
    const secondPage = ok(await call('GET', `/orgs/${organization.id}/access_log?start=${logDays[0]}&limit=1&page=2`, admin.bearer), 200, 'AccessLogList');
    assert.equal(firstPage.length, 1);
    assert.notDeepEqual(firstPage, secondPage);
  });
});

// ---- licenses: the parent's limit on child organizations holds for provisioning ----

const trusted = generateKeyPairSync('ed25519');

for (const database of testDatabases()) {
  describe(`Locktera provisioning under a license [${database.kind}]`, () => {
    let current: TestServer | undefined;
    before(async () => {
      current = await startServer(database, { env: { ORGBASE_LICENSE_PUBLIC_KEYS: JSON.stringify({ 'ops-1': licensePublicKeyX(trusted.publicKey) }) } });
    });
    after(async () => current?.close());
    const server = () => {
      if (!current) throw new Error('server not started');
      return current;
    };
    const { call, ok, refused, unchanged, team, v1, childIds } = harness(server);

    it('a license allowing one child organization: the first provisioning passes, the second is refused and leaves nothing', async () => {
      const { organization, admin } = await team();
      const licenseKey = await issueLicense({
        privateKey: trusted.privateKey,
        kid: 'ops-1',
        claims: { licenseType: 'team', limits: { childOrganizations: 1 }, features: [], exp: new Date(server().clock.now().getTime() + 30 * DAY) },
        clock: server().clock,
        ids: systemIds,
      });
      await v1('PUT', `/organizations/${organization.id}/license`, { licenseKey });
      ok(await call('POST', `/orgs/${organization.id}/children`, admin.bearer, { org_name: 'Only', email: `only-${organization.id}@example.com` }), 204);
      await unchanged(async () => {
        const body = refused(await call('POST', `/orgs/${organization.id}/children`, admin.bearer, { org_name: 'Second', email: `second-${organization.id}@example.com` }), 400);
        assert.match(body.message, /license allows at most 1 child organizations/);
      });
      assert.equal((await childIds(organization.id)).length, 1);
    });
  });
}
