/**
 * Creating licenses by type (`PUT /v1/organizations/{id}/license {"licenseType": "<type>"}`):
 * the server signs a license of a configured type with its own Ed25519 key, bound to the
 * organization, and installs it as it installs a license key. Through the real HTTP API on each
 * database, with a real key file made here.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../src/config.js';
import { DomainError } from '../src/domain/errors.js';
import { createLicenseIssuer } from '../src/domain/licenses/license-issuer.js';
import { createLicenseVerifier, issueLicense, licenseKeyId, licensePublicKeyX } from '../src/domain/licenses/license-token.js';
import type { RootPrincipal } from '../src/domain/principal.js';
import { systemIds } from '../src/ids.js';
import { assertEnvelope, assertErrorEnvelope } from './contracts/clickhouse.js';
import { activitiesOf, createOrganization, createTenant, createUserWithKey, joinOrganization } from './helpers/fixtures.js';
import { startServer, type TestServer } from './helpers/server.js';
import { testDatabases } from './helpers/databases.js';

const DAY = 86_400_000;

const keyDir = mkdtempSync(join(tmpdir(), 'orgbase-license-types-'));
after(() => rmSync(keyDir, { recursive: true, force: true }));

const signing = generateKeyPairSync('ed25519');
const signingFile = join(keyDir, 'server-1.private.pem');
writeFileSync(signingFile, signing.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
/** Another operator key, listed in ORGBASE_LICENSE_PUBLIC_KEYS; the signing key is not listed there. */
const other = generateKeyPairSync('ed25519');

const TYPES = {
  team: { limits: { members: 5, projects: 3, childOrganizations: 2 }, features: ['sso', 'audit'], days: 30 },
  tiny: { limits: { members: 1 }, days: 7 },
  open: { days: 1 },
};

const SIGNING_ENV = {
  ORGBASE_LICENSE_SIGNING_KEY: signingFile,
  ORGBASE_LICENSE_SIGNING_KID: 'server-1',
  ORGBASE_LICENSE_TYPES: JSON.stringify(TYPES),
  ORGBASE_LICENSE_PUBLIC_KEYS: JSON.stringify({ 'ops-1': licensePublicKeyX(other.publicKey) }),
};

const rootPrincipal: RootPrincipal = { kind: 'root', actor: { type: 'support', id: null, details: null, ip: null, userAgent: null } };

for (const database of testDatabases()) {
  describe(`license types [${database.kind}]`, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer(database, { env: SIGNING_ENV });
    });
    after(async () => server?.close());

    const put = (organizationId: string, body: unknown, auth: any = 'root', target: TestServer = server) =>
      target.request({ method: 'PUT', url: `/v1/organizations/${organizationId}/license`, auth, body });
    const licenseOf = (organizationId: string, target: TestServer = server) =>
      target.request({ method: 'GET', url: `/v1/organizations/${organizationId}/license`, auth: 'root' });

    /** Asserts the organization still has no license and no more activities than `count`. */
    async function assertUnchanged(organizationId: string, activities: number, target: TestServer = server) {
      assertErrorEnvelope((await licenseOf(organizationId, target)).body, 404);
      assert.equal((await activitiesOf(target, organizationId)).length, activities, 'no activity recorded');
    }

    it('an admin creates a license of a configured type: bound to the organization, with its limits, features and expiry', async () => {
      const { organization, admin } = await createTenant(server);
      const before = server.clock.now().getTime();
      const created = await put(organization.id, { licenseType: 'team' }, admin.basic);
      const after = server.clock.now().getTime();
      assertEnvelope(created.body, { result: true });
      const view = created.body.result;
      assert.deepEqual(
        [view.organizationId, view.licenseType, view.limits, view.features, view.boundTo, view.keyId, view.expired],
        [organization.id, 'team', TYPES.team.limits, TYPES.team.features, organization.id, 'server-1', false],
      );
      const issuedAt = Date.parse(view.issuedAt);
      assert.ok(issuedAt >= Math.floor(before / 1000) * 1000 && issuedAt <= after, `issued now, not ${view.issuedAt}`);
      assert.equal(Date.parse(view.expiresAt) - issuedAt, 30 * DAY, 'expires after the type\u2019s 30 days');
      assert.deepEqual((await licenseOf(organization.id)).body.result, view, 'installed: GET shows the same license');

      const [activity] = await activitiesOf(server, organization.id);
      assert.equal(activity.type, 'organization_update_license');
      assert.deepEqual(activity.changes.license, {
        old: null,
        new: { licenseId: view.licenseId, licenseType: 'team', limits: TYPES.team.limits, expiresAt: view.expiresAt },
      });

      // The type's days are what the expiry means: valid a minute before, expired a minute after.
      server.clock.advance(30 * DAY - 60_000);
      try {
        assert.equal((await licenseOf(organization.id)).body.result.expired, false);
        server.clock.advance(120_000);
        assert.equal((await licenseOf(organization.id)).body.result.expired, true);
      } finally {
        server.clock.advance(-(30 * DAY + 60_000));
      }
    });

    it('a type with no limits or features is unlimited with none; creating again replaces the license', async () => {
      const organization = await createOrganization(server);
      const first = (await put(organization.id, { licenseType: 'open' })).body.result;
      assert.deepEqual([first.licenseType, first.limits, first.features], ['open', {}, []]);
      assert.equal(Date.parse(first.expiresAt) - Date.parse(first.issuedAt), DAY);
      const second = (await put(organization.id, { licenseType: 'open' })).body.result;
      assert.notEqual(second.licenseId, first.licenseId, 'a new license each time');
      assert.equal((await licenseOf(organization.id)).body.result.licenseId, second.licenseId);
      const [activity] = await activitiesOf(server, organization.id);
      assert.deepEqual([activity.changes.license.old.licenseId, activity.changes.license.new.licenseId], [first.licenseId, second.licenseId]);
    });

    it('an unknown type is a 400 on licenseType listing the configured types, and changes nothing', async () => {
      const { organization, admin } = await createTenant(server);
      const activities = (await activitiesOf(server, organization.id)).length;
      for (const licenseType of ['gold', 'Team', 'toString', '__proto__', 'constructor']) {
        const response = await put(organization.id, { licenseType }, admin.basic);
        assertErrorEnvelope(response.body, 400, 'unknown_license_type');
        assert.equal(response.body.field, 'licenseType');
        assert.match(response.body.error, /the types are: team, tiny, open\./);
        assert.ok(response.body.error.includes(JSON.stringify(licenseType)), response.body.error);
      }
      await assertUnchanged(organization.id, activities);
    });

    it('without a signing key, creating by type is a 400 telling the operator what to set, and changes nothing', async () => {
      // Types configured, no signing key: still disabled, and that is said before "unknown type".
      const { ORGBASE_LICENSE_TYPES, ORGBASE_LICENSE_PUBLIC_KEYS } = SIGNING_ENV;
      const unsigned = await startServer(database, { env: { ORGBASE_LICENSE_TYPES, ORGBASE_LICENSE_PUBLIC_KEYS } });
      try {
        const { organization, admin } = await createTenant(unsigned);
        const activities = (await activitiesOf(unsigned, organization.id)).length;
        for (const licenseType of ['team', 'gold']) {
          const response = await put(organization.id, { licenseType }, admin.basic, unsigned);
          assertErrorEnvelope(response.body, 400, 'license_issuing_disabled');
          assert.equal(response.body.field, 'licenseType');
          for (const variable of ['ORGBASE_LICENSE_SIGNING_KEY', 'ORGBASE_LICENSE_SIGNING_KID', 'ORGBASE_LICENSE_TYPES']) {
            assert.match(response.body.error, new RegExp(variable));
          }
        }
        await assertUnchanged(organization.id, activities, unsigned);
      } finally {
        await unsigned.close();
      }
    });

    it('a type whose limits are below current usage is refused with 409 and changes nothing', async () => {
      const organization = await createOrganization(server);
      for (let i = 0; i < 2; i++) await joinOrganization(server, organization.id, await createUserWithKey(server), 1);
      const installed = (await put(organization.id, { licenseType: 'team' })).body.result;
      const activities = (await activitiesOf(server, organization.id)).length;
      const refused = await put(organization.id, { licenseType: 'tiny' });
      assertErrorEnvelope(refused.body, 409, 'license_below_usage');
      assert.match(refused.body.error, /members: the license allows 1, the organization has 2/);
      assert.deepEqual((await licenseOf(organization.id)).body.result, installed, 'the installed license is unchanged');
      assert.equal((await activitiesOf(server, organization.id)).length, activities, 'no activity recorded');
    });

    it('exactly one of licenseKey and licenseType: both or neither is a 400 naming the field', async () => {
      const { organization, admin } = await createTenant(server);
      const activities = (await activitiesOf(server, organization.id)).length;
      const cases: [unknown, string][] = [
        [{ licenseKey: 'x.y.z', licenseType: 'team' }, 'licenseType'],
        [{}, 'licenseKey'],
        [{ licenseType: '' }, 'licenseType'],
        [{ licenseType: 't'.repeat(65) }, 'licenseType'],
        [{ licenseType: 7 }, 'licenseType'],
        [{ createLicenseType: 'team' }, 'createLicenseType'],
      ];
      for (const [body, field] of cases) {
        const response = await put(organization.id, body, admin.basic);
        assertErrorEnvelope(response.body, 400, 'invalid_input');
        assert.equal(response.body.field, field, JSON.stringify(body));
        assert.match(response.body.error, new RegExp(field));
      }
      await assertUnchanged(organization.id, activities);
    });

    it('a developer key is refused with 403, another organization\u2019s key with 404, and nothing changes', async () => {
      const { organization, developer } = await createTenant(server);
      const activities = (await activitiesOf(server, organization.id)).length;
      assertErrorEnvelope((await put(organization.id, { licenseType: 'team' }, developer.basic)).body, 403, 'admin_role_required');
      const stranger = await createTenant(server);
      assertErrorEnvelope((await put(organization.id, { licenseType: 'team' }, stranger.admin.basic)).body, 404);
      assertErrorEnvelope((await put(organization.id, { licenseType: 'gold' }, stranger.admin.basic)).body, 404, 'not_found');
      await assertUnchanged(organization.id, activities);
    });

    it('the licenses the server signs verify with the verifier of the same configuration, and install as keys', async () => {
      const organization = await createOrganization(server);
      const issuer = createLicenseIssuer({ signingKey: server.config.licenseSigningKey, types: server.config.licenseTypes, clock: server.clock, ids: systemIds });
      const token = await issuer.issue(organization.id, 'team', 'licenseType');
      assert.equal(licenseKeyId(token), 'server-1');

      // What `license verify` does with the same environment: ORGBASE_LICENSE_PUBLIC_KEYS does not list server-1.
      const verifier = createLicenseVerifier({ publicKeys: loadConfig(SIGNING_ENV).licensePublicKeys, clock: server.clock });
      const claims = await verifier.verify(token);
      assert.deepEqual([claims.licenseType, claims.sub, claims.limits, claims.features], ['team', organization.id, TYPES.team.limits, TYPES.team.features]);
      assert.equal(claims.exp - claims.iat, 30 * 86_400);
      const listedOnly = createLicenseVerifier({ publicKeys: JSON.parse(SIGNING_ENV.ORGBASE_LICENSE_PUBLIC_KEYS), clock: server.clock });
      await assert.rejects(listedOnly.verify(token), (error: unknown) => error instanceof DomainError && error.code === 'license_unknown_key');

      const installed = await put(organization.id, { licenseKey: token });
      assert.equal(installed.status, 200, JSON.stringify(installed.body));
      assert.deepEqual([installed.body.result.licenseId, installed.body.result.keyId], [claims.jti, 'server-1']);
      const elsewhere = await put((await createOrganization(server)).id, { licenseKey: token });
      assertErrorEnvelope(elsewhere.body, 400, 'license_other_organization');
    });

    it('an admin cannot replace a license the operator issued with one created by type; root can', async () => {
      const { organization, admin } = await createTenant(server);
      const operatorIssued = await issueLicense({
        privateKey: other.privateKey,
        kid: 'ops-1',
        claims: { licenseType: 'team-5', limits: { members: 5 }, exp: new Date(server.clock.now().getTime() + 30 * DAY) },
        clock: server.clock,
        ids: systemIds,
      });
      assert.equal((await put(organization.id, { licenseKey: operatorIssued }, admin.basic)).status, 200);
      const before = (await activitiesOf(server, organization.id)).length;
      const lifted = await put(organization.id, { licenseType: 'team' }, admin.basic);
      assertErrorEnvelope(lifted.body, 403, 'license_operator_installed');
      assert.equal((await licenseOf(organization.id)).body.result.licenseType, 'team-5', 'nothing changed');
      assert.equal((await activitiesOf(server, organization.id)).length, before);
      assert.equal((await put(organization.id, { licenseType: 'team' })).status, 200, 'the operator may');
      assert.equal((await put(organization.id, { licenseType: 'team' }, admin.basic)).status, 200, 'a server-created license is the admins\u2019 to change');
    });

    it('the service names Bindplane\u2019s createLicenseType field by default', async () => {
      const { licenses } = server.orgbase.services;
      const organization = await createOrganization(server);
      for (const [licenseType, code] of [['gold', 'unknown_license_type']] as const) {
        await assert.rejects(licenses.installType(rootPrincipal, organization.id, licenseType), (error: unknown) => {
          assert.ok(error instanceof DomainError, String(error));
          assert.deepEqual([error.kind, error.code, error.field], ['invalid', code, 'createLicenseType']);
          return true;
        });
      }
      const view = await licenses.installType(rootPrincipal, organization.id, 'tiny');
      assert.deepEqual([view.licenseType, view.boundTo, view.limits], ['tiny', organization.id, TYPES.tiny.limits]);
    });
  });
}
