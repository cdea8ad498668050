/**
 * Builds the HTTP application: shared plumbing (request ids, logging, validation, limits,
 * OpenAPI) and one plugin per surface. No listening, no database opening: see server.ts.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { pino } from 'pino';
import type { Config } from './config.js';
import { notFound } from './domain/errors.js';
import { requestId } from './ids.js';
import { accountForRequests } from './http/request-accounting.js';
import { healthRoutes } from './http/health.routes.js';
import { bindplaneSurface } from './http/compat/bindplane/index.js';
import { lockteraSurface } from './http/compat/locktera/index.js';
import { postHogSurface } from './http/compat/posthog/index.js';
import { nativeSurface, sendNativeError } from './http/native/index.js';
import { registerOpenApi, registerOpenApiDocument } from './http/openapi.js';
import { RequestLog } from './http/request-log.js';
import { refuseUnstorableTextInBodies } from './http/storable-text.js';
import { lowercaseRequestUuids } from './http/uuid-case.js';
import { validatorCompiler } from './http/validation.js';
import type { Services } from './services.js';

export const BODY_LIMIT_BYTES = 1024 * 1024;

export interface AppOptions {
  config: Pick<Config, 'logLevel' | 'trustProxy' | 'meterApiCalls'>;
  services: Services;
  /** Where logs go; tests pass a stream to inspect them. Defaults to stdout. */
  logStream?: NodeJS.WritableStream;
}

/**
 * Log lines are buffered (4 KiB, flushed at least every second and on exit) instead of one
 * write(2) per line: the difference is measurable on the hot path.
 */
function bufferedStdout() {
  return pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 1000 });
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const logger: FastifyServerOptions['logger'] = {
    level: options.config.logLevel,
    // The default request serializer logs no headers; this is a second lock on the door.
    redact: { paths: ['req.headers.authorization', 'req.headers["x-bindplane-api-key"]'], censor: '[redacted]' },
    stream: options.logStream ?? bufferedStdout(),
  };
  const app = Fastify({
    logger,
    genReqId: () => requestId(),
    logController: new RequestLog(),
    bodyLimit: BODY_LIMIT_BYTES,
    // Fastify accepts a hop count too; its types omit it.
    trustProxy: options.config.trustProxy as boolean | string,
    return503OnClosing: true,
    // PostHog's paths end in a slash, ClickHouse's do not; clients of either may add or drop it.
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  // JSON only: a text/plain body would otherwise reach validation as a string (or pass on DELETE).
  app.removeContentTypeParser('text/plain');
  app.decorateRequest('principal', undefined);
  accountForRequests(app, { accessLog: options.services.accessLog, meter: options.config.meterApiCalls ? options.services.apiCallMeter : undefined });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  refuseUnstorableTextInBodies(app);
  app.addHook('preHandler', lowercaseRequestUuids);

  // Outside any surface, errors and unknown routes use the native (ClickHouse) envelope.
  app.setErrorHandler((error, request, reply) => sendNativeError(error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    sendNativeError(notFound(`Route ${request.method} ${request.url.split('?')[0]}`), request, reply),
  );

  await registerOpenApi(app);
  await app.register(healthRoutes, { db: options.services.db });
  await app.register(nativeSurface, { prefix: '/v1', services: options.services });
  await app.register(postHogSurface, { prefix: '/api', services: options.services });
  await app.register(bindplaneSurface, { prefix: '/bindplane/v1', services: options.services });
  // Locktera's paths sit at the root (`/orgs`, `/org`, `/service_status`): one plugin per prefix inside.
  await app.register(lockteraSurface, { services: options.services });
  registerOpenApiDocument(app);
  return app;
}
