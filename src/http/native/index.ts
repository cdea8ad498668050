/**
 * The native surface, `/v1`: the ClickHouse Cloud organizations API, extended (root-only
 * organization create/delete, cursor pagination, `changes` on activities).
 * Where the ClickHouse documents disagree (the 2025-07 spec vs. the newest one), Orgbase follows
 * the newest: `requestId` in error bodies, BYOC infrastructure endpoints, `delete_organization`.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { notFound } from '../../domain/errors.js';
import type { Services } from '../../services.js';
import { parseAuthorization } from '../credentials.js';
import { authenticateRequest } from '../authenticate.js';
import { toProblem } from '../problems.js';
import { accessLogRoutes } from './access-log.routes.js';
import { activityRoutes } from './activities.routes.js';
import { byocRoutes } from './byoc.routes.js';
import { customizationRoutes } from './customizations.routes.js';
import { keyRoutes } from './keys.routes.js';
import { licenseRoutes } from './licenses.routes.js';
import { organizationRoutes } from './organizations.routes.js';
import { projectRoutes } from './projects.routes.js';
import { memberRoutes } from './members.routes.js';
import { roleRoutes } from './roles.routes.js';
import { usageRoutes } from './usage.routes.js';
import { userRoutes } from './users.routes.js';

export const nativeSurface: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.addHook('onRequest', async (request) => {
    if (request.is404) return;
    await authenticateRequest(services.authenticator, request, (r) => parseAuthorization(r.headers.authorization));
  });

  app.setErrorHandler((error, request, reply) => sendNativeError(error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    sendNativeError(notFound(`Route ${request.method} ${request.url.split('?')[0]}`), request, reply),
  );

  await app.register(organizationRoutes, { services });
  await app.register(byocRoutes, { services });
  await app.register(keyRoutes, { services });
  await app.register(activityRoutes, { services });
  await app.register(accessLogRoutes, { services });
  await app.register(userRoutes, { services });
  await app.register(memberRoutes, { services });
  await app.register(roleRoutes, { services });
  await app.register(licenseRoutes, { services });
  await app.register(projectRoutes, { services });
  await app.register(usageRoutes, { services });
  await app.register(customizationRoutes, { services });
};

export function sendNativeError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const problem = toProblem(error);
  if (problem.unexpected) request.log.error({ err: error }, 'unexpected error');
  if (problem.status === 401) reply.header('www-authenticate', 'Basic realm="orgbase", Bearer realm="orgbase"');
  return reply.status(problem.status).send({
    status: problem.status,
    requestId: request.id,
    error: problem.message,
    code: problem.code,
    ...(problem.field !== undefined && { field: problem.field }),
  });
}
