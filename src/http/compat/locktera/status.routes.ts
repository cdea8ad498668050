/**
 * `GET /service_status`: public, like a health check. `storage` is the database answering a
 * `select 1` within a second. `api` and `auth` run in this process, so they are up whenever it
 * answers; note that keys are looked up in storage (after a short-lived cache), so while storage
 * is down only recently used keys still authenticate.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import type { Db } from '../../../db/database.js';
import { errorResponses } from './errors.js';
import { ServiceStatus } from './schemas.js';

const STORAGE_TIMEOUT_MS = 1000;

async function storageUp(db: Db, log: FastifyBaseLogger): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), STORAGE_TIMEOUT_MS);
  });
  const probe = sql`select 1`.execute(db).then(
    () => true,
    (error: unknown) => {
      log.warn({ err: error }, 'storage check failed');
      return false;
    },
  );
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export const lockteraStatusRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get('/', {
    schema: {
      tags: ['Locktera'],
      operationId: 'locktera_service_status',
      summary: 'Retrieve Locktera service status',
      description: 'No credential needed. `storage` is "down" when the database does not answer within a second.',
      security: [],
      response: { 200: ServiceStatus, ...errorResponses },
    },
  }, async (request) => ({ api: 'up' as const, auth: 'up' as const, storage: (await storageUp(db, request.log)) ? ('up' as const) : ('down' as const) }));
};
