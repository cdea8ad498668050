import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergePatch } from '../src/domain/customizations/merge-patch.js';
import {
  MAX_CUSTOMIZATION_STRING_BYTES,
  MAX_CUSTOMIZATIONS_BYTES,
  MAX_CUSTOMIZATIONS_DEPTH,
} from '../src/domain/customizations/customizations.schemas.js';
import { assertEnvelope, assertErrorEnvelope } from './contracts/clickhouse.js';
import { activitiesOf, createKey, createOrganization, createTenant, createUserWithKey, joinOrganization } from './helpers/fixtures.js';
import { onEachDatabase, type Auth, type TestServer } from './helpers/server.js';

describe('JSON merge patch (RFC 7396)', () => {
  // The examples of RFC 7396 Appendix A: [target, patch, result].
  const examples: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [index, [target, patch, result]] of examples.entries()) {
    it(`Appendix A example ${index + 1}: ${JSON.stringify(target)} + ${JSON.stringify(patch)}`, () => {
      assert.deepEqual(mergePatch(target, patch), result);
    });
  }

  it('the example of section 3, and the target is left as it was', () => {
    const target = {
      title: 'Goodbye!',
      author: { givenName: 'John', familyName: 'Doe' },
      tags: ['example', 'sample'],
      content: 'This will be unchanged',
    };
    const before = structuredClone(target);
    const patch = { title: 'Hello!', phoneNumber: '+01-123-456-7890', author: { familyName: null }, tags: ['example'] };
    assert.deepEqual(mergePatch(target, patch), {
      title: 'Hello!',
      author: { givenName: 'John' },
      tags: ['example'],
      content: 'This will be unchanged',
      phoneNumber: '+01-123-456-7890',
    });
    assert.deepEqual(target, before);
  });

  it('a member named __proto__ is a member, not a prototype', () => {
    const patch = JSON.parse('{"__proto__": {"polluted": true}}');
    const result = mergePatch({}, patch) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(result), Object.prototype);
    assert.deepEqual(Object.keys(result), ['__proto__']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

const url = (organizationId: string) => `/v1/organizations/${organizationId}/customizations`;

function get(s: TestServer, organizationId: string, auth: Auth = 'root') {
  return s.request({ method: 'GET', url: url(organizationId), auth });
}

function put(s: TestServer, organizationId: string, body: unknown, auth: Auth = 'root') {
  return s.request({ method: 'PUT', url: url(organizationId), auth, body });
}

function patch(s: TestServer, organizationId: string, body: unknown, auth: Auth = 'root', contentType = 'application/merge-patch+json') {
  return s.request({ method: 'PATCH', url: url(organizationId), auth, body, headers: { 'content-type': contentType } });
}

async function customizationsOf(s: TestServer, organizationId: string): Promise<unknown> {
  const response = await get(s, organizationId);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body.result;
}

const customizationActivities = async (s: TestServer, organizationId: string) =>
  (await activitiesOf(s, organizationId)).filter((activity) => activity.type === 'organization_update_customizations');

/** A JSON object nested `depth` levels deep (the top object is level 1). */
function nested(depth: number, leaf: unknown = 'x'): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf };
  for (let level = 1; level < depth; level++) value = { n: value };
  return value;
}

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');

/** An object whose JSON text is exactly `bytes` bytes, made of strings within the string limit. */
function ofSize(bytes: number): Record<string, string> {
  const keys = Array.from({ length: Math.ceil(bytes / 4000) }, (_, i) => `k${String(i).padStart(3, '0')}`);
  const value: Record<string, string> = Object.fromEntries(keys.map((key) => [key, '']));
  let remaining = bytes - jsonBytes(value);
  for (const key of keys) {
    const length = Math.min(remaining, MAX_CUSTOMIZATION_STRING_BYTES);
    value[key] = 'x'.repeat(length);
    remaining -= length;
  }
  assert.equal(jsonBytes(value), bytes);
  return value;
}

onEachDatabase('customizations', (server) => {
  it('start as {} for every reader; PUT replaces the whole object and answers with it', async () => {
    const s = server();
    const { organization, admin, developer } = await createTenant(s);
    for (const auth of ['root', admin.basic, developer.basic, developer.bearer] as Auth[]) {
      const response = await get(s, organization.id, auth);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assertEnvelope(response.body, { result: true });
      assert.deepEqual(response.body.result, {});
    }

    const first = { theme: { color: '#ff0000', logo: 'https://example.com/logo.png' }, features: ['a', 'b'], limit: 3, beta: true, note: null };
    const replaced = await put(s, organization.id, first, admin.basic);
    assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
    assertEnvelope(replaced.body, { result: true });
    assert.deepEqual(replaced.body.result, first);
    assert.deepEqual(await customizationsOf(s, organization.id), first);

    const second = { welcome: 'hi' };
    assert.deepEqual((await put(s, organization.id, second, admin.basic)).body.result, second);
    assert.deepEqual(await customizationsOf(s, organization.id), second);

    // The organization itself keeps the ClickHouse shape: customizations have their own route.
    const org = await s.request({ method: 'GET', url: `/v1/organizations/${organization.id}`, auth: 'root' });
    assert.equal('customizations' in org.body.result, false);
  });

  it('are stored as sent: an uppercase UUID among them is not lowercased (by PUT, PATCH or the organization PATCH)', async () => {
    const s = server();
    const { organization, admin } = await createTenant(s);
    const upper = 'ABCDEF01-2345-4789-8BCD-EF0123456789';
    assert.deepEqual((await put(s, organization.id, { ref: upper, list: [upper] }, admin.basic)).body.result, { ref: upper, list: [upper] });
    const patched = await s.request({ method: 'PATCH', url: `/v1/organizations/${organization.id}/customizations`, auth: admin.basic, body: { other: upper } });
    assert.deepEqual(patched.body.result, { ref: upper, list: [upper], other: upper });
    const viaOrganization = await s.request({ method: 'PATCH', url: `/v1/organizations/${organization.id}`, auth: admin.basic, body: { customizations: { nested: { id: upper } } } });
    assert.equal(viaOrganization.status, 200, JSON.stringify(viaOrganization.body));
    assert.deepEqual(await customizationsOf(s, organization.id), { ref: upper, list: [upper], other: upper, nested: { id: upper } });
  });

  it('PATCH merges (RFC 7396): nested objects merge, null deletes, arrays and scalars replace', async () => {
    const s = server();
    const { organization, admin } = await createTenant(s);
    await put(s, organization.id, { theme: { color: 'red', font: { family: 'Inter', size: 12 } }, tags: ['a', 'b'], gone: 1, kept: 'yes' });
    const response = await patch(s, organization.id, { theme: { font: { size: 14, weight: null }, logo: 'l.png' }, tags: ['c'], gone: null, added: { x: [1, { y: 2 }] } }, admin.basic);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assertEnvelope(response.body, { result: true });
    const want = { theme: { color: 'red', font: { family: 'Inter', size: 14 }, logo: 'l.png' }, tags: ['c'], kept: 'yes', added: { x: [1, { y: 2 }] } };
    assert.deepEqual(response.body.result, want);
    assert.deepEqual(await customizationsOf(s, organization.id), want);

    // application/json is accepted too, and so is a charset parameter.
    assert.equal((await patch(s, organization.id, { kept: 'still' }, admin.basic, 'application/json')).status, 200);
    assert.equal((await patch(s, organization.id, { theme: null }, admin.basic, 'application/merge-patch+json; charset=utf-8')).status, 200);
    assert.deepEqual(await customizationsOf(s, organization.id), { tags: ['c'], kept: 'still', added: { x: [1, { y: 2 }] } });

    // Not JSON at all: refused before anything is read.
    const text = await s.request({ method: 'PATCH', url: url(organization.id), auth: admin.basic, body: 'kept=1', headers: { 'content-type': 'text/plain' } });
    assert.equal(text.status, 415, JSON.stringify(text.body));
    assert.equal(text.body.code, 'unsupported_media_type');
    const broken = await s.request({ method: 'PATCH', url: url(organization.id), auth: admin.basic, body: '{"kept":', headers: { 'content-type': 'application/merge-patch+json' } });
    assert.equal(broken.status, 400);
    assertErrorEnvelope(broken.body, 400);
  });

  it('records each change with the whole old and new objects; a change that changes nothing records nothing', async () => {
    const s = server();
    const { organization, admin } = await createTenant(s);
    const first = { theme: { color: 'red' }, list: [1, 2] };
    assert.equal((await put(s, organization.id, first, admin.basic)).status, 200);
    assert.equal((await patch(s, organization.id, { theme: { color: 'blue' } }, admin.basic)).status, 200);

    const trail = await customizationActivities(s, organization.id);
    assert.equal(trail.length, 2);
    const [patched, replaced] = trail; // newest first
    assert.equal(replaced.actorType, 'api');
    assert.equal(replaced.actorId, admin.id);
    assert.equal(replaced.organizationId, organization.id);
    assert.deepEqual(replaced.changes, { customizations: { old: {}, new: first } });
    assert.deepEqual(patched.changes, { customizations: { old: first, new: { theme: { color: 'blue' }, list: [1, 2] } } });

    // The same object (members in another order), an empty patch, deleting what is absent, setting what is set.
    const noOps = [
      () => put(s, organization.id, { list: [1, 2], theme: { color: 'blue' } }, admin.basic),
      () => patch(s, organization.id, {}, admin.basic),
      () => patch(s, organization.id, { absent: null, theme: { absent: null } }, admin.basic),
      () => patch(s, organization.id, { theme: { color: 'blue' } }, admin.basic),
    ];
    for (const noOp of noOps) {
      const response = await noOp();
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.deepEqual(response.body.result, { theme: { color: 'blue' }, list: [1, 2] });
    }
    assert.equal((await customizationActivities(s, organization.id)).length, 2);
  });

  it('each limit is a 400 naming the limit and the path, and changes nothing', async () => {
    const s = server();
    const { organization, admin } = await createTenant(s);
    const before = { theme: { name: 'kept' }, big: 'y'.repeat(4000) };
    assert.equal((await put(s, organization.id, before)).status, 200);
    const trailBefore = (await activitiesOf(s, organization.id)).length;

    const tooLong = 'é'.repeat(MAX_CUSTOMIZATION_STRING_BYTES / 2 + 1); // 2049 characters, 4098 bytes
    const cases: { send: () => Promise<any>; code: string; field: string; mentions: string[] }[] = [
      {
        send: () => put(s, organization.id, { theme: { logo: 'x'.repeat(5000) } }, admin.basic),
        code: 'customization_value_too_long',
        field: 'customizations.theme.logo',
        mentions: ['customizations.theme.logo is 5000 bytes', '4096 bytes'],
      },
      {
        send: () => patch(s, organization.id, { theme: { list: ['ok', tooLong] } }, admin.basic),
        code: 'customization_value_too_long',
        field: 'customizations.theme.list[1]',
        mentions: ['4098 bytes', '4096 bytes'],
      },
      {
        send: () => put(s, organization.id, { deep: nested(MAX_CUSTOMIZATIONS_DEPTH) }, admin.basic),
        code: 'customizations_too_deep',
        field: `customizations.deep${'.n'.repeat(MAX_CUSTOMIZATIONS_DEPTH - 1)}`,
        mentions: ['11 levels', 'at most 10 levels'],
      },
      {
        // Deeper than the limit in the patch itself, and far deeper than any stack would take.
        send: () => patch(s, organization.id, `{"a":${'['.repeat(50_000)}${']'.repeat(50_000)}}`, admin.basic),
        code: 'customizations_too_deep',
        field: `customizations.a${'[0]'.repeat(MAX_CUSTOMIZATIONS_DEPTH - 1)}`,
        mentions: ['at most 10 levels'],
      },
      {
        send: () => put(s, organization.id, ofSize(MAX_CUSTOMIZATIONS_BYTES + 1), admin.basic),
        code: 'customizations_too_large',
        field: 'customizations',
        mentions: [`${MAX_CUSTOMIZATIONS_BYTES + 1} bytes`, '65536 bytes'],
      },
      {
        // Within the limits as a patch, over them as a result.
        send: () => patch(s, organization.id, ofSize(MAX_CUSTOMIZATIONS_BYTES - 1000), admin.basic),
        code: 'customizations_too_large',
        field: 'customizations',
        mentions: ['65536 bytes'],
      },
      {
        // PostgreSQL's jsonb cannot hold these: a 400 (from the HTTP layer, for every body), not a 500.
        send: () => put(s, organization.id, { theme: { nul: 'a\u0000b' } }, admin.basic),
        code: 'unstorable_text',
        field: 'theme.nul',
        mentions: ['NUL'],
      },
      {
        send: () => s.request({ method: 'PUT', url: url(organization.id), auth: admin.basic, body: '{"half": "\\ud800"}' }),
        code: 'unstorable_text',
        field: 'half',
        mentions: ['surrogate'],
      },
    ];
    for (const { send, code, field, mentions } of cases) {
      const response = await send();
      assert.equal(response.status, 400, `${code}: ${JSON.stringify(response.body).slice(0, 300)}`);
      assertErrorEnvelope(response.body, 400);
      assert.equal(response.body.code, code);
      assert.equal(response.body.field, field);
      for (const text of mentions) assert.ok(response.body.error.includes(text), `${response.body.error} should mention ${text}`);
    }
    assert.deepEqual(await customizationsOf(s, organization.id), before);
    assert.equal((await activitiesOf(s, organization.id)).length, trailBefore);
  });

  it('values exactly at the limits are accepted', async () => {
    const s = server();
    const { organization, admin } = await createTenant(s);
    const atLimits = [
      { logo: 'x'.repeat(MAX_CUSTOMIZATION_STRING_BYTES), accented: 'é'.repeat(MAX_CUSTOMIZATION_STRING_BYTES / 2) },
      nested(MAX_CUSTOMIZATIONS_DEPTH, [1]).n as Record<string, unknown>, // an array at level 10
      ofSize(MAX_CUSTOMIZATIONS_BYTES),
    ];
    for (const value of atLimits) {
      const response = await put(s, organization.id, value, admin.basic);
      assert.equal(response.status, 200, JSON.stringify(response.body).slice(0, 300));
      assert.deepEqual(await customizationsOf(s, organization.id), value);
    }
    const deepest = nested(MAX_CUSTOMIZATIONS_DEPTH);
    assert.equal((await put(s, organization.id, {})).status, 200);
    assert.equal((await patch(s, organization.id, deepest, admin.basic)).status, 200);
    assert.deepEqual(await customizationsOf(s, organization.id), deepest);
  });

  it('the body must be a JSON object', async () => {
    const s = server();
    const { organization, admin } = await createTenant(s);
    assert.equal((await put(s, organization.id, { kept: 1 })).status, 200);
    const bodies = ['[]', '"text"', '42', 'null', '[{"a":1}]'];
    for (const body of bodies) {
      for (const send of [
        () => s.request({ method: 'PUT', url: url(organization.id), auth: admin.basic, body }),
        () => s.request({ method: 'PATCH', url: url(organization.id), auth: admin.basic, body, headers: { 'content-type': 'application/merge-patch+json' } }),
      ]) {
        const response = await send();
        assert.equal(response.status, 400, `${body}: ${JSON.stringify(response.body)}`);
        assertErrorEnvelope(response.body, 400);
        assert.match(response.body.error, /object/);
      }
    }
    const empty = await s.request({ method: 'PUT', url: url(organization.id), auth: admin.basic });
    assert.equal(empty.status, 400);
    assert.deepEqual(await customizationsOf(s, organization.id), { kept: 1 });
  });

  it('who may read and change them: developer keys and members read; admins, ancestors’ admin keys and root change; other organizations get 404', async () => {
    const s = server();
    const { organization, admin, developer } = await createTenant(s);
    const other = await createTenant(s);
    const value = { owner: 'tenant' };
    assert.equal((await put(s, organization.id, value)).status, 200);

    for (const send of [() => put(s, organization.id, { x: 1 }, developer.basic), () => patch(s, organization.id, { x: 1 }, developer.bearer)]) {
      const response = await send();
      assert.equal(response.status, 403, JSON.stringify(response.body));
      assert.equal(response.body.code, 'admin_role_required');
    }

    for (const auth of [other.admin.basic, other.developer.basic] as Auth[]) {
      for (const send of [() => get(s, organization.id, auth), () => put(s, organization.id, { x: 1 }, auth), () => patch(s, organization.id, { x: 1 }, auth)]) {
        const response = await send();
        assert.equal(response.status, 404, JSON.stringify(response.body));
        assertErrorEnvelope(response.body, 404);
      }
    }

    const member = await createUserWithKey(s);
    await joinOrganization(s, organization.id, member, 1);
    assert.deepEqual((await get(s, organization.id, member.auth)).body.result, value);
    assert.equal((await put(s, organization.id, { x: 1 }, member.auth)).status, 403);

    const stranger = await createUserWithKey(s);
    assert.equal((await get(s, organization.id, stranger.auth)).status, 404);

    const noCredential = await s.request({ method: 'GET', url: url(organization.id) });
    assert.equal(noCredential.status, 401);
    const badId = await s.request({ method: 'GET', url: '/v1/organizations/not-a-uuid/customizations', auth: 'root' });
    assert.equal(badId.status, 400);
    assert.equal(badId.body.field, 'organizationId');
    assert.equal((await get(s, '00000000-0000-4000-8000-000000000000')).status, 404);

    assert.deepEqual(await customizationsOf(s, organization.id), value);
    assert.equal((await customizationActivities(s, organization.id)).length, 1);

    // An admin key of the parent administers the child; an admin member of the child changes it too.
    const made = await s.request({ method: 'POST', url: '/v1/organizations', auth: 'root', body: { name: `Child of ${organization.name}`, parentId: organization.id } });
    assert.equal(made.status, 200, JSON.stringify(made.body));
    const childId: string = made.body.result.id;
    assert.equal((await patch(s, childId, { fromParent: true }, admin.basic)).status, 200);
    assert.equal((await patch(s, childId, { x: 1 }, developer.basic)).status, 404);
    const childAdmin = await createUserWithKey(s);
    await joinOrganization(s, childId, childAdmin, 8);
    assert.deepEqual((await patch(s, childId, { byAdmin: true }, childAdmin.auth)).body.result, { fromParent: true, byAdmin: true });
  });

  it('concurrent PATCHes of different members all land: none is lost', async () => {
    const s = server();
    const { organization } = await createTenant(s);
    const keys = await Promise.all([1, 2, 3, 4].map(() => createKey(s, organization.id, { roles: ['admin'] })));
    const writers = Array.from({ length: 16 }, (_, i) => patch(s, organization.id, { [`k${i}`]: { by: i } }, keys[i % keys.length]!.basic));
    const responses = await Promise.all(writers);
    for (const response of responses) assert.equal(response.status, 200, JSON.stringify(response.body));
    const final = (await customizationsOf(s, organization.id)) as Record<string, unknown>;
    assert.deepEqual(final, Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, { by: i }])));

    // Each recorded change starts from the one before it: the trail replays to the final object.
    const trail = (await customizationActivities(s, organization.id)).reverse();
    assert.equal(trail.length, 16);
    let state: unknown = {};
    for (const activity of trail) {
      assert.deepEqual(activity.changes.customizations.old, state);
      state = activity.changes.customizations.new;
    }
    assert.deepEqual(state, final);
  });

  it('PATCH /v1/organizations/{id} changes the name and the customizations together, or neither', async () => {
    const s = server();
    const { organization, admin } = await createTenant(s, `Atomic ${Date.now()}`);
    const orgUrl = `/v1/organizations/${organization.id}`;
    assert.equal((await put(s, organization.id, { theme: { color: 'red' }, keep: true })).status, 200);

    const both = await s.request({ method: 'PATCH', url: orgUrl, auth: admin.basic, body: { name: `${organization.name} 2`, customizations: { theme: { color: null, font: 'Inter' } } } });
    assert.equal(both.status, 200, JSON.stringify(both.body));
    assert.equal(both.body.result.name, `${organization.name} 2`);
    assert.equal('customizations' in both.body.result, false);
    assert.deepEqual(await customizationsOf(s, organization.id), { theme: { font: 'Inter' }, keep: true });
    const types = (await activitiesOf(s, organization.id)).slice(0, 2).map((activity) => activity.type).sort();
    assert.deepEqual(types, ['organization_update_customizations', 'organization_update_name']);

    const trailBefore = (await activitiesOf(s, organization.id)).length;
    const refused = await s.request({ method: 'PATCH', url: orgUrl, auth: admin.basic, body: { name: `${organization.name} 3`, customizations: { theme: { logo: 'x'.repeat(5000) } } } });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body.code, 'customization_value_too_long');
    assert.equal(refused.body.field, 'customizations.theme.logo');
    const after = await s.request({ method: 'GET', url: orgUrl, auth: 'root' });
    assert.equal(after.body.result.name, `${organization.name} 2`);
    assert.deepEqual(await customizationsOf(s, organization.id), { theme: { font: 'Inter' }, keep: true });
    assert.equal((await activitiesOf(s, organization.id)).length, trailBefore);

    // Customizations alone, and a customizations member that is not an object.
    const alone = await s.request({ method: 'PATCH', url: orgUrl, auth: admin.basic, body: { customizations: { keep: null } } });
    assert.equal(alone.status, 200, JSON.stringify(alone.body));
    assert.deepEqual(await customizationsOf(s, organization.id), { theme: { font: 'Inter' } });
    const notObject = await s.request({ method: 'PATCH', url: orgUrl, auth: admin.basic, body: { customizations: ['x'] } });
    assert.equal(notObject.status, 400);
    assert.equal(notObject.body.field, 'customizations');
  });

  it('a deleted organization has none to read or change', async () => {
    const s = server();
    const organization = await createOrganization(s);
    assert.equal((await s.request({ method: 'DELETE', url: `/v1/organizations/${organization.id}`, auth: 'root' })).status, 200);
    assert.equal((await get(s, organization.id)).status, 404);
    assert.equal((await put(s, organization.id, { a: 1 })).status, 404);
    assert.equal((await patch(s, organization.id, { a: 1 })).status, 404);
  });
});
