import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sql } from 'kysely';
import { Type } from 'typebox';
import type { Db } from '../db/database.js';

const Health = Type.Object({ status: Type.String() });

/** Liveness says the process answers; readiness says the database answers too. */
export const healthRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get('/healthz', { schema: { tags: ['Health'], summary: 'Liveness', response: { 200: Health } } }, async () => ({
    status: 'ok',
  }));

  app.get('/readyz', {
    schema: { tags: ['Health'], summary: 'Readiness: 200 only when the database answers', response: { 200: Health, 503: Health } },
  }, async (request, reply) => {
    try {
      await sql`select 1`.execute(db);
      return { status: 'ready' };
    } catch (error) {
      request.log.warn({ err: error }, 'database not ready');
      return reply.status(503).send({ status: 'database unavailable' });
    }
  });
};
