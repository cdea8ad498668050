/** `/orgs/{org_id}/consumption?month=YYYY-MM`: one month's API calls and storage. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../../services.js';
import { principalOf } from '../../principal.js';
import { errorResponses } from './errors.js';
import { toConsumption } from './mappers.js';
import { Consumption, ConsumptionQuery, OrgParams } from './schemas.js';

export const lockteraConsumptionRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.get('/:org_id/consumption', {
    schema: {
      tags: ['Locktera'],
      operationId: 'locktera_consumption',
      summary: 'Retrieve monthly consumption',
      description: 'API calls metered in the month (UTC) and storage used (GB, the month\u2019s `storage_gb` usage). `month` defaults to the current one.',
      params: OrgParams,
      querystring: ConsumptionQuery,
      response: { 200: Consumption, ...errorResponses },
    },
  }, async (request) => {
    const consumption = await services.usage.monthlyConsumption(principalOf(request), request.params.org_id, request.query.month);
    return toConsumption(consumption);
  });
};
