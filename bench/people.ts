/**
 * The people scenarios (issue 3): an organization of 10,000 members, read a page of 100 at a time
 * and written to by granting custom roles, both by an admin member's personal key (scope `*`).
 *
 * Data: the organization "orgbase-people-bench", its admin user, the admin's membership (invitation
 * + acceptance) and a fresh personal key per run are made through the API; the 10,000 other users
 * and their memberships (level 1, joined one minute apart) by SQL, once. Grants go to roles made
 * fresh for each run ("orgbase-bench-grants <run> …"): one role holds each member at most once, so
 * each side gets enough roles for GRANT_RATE_CEILING grants per second and every request grants a
 * new (role, member) pair. The previous runs' roles (and, by cascade, their grants) are deleted at
 * the start and the end of a run.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { LoadSpec } from './load.js';
import type { Server } from './processes.js';
import type { ScenarioResult, Target } from './report.js';
import { countRoundTrips, type RoundTripCounts } from './round-trips.js';
import { api } from './seed.js';

export const PEOPLE_ORGANIZATION_NAME = 'orgbase-people-bench';
export const MEMBER_TARGET = 10_000;
const EMAIL_DOMAIN = 'orgbase-people-bench.example';
const ADMIN_EMAIL = `admin@${EMAIL_DOMAIN}`;
const MEMBER_EMAILS = `member-%@${EMAIL_DOMAIN}`;
const PERSONAL_KEY_NAME = 'orgbase-bench-personal';
const GRANT_ROLE_PREFIX = 'orgbase-bench-grants';
/** Grants per second per side the roles are sized for: several times what a bare insert reaches here. */
export const GRANT_RATE_CEILING = 15_000;
const PAGE_SIZE = 100;

export interface PeopleFixture {
  organizationId: string;
  organizationCreated: boolean;
  adminUserId: string;
  key: { id: string; keyId: string; keySecret: string };
  /** `Basic base64(keyId:keySecret)` of the admin's personal key. */
  auth: string;
  /** The seeded members, in page order (joined_at, user_id). */
  memberIds: string[];
  seeded: number;
}

/** Makes (or finds) the organization, the admin, their membership and key, and the 10,000 members. */
export async function preparePeople(client: pg.Client, orgbaseUrl: string, rootKey: string, log: (message: string) => void): Promise<PeopleFixture> {
  const started = Date.now();
  const organization = await client.query<{ id: string }>(
    'select id from organizations where name = $1 and deleted_at is null and parent_id is null order by created_at limit 1',
    [PEOPLE_ORGANIZATION_NAME],
  );
  const organizationCreated = organization.rows[0] === undefined;
  const organizationId =
    organization.rows[0]?.id ?? (await api<{ id: string }>(orgbaseUrl, 'POST', '/v1/organizations', rootKey, { name: PEOPLE_ORGANIZATION_NAME })).id;

  const user = await client.query<{ id: string }>('select id from users where lower(email) = $1', [ADMIN_EMAIL]);
  const adminUserId =
    user.rows[0]?.id ??
    (await api<{ id: string }>(orgbaseUrl, 'POST', '/v1/users', rootKey, { email: ADMIN_EMAIL, firstName: 'Bench', lastName: 'Admin' })).id;

  // A fresh personal key per run; earlier runs' keys go (a user holds at most 100).
  const keys = await api<{ id: string; name: string }[]>(orgbaseUrl, 'GET', `/v1/users/${adminUserId}/keys?limit=1000`, rootKey);
  for (const key of keys.filter((k) => k.name === PERSONAL_KEY_NAME)) {
    await api(orgbaseUrl, 'DELETE', `/v1/users/${adminUserId}/keys/${key.id}`, rootKey);
  }
  const created = await api<{ key: { id: string }; keyId: string; keySecret: string }>(
    orgbaseUrl,
    'POST',
    `/v1/users/${adminUserId}/keys`,
    rootKey,
    { name: PERSONAL_KEY_NAME, scopes: ['*'] },
  );

  // Admin membership: invited by the operator, accepted with the user's own key.
  const membership = await client.query<{ level: number }>('select level from memberships where organization_id = $1 and user_id = $2', [
    organizationId,
    adminUserId,
  ]);
  const level = membership.rows[0]?.level;
  if (level === undefined) {
    const pending = await client.query<{ id: string }>(
      'select id from invitations where organization_id = $1 and lower(email) = $2 and accepted_at is null and expire_at > now()',
      [organizationId, ADMIN_EMAIL],
    );
    const invitationId =
      pending.rows[0]?.id ??
      (await api<{ id: string }>(orgbaseUrl, 'POST', `/v1/organizations/${organizationId}/invitations`, rootKey, { email: ADMIN_EMAIL, role: 'admin' })).id;
    await api(orgbaseUrl, 'POST', `/v1/invitations/${invitationId}/accept`, created.keySecret);
  } else if (level < 8) {
    await api(orgbaseUrl, 'PATCH', `/v1/organizations/${organizationId}/members/${adminUserId}`, rootKey, { level: 8 });
  }

  await dropGrantRoles(client, organizationId);
  const seeded = await seedMembers(client, organizationId);
  const members = await client.query<{ user_id: string }>(
    `select m.user_id from memberships m join users u on u.id = m.user_id
     where m.organization_id = $1 and u.email like $2 order by m.joined_at, m.user_id`,
    [organizationId, MEMBER_EMAILS],
  );
  const memberIds = members.rows.map((row) => row.user_id);
  if (memberIds.length < MEMBER_TARGET) throw new Error(`bench: the people organization holds only ${memberIds.length} seeded members`);
  log(
    `people organization ${organizationId} (${organizationCreated ? 'created through the API' : 'from an earlier run'}): ` +
      `${memberIds.length.toLocaleString('en')} members (${seeded > 0 ? `${seeded.toLocaleString('en')} memberships seeded by SQL + VACUUM ANALYZE` : 'seeding skipped, ANALYZE only'}), ` +
      `admin ${adminUserId} with a new personal key ${created.key.id} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
  return {
    organizationId,
    organizationCreated,
    adminUserId,
    key: { id: created.key.id, keyId: created.keyId, keySecret: created.keySecret },
    auth: `Basic ${Buffer.from(`${created.keyId}:${created.keySecret}`).toString('base64')}`,
    memberIds,
    seeded,
  };
}

/**
 * Tops the organization up to 10,000 seeded members: users member-<n>@… created (and joined) one
 * minute apart, oldest first, by two idempotent statements; then VACUUM ANALYZE. Returns the
 * memberships inserted (0 when already seeded: ANALYZE only).
 */
async function seedMembers(client: pg.Client, organizationId: string): Promise<number> {
  const { rows } = await client.query<{ count: string }>(
    'select count(*) from memberships m join users u on u.id = m.user_id where m.organization_id = $1 and u.email like $2',
    [organizationId, MEMBER_EMAILS],
  );
  if (Number(rows[0]!.count) >= MEMBER_TARGET) {
    await client.query('analyze users, memberships, role_memberships');
    return 0;
  }
  await client.query(
    `insert into users (id, email, first_name, last_name, created_at, updated_at)
     select gen_random_uuid(), 'member-' || n || '@' || $2::text, 'Member', n::text, t, t
     from (select n, date_trunc('milliseconds', now() - ($1::int - n + 1) * interval '1 minute') as t
           from generate_series(1, $1::int) n) g
     on conflict ((lower(email))) do nothing`,
    [MEMBER_TARGET, EMAIL_DOMAIN],
  );
  const inserted = await client.query(
    `insert into memberships (id, organization_id, user_id, level, joined_at, updated_at)
     select gen_random_uuid(), $1::uuid, u.id, 1, u.created_at, u.created_at from users u where u.email like $2
     on conflict do nothing`,
    [organizationId, MEMBER_EMAILS],
  );
  await client.query('vacuum analyze users, memberships');
  await client.query('analyze role_memberships');
  return inserted.rowCount ?? 0;
}

/** Deletes the benchmark's grant roles of earlier runs; their grants go with them (on delete cascade). */
export async function dropGrantRoles(client: pg.Client, organizationId: string): Promise<number> {
  const result = await client.query('delete from roles where organization_id = $1 and name like $2', [organizationId, `${GRANT_ROLE_PREFIX} %`]);
  return result.rowCount ?? 0;
}

async function createRoles(orgbaseUrl: string, rootKey: string, organizationId: string, names: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const name of names) {
    ids.push((await api<{ id: string }>(orgbaseUrl, 'POST', `/v1/organizations/${organizationId}/roles`, rootKey, { name })).id);
  }
  return ids;
}

/** Request i grants role ⌊i / members⌋ to member i mod members: no pair twice until `capacity`. */
function grantSequence(pathOf: (roleId: string) => string, roleIds: readonly string[], userIds: readonly string[]) {
  const capacity = roleIds.length * userIds.length;
  let issued = 0;
  return {
    capacity,
    issued: () => issued,
    next: () => {
      const i = issued++ % capacity;
      return { path: pathOf(roleIds[Math.floor(i / userIds.length)]!), body: JSON.stringify({ user_uuid: userIds[i % userIds.length] }) };
    },
  };
}

async function countGrants(client: pg.Client, roleIds: readonly string[]): Promise<number> {
  const { rows } = await client.query<{ count: string }>('select count(*) from role_memberships where role_id = any($1::uuid[])', [roleIds]);
  return Number(rows[0]!.count);
}

// Both people scenarios use the PostHog surface, as issue 3 names them.
const membersPath = (organizationId: string) => `/api/organizations/${organizationId}/members/?limit=${PAGE_SIZE}`;
const grantPath = (organizationId: string, roleId: string) => `/api/organizations/${organizationId}/roles/${roleId}/role_memberships/`;

/**
 * Counts the round trips of a members page and of a grant (personal key and root key) through a
 * second Orgbase process behind a counting proxy (bench/round-trips.ts). Undefined when that fails:
 * the load scenarios still run.
 */
export async function measurePeopleRoundTrips(options: {
  orgbaseUrl: string;
  projectDir: string;
  databaseUrl: string;
  rootKey: string;
  logLevel: string;
  fixture: PeopleFixture;
  log: (message: string) => void;
}): Promise<RoundTripCounts | undefined> {
  const { fixture } = options;
  try {
    const [probeRole] = await createRoles(options.orgbaseUrl, options.rootKey, fixture.organizationId, [
      `${GRANT_ROLE_PREFIX} ${randomBytes(3).toString('hex')} probe`,
    ]);
    const counts = await countRoundTrips({
      projectDir: options.projectDir,
      databaseUrl: options.databaseUrl,
      rootKey: options.rootKey,
      logLevel: options.logLevel,
      personalAuth: fixture.auth,
      membersPath: membersPath(fixture.organizationId),
      grant: (i) => ({ path: grantPath(fixture.organizationId, probeRole!), body: JSON.stringify({ user_uuid: fixture.memberIds[i] }) }),
    });
    options.log(
      `round trips (counted): members page ${counts.membersPage.length}, grant ${counts.grantPersonal.length} with the personal key, ` +
        `${counts.grantRoot.length} with the root key`,
    );
    return counts;
  } catch (error) {
    options.log(`round-trip count failed: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

export type RunScenario = (
  name: string,
  requests: { orgbase: string; baseline: string },
  specs: [LoadSpec, LoadSpec],
  target: Target,
) => Promise<ScenarioResult>;

export interface PeopleResult {
  members: ScenarioResult;
  grants: ScenarioResult;
  rolesPerSide: number;
  grantsRecorded: { orgbase: number; baseline: number };
  roundTrips: RoundTripCounts | undefined;
}

async function getJson(url: string, headers: Record<string, string> = {}): Promise<any> {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
  const body = await response.json();
  if (!response.ok) throw new Error(`bench: GET ${url} → ${response.status} ${JSON.stringify(body)}`);
  return body;
}

/** Runs the two people scenarios after the others; returns their rows and what was checked. */
export async function runPeopleScenarios(ctx: {
  client: pg.Client;
  orgbase: Server;
  baseline: Server;
  rootKey: string;
  fixture: PeopleFixture;
  roundTrips: RoundTripCounts | undefined;
  /** Seconds of load per server (warm-up + rounds) and autocannon runs per server. */
  loadSeconds: number;
  runs: number;
  connections: number;
  spec: (server: Server, method: LoadSpec['method'], path: string, extra?: Partial<LoadSpec>) => LoadSpec;
  scenario: RunScenario;
  log: (message: string) => void;
}): Promise<PeopleResult> {
  const { client, orgbase, baseline, fixture, spec, scenario, log } = ctx;
  const organizationId = fixture.organizationId;
  const headers = { authorization: fixture.auth };

  // Members page: the same 100 members (newest first), and the same count, from both servers.
  const path = membersPath(organizationId);
  const basePath = `/organizations/${organizationId}/members?limit=${PAGE_SIZE}`;
  const page = await getJson(`${orgbase.url}${path}`, headers);
  const basePage = await getJson(`${baseline.url}${basePath}`);
  const ids = page.results.map((m: { user: { uuid: string } }) => m.user.uuid);
  if (
    ids.length !== PAGE_SIZE ||
    ids.join() !== basePage.results.map((m: { user_id: string }) => m.user_id).join() ||
    page.count !== basePage.count ||
    page.count < fixture.memberIds.length ||
    !page.next
  ) {
    throw new Error('bench: the members pages of Orgbase and the baseline differ');
  }
  const members = await scenario(
    'GET /api/…/members/ (10,000 members)',
    { orgbase: `GET ${path} (admin's personal key)`, baseline: `GET ${basePath}` },
    [spec(orgbase, 'GET', path, { headers }), spec(baseline, 'GET', basePath)],
    { text: '≥ 0.50× base', check: ({ ratio }) => ratio >= 0.5 },
  );

  // Grants: fresh roles per side, enough that no (role, member) pair is granted twice.
  const run = randomBytes(3).toString('hex');
  const rolesPerSide = Math.ceil((GRANT_RATE_CEILING * ctx.loadSeconds) / fixture.memberIds.length);
  const names = (side: string) => Array.from({ length: rolesPerSide }, (_, i) => `${GRANT_ROLE_PREFIX} ${run} ${side} ${i + 1}`);
  const orgbaseRoles = await createRoles(orgbase.url, ctx.rootKey, organizationId, names('orgbase'));
  const baselineRoles = await createRoles(orgbase.url, ctx.rootKey, organizationId, names('baseline'));
  log(`${rolesPerSide} fresh roles per side for the grant scenario (${(rolesPerSide * fixture.memberIds.length).toLocaleString('en')} grants each)`);
  const grants = grantSequence((roleId) => grantPath(organizationId, roleId), orgbaseRoles, fixture.memberIds);
  const baseGrants = grantSequence((roleId) => `/organizations/${organizationId}/roles/${roleId}/role_memberships`, baselineRoles, fixture.memberIds);
  const counts = ctx.roundTrips;
  const extra = counts && counts.grantPersonal.length - counts.grantRoot.length;
  const row = await scenario(
    'POST /api/…/role_memberships/',
    {
      orgbase: `POST ${grantPath(organizationId, '{roleId}')} {"user_uuid": <a new member every request>} (admin's personal key)`,
      baseline: 'POST /organizations/{id}/roles/{roleId}/role_memberships (insert into role_memberships … values (…))',
    },
    [spec(orgbase, 'POST', grantPath(organizationId, orgbaseRoles[0]!), { headers, next: grants.next }), spec(baseline, 'POST', '/', { next: baseGrants.next })],
    { text: 'access check ≤ 1 round trip', check: () => extra !== undefined && extra <= 1 },
  );
  const grantsRecorded = { orgbase: await countGrants(client, orgbaseRoles), baseline: await countGrants(client, baselineRoles) };
  log(
    `grants: orgbase recorded ${grantsRecorded.orgbase.toLocaleString('en')} for ${(row.orgbase.ok + row.orgbase.warmupOk).toLocaleString('en')} ` +
      `successful requests, baseline ${grantsRecorded.baseline.toLocaleString('en')} for ${(row.baseline.ok + row.baseline.warmupOk).toLocaleString('en')}`,
  );
  for (const [who, sequence, recorded, result] of [
    ['orgbase', grants, grantsRecorded.orgbase, row.orgbase],
    ['baseline', baseGrants, grantsRecorded.baseline, row.baseline],
  ] as const) {
    // A request in flight when a run stops may be served without being counted: at most one per connection per run.
    const answered = result.ok + result.warmupOk;
    if (recorded < answered || recorded > answered + ctx.runs * ctx.connections) {
      row.problems.push(`${who} recorded ${recorded} grants for ${answered} successful requests`);
    }
    if (sequence.issued() > sequence.capacity) row.problems.push(`${who} ran out of (role, member) pairs: ${sequence.issued()} requests`);
  }
  if (row.problems.length > 0) row.pass = false;
  if (counts === undefined) row.problems.push('the round trips could not be counted (see the log above)');

  const dropped = await dropGrantRoles(client, organizationId);
  log(`deleted this run's ${dropped} grant roles and their grants`);
  return { members, grants: row, rolesPerSide, grantsRecorded, roundTrips: counts };
}

/** The lines printed under the table. */
export function describePeople(result: PeopleResult, fixture: PeopleFixture): string[] {
  const lines = [
    `People: organization ${fixture.organizationId} with ${fixture.memberIds.length.toLocaleString('en')} seeded members + 1 admin; ` +
      `both people scenarios authenticate with the admin's personal key (scope *, Basic auth). Grants: ${result.rolesPerSide} fresh roles per side, ` +
      `a new (role, member) pair every request; recorded orgbase ${result.grantsRecorded.orgbase.toLocaleString('en')}, baseline ${result.grantsRecorded.baseline.toLocaleString('en')}.`,
  ];
  const counts = result.roundTrips;
  if (counts === undefined) {
    lines.push('Round trips: not counted (the probe failed; see the log above).');
    return lines;
  }
  const extra = counts.grantPersonal.length - counts.grantRoot.length;
  lines.push(
    'PostgreSQL round trips per request (a second Orgbase behind a protocol-counting proxy, warmed up: key cached, statements prepared):',
    `  GET /api/…/members/?limit=100, personal key: ${counts.membersPage.length} (baseline: 1)`,
    `  POST /api/…/roles/{id}/role_memberships/: personal key ${counts.grantPersonal.length}, root key ${counts.grantRoot.length} (no access check) ` +
      `→ the permission check costs ${extra} extra round trip${extra === 1 ? '' : 's'} (baseline: 1, the insert alone)`,
    `  first request of the fresh process (members page, key not yet cached): ${counts.firstRequest.length}`,
    '  the grant with the personal key, one line per round trip:',
    ...counts.grantPersonal.map((statement, i) => `    ${String(i + 1).padStart(2)}. ${statement}`),
  );
  return lines;
}

/** The people part of bench/results/latest.json. */
export function peopleJson(result: PeopleResult, fixture: PeopleFixture) {
  const counts = result.roundTrips;
  return {
    organizationId: fixture.organizationId,
    members: fixture.memberIds.length + 1,
    seededThisRun: fixture.seeded,
    rolesPerSide: result.rolesPerSide,
    grantsRecorded: result.grantsRecorded,
    roundTrips: counts && {
      membersPage: counts.membersPage.length,
      grantPersonalKey: counts.grantPersonal.length,
      grantRootKey: counts.grantRoot.length,
      firstRequest: counts.firstRequest.length,
      statements: counts,
    },
  };
}
