/** Data made through the public API, as a client would make it. */
import assert from 'node:assert/strict';
import type { Auth, TestServer } from './server.js';

export interface OrganizationFixture {
  id: string;
  name: string;
}

export interface KeyFixture {
  id: string;
  keyId: string;
  keySecret: string;
  /** Basic credentials for `request({auth})`. */
  basic: { keyId: string; keySecret: string };
  bearer: { bearer: string };
}

let counter = 0;

export async function createOrganization(server: TestServer, name = `Org ${++counter}`): Promise<OrganizationFixture> {
  const response = await server.request({ method: 'POST', url: '/v1/organizations', auth: 'root', body: { name } });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return { id: response.body.result.id, name };
}

export async function createKey(
  server: TestServer,
  organizationId: string,
  body: Record<string, unknown> = {},
): Promise<KeyFixture> {
  const response = await server.request({
    method: 'POST',
    url: `/v1/organizations/${organizationId}/keys`,
    auth: 'root',
    body: { name: `key ${++counter}`, roles: ['admin'], ...body },
  });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  const { key, keyId, keySecret } = response.body.result;
  return { id: key.id, keyId, keySecret, basic: { keyId, keySecret }, bearer: { bearer: keySecret } };
}

/** An organization with an admin and a developer key. */
export async function createTenant(server: TestServer, name?: string) {
  const organization = await createOrganization(server, name);
  const admin = await createKey(server, organization.id, { roles: ['admin'] });
  const developer = await createKey(server, organization.id, { roles: ['developer'] });
  return { organization, admin, developer };
}

/** Activities of an organization, newest first (read as root, all pages). */
export async function activitiesOf(server: TestServer, organizationId: string): Promise<any[]> {
  const all: any[] = [];
  let cursor: string | undefined;
  do {
    const response = await server.request({
      method: 'GET',
      url: `/v1/organizations/${organizationId}/activities?limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
      auth: 'root',
    });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    all.push(...response.body.result);
    cursor = response.body.nextCursor;
  } while (cursor);
  return all;
}

export interface UserFixture {
  id: string;
  email: string;
  /** Bearer credentials of a personal key of the user. */
  auth: Auth;
}

/** A user (created by root) with a personal key holding the given scopes. */
export async function createUserWithKey(server: TestServer, scopes: string[] = ['*']): Promise<UserFixture> {
  const email = `user${++counter}-${Date.now()}@example.com`;
  const user = await server.request({ method: 'POST', url: '/v1/users', auth: 'root', body: { email, firstName: 'Ada', lastName: `L${counter}` } });
  assert.equal(user.status, 200, JSON.stringify(user.body));
  const key = await server.request({ method: 'POST', url: `/v1/users/${user.body.result.id}/keys`, auth: 'root', body: { name: 'k', scopes } });
  assert.equal(key.status, 200, JSON.stringify(key.body));
  return { id: user.body.result.id, email, auth: { bearer: key.body.result.keySecret } };
}

/** Invites the user at a level (as root unless `by` is given) and accepts with their key, as users join. */
export async function joinOrganization(server: TestServer, organizationId: string, user: UserFixture, level: number, by: Auth = 'root') {
  const invitation = await server.request({
    method: 'POST',
    url: `/v1/organizations/${organizationId}/invitations`,
    auth: by,
    body: { email: user.email.toUpperCase(), level },
  });
  assert.equal(invitation.status, 200, JSON.stringify(invitation.body));
  const accepted = await server.request({ method: 'POST', url: `/v1/invitations/${invitation.body.result.id}/accept`, auth: user.auth });
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
  return accepted.body.result;
}

/** An organization with an owner (a user with a `*` personal key), an admin key and a developer key. */
export async function createTeam(server: TestServer, name?: string) {
  const organization = await createOrganization(server, name);
  const owner = await createUserWithKey(server);
  await joinOrganization(server, organization.id, owner, 15);
  const admin = await createKey(server, organization.id, { roles: ['admin'] });
  const developer = await createKey(server, organization.id, { roles: ['developer'] });
  return { organization, owner, admin, developer };
}

/** A native `/v1` call that must succeed (200): its `result`. */
export async function v1Result(server: TestServer, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, body?: unknown, auth: Auth = 'root') {
  const response = await server.request({ method, url: `/v1${url}`, auth, ...(body !== undefined && { body }) });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body.result;
}
