/**
 * Personal API keys: /v1/users/{userId}/keys (create, list, delete; the secret shown once), and
 * what a personal key may do on the organization routes: it acts with its user's membership level
 * in each organization, within its scopes and its organization limit.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { it } from 'node:test';
import { assertEnvelope, assertErrorEnvelope, assertMatchesClickHouse } from './contracts/clickhouse.js';
import { activitiesOf, createKey, createOrganization, createTenant } from './helpers/fixtures.js';
import { onEachDatabase, type ApiResponse, type Auth, type TestServer } from './helpers/server.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
const sha256 = (value: string) => createHash('sha256').update(value).digest('base64');
const keysUrl = (userId: string, keyId = '') => `/v1/users/${userId}/keys${keyId && `/${keyId}`}`;
const orgUrl = (organizationId: string, rest = '') => `/v1/organizations/${organizationId}${rest}`;
const HOUR = 3_600_000;

interface PersonalKey { id: string; keyId: string; keySecret: string; key: any; bearer: Auth; basic: Auth }

async function createUser(server: TestServer): Promise<{ id: string; email: string }> {
  const email = `pk-${randomBytes(6).toString('hex')}@example.com`;
  const response = await server.request({ method: 'POST', url: '/v1/users', auth: 'root', body: { email } });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body.result;
}

async function createPersonalKey(server: TestServer, userId: string, body: Record<string, unknown> = {}, auth: Auth = 'root'): Promise<PersonalKey> {
  const response = await server.request({ method: 'POST', url: keysUrl(userId), auth, body: { name: 'personal', scopes: ['*'], ...body } });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  const { key, keyId, keySecret } = response.body.result;
  return { id: key.id, keyId, keySecret, key, bearer: { bearer: keySecret }, basic: { keyId, keySecret } };
}

/**
 * Makes the user a member of the organization at a PostHog level (1 member, 8 admin, 15 owner),
 * the way users join: root invites the address, the user accepts with a personal key of theirs.
 */
async function addMember(server: TestServer, organizationId: string, userId: string, level: 1 | 8 | 15): Promise<void> {
  const user = await server.request({ method: 'GET', url: `/v1/users/${userId}`, auth: 'root' });
  const invitation = await server.request({
    method: 'POST',
    url: `/v1/organizations/${organizationId}/invitations`,
    auth: 'root',
    body: { email: user.body.result.email, level },
  });
  assert.equal(invitation.status, 200, JSON.stringify(invitation.body));
  const joiner = await createPersonalKey(server, userId, { name: 'joiner', scopes: ['organization_member:write'] });
  const accepted = await server.request({ method: 'POST', url: `/v1/invitations/${invitation.body.result.id}/accept`, auth: joiner.bearer });
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
  await server.request({ method: 'DELETE', url: keysUrl(userId, joiner.id), auth: 'root' });
}

function assertBadRequest(response: ApiResponse, field: string, context: unknown, code?: string): void {
  const message = `${JSON.stringify(context)} → ${JSON.stringify(response.body)}`;
  assert.equal(response.status, 400, message);
  assertErrorEnvelope(response.body, 400, code);
  assert.equal(response.body.field, field, message);
  assert.match(response.body.error, new RegExp(field.replace(/[[\].]/g, '\\$&')), message);
}

onEachDatabase('personal keys', (server) => {
  const call = (method: Method, url: string, auth?: Auth, body?: unknown) =>
    server().request({ method, url, ...(auth !== undefined && { auth }), ...(body !== undefined && { body }) });
  const keysOf = async (userId: string) => {
    const response = await call('GET', `${keysUrl(userId)}?limit=1000`, 'root');
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.result as any[];
  };
  /** A user who is a member of a fresh organization at `level`, with a personal key of `scopes`. */
  async function member(level: 1 | 8 | 15, scopes: string[]) {
    const organization = await createOrganization(server());
    const user = await createUser(server());
    await addMember(server(), organization.id, user.id, level);
    const key = await createPersonalKey(server(), user.id, { scopes });
    return { organization, user, key };
  }

  // ---- /v1/users/{userId}/keys ----

  it('root and the user themself create keys: the shape, the secret once, Bearer and Basic both authenticate', async () => {
    const user = await createUser(server());
    const response = await call('POST', keysUrl(user.id), 'root', { name: '  Laptop  ', scopes: ['organization:write', 'organization:read'] });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assertEnvelope(response.body, { result: true });
    const { key, keyId, keySecret, ...rest } = response.body.result;
    assert.deepEqual(rest, {});
    assert.ok(typeof keyId === 'string' && typeof keySecret === 'string' && keySecret.length >= 32 && keyId !== keySecret);
    const { id, createdAt, ...fields } = key;
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.equal(new Date(createdAt).toISOString(), createdAt);
    assert.deepEqual(fields, {
      name: 'Laptop', state: 'enabled', scopes: ['organization:read', 'organization:write'], organizationIds: null,
      keySuffix: keyId.slice(-4), expireAt: null,
    });
    for (const auth of [{ bearer: keySecret }, { keyId, keySecret }] as Auth[]) {
      assert.equal((await call('GET', `/v1/users/${user.id}`, auth)).status, 200);
    }
    // The key creates another (no broader) key for its own user, which works too.
    const expireAt = new Date(server().clock.now().getTime() + 24 * HOUR).toISOString();
    const own = await createPersonalKey(server(), user.id, { name: 'CI', scopes: ['organization:read'], expireAt }, { bearer: keySecret });
    assert.deepEqual([own.key.expireAt, own.key.scopes, own.key.keySuffix], [expireAt, ['organization:read'], own.keyId.slice(-4)]);
    assert.equal((await call('GET', `/v1/users/${user.id}`, own.basic)).status, 200);
    assert.deepEqual((await keysOf(user.id)).map((k) => k.id).sort(), [id, own.id].sort());
    assertErrorEnvelope((await call('GET', `/v1/users/${user.id}`, { keyId, keySecret: `${keySecret}x` })).body, 401, 'unauthenticated');
  });

  it('the secret and key id never appear in GET or list bodies, in the logs, or in the database in clear', async () => {
    const user = await createUser(server());
    const first = await createPersonalKey(server(), user.id);
    const second = await createPersonalKey(server(), user.id, { scopes: ['organization:read'] }, first.bearer);
    await call('GET', `/v1/users/${user.id}`, second.basic);
    const secrets = [first, second].flatMap((key) => [key.keySecret, key.keyId, sha256(key.keySecret), sha256(key.keyId)]);
    for (const auth of ['root', first.bearer, second.basic] as Auth[]) {
      const response = await call('GET', keysUrl(user.id), auth);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(response.body.result.length, 2);
      for (const secret of secrets) assert.equal(response.raw.body.includes(secret), false, `list leaks ${secret}`);
      for (const key of response.body.result) assert.deepEqual(Object.keys(key).filter((name) => /secret|hash|keyId/i.test(name)), []);
    }
    const logs = server().logs.join('\n');
    for (const key of [first, second]) {
      assert.equal(logs.includes(key.keySecret), false, 'the secret is logged');
      assert.equal(logs.includes(key.keyId), false, 'the key id is logged');
    }
    const rows = await server().database.db.selectFrom('api_keys').selectAll().where('user_id', '=', user.id).execute();
    assert.equal(rows.length, 2);
    for (const key of [first, second]) {
      const row = rows.find((candidate) => candidate.id === key.id)!;
      assert.deepEqual([row.secret_hash, row.key_id_hash, row.organization_id], [sha256(key.keySecret), sha256(key.keyId), null]);
      assert.equal(JSON.stringify(row).includes(key.keySecret), false);
    }
  });

  it('rejects bad scopes, names, expiry and unknown fields with 400 naming the field; creates nothing', async () => {
    const user = await createUser(server());
    const self = await createPersonalKey(server(), user.id);
    const past = new Date(server().clock.now().getTime() - 1000).toISOString();
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'k', scopes: ['organization:admin'] }, 'scopes[0]'],
      [{ name: 'k', scopes: ['organization:read', 'everything'] }, 'scopes[1]'],
      [{ name: 'k', scopes: ['organization:read', 'organization:read'] }, 'scopes'],
      [{ name: 'k', scopes: [] }, 'scopes'],
      [{ name: 'k' }, 'scopes'],
      [{ name: 'k', scopes: 'organization:read' }, 'scopes'],
      [{ name: 'k', scopes: [42] }, 'scopes[0]'],
      [{ scopes: ['*'] }, 'name'],
      [{ name: '', scopes: ['*'] }, 'name'],
      [{ name: '   ', scopes: ['*'] }, 'name'],
      [{ name: 'x'.repeat(256), scopes: ['*'] }, 'name'],
      [{ name: 'k', scopes: ['*'], expireAt: past }, 'expireAt'],
      [{ name: 'k', scopes: ['*'], expireAt: server().clock.now().toISOString().slice(0, 10) }, 'expireAt'],
      [{ name: 'k', scopes: ['*'], roles: ['admin'] }, 'roles'],
      [{ name: 'k', scopes: ['*'], organizationIds: [] }, 'organizationIds'],
      [{ name: 'k', scopes: ['*'], organizationIds: ['nope'] }, 'organizationIds[0]'],
    ];
    for (const auth of ['root', self.bearer] as Auth[]) {
      for (const [body, field] of cases) assertBadRequest(await call('POST', keysUrl(user.id), auth, body), field, body);
    }
    assert.equal((await keysOf(user.id)).length, 1);
  });

  it('organizationIds must be live organizations the user is a member of (else 400 not_a_member naming the index)', async () => {
    const user = await createUser(server());
    const [mine, alsoMine, notMine, deleted] = await Promise.all([1, 2, 3, 4].map(() => createOrganization(server())));
    for (const organization of [mine!, alsoMine!, deleted!]) await addMember(server(), organization.id, user.id, 1);
    assert.equal((await call('DELETE', orgUrl(deleted!.id), 'root')).status, 200);
    const cases: [string[], string][] = [
      [[mine!.id, notMine!.id], 'organizationIds[1]'],
      [[randomUUID()], 'organizationIds[0]'],
      [[mine!.id, alsoMine!.id, deleted!.id], 'organizationIds[2]'],
    ];
    for (const [organizationIds, field] of cases) {
      const body = { name: 'limited', scopes: ['*'], organizationIds };
      assertBadRequest(await call('POST', keysUrl(user.id), 'root', body), field, body, 'not_a_member');
    }
    assertBadRequest(await call('POST', keysUrl(user.id), 'root', { name: 'dup', scopes: ['*'], organizationIds: [mine!.id, mine!.id] }), 'organizationIds', 'duplicates');
    assert.deepEqual(await keysOf(user.id), []);
    const limited = await createPersonalKey(server(), user.id, { organizationIds: [alsoMine!.id, mine!.id] });
    assert.deepEqual([...limited.key.organizationIds].sort(), [mine!.id, alsoMine!.id].sort());
  });

  it('only root or the user: another user\u2019s personal key and organization keys get 404 on create, list and delete', async () => {
    const { organization, user, key } = await member(15, ['*']);
    const other = await createUser(server());
    const otherKey = await createPersonalKey(server(), other.id);
    const orgKey = await createKey(server(), organization.id, { roles: ['admin'] });
    for (const auth of [otherKey.bearer, otherKey.basic, orgKey.basic, orgKey.bearer]) {
      assertErrorEnvelope((await call('POST', keysUrl(user.id), auth, { name: 'x', scopes: ['*'] })).body, 404, 'not_found');
      assertErrorEnvelope((await call('GET', keysUrl(user.id), auth)).body, 404, 'not_found');
      assertErrorEnvelope((await call('DELETE', keysUrl(user.id, key.id), auth)).body, 404, 'not_found');
    }
    assert.deepEqual((await keysOf(user.id)).map((k) => k.id), [key.id]);
    assert.equal((await call('GET', `/v1/users/${user.id}`, key.bearer)).status, 200);
    // Unknown or malformed users.
    const missing = randomUUID();
    assertErrorEnvelope((await call('POST', keysUrl(missing), 'root', { name: 'x', scopes: ['*'] })).body, 404, 'not_found');
    assertErrorEnvelope((await call('GET', keysUrl(missing), 'root')).body, 404, 'not_found');
    assertBadRequest(await call('GET', keysUrl('not-a-uuid'), 'root'), 'userId', 'malformed');
    assertBadRequest(await call('DELETE', keysUrl(user.id, 'not-a-uuid'), 'root'), 'keyId', 'malformed');
  });

  it('the list pages with limit and cursor, serving every key exactly once', async () => {
    const user = await createUser(server());
    const reader = await createPersonalKey(server(), user.id, { name: 'reader', scopes: ['organization:read'] });
    const created: string[] = [reader.id];
    for (let i = 0; i < 5; i++) created.push((await createPersonalKey(server(), user.id, { name: `k${i}` })).id);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const response = await call('GET', `${keysUrl(user.id)}?limit=2${cursor ? `&cursor=${cursor}` : ''}`, reader.bearer);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assertEnvelope(response.body, { result: true });
      assert.ok(response.body.result.length <= 2);
      seen.push(...response.body.result.map((key: any) => key.id));
      cursor = response.body.nextCursor;
      pages++;
    } while (cursor && pages < 20);
    assert.equal(new Set(seen).size, seen.length, 'a key was served twice');
    assert.deepEqual([...seen].sort(), [...created].sort());
    assert.equal(pages, 3);
    assertBadRequest(await call('GET', `${keysUrl(user.id)}?limit=0`, 'root'), 'limit', 'limit=0');
    assertErrorEnvelope((await call('GET', `${keysUrl(user.id)}?cursor=garbage`, 'root')).body, 400, 'invalid_cursor');
  });

  it('DELETE: envelope without result; the key gets 401 at once; another user\u2019s key id under your path is 404', async () => {
    const user = await createUser(server());
    const doomed = await createPersonalKey(server(), user.id);
    const keeper = await createPersonalKey(server(), user.id);
    const other = await createUser(server());
    const otherKey = await createPersonalKey(server(), other.id);
    assert.equal((await call('GET', `/v1/users/${user.id}`, doomed.bearer)).status, 200); // now cached
    assertErrorEnvelope((await call('DELETE', keysUrl(user.id, otherKey.id), keeper.bearer)).body, 404, 'not_found');
    assertErrorEnvelope((await call('DELETE', keysUrl(user.id, otherKey.id), 'root')).body, 404, 'not_found');
    assert.equal((await call('GET', `/v1/users/${other.id}`, otherKey.bearer)).status, 200);

    const response = await call('DELETE', keysUrl(user.id, doomed.id), keeper.basic);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assertEnvelope(response.body, { result: false });
    for (const auth of [doomed.bearer, doomed.basic]) {
      assertErrorEnvelope((await call('GET', `/v1/users/${user.id}`, auth)).body, 401, 'unauthenticated');
    }
    assert.deepEqual((await keysOf(user.id)).map((k) => k.id), [keeper.id]);
    assertErrorEnvelope((await call('DELETE', keysUrl(user.id, doomed.id), 'root')).body, 404, 'not_found');
    // A key may delete itself.
    assert.equal((await call('DELETE', keysUrl(user.id, keeper.id), keeper.bearer)).status, 200);
    assertErrorEnvelope((await call('GET', `/v1/users/${user.id}`, keeper.bearer)).body, 401, 'unauthenticated');
  });

  it('an expired personal key is 401 (clock advanced), including once it is cached', async () => {
    const { organization, user } = await member(1, ['organization:read']);
    const expireAt = new Date(server().clock.now().getTime() + HOUR).toISOString();
    const key = await createPersonalKey(server(), user.id, { scopes: ['organization:read'], expireAt });
    assert.equal((await call('GET', orgUrl(organization.id), key.bearer)).status, 200);
    server().clock.advance(2 * HOUR);
    try {
      for (const auth of [key.bearer, key.basic]) {
        assertErrorEnvelope((await call('GET', orgUrl(organization.id), auth)).body, 401, 'unauthenticated');
        assertErrorEnvelope((await call('GET', `/v1/users/${user.id}`, auth)).body, 401, 'unauthenticated');
      }
    } finally {
      server().clock.advance(-2 * HOUR);
    }
  });

  // ---- personal keys on the organization routes ----

  it('a non-member\u2019s personal key gets 404 on the organization, its keys and its activities', async () => {
    const organization = await createOrganization(server(), 'Not yours');
    const orgKey = await createKey(server(), organization.id, { roles: ['admin'] });
    const user = await createUser(server());
    const key = await createPersonalKey(server(), user.id, { scopes: ['*'] });
    const requests: [Method, string, unknown?][] = [
      ['GET', orgUrl(organization.id)], ['PATCH', orgUrl(organization.id), { name: 'Mine now' }],
      ['GET', orgUrl(organization.id, '/keys')], ['GET', orgUrl(organization.id, `/keys/${orgKey.id}`)],
      ['POST', orgUrl(organization.id, '/keys'), { name: 'x', roles: ['admin'] }], ['GET', orgUrl(organization.id, '/activities')],
      ['DELETE', orgUrl(organization.id)],
    ];
    for (const [method, url, body] of requests) {
      for (const auth of [key.bearer, key.basic]) assertErrorEnvelope((await call(method, url, auth, body)).body, 404, 'not_found');
    }
    assert.equal((await call('GET', orgUrl(organization.id), 'root')).body.result.name, 'Not yours');
  });

  it('a member (level 1) reads with organization:read; writes are 403 admin_level_required; organization_member:read alone is 403 missing_scope', async () => {
    const { organization, user, key } = await member(1, ['organization:read']);
    for (const url of [orgUrl(organization.id), orgUrl(organization.id, '/activities'), orgUrl(organization.id, '/keys')]) {
      const response = await call('GET', url, key.bearer);
      assert.equal(response.status, 200, `${url} → ${JSON.stringify(response.body)}`);
    }
    const before = (await activitiesOf(server(), organization.id)).length;
    const writes = [
      ['PATCH', orgUrl(organization.id), { name: 'Renamed' }], ['POST', orgUrl(organization.id, '/keys'), { name: 'x', roles: ['admin'] }],
    ] as const;
    // With organization:write, the level alone is what stops a member.
    const writer = await createPersonalKey(server(), user.id, { scopes: ['organization:write'] });
    for (const [method, url, body] of writes) {
      assertErrorEnvelope((await call(method, url, writer.bearer, body)).body, 403, 'admin_level_required');
      // With organization:read only, both the level and the scope are missing: either reason is right.
      const response = await call(method, url, key.basic, body);
      assertErrorEnvelope(response.body, 403);
      assert.ok(['admin_level_required', 'missing_scope'].includes(response.body.code), JSON.stringify(response.body));
    }
    assert.equal((await activitiesOf(server(), organization.id)).length, before);
    const memberOnly = await createPersonalKey(server(), user.id, { scopes: ['organization_member:read'] });
    for (const url of [orgUrl(organization.id), orgUrl(organization.id, '/activities'), '/v1/organizations']) {
      assertErrorEnvelope((await call('GET', url, memberOnly.bearer)).body, 403, 'missing_scope');
    }
  });

  it('an admin (level 8) with organization:write renames, recorded as the user; organization:read alone is 403 missing_scope', async () => {
    const { organization, user, key } = await member(8, ['organization:write']);
    assert.equal((await call('GET', orgUrl(organization.id), key.bearer)).status, 200); // write implies read
    const response = await call('PATCH', orgUrl(organization.id), key.basic, { name: 'By a person' });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assertMatchesClickHouse('Organization', response.body.result);
    assert.equal(response.body.result.name, 'By a person');
    const [activity] = await activitiesOf(server(), organization.id);
    assert.deepEqual([activity.type, activity.actorType, activity.actorId], ['organization_update_name', 'user', user.id]);
    assertMatchesClickHouse('Activity', activity);
    assert.equal(JSON.stringify(activity).includes(key.keySecret), false);

    const reader = await createPersonalKey(server(), user.id, { scopes: ['organization:read'] });
    assertErrorEnvelope((await call('PATCH', orgUrl(organization.id), reader.bearer, { name: 'Nope' })).body, 403, 'missing_scope');
    assert.equal((await call('GET', orgUrl(organization.id), 'root')).body.result.name, 'By a person');
  });

  it('a `*` key of an admin does what an admin may (rename, manage organization keys, read activities), and creates top-level organizations it then owns', async () => {
    const { organization, user, key } = await member(8, ['*']);
    const mine = await call('POST', '/v1/organizations', key.bearer, { name: `Mine ${user.id}` });
    assert.equal(mine.status, 200, JSON.stringify(mine.body));
    const owner = await call('GET', orgUrl(mine.body.result.id, `/members/${user.id}`), key.bearer);
    assert.equal(owner.body.result.level, 15, 'the creator owns it');
    assert.equal((await call('PATCH', orgUrl(organization.id), key.bearer, { name: 'Starred' })).status, 200);
    const created = await call('POST', orgUrl(organization.id, '/keys'), key.basic, { name: 'service', roles: ['developer'] });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const orgKeyId = created.body.result.key.id;
    assert.equal((await call('PATCH', orgUrl(organization.id, `/keys/${orgKeyId}`), key.bearer, { state: 'disabled' })).status, 200);
    assert.equal((await call('GET', orgUrl(organization.id, '/keys'), key.bearer)).body.result.length, 1);
    assert.equal((await call('DELETE', orgUrl(organization.id, `/keys/${orgKeyId}`), key.bearer)).status, 200);
    const trail = await call('GET', orgUrl(organization.id, '/activities'), key.bearer);
    assert.equal(trail.status, 200);
    const byUser = trail.body.result.filter((activity: any) => activity.actorType === 'user');
    assert.deepEqual(byUser.map((activity: any) => activity.actorId), byUser.map(() => user.id));
    assert.deepEqual(byUser.map((a: any) => a.type).sort(), [
      'key_create', 'key_delete', 'openapi_key_update', 'organization_member_join', 'organization_update_name',
    ]);
  });

  it('a key limited to organization A gets 403 organization_not_allowed on organization B, where its user is owner; 404 where the user is not a member', async () => {
    const { organization: a, user } = await member(8, ['*']);
    const b = await createOrganization(server(), 'B');
    await addMember(server(), b.id, user.id, 15);
    const limited = await createPersonalKey(server(), user.id, { scopes: ['*'], organizationIds: [a.id] });
    const unlimited = await createPersonalKey(server(), user.id, { scopes: ['*'] });
    assert.equal((await call('GET', orgUrl(a.id), limited.bearer)).status, 200);
    assert.equal((await call('GET', orgUrl(b.id), unlimited.bearer)).status, 200);
    for (const [method, url, body] of [
      ['GET', orgUrl(b.id)], ['PATCH', orgUrl(b.id), { name: 'x' }], ['GET', orgUrl(b.id, '/keys')], ['GET', orgUrl(b.id, '/activities')],
    ] as const) {
      const response = await call(method, url, limited.bearer, body);
      assertErrorEnvelope(response.body, 403, 'organization_not_allowed');
      assert.equal(response.body.error, `API key does not have access to the requested organization: ID ${b.id}.`);
    }
    const stranger = await createOrganization(server(), 'C');
    assertErrorEnvelope((await call('GET', orgUrl(stranger.id), limited.bearer)).body, 404, 'not_found');
    assert.equal((await call('GET', orgUrl(b.id), 'root')).body.result.name, 'B', 'the refused PATCH changed nothing');
  });

  it('GET /v1/organizations lists exactly the user\u2019s live organizations (within its limit), paged', async () => {
    const user = await createUser(server());
    const organizations = [];
    for (let i = 0; i < 5; i++) organizations.push(await createOrganization(server()));
    await createOrganization(server()); // not a member
    for (const [i, organization] of organizations.entries()) await addMember(server(), organization.id, user.id, i === 0 ? 15 : 1);
    assert.equal((await call('DELETE', orgUrl(organizations[4]!.id), 'root')).status, 200);
    const live = organizations.slice(0, 4).map((organization) => organization.id).sort();
    const listAll = async (auth: Auth) => {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const response = await call('GET', `/v1/organizations?limit=1${cursor ? `&cursor=${cursor}` : ''}`, auth);
        assert.equal(response.status, 200, JSON.stringify(response.body));
        assert.ok(response.body.result.length <= 1);
        response.body.result.forEach((organization: unknown) => assertMatchesClickHouse('Organization', organization));
        seen.push(...response.body.result.map((organization: any) => organization.id));
        cursor = response.body.nextCursor;
      } while (cursor && ++pages < 20);
      return seen;
    };
    const all = await listAll((await createPersonalKey(server(), user.id, { scopes: ['organization:read'] })).bearer);
    assert.deepEqual(all, live);
    const limitedTo = [live[1]!, live[3]!];
    const limited = await createPersonalKey(server(), user.id, { scopes: ['organization:read'], organizationIds: limitedTo });
    assert.deepEqual(await listAll(limited.basic), limitedTo);
    assert.deepEqual(await listAll((await createPersonalKey(server(), (await createUser(server())).id)).bearer), []);
  });

  it('once an organization is deleted, its members\u2019 keys get 404 on it, its keys and its activities', async () => {
    const { organization, key } = await member(15, ['*']);
    const orgKey = await createKey(server(), organization.id, { roles: ['admin'] });
    assert.equal((await call('GET', orgUrl(organization.id, '/activities'), key.bearer)).status, 200);
    assert.equal((await call('DELETE', orgUrl(organization.id), 'root')).status, 200);
    const reachable: string[] = [];
    for (const [method, url, body] of [
      ['GET', orgUrl(organization.id)], ['PATCH', orgUrl(organization.id), { name: 'ghost' }],
      ['GET', orgUrl(organization.id, '/keys')], ['GET', orgUrl(organization.id, `/keys/${orgKey.id}`)],
      ['PATCH', orgUrl(organization.id, `/keys/${orgKey.id}`), { name: 'ghost' }], ['DELETE', orgUrl(organization.id, `/keys/${orgKey.id}`)],
      ['POST', orgUrl(organization.id, '/keys'), { name: 'ghost', roles: ['admin'] }], ['GET', orgUrl(organization.id, '/activities')],
    ] as const) {
      const response = await call(method, url, key.bearer, body);
      if (response.status !== 404 || response.body.code !== 'not_found') reachable.push(`${method} ${url.slice(55)} → ${response.status}`);
    }
    assert.deepEqual(reachable, [], 'routes of a deleted organization still reachable with a personal key');
    // Nothing was changed through them.
    const trail = await activitiesOf(server(), organization.id);
    assert.equal(trail[0].type, 'delete_organization');
    // The user's only activity is having joined: nothing after the deletion was recorded.
    assert.deepEqual(trail.filter((activity) => activity.actorType === 'user').map((activity) => activity.type), ['organization_member_join']);
  });

  it('a personal key cannot mint a key that can do more than itself (scopes, organization limit)', async () => {
    const { organization } = await createTenant(server());
    const user = await createUser(server());
    await addMember(server(), organization.id, user.id, 8);
    const reader = await createPersonalKey(server(), user.id, { scopes: ['organization:read'] });
    const limited = await createPersonalKey(server(), user.id, { scopes: ['*'], organizationIds: [organization.id] });
    const refused: [PersonalKey, Record<string, unknown>][] = [
      [reader, { scopes: ['*'] }],
      [reader, { scopes: ['organization:write'] }],
      [reader, { scopes: ['organization_member:read'] }],
      [limited, { scopes: ['organization:read'] }],
    ];
    for (const [creator, body] of refused) {
      const response = await server().request({ method: 'POST', url: keysUrl(user.id), auth: creator.bearer, body: { name: 'child', ...body } });
      assertErrorEnvelope(response.body, 403, 'scope_escalation');
    }
    // Equal or narrower is fine.
    await createPersonalKey(server(), user.id, { scopes: ['organization:read'] }, reader.bearer);
    await createPersonalKey(server(), user.id, { scopes: ['organization:write'], organizationIds: [organization.id] }, limited.bearer);
    const list = await server().request({ method: 'GET', url: keysUrl(user.id), auth: 'root' });
    assert.equal(list.body.result.length, 4);
  });
});
