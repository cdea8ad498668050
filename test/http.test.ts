import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { BODY_LIMIT_BYTES } from '../src/app.js';
import { assertErrorEnvelope } from './contracts/clickhouse.js';
import { testDatabases } from './helpers/databases.js';
import { createKey, createOrganization, createTenant } from './helpers/fixtures.js';
import { onEachDatabase, ROOT_KEY, startServer, type ApiResponse, type TestServer } from './helpers/server.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function assertRequestId(response: ApiResponse): string {
  const header = response.headers['x-request-id'];
  assert.equal(typeof header, 'string', 'x-request-id header missing');
  assert.match(header as string, UUID_V4);
  if (response.body && typeof response.body === 'object' && 'requestId' in response.body) {
    assert.equal(response.body.requestId, header);
  }
  return header as string;
}

async function organizationCount(server: TestServer): Promise<number> {
  const response = await server.request({ method: 'GET', url: '/v1/organizations?limit=1000', auth: 'root' });
  assert.equal(response.status, 200);
  return response.body.result.length;
}

const json = (line: string): any => JSON.parse(line);

onEachDatabase('http', (server) => {
  it('unknown routes answer 404 in the envelope, with or without credentials', async () => {
    const s = server();
    const org = randomUUID();
    for (const [method, url] of [
      ['GET', '/v1/nope'],
      ['GET', '/nope'],
      ['GET', '/'],
      ['POST', '/v2/organizations'],
      ['PUT', '/v1/organizations'],
      ['GET', `/v1/organizations/${org}/billing`],
      ['DELETE', `/v1/organizations/${org}/activities`],
      ['GET', '/v1/organizations/x/y/z?limit=1'],
    ] as const) {
      for (const auth of [undefined, 'root'] as const) {
        const response = await s.request({ method, url, ...(auth && { auth }) });
        assertErrorEnvelope(response.body, 404, 'not_found');
        assert.match(response.headers['content-type'] as string, /^application\/json/);
        assertRequestId(response);
        assert.ok(response.body.error.includes(url.split('?')[0]!), response.body.error);
      }
    }
  });

  it('every response carries x-request-id, a fresh UUIDv4 equal to body.requestId', async () => {
    const s = server();
    const { organization, admin } = await createTenant(s);
    const responses = [
      await s.request({ method: 'GET', url: '/v1/organizations', auth: admin.basic }),
      await s.request({ method: 'GET', url: `/v1/organizations/${organization.id}`, auth: admin.bearer }),
      await s.request({ method: 'PATCH', url: `/v1/organizations/${organization.id}`, auth: admin.basic, body: { name: 42 } }),
      await s.request({ method: 'DELETE', url: `/v1/organizations/${randomUUID()}`, auth: 'root' }),
      await s.request({ method: 'GET', url: '/v1/organizations' }),
      await s.request({ method: 'GET', url: '/v1/organizations', auth: { bearer: 'wrong' } }),
      await s.request({ method: 'GET', url: '/v1/organizations', auth: 'root', headers: { 'x-request-id': 'client-chosen' } }),
      await s.request({ method: 'GET', url: '/healthz' }),
    ];
    assert.deepEqual(responses.map((r) => r.status), [200, 200, 400, 404, 401, 401, 200, 200]);
    const ids = responses.map(assertRequestId);
    assert.equal(new Set(ids).size, ids.length, 'request ids are unique');
    for (const response of responses.slice(0, 7)) assert.equal(typeof response.body.requestId, 'string');
  });

  it('answers 413 payload_too_large for a body over 1 MiB, and accepts one of exactly 1 MiB', async () => {
    const s = server();
    const before = await organizationCount(s);
    const prefix = '{"name":"';
    const sized = (bytes: number) => prefix + 'x'.repeat(bytes - prefix.length - 2) + '"}';
    assert.equal(Buffer.byteLength(sized(BODY_LIMIT_BYTES)), BODY_LIMIT_BYTES);
    assert.equal(BODY_LIMIT_BYTES, 1024 * 1024);

    const tooLarge = await s.request({ method: 'POST', url: '/v1/organizations', auth: 'root', body: sized(BODY_LIMIT_BYTES + 1) });
    assertErrorEnvelope(tooLarge.body, 413, 'payload_too_large');
    assertRequestId(tooLarge);

    // Without a Content-Length (chunked), the limit holds while reading.
    const streamed = await s.app.inject({
      method: 'POST',
      url: '/v1/organizations',
      headers: { authorization: `Bearer ${ROOT_KEY}`, 'content-type': 'application/json' },
      payload: Readable.from([Buffer.from(prefix), Buffer.alloc(BODY_LIMIT_BYTES, 'y'), Buffer.from('"}')]),
    });
    assert.equal(streamed.statusCode, 413);
    assertErrorEnvelope(streamed.json(), 413, 'payload_too_large');

    // Exactly at the limit the body is read, and then refused for what it says (name too long).
    const atLimit = await s.request({ method: 'POST', url: '/v1/organizations', auth: 'root', body: sized(BODY_LIMIT_BYTES) });
    assertErrorEnvelope(atLimit.body, 400, 'invalid_input');
    assert.equal(atLimit.body.field, 'name');
    assert.equal(await organizationCount(s), before);
  });

  it('answers 400 invalid_json for malformed or empty JSON bodies', async () => {
    const s = server();
    const before = await organizationCount(s);
    for (const body of ['{"name":', '{name: "x"}', "{'name':'x'}", '{"name":"x"} trailing']) {
      const response = await s.request({ method: 'POST', url: '/v1/organizations', auth: 'root', body });
      assertErrorEnvelope(response.body, 400, 'invalid_json');
      assertRequestId(response);
    }
    const empty = await s.request({ method: 'POST', url: '/v1/organizations', auth: 'root', headers: { 'content-type': 'application/json' } });
    assertErrorEnvelope(empty.body, 400, 'invalid_json');
    assert.equal(await organizationCount(s), before);
  });

  it('answers 415 for a body that is not JSON, and accepts JSON with a charset', async () => {
    const s = server();
    const before = await organizationCount(s);
    for (const type of ['application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x', 'application/octet-stream']) {
      const response = await s.request({
        method: 'POST',
        url: '/v1/organizations',
        auth: 'root',
        headers: { 'content-type': type },
        body: JSON.stringify({ name: 'Typed' }),
      });
      assert.equal(response.status, 415, `${type}: ${JSON.stringify(response.body)}`);
      assertErrorEnvelope(response.body, 415, 'unsupported_media_type');
    }
    assert.equal(await organizationCount(s), before);
    const withCharset = await s.request({
      method: 'POST',
      url: '/v1/organizations',
      auth: 'root',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: { name: 'Typed' },
    });
    assert.equal(withCharset.status, 200, JSON.stringify(withCharset.body));
  });

  it('answers 415 for text/plain like any other non-JSON type, even when the text is JSON', async () => {
    const s = server();
    const { organization, admin } = await createTenant(s, 'Plain');
    for (const [method, url] of [
      ['POST', '/v1/organizations'],
      ['PATCH', `/v1/organizations/${organization.id}`],
    ] as const) {
      const response = await s.request({ method, url, auth: method === 'POST' ? 'root' : admin.basic, headers: { 'content-type': 'text/plain' }, body: '{"name":"Plain 2"}' });
      assert.equal(response.status, 415, `${method} ${url}: ${JSON.stringify(response.body)}`);
      assertErrorEnvelope(response.body, 415, 'unsupported_media_type');
    }
  });

  it('GET /healthz and /readyz answer 200 without credentials', async () => {
    const s = server();
    const health = await s.request({ method: 'GET', url: '/healthz' });
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, { status: 'ok' });
    const ready = await s.request({ method: 'GET', url: '/readyz' });
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body, { status: 'ready' });
  });

  it('/openapi.json is an OpenAPI 3.1 document listing every /v1 operation', async () => {
    const s = server();
    const response = await s.request({ method: 'GET', url: '/openapi.json' });
    assert.equal(response.status, 200);
    const document = response.body;
    assert.match(document.openapi, /^3\.1\.\d+$/);
    assert.equal(typeof document.info?.title, 'string');
    const org = '/v1/organizations/{organizationId}';
    const expected: Record<string, string[]> = {
      '/v1/organizations': ['get', 'post'],
      [org]: ['get', 'patch', 'delete'],
      [`${org}/privateEndpointConfig`]: ['get'],
      [`${org}/activities`]: ['get'],
      [`${org}/activities/{activityId}`]: ['get'],
      [`${org}/keys`]: ['get', 'post'],
      [`${org}/keys/{keyId}`]: ['get', 'patch', 'delete'],
      [`${org}/byocInfrastructure`]: ['post'],
      [`${org}/byocInfrastructure/{byocInfrastructureId}`]: ['patch', 'delete'],
    };
    for (const [path, methods] of Object.entries(expected)) {
      assert.ok(document.paths[path], `${path} missing from the OpenAPI document`);
      for (const method of methods) assert.ok(document.paths[path][method], `${method.toUpperCase()} ${path} missing`);
    }
    const activityParameters = document.paths[`${org}/activities`].get.parameters.map((p: any) => `${p.in}:${p.name}`);
    for (const name of ['path:organizationId', 'query:from_date', 'query:to_date', 'query:limit', 'query:cursor']) {
      assert.ok(activityParameters.includes(name), `${name} not in ${activityParameters}`);
    }
    assert.equal(document.paths['/openapi.json'], undefined);
  });

  it('/docs serves the API reference', async () => {
    const s = server();
    let response = await s.request({ method: 'GET', url: '/docs' });
    if (response.status >= 300 && response.status < 400) {
      const location = String(response.headers.location);
      assert.match(location, /docs/);
      response = await s.request({ method: 'GET', url: new URL(location, 'http://localhost/docs').pathname });
    }
    assert.equal(response.status, 200);
    assert.match(String(response.headers['content-type']), /text\/html/);
  });

  it('logs carry requestId and never the Authorization header', async () => {
    const s = server();
    const organization = await createOrganization(s);
    const key = await createKey(s, organization.id, { roles: ['admin'] });
    const basicHeader = `Basic ${Buffer.from(`${key.keyId}:${key.keySecret}`).toString('base64')}`;
    const wrongSecret = `obk_${randomUUID()}-not-a-real-key`;
    const responses = [
      await s.request({ method: 'GET', url: `/v1/organizations/${organization.id}`, auth: key.bearer }),
      await s.request({ method: 'GET', url: `/v1/organizations/${organization.id}`, auth: { header: basicHeader } }),
      await s.request({ method: 'GET', url: `/v1/organizations/${organization.id}`, auth: { bearer: wrongSecret } }),
      await s.request({ method: 'GET', url: `/v1/organizations/${organization.id}`, auth: 'root' }),
    ];
    assert.deepEqual(responses.map((r) => r.status), [200, 200, 401, 200]);
    const text = s.logs.join('\n');
    for (const secret of [key.keySecret, basicHeader.slice(6), wrongSecret, ROOT_KEY]) {
      assert.equal(text.includes(secret), false, 'a credential was logged');
    }
    for (const response of responses) {
      const id = assertRequestId(response);
      // One line per request, written when it completes.
      const lines = s.logs.map(json).filter((line) => line.requestId === id && line.msg === 'request completed');
      assert.equal(lines.length, 1, `expected one completion line for ${id}`);
      assert.equal(lines[0].statusCode, response.status);
      assert.equal(lines[0].method, 'GET');
      assert.equal(lines[0].url, `/v1/organizations/${organization.id}`);
    }
    for (const line of s.logs.map(json)) {
      if (line.msg === 'request completed') assert.match(line.requestId, UUID_V4, JSON.stringify(line));
    }
  });
});

for (const database of testDatabases()) {
  describe(`http with the database gone [${database.kind}]`, () => {
    let server: TestServer | undefined;
    before(async () => {
      server = await startServer(database, { env: { LOG_LEVEL: 'trace' } });
    });
    after(async () => {
      await server?.close();
    });

    it('readiness turns 503, liveness stays 200, and API errors are a bare 500 logged with the request id', async () => {
      const s = server!;
      assert.equal((await s.request({ method: 'GET', url: '/readyz' })).status, 200);
      await s.database.close();

      const ready = await s.request({ method: 'GET', url: '/readyz' });
      assert.equal(ready.status, 503);
      assert.deepEqual(ready.body, { status: 'database unavailable' });
      assert.equal((await s.request({ method: 'GET', url: '/healthz' })).status, 200);

      const failed = await s.request({ method: 'GET', url: '/v1/organizations', auth: 'root', headers: { 'user-agent': 'probe' } });
      assertErrorEnvelope(failed.body, 500, 'internal_error');
      assert.deepEqual(Object.keys(failed.body).sort(), ['code', 'error', 'requestId', 'status']);
      assert.equal(failed.body.error, 'An internal server error occurred.');
      assert.doesNotMatch(failed.raw.body, /destroy|pool|kysely|pglite|\bat \w|\.ts:/i);
      const id = assertRequestId(failed);
      const logged = s.logs.map(json).filter((line) => line.requestId === id && line.level >= 50);
      assert.ok(logged.length > 0, 'the unexpected error is logged');
      assert.ok(logged.some((line) => line.err?.stack || line.err?.message), 'with its details');
      assert.equal(s.logs.join('\n').includes(ROOT_KEY), false, 'the root key was logged at trace level');
    });
  });
}

onEachDatabase('text the database cannot store', (server) => {
  it('a NUL or an unpaired surrogate anywhere in a body is a 400 naming where, and changes nothing', async () => {
    const { organization, admin } = await createTenant(server());
    const cases: [string, string, string][] = [
      ['POST', '/v1/organizations', '{"name":"a\\u0000b"}'],
      ['PATCH', `/v1/organizations/${organization.id}`, '{"name":"x\\ud800y"}'],
      ['POST', `/v1/organizations/${organization.id}/usage`, `{"events":[{"metric":"m","quantity":1,"timestamp":"${new Date().toISOString()}","idempotencyKey":"\\udfff"}]}`],
      ['PUT', `/v1/organizations/${organization.id}/customizations`, '{"ok":{"bad\\u0000key":1}}'],
    ];
    const fields = ['name', 'name', 'events[0].idempotencyKey', 'ok.bad\u0000key'];
    for (const [i, [method, url, body]] of cases.entries()) {
      const response = await server().request({ method: method as 'POST', url, auth: method === 'POST' && url === '/v1/organizations' ? 'root' : admin.basic, body });
      assertErrorEnvelope(response.body, 400);
      assert.equal(response.body.code, 'unstorable_text', `${url}: ${JSON.stringify(response.body)}`);
      assert.equal(response.body.field, fields[i]);
    }
    const after = await server().request({ method: 'GET', url: `/v1/organizations/${organization.id}`, auth: admin.basic });
    assert.equal(after.body.result.name, organization.name);
    // Other characters outside the BMP are fine (a paired surrogate is one character).
    const emoji = await server().request({ method: 'PATCH', url: `/v1/organizations/${organization.id}`, auth: admin.basic, body: { name: 'Orgbase 🚀' } });
    assert.equal(emoji.status, 200, JSON.stringify(emoji.body));
    assert.equal(emoji.body.result.name, 'Orgbase 🚀');
  });
});
