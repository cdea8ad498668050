import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { assertEnvelope, assertErrorEnvelope, assertMatchesClickHouse } from './contracts/clickhouse.js';
import { activitiesOf, createTenant } from './helpers/fixtures.js';
import { testDatabases } from './helpers/databases.js';
import { onEachDatabase, startServer, type Auth, type TestServer } from './helpers/server.js';

const endpoint = (id: string, extra: Record<string, unknown> = {}) => ({ id, cloudProvider: 'aws', region: 'us-east-1', ...extra });

async function patch(server: TestServer, organizationId: string, auth: Auth, body: unknown) {
  return server.request({ method: 'PATCH', url: `/v1/organizations/${organizationId}`, auth, body });
}

async function readOrganization(server: TestServer, organizationId: string) {
  const response = await server.request({ method: 'GET', url: `/v1/organizations/${organizationId}`, auth: 'root' });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  assertMatchesClickHouse('Organization', response.body.result);
  return response.body.result;
}

function assertBadField(response: { body: any }, field: string, code?: string): void {
  assertErrorEnvelope(response.body, 400, code);
  assert.equal(response.body.field, field, JSON.stringify(response.body));
  assert.ok(response.body.error.includes(field), response.body.error);
}

onEachDatabase('private endpoints', (server) => {
  it('adds endpoints, applies remove before add, ignores absent ids, and records the change', async () => {
    const s = server();
    const { organization, admin } = await createTenant(s);
    const first = await patch(s, organization.id, admin.basic, {
      privateEndpoints: { add: [endpoint('vpce-a', { description: 'primary' }), endpoint('psc-b', { cloudProvider: 'gcp', region: 'us-central1' })] },
    });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assertMatchesClickHouse('Organization', first.body.result);
    const added = [
      { id: 'vpce-a', description: 'primary', cloudProvider: 'aws', region: 'us-east-1' },
      { id: 'psc-b', description: '', cloudProvider: 'gcp', region: 'us-central1' },
    ];
    assert.deepEqual(first.body.result.privateEndpoints, added);
    added.forEach((entry) => assertMatchesClickHouse('OrganizationPrivateEndpoint', entry));
    const [activity] = await activitiesOf(s, organization.id);
    assertMatchesClickHouse('Activity', activity);
    assert.equal(activity.type, 'organization_update_private_endpoints');
    assert.equal(activity.actorId, admin.id);
    assert.deepEqual(activity.changes, { privateEndpoints: { old: [], new: added } });

    // Removing and re-adding one id in a request replaces it; an absent id in `remove` is ignored.
    const replaced = { id: 'vpce-a', description: 'moved', cloudProvider: 'aws', region: 'eu-west-1' };
    const second = await patch(s, organization.id, admin.basic, {
      privateEndpoints: { add: [replaced], remove: [{ id: 'vpce-a' }, { id: 'never-there' }] },
    });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.deepEqual(second.body.result.privateEndpoints, [added[1], replaced]);
    assert.deepEqual((await readOrganization(s, organization.id)).privateEndpoints, [added[1], replaced]);
    const trail = await activitiesOf(s, organization.id);
    assert.deepEqual(trail[0].changes, { privateEndpoints: { old: added, new: [added[1], replaced] } });

    // `remove` entries match by id only; other fields are not compared.
    const third = await patch(s, organization.id, admin.basic, {
      privateEndpoints: { remove: [{ id: 'psc-b', cloudProvider: 'azure', region: 'eastus', description: 'whatever' }] },
    });
    assert.deepEqual(third.body.result.privateEndpoints, [replaced]);

    // Removing only absent ids changes nothing and records nothing.
    const count = (await activitiesOf(s, organization.id)).length;
    const noop = await patch(s, organization.id, admin.basic, { privateEndpoints: { remove: [{ id: 'psc-b' }, { id: 'nope' }] } });
    assert.equal(noop.status, 200);
    assert.deepEqual(noop.body.result.privateEndpoints, [replaced]);
    assert.equal((await activitiesOf(s, organization.id)).length, count);
  });

  it('name and endpoints in one PATCH record one activity each', async () => {
    const s = server();
    const { organization, admin } = await createTenant(s, 'Both');
    const response = await patch(s, organization.id, admin.bearer, { name: 'Both 2', privateEndpoints: { add: [endpoint('e')] } });
    assert.equal(response.status, 200);
    const types = (await activitiesOf(s, organization.id)).slice(0, 2).map((a) => a.type).sort();
    assert.deepEqual(types, ['organization_update_name', 'organization_update_private_endpoints']);
  });

  it('adding an id that exists is a 400 naming privateEndpoints.add[i].id, and the whole PATCH is refused', async () => {
    const s = server();
    const { organization, admin } = await createTenant(s, 'Dup');
    assert.equal((await patch(s, organization.id, admin.basic, { privateEndpoints: { add: [endpoint('e1')] } })).status, 200);
    const count = (await activitiesOf(s, organization.id)).length;
    assertBadField(
      await patch(s, organization.id, admin.basic, { name: 'Renamed', privateEndpoints: { add: [endpoint('e1', { region: 'us-west-2' })] } }),
      'privateEndpoints.add[0].id',
      'duplicate_private_endpoint',
    );
    assertBadField(
      await patch(s, organization.id, admin.basic, { privateEndpoints: { add: [endpoint('e2'), endpoint('e2')] } }),
      'privateEndpoints.add[1].id',
      'duplicate_private_endpoint',
    );
    const after = await readOrganization(s, organization.id);
    assert.equal(after.name, 'Dup');
    assert.deepEqual(after.privateEndpoints.map((e: any) => e.id), ['e1']);
    assert.equal((await activitiesOf(s, organization.id)).length, count);
  });

  it('validates endpoint fields and providers/regions against the enums', async () => {
    const s = server();
    const { organization, admin, developer } = await createTenant(s);
    const cases: [unknown, string][] = [
      [{ privateEndpoints: { add: [endpoint('e', { cloudProvider: 'ibm' })] } }, 'privateEndpoints.add[0].cloudProvider'],
      [{ privateEndpoints: { add: [endpoint('e', { region: 'mars-north-1' })] } }, 'privateEndpoints.add[0].region'],
      [{ privateEndpoints: { add: [endpoint('ok'), endpoint('e', { region: 'US-EAST-1' })] } }, 'privateEndpoints.add[1].region'],
      [{ privateEndpoints: { add: [{ cloudProvider: 'aws', region: 'us-east-1' }] } }, 'privateEndpoints.add[0].id'],
      [{ privateEndpoints: { add: [endpoint('')] } }, 'privateEndpoints.add[0].id'],
      [{ privateEndpoints: { add: [{ id: 'e', region: 'us-east-1' }] } }, 'privateEndpoints.add[0].cloudProvider'],
      [{ privateEndpoints: { add: [endpoint('e', { vpc: 'x' })] } }, 'privateEndpoints.add[0].vpc'],
      [{ privateEndpoints: { remove: [{ id: 'e', region: 'nowhere' }] } }, 'privateEndpoints.remove[0].region'],
      [{ privateEndpoints: { remove: [{}] } }, 'privateEndpoints.remove[0].id'],
      [{ privateEndpoints: { replace: [] } }, 'privateEndpoints.replace'],
      [{ privateEndpoints: [] }, 'privateEndpoints'],
    ];
    for (const [body, field] of cases) assertBadField(await patch(s, organization.id, admin.basic, body), field);
    const denied = await patch(s, organization.id, developer.basic, { privateEndpoints: { add: [endpoint('e')] } });
    assertErrorEnvelope(denied.body, 403, 'admin_role_required');
    assert.deepEqual((await readOrganization(s, organization.id)).privateEndpoints, []);
  });

  it('privateEndpointConfig: 404 when nothing is configured for the provider and region', async () => {
    const s = server();
    const { organization, developer } = await createTenant(s);
    const response = await s.request({
      method: 'GET',
      url: `/v1/organizations/${organization.id}/privateEndpointConfig?cloud_provider=aws&region_id=us-east-1`,
      auth: developer.basic,
    });
    assertErrorEnvelope(response.body, 404, 'not_found');
  });
});

onEachDatabase('BYOC infrastructure', (server) => {
  const byocUrl = (organizationId: string, id?: string) =>
    `/v1/organizations/${organizationId}/byocInfrastructure${id === undefined ? '' : `/${id}`}`;

  it('creates, renames and deletes BYOC infrastructure, reflected in byocConfig and the trail', async () => {
    const s = server();
    const { organization, admin } = await createTenant(s);
    const body = { regionId: 'eastus', accountId: 'sub-1234', availabilityZoneSuffixes: ['a', 'b'], vpcCidrRange: '10.1.0.0/16', displayName: 'Prod' };
    const created = await s.request({ method: 'POST', url: byocUrl(organization.id), auth: admin.basic, body });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assertEnvelope(created.body, { result: true });
    const entry = created.body.result;
    assertMatchesClickHouse('ByocConfig', entry);
    assert.match(entry.id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(entry, {
      id: entry.id,
      state: 'infra-ready',
      accountName: 'sub-1234',
      regionId: 'eastus',
      cloudProvider: 'azure',
      displayName: 'Prod',
      availabilityZoneSuffixes: ['a', 'b'],
      vpcCidrRange: '10.1.0.0/16',
    });
    assert.deepEqual((await readOrganization(s, organization.id)).byocConfig, [entry]);
    let [activity] = await activitiesOf(s, organization.id);
    assertMatchesClickHouse('Activity', activity);
    assert.equal(activity.type, 'byoc_infrastructure_create');
    assert.deepEqual(activity.changes, { byocConfig: { old: null, new: entry } });

    const renamed = await s.request({ method: 'PATCH', url: byocUrl(organization.id, entry.id), auth: admin.basic, body: { displayName: '  Production ' } });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assertMatchesClickHouse('ByocConfig', renamed.body.result);
    assert.deepEqual(renamed.body.result, { ...entry, displayName: 'Production' });
    assert.deepEqual((await readOrganization(s, organization.id)).byocConfig, [renamed.body.result]);
    [activity] = await activitiesOf(s, organization.id);
    assert.equal(activity.type, 'byoc_infrastructure_update');
    assert.deepEqual(activity.changes, { displayName: { old: 'Prod', new: 'Production' } });

    const deleted = await s.request({ method: 'DELETE', url: byocUrl(organization.id, entry.id), auth: admin.basic });
    assert.equal(deleted.status, 200);
    assertEnvelope(deleted.body, { result: false });
    assert.deepEqual((await readOrganization(s, organization.id)).byocConfig, []);
    [activity] = await activitiesOf(s, organization.id);
    assert.equal(activity.type, 'byoc_infrastructure_delete');
    assert.deepEqual(activity.changes, { byocConfig: { old: renamed.body.result, new: null } });

    for (const request of [
      { method: 'DELETE', url: byocUrl(organization.id, entry.id) },
      { method: 'PATCH', url: byocUrl(organization.id, entry.id), body: { displayName: 'x' } },
    ] as const) {
      assertErrorEnvelope((await s.request({ ...request, auth: admin.basic })).body, 404, 'not_found');
    }
  });

  it('derives cloudProvider from regionId and fills defaults', async () => {
    const s = server();
    const { organization, admin } = await createTenant(s);
    const cases = [
      ['us-central1', 'gcp'],
      ['eu-west-1', 'aws'],
      ['germanywestcentral', 'azure'],
      ['me-central-1', 'aws'],
    ] as const;
    for (const [regionId, cloudProvider] of cases) {
      const response = await s.request({ method: 'POST', url: byocUrl(organization.id), auth: 'root', body: { regionId, accountId: ' acct-7 ' } });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assertMatchesClickHouse('ByocConfig', response.body.result);
      const { id: _id, ...rest } = response.body.result;
      assert.deepEqual(rest, {
        state: 'infra-ready',
        accountName: 'acct-7',
        regionId,
        cloudProvider,
        displayName: 'acct-7',
        availabilityZoneSuffixes: ['a', 'b', 'c'],
        vpcCidrRange: '10.0.0.0/16',
      });
    }
    const org = await readOrganization(s, organization.id);
    assert.deepEqual(org.byocConfig.map((b: any) => b.regionId), cases.map(([regionId]) => regionId));
    org.byocConfig.forEach((entry: unknown) => assertMatchesClickHouse('ByocConfig', entry));
    const read = await s.request({ method: 'GET', url: `/v1/organizations/${organization.id}`, auth: admin.basic });
    assert.deepEqual(read.body.result.byocConfig, org.byocConfig);
  });

  it('refuses a second record for the same account and region with 409', async () => {
    const s = server();
    const { organization, admin } = await createTenant(s);
    const body = { regionId: 'us-east-2', accountId: '111122223333' };
    assert.equal((await s.request({ method: 'POST', url: byocUrl(organization.id), auth: admin.basic, body })).status, 200);
    const count = (await activitiesOf(s, organization.id)).length;
    const duplicate = await s.request({ method: 'POST', url: byocUrl(organization.id), auth: admin.basic, body: { ...body, displayName: 'again' } });
    assertErrorEnvelope(duplicate.body, 409, 'duplicate_byoc');
    assert.equal((await activitiesOf(s, organization.id)).length, count);
    for (const other of [{ ...body, regionId: 'us-west-2' }, { ...body, accountId: '444455556666' }]) {
      assert.equal((await s.request({ method: 'POST', url: byocUrl(organization.id), auth: admin.basic, body: other })).status, 200);
    }
    assert.equal((await readOrganization(s, organization.id)).byocConfig.length, 3);
  });

  it('rejects invalid input with 400 naming the field, storing nothing', async () => {
    const s = server();
    const { organization, admin } = await createTenant(s);
    const ok = { regionId: 'us-east-1', accountId: 'acct' };
    const cases: [unknown, string][] = [
      ...['10.0.0.0/8', '10.0.0.0/29', '256.0.0.0/16', '10.0.0/16', '10.0.0.0', 'fd00::/48', 'ten/16', '10.0.0.0/-1'].map(
        (vpcCidrRange): [unknown, string] => [{ ...ok, vpcCidrRange }, 'vpcCidrRange'],
      ),
      [{ ...ok, vpcCidrRange: '100.100.100.100/16' + '0' }, 'vpcCidrRange'],
      [{ ...ok, color: 'red' }, 'color'],
      [{ ...ok, regionId: 'mars-1' }, 'regionId'],
      [{ regionId: 'us-east-1' }, 'accountId'],
      [{ ...ok, accountId: '   ' }, 'accountId'],
      [{ ...ok, accountId: 7 }, 'accountId'],
      [{ ...ok, displayName: ' ' }, 'displayName'],
      [{ ...ok, availabilityZoneSuffixes: ['z'] }, 'availabilityZoneSuffixes[0]'],
      [{ ...ok, availabilityZoneSuffixes: ['a', 'a'] }, 'availabilityZoneSuffixes'],
      [{ ...ok, availabilityZoneSuffixes: [] }, 'availabilityZoneSuffixes'],
    ];
    for (const [body, field] of cases) {
      assertBadField(await s.request({ method: 'POST', url: byocUrl(organization.id), auth: admin.basic, body }), field);
    }
    const created = await s.request({ method: 'POST', url: byocUrl(organization.id), auth: admin.basic, body: ok });
    const id = created.body.result.id;
    for (const [body, field] of [
      [{}, 'displayName'],
      [{ displayName: '' }, 'displayName'],
      [{ displayName: '  ' }, 'displayName'],
      [{ displayName: 'x', regionId: 'us-east-2' }, 'regionId'],
    ] as const) {
      assertBadField(await s.request({ method: 'PATCH', url: byocUrl(organization.id, id), auth: admin.basic, body }), field);
    }
    assert.deepEqual((await readOrganization(s, organization.id)).byocConfig, [created.body.result]);
    const malformed = await s.request({ method: 'PATCH', url: byocUrl(organization.id, 'not-a-uuid'), auth: admin.basic, body: { displayName: 'x' } });
    assertBadField(malformed, 'byocInfrastructureId');
  });

  it('developer keys get 403, other organizations\' keys 404, unknown ids 404', async () => {
    const s = server();
    const { organization, admin, developer } = await createTenant(s);
    const other = await createTenant(s);
    const created = await s.request({ method: 'POST', url: byocUrl(organization.id), auth: admin.basic, body: { regionId: 'ap-south-1', accountId: 'a' } });
    const id: string = created.body.result.id;
    const requests = [
      { method: 'POST', url: byocUrl(organization.id), body: { regionId: 'ap-south-1', accountId: 'b' } },
      { method: 'PATCH', url: byocUrl(organization.id, id), body: { displayName: 'x' } },
      { method: 'DELETE', url: byocUrl(organization.id, id) },
    ] as const;
    const before = await readOrganization(s, organization.id);
    for (const request of requests) {
      assertErrorEnvelope((await s.request({ ...request, auth: developer.basic })).body, 403, 'admin_role_required');
      assertErrorEnvelope((await s.request({ ...request, auth: other.admin.basic })).body, 404, 'not_found');
    }
    assert.deepEqual(await readOrganization(s, organization.id), before);
    // Another organization's BYOC id is unknown under this organization, even to root.
    const theirs = await s.request({ method: 'POST', url: byocUrl(other.organization.id), auth: other.admin.basic, body: { regionId: 'ap-south-1', accountId: 'a' } });
    for (const unknown of [randomUUID(), theirs.body.result.id]) {
      for (const auth of [admin.basic, 'root'] as const) {
        assertErrorEnvelope((await s.request({ method: 'PATCH', url: byocUrl(organization.id, unknown), auth, body: { displayName: 'x' } })).body, 404);
        assertErrorEnvelope((await s.request({ method: 'DELETE', url: byocUrl(organization.id, unknown), auth })).body, 404);
      }
    }
    assert.equal((await readOrganization(s, other.organization.id)).byocConfig.length, 1);
    // A deleted organization has no BYOC infrastructure to change.
    assert.equal((await s.request({ method: 'DELETE', url: `/v1/organizations/${organization.id}`, auth: 'root' })).status, 200);
    assertErrorEnvelope((await s.request({ ...requests[0], auth: 'root' })).body, 404);
  });
});

const SERVICES = {
  'aws:us-east-1': 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0',
  'azure:eastus': 'orgbase-pls.0000-1111.eastus.azure.privatelinkservice',
};

for (const database of testDatabases()) {
  describe(`privateEndpointConfig with configured services [${database.kind}]`, () => {
    let server: TestServer | undefined;
    before(async () => {
      server = await startServer(database, { env: { ORGBASE_PRIVATE_ENDPOINT_SERVICES: JSON.stringify(SERVICES) } });
    });
    after(async () => {
      await server?.close();
    });
    const config = (organizationId: string, query: string, auth: Auth) =>
      server!.request({ method: 'GET', url: `/v1/organizations/${organizationId}/privateEndpointConfig?${query}`, auth });

    it('returns the configured endpoint service to any reader of the organization', async () => {
      const { organization, admin, developer } = await createTenant(server!);
      for (const auth of ['root', admin.basic, developer.basic, developer.bearer] as const) {
        const response = await config(organization.id, 'cloud_provider=aws&region_id=us-east-1', auth);
        assert.equal(response.status, 200, JSON.stringify(response.body));
        assertEnvelope(response.body, { result: true });
        assertMatchesClickHouse('OrganizationCloudRegionPrivateEndpointConfig', response.body.result);
        assert.deepEqual(response.body.result, { endpointServiceId: SERVICES['aws:us-east-1'] });
      }
      const azure = await config(organization.id, 'region_id=eastus&cloud_provider=azure', developer.basic);
      assert.deepEqual(azure.body.result, { endpointServiceId: SERVICES['azure:eastus'] });
    });

    it('404 for a provider and region without a configured service', async () => {
      const { organization, developer } = await createTenant(server!);
      for (const query of ['cloud_provider=aws&region_id=eu-west-1', 'cloud_provider=gcp&region_id=us-east-1', 'cloud_provider=azure&region_id=westus3']) {
        assertErrorEnvelope((await config(organization.id, query, developer.basic)).body, 404, 'not_found');
      }
    });

    it('requires both parameters, checks them against the enums and rejects unknown ones', async () => {
      const { organization, developer } = await createTenant(server!);
      const cases: [string, string][] = [
        ['region_id=us-east-1', 'cloud_provider'],
        ['cloud_provider=aws', 'region_id'],
        ['', 'cloud_provider'],
        ['cloud_provider=ibm&region_id=us-east-1', 'cloud_provider'],
        ['cloud_provider=AWS&region_id=us-east-1', 'cloud_provider'],
        ['cloud_provider=aws&region_id=moon-1', 'region_id'],
        ['cloud_provider=aws&region_id=us-east-1&zone=a', 'zone'],
      ];
      for (const [query, field] of cases) assertBadField(await config(organization.id, query, developer.basic), field);
    });

    it('hides other organizations (404) and deleted ones', async () => {
      const { organization } = await createTenant(server!);
      const other = await createTenant(server!);
      const query = 'cloud_provider=aws&region_id=us-east-1';
      assertErrorEnvelope((await config(organization.id, query, other.developer.basic)).body, 404, 'not_found');
      assertErrorEnvelope((await config(randomUUID(), query, 'root')).body, 404, 'not_found');
      assert.equal((await server!.request({ method: 'DELETE', url: `/v1/organizations/${organization.id}`, auth: 'root' })).status, 200);
      assertErrorEnvelope((await config(organization.id, query, 'root')).body, 404, 'not_found');
    });
  });
}
