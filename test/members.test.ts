import assert from 'node:assert/strict';
import { it } from 'node:test';
import { assertEnvelope, assertErrorEnvelope } from './contracts/clickhouse.js';
import { activitiesOf, createOrganization, createTenant, createUserWithKey as createUser, joinOrganization as join } from './helpers/fixtures.js';
import { onEachDatabase, type Auth } from './helpers/server.js';

onEachDatabase('members and invitations', (server) => {
  it('invite → accept makes a member; the invitation is used once; activities are recorded', async () => {
    const organization = await createOrganization(server());
    const ada = await createUser(server());
    const invitation = await server().request({ method: 'POST', url: `/v1/organizations/${organization.id}/invitations`, auth: 'root', body: { email: ada.email.toUpperCase(), role: 'admin' } });
    assertEnvelope(invitation.body, { result: true });
    assert.equal(invitation.body.result.email, ada.email, 'stored lowercase');
    assert.equal(invitation.body.result.role, 'admin');
    const days = (Date.parse(invitation.body.result.expireAt) - Date.parse(invitation.body.result.createdAt)) / 86_400_000;
    assert.equal(days, 7);
    const accept = await server().request({ method: 'POST', url: `/v1/invitations/${invitation.body.result.id}/accept`, auth: ada.auth });
    assert.equal(accept.status, 200, JSON.stringify(accept.body));
    assert.deepEqual([accept.body.result.userId, accept.body.result.role, accept.body.result.level], [ada.id, 'admin', 8]);
    const again = await server().request({ method: 'POST', url: `/v1/invitations/${invitation.body.result.id}/accept`, auth: ada.auth });
    assertErrorEnvelope(again.body, 409, 'invitation_used');
    const revoke = await server().request({ method: 'DELETE', url: `/v1/organizations/${organization.id}/invitations/${invitation.body.result.id}`, auth: 'root' });
    assertErrorEnvelope(revoke.body, 409, 'invitation_used');
    const kept = await server().request({ method: 'GET', url: `/v1/organizations/${organization.id}/invitations/${invitation.body.result.id}`, auth: 'root' });
    assert.equal(kept.body.result.acceptedAt, accept.body.result.joinedAt, 'a used invitation stays, as the record of the join');
    const list = await server().request({ method: 'GET', url: `/v1/organizations/${organization.id}/members`, auth: ada.auth });
    assert.deepEqual(list.body.result.map((m: any) => m.userId), [ada.id]);
    const types = (await activitiesOf(server(), organization.id)).map((a) => a.type);
    assert.ok(types.includes('organization_invite_create') && types.includes('organization_member_join'));
  });

  it("only the invited address can accept; someone else's key sees 404; org keys are refused", async () => {
    const { organization, admin } = await createTenant(server());
    const ada = await createUser(server());
    const eve = await createUser(server());
    const invitation = await server().request({ method: 'POST', url: `/v1/organizations/${organization.id}/invitations`, auth: admin.basic, body: { email: ada.email } });
    assert.equal(invitation.status, 200, JSON.stringify(invitation.body));
    const url = `/v1/invitations/${invitation.body.result.id}/accept`;
    assertErrorEnvelope((await server().request({ method: 'POST', url, auth: eve.auth })).body, 404);
    assertErrorEnvelope((await server().request({ method: 'POST', url, auth: admin.basic })).body, 403, 'personal_key_required');
    const members = await server().request({ method: 'GET', url: `/v1/organizations/${organization.id}/members`, auth: 'root' });
    assert.deepEqual(members.body.result, []);
  });

  it('expired invitations cannot be accepted, and make way for a new one', async () => {
    const organization = await createOrganization(server());
    const ada = await createUser(server());
    const first = await server().request({ method: 'POST', url: `/v1/organizations/${organization.id}/invitations`, auth: 'root', body: { email: ada.email } });
    const duplicate = await server().request({ method: 'POST', url: `/v1/organizations/${organization.id}/invitations`, auth: 'root', body: { email: ada.email } });
    assertErrorEnvelope(duplicate.body, 409, 'invitation_exists');
    server().clock.advance(7 * 86_400_000 + 1000);
    try {
      const late = await server().request({ method: 'POST', url: `/v1/invitations/${first.body.result.id}/accept`, auth: ada.auth });
      assertErrorEnvelope(late.body, 409, 'invitation_expired');
      const fresh = await server().request({ method: 'POST', url: `/v1/organizations/${organization.id}/invitations`, auth: 'root', body: { email: ada.email } });
      assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
    } finally {
      server().clock.advance(-(7 * 86_400_000 + 1000));
    }
  });

  it('two concurrent accepts make one membership', async () => {
    const organization = await createOrganization(server());
    const ada = await createUser(server());
    const invitation = await server().request({ method: 'POST', url: `/v1/organizations/${organization.id}/invitations`, auth: 'root', body: { email: ada.email } });
    const url = `/v1/invitations/${invitation.body.result.id}/accept`;
    const results = await Promise.all([1, 2, 3].map(() => server().request({ method: 'POST', url, auth: ada.auth })));
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 409, 409]);
    const members = await server().request({ method: 'GET', url: `/v1/organizations/${organization.id}/members`, auth: 'root' });
    assert.equal(members.body.result.length, 1);
  });

  it('level rules: no self-change, nobody above their own level, admins only, one owner always remains', async () => {
    const organization = await createOrganization(server());
    const owner = await createUser(server());
    const admin = await createUser(server());
    const member = await createUser(server());
    await join(server(), organization.id, owner, 15);
    await join(server(), organization.id, admin, 8, owner.auth);
    await join(server(), organization.id, member, 1, admin.auth);
    const patch = (auth: Auth, userId: string, body: object) =>
      server().request({ method: 'PATCH', url: `/v1/organizations/${organization.id}/members/${userId}`, auth, body });
    const before = (await activitiesOf(server(), organization.id)).length;
    assertErrorEnvelope((await patch(admin.auth, admin.id, { role: 'developer' })).body, 403, 'own_level');
    assertErrorEnvelope((await patch(admin.auth, member.id, { level: 15 })).body, 403, 'owner_required');
    assertErrorEnvelope((await patch(member.auth, admin.id, { role: 'developer' })).body, 403, 'admin_level_required');
    assertErrorEnvelope((await patch(admin.auth, owner.id, { role: 'developer' })).body, 403, 'target_level_too_high');
    assertErrorEnvelope((await patch('root', owner.id, { role: 'admin' })).body, 409, 'last_owner');
    assertErrorEnvelope((await patch(admin.auth, member.id, {})).body, 400);
    assert.equal((await activitiesOf(server(), organization.id)).length, before, 'refusals change nothing');
    const promoted = await patch(admin.auth, member.id, { role: 'admin' });
    assert.equal(promoted.status, 200, JSON.stringify(promoted.body));
    assert.equal(promoted.body.result.level, 8);
    const [activity] = await activitiesOf(server(), organization.id);
    assert.equal(activity.type, 'organization_member_update_role');
    assert.deepEqual(activity.targetActorIds, [member.id]);
    assert.equal(activity.actorType, 'user');
    assert.equal(activity.actorId, admin.id);
  });

  it('leaving and removing: the last owner cannot leave; admins remove those at or below them', async () => {
    const organization = await createOrganization(server());
    const owner = await createUser(server());
    const admin = await createUser(server());
    const member = await createUser(server());
    await join(server(), organization.id, owner, 15);
    await join(server(), organization.id, admin, 8);
    await join(server(), organization.id, member, 1);
    const remove = (auth: Auth, userId: string) => server().request({ method: 'DELETE', url: `/v1/organizations/${organization.id}/members/${userId}`, auth });
    assertErrorEnvelope((await remove(owner.auth, owner.id)).body, 409, 'last_owner');
    assertErrorEnvelope((await remove(member.auth, admin.id)).body, 403, 'admin_level_required');
    assertErrorEnvelope((await remove(admin.auth, owner.id)).body, 403, 'target_level_too_high');
    const left = await remove(member.auth, member.id);
    assertEnvelope(left.body, { result: false });
    assertErrorEnvelope((await server().request({ method: 'GET', url: `/v1/organizations/${organization.id}`, auth: member.auth })).body, 404);
    assert.equal((await remove(admin.auth, admin.id)).status, 200);
    const types = (await activitiesOf(server(), organization.id)).slice(0, 2).map((a) => a.type);
    assert.deepEqual(types, ['organization_member_leave', 'organization_member_leave']);
  });

  it('tenant isolation: members and invitations of another organization are 404', async () => {
    const victim = await createOrganization(server());
    const { admin } = await createTenant(server());
    const ada = await createUser(server());
    const invitation = await server().request({ method: 'POST', url: `/v1/organizations/${victim.id}/invitations`, auth: 'root', body: { email: ada.email } });
    for (const [method, url, body] of [
      ['GET', `/v1/organizations/${victim.id}/members`],
      ['GET', `/v1/organizations/${victim.id}/members/${ada.id}`],
      ['PATCH', `/v1/organizations/${victim.id}/members/${ada.id}`, { role: 'admin' }],
      ['DELETE', `/v1/organizations/${victim.id}/members/${ada.id}`],
      ['GET', `/v1/organizations/${victim.id}/invitations`],
      ['POST', `/v1/organizations/${victim.id}/invitations`, { email: 'x@example.com' }],
      ['GET', `/v1/organizations/${victim.id}/invitations/${invitation.body.result.id}`],
      ['DELETE', `/v1/organizations/${victim.id}/invitations/${invitation.body.result.id}`],
    ] as const) {
      const response = await server().request({ method, url, auth: admin.basic, ...(body && { body }) });
      assertErrorEnvelope(response.body, 404);
    }
  });

  it('concurrently, two owners demoting each other or both leaving still leave exactly one owner', async () => {
    const ownersOf = async (organizationId: string) => {
      const members = await server().request({ method: 'GET', url: `/v1/organizations/${organizationId}/members`, auth: 'root' });
      return members.body.result.filter((m: any) => m.level === 15).map((m: any) => m.userId);
    };
    for (const scenario of ['demote each other', 'both leave'] as const) {
      const organization = await createOrganization(server());
      const a = await createUser(server());
      const b = await createUser(server());
      await join(server(), organization.id, a, 15);
      await join(server(), organization.id, b, 15);
      const act = (actor: typeof a, target: typeof a) =>
        scenario === 'both leave'
          ? server().request({ method: 'DELETE', url: `/v1/organizations/${organization.id}/members/${actor.id}`, auth: actor.auth })
          : server().request({ method: 'PATCH', url: `/v1/organizations/${organization.id}/members/${target.id}`, auth: actor.auth, body: { level: 8 } });
      const results = await Promise.all([act(a, b), act(b, a)]);
      const statuses = results.map((r) => r.status).sort();
      assert.equal(statuses[0], 200, `${scenario}: ${JSON.stringify(results.map((r) => r.body))}`);
      assert.ok(statuses[1]! >= 400 && statuses[1]! < 500, `${scenario}: ${JSON.stringify(results.map((r) => r.body))}`);
      assert.equal((await ownersOf(organization.id)).length, 1, `${scenario}: exactly one owner remains`);
    }
  });
  it('root adds an existing user directly (organization_member_add); nobody else may; duplicates and unknown users are refused', async () => {
    const { organization, admin } = await createTenant(server());
    const ada = await createUser(server());
    const owner = await createUser(server());
    await join(server(), organization.id, owner, 15);
    const url = `/v1/organizations/${organization.id}/members`;
    const before = (await activitiesOf(server(), organization.id)).length;
    assertErrorEnvelope((await server().request({ method: 'POST', url, auth: admin.basic, body: { userId: ada.id } })).body, 403, 'root_required');
    assertErrorEnvelope((await server().request({ method: 'POST', url, auth: owner.auth, body: { userId: ada.id, level: 8 } })).body, 403, 'root_required');
    const unknown = await server().request({ method: 'POST', url, auth: 'root', body: { userId: '01a20373-10c7-7db3-b022-28ce4adfcd74' } });
    assertErrorEnvelope(unknown.body, 400, 'unknown_user');
    assert.equal(unknown.body.field, 'userId');
    assert.equal((await activitiesOf(server(), organization.id)).length, before, 'refusals record nothing');
    const added = await server().request({ method: 'POST', url, auth: 'root', body: { userId: ada.id, role: 'admin' } });
    assertEnvelope(added.body, { result: true });
    assert.deepEqual([added.body.result.userId, added.body.result.level, added.body.result.role], [ada.id, 8, 'admin']);
    const again = await server().request({ method: 'POST', url, auth: 'root', body: { userId: ada.id } });
    assertErrorEnvelope(again.body, 409, 'already_member');
    const trail = await activitiesOf(server(), organization.id);
    assert.equal(trail.length, before + 1);
    assert.deepEqual([trail[0].type, trail[0].changes], ['organization_member_add', { level: { old: null, new: 8 } }]);
    const members = await server().request({ method: 'GET', url, auth: ada.auth });
    assert.deepEqual(members.body.result.map((m: any) => m.userId).sort(), [ada.id, owner.id].sort());
  });
});
