import assert from 'node:assert/strict';
import { it } from 'node:test';
import { assertEnvelope, assertErrorEnvelope } from './contracts/clickhouse.js';
import { activitiesOf, createOrganization, createTenant, createUserWithKey, joinOrganization } from './helpers/fixtures.js';
import { onEachDatabase, type Auth, type TestServer } from './helpers/server.js';

const rolesUrl = (organizationId: string, rest = '') => `/v1/organizations/${organizationId}/roles${rest}`;

async function createRole(server: TestServer, organizationId: string, body: object, auth: Auth = 'root') {
  const response = await server.request({ method: 'POST', url: rolesUrl(organizationId), auth, body });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body.result;
}

onEachDatabase('custom roles', (server) => {
  it('create, read, rename and delete a role; names are unique case-insensitively; each change is an activity', async () => {
    const organization = await createOrganization(server());
    const role = await createRole(server(), organization.id, { name: 'Billing', permissions: ['organization:write'] });
    assert.deepEqual([role.name, role.permissions, role.members, role.createdBy], ['Billing', ['organization:write'], [], null]);
    const duplicate = await server().request({ method: 'POST', url: rolesUrl(organization.id), auth: 'root', body: { name: 'BILLING' } });
    assertErrorEnvelope(duplicate.body, 409, 'unique');
    assert.equal(duplicate.body.field, 'name');
    const renamed = await server().request({ method: 'PATCH', url: rolesUrl(organization.id, `/${role.id}`), auth: 'root', body: { name: 'Finance' } });
    assert.equal(renamed.body.result.name, 'Finance');
    const list = await server().request({ method: 'GET', url: rolesUrl(organization.id), auth: 'root' });
    assert.deepEqual(list.body.result.map((r: any) => r.name), ['Finance']);
    const deleted = await server().request({ method: 'DELETE', url: rolesUrl(organization.id, `/${role.id}`), auth: 'root' });
    assertEnvelope(deleted.body, { result: false });
    assertErrorEnvelope((await server().request({ method: 'GET', url: rolesUrl(organization.id, `/${role.id}`), auth: 'root' })).body, 404);
    const types = (await activitiesOf(server(), organization.id)).map((a) => a.type).slice(0, 3);
    assert.deepEqual(types, ['role_delete', 'role_update', 'role_create']);
  });

  it('roles are granted to members of the same organization only, once each; deleting the role revokes the grants', async () => {
    const organization = await createOrganization(server());
    const other = await createOrganization(server());
    const ada = await createUserWithKey(server());
    const eve = await createUserWithKey(server());
    await joinOrganization(server(), organization.id, ada, 1);
    await joinOrganization(server(), other.id, eve, 1);
    const role = await createRole(server(), organization.id, { name: 'Support' });
    const grant = (userId: string) =>
      server().request({ method: 'POST', url: rolesUrl(organization.id, `/${role.id}/memberships`), auth: 'root', body: { userId } });
    const granted = await grant(ada.id);
    assert.equal(granted.status, 200, JSON.stringify(granted.body));
    assertErrorEnvelope((await grant(ada.id)).body, 409, 'already_in_role');
    const outsider = await grant(eve.id);
    assertErrorEnvelope(outsider.body, 400, 'not_a_member');
    assert.equal(outsider.body.field, 'userId');
    const read = await server().request({ method: 'GET', url: rolesUrl(organization.id, `/${role.id}`), auth: 'root' });
    assert.deepEqual(read.body.result.members.map((m: any) => m.userId), [ada.id]);
    await server().request({ method: 'DELETE', url: rolesUrl(organization.id, `/${role.id}`), auth: 'root' });
    const count = await server().database.db.selectFrom('role_memberships').select('id').where('role_id', '=', role.id).execute();
    assert.equal(count.length, 0);
  });

  it('a role granting organization:write lets a level-1 member rename the organization, until it is revoked', async () => {
    const organization = await createOrganization(server(), 'Before');
    const ada = await createUserWithKey(server(), ['organization:write', 'organization_member:write']);
    await joinOrganization(server(), organization.id, ada, 1);
    const rename = (name: string) => server().request({ method: 'PATCH', url: `/v1/organizations/${organization.id}`, auth: ada.auth, body: { name } });
    assertErrorEnvelope((await rename('Nope')).body, 403, 'admin_level_required');
    const role = await createRole(server(), organization.id, { name: 'Settings', permissions: ['organization:write'] });
    const granted = await server().request({ method: 'POST', url: rolesUrl(organization.id, `/${role.id}/memberships`), auth: 'root', body: { userId: ada.id } });
    assert.equal((await rename('Allowed')).status, 200);
    await server().request({ method: 'DELETE', url: rolesUrl(organization.id, `/${role.id}/memberships/${granted.body.result.id}`), auth: 'root' });
    assertErrorEnvelope((await rename('Revoked')).body, 403, 'admin_level_required');
    const types = (await activitiesOf(server(), organization.id)).map((a) => a.type);
    assert.ok(types.includes('organization_member_update_roles') && types.includes('organization_member_remove_roles'));
  });

  it('a member managing roles through a role cannot give out a permission they do not hold (on /v1 and /api)', async () => {
    const organization = await createOrganization(server());
    const ada = await createUserWithKey(server(), ['organization:write', 'organization_member:write']);
    const bob = await createUserWithKey(server());
    await joinOrganization(server(), organization.id, ada, 1);
    await joinOrganization(server(), organization.id, bob, 1);
    const settings = await createRole(server(), organization.id, { name: 'Settings', permissions: ['organization:write'] });
    const people = await createRole(server(), organization.id, { name: 'People', permissions: ['organization_member:write'] });
    const grant = (roleId: string, userId: string, auth: Auth) =>
      server().request({ method: 'POST', url: rolesUrl(organization.id, `/${roleId}/memberships`), auth, body: { userId } });
    assert.equal((await grant(settings.id, ada.id, 'root')).status, 200);
    const before = (await activitiesOf(server(), organization.id)).length;

    const escalating = await server().request({ method: 'POST', url: rolesUrl(organization.id), auth: ada.auth, body: { name: 'Mine', permissions: ['organization_member:write'] } });
    assertErrorEnvelope(escalating.body, 403, 'permission_escalation');
    assertErrorEnvelope((await grant(people.id, ada.id, ada.auth)).body, 403, 'permission_escalation');
    assertErrorEnvelope((await server().request({ method: 'PATCH', url: rolesUrl(organization.id, `/${settings.id}`), auth: ada.auth, body: { permissions: ['organization:write', 'organization_member:write'] } })).body, 403, 'permission_escalation');
    assertErrorEnvelope((await server().request({ method: 'DELETE', url: rolesUrl(organization.id, `/${people.id}`), auth: ada.auth })).body, 403, 'permission_escalation');
    const viaPostHog = await server().request({ method: 'POST', url: `/api/organizations/${organization.id}/roles/${people.id}/role_memberships/`, auth: ada.auth, body: { user_uuid: ada.id } });
    assert.deepEqual([viaPostHog.status, viaPostHog.body.code], [403, 'permission_denied']);
    assert.equal((await activitiesOf(server(), organization.id)).length, before, 'refusals change nothing');

    // Within what they hold, they manage roles like an admin.
    const own = await createRole(server(), organization.id, { name: 'Readers', permissions: ['organization:read', 'organization:write'] }, ada.auth);
    assert.equal((await grant(own.id, bob.id, ada.auth)).status, 200);
    assert.equal((await grant(settings.id, bob.id, ada.auth)).status, 200);
  });

  it('a role granting organization_member:write lets a member invite at their own level, not above', async () => {
    const organization = await createOrganization(server());
    const ada = await createUserWithKey(server(), ['organization_member:write']);
    await joinOrganization(server(), organization.id, ada, 1);
    const invite = (level: number) =>
      server().request({ method: 'POST', url: `/v1/organizations/${organization.id}/invitations`, auth: ada.auth, body: { email: `x${level}@example.com`, level } });
    assertErrorEnvelope((await invite(1)).body, 403, 'admin_level_required');
    const role = await createRole(server(), organization.id, { name: 'Recruiter', permissions: ['organization_member:write'] });
    await server().request({ method: 'POST', url: rolesUrl(organization.id, `/${role.id}/memberships`), auth: 'root', body: { userId: ada.id } });
    assert.equal((await invite(1)).status, 200);
    assertErrorEnvelope((await invite(8)).body, 403, 'level_too_high');
  });

  it('writes need admin; developer keys and plain members get 403; another organization gets 404; nothing changes', async () => {
    const { organization, developer, admin } = await createTenant(server());
    const member = await createUserWithKey(server());
    await joinOrganization(server(), organization.id, member, 1);
    const role = await createRole(server(), organization.id, { name: 'Ops' }, admin.basic);
    const outsider = await createTenant(server());
    const before = (await activitiesOf(server(), organization.id)).length;
    for (const auth of [developer.basic, member.auth]) {
      assert.equal((await server().request({ method: 'GET', url: rolesUrl(organization.id), auth })).status, 200);
      assertErrorEnvelope((await server().request({ method: 'POST', url: rolesUrl(organization.id), auth, body: { name: 'X' } })).body, 403);
      assertErrorEnvelope((await server().request({ method: 'PATCH', url: rolesUrl(organization.id, `/${role.id}`), auth, body: { name: 'Y' } })).body, 403);
      assertErrorEnvelope((await server().request({ method: 'DELETE', url: rolesUrl(organization.id, `/${role.id}`), auth })).body, 403);
    }
    for (const [method, url, body] of [
      ['GET', rolesUrl(organization.id)],
      ['GET', rolesUrl(organization.id, `/${role.id}`)],
      ['POST', rolesUrl(organization.id), { name: 'Z' }],
      ['PATCH', rolesUrl(organization.id, `/${role.id}`), { name: 'Z' }],
      ['DELETE', rolesUrl(organization.id, `/${role.id}`)],
      ['POST', rolesUrl(organization.id, `/${role.id}/memberships`), { userId: member.id }],
    ] as const) {
      assertErrorEnvelope((await server().request({ method, url, auth: outsider.admin.basic, ...(body && { body }) })).body, 404);
    }
    const bad = await server().request({ method: 'POST', url: rolesUrl(organization.id), auth: admin.basic, body: { name: 'Q', permissions: ['everything'] } });
    assertErrorEnvelope(bad.body, 400);
    assert.equal(bad.body.field, 'permissions[0]');
    assert.equal((await activitiesOf(server(), organization.id)).length, before);
  });
  it('a grant racing the member\u2019s removal never outlives the membership; one grant per activity', async () => {
    const organization = await createOrganization(server());
    const role = await createRole(server(), organization.id, { name: 'Racers' });
    const grantsUrl = rolesUrl(organization.id, `/${role.id}/memberships`);
    for (let round = 0; round < 5; round++) {
      const user = await createUserWithKey(server());
      await joinOrganization(server(), organization.id, user, 1);
      const [grant, removal] = await Promise.all([
        server().request({ method: 'POST', url: grantsUrl, auth: 'root', body: { userId: user.id } }),
        server().request({ method: 'DELETE', url: `/v1/organizations/${organization.id}/members/${user.id}`, auth: 'root' }),
      ]);
      assert.equal(removal.status, 200, JSON.stringify(removal.body));
      // Either order is fine: granted then removed with the membership, or refused as no longer a member.
      assert.ok(grant.status === 200 || (grant.status === 400 && grant.body.code === 'not_a_member'), JSON.stringify(grant.body));
    }
    const grants = await server().request({ method: 'GET', url: grantsUrl, auth: 'root' });
    assert.deepEqual(grants.body.result, [], 'no grant outlived its membership');
    const trail = await activitiesOf(server(), organization.id);
    const granted = trail.filter((a) => a.type === 'organization_member_update_roles');
    assert.ok(granted.every((a) => a.changes.roles.new === 'Racers' && a.actorType === 'support'));
  });
});
