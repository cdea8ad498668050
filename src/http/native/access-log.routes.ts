/** The access log of an organization: authentication attempts, newest first (admin only). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ACCESS_OUTCOMES, AccessEventSchema } from '../../domain/access-log/access-log.schemas.js';
import type { Services } from '../../services.js';
import { principalOf } from '../principal.js';
import { listEnvelope, okPage, PageQuery } from './envelope.js';
import { OrganizationParams } from './params.js';

const AccessLogQuery = Type.Object(
  {
    from_date: Type.Optional(Type.String({ format: 'date-time', description: 'A starting date for a search (inclusive). ISO-8601.' })),
    to_date: Type.Optional(Type.String({ format: 'date-time', description: 'An ending date for a search (inclusive). ISO-8601.' })),
    outcome: Type.Optional(Type.Enum([...ACCESS_OUTCOMES], { description: 'Only successes or only failures.' })),
    ...PageQuery,
  },
  { additionalProperties: false },
);

export const accessLogRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.get('/organizations/:organizationId/accessLog', {
    schema: {
      tags: ['Access log'],
      summary: 'Access log of the organization',
      description:
        'Orgbase extension. Authentication attempts (successes and failures of every credential kind), newest first; ' +
        'failures are all kept, successes once per credential, IP and minute. Events appear within seconds. ' +
        'Filter with from_date/to_date and outcome; page with limit and cursor. Requires admin access.',
      params: OrganizationParams,
      querystring: AccessLogQuery,
      response: listEnvelope(AccessEventSchema),
    },
  }, async (request) => {
    const { from_date, to_date, outcome, limit, cursor } = request.query;
    const query = { fromDate: from_date, toDate: to_date, outcome, limit, cursor };
    return okPage(request, await services.accessLog.list(principalOf(request), request.params.organizationId, query));
  });
};
