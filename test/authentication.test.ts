/**
 * Authentication of the native /v1 surface: the root key, organization keys over HTTP Basic and
 * Bearer, every way a credential can fail (401 + WWW-Authenticate), key state, expiry, IP access
 * lists, `usedAt` bookkeeping, cache invalidation, and secrets staying out of the logs.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { assertErrorEnvelope } from './contracts/clickhouse.js';
import { activitiesOf, createKey, createTenant, type KeyFixture } from './helpers/fixtures.js';
import { authorizationHeader, onEachDatabase, ROOT_KEY, type ApiResponse, type Auth, type TestServer } from './helpers/server.js';

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64');
const keyUrl = (organizationId: string, keyId = '') => `/v1/organizations/${organizationId}/keys${keyId && `/${keyId}`}`;
const basicHeader = (userPass: string) => ({ header: `Basic ${Buffer.from(userPass).toString('base64')}` });

function assertUnauthenticated(response: ApiResponse, context = ''): void {
  assert.equal(response.status, 401, `${context} ${JSON.stringify(response.body)}`);
  assertErrorEnvelope(response.body, 401, 'unauthenticated');
  const challenge = response.headers['www-authenticate'];
  assert.ok(typeof challenge === 'string' && /\b(Basic|Bearer)\b/.test(challenge), `${context}: www-authenticate is ${challenge}`);
}

/** A read every organization key with an organization role may do: its organization. */
function readOrganization(server: TestServer, organizationId: string, auth: Auth | undefined, remoteAddress?: string) {
  return server.request({ method: 'GET', url: `/v1/organizations/${organizationId}`, auth, ...(remoteAddress && { remoteAddress }) });
}

async function keyAsRoot(server: TestServer, organizationId: string, id: string): Promise<any> {
  const response = await server.request({ method: 'GET', url: keyUrl(organizationId, id), auth: 'root' });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body.result;
}

async function patchAsRoot(server: TestServer, organizationId: string, id: string, body: Record<string, unknown>): Promise<void> {
  const response = await server.request({ method: 'PATCH', url: keyUrl(organizationId, id), auth: 'root', body });
  assert.equal(response.status, 200, JSON.stringify(response.body));
}

async function assertWorks(server: TestServer, organizationId: string, key: KeyFixture, remoteAddress?: string): Promise<void> {
  for (const auth of [key.basic, key.bearer]) {
    const response = await readOrganization(server, organizationId, auth, remoteAddress);
    assert.equal(response.status, 200, `${remoteAddress ?? ''} ${JSON.stringify(response.body)}`);
    assert.equal(response.body.result.id, organizationId);
  }
}

async function assertRejected(server: TestServer, organizationId: string, key: KeyFixture, remoteAddress?: string): Promise<void> {
  for (const auth of [key.basic, key.bearer]) {
    assertUnauthenticated(await readOrganization(server, organizationId, auth, remoteAddress), remoteAddress ?? '');
  }
}

onEachDatabase('authentication', (server) => {
  it('the root key authenticates as Bearer (scheme case-insensitive) and reaches every organization', async () => {
    const { organization } = await createTenant(server());
    for (const header of [`Bearer ${ROOT_KEY}`, `bearer ${ROOT_KEY}`]) {
      const response = await readOrganization(server(), organization.id, { header });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(response.body.result.id, organization.id);
    }
    const list = await server().request({ method: 'GET', url: '/v1/organizations?limit=1000', auth: 'root' });
    assert.ok(list.body.result.some((org: any) => org.id === organization.id));
  });

  it('an organization key authenticates with Basic keyId:keySecret and with Bearer keySecret', async () => {
    const { organization, admin } = await createTenant(server());
    await assertWorks(server(), organization.id, admin);
    const rename = await server().request({
      method: 'PATCH', url: `/v1/organizations/${organization.id}`, auth: admin.bearer, body: { name: 'Renamed via Bearer' },
    });
    assert.equal(rename.status, 200, JSON.stringify(rename.body));
    const [activity] = await activitiesOf(server(), organization.id);
    assert.equal(activity.actorType, 'api');
    assert.equal(activity.actorId, admin.id);
  });

  it('a missing, malformed or unsupported Authorization header is 401 with a challenge', async () => {
    const { organization, admin } = await createTenant(server());
    const cases: [string, Auth | undefined][] = [
      ['no header', undefined],
      ['empty header', { header: '' }],
      ['Bearer without token', { header: 'Bearer' }],
      ['Bearer with blanks', { header: 'Bearer    ' }],
      ['Basic without value', { header: 'Basic' }],
      ['Basic not base64', { header: 'Basic !!!%%%' }],
      ['Basic without colon', basicHeader(`${admin.keyId}${admin.keySecret}`)],
      ['Basic without key id', basicHeader(`:${admin.keySecret}`)],
      ['Basic without secret', basicHeader(`${admin.keyId}:`)],
      ['Digest scheme', { header: `Digest username="${admin.keyId}"` }],
      ['Token scheme', { header: `Token ${admin.keySecret}` }],
      ['no scheme', { header: admin.keySecret }],
      ['root key without scheme', { header: ROOT_KEY }],
    ];
    for (const [name, auth] of cases) assertUnauthenticated(await readOrganization(server(), organization.id, auth), name);
  });

  it('unknown keys and wrong secrets are 401, and a failed attempt does not mark the key used', async () => {
    const { organization, admin, developer } = await createTenant(server());
    const cases: [string, Auth][] = [
      ['unknown Basic key', { keyId: randomBytes(15).toString('base64url'), keySecret: `obk_${randomBytes(32).toString('base64url')}` }],
      ['wrong secret', { keyId: admin.keyId, keySecret: `${admin.keySecret}x` }],
      ["another key's secret", { keyId: admin.keyId, keySecret: developer.keySecret }],
      ['id and secret swapped', { keyId: admin.keySecret, keySecret: admin.keyId }],
      ['unknown Bearer token', { bearer: `obk_${randomBytes(32).toString('base64url')}` }],
      ['key id as Bearer token', { bearer: admin.keyId }],
      ['stored hash as Bearer token', { bearer: sha256(admin.keySecret) }],
      ['root key hash as Bearer token', { bearer: sha256(ROOT_KEY) }],
      ['root key as Basic secret', { keyId: 'root', keySecret: ROOT_KEY }],
    ];
    for (const [name, auth] of cases) assertUnauthenticated(await readOrganization(server(), organization.id, auth), name);
    assert.equal('usedAt' in (await keyAsRoot(server(), organization.id, admin.id)), false, 'failed attempts set usedAt');
  });

  it('a key created disabled is 401 until it is enabled', async () => {
    const { organization } = await createTenant(server());
    const key = await createKey(server(), organization.id, { roles: ['developer'], state: 'disabled' });
    await assertRejected(server(), organization.id, key);
    await patchAsRoot(server(), organization.id, key.id, { state: 'enabled' });
    await assertWorks(server(), organization.id, key);
  });

  it('a key is 401 once the clock passes expireAt, and works again when expireAt is cleared', async () => {
    const { organization } = await createTenant(server());
    const expireAt = new Date(server().clock.now().getTime() + 60 * 60_000).toISOString();
    const key = await createKey(server(), organization.id, { roles: ['developer'], expireAt });
    await assertWorks(server(), organization.id, key); // also puts it in the auth cache
    server().clock.advance(30 * 60_000);
    await assertWorks(server(), organization.id, key);
    server().clock.advance(30 * 60_000 + 1_000);
    await assertRejected(server(), organization.id, key);
    await patchAsRoot(server(), organization.id, key.id, { expireAt: null });
    await assertWorks(server(), organization.id, key);
  });

  it('an IPv4 address or CIDR in the IP access list admits only matching clients', async () => {
    const { organization } = await createTenant(server());
    const exact = await createKey(server(), organization.id, { roles: ['developer'], ipAccessList: [{ source: '203.0.113.7' }] });
    await assertWorks(server(), organization.id, exact, '203.0.113.7');
    await assertWorks(server(), organization.id, exact, '::ffff:203.0.113.7'); // IPv4-mapped IPv6 socket address
    for (const ip of ['203.0.113.8', '127.0.0.1', '2001:db8::7']) await assertRejected(server(), organization.id, exact, ip);

    const cidr = await createKey(server(), organization.id, {
      roles: ['developer'],
      ipAccessList: [{ source: '198.51.100.0/24', description: 'office' }, { source: '192.0.2.1' }],
    });
    for (const ip of ['198.51.100.0', '198.51.100.42', '198.51.100.255', '192.0.2.1']) await assertWorks(server(), organization.id, cidr, ip);
    for (const ip of ['198.51.101.1', '198.51.99.255', '192.0.2.2']) await assertRejected(server(), organization.id, cidr, ip);
  });

  it('an IPv6 address or CIDR in the IP access list admits only matching clients', async () => {
    const { organization } = await createTenant(server());
    const key = await createKey(server(), organization.id, {
      roles: ['developer'],
      ipAccessList: [{ source: '2001:db8:abcd::/48' }, { source: '2001:db8:ffff::1' }],
    });
    for (const ip of ['2001:db8:abcd::1', '2001:db8:abcd:12::99', '2001:db8:ffff::1']) await assertWorks(server(), organization.id, key, ip);
    for (const ip of ['2001:db8:abce::1', '2001:db8:ffff::2', '198.51.100.1']) await assertRejected(server(), organization.id, key, ip);
  });

  it('an empty IP access list admits any client; X-Forwarded-For does not bypass a list', async () => {
    const { organization } = await createTenant(server());
    const anywhere = await createKey(server(), organization.id, { roles: ['developer'], ipAccessList: [] });
    for (const ip of ['127.0.0.1', '203.0.113.99', '2001:db8::5']) await assertWorks(server(), organization.id, anywhere, ip);
    const listed = await createKey(server(), organization.id, { roles: ['developer'], ipAccessList: [{ source: '203.0.113.7' }] });
    const spoofed = await server().request({
      method: 'GET',
      url: `/v1/organizations/${organization.id}`,
      auth: listed.basic,
      headers: { 'x-forwarded-for': '203.0.113.7' },
      remoteAddress: '192.0.2.50',
    });
    assertUnauthenticated(spoofed, 'x-forwarded-for');
  });

  it('usedAt appears after use and is written at most once a minute', async () => {
    const { organization } = await createTenant(server());
    const key = await createKey(server(), organization.id, { roles: ['developer'] });
    assert.equal('usedAt' in (await keyAsRoot(server(), organization.id, key.id)), false, 'a new key has no usedAt');

    await assertWorks(server(), organization.id, key);
    const first = (await keyAsRoot(server(), organization.id, key.id)).usedAt;
    assert.equal(typeof first, 'string', 'usedAt missing after use');
    assert.ok(Date.parse(first) <= server().clock.now().getTime());

    await assertWorks(server(), organization.id, key);
    assert.equal((await keyAsRoot(server(), organization.id, key.id)).usedAt, first, 'rewritten within the same minute');
    server().clock.advance(30_000);
    await assertWorks(server(), organization.id, key);
    assert.equal((await keyAsRoot(server(), organization.id, key.id)).usedAt, first, 'rewritten 30 s later');

    server().clock.advance(31_000);
    await assertWorks(server(), organization.id, key);
    const second = (await keyAsRoot(server(), organization.id, key.id)).usedAt;
    assert.ok(Date.parse(second) - Date.parse(first) >= 60_000, `usedAt not advanced: ${first} → ${second}`);
    // The key's own read shows the same value as root's.
    const own = await server().request({ method: 'GET', url: keyUrl(organization.id, key.id), auth: key.basic });
    assert.equal(own.body.result.usedAt, second);
  });

  it('disabling a key by PATCH makes it 401 at once; enabling it again restores it', async () => {
    const { organization, admin } = await createTenant(server());
    const key = await createKey(server(), organization.id, { roles: ['developer'] });
    await assertWorks(server(), organization.id, key); // both cache entries (Basic and Bearer) are warm
    const patch = await server().request({ method: 'PATCH', url: keyUrl(organization.id, key.id), auth: admin.basic, body: { state: 'disabled' } });
    assert.equal(patch.status, 200, JSON.stringify(patch.body));
    await assertRejected(server(), organization.id, key);
    await patchAsRoot(server(), organization.id, key.id, { state: 'enabled' });
    await assertWorks(server(), organization.id, key);
  });

  it('changing roles and IP list by PATCH takes effect on the very next request', async () => {
    const { organization } = await createTenant(server());
    const key = await createKey(server(), organization.id, { roles: ['admin'] });
    const rename = (name: string) =>
      server().request({ method: 'PATCH', url: `/v1/organizations/${organization.id}`, auth: key.basic, body: { name } });
    assert.equal((await rename('As admin')).status, 200);
    await patchAsRoot(server(), organization.id, key.id, { roles: ['developer'] });
    assertErrorEnvelope((await rename('As developer')).body, 403, 'admin_role_required');
    await patchAsRoot(server(), organization.id, key.id, { ipAccessList: [{ source: '203.0.113.0/24' }] });
    await assertRejected(server(), organization.id, key, '192.0.2.1');
    await assertWorks(server(), organization.id, key, '203.0.113.1');
  });

  it('deleting a key makes it 401 at once, by either scheme', async () => {
    const { organization, admin } = await createTenant(server());
    const key = await createKey(server(), organization.id, { roles: ['admin'] });
    await assertWorks(server(), organization.id, key);
    const deleted = await server().request({ method: 'DELETE', url: keyUrl(organization.id, key.id), auth: admin.bearer });
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    await assertRejected(server(), organization.id, key);
    const write = await server().request({ method: 'POST', url: keyUrl(organization.id), auth: key.basic, body: { name: 'x', roles: ['admin'] } });
    assertUnauthenticated(write);
  });

  it('secrets and Authorization headers never reach the logs or error bodies', async () => {
    const { organization, admin } = await createTenant(server());
    const created = await server().request({
      method: 'POST', url: keyUrl(organization.id), auth: admin.basic, body: { name: 'logged?', roles: ['developer'] },
    });
    const fresh: KeyFixture = {
      id: created.body.result.key.id,
      keyId: created.body.result.keyId,
      keySecret: created.body.result.keySecret,
      basic: { keyId: created.body.result.keyId, keySecret: created.body.result.keySecret },
      bearer: { bearer: created.body.result.keySecret },
    };
    await assertWorks(server(), organization.id, fresh);
    const failures = [
      await readOrganization(server(), organization.id, { keyId: fresh.keyId, keySecret: `${fresh.keySecret}-wrong` }),
      await readOrganization(server(), organization.id, basicHeader(`${fresh.keyId}${fresh.keySecret}`)),
      await readOrganization(server(), organization.id, { header: `Weird ${fresh.keySecret}` }),
    ];
    const logs = server().logs.join('\n');
    assert.ok(logs.length > 0, 'nothing was logged');
    const forbidden = [
      ['admin secret', admin.keySecret],
      ['new secret', fresh.keySecret],
      ['new key id', fresh.keyId],
      ['root key', ROOT_KEY],
      ['Basic header', authorizationHeader(fresh.basic)],
      ['Basic credentials', authorizationHeader(fresh.basic).slice('Basic '.length)],
      ['admin Basic credentials', authorizationHeader(admin.basic).slice('Basic '.length)],
    ];
    for (const [name, value] of forbidden) assert.equal(logs.includes(value!), false, `${name} found in the logs`);
    for (const failure of failures) {
      assertUnauthenticated(failure);
      assert.equal(failure.raw.body.includes(fresh.keySecret), false, 'secret echoed in an error body');
      assert.equal(failure.raw.body.includes(fresh.keyId), false, 'key id echoed in an error body');
    }
  });

  it('a key with only the query_endpoints role gets 403 on organization routes, and changes nothing', async () => {
    const { organization } = await createTenant(server(), 'Query only');
    const key = await createKey(server(), organization.id, { roles: ['query_endpoints'] });
    const before = await activitiesOf(server(), organization.id);
    const routes: [string, 'GET' | 'POST' | 'PATCH', string, unknown?][] = [
      ['organization_role_required', 'GET', '/v1/organizations'],
      ['organization_role_required', 'GET', `/v1/organizations/${organization.id}`],
      ['organization_role_required', 'GET', keyUrl(organization.id)],
      ['organization_role_required', 'GET', keyUrl(organization.id, key.id)],
      ['organization_role_required', 'GET', `/v1/organizations/${organization.id}/activities`],
      ['admin_role_required', 'PATCH', `/v1/organizations/${organization.id}`, { name: 'Hijacked' }],
      ['admin_role_required', 'POST', keyUrl(organization.id), { name: 'escalate', roles: ['admin'] }],
      ['admin_role_required', 'PATCH', keyUrl(organization.id, key.id), { roles: ['admin'] }],
    ];
    for (const [code, method, url, body] of routes) {
      const response = await server().request({ method, url, auth: key.basic, ...(body !== undefined && { body }) });
      assert.equal(response.status, 403, `${method} ${url}: ${JSON.stringify(response.body)}`);
      assertErrorEnvelope(response.body, 403, code);
    }
    const organizationAfter = await readOrganization(server(), organization.id, 'root');
    assert.equal(organizationAfter.body.result.name, 'Query only');
    assert.deepEqual((await keyAsRoot(server(), organization.id, key.id)).roles, ['query_endpoints']);
    assert.equal((await activitiesOf(server(), organization.id)).length, before.length);
  });
});
