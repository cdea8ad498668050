/**
 * Installing licenses on organizations and enforcing their limits, through the real HTTP API on
 * each database, with real Ed25519 keys made here.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { issueLicense, licensePublicKeyX } from '../src/domain/licenses/license-token.js';
import type { LicenseGrant } from '../src/domain/licenses/license.schemas.js';
import { systemIds } from '../src/ids.js';
import { assertEnvelope, assertErrorEnvelope } from './contracts/clickhouse.js';
import { activitiesOf, createKey, createOrganization, createTenant, createUserWithKey, joinOrganization, type UserFixture } from './helpers/fixtures.js';
import { startServer, type TestServer } from './helpers/server.js';
import { testDatabases } from './helpers/databases.js';

const DAY = 86_400_000;

function keyPair(): { privateKey: KeyObject; x: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, x: licensePublicKeyX(publicKey) };
}

const trusted = keyPair();
const stranger = keyPair();

for (const database of testDatabases()) {
  describe(`licenses [${database.kind}]`, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer(database, { env: { ORGBASE_LICENSE_PUBLIC_KEYS: JSON.stringify({ 'ops-1': trusted.x }) } });
    });
    after(async () => server?.close());

    const issue = (grant: Partial<LicenseGrant>, signer: KeyObject = trusted.privateKey, kid = 'ops-1') =>
      issueLicense({
        privateKey: signer,
        kid,
        claims: { licenseType: 'team', limits: {}, features: ['sso'], exp: new Date(server.clock.now().getTime() + 30 * DAY), ...grant },
        clock: server.clock,
        ids: systemIds,
      });
    const install = (organizationId: string, licenseKey: string, auth: any = 'root') =>
      server.request({ method: 'PUT', url: `/v1/organizations/${organizationId}/license`, auth, body: { licenseKey } });
    const licenseOf = (organizationId: string) => server.request({ method: 'GET', url: `/v1/organizations/${organizationId}/license`, auth: 'root' });

    it('an admin installs a license; everyone who reads the organization sees its claims, never the key', async () => {
      const { organization, admin, developer } = await createTenant(server);
      assertErrorEnvelope((await licenseOf(organization.id)).body, 404);
      const token = await issue({ licenseType: 'enterprise', limits: { members: 50, projects: 5, childOrganizations: 3 }, features: ['sso', 'audit'] });
      assertErrorEnvelope((await install(organization.id, token, developer.basic)).body, 403, 'admin_role_required');
      const installed = await install(organization.id, token, admin.basic);
      assertEnvelope(installed.body, { result: true });
      const view = installed.body.result;
      assert.deepEqual(
        [view.licenseType, view.limits, view.features, view.keyId, view.expired, view.boundTo],
        ['enterprise', { members: 50, projects: 5, childOrganizations: 3 }, ['sso', 'audit'], 'ops-1', false, null],
      );
      const read = await server.request({ method: 'GET', url: `/v1/organizations/${organization.id}/license`, auth: developer.basic });
      assert.deepEqual(read.body.result, view);
      const [, payload, signature] = token.split('.');
      assert.ok(!read.raw.body.includes(signature!) && !read.raw.body.includes(payload!), 'the key and its signature are not shown');
      const trail = await activitiesOf(server, organization.id);
      assert.equal(trail[0].type, 'organization_update_license');
      assert.equal(trail[0].changes.license.new.licenseType, 'enterprise');
      const other = await createTenant(server);
      assertErrorEnvelope((await install(organization.id, token, other.admin.basic)).body, 404);
    });

    it('malformed, tampered, foreign-key, unknown-kid, expired and other-organization keys are 400s that change nothing', async () => {
      const { organization, admin } = await createTenant(server);
      const good = await issue({ licenseType: 'first' });
      assert.equal((await install(organization.id, good, admin.basic)).status, 200);
      const before = (await activitiesOf(server, organization.id)).length;
      const [header, payload, signature] = good.split('.');
      const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), limits: { members: 1000000 } })).toString('base64url');
      const flipped = signature!.slice(0, -2) + (signature!.endsWith('AA') ? 'BB' : 'AA');
      const cases: [string, string][] = [
        ['not a license', 'license_malformed'],
        [`${header}.${forged}.${signature}`, 'license_signature'],
        [`${header}.${payload}.${flipped}`, 'license_signature'],
        [await issue({}, stranger.privateKey), 'license_signature'],
        [await issue({}, stranger.privateKey, 'ops-2'), 'license_unknown_key'],
        [await issue({ sub: (await createOrganization(server)).id }), 'license_other_organization'],
      ];
      for (const [key, code] of cases) {
        const response = await install(organization.id, key, admin.basic);
        assertErrorEnvelope(response.body, 400, code);
        assert.equal(response.body.field, 'licenseKey');
      }
      const expiring = await issue({ exp: new Date(server.clock.now().getTime() + DAY) });
      server.clock.advance(2 * DAY);
      try {
        assertErrorEnvelope((await install(organization.id, expiring, admin.basic)).body, 400, 'license_expired');
        assert.equal((await licenseOf(organization.id)).body.result.expired, false, 'the installed one expires in 30 days');
      } finally {
        server.clock.advance(-2 * DAY);
      }
      assert.equal((await licenseOf(organization.id)).body.result.licenseType, 'first', 'nothing changed');
      assert.equal((await activitiesOf(server, organization.id)).length, before);
    });

    it('a license below current usage is refused with 409 and changes nothing', async () => {
      const organization = await createOrganization(server);
      for (let i = 0; i < 3; i++) await joinOrganization(server, organization.id, await createUserWithKey(server), 1);
      await server.request({ method: 'POST', url: '/v1/organizations', auth: 'root', body: { name: `child of ${organization.id}`, parentId: organization.id } });
      const refused = await install(organization.id, await issue({ limits: { members: 2, childOrganizations: 0 } }));
      assertErrorEnvelope(refused.body, 409, 'license_below_usage');
      assert.match(refused.body.error, /members: the license allows 2, the organization has 3/);
      assert.match(refused.body.error, /child organizations: the license allows 0, the organization has 1/);
      assertErrorEnvelope((await licenseOf(organization.id)).body, 404);
      assert.equal((await install(organization.id, await issue({ limits: { members: 3, childOrganizations: 1 } }))).status, 200, 'exactly at usage fits');
    });

    it('limits are enforced from then on: members (invitations and direct adds) and child organizations', async () => {
      const organization = await createOrganization(server);
      const first = await createUserWithKey(server);
      await joinOrganization(server, organization.id, first, 15);
      assert.equal((await install(organization.id, await issue({ limits: { members: 2, childOrganizations: 1 } }))).status, 200);
      await joinOrganization(server, organization.id, await createUserWithKey(server), 1);
      const third = await createUserWithKey(server);
      const invitation = await server.request({ method: 'POST', url: `/v1/organizations/${organization.id}/invitations`, auth: 'root', body: { email: third.email } });
      const accept = await server.request({ method: 'POST', url: `/v1/invitations/${invitation.body.result.id}/accept`, auth: third.auth });
      assertErrorEnvelope(accept.body, 409, 'license_limit');
      assert.match(accept.body.error, /allows at most 2 members, and it has 2/);
      const added = await server.request({ method: 'POST', url: `/v1/organizations/${organization.id}/members`, auth: 'root', body: { userId: third.id } });
      assertErrorEnvelope(added.body, 409, 'license_limit');
      const members = await server.request({ method: 'GET', url: `/v1/organizations/${organization.id}/members`, auth: 'root' });
      assert.equal(members.body.result.length, 2);

      const child = (name: string) => server.request({ method: 'POST', url: '/v1/organizations', auth: first.auth, body: { name, parentId: organization.id } });
      assert.equal((await child(`c1 ${organization.id}`)).status, 200);
      assertErrorEnvelope((await child(`c2 ${organization.id}`)).body, 409, 'license_limit');
      assert.equal((await licenseOf(organization.id)).body.result.usage.childOrganizations, 1);
    });

    it('concurrent joins cannot pass the member limit', async () => {
      const organization = await createOrganization(server);
      assert.equal((await install(organization.id, await issue({ limits: { members: 2 } }))).status, 200);
      const users: UserFixture[] = [];
      for (let i = 0; i < 5; i++) users.push(await createUserWithKey(server));
      const invitations = await Promise.all(
        users.map((user) => server.request({ method: 'POST', url: `/v1/organizations/${organization.id}/invitations`, auth: 'root', body: { email: user.email } })),
      );
      const results = await Promise.all(
        users.map((user, i) => server.request({ method: 'POST', url: `/v1/invitations/${invitations[i]!.body.result.id}/accept`, auth: user.auth })),
      );
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 200, 409, 409, 409]);
      assert.equal((await licenseOf(organization.id)).body.result.usage.members, 2);
    });

    it('without configured public keys every license is refused with a message for the operator', async () => {
      const bare = await startServer(database);
      try {
        const organization = await createOrganization(bare);
        const key = await createKey(bare, organization.id);
        const response = await bare.request({ method: 'PUT', url: `/v1/organizations/${organization.id}/license`, auth: key.basic, body: { licenseKey: await issue({}) } });
        assertErrorEnvelope(response.body, 400, 'license_unknown_key');
        assert.match(response.body.error, /ORGBASE_LICENSE_PUBLIC_KEYS/);
      } finally {
        await bare.close();
      }
    });
  });
}

