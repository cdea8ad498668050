import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ConsumptionSchema, UsageBatchSchema, UsageCostSchema, UsageIngestResultSchema } from '../../domain/usage/usage.schemas.js';
import type { Services } from '../../services.js';
import { principalOf } from '../principal.js';
import { envelope, ok, sendSerializedResult } from './envelope.js';
import { OrganizationParams } from './params.js';

const tags = ['Usage'];

/** Each report's JSON, for as long as the report itself is kept (see the usageCost route). */
const serializedReports = new WeakMap<object, string>();

const day = (description: string) =>
  Type.String({ maxLength: 40, description: `${description} A UTC date such as 2024-12-19 (a date-time is accepted; its UTC day is used).` });

const UsageCostQuery = Type.Object(
  {
    from_date: day('Start date for the report.'),
    to_date: day('End date (inclusive) for the report. This date cannot be more than 30 days after from_date (for a maximum queried period of 31 days).'),
    filter: Type.Optional(
      Type.Union([Type.String({ maxLength: 256 }), Type.Array(Type.String({ maxLength: 256 }), { maxItems: 20 })], {
        description: 'Resource tag filters (`tag:<key>`, `tag:<key>=<value>`), as ClickHouse takes them. Orgbase entities carry no tags, so a filter matches none.',
      }),
    ),
  },
  { additionalProperties: false },
);

const ConsumptionQuery = Type.Object(
  { month: Type.Optional(Type.String({ maxLength: 7, description: 'YYYY-MM (UTC); default: the current month.' })) },
  { additionalProperties: false },
);

export const usageRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { usage } = services;

  app.post('/organizations/:organizationId/usage', {
    schema: {
      tags,
      summary: 'Ingest usage events',
      description:
        'Orgbase extension. Adds a batch of 1 to 1,000 usage events to the organization (admin). Each event carries an ' +
        '`idempotencyKey`: an event whose key the organization has seen is not counted again, so a retried batch counts once. ' +
        'The batch and its daily rollup are written in one statement: all of it counts, or (on any error) none of it.',
      params: OrganizationParams,
      body: UsageBatchSchema,
      response: envelope(UsageIngestResultSchema),
    },
  }, async (request) => ok(request, await usage.ingest(principalOf(request), request.params.organizationId, request.body.events)));

  app.get('/organizations/:organizationId/usageCost', {
    schema: {
      tags,
      summary: 'Get organization usage costs',
      description:
        'Returns a grand total and a list of daily, per-entity usage cost records for the organization in the queried time ' +
        'period (maximum 31 days). Entities are the organization itself (`datawarehouse`) and its projects (`service`). ' +
        'Costs are quantities times the unit prices of ORGBASE_USAGE_PRICES. All days are UTC.',
      params: OrganizationParams,
      querystring: UsageCostQuery,
      response: envelope(UsageCostSchema),
    },
  }, async (request, reply) => {
    const { from_date, to_date, filter } = request.query;
    const filters = filter === undefined ? [] : Array.isArray(filter) ? filter : [filter];
    const report = await usage.usageCost(principalOf(request), request.params.organizationId, from_date, to_date, filters);
    // A 31-day report is ~100 KiB of JSON and the service hands out the same (cached) report for
    // a while: serialize it once per report, not once per request. The report holds exactly the
    // schema's fields (UsageCostSchema), so nothing undeclared can pass this way.
    let json = serializedReports.get(report);
    if (json === undefined) serializedReports.set(report, (json = JSON.stringify(report)));
    return sendSerializedResult(request, reply, json);
  });

  app.get('/organizations/:organizationId/consumption', {
    schema: {
      tags,
      summary: 'Get monthly consumption',
      description: 'Orgbase extension. Every metric of one UTC month, priced, with the API calls and storage called out.',
      params: OrganizationParams,
      querystring: ConsumptionQuery,
      response: envelope(ConsumptionSchema),
    },
  }, async (request) => ok(request, await usage.monthlyConsumption(principalOf(request), request.params.organizationId, request.query.month)));
};
