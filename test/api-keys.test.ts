/**
 * The API-key endpoints of /v1 (ClickHouse Cloud wire format): creating keys and showing the secret
 * once, `hashData`, roles, PATCH and its activity trail, DELETE, the 100-key limit, validation,
 * tenant isolation and pagination.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { assertEnvelope, assertErrorEnvelope, assertMatchesClickHouse } from './contracts/clickhouse.js';
import { activitiesOf, createKey, createOrganization, createTenant } from './helpers/fixtures.js';
import { onEachDatabase, type ApiResponse, type Auth, type TestServer } from './helpers/server.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64');
const keyUrl = (organizationId: string, keyId = '') => `/v1/organizations/${organizationId}/keys${keyId && `/${keyId}`}`;
const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const withoutUsedAt = (keys: any[]) => keys.map(({ usedAt: _usedAt, ...key }) => key);

/** Every key of an organization, read as root, in one page. */
async function keysOf(server: TestServer, organizationId: string): Promise<any[]> {
  const response = await server.request({ method: 'GET', url: `${keyUrl(organizationId)}?limit=1000`, auth: 'root' });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body.result;
}

/** What a failed request must leave alone: the keys (apart from usedAt) and the activity trail. */
async function snapshot(server: TestServer, organizationId: string) {
  return { keys: withoutUsedAt(await keysOf(server, organizationId)), activities: (await activitiesOf(server, organizationId)).length };
}

function assertBadRequest(response: ApiResponse, field: string, context: unknown): void {
  assert.equal(response.status, 400, `${JSON.stringify(context)} → ${JSON.stringify(response.body)}`);
  assertErrorEnvelope(response.body, 400);
  assert.equal(response.body.field, field, `${JSON.stringify(context)} → ${JSON.stringify(response.body)}`);
  assert.match(response.body.error, new RegExp(field.replace(/[[\].]/g, '\\$&')));
}

function hashDataFor(keyId: string, secret: string) {
  return { keyIdHash: sha256(keyId), keyIdSuffix: keyId.slice(-4), keySecretHash: sha256(secret) };
}

onEachDatabase('api keys', (server) => {
  const call = (method: Method, url: string, auth: Auth, body?: unknown) =>
    server().request({ method, url, auth, ...(body !== undefined && { body }) });
  const randomHashData = () => hashDataFor(`id-${randomBytes(8).toString('hex')}`, `secret-${randomBytes(16).toString('hex')}`);

  it('POST returns the key, its keyId and secret once, in the ClickHouse shape, and records key_create', async () => {
    const { organization, admin } = await createTenant(server());
    const body = { name: '  Deploy bot  ', roles: ['developer', 'query_endpoints'], ipAccessList: [{ source: '10.0.0.0/8' }] };
    const response = await call('POST', keyUrl(organization.id), admin.basic, body);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assertEnvelope(response.body, { result: true });
    assertMatchesClickHouse('ApiKeyPostResponse', response.body.result);
    const { key, keyId, keySecret } = response.body.result;
    assertMatchesClickHouse('ApiKey', key);
    assert.ok(typeof keyId === 'string' && typeof keySecret === 'string' && keySecret.length >= 32 && keyId !== keySecret);
    const { id: _id, createdAt: _createdAt, ...fields } = key;
    assert.deepEqual(fields, {
      name: 'Deploy bot', roles: ['developer', 'query_endpoints'], state: 'enabled', expireAt: null,
      keySuffix: keyId.slice(-4), ipAccessList: [{ source: '10.0.0.0/8', description: '' }],
    });
    assert.notEqual(keySecret, admin.keySecret);
    const [activity] = await activitiesOf(server(), organization.id);
    assert.deepEqual([activity.type, activity.targetKeyId, activity.actorId], ['key_create', key.id, admin.id]);
  });

  it('GET and list never return the secret, the key id or their hashes; the row stores only hashes', async () => {
    const { organization, admin, developer } = await createTenant(server());
    const secrets = [admin, developer].flatMap((key) => [key.keySecret, key.keyId, sha256(key.keySecret), sha256(key.keyId)]);
    for (const auth of ['root', admin.basic, developer.bearer] as Auth[]) {
      for (const url of [keyUrl(organization.id), keyUrl(organization.id, admin.id), keyUrl(organization.id, developer.id)]) {
        const response = await call('GET', url, auth);
        assert.equal(response.status, 200, JSON.stringify(response.body));
        for (const secret of secrets) assert.equal(response.raw.body.includes(secret), false, `${url} leaks ${secret}`);
        for (const key of [response.body.result].flat()) {
          assertMatchesClickHouse('ApiKey', key);
          assert.deepEqual(Object.keys(key).filter((name) => /secret|hash|keyId/i.test(name)), []);
        }
      }
    }
    const trail = JSON.stringify(await activitiesOf(server(), organization.id));
    for (const secret of secrets) assert.equal(trail.includes(secret), false, `activities leak ${secret}`);
    const rows = await server().database.db.selectFrom('api_keys').selectAll().where('organization_id', '=', organization.id).execute();
    assert.equal(rows.length, 2);
    const stored = JSON.stringify(rows);
    for (const key of [admin, developer]) {
      assert.equal(stored.includes(key.keySecret), false, 'secret stored in clear');
      assert.equal(stored.includes(key.keyId), false, 'key id stored in clear');
      const row = rows.find((candidate) => candidate.id === key.id)!;
      assert.equal(row.secret_hash, sha256(key.keySecret));
      assert.equal(row.key_id_hash, sha256(key.keyId));
    }
  });

  it('hashData stores the given hashes and returns no secret; the original keyId/secret then authenticate', async () => {
    const { organization, admin } = await createTenant(server());
    const keyId = `byo-${randomBytes(12).toString('hex')}`;
    const secret = `byo-secret-${randomBytes(24).toString('hex')}`;
    const hashData = hashDataFor(keyId, secret);
    const response = await call('POST', keyUrl(organization.id), admin.basic, { name: 'Pre-hashed', roles: ['developer'], hashData });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assertMatchesClickHouse('ApiKeyPostResponse', response.body.result);
    const { key, ...rest } = response.body.result;
    assert.deepEqual([rest, key.keySuffix], [{}, hashData.keyIdSuffix]);
    const row = await server().database.db.selectFrom('api_keys').selectAll().where('id', '=', key.id).executeTakeFirstOrThrow();
    assert.deepEqual([row.key_id_hash, row.secret_hash], [hashData.keyIdHash, hashData.keySecretHash]);

    for (const auth of [{ keyId, keySecret: secret }, { bearer: secret }] as Auth[]) {
      assert.equal((await call('GET', keyUrl(organization.id, key.id), auth)).status, 200);
    }
    assertErrorEnvelope((await call('GET', keyUrl(organization.id), { keyId, keySecret: `${secret}x` })).body, 401, 'unauthenticated');
  });

  it('hashData reusing a stored key-id or secret hash is 409, in any organization, and creates nothing', async () => {
    const { organization, admin } = await createTenant(server());
    const other = await createTenant(server());
    const hashData = randomHashData();
    const create = (organizationId: string, auth: Auth, data: unknown) =>
      call('POST', keyUrl(organizationId), auth, { name: 'dup', roles: ['developer'], hashData: data });
    assert.equal((await create(organization.id, admin.basic, hashData)).status, 200);
    const before = [await snapshot(server(), organization.id), await snapshot(server(), other.organization.id)];
    const fresh = randomHashData();
    const reuses = [
      hashData,
      { ...fresh, keyIdHash: hashData.keyIdHash },
      { ...fresh, keySecretHash: hashData.keySecretHash },
      { ...fresh, keySecretHash: sha256(admin.keySecret) }, // the hash of a generated key's secret
      { ...fresh, keyIdHash: sha256(admin.keyId) },
    ];
    for (const data of reuses) {
      for (const [organizationId, auth] of [[organization.id, admin.basic], [other.organization.id, other.admin.basic]] as const) {
        const response = await create(organizationId, auth, data);
        assertErrorEnvelope(response.body, 409, 'duplicate_key');
        assert.equal(response.body.field, 'hashData');
      }
    }
    assert.deepEqual([await snapshot(server(), organization.id), await snapshot(server(), other.organization.id)], before);
  });

  it('the same hashData sent concurrently to two organizations creates one key; the other gets 409', async () => {
    const first = await createOrganization(server());
    const second = await createOrganization(server());
    const hashData = randomHashData();
    const body = { name: 'race', roles: ['admin'], hashData };
    const responses = await Promise.all([first, second].map((organization) => call('POST', keyUrl(organization.id), 'root', body)));
    assert.deepEqual(responses.map((response) => response.status).sort(), [200, 409], JSON.stringify(responses.map((r) => r.body)));
    const loser = responses.find((response) => response.status !== 200)!;
    assertErrorEnvelope(loser.body, 409, 'duplicate_key');
    assert.equal((await keysOf(server(), first.id)).length + (await keysOf(server(), second.id)).length, 1);
  });

  it('malformed hashData is 400 naming the field', async () => {
    const { organization, admin } = await createTenant(server());
    const before = await snapshot(server(), organization.id);
    const good = hashDataFor('some-key-id', 'some-secret');
    const cases: [unknown, string][] = [
      [{ ...good, keyIdHash: 'not-base64' }, 'hashData.keyIdHash'], [{ ...good, keySecretHash: 42 }, 'hashData.keySecretHash'],
      [{ ...good, keyIdHash: createHash('sha256').update('x').digest('hex') }, 'hashData.keyIdHash'],
      [{ ...good, keySecretHash: sha256('x').slice(0, 40) }, 'hashData.keySecretHash'],
      [{ keyIdHash: good.keyIdHash, keyIdSuffix: good.keyIdSuffix }, 'hashData.keySecretHash'],
      [{ ...good, keyIdSuffix: 'ab' }, 'hashData.keyIdSuffix'], [{ ...good, keyIdSuffix: 'a:bc' }, 'hashData.keyIdSuffix'],
      [{ ...good, salt: 'pepper' }, 'hashData.salt'], ['hash', 'hashData'],
    ];
    for (const [hashData, field] of cases) {
      const body = { name: 'bad hash', roles: ['admin'], hashData };
      assertBadRequest(await call('POST', keyUrl(organization.id), admin.basic, body), field, body);
    }
    assert.deepEqual(await snapshot(server(), organization.id), before);
  });

  it('a developer key reads keys but gets 403 on POST, PATCH and DELETE, and nothing changes', async () => {
    const { organization, admin, developer } = await createTenant(server());
    for (const url of [keyUrl(organization.id), keyUrl(organization.id, admin.id), keyUrl(organization.id, developer.id)]) {
      assert.equal((await call('GET', url, developer.basic)).status, 200);
    }
    const before = await snapshot(server(), organization.id);
    const writes: [Method, string, unknown?][] = [
      ['POST', keyUrl(organization.id), { name: 'mine', roles: ['developer'] }],
      ['PATCH', keyUrl(organization.id, developer.id), { roles: ['admin'] }],
      ['PATCH', keyUrl(organization.id, admin.id), { state: 'disabled' }],
      ['DELETE', keyUrl(organization.id, admin.id)],
      ['DELETE', keyUrl(organization.id, developer.id)],
    ];
    for (const [method, url, body] of writes) {
      for (const auth of [developer.basic, developer.bearer]) {
        assertErrorEnvelope((await call(method, url, auth, body)).body, 403, 'admin_role_required');
      }
    }
    assert.deepEqual(await snapshot(server(), organization.id), before);
  });

  it('PATCH records one openapi_key_update per changed aspect with its keyUpdateType and targetKeyId', async () => {
    const { organization, admin } = await createTenant(server());
    const target = await createKey(server(), organization.id, { name: 'target', roles: ['developer'] });
    const expireAt = new Date(server().clock.now().getTime() + 86_400_000).toISOString();
    const steps: [Record<string, unknown>, Record<string, string>][] = [
      [{ name: 'renamed' }, { name: 'name-changed' }],
      [{ roles: ['admin', 'developer'] }, { roles: 'role-changed' }],
      [{ state: 'disabled' }, { state: 'state-changed' }],
      [{ expireAt }, { expireAt: 'date-changed' }],
      [{ expireAt: null }, { expireAt: 'date-changed' }],
      [{ ipAccessList: [{ source: '192.0.2.0/24', description: 'lab' }] }, { ipAccessList: 'ip-access-list-changed' }],
      [{ name: 'both', state: 'enabled' }, { name: 'name-changed', state: 'state-changed' }],
    ];
    for (const [body, expected] of steps) {
      const before = await activitiesOf(server(), organization.id);
      const response = await call('PATCH', keyUrl(organization.id, target.id), admin.basic, body);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assertEnvelope(response.body, { result: true });
      assertMatchesClickHouse('ApiKey', response.body.result);
      const after = await activitiesOf(server(), organization.id); // newest first
      const added = after.slice(0, after.length - before.length);
      assert.equal(added.length, Object.keys(expected).length, `${JSON.stringify(body)} → ${JSON.stringify(added)}`);
      for (const [field, keyUpdateType] of Object.entries(expected)) {
        const activity = added.find((candidate) => candidate.keyUpdateType === keyUpdateType);
        assert.ok(activity, `no ${keyUpdateType} for ${JSON.stringify(body)}`);
        assert.deepEqual([activity.type, activity.targetKeyId, activity.actorId], ['openapi_key_update', target.id, admin.id]);
        assertMatchesClickHouse('Activity', activity);
        const expectedValue = field === 'ipAccessList' ? body.ipAccessList : body[field];
        assert.deepEqual(activity.changes?.[field]?.new ?? null, expectedValue, JSON.stringify(activity.changes));
        assert.deepEqual(response.body.result[field], expectedValue);
      }
    }
    const final = (await keysOf(server(), organization.id)).find((key) => key.id === target.id);
    assert.deepEqual([final.name, final.roles, final.state, final.expireAt], ['both', ['admin', 'developer'], 'enabled', null]);
  });

  it('a PATCH that changes nothing records nothing', async () => {
    const { organization, admin } = await createTenant(server());
    const key = await createKey(server(), organization.id, {
      name: 'steady', roles: ['query_endpoints', 'developer'], expireAt: '2099-06-01T12:00:00Z', ipAccessList: [{ source: '192.0.2.1', description: '' }],
    });
    const before = await snapshot(server(), organization.id);
    const noOps = [
      {}, { name: 'steady' }, { name: '  steady ' }, { roles: ['developer', 'query_endpoints'] }, { roles: ['query_endpoints', 'developer'] }, { state: 'enabled' },
      { expireAt: '2099-06-01T12:00:00.000Z' }, { expireAt: '2099-06-01T14:00:00+02:00' }, { ipAccessList: [{ source: '192.0.2.1' }] },
      { name: 'steady', roles: ['developer', 'query_endpoints'], state: 'enabled', expireAt: '2099-06-01T12:00:00Z', ipAccessList: [{ source: '192.0.2.1' }] },
    ];
    for (const body of noOps) {
      const response = await call('PATCH', keyUrl(organization.id, key.id), admin.basic, body);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.deepEqual(withoutUsedAt([response.body.result]), before.keys.filter((k: any) => k.id === key.id));
    }
    assert.deepEqual(await snapshot(server(), organization.id), before);
  });

  it('a key cannot delete itself (400); another admin key can; key_delete is recorded', async () => {
    const { organization, admin } = await createTenant(server());
    const second = await createKey(server(), organization.id, { roles: ['admin'] });
    const before = await snapshot(server(), organization.id);
    for (const auth of [admin.basic, admin.bearer]) {
      assertErrorEnvelope((await call('DELETE', keyUrl(organization.id, admin.id), auth)).body, 400, 'cannot_delete_own_key');
    }
    assert.deepEqual(await snapshot(server(), organization.id), before);

    const response = await call('DELETE', keyUrl(organization.id, admin.id), second.basic);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assertEnvelope(response.body, { result: false });
    assertErrorEnvelope((await call('GET', keyUrl(organization.id, admin.id), 'root')).body, 404, 'not_found');
    const [activity] = await activitiesOf(server(), organization.id);
    assert.deepEqual([activity.type, activity.targetKeyId, activity.actorId], ['key_delete', admin.id, second.id]);
    assertMatchesClickHouse('Activity', activity);
    assertErrorEnvelope((await call('DELETE', keyUrl(organization.id, admin.id), second.basic)).body, 404, 'not_found');
    const remaining = before.keys.map((key) => key.id).filter((id) => id !== admin.id);
    assert.deepEqual((await keysOf(server(), organization.id)).map((key) => key.id).sort(), remaining.sort());
  });

  it('an organization holds at most 100 keys: the 101st is 400 key_limit_reached', async () => {
    const organization = await createOrganization(server());
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(Array.from({ length: 10 }, () => createKey(server(), organization.id, { roles: ['developer'] })));
    }
    const before = await snapshot(server(), organization.id);
    assert.equal(before.keys.length, 100);
    const over = await call('POST', keyUrl(organization.id), 'root', { name: 'one too many', roles: ['admin'] });
    assertErrorEnvelope(over.body, 400, 'key_limit_reached');
    assert.deepEqual(await snapshot(server(), organization.id), before);
    assert.equal((await call('DELETE', keyUrl(organization.id, before.keys[0].id), 'root')).status, 200);
    await createKey(server(), organization.id);
    assert.equal((await keysOf(server(), organization.id)).length, 100);
  });

  it('concurrent creation never takes an organization past 100 keys', async () => {
    const organization = await createOrganization(server());
    for (let batch = 0; batch < 9; batch++) {
      await Promise.all(Array.from({ length: 10 }, () => createKey(server(), organization.id, { roles: ['developer'] })));
    }
    const responses = await Promise.all(
      Array.from({ length: 25 }, (_, i) => call('POST', keyUrl(organization.id), 'root', { name: `racer ${i}`, roles: ['developer'] })),
    );
    const statuses = responses.map((response) => response.status);
    assert.equal(statuses.filter((status) => status === 200).length, 10, JSON.stringify(statuses));
    for (const response of responses.filter((r) => r.status !== 200)) assertErrorEnvelope(response.body, 400, 'key_limit_reached');
    assert.equal((await keysOf(server(), organization.id)).length, 100);
  });

  it('invalid POST and PATCH bodies and path ids are 400 naming the field, and change nothing', async () => {
    const { organization, admin } = await createTenant(server());
    const past = new Date(server().clock.now().getTime() - 1_000).toISOString();
    const before = await snapshot(server(), organization.id);
    const roles = ['admin'];
    const creates: [Record<string, unknown>, string][] = [
      [{ name: 'k', roles, color: 'red' }, 'color'], [{ roles }, 'name'], [{ name: 'k' }, 'roles'],
      [{ name: 'k', roles: [] }, 'roles'], [{ name: 'k', roles: ['owner'] }, 'roles[0]'], [{ name: 'k', roles: ['ADMIN'] }, 'roles[0]'],
      [{ name: 'k', roles: ['admin', 'developer', 'admin'] }, 'roles'], [{ name: 'k', roles: 'admin' }, 'roles'],
      [{ name: '', roles }, 'name'], [{ name: '   ', roles }, 'name'], [{ name: 'x'.repeat(256), roles }, 'name'],
      [{ name: 'k', roles, expireAt: 'next tuesday' }, 'expireAt'], [{ name: 'k', roles, expireAt: '2024-13-01T00:00:00Z' }, 'expireAt'],
      [{ name: 'k', roles, expireAt: past }, 'expireAt'], [{ name: 'k', roles, state: 'paused' }, 'state'],
      [{ name: 'k', roles, ipAccessList: [{ source: 'not-an-ip' }] }, 'ipAccessList[0].source'],
      [{ name: 'k', roles, ipAccessList: [{ source: '10.0.0.1' }, { source: '10.0.0.0/33' }] }, 'ipAccessList[1].source'],
      [{ name: 'k', roles, ipAccessList: [{ source: '2001:db8::/129' }] }, 'ipAccessList[0].source'],
      [{ name: 'k', roles, ipAccessList: [{ source: '256.1.1.1' }] }, 'ipAccessList[0].source'],
      [{ name: 'k', roles, ipAccessList: [{ source: '10.0.0.0/8/8' }] }, 'ipAccessList[0].source'],
      [{ name: 'k', roles, ipAccessList: [{ source: '' }] }, 'ipAccessList[0].source'],
      [{ name: 'k', roles, ipAccessList: [{ source: '10.0.0.1', note: 'x' }] }, 'ipAccessList[0].note'],
    ];
    for (const [body, field] of creates) {
      assertBadRequest(await call('POST', keyUrl(organization.id), admin.basic, body), field, body);
    }
    const patches: [Record<string, unknown>, string][] = [
      [{ color: 'red' }, 'color'], [{ roles: [] }, 'roles'], [{ roles: ['root'] }, 'roles[0]'], [{ roles: ['developer', 'developer'] }, 'roles'],
      [{ name: ' ' }, 'name'], [{ name: 'y'.repeat(256) }, 'name'], [{ state: 'ENABLED' }, 'state'],
      [{ expireAt: 'soon' }, 'expireAt'], [{ expireAt: past }, 'expireAt'],
      [{ ipAccessList: [{ source: '300.1.1.1' }] }, 'ipAccessList[0].source'],
      [{ ipAccessList: [{ source: '192.0.2.1' }, { source: 'example.com' }] }, 'ipAccessList[1].source'],
      [{ name: 'ok', roles: ['nobody'] }, 'roles[0]'],
    ];
    for (const [body, field] of patches) {
      assertBadRequest(await call('PATCH', keyUrl(organization.id, admin.id), admin.basic, body), field, body);
    }
    const paths: [Method, string, string][] = [
      ['GET', keyUrl(organization.id, 'not-a-uuid'), 'keyId'], ['PATCH', keyUrl(organization.id, '1234'), 'keyId'],
      ['DELETE', keyUrl(organization.id, `${admin.id}x`), 'keyId'], ['GET', keyUrl('acme'), 'organizationId'],
      ['POST', keyUrl('acme'), 'organizationId'],
    ];
    for (const [method, url, field] of paths) {
      const body = method === 'GET' || method === 'DELETE' ? undefined : { name: 'k', roles };
      assertBadRequest(await call(method, url, admin.basic, body), field, url);
    }
    assert.deepEqual(await snapshot(server(), organization.id), before);
    const limits = { name: 'x'.repeat(255), roles: ['admin', 'developer', 'query_endpoints'], ipAccessList: [{ source: '::/0' }] };
    assert.equal((await call('POST', keyUrl(organization.id), admin.basic, limits)).status, 200, 'the largest valid body is refused');
  });

  it("a key of organization B gets 404 on every key route of organization A, and nothing changes", async () => {
    const a = await createTenant(server(), 'Tenant A');
    const b = await createTenant(server(), 'Tenant B');
    const before = [await snapshot(server(), a.organization.id), await snapshot(server(), b.organization.id)];
    const create = { name: 'intruder', roles: ['admin'] };
    const attempts: [Auth, Method, string, unknown?][] = [
      // B's key on A's routes
      [b.admin.basic, 'GET', keyUrl(a.organization.id)],
      [b.admin.basic, 'POST', keyUrl(a.organization.id), create],
      ...(['GET', 'PATCH', 'DELETE'] as const).flatMap((method) => [
        [b.admin.basic, method, keyUrl(a.organization.id, a.developer.id), method === 'PATCH' ? { state: 'disabled' } : undefined],
        [b.admin.bearer, method, keyUrl(a.organization.id, b.developer.id), method === 'PATCH' ? { state: 'disabled' } : undefined],
        [b.admin.basic, method, keyUrl(b.organization.id, a.developer.id), method === 'PATCH' ? { state: 'disabled' } : undefined],
        [a.admin.basic, method, keyUrl(a.organization.id, b.developer.id), method === 'PATCH' ? { name: 'x' } : undefined],
      ] as [Auth, Method, string, unknown?][]),
      [b.developer.basic, 'GET', keyUrl(a.organization.id)],
      [b.developer.basic, 'GET', keyUrl(a.organization.id, a.admin.id)],
    ];
    for (const [auth, method, url, body] of attempts) {
      const response = await call(method, url, auth, body);
      assert.equal(response.status, 404, `${method} ${url}: ${JSON.stringify(response.body)}`);
      assertErrorEnvelope(response.body, 404, 'not_found');
    }
    assert.deepEqual([await snapshot(server(), a.organization.id), await snapshot(server(), b.organization.id)], before);
  });

  it('GET keys pages with limit and cursor through every key exactly once; a bad cursor or limit is 400', async () => {
    const { organization, developer } = await createTenant(server());
    for (let i = 0; i < 5; i++) await createKey(server(), organization.id, { roles: ['query_endpoints'] });
    const all = (await keysOf(server(), organization.id)).map((key) => key.id).sort();
    assert.equal(all.length, 7);
    for (const auth of ['root', developer.basic] as Auth[]) {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const url = `${keyUrl(organization.id)}?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const response = await call('GET', url, auth);
        assert.equal(response.status, 200, JSON.stringify(response.body));
        assert.ok(response.body.result.length <= 2);
        seen.push(...response.body.result.map((key: any) => key.id));
        cursor = response.body.nextCursor;
        assert.ok(++pages <= 4, 'too many pages');
      } while (cursor);
      assert.deepEqual([...seen].sort(), all);
      assert.equal(new Set(seen).size, seen.length, 'a key was served twice');
    }
    const bad: [string, string][] = [
      ['cursor=garbage%21%21', 'cursor'], [`cursor=${cursorOf({ id: all[0] })}`, 'cursor'], [`cursor=${cursorOf([1])}`, 'cursor'],
      [`cursor=${cursorOf([all[0], all[1]])}`, 'cursor'],
      ['limit=0', 'limit'], ['limit=1001', 'limit'], ['limit=ten', 'limit'], ['page=2', 'page'],
    ];
    for (const [query, field] of bad) {
      const response = await call('GET', `${keyUrl(organization.id)}?${query}`, developer.basic);
      assertBadRequest(response, field, query);
      if (field === 'cursor') assert.equal(response.body.code, 'invalid_cursor');
    }
  });

  it('a well-formed cursor that holds no key id is 400 invalid_cursor, not a server error', async () => {
    const { organization, developer } = await createTenant(server());
    for (const value of ['not-a-uuid', "'; drop table api_keys; --"]) {
      const response = await call('GET', `${keyUrl(organization.id)}?cursor=${cursorOf([value])}`, developer.basic);
      assertBadRequest(response, 'cursor', value);
      assert.equal(response.body.code, 'invalid_cursor');
    }
  });
});
