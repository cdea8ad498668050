/**
 * The users endpoints of /v1: POST /v1/users (root only; strict body, normalized email, one
 * account per address case-insensitively) and GET /v1/users/{userId} (root, or the user's own
 * personal key; everyone else is told the user does not exist).
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { it } from 'node:test';
import { assertEnvelope, assertErrorEnvelope } from './contracts/clickhouse.js';
import { createTenant } from './helpers/fixtures.js';
import { onEachDatabase, type ApiResponse, type Auth, type TestServer } from './helpers/server.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A fresh address per call: every test shares one server (and one users table) per database. */
const uniqueEmail = (local = 'user') => `${local}-${randomBytes(5).toString('hex')}@example.com`;

function assertBadRequest(response: ApiResponse, field: string, context: unknown): void {
  const message = `${JSON.stringify(context)} → ${JSON.stringify(response.body)}`;
  assert.equal(response.status, 400, message);
  assertErrorEnvelope(response.body, 400);
  assert.equal(response.body.field, field, message);
  assert.match(response.body.error, new RegExp(field.replace(/[[\].]/g, '\\$&')), message);
}

async function countUsers(server: TestServer): Promise<number> {
  const rows = await server.database.db.selectFrom('users').select('id').execute();
  return rows.length;
}

onEachDatabase('users', (server) => {
  const createUser = async (body: Record<string, unknown>, auth: Auth = 'root') =>
    server().request({ method: 'POST', url: '/v1/users', auth, body });
  const getUser = (userId: string, auth: Auth) => server().request({ method: 'GET', url: `/v1/users/${userId}`, auth });

  /** A user and a personal key of theirs (created by root). */
  async function userWithKey(scopes: string[] = ['*']) {
    const created = await createUser({ email: uniqueEmail() });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const user = created.body.result;
    const response = await server().request({ method: 'POST', url: `/v1/users/${user.id}/keys`, auth: 'root', body: { name: 'mine', scopes } });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const { keyId, keySecret } = response.body.result;
    return { user, bearer: { bearer: keySecret } as Auth, basic: { keyId, keySecret } as Auth };
  }

  it('root creates a user: envelope, lowercase email, trimmed names, and GET returns the same user', async () => {
    const local = `Ada.Lovelace+${randomBytes(4).toString('hex')}`;
    const response = await createUser({ email: `${local}@Example.COM`, firstName: '  Ada ', lastName: ' Lovelace  ' });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assertEnvelope(response.body, { result: true });
    const user = response.body.result;
    assert.match(user.id, UUID);
    assert.equal(new Date(user.createdAt).toISOString(), user.createdAt);
    const { id: _id, createdAt: _createdAt, ...fields } = user;
    assert.deepEqual(fields, { email: `${local.toLowerCase()}@example.com`, firstName: 'Ada', lastName: 'Lovelace' });

    const row = await server().database.db.selectFrom('users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow();
    assert.equal(row.email, fields.email);

    const read = await getUser(user.id, 'root');
    assert.equal(read.status, 200, JSON.stringify(read.body));
    assertEnvelope(read.body, { result: true });
    assert.deepEqual(read.body.result, user);
  });

  it('names are optional and default to empty strings', async () => {
    const email = uniqueEmail('plain');
    const response = await createUser({ email });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.deepEqual([response.body.result.email, response.body.result.firstName, response.body.result.lastName], [email, '', '']);
  });

  it('an email with surrounding whitespace is a 400 naming email (not silently altered); case is folded', async () => {
    const email = uniqueEmail('Padded');
    const padded = await createUser({ email: `  ${email}  ` });
    assertErrorEnvelope(padded.body, 400);
    assert.equal(padded.body.field, 'email');
    const upper = await createUser({ email: email.toUpperCase() });
    assert.equal(upper.status, 200, JSON.stringify(upper.body));
    assert.equal(upper.body.result.email, email.toLowerCase());
  });

  it('rejects unknown fields, bad emails, wrong types and over-long names with 400 naming the field; creates nothing', async () => {
    const before = await countUsers(server());
    const cases: [unknown, string][] = [
      [{ email: uniqueEmail(), nickname: 'ada' }, 'nickname'],
      [{ email: uniqueEmail(), password: 'hunter2' }, 'password'],
      [{}, 'email'],
      [{ firstName: 'No', lastName: 'Email' }, 'email'],
      [{ email: 'not-an-email' }, 'email'],
      [{ email: 'ada@' }, 'email'],
      [{ email: '@example.com' }, 'email'],
      [{ email: 'two words@example.com' }, 'email'],
      [{ email: '' }, 'email'],
      [{ email: 42 }, 'email'],
      [{ email: null }, 'email'],
      [{ email: `${'a'.repeat(250)}@example.com` }, 'email'],
      [{ email: uniqueEmail(), firstName: 7 }, 'firstName'],
      [{ email: uniqueEmail(), firstName: 'x'.repeat(151) }, 'firstName'],
      [{ email: uniqueEmail(), lastName: 'x'.repeat(151) }, 'lastName'],
    ];
    for (const [body, field] of cases) assertBadRequest(await createUser(body as Record<string, unknown>), field, body);
    for (const body of ['"ada@example.com"', '[]']) {
      const response = await server().request({ method: 'POST', url: '/v1/users', auth: 'root', body });
      assertErrorEnvelope(response.body, 400);
    }
    assert.equal(await countUsers(server()), before);
  });

  it('a duplicate email, in any letter case, is 409 email_taken naming email; the first user is unchanged', async () => {
    const email = uniqueEmail('dup');
    const first = await createUser({ email, firstName: 'First' });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const before = await countUsers(server());
    for (const variant of [email, email.toUpperCase(), `${email[0]!.toUpperCase()}${email.slice(1)}`]) {
      const response = await createUser({ email: variant, firstName: 'Second' });
      assertErrorEnvelope(response.body, 409, 'email_taken');
      assert.equal(response.body.field, 'email', JSON.stringify(response.body));
    }
    assert.equal(await countUsers(server()), before);
    assert.deepEqual((await getUser(first.body.result.id, 'root')).body.result, first.body.result);
  });

  it('the same address sent concurrently in different cases creates exactly one user', async () => {
    const email = uniqueEmail('race');
    const variants = [email, email.toUpperCase(), email, `${email.slice(0, 3).toUpperCase()}${email.slice(3)}`];
    const responses = await Promise.all(variants.map((variant) => createUser({ email: variant })));
    const statuses = responses.map((response) => response.status).sort();
    assert.deepEqual(statuses, [200, 409, 409, 409], JSON.stringify(responses.map((response) => response.body)));
    for (const response of responses.filter((candidate) => candidate.status === 409)) {
      assertErrorEnvelope(response.body, 409, 'email_taken');
    }
    const rows = await server().database.db.selectFrom('users').select('email').where('email', '=', email).execute();
    assert.equal(rows.length, 1);
  });

  it('only root creates users: organization keys and personal keys get 403 root_required, no credential 401', async () => {
    const { admin, developer } = await createTenant(server());
    const personal = await userWithKey(['*']);
    const before = await countUsers(server());
    for (const auth of [admin.basic, admin.bearer, developer.basic, personal.bearer, personal.basic]) {
      const response = await createUser({ email: uniqueEmail('forbidden') }, auth);
      assertErrorEnvelope(response.body, 403, 'root_required');
    }
    const anonymous = await server().request({ method: 'POST', url: '/v1/users', body: { email: uniqueEmail() } });
    assertErrorEnvelope(anonymous.body, 401, 'unauthenticated');
    const wrong = await createUser({ email: uniqueEmail() }, { bearer: 'obk_not-a-real-secret' });
    assertErrorEnvelope(wrong.body, 401, 'unauthenticated');
    assert.equal(await countUsers(server()), before);
  });

  it('GET: root and the user\u2019s own personal key (Bearer or Basic) read the user', async () => {
    const { user, bearer, basic } = await userWithKey(['organization:read']);
    for (const auth of ['root', bearer, basic] as Auth[]) {
      const response = await getUser(user.id, auth);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assertEnvelope(response.body, { result: true });
      assert.deepEqual(response.body.result, user);
    }
  });

  it('GET: another user\u2019s personal key and organization keys get 404, as for a user that does not exist', async () => {
    const target = await userWithKey();
    const other = await userWithKey(['*']);
    const { admin, developer } = await createTenant(server());
    for (const auth of [other.bearer, other.basic, admin.basic, admin.bearer, developer.basic]) {
      const response = await getUser(target.user.id, auth);
      assertErrorEnvelope(response.body, 404, 'not_found');
      assert.equal(JSON.stringify(response.body).includes(target.user.email), false, 'the response reveals the email');
    }
    // Indistinguishable from a user that does not exist.
    const missing = randomUUID();
    for (const auth of ['root', other.bearer, admin.basic] as Auth[]) {
      assertErrorEnvelope((await getUser(missing, auth)).body, 404, 'not_found');
    }
  });

  it('GET: a malformed user id is 400 naming userId', async () => {
    const { bearer } = await userWithKey();
    for (const auth of ['root', bearer] as Auth[]) {
      for (const id of ['not-a-uuid', '123', `${randomUUID()}x`]) {
        assertBadRequest(await getUser(id, auth), 'userId', id);
      }
    }
  });

  it('GET without credentials is 401', async () => {
    const { user } = await userWithKey();
    const response = await server().request({ method: 'GET', url: `/v1/users/${user.id}` });
    assertErrorEnvelope(response.body, 401, 'unauthenticated');
    assert.ok(response.headers['www-authenticate']);
  });
});
