/**
 * The Locktera-compatible surface: `/orgs/{org_id}/…`, `/org` and `/service_status` (Locktera's
 * organization-management API; reference/specs/locktera-openapi-spec.yml is "L1", the
 * Docusaurus pages "L2", docs.locktera.com "L3"). snake_case, no envelope, plain JSON arrays;
 * errors are `{message, code, fields}` (errors.ts).
 *
 * Auth: `Authorization: Bearer <API_KEY>` only (L2, L3) — the secret of an organization key, of a
 * personal key, or the root key. No credential, an unknown or disabled key, or another scheme
 * (Basic included) is a 401. `/service_status` is public.
 *
 * Choices where Locktera's documents disagree or are silent (vendor-contracts §4, §5 item 4):
 * - Paths: L1's `/orgs/…`, `/org`, `/service_status` at the server root; the `/api/v1` or `/v1`
 *   prefix of Locktera's servers (which disagree with each other) belongs in the client's base URL.
 * - Org (L1 fields, with L2's `created_at` and `customizations`): `id`, `org_name`, `root_org_id`
 *   (the organization itself at the top), `parent_org_id` (absent at the top: L1 types it as a
 *   string), `created_at`, `customizations`. L1's `role` and contact fields (`first_name`,
 *   `last_name`, `email`, `mobile_phone`) describe a Locktera org's user; Orgbase organizations have
 *   members instead, so they are not shown.
 * - `PATCH /orgs/{org_id}` takes `org_name` (L1) or `name` (L2; both given and different → 400),
 *   `parent_org_id` (a move; null moves to the top, root key only) and `customizations` as a JSON
 *   merge patch (RFC 7396; use PUT …/customizations to replace). One core update: all or nothing.
 *   The rest of L1's Org is accepted, so a GET answer can be sent back changed: `id` must be the
 *   organization's own (else 400); `root_org_id`, `created_at` (read-only) and `role`, the contact
 *   fields (not kept) are ignored. Any other field is unknown (400).
 * - `DELETE /orgs/{org_id}` is 204 with no body (L1; L2's `{"message"}` body conflicts), and takes
 *   the organization's descendants with it (L1: "all associated data within the hierarchy").
 * - `GET /org` is the key's organization: an organization key's own; a personal key's user's active
 *   project's organization (as on the Bindplane surface); the root key has none (400).
 * - `POST /orgs/{org_id}/children` (L1 defines no body) takes `{org_name, email, first_name?,
 *   last_name?, role?, mobile_phone?}` (L1's Org fields): a child organization of `org_id` whose
 *   first member is the user with that email (found case-insensitively, or created with the names
 *   given; an existing user's names are left alone). `role` sets the member's level: org, group,
 *   org_admin → owner (default: org); user_admin → admin; user → member. `mobile_phone` is accepted
 *   but not kept (Orgbase stores no phone numbers). Admins of `org_id` only; the parent's license
 *   limit on child organizations holds; one transaction. 204 as L1 says, with `Location: /orgs/{id}`.
 * - `access_log` (L1: one AccessLog; L2: an array) is an array of authentication events, newest
 *   first: `action` is `login` or `login_failed`, `status` L2's `SUCCESS`/`FAILURE`, `user` the
 *   authenticated user's id (an organization key's id for a key; absent when unknown), plus
 *   `credential_kind`. `children_audit` is an array of the descendants' activities, newest first:
 *   `action` insert/update/delete (mappers.ts), `admin_id` the actor, `old_data` the changed fields'
 *   old values, plus `type` (the activity type) and `new_data`; L1's `address_id` does not apply.
 *   `ip` is the client's address, IPv6 included (L1 says ipv4; IPv4-mapped addresses are unwrapped).
 * - Lists (`access_log`, `children_audit`, `api_keys`) take `page` (from 1) and `limit` (default
 *   50, max 100); the two logs also `start`/`end` (ISO date-times, inclusive). Unknown query
 *   parameters are 400s.
 * - `consumption?month=YYYY-MM` (default: the current UTC month): `api_calls` the metered API calls,
 *   `storage_used` GB.
 * - `customizations` GET/PUT: the body and answer are the customizations object itself (L1's
 *   `Customization`, left undefined there; L2's example is a flat object). PUT answers 200 with the
 *   stored object (L1), not L2's `{"message"}`.
 * - ApiKey: `key_id`, `org_id`, `created_at`, `permissions` (L1) and `name` (L2). POST takes
 *   `{name, permissions}` (L2): `["read"]` makes a read-only key (ClickHouse role developer),
 *   any set with `write` a read-write key (admin). Its 201 answer carries the secret once, in
 *   `api_key`. Only the organization's own keys are listed (never personal keys); DELETE is 204.
 * - `service_status`: `{api, auth, storage}`, each "up" or "down" (L1; not L2's `{status, services}`).
 * - Errors: `code` is the HTTP status; `fields` names the offending field in Locktera's spelling.
 *   A malformed id is a 400 naming it; another tenant's organization is a 404; a read-only key
 *   trying a change is a 403 (L2: "Insufficient permissions"); Orgbase's 409s are 400s here.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Credential } from '../../../domain/auth/authenticator.js';
import { notFound, unauthenticated } from '../../../domain/errors.js';
import type { Services } from '../../../services.js';
import { authenticateRequest } from '../../authenticate.js';
import { lockteraApiKeyRoutes } from './api-keys.routes.js';
import { lockteraConsumptionRoutes } from './consumption.routes.js';
import { lockteraCustomizationRoutes } from './customizations.routes.js';
import { sendLockteraError } from './errors.js';
import { lockteraLogRoutes } from './logs.routes.js';
import { lockteraCurrentOrganizationRoutes, lockteraOrganizationRoutes } from './organizations.routes.js';
import { lockteraStatusRoutes } from './status.routes.js';

/** Locktera's one scheme: `Authorization: Bearer <API_KEY>`. The secret is never logged. */
function bearerCredential(request: FastifyRequest): Credential {
  const header = request.headers.authorization?.trim();
  if (!header) throw unauthenticated('Missing API key: send Authorization: Bearer <API_KEY>.');
  const [scheme = '', ...rest] = header.split(/\s+/);
  if (scheme.toLowerCase() !== 'bearer') throw unauthenticated('Unsupported Authorization scheme: send Authorization: Bearer <API_KEY>.');
  const token = rest.join(' ');
  if (token === '') throw unauthenticated('Malformed Authorization header: Bearer needs an API key.');
  return { scheme: 'bearer', token };
}

type Scope = FastifyPluginAsyncTypebox<{ services: Services; authenticate: boolean }>;

/**
 * One path prefix of the surface with Locktera's authentication, errors and not-found answer.
 * Fastify scopes a not-found handler to its plugin's prefix, so each prefix is its own plugin:
 * unknown routes elsewhere (`/v1/…`) keep their surface's answer.
 */
const lockteraScope = (routes: FastifyPluginAsyncTypebox<{ services: Services }>[]): Scope => async (app, { services, authenticate }) => {
  if (authenticate) {
    // The OpenAPI document: these routes take Bearer only (the document's default also lists Basic).
    app.addHook('onRoute', (route) => {
      route.schema = { ...route.schema, security: [{ bearerAuth: [] }] };
    });
    app.addHook('onRequest', async (request) => {
      if (request.is404) return;
      await authenticateRequest(services.authenticator, request, bearerCredential);
    });
  }
  app.setErrorHandler((error, request, reply) => sendLockteraError(error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    sendLockteraError(notFound(`Route ${request.method} ${request.url.split('?')[0]}`), request, reply),
  );
  for (const route of routes) await app.register(route, { services });
};

export const lockteraSurface: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const organizations = lockteraScope([
    lockteraOrganizationRoutes,
    lockteraLogRoutes,
    lockteraConsumptionRoutes,
    lockteraCustomizationRoutes,
    lockteraApiKeyRoutes,
  ]);
  await app.register(organizations, { prefix: '/orgs', services, authenticate: true });
  await app.register(lockteraScope([lockteraCurrentOrganizationRoutes]), { prefix: '/org', services, authenticate: true });
  const status = lockteraScope([async (scope) => scope.register(lockteraStatusRoutes, { db: services.db })]);
  await app.register(status, { prefix: '/service_status', services, authenticate: false });
};
