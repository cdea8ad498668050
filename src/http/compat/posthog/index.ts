/**
 * The PostHog-compatible surface, `/api`: organization roles, role memberships, members and
 * invites in PostHog's wire format — snake_case, no envelope, DRF limit/offset pages
 * (`count/next/previous/results`, default 100), `{type, code, detail, attr}` errors, trailing
 * slashes optional, `@current` for the credential's one organization.
 *
 * Choices where PostHog's documents and code disagree, or Orgbase differs on purpose:
 * - Unknown body and query fields are refused (400 naming the field); DRF drops them silently.
 *   Read-only fields a client echoes back (`id`, `created_at`, …) are accepted and ignored.
 * - A personal key limited to other organizations gets PostHog's 403 ("API key does not have
 *   access to the requested organization: ID …") where its user is a member, 404 elsewhere.
 * - Clashes the core reports as 409 (duplicate names, last owner) are 400 validation errors here.
 * - `last_login` is null (Orgbase authenticates keys, not sessions); `is_default` is false (no default role).
 * - Roles carry Orgbase's `permissions` (read and write) beside PostHog's fields.
 * - Invites list pending invites only: PostHog deletes an invite once it is used.
 * - `@current` is the credential's organization only when it has exactly one (an organization key,
 *   a key limited to one organization, a user in one): Orgbase keeps no "current organization" per
 *   user, so anything else is a 400 naming `organization_id` rather than a guess.
 * - A malformed id in the path is a 400 naming the parameter (PostHog: 404).
 * - A member PUT/PATCH must give `level`, the one writable field (PostHog accepts an empty body).
 * - Rule violations other than uniqueness carry code `invalid_input`, as PostHog's plain
 *   ValidationErrors do; `/v1` keeps Orgbase's finer codes.
 * Organization keys and the root key work here too, with the same rules as on `/v1`.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { notFound, unauthenticated } from '../../../domain/errors.js';
import type { Services } from '../../../services.js';
import { parseAuthorization } from '../../credentials.js';
import { authenticateRequest } from '../../authenticate.js';
import { sendPostHogError } from './errors.js';
import { postHogMemberRoutes } from './members.routes.js';
import { postHogRoleRoutes } from './roles.routes.js';

export const postHogSurface: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.addHook('onRequest', async (request) => {
    if (request.is404) return;
    await authenticateRequest(services.authenticator, request, (r) => {
      const header = r.headers.authorization;
      if (header === undefined || header.trim() === '') {
        throw unauthenticated('Authentication credentials were not provided.', 'not_authenticated');
      }
      return parseAuthorization(header);
    });
  });

  app.setErrorHandler((error, request, reply) => sendPostHogError(error, request, reply));
  app.setNotFoundHandler((request, reply) => sendPostHogError(notFound('Route'), request, reply));

  await app.register(postHogRoleRoutes, { services });
  await app.register(postHogMemberRoutes, { services });
};
