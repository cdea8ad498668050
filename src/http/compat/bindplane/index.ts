/**
 * The Bindplane-compatible surface, `/bindplane/v1`: Bindplane's organization endpoints
 * (docs.bindplane.com/cli-and-api/api/organizations) over Orgbase's organizations, projects
 * ("accounts") and members ("users"). Resources are `{apiVersion: "bindplane.observiq.com/v1", kind,
 * metadata, spec, status}`, camelCase, no paging; errors are `{"errors": ["<message>"]}` with the
 * status of the shared problem mapping.
 *
 * Auth: `X-Bindplane-Api-Key: <secret>` (any Orgbase secret: an organization key's, a personal
 * key's, the root key), or `Authorization: Bearer <secret>` / `Basic base64(keyId:keySecret)`.
 *
 * Choices where Bindplane's documents are silent or Orgbase differs on purpose:
 * - When both `X-Bindplane-Api-Key` and `Authorization` are sent, `X-Bindplane-Api-Key` is used.
 *   Basic is Orgbase's `keyId:keySecret` of an organization key, not Bindplane's user:password.
 * - The current organization (for `/organization-license`, `/organizations/accounts|projects|users`)
 *   is the credential's: an organization key's own; for a personal key, the organization of its
 *   user's active project (404 when the user belongs to none). The root key has none: 400 there,
 *   and on `GET /organizations`, `/organizations/{name}` and `…/all`, which list what the caller
 *   belongs to (the operator lists organizations with `GET /v1/organizations`). An organization
 *   key "belongs" to its own organization only (not its descendants).
 * - Organization: `metadata.name` and `displayName` are both the organization's name (Orgbase has
 *   no separate slug); `spec` is `{}` (no Auth0 binding, no parameters); no `version`/`dateModified`.
 *   Account (project): `metadata.name`/`displayName` the project name, `description` when set,
 *   `dateModified` its last change; `spec` is `{}` — Orgbase projects have no secret keys.
 *   User: `metadata.name` the email, `displayName` "first last" when set; `spec.activeAccount`
 *   only on the caller's own user (other users' choices, which may lie in other tenants, stay private).
 *   `labels` and `status` are always `{}`; `ssoEnabled` is always false.
 * - `activeAccountId` of `…/all` is "" when there is none to show (also for a key limited to
 *   other organizations than its user's active one); for an organization key it is the oldest project.
 * - `GET /organizations/{name}` matches case-insensitively among the caller's organizations; names
 *   are unique among siblings only, so two matches are a 409 naming their ids. A name equal to a
 *   fixed segment (`accounts`, `projects`, `users`, `verify`, any case) is a 404: such an
 *   organization is reached through its id routes, so no method's path changes meaning.
 * - `POST /organizations` creates a top-level organization (root, or a personal key with
 *   `organization:write`, whose user owns it; a key limited to some organizations is refused, 403,
 *   as it could not act in the new one). `organizationName` is required; `eulaAccepted: false` → 400.
 *   `accountName` renames the Default project. `licenseType` / `createLicenseType` make the server
 *   sign a license of a type the operator configured (ORGBASE_LICENSE_TYPES), bound to the
 *   organization. `licenseKey` wins over them (Bindplane: a key is used "instead of creating a new
 *   license"; /v1 refuses both instead); one of the two is required on `PUT /organizations/{id}/license`.
 *   All of it (organization, project, owner, license, active project) is one transaction
 *   (organizations.createWithSetup): a failure leaves nothing.
 * - `PATCH /organizations/{id}/metadata` requires `name` (its one field) and answers 200 with an
 *   empty body, as the seed documents. `PUT /organizations/verify`: `valid` means the name is free
 *   for a new top-level organization; organization keys, which cannot create one, get 403.
 * - Unknown body fields are refused (400 naming the field); a malformed `{id}` is a 400 naming
 *   the parameter; another tenant's organization is 404, as everywhere in Orgbase.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Credential } from '../../../domain/auth/authenticator.js';
import { notFound, unauthenticated } from '../../../domain/errors.js';
import type { Services } from '../../../services.js';
import { parseAuthorization } from '../../credentials.js';
import { authenticateRequest } from '../../authenticate.js';
import { bindplaneAccountRoutes } from './accounts.routes.js';
import { sendBindplaneError } from './errors.js';
import { bindplaneLicenseRoutes } from './license.routes.js';
import { bindplaneOrganizationRoutes } from './organizations.routes.js';

const MISSING =
  'Missing credentials: send X-Bindplane-Api-Key: <key>, or Authorization: Bearer <key> or Basic base64(keyId:keySecret).';

/** The credential of a request; its secret is never logged (the logger redacts both headers). */
function credentialOf(request: FastifyRequest): Credential {
  const apiKey = request.headers['x-bindplane-api-key'];
  if (apiKey !== undefined) {
    const token = (Array.isArray(apiKey) ? apiKey.join(',') : apiKey).trim();
    if (token === '') throw unauthenticated('Malformed X-Bindplane-Api-Key header: it needs a key.');
    return { scheme: 'bearer', token };
  }
  const authorization = request.headers.authorization;
  if (authorization === undefined || authorization.trim() === '') throw unauthenticated(MISSING);
  return parseAuthorization(authorization);
}

export const bindplaneSurface: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.addHook('onRequest', async (request) => {
    if (request.is404) return;
    await authenticateRequest(services.authenticator, request, credentialOf);
  });

  app.setErrorHandler((error, request, reply) => sendBindplaneError(error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    sendBindplaneError(notFound(`Route ${request.method} ${request.url.split('?')[0]}`), request, reply),
  );

  await app.register(bindplaneAccountRoutes, { services });
  await app.register(bindplaneLicenseRoutes, { services });
  await app.register(bindplaneOrganizationRoutes, { services });
};
