/**
 * The permission matrix: every organization-scoped route × every kind of caller → the expected
 * status (and error code), from the product's access rules rather than from the code:
 *
 * - A route acts on an object (`organization`: the organization, its keys, activities, BYOC and
 *   private endpoints, roles and role memberships; `organization_member`: members and invitations)
 *   with an access: `read` (GET) or `admin` (mutations).
 * - Root may do everything. An organization key reaches its own organization only (else 404);
 *   `developer` reads, `admin` also writes (else 403 `admin_role_required`).
 * - A personal key acts as its user: not a member → 404; limited (`organizationIds`) away from the
 *   organization → 403 `organization_not_allowed`; a scope must cover `<object>:read` (reads) or
 *   `<object>:write` (writes) → else 403 `missing_scope` naming it; writes need level admin/owner
 *   → else 403 `admin_level_required` (member routes: PostHog's own refusals, see below).
 *
 * Every refused mutation must change nothing: the target read back as root and the
 * organization's activity count (the activities recorded since the call began) are compared
 * before and after. Every successful mutation must
 * change both, which proves each snapshot can see the change it guards against.
 *
 * The table is surface-neutral: a row names its surface, and the surface adapter says how its
 * error bodies carry the code and message. The PostHog surface (`/api`) answers the same refusals
 * with DRF's coarser codes (`permission_denied`, `not_found`) and the domain message in `detail`:
 * its rows are judged by the same rules, through the PostHog adapter. Its `@current` rows resolve
 * the organization from the credential first, then apply the same rules there.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertEnvelope, assertErrorEnvelope, assertMatchesClickHouse } from './contracts/clickhouse.js';
import { testDatabases } from './helpers/databases.js';
import { activitiesOf, createKey, createOrganization, createUserWithKey, joinOrganization } from './helpers/fixtures.js';
import { startServer, type Auth, type TestServer } from './helpers/server.js';

// ---------------------------------------------------------------------------------------------
// Vocabulary
// ---------------------------------------------------------------------------------------------

type Surface = 'native' | 'posthog';
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type ScopeObject = 'organization' | 'organization_member';
type Access = 'read' | 'admin';
type Scope = 'organization:read' | 'organization:write' | 'organization_member:read' | 'organization_member:write' | '*';

const OBJECT_SCOPES: Scope[] = ['organization:read', 'organization:write', 'organization_member:read', 'organization_member:write'];

/** Who calls: described by what they are, so the expected outcome can be computed from it. */
type PrincipalSpec =
  | { name: string; kind: 'root' }
  | {
      name: string;
      kind: 'user';
      /** The user's level in "home"; null: not a member of "home" (a member of "other" only). */
      homeLevel: 1 | 8 | 15 | null;
      scopes: Scope[];
      /** The key is limited to "other" (its user belongs to both). */
      limitedToOther?: boolean;
      /** Specs with the same tag share one user (each with a key of its own). */
      sharedUser?: string;
    }
  | { name: string; kind: 'organization_key'; organization: 'home' | 'other'; role: 'admin' | 'developer' };

const PRINCIPALS: PrincipalSpec[] = [
  { name: 'root', kind: 'root' },
  { name: 'owner', kind: 'user', homeLevel: 15, scopes: ['*'] },
  { name: 'admin', kind: 'user', homeLevel: 8, scopes: ['*'] },
  { name: 'member', kind: 'user', homeLevel: 1, scopes: ['*'] },
  { name: 'nonMember', kind: 'user', homeLevel: null, scopes: ['*'] },
  { name: 'orgAdminKey', kind: 'organization_key', organization: 'home', role: 'admin' },
  { name: 'orgDeveloperKey', kind: 'organization_key', organization: 'home', role: 'developer' },
  { name: 'otherOrgKey', kind: 'organization_key', organization: 'other', role: 'admin' },
  ...OBJECT_SCOPES.map((scope): PrincipalSpec => ({ name: `scoped(${scope})`, kind: 'user', homeLevel: 8, scopes: [scope], sharedUser: 'scopedAdmin' })),
  { name: 'limitedElsewhere', kind: 'user', homeLevel: 15, scopes: ['*'], limitedToOther: true },
];

/** A principal made real: the credential, and the user behind a personal key. */
interface Caller {
  spec: PrincipalSpec;
  auth: Auth;
  userId?: string;
  email?: string;
}

interface World {
  home: string;
  other: string;
  callers: Map<string, Caller>;
}

/** What a call should come to. `reason` is the native error code; surfaces map it to their own. */
type Outcome = { ok: true } | { ok: false; status: 400 | 403 | 404; reason: string; message?: string };

const OK: Outcome = { ok: true };
const notFound: Outcome = { ok: false, status: 404, reason: 'not_found' };
const forbidden = (reason: string, message?: string): Outcome => ({ ok: false, status: 403, reason, ...(message !== undefined && { message }) });

/** The spec's scope rule, restated (not imported from src): `*` is all, `x:write` implies `x:read`. */
function hasScope(scopes: readonly Scope[], needed: string): boolean {
  return scopes.some((scope) => scope === '*' || scope === needed || (needed.endsWith(':read') && scope === needed.replace(/:read$/, ':write')));
}

/** The access rules of an organization-scoped route, as the product spec states them. */
function expectedOutcome(principal: PrincipalSpec, route: Pick<RouteCase, 'object' | 'access' | 'levelRefusal'>, home: string): Outcome {
  const write = route.access === 'admin';
  switch (principal.kind) {
    case 'root':
      return OK;
    case 'organization_key':
      if (principal.organization !== 'home') return notFound;
      if (write && principal.role !== 'admin') return forbidden('admin_role_required');
      return OK;
    case 'user': {
      if (principal.homeLevel === null) return notFound;
      if (principal.limitedToOther) {
        return forbidden('organization_not_allowed', `API key does not have access to the requested organization: ID ${home}.`);
      }
      const needed = `${route.object}:${write ? 'write' : 'read'}`;
      if (!hasScope(principal.scopes, needed)) return forbidden('missing_scope', `API key missing required scope '${needed}'`);
      if (write && principal.homeLevel < 8) {
        return route.levelRefusal ?? forbidden('admin_level_required', 'Your organization access level is insufficient.');
      }
      return OK;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Surfaces: where each puts the error code and message
// ---------------------------------------------------------------------------------------------

interface SurfaceAdapter {
  errorCode(body: any): unknown;
  errorMessage(body: any): unknown;
  /** The code this surface answers for a refusal (`reason` is the native code). */
  codeFor(outcome: Extract<Outcome, { ok: false }>): string;
  assertErrorShape(body: any, status: number): void;
  assertSuccessShape(body: any, method: Method): void;
}

const SURFACES: Record<Surface, SurfaceAdapter> = {
  /** ClickHouse envelope: `{status, requestId, error, code, field?}`. */
  native: {
    errorCode: (body) => body?.code,
    errorMessage: (body) => body?.error,
    codeFor: (outcome) => outcome.reason,
    assertErrorShape: (body, status) => assertErrorEnvelope(body, status),
    assertSuccessShape: (body, method) => assertEnvelope(body, { result: method !== 'DELETE' }),
  },
  /**
   * PostHog: no envelope; errors are `{type, code, detail, attr}` with DRF's generic codes, the
   * domain message in `detail` (compared where the rules know it: missing scope, insufficient
   * level, limited key, the member rules), and DRF's fixed 404.
   */
  posthog: {
    errorCode: (body) => body?.code,
    errorMessage: (body) => body?.detail,
    // PostHog's rule violations are all `invalid_input` (see src/http/compat/posthog/errors.ts).
    codeFor: (outcome) => (outcome.status === 404 ? 'not_found' : outcome.status === 403 ? 'permission_denied' : 'invalid_input'),
    assertErrorShape: (body, status) => {
      const shown = JSON.stringify(body);
      assert.deepEqual(Object.keys(body ?? {}).sort(), ['attr', 'code', 'detail', 'type'], `not a PostHog error: ${shown}`);
      assert.ok(typeof body.detail === 'string' && body.detail.trim() !== '', `no detail: ${shown}`);
      if (status === 403) assert.deepEqual([body.type, body.attr], ['authentication_error', null], shown);
      if (status === 404) assert.deepEqual(body, { type: 'invalid_request', code: 'not_found', detail: 'Not found.', attr: null });
      if (status === 400) assert.equal(body.type, 'validation_error', shown);
    },
    assertSuccessShape: (body, method) => {
      if (method === 'DELETE') {
        assert.equal(body, undefined, `204 with a body: ${JSON.stringify(body)}`);
        return;
      }
      assert.ok(body !== null && typeof body === 'object' && !Array.isArray(body), `not an object: ${JSON.stringify(body)}`);
      assert.ok(!('requestId' in body) && !('result' in body), `an envelope: ${JSON.stringify(body)}`);
    },
  },
};

// ---------------------------------------------------------------------------------------------
// The route table
// ---------------------------------------------------------------------------------------------

interface PrepareContext {
  server: TestServer;
  world: World;
  /** The organization under test: "home", or a fresh one for an isolated success. */
  home: string;
}

interface CaseContext<T = any> extends PrepareContext {
  target: T;
  caller: Caller;
  /** Unique per call, for names and emails. */
  n: number;
}

interface RouteCase<T = any> {
  surface: Surface;
  /** `METHOD /path/{param}`: names the route in failures. */
  name: string;
  method: Method;
  object: ScopeObject;
  access: Access;
  url(ctx: CaseContext<T>): string;
  body?(ctx: CaseContext<T>): unknown;
  /** Makes the target (as root); called again only after a success consumed it. */
  prepare?(ctx: PrepareContext): Promise<T>;
  /** A success uses the target up (default: DELETE). */
  consumes?: boolean;
  /** A success would destroy "home": each success runs on a fresh organization and caller. */
  isolateSuccess?: boolean;
  /** What a success changes, read as root. Required on mutations. */
  snapshot?(ctx: CaseContext<T>): Promise<unknown>;
  /** The organization whose activity count must (not) move; null: none. Default: `home`. */
  activityOrganization?(ctx: CaseContext<T>): string | null;
  /** Extra proof after a refusal that nothing was made (where nothing can be read back). */
  afterRefusal?(ctx: CaseContext<T>): Promise<void>;
  /** What a user below admin level gets instead of `admin_level_required` (member routes). */
  levelRefusal?: Outcome;
  successStatus: number;
  /** Checks on a success body beyond the envelope. */
  check?(body: any, ctx: CaseContext<T>): void | Promise<void>;
}

/** A route outside any organization: its own rule says who may call it. */
type UnscopedRouteCase<T = any> = Omit<RouteCase<T>, 'object' | 'access' | 'levelRefusal'> & {
  rule(principal: PrincipalSpec, world: World): Outcome;
};

const route = <T>(row: RouteCase<T>): RouteCase<T> => row;
const unscoped = <T>(row: UnscopedRouteCase<T>): UnscopedRouteCase<T> => row;

let sequence = 0;
const orgUrl = (ctx: PrepareContext, rest = '') => `/v1/organizations/${ctx.home}${rest}`;

/** GET as root: status and result, without what changes on its own (`usedAt` of keys in use). */
async function readAsRoot(server: TestServer, url: string): Promise<unknown> {
  const response = await server.request({ method: 'GET', url, auth: 'root' });
  return { status: response.status, result: withoutVolatile(response.body?.result) };
}

function withoutVolatile(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutVolatile);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => key !== 'usedAt').map(([key, item]) => [key, withoutVolatile(item)]));
}

async function asRoot(server: TestServer, method: Method, url: string, body?: unknown): Promise<any> {
  const response = await server.request({ method, url, auth: 'root', body });
  assert.equal(response.status, 200, `${method} ${url} as root: ${JSON.stringify(response.body)}`);
  return response.body.result;
}

const newKey = async (ctx: PrepareContext) => createKey(ctx.server, ctx.home, { roles: ['developer'] });
const newProject = async (ctx: PrepareContext): Promise<{ id: string }> => asRoot(ctx.server, 'POST', orgUrl(ctx, '/projects'), { name: `project ${++sequence}` });
const newRole = async (ctx: PrepareContext): Promise<{ id: string }> => asRoot(ctx.server, 'POST', orgUrl(ctx, '/roles'), { name: `role ${++sequence}` });
const newInvitation = async (ctx: PrepareContext): Promise<{ id: string }> =>
  asRoot(ctx.server, 'POST', orgUrl(ctx, '/invitations'), { email: `invitee-${++sequence}@example.com` });
const newByoc = async (ctx: PrepareContext): Promise<{ id: string }> =>
  asRoot(ctx.server, 'POST', orgUrl(ctx, '/byocInfrastructure'), { regionId: 'us-east-1', accountId: `account-${++sequence}` });
/** A level-1 member of "home" that no caller is. */
async function newMemberTarget(ctx: PrepareContext): Promise<{ userId: string }> {
  const user = await createUserWithKey(ctx.server);
  await joinOrganization(ctx.server, ctx.home, user, 1);
  return { userId: user.id };
}
const memberUserId = (ctx: PrepareContext) => ctx.world.callers.get('member')!.userId!;

/** A role of "home" granted to the member (as root). */
async function newGrant(ctx: PrepareContext): Promise<{ roleId: string; membershipId: string }> {
  const role = await newRole(ctx);
  const membership = await asRoot(ctx.server, 'POST', orgUrl(ctx, `/roles/${role.id}/memberships`), { userId: memberUserId(ctx) });
  return { roleId: role.id, membershipId: membership.id as string };
}

// What a level-1 member hears on the member routes instead of `admin_level_required` (PostHog's
// rules, memberships.service.ts): raising someone to admin is "above your own level" before it is
// "only admins edit others"; removing someone else is for admins.
const RAISE_REFUSAL = forbidden('level_too_high', 'You can only change access level of others to lower or equal to your current one.');
const REMOVE_REFUSAL = forbidden('admin_level_required', 'You can only remove others if you are an admin.');

const utcToday = () => new Date().toISOString().slice(0, 10);

const PRIVATE_ENDPOINT_SERVICE = 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0';

/** The native `/v1` organization routes. */
const NATIVE_ORGANIZATION_ROUTES: RouteCase[] = [
  // --- organization: read ---
  route({
    surface: 'native', name: 'GET /v1/organizations/{id}', method: 'GET', object: 'organization', access: 'read', successStatus: 200,
    url: (ctx) => orgUrl(ctx),
    check: (body, ctx) => {
      assertMatchesClickHouse('Organization', body.result);
      assert.equal(body.result.id, ctx.home);
    },
  }),
  route({
    surface: 'native', name: 'GET /v1/organizations/{id}/privateEndpointConfig', method: 'GET', object: 'organization', access: 'read', successStatus: 200,
    url: (ctx) => orgUrl(ctx, '/privateEndpointConfig?cloud_provider=aws&region_id=us-east-1'),
    check: (body) => assert.deepEqual(body.result, { endpointServiceId: PRIVATE_ENDPOINT_SERVICE }),
  }),
  route({
    surface: 'native', name: 'GET /v1/organizations/{id}/keys', method: 'GET', object: 'organization', access: 'read', successStatus: 200,
    url: (ctx) => orgUrl(ctx, '/keys'),
    check: (body) => {
      assert.ok(body.result.length >= 2, 'the home keys are listed');
      for (const key of body.result) assertMatchesClickHouse('ApiKey', key);
    },
  }),
  route({
    surface: 'native', name: 'GET /v1/organizations/{id}/keys/{keyId}', method: 'GET', object: 'organization', access: 'read', successStatus: 200,
    prepare: newKey,
    url: (ctx) => orgUrl(ctx, `/keys/${ctx.target.id}`),
    check: (body, ctx) => assert.equal(body.result.id, ctx.target.id),
  }),
  route({
    surface: 'native', name: 'GET /v1/organizations/{id}/activities', method: 'GET', object: 'organization', access: 'read', successStatus: 200,
    url: (ctx) => orgUrl(ctx, '/activities?limit=5'),
    check: (body, ctx) => {
      assert.ok(body.result.length > 0);
      for (const activity of body.result) {
        assertMatchesClickHouse('Activity', activity);
        assert.equal(activity.organizationId, ctx.home);
      }
    },
  }),
  route({
    surface: 'native', name: 'GET /v1/organizations/{id}/activities/{activityId}', method: 'GET', object: 'organization', access: 'read', successStatus: 200,
    prepare: async (ctx) => (await asRoot(ctx.server, 'GET', orgUrl(ctx, '/activities?limit=1')))[0] as { id: string },
    url: (ctx) => orgUrl(ctx, `/activities/${ctx.target.id}`),
    check: (body, ctx) => assert.equal(body.result.id, ctx.target.id),
  }),
  route({
    surface: 'native', name: 'GET /v1/organizations/{id}/usageCost', method: 'GET', object: 'organization', access: 'read', successStatus: 200,
    url: (ctx) => orgUrl(ctx, `/usageCost?from_date=${utcToday()}&to_date=${utcToday()}`),
    check: (body, ctx) => {
      assertMatchesClickHouse('UsageCost', body.result);
      for (const record of body.result.costs) assert.equal(record.dataWarehouseId, ctx.home);
    },
  }),
  route({
    surface: 'native', name: 'GET /v1/organizations/{id}/consumption', method: 'GET', object: 'organization', access: 'read', successStatus: 200,
    url: (ctx) => orgUrl(ctx, '/consumption'),
    check: (body, ctx) => assert.deepEqual([body.result.organizationId, body.result.month], [ctx.home, utcToday().slice(0, 7)]),
  }),
  route({
    surface: 'native', name: 'GET /v1/organizations/{id}/customizations', method: 'GET', object: 'organization', access: 'read', successStatus: 200,
    url: (ctx) => orgUrl(ctx, '/customizations'),
    check: (body) => assert.equal(typeof body.result, 'object'),
  }),
  // Security data and the subtree's trail: only those who administer the organization read them.
  route({
    surface: 'native', name: 'GET /v1/organizations/{id}/accessLog', method: 'GET', object: 'organization', access: 'admin', successStatus: 200,
    url: (ctx) => orgUrl(ctx, '/accessLog?limit=5'),
    check: (body, ctx) => {
      for (const event of body.result) assert.equal(event.organizationId, ctx.home);
    },
  }),
  route({
    surface: 'native', name: 'GET /v1/organizations/{id}/childrenActivities', method: 'GET', object: 'organization', access: 'admin', successStatus: 200,
    url: (ctx) => orgUrl(ctx, '/childrenActivities?limit=5'),
    check: (body) => assert.ok(Array.isArray(body.result)),
  }),
  route({
    surface: 'native', name: 'GET /v1/organizations/{id}/roles', method: 'GET', object: 'organization', access: 'read', successStatus: 200,
    url: (ctx) => orgUrl(ctx, '/roles'),
  }),
  route({
    surface: 'native', name: 'GET /v1/organizations/{id}/roles/{roleId}', method: 'GET', object: 'organization', access: 'read', successStatus: 200,
    prepare: newRole,
    url: (ctx) => orgUrl(ctx, `/roles/${ctx.target.id}`),
    check: (body, ctx) => assert.equal(body.result.id, ctx.target.id),
  }),
  route({
    surface: 'native', name: 'GET /v1/organizations/{id}/roles/{roleId}/memberships', method: 'GET', object: 'organization', access: 'read', successStatus: 200,
    prepare: async (ctx) => {
      const role = await newRole(ctx);
      await asRoot(ctx.server, 'POST', orgUrl(ctx, `/roles/${role.id}/memberships`), { userId: memberUserId(ctx) });
      return role;
    },
    url: (ctx) => orgUrl(ctx, `/roles/${ctx.target.id}/memberships`),
    check: (body, ctx) => assert.deepEqual(body.result.map((m: any) => m.userId), [memberUserId(ctx)]),
  }),

  // --- organization: admin ---
  route({
    surface: 'native', name: 'PATCH /v1/organizations/{id}', method: 'PATCH', object: 'organization', access: 'admin', successStatus: 200,
    url: (ctx) => orgUrl(ctx),
    body: (ctx) => ({ name: `Home ${ctx.n}` }),
    snapshot: (ctx) => readAsRoot(ctx.server, orgUrl(ctx)),
    check: (body, ctx) => {
      assertMatchesClickHouse('Organization', body.result);
      assert.equal(body.result.name, `Home ${ctx.n}`);
    },
  }),
  route({
    surface: 'native', name: 'DELETE /v1/organizations/{id}', method: 'DELETE', object: 'organization', access: 'admin', successStatus: 200,
    isolateSuccess: true,
    url: (ctx) => orgUrl(ctx),
    snapshot: (ctx) => readAsRoot(ctx.server, orgUrl(ctx)),
  }),
  route({
    surface: 'native', name: 'POST /v1/organizations/{id}/byocInfrastructure', method: 'POST', object: 'organization', access: 'admin', successStatus: 200,
    url: (ctx) => orgUrl(ctx, '/byocInfrastructure'),
    body: (ctx) => ({ regionId: 'eu-west-1', accountId: `account-${ctx.n}` }),
    snapshot: (ctx) => readAsRoot(ctx.server, orgUrl(ctx)),
    check: (body) => assertMatchesClickHouse('ByocConfig', body.result),
  }),
  route({
    surface: 'native', name: 'PATCH /v1/organizations/{id}/byocInfrastructure/{byocId}', method: 'PATCH', object: 'organization', access: 'admin', successStatus: 200,
    prepare: newByoc,
    url: (ctx) => orgUrl(ctx, `/byocInfrastructure/${ctx.target.id}`),
    body: (ctx) => ({ displayName: `BYOC ${ctx.n}` }),
    snapshot: (ctx) => readAsRoot(ctx.server, orgUrl(ctx)),
  }),
  route({
    surface: 'native', name: 'DELETE /v1/organizations/{id}/byocInfrastructure/{byocId}', method: 'DELETE', object: 'organization', access: 'admin', successStatus: 200,
    prepare: newByoc,
    url: (ctx) => orgUrl(ctx, `/byocInfrastructure/${ctx.target.id}`),
    snapshot: (ctx) => readAsRoot(ctx.server, orgUrl(ctx)),
  }),
  route({
    surface: 'native', name: 'POST /v1/organizations/{id}/keys', method: 'POST', object: 'organization', access: 'admin', successStatus: 200,
    url: (ctx) => orgUrl(ctx, '/keys'),
    body: (ctx) => ({ name: `made ${ctx.n}`, roles: ['developer'] }),
    snapshot: (ctx) => readAsRoot(ctx.server, orgUrl(ctx, '/keys?limit=1000')),
    check: (body) => assertMatchesClickHouse('ApiKeyPostResponse', body.result),
  }),
  route({
    surface: 'native', name: 'PATCH /v1/organizations/{id}/keys/{keyId}', method: 'PATCH', object: 'organization', access: 'admin', successStatus: 200,
    prepare: newKey,
    url: (ctx) => orgUrl(ctx, `/keys/${ctx.target.id}`),
    body: (ctx) => ({ name: `renamed ${ctx.n}` }),
    snapshot: (ctx) => readAsRoot(ctx.server, orgUrl(ctx, `/keys/${ctx.target.id}`)),
  }),
  route({
    surface: 'native', name: 'DELETE /v1/organizations/{id}/keys/{keyId}', method: 'DELETE', object: 'organization', access: 'admin', successStatus: 200,
    prepare: newKey,
    url: (ctx) => orgUrl(ctx, `/keys/${ctx.target.id}`),
    snapshot: (ctx) => readAsRoot(ctx.server, orgUrl(ctx, `/keys/${ctx.target.id}`)),
  }),
  route({
    surface: 'native', name: 'POST /v1/organizations/{id}/roles', method: 'POST', object: 'organization', access: 'admin', successStatus: 200,
    url: (ctx) => orgUrl(ctx, '/roles'),
    body: (ctx) => ({ name: `made role ${ctx.n}` }),
    snapshot: (ctx) => readAsRoot(ctx.server, orgUrl(ctx, '/roles?limit=1000')),
  }),
  route({
    surface: 'native', name: 'PATCH /v1/organizations/{id}/roles/{roleId}', method: 'PATCH', object: 'organization', access: 'admin', successStatus: 200,
    prepare: newRole,
    url: (ctx) => orgUrl(ctx, `/roles/${ctx.target.id}`),
    body: (ctx) => ({ name: `renamed role ${ctx.n}` }),
    snapshot: (ctx) => readAsRoot(ctx.server, orgUrl(ctx, `/roles/${ctx.target.id}`)),
  }),
  route({
    surface: 'native', name: 'DELETE /v1/organizations/{id}/roles/{roleId}', method: 'DELETE', object: 'organization', access: 'admin', successStatus: 200,
    prepare: newRole,
    url: (ctx) => orgUrl(ctx, `/roles/${ctx.target.id}`),
    snapshot: (ctx) => readAsRoot(ctx.server, orgUrl(ctx, `/roles/${ctx.target.id}`)),
  }),
  // --- issue 4: the tree, projects, the license (object `organization`) ---
  route({
    surface: 'native', name: 'GET /v1/organizations/{id}/children', method: 'GET', object: 'organization', access: 'read', successStatus: 200,
    url: (ctx) => orgUrl(ctx, '/children'),
  }),
  route({
    surface: 'native', name: 'GET /v1/organizations/{id}/ancestors', method: 'GET', object: 'organization', access: 'read', successStatus: 200,
    url: (ctx) => orgUrl(ctx, '/ancestors'),
  }),
  route({
    surface: 'native', name: 'GET /v1/organizations/{id}/projects', method: 'GET', object: 'organization', access: 'read', successStatus: 200,
    url: (ctx) => orgUrl(ctx, '/projects'),
    check: (body) => assert.ok(body.result.length >= 1, 'every organization has a project'),
  }),
  route({
    surface: 'native', name: 'GET /v1/organizations/{id}/projects/{projectId}', method: 'GET', object: 'organization', access: 'read', successStatus: 200,
    prepare: (ctx) => newProject(ctx),
    url: (ctx) => orgUrl(ctx, `/projects/${ctx.target.id}`),
    check: (body, ctx) => assert.equal(body.result.id, ctx.target.id),
  }),
  route({
    surface: 'native', name: 'POST /v1/organizations/{id}/projects', method: 'POST', object: 'organization', access: 'admin', successStatus: 200,
    url: (ctx) => orgUrl(ctx, '/projects'),
    body: (ctx) => ({ name: `made project ${ctx.n}` }),
    snapshot: (ctx) => readAsRoot(ctx.server, orgUrl(ctx, '/projects?limit=1000')),
  }),
  route({
    surface: 'native', name: 'PATCH /v1/organizations/{id}/projects/{projectId}', method: 'PATCH', object: 'organization', access: 'admin', successStatus: 200,
    prepare: (ctx) => newProject(ctx),
    url: (ctx) => orgUrl(ctx, `/projects/${ctx.target.id}`),
    body: (ctx) => ({ name: `renamed project ${ctx.n}` }),
    snapshot: (ctx) => readAsRoot(ctx.server, orgUrl(ctx, `/projects/${ctx.target.id}`)),
  }),
  route({
    surface: 'native', name: 'DELETE /v1/organizations/{id}/projects/{projectId}', method: 'DELETE', object: 'organization', access: 'admin', successStatus: 200,
    prepare: (ctx) => newProject(ctx),
    url: (ctx) => orgUrl(ctx, `/projects/${ctx.target.id}`),
    snapshot: (ctx) => readAsRoot(ctx.server, orgUrl(ctx, `/projects/${ctx.target.id}`)),
  }),
  // The license routes' access is tested in test/licenses.test.ts (they need signed keys).
  route({
    surface: 'native', name: 'POST /v1/organizations/{id}/roles/{roleId}/memberships', method: 'POST', object: 'organization', access: 'admin', successStatus: 200,
    prepare: newRole, // without permissions: granting it changes nobody's powers
    consumes: true, // the member is in the role now: granting again would be a conflict
    url: (ctx) => orgUrl(ctx, `/roles/${ctx.target.id}/memberships`),
    body: (ctx) => ({ userId: memberUserId(ctx) }),
    snapshot: (ctx) => readAsRoot(ctx.server, orgUrl(ctx, `/roles/${ctx.target.id}`)),
    check: (body, ctx) => assert.deepEqual([body.result.roleId, body.result.userId], [ctx.target.id, memberUserId(ctx)]),
  }),
  route({
    surface: 'native', name: 'DELETE /v1/organizations/{id}/roles/{roleId}/memberships/{membershipId}', method: 'DELETE', object: 'organization', access: 'admin', successStatus: 200,
    prepare: newGrant,
    url: (ctx) => orgUrl(ctx, `/roles/${ctx.target.roleId}/memberships/${ctx.target.membershipId}`),
    snapshot: (ctx) => readAsRoot(ctx.server, orgUrl(ctx, `/roles/${ctx.target.roleId}`)),
  }),

  // --- organization_member: read ---
  route({
    surface: 'native', name: 'GET /v1/organizations/{id}/members', method: 'GET', object: 'organization_member', access: 'read', successStatus: 200,
    url: (ctx) => orgUrl(ctx, '/members?limit=1000'),
    check: (body, ctx) => assert.ok(body.result.some((m: any) => m.userId === memberUserId(ctx)), 'the member is listed'),
  }),
  route({
    surface: 'native', name: 'GET /v1/organizations/{id}/members/{userId}', method: 'GET', object: 'organization_member', access: 'read', successStatus: 200,
    url: (ctx) => orgUrl(ctx, `/members/${memberUserId(ctx)}`),
    check: (body, ctx) => assert.deepEqual([body.result.userId, body.result.level], [memberUserId(ctx), 1]),
  }),
  route({
    surface: 'native', name: 'GET /v1/organizations/{id}/invitations', method: 'GET', object: 'organization_member', access: 'read', successStatus: 200,
    url: (ctx) => orgUrl(ctx, '/invitations'),
  }),
  route({
    surface: 'native', name: 'GET /v1/organizations/{id}/invitations/{invitationId}', method: 'GET', object: 'organization_member', access: 'read', successStatus: 200,
    prepare: newInvitation,
    url: (ctx) => orgUrl(ctx, `/invitations/${ctx.target.id}`),
    check: (body, ctx) => assert.equal(body.result.id, ctx.target.id),
  }),

  route({
    surface: 'native', name: 'POST /v1/organizations/{id}/usage', method: 'POST', object: 'organization', access: 'admin', successStatus: 200,
    url: (ctx) => orgUrl(ctx, '/usage'),
    body: (ctx) => ({ events: [{ metric: 'matrix', quantity: 1, timestamp: new Date().toISOString(), idempotencyKey: `matrix-${ctx.n}` }] }),
    // Usage is data, not a change of the organization: no activity. The metered API calls move on
    // their own, so only the ingested metric is compared.
    snapshot: async (ctx) => (await asRoot(ctx.server, 'GET', orgUrl(ctx, '/consumption'))).metrics.filter((metric: { metric: string }) => metric.metric === 'matrix'),
    activityOrganization: () => null,
    check: (body) => assert.deepEqual(body.result, { accepted: 1, duplicates: 0 }),
  }),

  route({
    surface: 'native', name: 'PUT /v1/organizations/{id}/customizations', method: 'PUT', object: 'organization', access: 'admin', successStatus: 200,
    url: (ctx) => orgUrl(ctx, '/customizations'),
    body: (ctx) => ({ theme: 'dark', n: ctx.n }),
    snapshot: (ctx) => readAsRoot(ctx.server, orgUrl(ctx, '/customizations')),
    check: (body, ctx) => assert.deepEqual(body.result, { theme: 'dark', n: ctx.n }),
  }),
  route({
    surface: 'native', name: 'PATCH /v1/organizations/{id}/customizations', method: 'PATCH', object: 'organization', access: 'admin', successStatus: 200,
    url: (ctx) => orgUrl(ctx, '/customizations'),
    body: (ctx) => ({ patched: ctx.n }),
    snapshot: (ctx) => readAsRoot(ctx.server, orgUrl(ctx, '/customizations')),
    check: (body, ctx) => assert.equal(body.result.patched, ctx.n),
  }),

  // --- organization_member: admin ---
  route({
    surface: 'native', name: 'POST /v1/organizations/{id}/invitations', method: 'POST', object: 'organization_member', access: 'admin', successStatus: 200,
    url: (ctx) => orgUrl(ctx, '/invitations'),
    body: (ctx) => ({ email: `invited-${ctx.n}@example.com`, level: 1 }),
    snapshot: (ctx) => readAsRoot(ctx.server, orgUrl(ctx, '/invitations?limit=1000')),
    check: (body, ctx) => assert.deepEqual([body.result.email, body.result.level], [`invited-${ctx.n}@example.com`, 1]),
  }),
  route({
    surface: 'native', name: 'DELETE /v1/organizations/{id}/invitations/{invitationId}', method: 'DELETE', object: 'organization_member', access: 'admin', successStatus: 200,
    prepare: newInvitation,
    url: (ctx) => orgUrl(ctx, `/invitations/${ctx.target.id}`),
    snapshot: (ctx) => readAsRoot(ctx.server, orgUrl(ctx, `/invitations/${ctx.target.id}`)),
  }),
  // Member changes follow PostHog's rules (memberships.service.ts): the target is a level-1 member
  // who is not the caller (RAISE_REFUSAL, REMOVE_REFUSAL). As for every mutation, a developer key
  // gets `admin_role_required`, and a personal key's refusal for want of scope names
  // `organization_member:write` (the write scope is checked first, as PostHog does).
  route({
    surface: 'native', name: 'PATCH /v1/organizations/{id}/members/{userId}', method: 'PATCH', object: 'organization_member', access: 'admin', successStatus: 200,
    prepare: newMemberTarget,
    consumes: true, // the target is an admin now
    levelRefusal: RAISE_REFUSAL,
    url: (ctx) => orgUrl(ctx, `/members/${ctx.target.userId}`),
    body: () => ({ level: 8 }),
    snapshot: (ctx) => readAsRoot(ctx.server, orgUrl(ctx, `/members/${ctx.target.userId}`)),
    check: (body, ctx) => assert.deepEqual([body.result.userId, body.result.level, body.result.role], [ctx.target.userId, 8, 'admin']),
  }),
  route({
    surface: 'native', name: 'DELETE /v1/organizations/{id}/members/{userId}', method: 'DELETE', object: 'organization_member', access: 'admin', successStatus: 200,
    prepare: newMemberTarget,
    levelRefusal: REMOVE_REFUSAL,
    url: (ctx) => orgUrl(ctx, `/members/${ctx.target.userId}`),
    snapshot: (ctx) => readAsRoot(ctx.server, orgUrl(ctx, `/members/${ctx.target.userId}`)),
  }),
];

// --- the PostHog surface, `/api` ---

const apiUrl = (ctx: PrepareContext, rest = '') => `/api/organizations/${ctx.home}${rest}`;
const ALL = '?limit=1000';
/** For what a POST could make: a page of one still carries the total (`count`). */
const COUNTED = '?limit=1';

/** GET on `/api` as root: status and body (PostHog has no envelope, and nothing volatile here). */
async function readPostHogAsRoot(server: TestServer, url: string): Promise<unknown> {
  const response = await server.request({ method: 'GET', url, auth: 'root' });
  return { status: response.status, body: response.body };
}

/** DRF's limit/offset page. */
function assertPage(body: any): any[] {
  assert.deepEqual(Object.keys(body).sort(), ['count', 'next', 'previous', 'results'], JSON.stringify(body));
  assert.ok(Array.isArray(body.results) && Number.isInteger(body.count) && body.count >= body.results.length);
  return body.results;
}

/** The `/api` organization routes: the same rules as `/v1`, read through the PostHog adapter. */
const POSTHOG_ORGANIZATION_ROUTES: RouteCase[] = [
  // --- roles (organization) ---
  route({
    surface: 'posthog', name: 'GET /api/organizations/{organization_id}/roles/', method: 'GET', object: 'organization', access: 'read', successStatus: 200,
    prepare: newRole,
    url: (ctx) => apiUrl(ctx, `/roles/${ALL}`),
    check: (body, ctx) => assert.ok(assertPage(body).some((role) => role.id === ctx.target.id), 'the role is listed'),
  }),
  route({
    surface: 'posthog', name: 'POST /api/organizations/{organization_id}/roles/', method: 'POST', object: 'organization', access: 'admin', successStatus: 201,
    url: (ctx) => apiUrl(ctx, '/roles/'),
    body: (ctx) => ({ name: `posthog role ${ctx.n}` }),
    snapshot: (ctx) => readPostHogAsRoot(ctx.server, apiUrl(ctx, `/roles/${COUNTED}`)),
    check: (body, ctx) => assert.deepEqual([body.name, body.members, body.is_default], [`posthog role ${ctx.n}`, [], false]),
  }),
  route({
    surface: 'posthog', name: 'GET /api/organizations/{organization_id}/roles/{id}/', method: 'GET', object: 'organization', access: 'read', successStatus: 200,
    prepare: newRole,
    url: (ctx) => apiUrl(ctx, `/roles/${ctx.target.id}/`),
    check: (body, ctx) => assert.equal(body.id, ctx.target.id),
  }),
  ...(['PUT', 'PATCH'] as const).map((method) =>
    route({
      surface: 'posthog', name: `${method} /api/organizations/{organization_id}/roles/{id}/`, method, object: 'organization', access: 'admin', successStatus: 200,
      prepare: newRole,
      url: (ctx) => apiUrl(ctx, `/roles/${ctx.target.id}/`),
      body: (ctx) => ({ name: `${method.toLowerCase()} role ${ctx.n}` }),
      snapshot: (ctx) => readPostHogAsRoot(ctx.server, apiUrl(ctx, `/roles/${ctx.target.id}/`)),
      check: (body, ctx) => assert.deepEqual([body.id, body.name], [ctx.target.id, `${method.toLowerCase()} role ${ctx.n}`]),
    }),
  ),
  route({
    surface: 'posthog', name: 'DELETE /api/organizations/{organization_id}/roles/{id}/', method: 'DELETE', object: 'organization', access: 'admin', successStatus: 204,
    prepare: newRole,
    url: (ctx) => apiUrl(ctx, `/roles/${ctx.target.id}/`),
    snapshot: (ctx) => readPostHogAsRoot(ctx.server, apiUrl(ctx, `/roles/${ctx.target.id}/`)),
  }),

  // --- role memberships (organization) ---
  route({
    surface: 'posthog', name: 'GET /api/organizations/{organization_id}/roles/{role_id}/role_memberships/', method: 'GET', object: 'organization', access: 'read', successStatus: 200,
    prepare: newGrant,
    url: (ctx) => apiUrl(ctx, `/roles/${ctx.target.roleId}/role_memberships/`),
    check: (body, ctx) => assert.deepEqual(assertPage(body).map((grant) => [grant.id, grant.user.uuid]), [[ctx.target.membershipId, memberUserId(ctx)]]),
  }),
  route({
    surface: 'posthog', name: 'POST /api/organizations/{organization_id}/roles/{role_id}/role_memberships/', method: 'POST', object: 'organization', access: 'admin', successStatus: 201,
    prepare: newRole,
    consumes: true, // the member is in the role now
    url: (ctx) => apiUrl(ctx, `/roles/${ctx.target.id}/role_memberships/`),
    body: (ctx) => ({ user_uuid: memberUserId(ctx) }),
    snapshot: (ctx) => readPostHogAsRoot(ctx.server, apiUrl(ctx, `/roles/${ctx.target.id}/`)),
    check: (body, ctx) => assert.deepEqual([body.role_id, body.user.uuid, body.organization_member.level], [ctx.target.id, memberUserId(ctx), 1]),
  }),
  route({
    surface: 'posthog', name: 'GET /api/organizations/{organization_id}/roles/{role_id}/role_memberships/{id}/', method: 'GET', object: 'organization', access: 'read', successStatus: 200,
    prepare: newGrant,
    url: (ctx) => apiUrl(ctx, `/roles/${ctx.target.roleId}/role_memberships/${ctx.target.membershipId}/`),
    check: (body, ctx) => assert.deepEqual([body.id, body.role_id, body.user.uuid], [ctx.target.membershipId, ctx.target.roleId, memberUserId(ctx)]),
  }),
  route({
    surface: 'posthog', name: 'DELETE /api/organizations/{organization_id}/roles/{role_id}/role_memberships/{id}/', method: 'DELETE', object: 'organization', access: 'admin', successStatus: 204,
    prepare: newGrant,
    url: (ctx) => apiUrl(ctx, `/roles/${ctx.target.roleId}/role_memberships/${ctx.target.membershipId}/`),
    snapshot: (ctx) => readPostHogAsRoot(ctx.server, apiUrl(ctx, `/roles/${ctx.target.roleId}/role_memberships/`)),
  }),

  // --- members (organization_member): PostHog's rules about others, as on /v1 ---
  route({
    surface: 'posthog', name: 'GET /api/organizations/{organization_id}/members/', method: 'GET', object: 'organization_member', access: 'read', successStatus: 200,
    url: (ctx) => apiUrl(ctx, `/members/${ALL}`),
    check: (body, ctx) => {
      const member = assertPage(body).find((m) => m.user.uuid === memberUserId(ctx));
      assert.equal(member?.level, 1, 'the member is listed at level 1');
    },
  }),
  ...(['PUT', 'PATCH'] as const).map((method) =>
    route({
      surface: 'posthog', name: `${method} /api/organizations/{organization_id}/members/{user_uuid}/`, method, object: 'organization_member', access: 'admin', successStatus: 200,
      prepare: newMemberTarget,
      consumes: true, // the target is an admin now
      levelRefusal: RAISE_REFUSAL,
      url: (ctx) => apiUrl(ctx, `/members/${ctx.target.userId}/`),
      body: () => ({ level: 8 }),
      snapshot: (ctx) => readAsRoot(ctx.server, orgUrl(ctx, `/members/${ctx.target.userId}`)),
      check: (body, ctx) => assert.deepEqual([body.user.uuid, body.level], [ctx.target.userId, 8]),
    }),
  ),
  route({
    surface: 'posthog', name: 'DELETE /api/organizations/{organization_id}/members/{user_uuid}/', method: 'DELETE', object: 'organization_member', access: 'admin', successStatus: 204,
    prepare: newMemberTarget,
    levelRefusal: REMOVE_REFUSAL,
    url: (ctx) => apiUrl(ctx, `/members/${ctx.target.userId}/`),
    snapshot: (ctx) => readAsRoot(ctx.server, orgUrl(ctx, `/members/${ctx.target.userId}`)),
  }),

  // --- invites (organization_member) ---
  route({
    surface: 'posthog', name: 'GET /api/organizations/{organization_id}/invites/', method: 'GET', object: 'organization_member', access: 'read', successStatus: 200,
    prepare: newInvitation,
    url: (ctx) => apiUrl(ctx, `/invites/${ALL}`),
    check: (body, ctx) => assert.ok(assertPage(body).some((invite) => invite.id === ctx.target.id), 'the pending invite is listed'),
  }),
  route({
    surface: 'posthog', name: 'POST /api/organizations/{organization_id}/invites/', method: 'POST', object: 'organization_member', access: 'admin', successStatus: 201,
    url: (ctx) => apiUrl(ctx, '/invites/'),
    body: (ctx) => ({ target_email: `posthog-invited-${ctx.n}@example.com`, level: 1 }),
    snapshot: (ctx) => readPostHogAsRoot(ctx.server, apiUrl(ctx, `/invites/${COUNTED}`)),
    check: (body, ctx) => assert.deepEqual([body.target_email, body.level, body.is_expired], [`posthog-invited-${ctx.n}@example.com`, 1, false]),
  }),
  route({
    surface: 'posthog', name: 'DELETE /api/organizations/{organization_id}/invites/{id}/', method: 'DELETE', object: 'organization_member', access: 'admin', successStatus: 204,
    prepare: newInvitation,
    url: (ctx) => apiUrl(ctx, `/invites/${ctx.target.id}/`),
    snapshot: (ctx) => readAsRoot(ctx.server, orgUrl(ctx, `/invitations/${ctx.target.id}`)),
  }),
];

// --- `@current`: the credential's one organization ---
//
// The organization is resolved from the credential before the rules apply: an organization key's
// own organization; a personal key limited to one organization, that one; else the user's one
// organization. Root belongs to none (400). "nonMember" and "limitedElsewhere" belong to "other"
// only (as far as `@current` sees), so they act there, at the level `materialize` gave them.
// These rows run before the rows outside an organization: those make "owner" join more.

/** The levels `materialize` gives users in "other". */
const OTHER_LEVEL = { nonMember: 8, limited: 1 } as const;

function currentOrganizationOf(spec: PrincipalSpec): 'home' | 'other' | null {
  switch (spec.kind) {
    case 'root':
      return null;
    case 'organization_key':
      return spec.organization;
    case 'user':
      return spec.homeLevel === null || spec.limitedToOther ? 'other' : 'home';
  }
}

/** The principal as it stands in "other", described as if "other" were its home. */
function inOther(spec: PrincipalSpec): PrincipalSpec {
  if (spec.kind === 'organization_key') return { ...spec, organization: 'home' };
  if (spec.kind === 'user') return { ...spec, homeLevel: spec.limitedToOther ? OTHER_LEVEL.limited : OTHER_LEVEL.nonMember, limitedToOther: false };
  return spec;
}

const atCurrent = (access: Pick<RouteCase, 'object' | 'access' | 'levelRefusal'>) => (principal: PrincipalSpec, world: World): Outcome => {
  switch (currentOrganizationOf(principal)) {
    case null:
      return { ok: false, status: 400, reason: 'ambiguous_organization' };
    case 'home':
      return expectedOutcome(principal, access, world.home);
    case 'other':
      return expectedOutcome(inOther(principal), access, world.other);
  }
};

/** The organization `@current` names for the caller (root: none; "home" stands in, to see nothing change). */
const currentOrganizationId = (ctx: CaseContext) => (currentOrganizationOf(ctx.caller.spec) === 'other' ? ctx.world.other : ctx.world.home);

const POSTHOG_CURRENT_ROUTES: UnscopedRouteCase[] = [
  unscoped({
    surface: 'posthog', name: 'GET /api/organizations/@current/members/', method: 'GET', successStatus: 200,
    rule: atCurrent({ object: 'organization_member', access: 'read' }),
    url: () => `/api/organizations/@current/members/${ALL}`,
    check: (body, ctx) => {
      const users = assertPage(body).map((member) => member.user.uuid);
      const inHome = currentOrganizationOf(ctx.caller.spec) === 'home';
      assert.equal(users.includes(memberUserId(ctx)), inHome, `home's member listed: ${!inHome}`);
      assert.equal(users.includes(ctx.world.callers.get('nonMember')!.userId!), !inHome, `other's admin listed: ${inHome}`);
    },
  }),
  unscoped({
    surface: 'posthog', name: 'POST /api/organizations/@current/roles/', method: 'POST', successStatus: 201,
    rule: atCurrent({ object: 'organization', access: 'admin' }),
    url: () => '/api/organizations/@current/roles/',
    body: (ctx) => ({ name: `current role ${ctx.n}` }),
    snapshot: (ctx) => readPostHogAsRoot(ctx.server, `/api/organizations/${currentOrganizationId(ctx)}/roles/${COUNTED}`),
    activityOrganization: currentOrganizationId,
    check: async (body, ctx) => {
      const made = await ctx.server.request({ method: 'GET', url: `/api/organizations/${currentOrganizationId(ctx)}/roles/${body.id}/`, auth: 'root' });
      assert.deepEqual([made.status, made.body?.name], [200, `current role ${ctx.n}`], 'the role is in the organization @current names');
    },
  }),
];

// --- routes outside any organization ---

const isUser = (principal: PrincipalSpec, name: string) => principal.name === name;
const rootOnly = (principal: PrincipalSpec): Outcome => (principal.kind === 'root' ? OK : forbidden('root_required'));
/** Root or the user themself ("owner" is the user these rows are about); anyone else: 404. */
const selfOrRoot = (principal: PrincipalSpec): Outcome => (principal.kind === 'root' || isUser(principal, 'owner') ? OK : notFound);
const ownerId = (ctx: PrepareContext) => ctx.world.callers.get('owner')!.userId!;
const ownerKeysUrl = (ctx: PrepareContext) => `/v1/users/${ownerId(ctx)}/keys`;

/** Could the principal read "home"? Then GET /v1/organizations lists it. */
function seesHome(principal: PrincipalSpec): boolean {
  if (principal.kind === 'root') return true;
  if (principal.kind === 'organization_key') return principal.organization === 'home';
  return principal.homeLevel !== null && !principal.limitedToOther && hasScope(principal.scopes, 'organization:read');
}

const NATIVE_UNSCOPED_ROUTES: UnscopedRouteCase[] = [
  unscoped({
    surface: 'native', name: 'GET /v1/organizations', method: 'GET', successStatus: 200,
    rule: (principal) =>
      principal.kind === 'user' && !hasScope(principal.scopes, 'organization:read')
        ? forbidden('missing_scope', "API key missing required scope 'organization:read'")
        : OK,
    url: () => '/v1/organizations?limit=1000',
    check: (body, ctx) => {
      const ids: string[] = body.result.map((organization: any) => organization.id);
      assert.equal(ids.includes(ctx.world.home), seesHome(ctx.caller.spec), `home listed: ${ids.includes(ctx.world.home)}`);
      const spec = ctx.caller.spec;
      if (spec.kind === 'organization_key') assert.deepEqual(ids, [spec.organization === 'home' ? ctx.world.home : ctx.world.other]);
      if (spec.kind === 'user' && spec.limitedToOther) assert.deepEqual(ids, [ctx.world.other]);
    },
  }),
  unscoped({
    surface: 'native', name: 'POST /v1/organizations', method: 'POST', successStatus: 200,
    // Top level: root, or a user with organization:write (self-service; they own it); never an organization key.
    rule: (principal) => {
      if (principal.kind === 'organization_key') return forbidden('root_required');
      if (principal.kind === 'user' && !hasScope(principal.scopes, 'organization:write')) {
        return forbidden('missing_scope', "API key missing required scope 'organization:write'");
      }
      // A key limited to some organizations could not act in the new one.
      if (principal.kind === 'user' && principal.limitedToOther) return forbidden('organization_not_allowed');
      return OK;
    },
    url: () => '/v1/organizations',
    body: (ctx) => ({ name: `made org ${ctx.n}` }),
    snapshot: (ctx) => readAsRoot(ctx.server, '/v1/organizations?limit=1000'),
    activityOrganization: () => null,
  }),
  unscoped({
    surface: 'native', name: 'POST /v1/users', method: 'POST', successStatus: 200,
    rule: rootOnly,
    url: () => '/v1/users',
    body: (ctx) => ({ email: `made-user-${ctx.n}@example.com` }),
    activityOrganization: () => null,
    // No route lists users: the address is still free, so nobody was made with it.
    afterRefusal: async (ctx) => {
      const user = await asRoot(ctx.server, 'POST', '/v1/users', { email: `made-user-${ctx.n}@example.com` });
      assert.equal(user.email, `made-user-${ctx.n}@example.com`);
    },
    check: (body, ctx) => assert.equal(body.result.email, `made-user-${ctx.n}@example.com`),
  }),
  // Direct adds are the operator's provisioning tool (everyone else joins by invitation): even
  // the organization's own admins get 403, and the refusal names no organization.
  unscoped({
    surface: 'native', name: 'POST /v1/organizations/{id}/members', method: 'POST', successStatus: 200,
    rule: rootOnly,
    prepare: async (ctx): Promise<{ userId: string }> => ({ userId: (await createUserWithKey(ctx.server)).id }),
    consumes: true,
    url: (ctx) => `/v1/organizations/${ctx.world.home}/members`,
    body: (ctx) => ({ userId: ctx.target.userId, level: 1 }),
    snapshot: (ctx) => readAsRoot(ctx.server, `/v1/organizations/${ctx.world.home}/members?limit=1000`),
    check: (body, ctx) => assert.deepEqual([body.result.userId, body.result.level], [ctx.target.userId, 1]),
  }),
  unscoped({
    surface: 'native', name: 'GET /v1/users/{userId}', method: 'GET', successStatus: 200,
    rule: selfOrRoot,
    url: (ctx) => `/v1/users/${ownerId(ctx)}`,
    check: (body, ctx) => assert.equal(body.result.id, ownerId(ctx)),
  }),
  unscoped({
    surface: 'native', name: 'GET /v1/users/{userId}/keys', method: 'GET', successStatus: 200,
    rule: selfOrRoot,
    url: (ctx) => ownerKeysUrl(ctx),
    check: (body) => assert.ok(body.result.length >= 1),
  }),
  unscoped({
    surface: 'native', name: 'POST /v1/users/{userId}/keys', method: 'POST', successStatus: 200,
    rule: selfOrRoot,
    url: (ctx) => ownerKeysUrl(ctx),
    body: (ctx) => ({ name: `personal ${ctx.n}`, scopes: ['organization:read'] }),
    snapshot: (ctx) => readAsRoot(ctx.server, `${ownerKeysUrl(ctx)}?limit=1000`),
    activityOrganization: () => null,
    check: (body) => assert.deepEqual(body.result.key.scopes, ['organization:read']),
  }),
  unscoped({
    surface: 'native', name: 'DELETE /v1/users/{userId}/keys/{keyId}', method: 'DELETE', successStatus: 200,
    rule: selfOrRoot,
    prepare: async (ctx): Promise<{ id: string }> => (await asRoot(ctx.server, 'POST', ownerKeysUrl(ctx), { name: 'doomed', scopes: ['organization:read'] })).key,
    url: (ctx) => `${ownerKeysUrl(ctx)}/${ctx.target.id}`,
    snapshot: (ctx) => readAsRoot(ctx.server, `${ownerKeysUrl(ctx)}?limit=1000`),
    activityOrganization: () => null,
  }),
  // The invitation is the owner's, to an organization of its own: only the owner's personal key
  // accepts it; root and organization keys are no user; a personal key needs the
  // `organization_member:write` scope (checked before the invitation is looked up, as PostHog's
  // scope check precedes the view); other users' keys do not learn the invitation exists.
  unscoped({
    surface: 'native', name: 'POST /v1/invitations/{invitationId}/accept', method: 'POST', successStatus: 200,
    rule: (principal) => {
      if (principal.kind !== 'user') return forbidden('personal_key_required');
      if (!hasScope(principal.scopes, 'organization_member:write')) {
        return forbidden('missing_scope', "API key missing required scope 'organization_member:write'");
      }
      return isUser(principal, 'owner') ? OK : notFound;
    },
    prepare: async (ctx) => {
      const organization = await createOrganization(ctx.server);
      const owner = ctx.world.callers.get('owner')!;
      const invitation = await asRoot(ctx.server, 'POST', `/v1/organizations/${organization.id}/invitations`, { email: owner.email });
      return { organizationId: organization.id, invitationId: invitation.id as string };
    },
    consumes: true,
    url: (ctx) => `/v1/invitations/${ctx.target.invitationId}/accept`,
    snapshot: async (ctx) => ({
      invitation: await readAsRoot(ctx.server, `/v1/organizations/${ctx.target.organizationId}/invitations/${ctx.target.invitationId}`),
      members: await readAsRoot(ctx.server, `/v1/organizations/${ctx.target.organizationId}/members`),
    }),
    activityOrganization: (ctx) => ctx.target.organizationId,
    check: (body, ctx) => assert.deepEqual([body.result.userId, body.result.level], [ownerId(ctx), 1]),
  }),
];

/**
 * Activities of the organization from `since` on (inclusive), read as root: activities are only
 * ever added, so comparing this count before and after a call is comparing the organization's
 * activity count, without reading its whole history each time.
 */
async function activityCountSince(server: TestServer, organizationId: string, since: string): Promise<number> {
  const url = `/v1/organizations/${organizationId}/activities?limit=1000&from_date=${encodeURIComponent(since)}`;
  const response = await server.request({ method: 'GET', url, auth: 'root' });
  assert.equal(response.status, 200, `${url}: ${JSON.stringify(response.body)}`);
  assert.equal(response.body.nextCursor ?? null, null, 'fewer than 1000 activities since the call began');
  return response.body.result.length;
}

// ---------------------------------------------------------------------------------------------
// Building the callers, and running one row
// ---------------------------------------------------------------------------------------------

/** Makes the principal real in `home` (and "other"); `shared` reuses users across specs. */
async function materialize(server: TestServer, spec: PrincipalSpec, home: string, other: string, shared = new Map<string, Promise<any>>()): Promise<Caller> {
  switch (spec.kind) {
    case 'root':
      return { spec, auth: 'root' };
    case 'organization_key': {
      const key = await createKey(server, spec.organization === 'home' ? home : other, { roles: [spec.role] });
      return { spec, auth: key.basic };
    }
    case 'user': {
      const make = async () => {
        const user = await createUserWithKey(server, ['*']); // its `*` key accepts the invitations
        if (spec.homeLevel !== null) await joinOrganization(server, home, user, spec.homeLevel);
        if (spec.homeLevel === null) await joinOrganization(server, other, user, OTHER_LEVEL.nonMember); // an admin, elsewhere
        else if (spec.limitedToOther) await joinOrganization(server, other, user, OTHER_LEVEL.limited);
        return user;
      };
      let user: Awaited<ReturnType<typeof make>>;
      if (spec.sharedUser) {
        if (!shared.has(spec.sharedUser)) shared.set(spec.sharedUser, make());
        user = await shared.get(spec.sharedUser)!;
      } else {
        user = await make();
      }
      if (spec.scopes.join() === '*' && !spec.limitedToOther) return { spec, auth: user.auth, userId: user.id, email: user.email };
      const key = await asRoot(server, 'POST', `/v1/users/${user.id}/keys`, {
        name: spec.name,
        scopes: spec.scopes,
        ...(spec.limitedToOther && { organizationIds: [other] }),
      });
      return { spec, auth: { bearer: key.keySecret }, userId: user.id, email: user.email };
    }
  }
}

async function buildWorld(server: TestServer): Promise<World> {
  const home = await createOrganization(server, 'Home');
  const other = await createOrganization(server, 'Other');
  const shared = new Map<string, Promise<any>>();
  const callers = new Map<string, Caller>();
  for (const spec of PRINCIPALS) callers.set(spec.name, await materialize(server, spec, home.id, other.id, shared));
  return { home: home.id, other: other.id, callers };
}

/** Runs one row for every principal; collects every mismatch, then fails once naming them all. */
async function runRow(server: TestServer, world: World, row: RouteCase | UnscopedRouteCase, expected: (principal: PrincipalSpec, home: string) => Outcome) {
  const surface = SURFACES[row.surface];
  const mutating = row.method !== 'GET';
  assert.ok(!mutating || row.snapshot || row.afterRefusal, `${row.name}: a mutation needs a snapshot`);
  const consumes = row.consumes ?? row.method === 'DELETE';
  let target: unknown;
  let prepared = false;
  const failures: string[] = [];

  /** The target as root reads it, and how many activities the organization recorded since the call began. */
  const observe = async (ctx: CaseContext, since: string) => {
    const organization = row.activityOrganization ? row.activityOrganization(ctx) : ctx.home;
    return {
      snapshot: row.snapshot ? await row.snapshot(ctx) : undefined,
      activities: organization === null ? undefined : await activityCountSince(server, organization, since),
    };
  };

  for (const spec of PRINCIPALS) {
    try {
      let outcome = expected(spec, world.home);
      let base: PrepareContext = { server, world, home: world.home };
      let caller = world.callers.get(spec.name)!;
      let rowTarget: unknown;
      if (outcome.ok && row.isolateSuccess) {
        // A fresh organization with the same kind of caller in it: "home" stays for the others.
        const fresh = await createOrganization(server);
        base = { server, world, home: fresh.id };
        caller = await materialize(server, spec, fresh.id, world.other);
        outcome = expected(spec, fresh.id);
        rowTarget = row.prepare ? await row.prepare(base) : undefined;
      } else {
        if (row.prepare && !prepared) {
          target = await row.prepare(base);
          prepared = true;
        }
        rowTarget = target;
      }
      const ctx: CaseContext = { ...base, target: rowTarget, caller, n: ++sequence };
      const since = server.clock.now().toISOString(); // the clock activities are stamped with
      const before = mutating ? await observe(ctx, since) : undefined;
      const response = await server.request({ method: row.method, url: row.url(ctx), auth: caller.auth, body: row.body?.(ctx) });
      const shown = `${response.status} ${JSON.stringify(response.body)}`;

      if (outcome.ok) {
        assert.equal(response.status, row.successStatus, `expected ${row.successStatus}, got ${shown}`);
        surface.assertSuccessShape(response.body, row.method);
        await row.check?.(response.body, ctx);
        if (mutating) {
          const afterwards = await observe(ctx, since);
          if (row.snapshot) assert.notDeepEqual(afterwards.snapshot, before!.snapshot, 'a success changed nothing the snapshot sees');
          if (afterwards.activities !== undefined) {
            assert.ok(afterwards.activities > before!.activities!, `a success recorded no activity (${before!.activities} → ${afterwards.activities})`);
          }
          if (consumes && !row.isolateSuccess) prepared = false;
        }
      } else {
        assert.equal(response.status, outcome.status, `expected ${outcome.status} ${outcome.reason}, got ${shown}`);
        surface.assertErrorShape(response.body, outcome.status);
        assert.equal(surface.errorCode(response.body), surface.codeFor(outcome), `expected code ${surface.codeFor(outcome)}, got ${shown}`);
        if (outcome.message !== undefined) {
          assert.equal(surface.errorMessage(response.body), outcome.message, `expected message "${outcome.message}", got ${shown}`);
        }
        if (mutating) {
          assert.deepEqual(await observe(ctx, since), before, 'a refused request changed something');
          await row.afterRefusal?.(ctx);
        }
      }
    } catch (error) {
      if (mutating) prepared = false; // a call that went wrong may have used the target up: start afresh
      failures.push(`  ${row.name} as ${spec.name}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
  }
  if (failures.length > 0) assert.fail(`${failures.length} of ${PRINCIPALS.length} principals got the wrong answer:\n${failures.join('\n')}`);
}

// ---------------------------------------------------------------------------------------------
// The suites
// ---------------------------------------------------------------------------------------------

for (const database of testDatabases()) {
  describe(`permission matrix [${database.kind}]`, () => {
    let server: TestServer | undefined;
    let world: World | undefined;
    before(async () => {
      server = await startServer(database, {
        env: { ORGBASE_PRIVATE_ENDPOINT_SERVICES: JSON.stringify({ 'aws:us-east-1': PRIVATE_ENDPOINT_SERVICE }) },
      });
      world = await buildWorld(server);
    });
    after(async () => {
      await server?.close();
    });

    describe('organization routes', () => {
      for (const row of [...NATIVE_ORGANIZATION_ROUTES, ...POSTHOG_ORGANIZATION_ROUTES]) {
        it(`${row.surface}: ${row.name} (${row.object}, ${row.access})`, async () => {
          await runRow(server!, world!, row, (principal, home) => expectedOutcome(principal, row, home));
        });
      }
    });

    // Before the routes outside an organization, which make "owner" a member of more.
    describe('@current: the organization of the credential', () => {
      for (const row of POSTHOG_CURRENT_ROUTES) {
        it(`${row.surface}: ${row.name}`, async () => {
          await runRow(server!, world!, row, (principal) => row.rule(principal, world!));
        });
      }
    });

    describe('routes outside an organization', () => {
      for (const row of NATIVE_UNSCOPED_ROUTES) {
        it(`${row.surface}: ${row.name}`, async () => {
          await runRow(server!, world!, row, (principal) => row.rule(principal, world!));
        });
      }
    });

    describe("member routes: PostHog's rules about oneself", () => {
      it('a level-1 member may leave (DELETE their own membership); nobody changes their own level', async () => {
        const s = server!;
        const { home } = world!;
        const leaver = await createUserWithKey(s);
        await joinOrganization(s, home, leaver, 1);
        const before = (await activitiesOf(s, home)).length;
        const left = await s.request({ method: 'DELETE', url: `/v1/organizations/${home}/members/${leaver.id}`, auth: leaver.auth });
        assert.equal(left.status, 200, JSON.stringify(left.body));
        assertEnvelope(left.body, { result: false });
        const activities = await activitiesOf(s, home);
        assert.equal(activities.length, before + 1);
        assert.equal(activities[0].type, 'organization_member_leave');
        assertErrorEnvelope((await s.request({ method: 'GET', url: `/v1/organizations/${home}/members/${leaver.id}`, auth: 'root' })).body, 404);

        for (const [name, level] of [['admin', 1], ['owner', 8]] as const) {
          const caller = world!.callers.get(name)!;
          const url = `/v1/organizations/${home}/members/${caller.userId}`;
          const snapshot = await readAsRoot(s, url);
          const count = (await activitiesOf(s, home)).length;
          const response = await s.request({ method: 'PATCH', url, auth: caller.auth, body: { level } });
          assertErrorEnvelope(response.body, 403, 'own_level');
          assert.equal(response.body.error, "You can't change your own access level.");
          assert.deepEqual(await readAsRoot(s, url), snapshot, `${name}: own level unchanged`);
          assert.equal((await activitiesOf(s, home)).length, count, `${name}: no activity`);
        }
      });

      it('the same on /api: leaving is a 204; changing your own level is a permission_denied with PostHog\'s message', async () => {
        const s = server!;
        const { home } = world!;
        const leaver = await createUserWithKey(s);
        await joinOrganization(s, home, leaver, 1);
        const before = (await activitiesOf(s, home)).length;
        const left = await s.request({ method: 'DELETE', url: `/api/organizations/${home}/members/${leaver.id}/`, auth: leaver.auth });
        assert.equal(left.status, 204, JSON.stringify(left.body));
        assert.equal(left.raw.body, '');
        const activities = await activitiesOf(s, home);
        assert.equal(activities.length, before + 1);
        assert.equal(activities[0].type, 'organization_member_leave');
        assertErrorEnvelope((await s.request({ method: 'GET', url: `/v1/organizations/${home}/members/${leaver.id}`, auth: 'root' })).body, 404);

        for (const [name, level] of [['admin', 1], ['owner', 8]] as const) {
          for (const method of ['PUT', 'PATCH'] as const) {
            const caller = world!.callers.get(name)!;
            const url = `/v1/organizations/${home}/members/${caller.userId}`;
            const snapshot = await readAsRoot(s, url);
            const count = (await activitiesOf(s, home)).length;
            const response = await s.request({ method, url: `/api/organizations/${home}/members/${caller.userId}/`, auth: caller.auth, body: { level } });
            assert.equal(response.status, 403, `${method} as ${name}: ${JSON.stringify(response.body)}`);
            assert.deepEqual(response.body, { type: 'authentication_error', code: 'permission_denied', detail: "You can't change your own access level.", attr: null });
            assert.deepEqual(await readAsRoot(s, url), snapshot, `${method} as ${name}: own level unchanged`);
            assert.equal((await activitiesOf(s, home)).length, count, `${method} as ${name}: no activity`);
          }
        }
      });
    });
  });
}
