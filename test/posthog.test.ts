/**
 * The PostHog-compatible surface, `/api/organizations/{organization_id}/…`: roles, role
 * memberships, members and invites in PostHog's wire format. Every success response is checked
 * against PostHog's published schemas (test/contracts/posthog.ts); error bodies are compared
 * whole; every refused change is checked to have changed nothing.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import { assertMatchesPostHog, assertPostHogErrorShape, matchesPostHog, type PostHogSchema } from './contracts/posthog.js';
import { activitiesOf, createKey, createOrganization, createUserWithKey, joinOrganization, type UserFixture } from './helpers/fixtures.js';
import { onEachDatabase, type ApiResponse, type Auth } from './helpers/server.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Requests carry this Host, so the absolute page links are predictable. */
const HOST = 'posthog.orgbase.test';
const ORIGIN = `http://${HOST}`;
const DAY = 86_400_000;

const validation = (code: string, detail: string, attr: string | null) => ({ type: 'validation_error', code, detail, attr });
const denied = (detail: string) => ({ type: 'authentication_error', code: 'permission_denied', detail, attr: null });
const NOT_FOUND = { type: 'invalid_request', code: 'not_found', detail: 'Not found.', attr: null };
const NOT_AUTHENTICATED = { type: 'authentication_error', code: 'not_authenticated', detail: 'Authentication credentials were not provided.', attr: null };
const UNKNOWN_FIELD = (attr: string) => validation('invalid_input', 'This field is not known: remove it.', attr);
const LAST_OWNER = validation('invalid_input', 'An organization must keep at least one owner: make someone else owner first.', null);

/** A URL with its query parameters sorted, to compare links whose parameter order is not a contract. */
function normalized(link: string | null): string | null {
  if (link === null) return null;
  const url = new URL(link);
  url.searchParams.sort();
  return url.toString();
}

onEachDatabase('PostHog surface', (server) => {
  const call = (method: Method, url: string, auth?: Auth, body?: unknown): Promise<ApiResponse> =>
    server().request({ method, url, headers: { host: HOST }, ...(auth !== undefined && { auth }), ...(body !== undefined && { body }) });

  /** A success: the status, and the body valid against its PostHog schema (204: no body at all). */
  function ok(response: ApiResponse, status: 200 | 201 | 204, schema?: PostHogSchema): any {
    assert.equal(response.status, status, `${response.raw.statusCode}: ${response.raw.body}`);
    if (status === 204) {
      assert.equal(response.raw.body, '', 'a 204 has no body');
      return undefined;
    }
    assert.ok(schema, 'every success body is checked against a schema');
    assertMatchesPostHog(schema, response.body);
    return response.body;
  }

  /** A refusal: the status and the whole error body. */
  function refused(response: ApiResponse, status: number, body: object): void {
    assert.equal(response.status, status, JSON.stringify(response.body));
    assertPostHogErrorShape(response.body);
    assert.deepEqual(response.body, body);
  }

  const orgUrl = (organizationId: string) => (rest = '') => `/api/organizations/${organizationId}/${rest}`;

  /** An organization with an owner (a user with a `*` personal key). */
  async function team() {
    const organization = await createOrganization(server());
    const owner = await createUserWithKey(server());
    await joinOrganization(server(), organization.id, owner, 15);
    return { organization, owner, url: orgUrl(organization.id) };
  }

  async function memberOf(organizationId: string, level: 1 | 8 | 15, scopes: string[] = ['*']): Promise<UserFixture> {
    const user = await createUserWithKey(server(), scopes);
    await joinOrganization(server(), organizationId, user, level);
    return user;
  }

  /** A personal key for an existing user, optionally limited to some organizations. */
  async function personalKey(userId: string, body: Record<string, unknown>): Promise<Auth> {
    const response = await server().request({ method: 'POST', url: `/v1/users/${userId}/keys`, auth: 'root', body: { name: 'extra', scopes: ['*'], ...body } });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return { bearer: response.body.result.keySecret };
  }

  async function list(url: string, schema: PostHogSchema, auth: Auth = 'root'): Promise<any[]> {
    const page = ok(await call('GET', `${url}?limit=1000`, auth), 200, schema);
    assert.equal(page.count, page.results.length);
    return page.results;
  }
  const membersOf = (organizationId: string) => list(orgUrl(organizationId)('members/'), 'PaginatedOrganizationMemberList');
  const rolesOf = (organizationId: string) => list(orgUrl(organizationId)('roles/'), 'PaginatedRoleList');
  const invitesOf = (organizationId: string) => list(orgUrl(organizationId)('invites/'), 'PaginatedOrganizationInviteList');
  /** The member's UserBasic, as the members list shows it. */
  async function userBasic(organizationId: string, userId: string) {
    const member = (await membersOf(organizationId)).find((m) => m.user.uuid === userId);
    assert.ok(member, `${userId} is a member`);
    return member.user;
  }

  /** Everything a refused request could have changed: roles (with grants), members, invites, activities. */
  async function snapshot(organizationId: string) {
    return {
      roles: await rolesOf(organizationId),
      members: await membersOf(organizationId),
      invites: await invitesOf(organizationId),
      activities: (await activitiesOf(server(), organizationId)).length,
    };
  }
  async function unchanged(organizationIds: string[], attempts: () => Promise<void>): Promise<void> {
    const before = await Promise.all(organizationIds.map(snapshot));
    await attempts();
    assert.deepEqual(await Promise.all(organizationIds.map(snapshot)), before, 'refused requests change nothing');
  }

  // ---- contract ----

  it('every success response of every route matches PostHog’s schemas', async () => {
    const { organization, owner, url } = await team();
    const member = await memberOf(organization.id, 1);
    const as = owner.auth;

    ok(await call('POST', url('roles/'), 'root', { name: 'Made by root' }), 201, 'Role');
    const role = ok(await call('POST', url('roles/'), as, { name: 'Contract', permissions: ['organization:read'] }), 201, 'Role');
    ok(await call('GET', url(`roles/${role.id}/`), as), 200, 'Role');
    ok(await call('PUT', url(`roles/${role.id}/`), as, { name: 'Contract 2' }), 200, 'Role');
    ok(await call('PATCH', url(`roles/${role.id}/`), as, { permissions: [] }), 200, 'Role');
    const grant = ok(await call('POST', url(`roles/${role.id}/role_memberships/`), as, { user_uuid: member.id }), 201, 'RoleMembership');
    const grants = ok(await call('GET', url(`roles/${role.id}/role_memberships/`), as), 200, 'PaginatedRoleMembershipList');
    assert.equal(grants.results.length, 1);
    ok(await call('GET', url(`roles/${role.id}/role_memberships/${grant.id}/`), as), 200, 'RoleMembership');
    const withMembers = ok(await call('GET', url(`roles/${role.id}/`), as), 200, 'Role');
    assert.equal(withMembers.members.length, 1, 'the members of a role are checked as RoleMembership objects');
    const roles = ok(await call('GET', url('roles/'), as), 200, 'PaginatedRoleList');
    assert.deepEqual(roles.results.map((r: any) => r.created_by === null), [true, false], 'made by root: no creator');
    ok(await call('DELETE', url(`roles/${role.id}/role_memberships/${grant.id}/`), as), 204);
    ok(await call('DELETE', url(`roles/${role.id}/`), as), 204);

    for (const query of ['', '?order=joined_at', '?order=-joined_at&limit=1&offset=1']) {
      const page = ok(await call('GET', url(`members/${query}`), as), 200, 'PaginatedOrganizationMemberList');
      assert.ok(page.results.length > 0);
    }
    ok(await call('PUT', url(`members/${member.id}/`), as, { level: 8 }), 200, 'OrganizationMember');
    ok(await call('PATCH', url(`members/${member.id}/`), as, { level: 1 }), 200, 'OrganizationMember');
    ok(await call('DELETE', url(`members/${member.id}/`), as), 204);

    ok(await call('POST', url('invites/'), 'root', { target_email: 'by-root@example.com' }), 201, 'OrganizationInvite');
    const invite = ok(await call('POST', url('invites/'), as, { target_email: 'contract@example.com', send_email: true, combine_pending_invites: false }), 201, 'OrganizationInvite');
    const invites = ok(await call('GET', url('invites/'), as), 200, 'PaginatedOrganizationInviteList');
    assert.equal(invites.results.length, 2);
    ok(await call('DELETE', url(`invites/${invite.id}/`), as), 204);
  });

  it('the contract check itself catches missing, extra, write-only and mistyped fields', async () => {
    const { owner, url } = await team();
    const role = ok(await call('POST', url('roles/'), owner.auth, { name: 'Probe' }), 201, 'Role');
    const grant = ok(await call('POST', url(`roles/${role.id}/role_memberships/`), owner.auth, { user_uuid: owner.id }), 201, 'RoleMembership');
    const page = ok(await call('GET', url('members/'), owner.auth), 200, 'PaginatedOrganizationMemberList');
    const member = page.results[0];
    const without = (value: any, field: string) => Object.fromEntries(Object.entries(value).filter(([name]) => name !== field));

    assert.equal(matchesPostHog('Role', without(role, 'is_default')), false, 'missing field');
    assert.equal(matchesPostHog('Role', { ...role, feature_flags_access_level: 37 }), false, 'extra field');
    assert.equal(matchesPostHog('Role', { ...role, members: [{}] }), false, 'members are RoleMembership objects');
    assert.equal(matchesPostHog('Role', { ...role, permissions: ['everything'] }), false, 'permissions are known ones');
    assert.equal(matchesPostHog('Role', without(role, 'permissions')), false, 'the extension is always there');
    assert.equal(matchesPostHog('Role', { ...role, created_by: null }), true, 'no creating user');
    assert.equal(matchesPostHog('RoleMembership', { ...grant, user_uuid: owner.id }), false, 'write-only field in a response');
    assert.equal(matchesPostHog('RoleMembership', without(grant, 'organization_member')), false);
    assert.equal(matchesPostHog('OrganizationMember', { ...member, last_login: null }), true, 'never logged in');
    assert.equal(matchesPostHog('OrganizationMember', { ...member, last_login: 5 }), false);
    assert.equal(matchesPostHog('OrganizationMember', { ...member, level: 2 }), false, 'levels are 1, 8, 15');
    assert.equal(matchesPostHog('OrganizationMember', { ...member, user: { ...member.user, id: member.user.uuid } }), false, 'UserBasic.id is an integer');
    assert.equal(matchesPostHog('OrganizationMember', { ...member, user: { ...member.user, role_at_organization: 'astronaut' } }), false);
    assert.equal(matchesPostHog('PaginatedOrganizationMemberList', without(page, 'previous')), false, 'pages have all four fields');
    assert.equal(matchesPostHog('PaginatedOrganizationMemberList', { ...page, next: 'not a uri' }), false);
    assert.equal(matchesPostHog('OrganizationInvite', {}), false);
  });

  // ---- errors ----

  it('roles and role memberships: golden validation errors, 404s, and nothing changes', async () => {
    const { organization, owner, url } = await team();
    const member = await memberOf(organization.id, 1);
    const stranger = await createUserWithKey(server());
    const as = owner.auth;
    const billing = ok(await call('POST', url('roles/'), as, { name: 'Billing' }), 201, 'Role');
    const support = ok(await call('POST', url('roles/'), as, { name: 'Support' }), 201, 'Role');
    const grant = ok(await call('POST', url(`roles/${billing.id}/role_memberships/`), as, { user_uuid: member.id }), 201, 'RoleMembership');
    const grants = url(`roles/${billing.id}/role_memberships/`);
    const duplicateName = validation('unique', 'There is already a role with this name.', 'name');

    await unchanged([organization.id], async () => {
      refused(await call('POST', url('roles/'), as, { name: 'BILLING' }), 400, duplicateName);
      refused(await call('PATCH', url(`roles/${support.id}/`), as, { name: 'billing' }), 400, duplicateName);
      refused(await call('PUT', url(`roles/${support.id}/`), as, { name: 'Billing' }), 400, duplicateName);

      refused(await call('POST', url(`roles/${randomUUID()}/role_memberships/`), as, { user_uuid: member.id }), 400, validation('invalid_input', 'Role does not exist.', null));
      refused(await call('POST', grants, as, { user_uuid: stranger.id }), 400, validation('invalid_input', 'User does not exist.', null));
      refused(await call('POST', grants, as, { user_uuid: randomUUID() }), 400, validation('invalid_input', 'User does not exist.', null));
      refused(await call('POST', grants, as, { user_uuid: member.id }), 400, validation('invalid_input', 'User is already part of the role.', null));
      refused(await call('POST', grants, as, {}), 400, validation('required', 'This field is required.', 'user_uuid'));
      refused(await call('POST', grants, as, { user_uuid: 'not-a-uuid' }), 400, validation('invalid_input', 'Must be a valid UUID.', 'user_uuid'));
      // ajv-formats would take a urn:uuid: prefix, which PostgreSQL's uuid type refuses (a 500).
      refused(await call('POST', grants, as, { user_uuid: `urn:uuid:${member.id}` }), 400, validation('invalid_input', 'Must be a valid UUID.', 'user_uuid'));
      refused(await call('POST', grants, as, { user_uuid: member.id, role: 'x' }), 400, UNKNOWN_FIELD('role'));

      refused(await call('POST', url('roles/'), as, {}), 400, validation('required', 'This field is required.', 'name'));
      refused(await call('POST', url('roles/'), as, { name: '' }), 400, validation('blank', 'This field may not be blank.', 'name'));
      refused(await call('POST', url('roles/'), as, { name: 7 }), 400, validation('invalid_input', 'Not a valid string.', 'name'));
      refused(await call('POST', url('roles/'), as, { name: 'Colourful', colour: 'red' }), 400, UNKNOWN_FIELD('colour'));
      refused(await call('POST', url('roles/'), as, { name: 'Q', permissions: ['everything'] }), 400, validation('invalid_choice', '"everything" is not a valid choice.', 'permissions__0'));
      refused(await call('PUT', url(`roles/${support.id}/`), as, { permissions: [] }), 400, validation('required', 'This field is required.', 'name'));
      refused(await call('PATCH', url(`roles/${support.id}/`), as, { name: 'X', feature_flags_access_level: 37 }), 400, UNKNOWN_FIELD('feature_flags_access_level'));
      refused(await call('GET', url('roles/not-a-uuid/'), as), 400, validation('invalid_input', 'Must be a valid UUID.', 'id'));
      refused(await call('DELETE', url('roles/not-a-uuid/'), as), 400, validation('invalid_input', 'Must be a valid UUID.', 'id'));
      refused(await call('GET', url(`roles/${billing.id}/role_memberships/nope/`), as), 400, validation('invalid_input', 'Must be a valid UUID.', 'id'));

      refused(await call('GET', url(`roles/${randomUUID()}/`), as), 404, NOT_FOUND);
      refused(await call('PATCH', url(`roles/${randomUUID()}/`), as, { name: 'Ghost' }), 404, NOT_FOUND);
      refused(await call('PUT', url(`roles/${randomUUID()}/`), as, { name: 'Ghost' }), 404, NOT_FOUND);
      refused(await call('DELETE', url(`roles/${randomUUID()}/`), as), 404, NOT_FOUND);
      refused(await call('GET', url(`roles/${randomUUID()}/role_memberships/`), as), 404, NOT_FOUND);
      refused(await call('GET', `${grants}${randomUUID()}/`, as), 404, NOT_FOUND);
      refused(await call('DELETE', `${grants}${randomUUID()}/`, as), 404, NOT_FOUND);
      refused(await call('GET', url(`roles/${support.id}/role_memberships/${grant.id}/`), as), 404, NOT_FOUND);
      refused(await call('DELETE', url(`roles/${support.id}/role_memberships/${grant.id}/`), as), 404, NOT_FOUND);
      refused(await call('GET', url('proxy_records/'), as), 404, NOT_FOUND);
      const badOrganization = await call('GET', '/api/organizations/not-an-id/roles/', as);
      assert.equal(badOrganization.status, 400);
      assertPostHogErrorShape(badOrganization.body);
      assert.deepEqual([badOrganization.body.type, badOrganization.body.attr], ['validation_error', 'organization_id']);
    });
  });

  it('authentication and authorization: golden 401 and 403 bodies; other organizations are 404; nothing changes', async () => {
    const { organization, owner, url } = await team();
    const role = ok(await call('POST', url('roles/'), owner.auth, { name: 'Guarded' }), 201, 'Role');
    const member = await memberOf(organization.id, 1);
    // An owner whose key may only read.
    const readerUser = await memberOf(organization.id, 15);
    const reader = { auth: await personalKey(readerUser.id, { scopes: ['organization:read', 'organization_member:read'] }) };
    const invite = ok(await call('POST', url('invites/'), owner.auth, { target_email: 'guarded@example.com' }), 201, 'OrganizationInvite');
    // A user in both organizations whose key is limited to the other one.
    const other = await createOrganization(server());
    const limitedUser = await memberOf(organization.id, 15);
    await joinOrganization(server(), other.id, limitedUser, 15);
    const limited = await personalKey(limitedUser.id, { organizationIds: [other.id] });
    // A user of the other organization only, and the other organization's admin key.
    const outsider = await memberOf(other.id, 15);
    const otherKey = await createKey(server(), other.id, { roles: ['admin'] });
    const developerKey = await createKey(server(), organization.id, { roles: ['developer'] });

    const writes: [Method, string, unknown?][] = [
      ['POST', url('roles/'), { name: 'New' }],
      ['PATCH', url(`roles/${role.id}/`), { name: 'Renamed' }],
      ['PUT', url(`roles/${role.id}/`), { name: 'Renamed' }],
      ['DELETE', url(`roles/${role.id}/`)],
      ['POST', url(`roles/${role.id}/role_memberships/`), { user_uuid: member.id }],
    ];
    const memberWrites: [Method, string, unknown?][] = [
      ['PATCH', url(`members/${member.id}/`), { level: 8 }],
      ['PUT', url(`members/${member.id}/`), { level: 8 }],
      ['DELETE', url(`members/${member.id}/`)],
      ['POST', url('invites/'), { target_email: 'new@example.com' }],
      ['DELETE', url(`invites/${invite.id}/`)],
    ];
    const reads = [url('roles/'), url(`roles/${role.id}/`), url(`roles/${role.id}/role_memberships/`), url('members/'), url('invites/')];

    await unchanged([organization.id, other.id], async () => {
      for (const [method, path, body] of [...writes, ...memberWrites, ...reads.map((path) => ['GET', path] as [Method, string])]) {
        const anonymous = await call(method, path, undefined, body);
        refused(anonymous, 401, NOT_AUTHENTICATED);
        assert.match(String(anonymous.headers['www-authenticate']), /^Bearer/);
        const bad = await call(method, path, { bearer: 'phx_not_a_key' }, body);
        assert.equal(bad.status, 401);
        assertPostHogErrorShape(bad.body);
        assert.deepEqual([bad.body.type, bad.body.code, bad.body.attr], ['authentication_error', 'authentication_failed', null]);

        refused(await call(method, path, limited, body), 403, denied(`API key does not have access to the requested organization: ID ${organization.id}.`));
        refused(await call(method, path, outsider.auth, body), 404, NOT_FOUND);
        refused(await call(method, path, otherKey.basic, body), 404, NOT_FOUND);
      }
      for (const [method, path, body] of writes) {
        refused(await call(method, path, reader.auth, body), 403, denied("API key missing required scope 'organization:write'"));
        refused(await call(method, path, member.auth, body), 403, denied('Your organization access level is insufficient.'));
        refused(await call(method, path, developerKey.basic, body), 403, denied('This action requires an API key with the admin role.'));
      }
      for (const [method, path, body] of memberWrites) {
        refused(await call(method, path, reader.auth, body), 403, denied("API key missing required scope 'organization_member:write'"));
      }
      // A member may read everything; a read scope suffices for reads.
      for (const path of reads) {
        for (const auth of [member.auth, reader.auth, developerKey.basic]) assert.equal((await call('GET', path, auth)).status, 200, path);
      }
      refused(await call('POST', url('invites/'), member.auth, { target_email: 'x@example.com' }), 403, denied('Your organization access level is insufficient.'));
      refused(await call('GET', '/api/nothing/here/', owner.auth), 404, NOT_FOUND);
      refused(await call('GET', '/api/nothing/here/'), 404, NOT_FOUND);
    });
  });

  it("members: PostHog's level rules, word for word; the last owner stays; bad input names the field; nothing changes", async () => {
    const { organization, owner, url } = await team();
    const admin = await memberOf(organization.id, 8);
    const member = await memberOf(organization.id, 1);
    const peer = await memberOf(organization.id, 1);
    const stranger = await createUserWithKey(server());
    const patch = (auth: Auth, userId: string, body: unknown) => call('PATCH', url(`members/${userId}/`), auth, body);

    await unchanged([organization.id], async () => {
      refused(await patch(admin.auth, admin.id, { level: 1 }), 403, denied("You can't change your own access level."));
      refused(await patch(owner.auth, owner.id, { level: 8 }), 403, denied("You can't change your own access level."));
      refused(await patch(admin.auth, member.id, { level: 15 }), 403, denied("You can only make another member owner if you're this organization's owner."));
      refused(await patch(member.auth, peer.id, { level: 8 }), 403, denied('You can only change access level of others to lower or equal to your current one.'));
      refused(await patch(member.auth, peer.id, { level: 1 }), 403, denied('You can only edit others if you are an admin.'));
      refused(await patch(admin.auth, owner.id, { level: 8 }), 403, denied('You can only edit others with level lower or equal to you.'));
      refused(await call('PUT', url(`members/${owner.id}/`), admin.auth, { level: 1 }), 403, denied('You can only edit others with level lower or equal to you.'));
      refused(await call('DELETE', url(`members/${admin.id}/`), member.auth), 403, denied('You can only remove others if you are an admin.'));
      refused(await call('DELETE', url(`members/${owner.id}/`), admin.auth), 403, denied('You can only remove others with level lower or equal to you.'));

      refused(await call('DELETE', url(`members/${owner.id}/`), owner.auth), 400, LAST_OWNER);
      refused(await patch('root', owner.id, { level: 8 }), 400, LAST_OWNER);
      refused(await call('DELETE', url(`members/${owner.id}/`), 'root'), 400, LAST_OWNER);

      refused(await patch(owner.auth, member.id, { level: 5 }), 400, validation('invalid_choice', '"5" is not a valid choice.', 'level'));
      refused(await patch(owner.auth, member.id, { level: '8' }), 400, validation('invalid_choice', '"8" is not a valid choice.', 'level'));
      refused(await patch(owner.auth, member.id, {}), 400, validation('required', 'This field is required.', 'level'));
      refused(await patch(owner.auth, member.id, { level: 8, role: 'admin' }), 400, UNKNOWN_FIELD('role'));
      refused(await patch(owner.auth, 'not-a-uuid', { level: 8 }), 400, validation('invalid_input', 'Must be a valid UUID.', 'user__uuid'));
      refused(await call('DELETE', url('members/not-a-uuid/'), owner.auth), 400, validation('invalid_input', 'Must be a valid UUID.', 'user__uuid'));
      refused(await patch(owner.auth, stranger.id, { level: 8 }), 404, NOT_FOUND);
      refused(await patch(owner.auth, randomUUID(), { level: 8 }), 404, NOT_FOUND);
      refused(await call('DELETE', url(`members/${stranger.id}/`), owner.auth), 404, NOT_FOUND);
      refused(await call('GET', url('members/?order=newest'), owner.auth), 400, validation('invalid_choice', '"newest" is not a valid choice.', 'order'));
    });
  });

  it('invites: golden validation errors; nothing changes', async () => {
    const { organization, owner, url } = await team();
    const admin = await memberOf(organization.id, 8);
    const member = await memberOf(organization.id, 1);
    const pending = ok(await call('POST', url('invites/'), owner.auth, { target_email: 'pending@example.com' }), 201, 'OrganizationInvite');
    const invite = (auth: Auth, body: unknown) => call('POST', url('invites/'), auth, body);

    await unchanged([organization.id], async () => {
      refused(await invite(owner.auth, { target_email: member.email.toUpperCase() }), 400, validation('invalid_input', 'A user with this email address already belongs to the organization.', 'target_email'));
      const duplicate = await invite(owner.auth, { target_email: 'PENDING@example.com' });
      assert.equal(duplicate.status, 400, JSON.stringify(duplicate.body));
      assertPostHogErrorShape(duplicate.body);
      assert.deepEqual([duplicate.body.type, duplicate.body.code, duplicate.body.attr], ['validation_error', 'invalid_input', 'target_email']);
      refused(await invite(owner.auth, {}), 400, validation('required', 'This field is required.', 'target_email'));
      refused(await invite(owner.auth, { target_email: 'not an email' }), 400, validation('invalid_input', 'Enter a valid email address.', 'target_email'));
      refused(await invite(owner.auth, { target_email: 'a@example.com', level: 3 }), 400, validation('invalid_choice', '"3" is not a valid choice.', 'level'));
      refused(await invite(owner.auth, { target_email: 'a@example.com', first_name: 'x'.repeat(31) }), 400, validation('max_length', 'Ensure this field has no more than 30 characters.', 'first_name'));
      refused(await invite(owner.auth, { target_email: 'a@example.com', is_admin: true }), 400, UNKNOWN_FIELD('is_admin'));
      refused(await invite(owner.auth, { target_email: 'a@example.com', send_email: 'yes' }), 400, validation('invalid_input', 'Must be a valid boolean.', 'send_email'));
      refused(await invite(admin.auth, { target_email: 'a@example.com', level: 15 }), 403, denied("You can only invite an owner if you're this organization's owner."));
      refused(await call('DELETE', url(`invites/${randomUUID()}/`), owner.auth), 404, NOT_FOUND);
      refused(await call('DELETE', url('invites/nope/'), owner.auth), 400, validation('invalid_input', 'Must be a valid UUID.', 'id'));
      refused(await call('DELETE', url(`invites/${pending.id}/`), member.auth), 403, denied('Your organization access level is insufficient.'));
    });
  });

  // ---- pagination ----

  it('limit/offset pages: constant count, exact absolute links, every item exactly once, ordering, bad limits', async () => {
    const { organization, owner, url } = await team();
    const s = server();
    const joined = [owner.id];
    for (let i = 0; i < 6; i++) {
      s.clock.advance(1000); // distinct join times: the order is by joined_at
      joined.push((await memberOf(organization.id, 1)).id);
    }
    const roleIds: string[] = [];
    for (let i = 0; i < 7; i++) roleIds.push(ok(await call('POST', url('roles/'), owner.auth, { name: `Role ${i}` }), 201, 'Role').id);
    const grantIds: string[] = [];
    for (const userId of joined) {
      grantIds.push(ok(await call('POST', url(`roles/${roleIds[0]}/role_memberships/`), owner.auth, { user_uuid: userId }), 201, 'RoleMembership').id);
    }
    const inviteIds: string[] = [];
    for (let i = 0; i < 7; i++) {
      inviteIds.push(ok(await call('POST', url('invites/'), owner.auth, { target_email: `page${i}@example.com` }), 201, 'OrganizationInvite').id);
    }

    /** Walks offsets 0, 3, 6 with limit 3 (query params given in DRF's sorted order) and returns the items in page order. */
    async function walk(path: string, schema: PostHogSchema, extra = ''): Promise<any[]> {
      const items: any[] = [];
      for (const offset of [0, 3, 6]) {
        const page = ok(await call('GET', `${url(path)}?limit=3&offset=${offset}${extra}`, owner.auth), 200, schema);
        assert.equal(page.count, 7, `${path} offset ${offset}`);
        assert.equal(page.results.length, offset === 6 ? 1 : 3);
        assert.equal(page.next, offset === 6 ? null : `${ORIGIN}${url(path)}?limit=3&offset=${offset + 3}${extra}`);
        const previous = { 0: null, 3: `${ORIGIN}${url(path)}?limit=3${extra}`, 6: `${ORIGIN}${url(path)}?limit=3&offset=3${extra}` }[offset];
        assert.equal(page.previous, previous, `${path} offset ${offset}`);
        items.push(...page.results);
      }
      const past = ok(await call('GET', `${url(path)}?limit=3&offset=10${extra}`, owner.auth), 200, schema);
      assert.deepEqual(past, { count: 7, next: null, previous: `${ORIGIN}${url(path)}?limit=3&offset=7${extra}`, results: [] });
      const whole = ok(await call('GET', `${url(path)}${extra.replace(/^&/, '?')}`, owner.auth), 200, schema);
      assert.deepEqual([whole.count, whole.next, whole.previous], [7, null, null], 'default page size 100: one page');
      assert.deepEqual(items, whole.results, 'the pages, in order, are the whole list');
      return items;
    }

    const idsOf = (items: any[], key = (item: any) => item.id) => items.map(key);
    const sameSet = (a: string[], b: string[]) => assert.deepEqual([...a].sort(), [...b].sort());
    const newestFirst = idsOf(await walk('members/', 'PaginatedOrganizationMemberList'), (m) => m.user.uuid);
    assert.deepEqual(newestFirst, [...joined].reverse(), 'members: newest first by default');
    const oldestFirst = idsOf(await walk('members/', 'PaginatedOrganizationMemberList', '&order=joined_at'), (m) => m.user.uuid);
    assert.deepEqual(oldestFirst, joined, 'order=joined_at: oldest first');
    assert.deepEqual(idsOf(await walk('members/', 'PaginatedOrganizationMemberList', '&order=-joined_at'), (m) => m.user.uuid), newestFirst);
    sameSet(idsOf(await walk('roles/', 'PaginatedRoleList')), roleIds);
    sameSet(idsOf(await walk(`roles/${roleIds[0]}/role_memberships/`, 'PaginatedRoleMembershipList')), grantIds);
    sameSet(idsOf(await walk('invites/', 'PaginatedOrganizationInviteList')), inviteIds);

    // Other parameters stay in the links, whatever order the request gave them in.
    const unsorted = ok(await call('GET', `${url('members/')}?order=joined_at&limit=3`, owner.auth), 200, 'PaginatedOrganizationMemberList');
    assert.equal(normalized(unsorted.next), normalized(`${ORIGIN}${url('members/')}?limit=3&offset=3&order=joined_at`));
    const noSlash = ok(await call('GET', `/api/organizations/${organization.id}/members?limit=2&offset=2`, owner.auth), 200, 'PaginatedOrganizationMemberList');
    assert.equal(noSlash.previous, `${ORIGIN}/api/organizations/${organization.id}/members?limit=2`);
    assert.equal(noSlash.next, `${ORIGIN}/api/organizations/${organization.id}/members?limit=2&offset=4`);
    const max = ok(await call('GET', `${url('roles/')}?limit=1000`, owner.auth), 200, 'PaginatedRoleList');
    assert.equal(max.results.length, 7);

    for (const path of ['members/', 'roles/', 'invites/', `roles/${roleIds[0]}/role_memberships/`]) {
      const bad = (query: string) => call('GET', `${url(path)}?${query}`, owner.auth);
      refused(await bad('limit=0'), 400, validation('min_value', 'Ensure this value is greater than or equal to 1.', 'limit'));
      refused(await bad('limit=1001'), 400, validation('max_value', 'Ensure this value is less than or equal to 1000.', 'limit'));
      refused(await bad('limit=x'), 400, validation('invalid_input', 'A valid integer is required.', 'limit'));
      refused(await bad('limit=2.5'), 400, validation('invalid_input', 'A valid integer is required.', 'limit'));
      refused(await bad('offset=-1'), 400, validation('min_value', 'Ensure this value is greater than or equal to 0.', 'offset'));
      refused(await bad('offset=x'), 400, validation('invalid_input', 'A valid integer is required.', 'offset'));
      refused(await bad('offset=99999999999999999999'), 400, validation('max_value', 'Ensure this value is less than or equal to 2147483647.', 'offset'));
      refused(await bad('page=2'), 400, UNKNOWN_FIELD('page'));
    }
  });

  // ---- @current and trailing slashes ----

  it('@current is the credential’s one organization; ambiguous credentials get a 400 naming organization_id', async () => {
    const { organization, owner } = await team();
    const current = orgUrl('@current');
    const orgKey = await createKey(server(), organization.id, { roles: ['admin'] });

    // An organization key.
    const made = ok(await call('POST', current('roles/'), orgKey.basic, { name: 'Via current' }), 201, 'Role');
    assert.deepEqual((await rolesOf(organization.id)).map((r) => r.id), [made.id], 'created in the key’s organization');
    assert.deepEqual(ok(await call('GET', current('roles/'), orgKey.basic), 200, 'PaginatedRoleList').results.map((r: any) => r.id), [made.id]);
    ok(await call('GET', current(`roles/${made.id}/`), orgKey.basic), 200, 'Role');

    // A personal key of a user in exactly one organization.
    const members = ok(await call('GET', current('members/'), owner.auth), 200, 'PaginatedOrganizationMemberList');
    assert.deepEqual(members.results.map((m: any) => m.user.uuid), [owner.id]);
    ok(await call('POST', current('invites/'), owner.auth, { target_email: 'current@example.com' }), 201, 'OrganizationInvite');
    assert.deepEqual((await invitesOf(organization.id)).map((i) => i.target_email), ['current@example.com']);

    // A user in two organizations: ambiguous, unless the key is limited to one.
    const other = await team();
    const both = await memberOf(organization.id, 1);
    await joinOrganization(server(), other.organization.id, both, 1);
    const toOther = await personalKey(both.id, { organizationIds: [other.organization.id] });
    const otherMembers = ok(await call('GET', current('members/'), toOther), 200, 'PaginatedOrganizationMemberList');
    assert.deepEqual(otherMembers.results.map((m: any) => m.user.uuid).sort(), [other.owner.id, both.id].sort());
    const lonely = await createUserWithKey(server());

    await unchanged([organization.id, other.organization.id], async () => {
      for (const [auth, why] of [['root', 'root'], [both.auth, 'two organizations'], [lonely.auth, 'no organization']] as [Auth, string][]) {
        for (const [method, path, body] of [['GET', 'roles/'], ['GET', 'members/'], ['POST', 'invites/', { target_email: 'amb@example.com' }]] as [Method, string, unknown?][]) {
          const response = await call(method, current(path), auth, body);
          assert.equal(response.status, 400, `${why}: ${JSON.stringify(response.body)}`);
          assertPostHogErrorShape(response.body);
          assert.deepEqual([response.body.type, response.body.code, response.body.attr], ['validation_error', 'invalid_input', 'organization_id'], why);
          assert.match(response.body.detail, /@current/);
        }
      }
      const typo = await call('GET', orgUrl('@mine')('roles/'), owner.auth);
      assert.equal(typo.status, 400);
      assert.deepEqual([typo.body.type, typo.body.attr], ['validation_error', 'organization_id']);
    });
  });

  it('every route answers with and without the trailing slash', async () => {
    const { organization, owner, url } = await team();
    const member = await memberOf(organization.id, 8);
    const as = owner.auth;
    const base = `/api/organizations/${organization.id}`;
    const role = ok(await call('POST', `${base}/roles`, as, { name: 'No slash' }), 201, 'Role');
    ok(await call('POST', url('roles/'), as, { name: 'Slash' }), 201, 'Role');
    ok(await call('PUT', `${base}/roles/${role.id}`, as, { name: 'No slash 2' }), 200, 'Role');
    ok(await call('PATCH', `${base}/roles/${role.id}`, as, { permissions: ['organization:read'] }), 200, 'Role');
    const grant = ok(await call('POST', `${base}/roles/${role.id}/role_memberships`, as, { user_uuid: member.id }), 201, 'RoleMembership');
    ok(await call('PATCH', `${base}/members/${member.id}`, as, { level: 1 }), 200, 'OrganizationMember');
    ok(await call('PUT', `${base}/members/${member.id}`, as, { level: 8 }), 200, 'OrganizationMember');
    const invite = ok(await call('POST', `${base}/invites`, as, { target_email: 'slash@example.com' }), 201, 'OrganizationInvite');

    const pairs: [string, PostHogSchema][] = [
      ['roles', 'PaginatedRoleList'],
      [`roles/${role.id}`, 'Role'],
      [`roles/${role.id}/role_memberships`, 'PaginatedRoleMembershipList'],
      [`roles/${role.id}/role_memberships/${grant.id}`, 'RoleMembership'],
      ['members', 'PaginatedOrganizationMemberList'],
      ['invites', 'PaginatedOrganizationInviteList'],
    ];
    for (const [path, schema] of pairs) {
      const without = ok(await call('GET', `${base}/${path}`, as), 200, schema);
      const withSlash = ok(await call('GET', `${base}/${path}/`, as), 200, schema);
      const strip = (body: any) => ('results' in body ? body.results : body);
      assert.deepEqual(strip(without), strip(withSlash), path);
    }
    ok(await call('DELETE', `${base}/invites/${invite.id}`, as), 204);
    ok(await call('DELETE', `${base}/roles/${role.id}/role_memberships/${grant.id}`, as), 204);
    ok(await call('DELETE', `${base}/members/${member.id}`, as), 204);
    ok(await call('DELETE', `${base}/roles/${role.id}`, as), 204);
    refused(await call('GET', `${base}/roles/${role.id}`, as), 404, NOT_FOUND);
    assert.deepEqual((await rolesOf(organization.id)).map((r) => r.name), ['Slash']);
    assert.deepEqual((await invitesOf(organization.id)).length, 0);
  });

  // ---- behaviour ----

  it('roles: create, PUT, PATCH (read-only fields ignored), grants with their member and user, delete with its grants', async () => {
    const { organization, owner, url } = await team();
    const member = await memberOf(organization.id, 1);
    const as = owner.auth;
    const ownerBasic = await userBasic(organization.id, owner.id);
    const memberBasic = await userBasic(organization.id, member.id);
    assert.ok(Number.isInteger(ownerBasic.id) && Number.isInteger(memberBasic.id) && ownerBasic.id !== memberBasic.id);
    assert.deepEqual([ownerBasic.uuid, ownerBasic.email], [owner.id, owner.email]);

    const before = server().clock.now().getTime();
    const role = ok(await call('POST', url('roles/'), as, { name: 'Billing', permissions: ['organization:write'] }), 201, 'Role');
    assert.deepEqual(
      { ...role, id: undefined, created_at: undefined },
      { id: undefined, created_at: undefined, name: 'Billing', created_by: ownerBasic, members: [], is_default: false, permissions: ['organization:write'] },
    );
    assert.ok(Math.abs(Date.parse(role.created_at) - before) < 10_000, 'created now, by the server clock');
    assert.deepEqual(ok(await call('GET', url(`roles/${role.id}/`), as), 200, 'Role'), role);

    // PUT with the whole object echoed back: read-only fields are ignored.
    const echoed = { ...role, name: 'Finance', id: randomUUID(), created_at: '2000-01-01T00:00:00Z', created_by: null, members: [{ bogus: true }], is_default: true };
    const put = ok(await call('PUT', url(`roles/${role.id}/`), as, echoed), 200, 'Role');
    assert.deepEqual(put, { ...role, name: 'Finance' });
    const patched = ok(await call('PATCH', url(`roles/${role.id}/`), as, { permissions: [], id: randomUUID(), is_default: true }), 200, 'Role');
    assert.deepEqual(patched, { ...role, name: 'Finance', permissions: [] });
    const activities = (await activitiesOf(server(), organization.id)).length;
    assert.deepEqual(ok(await call('PATCH', url(`roles/${role.id}/`), as, {}), 200, 'Role'), patched, 'an empty PATCH changes nothing');
    assert.deepEqual(ok(await call('PUT', url(`roles/${role.id}/`), as, { name: 'Finance' }), 200, 'Role'), patched, 'PUT keeps unsent permissions');
    assert.equal((await activitiesOf(server(), organization.id)).length, activities, 'no-op writes record nothing');
    ok(await call('PATCH', url(`roles/${role.id}/`), as, { name: 'finance' }), 200, 'Role'); // a role may change its own name's case

    // Grants.
    const grant = ok(await call('POST', url(`roles/${role.id}/role_memberships/`), as, { user_uuid: member.id, id: randomUUID() }), 201, 'RoleMembership');
    const memberRow = (await membersOf(organization.id)).find((m) => m.user.uuid === member.id);
    assert.equal(grant.role_id, role.id);
    assert.deepEqual(grant.organization_member, memberRow);
    assert.deepEqual(grant.user, memberBasic);
    assert.equal(grant.joined_at, grant.updated_at);
    const read = ok(await call('GET', url(`roles/${role.id}/`), as), 200, 'Role');
    assert.deepEqual(read.members, [grant]);
    assert.deepEqual(ok(await call('GET', url(`roles/${role.id}/role_memberships/`), as), 200, 'PaginatedRoleMembershipList').results, [grant]);
    assert.deepEqual(ok(await call('GET', url(`roles/${role.id}/role_memberships/${grant.id}/`), as), 200, 'RoleMembership'), grant);
    assert.deepEqual((await userBasic(organization.id, member.id)).id, memberBasic.id, 'UserBasic.id is stable');
    assert.deepEqual((await rolesOf(organization.id))[0].members[0].user, memberBasic);

    ok(await call('DELETE', url(`roles/${role.id}/role_memberships/${grant.id}/`), as), 204);
    assert.deepEqual(ok(await call('GET', url(`roles/${role.id}/role_memberships/`), as), 200, 'PaginatedRoleMembershipList').results, []);
    refused(await call('GET', url(`roles/${role.id}/role_memberships/${grant.id}/`), as), 404, NOT_FOUND);
    refused(await call('DELETE', url(`roles/${role.id}/role_memberships/${grant.id}/`), as), 404, NOT_FOUND);

    // Deleting the role takes its grants with it.
    const again = ok(await call('POST', url(`roles/${role.id}/role_memberships/`), as, { user_uuid: member.id }), 201, 'RoleMembership');
    assert.notEqual(again.id, grant.id);
    ok(await call('DELETE', url(`roles/${role.id}/`), as), 204);
    refused(await call('GET', url(`roles/${role.id}/`), as), 404, NOT_FOUND);
    refused(await call('DELETE', url(`roles/${role.id}/`), as), 404, NOT_FOUND);
    refused(await call('GET', url(`roles/${role.id}/role_memberships/`), as), 404, NOT_FOUND);
    refused(await call('GET', url(`roles/${role.id}/role_memberships/${again.id}/`), as), 404, NOT_FOUND);
    refused(await call('POST', url(`roles/${role.id}/role_memberships/`), as, { user_uuid: member.id }), 400, validation('invalid_input', 'Role does not exist.', null));
    assert.deepEqual(await rolesOf(organization.id), []);
    const leftovers = await server().database.db.selectFrom('role_memberships').select('id').where('role_id', '=', role.id).execute();
    assert.deepEqual(leftovers, []);
    // The name is free again.
    ok(await call('POST', url('roles/'), as, { name: 'Billing' }), 201, 'Role');
  });

  it('members: an owner changes levels, removes a member; members leave; the last owner cannot, until another owner exists', async () => {
    const { organization, owner, url } = await team();
    const admin = await memberOf(organization.id, 8);
    const member = await memberOf(organization.id, 1);
    const leaver = await memberOf(organization.id, 1);
    const as = owner.auth;
    const levels = async () => Object.fromEntries((await membersOf(organization.id)).map((m) => [m.user.uuid, m.level]));
    const rowOf = async (userId: string) => (await membersOf(organization.id)).find((m) => m.user.uuid === userId);

    const before = await rowOf(admin.id);
    server().clock.advance(1000);
    const demoted = ok(await call('PATCH', url(`members/${admin.id}/`), as, { level: 1 }), 200, 'OrganizationMember');
    assert.deepEqual({ ...demoted, updated_at: undefined }, { ...before, level: 1, updated_at: undefined });
    assert.ok(Date.parse(demoted.updated_at) > Date.parse(before.updated_at), 'updated_at moves');
    assert.deepEqual(await rowOf(admin.id), demoted);
    const echoed = { ...demoted, level: 8, id: randomUUID(), joined_at: '2000-01-01T00:00:00Z', user: null, last_login: '2020-01-01T00:00:00Z' };
    const promoted = ok(await call('PUT', url(`members/${admin.id}/`), as, echoed), 200, 'OrganizationMember');
    assert.deepEqual([promoted.id, promoted.level, promoted.joined_at, promoted.user, promoted.last_login], [before.id, 8, before.joined_at, before.user, null]);

    ok(await call('DELETE', url(`members/${member.id}/`), admin.auth), 204);
    ok(await call('DELETE', url(`members/${leaver.id}/`), leaver.auth), 204);
    assert.deepEqual(await levels(), { [owner.id]: 15, [admin.id]: 8 });
    refused(await call('GET', url('members/'), leaver.auth), 404, NOT_FOUND);
    refused(await call('DELETE', url(`members/${member.id}/`), as), 404, NOT_FOUND);

    await unchanged([organization.id], async () => {
      refused(await call('DELETE', url(`members/${owner.id}/`), as), 400, LAST_OWNER);
    });
    ok(await call('PATCH', url(`members/${admin.id}/`), as, { level: 15 }), 200, 'OrganizationMember');
    ok(await call('DELETE', url(`members/${owner.id}/`), as), 204);
    assert.deepEqual(await levels(), { [admin.id]: 15 });
  });

  it('invites: create, expiry, duplicates and replacing them, existing members, delete, and acceptance on /v1', async () => {
    const { organization, owner, url } = await team();
    const as = owner.auth;
    const ownerBasic = await userBasic(organization.id, owner.id);

    const created = ok(await call('POST', url('invites/'), as, { target_email: 'New.Person@Example.COM', first_name: 'New', message: 'Welcome', private_project_access: [] }), 201, 'OrganizationInvite');
    assert.deepEqual(
      { ...created, id: undefined, created_at: undefined, updated_at: undefined },
      {
        id: undefined,
        created_at: undefined,
        updated_at: undefined,
        target_email: 'new.person@example.com',
        first_name: 'New',
        emailing_attempt_made: false,
        level: 1,
        is_expired: false,
        created_by: ownerBasic,
        message: 'Welcome',
        private_project_access: null,
      },
    );
    assert.deepEqual(await invitesOf(organization.id), [created]);

    server().clock.advance(8 * DAY);
    try {
      const [expired] = await invitesOf(organization.id);
      assert.deepEqual(expired, { ...created, is_expired: true }, 'listed, and expired, after 7 days');
    } finally {
      server().clock.advance(-8 * DAY);
    }
    assert.equal((await invitesOf(organization.id))[0].is_expired, false);

    const duplicate = await call('POST', url('invites/'), as, { target_email: 'new.person@example.com' });
    assert.equal(duplicate.status, 400, JSON.stringify(duplicate.body));
    assert.deepEqual([duplicate.body.type, duplicate.body.attr], ['validation_error', 'target_email']);
    const replaced = ok(await call('POST', url('invites/'), as, { target_email: 'NEW.person@example.com', level: 8, combine_pending_invites: true, send_email: false }), 201, 'OrganizationInvite');
    assert.notEqual(replaced.id, created.id);
    assert.deepEqual([replaced.level, replaced.first_name, replaced.message], [8, '', null]);
    assert.deepEqual((await invitesOf(organization.id)).map((i) => i.id), [replaced.id], 'the replaced invite is gone');
    // Both are recorded in the same transaction (same timestamp), so their order is not defined.
    const lastTwo = (await activitiesOf(server(), organization.id)).slice(0, 2);
    const created2 = lastTwo.find((a) => a.type === 'organization_invite_create');
    const removed = lastTwo.find((a) => a.type === 'organization_invite_delete');
    assert.deepEqual(created2?.targetResourceIds, [replaced.id]);
    assert.deepEqual([removed?.targetResourceIds, removed?.changes], [[created.id], { email: { old: 'new.person@example.com', new: null } }], 'the replaced invite leaves the trail');

    ok(await call('DELETE', url(`invites/${replaced.id}/`), as), 204);
    assert.deepEqual(await invitesOf(organization.id), []);
    refused(await call('DELETE', url(`invites/${replaced.id}/`), as), 404, NOT_FOUND);

    // Accepted on /v1 by the invited user, it stops being pending and makes a member at its level.
    const ada = await createUserWithKey(server());
    const invite = ok(await call('POST', url('invites/'), as, { target_email: ada.email.toUpperCase(), level: 8 }), 201, 'OrganizationInvite');
    const accepted = await server().request({ method: 'POST', url: `/v1/invitations/${invite.id}/accept`, auth: ada.auth });
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    assert.deepEqual(await invitesOf(organization.id), []);
    const adaRow = (await membersOf(organization.id)).find((m) => m.user.uuid === ada.id);
    assert.equal(adaRow?.level, 8);
    refused(await call('POST', url('invites/'), as, { target_email: ada.email }), 400, validation('invalid_input', 'A user with this email address already belongs to the organization.', 'target_email'));
  });

  // PostHog deletes an invite once it is used, so a used invite is not there to delete (on /v1 it is a 409).
  it('a used invite is gone: deleting it is a 404 and changes nothing', async () => {
    const { organization, owner, url } = await team();
    const ada = await createUserWithKey(server());
    const invite = ok(await call('POST', url('invites/'), owner.auth, { target_email: ada.email }), 201, 'OrganizationInvite');
    const accepted = await server().request({ method: 'POST', url: `/v1/invitations/${invite.id}/accept`, auth: ada.auth });
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    await unchanged([organization.id], async () => {
      refused(await call('DELETE', url(`invites/${invite.id}/`), owner.auth), 404, NOT_FOUND);
    });
  });

  // ---- activities ----

  it('each mutation records the native activity type, with the acting user as actor', async () => {
    const { organization, owner, url } = await team();
    const admin = await memberOf(organization.id, 8);
    const member = await memberOf(organization.id, 1);
    const leaver = await memberOf(organization.id, 1);
    const expected: { type: string; actor: string; target?: string }[] = [];
    const step = async (response: Promise<ApiResponse>, status: 200 | 201 | 204, type: string, actor: string, target?: string) => {
      server().clock.advance(1000);
      const result = await response;
      assert.equal(result.status, status, JSON.stringify(result.body));
      expected.unshift({ type, actor, ...(target && { target }) });
      return result.body;
    };
    const start = (await activitiesOf(server(), organization.id)).length;

    const role = await step(call('POST', url('roles/'), owner.auth, { name: 'Audited' }), 201, 'role_create', owner.id);
    await step(call('PATCH', url(`roles/${role.id}/`), admin.auth, { name: 'Audited 2' }), 200, 'role_update', admin.id);
    await step(call('PUT', url(`roles/${role.id}/`), owner.auth, { name: 'Audited 3', permissions: ['organization:read'] }), 200, 'role_update', owner.id);
    const grant = await step(call('POST', url(`roles/${role.id}/role_memberships/`), owner.auth, { user_uuid: member.id }), 201, 'organization_member_update_roles', owner.id, member.id);
    await step(call('DELETE', url(`roles/${role.id}/role_memberships/${grant.id}/`), admin.auth), 204, 'organization_member_remove_roles', admin.id, member.id);
    await step(call('DELETE', url(`roles/${role.id}/`), owner.auth), 204, 'role_delete', owner.id);
    await step(call('PATCH', url(`members/${admin.id}/`), owner.auth, { level: 1 }), 200, 'organization_member_update_role', owner.id, admin.id);
    await step(call('PUT', url(`members/${admin.id}/`), owner.auth, { level: 8 }), 200, 'organization_member_update_role', owner.id, admin.id);
    await step(call('DELETE', url(`members/${member.id}/`), admin.auth), 204, 'organization_member_delete', admin.id, member.id);
    await step(call('DELETE', url(`members/${leaver.id}/`), leaver.auth), 204, 'organization_member_leave', leaver.id, leaver.id);
    const invite = await step(call('POST', url('invites/'), admin.auth, { target_email: 'audited@example.com' }), 201, 'organization_invite_create', admin.id);
    await step(call('DELETE', url(`invites/${invite.id}/`), owner.auth), 204, 'organization_invite_delete', owner.id);

    const trail = (await activitiesOf(server(), organization.id)).slice(0, expected.length);
    assert.equal((await activitiesOf(server(), organization.id)).length, start + expected.length, 'one activity per mutation');
    assert.deepEqual(trail.map((a) => a.type), expected.map((e) => e.type));
    for (const [i, activity] of trail.entries()) {
      const want = expected[i]!;
      assert.deepEqual([activity.actorType, activity.actorId, activity.organizationId], ['user', want.actor, organization.id], want.type);
      if (want.target) assert.deepEqual(activity.targetActorIds, [want.target], want.type);
    }
    assert.deepEqual(trail.find((a) => a.type === 'organization_member_update_role').changes.level, { old: 1, new: 8 });
    assert.deepEqual(trail.find((a) => a.type === 'organization_invite_create').changes.email, { old: null, new: 'audited@example.com' });
  });

  // ---- concurrency ----

  it('concurrently: two owners demoting each other leave exactly one owner; two identical grants make one', async () => {
    for (let round = 0; round < 3; round++) {
      const { organization, owner, url } = await team();
      const second = await memberOf(organization.id, 15);
      const [a, b] = await Promise.all([
        call('PATCH', url(`members/${second.id}/`), owner.auth, { level: 8 }),
        call('PATCH', url(`members/${owner.id}/`), second.auth, { level: 8 }),
      ]);
      const [winner, loser] = a.status === 200 ? [a, b] : [b, a];
      ok(winner, 200, 'OrganizationMember');
      refused(loser, 403, denied('You can only edit others with level lower or equal to you.'));
      const owners = (await membersOf(organization.id)).filter((m) => m.level === 15);
      assert.equal(owners.length, 1, `round ${round}: exactly one owner`);
      const updates = (await activitiesOf(server(), organization.id)).filter((x) => x.type === 'organization_member_update_role');
      assert.equal(updates.length, 1);

      const member = await memberOf(organization.id, 1);
      const role = ok(await call('POST', url('roles/'), 'root', { name: `Race ${round}` }), 201, 'Role');
      const grants = await Promise.all([1, 2].map(() => call('POST', url(`roles/${role.id}/role_memberships/`), 'root', { user_uuid: member.id })));
      const created = grants.filter((g) => g.status === 201);
      assert.equal(created.length, 1, JSON.stringify(grants.map((g) => g.body)));
      ok(created[0]!, 201, 'RoleMembership');
      refused(grants.find((g) => g.status !== 201)!, 400, validation('invalid_input', 'User is already part of the role.', null));
      assert.equal(ok(await call('GET', url(`roles/${role.id}/role_memberships/`), 'root'), 200, 'PaginatedRoleMembershipList').count, 1);
    }
  });
});
