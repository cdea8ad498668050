import assert from 'node:assert/strict';
import { it } from 'node:test';
import { assertEnvelope, assertErrorEnvelope, assertMatchesClickHouse } from './contracts/clickhouse.js';
import { activitiesOf, createKey, createOrganization, createTenant } from './helpers/fixtures.js';
import { onEachDatabase } from './helpers/server.js';

onEachDatabase('organizations', (server) => {
  it('root creates an organization: ClickHouse shape, create_organization activity', async () => {
    const response = await server().request({ method: 'POST', url: '/v1/organizations', auth: 'root', body: { name: '  Acme  ' } });
    assert.equal(response.status, 200);
    assertEnvelope(response.body, { result: true });
    assertMatchesClickHouse('Organization', response.body.result);
    assert.equal(response.body.result.name, 'Acme');
    assert.deepEqual(response.body.result.privateEndpoints, []);
    const [activity] = await activitiesOf(server(), response.body.result.id);
    assert.equal(activity.type, 'create_organization');
    assert.equal(activity.actorType, 'support');
    assertMatchesClickHouse('Activity', activity);
  });

  it('an organization key lists exactly its own organization', async () => {
    const { organization, developer } = await createTenant(server());
    await createOrganization(server()); // another tenant it must not see
    const response = await server().request({ method: 'GET', url: '/v1/organizations', auth: developer.basic });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.result.map((org: any) => org.id), [organization.id]);
    response.body.result.forEach((org: unknown) => assertMatchesClickHouse('Organization', org));
  });

  it('root pages through every organization exactly once', async () => {
    for (let i = 0; i < 5; i++) await createOrganization(server());
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const response = await server().request({
        method: 'GET',
        url: `/v1/organizations?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        auth: 'root',
      });
      assert.equal(response.status, 200);
      assert.ok(response.body.result.length <= 2);
      seen.push(...response.body.result.map((org: any) => org.id));
      cursor = response.body.nextCursor;
    } while (cursor);
    assert.equal(new Set(seen).size, seen.length);
    assert.ok(seen.length >= 5);
  });

  it('PATCH renames with an admin key and records old and new names', async () => {
    const { organization, admin } = await createTenant(server(), 'Before');
    const response = await server().request({
      method: 'PATCH',
      url: `/v1/organizations/${organization.id}`,
      auth: admin.basic,
      body: { name: 'After' },
    });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assertMatchesClickHouse('Organization', response.body.result);
    assert.equal(response.body.result.name, 'After');
    const [activity] = await activitiesOf(server(), organization.id);
    assert.equal(activity.type, 'organization_update_name');
    assert.equal(activity.actorType, 'api');
    assert.equal(activity.actorId, admin.id);
    assert.deepEqual(activity.changes, { name: { old: 'Before', new: 'After' } });
  });

  it('a developer key may read but not PATCH (403), and nothing changes', async () => {
    const { organization, developer } = await createTenant(server(), 'Stable');
    const before = await activitiesOf(server(), organization.id);
    const read = await server().request({ method: 'GET', url: `/v1/organizations/${organization.id}`, auth: developer.basic });
    assert.equal(read.status, 200);
    const write = await server().request({
      method: 'PATCH',
      url: `/v1/organizations/${organization.id}`,
      auth: developer.basic,
      body: { name: 'Hijacked' },
    });
    assertErrorEnvelope(write.body, 403, 'admin_role_required');
    const after = await server().request({ method: 'GET', url: `/v1/organizations/${organization.id}`, auth: 'root' });
    assert.equal(after.body.result.name, 'Stable');
    assert.equal((await activitiesOf(server(), organization.id)).length, before.length);
  });

  it("another organization's key gets 404 on every organization route", async () => {
    const victim = await createOrganization(server());
    const { admin } = await createTenant(server());
    for (const [method, url, body] of [
      ['GET', `/v1/organizations/${victim.id}`],
      ['PATCH', `/v1/organizations/${victim.id}`, { name: 'x' }],
      ['DELETE', `/v1/organizations/${victim.id}`],
      ['GET', `/v1/organizations/${victim.id}/privateEndpointConfig?cloud_provider=aws&region_id=us-east-1`],
    ] as const) {
      const response = await server().request({ method, url, auth: admin.basic, ...(body && { body }) });
      assertErrorEnvelope(response.body, 404, 'not_found');
    }
  });

  it('keys cannot create organizations (403); root can', async () => {
    const { admin } = await createTenant(server());
    const response = await server().request({ method: 'POST', url: '/v1/organizations', auth: admin.basic, body: { name: 'New' } });
    assertErrorEnvelope(response.body, 403, 'root_required');
  });

  it('DELETE soft-deletes: keys stop working, root still reads the trail', async () => {
    const { organization, admin } = await createTenant(server());
    const other = await createKey(server(), organization.id, { roles: ['admin'] });
    const response = await server().request({ method: 'DELETE', url: `/v1/organizations/${organization.id}`, auth: admin.basic });
    assert.equal(response.status, 200);
    assertEnvelope(response.body, { result: false });
    const gone = await server().request({ method: 'GET', url: `/v1/organizations/${organization.id}`, auth: 'root' });
    assertErrorEnvelope(gone.body, 404);
    const keyAfter = await server().request({ method: 'GET', url: `/v1/organizations/${organization.id}`, auth: other.basic });
    assertErrorEnvelope(keyAfter.body, 401);
    const trail = await activitiesOf(server(), organization.id);
    assert.equal(trail[0].type, 'delete_organization');
  });

  it('rejects unknown fields, wrong types, blank and over-long names with 400 naming the field', async () => {
    const { organization, admin } = await createTenant(server(), 'Valid');
    const cases: [unknown, string][] = [
      [{ name: 'x', color: 'red' }, 'color'],
      [{ name: 42 }, 'name'],
      [{ name: '   ' }, 'name'],
      [{ name: 'x'.repeat(256) }, 'name'],
      [{ privateEndpoints: { add: [{ id: 'e', cloudProvider: 'ibm', region: 'us-east-1' }] } }, 'privateEndpoints.add[0].cloudProvider'],
    ];
    for (const [body, field] of cases) {
      const response = await server().request({ method: 'PATCH', url: `/v1/organizations/${organization.id}`, auth: admin.basic, body });
      assertErrorEnvelope(response.body, 400);
      assert.equal(response.body.field, field, JSON.stringify(response.body));
      assert.match(response.body.error, new RegExp(field.replace(/[[\].]/g, '\\$&')));
    }
    const after = await server().request({ method: 'GET', url: `/v1/organizations/${organization.id}`, auth: 'root' });
    assert.equal(after.body.result.name, 'Valid');
  });

  it('concurrent renames each record exactly the name they replaced (an unbroken chain)', async () => {
    const { organization, admin } = await createTenant(server(), 'v0');
    const names = Array.from({ length: 20 }, (_, i) => `v${i + 1}`);
    const responses = await Promise.all(
      names.map((name) =>
        server().request({ method: 'PATCH', url: `/v1/organizations/${organization.id}`, auth: admin.basic, body: { name } }),
      ),
    );
    assert.deepEqual(responses.map((r) => r.status), names.map(() => 200));
    const renames = (await activitiesOf(server(), organization.id)).filter((a) => a.type === 'organization_update_name');
    assert.equal(renames.length, names.length);
    // Follow the chain from the initial name: every rename starts where exactly one other ended.
    const byOld = new Map(renames.map((a) => [a.changes.name.old, a.changes.name.new]));
    assert.equal(byOld.size, names.length, 'two renames claim to have replaced the same name');
    let name = 'v0';
    for (let i = 0; i < names.length; i++) name = byOld.get(name);
    const final = await server().request({ method: 'GET', url: `/v1/organizations/${organization.id}`, auth: 'root' });
    assert.equal(final.body.result.name, name);
  });

  it('concurrent private endpoint additions are all kept, each recorded once', async () => {
    const { organization, admin } = await createTenant(server());
    const ids = Array.from({ length: 8 }, (_, i) => `vpce-${i}`);
    const responses = await Promise.all(
      ids.map((id) =>
        server().request({
          method: 'PATCH',
          url: `/v1/organizations/${organization.id}`,
          auth: admin.basic,
          body: { privateEndpoints: { add: [{ id, cloudProvider: 'aws', region: 'us-east-1' }] } },
        }),
      ),
    );
    assert.deepEqual(responses.map((r) => r.status), ids.map(() => 200));
    const final = await server().request({ method: 'GET', url: `/v1/organizations/${organization.id}`, auth: 'root' });
    assert.deepEqual(final.body.result.privateEndpoints.map((e: any) => e.id).sort(), ids);
    const recorded = (await activitiesOf(server(), organization.id)).filter((a) => a.type === 'organization_update_private_endpoints');
    assert.equal(recorded.length, ids.length);
    for (const activity of recorded) {
      assert.equal(activity.changes.privateEndpoints.new.length, activity.changes.privateEndpoints.old.length + 1);
    }
  });
});
