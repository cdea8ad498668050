import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { ActivitySchema } from '../../domain/activities/activities.schemas.js';
import type { Services } from '../../services.js';
import { principalOf } from '../principal.js';
import { envelope, listEnvelope, ok, okPage, PageQuery } from './envelope.js';
import { ActivityParams, OrganizationParams } from './params.js';

const tags = ['Activities'];

const ActivityListQuery = Type.Object(
  {
    from_date: Type.Optional(Type.String({ format: 'date-time', description: 'A starting date for a search (inclusive). ISO-8601.' })),
    to_date: Type.Optional(Type.String({ format: 'date-time', description: 'An ending date for a search (inclusive). ISO-8601.' })),
    ...PageQuery,
  },
  { additionalProperties: false },
);

/** The native list query in the domain's terms. */
const timePageOf = ({ from_date, to_date, limit, cursor }: Static<typeof ActivityListQuery>) => ({ fromDate: from_date, toDate: to_date, limit, cursor });

export const activityRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { activities } = services;

  app.get('/organizations/:organizationId/activities', {
    schema: {
      tags,
      summary: 'List of organization activities',
      description: 'Newest first. Filter with from_date/to_date; page with limit and cursor.',
      params: OrganizationParams,
      querystring: ActivityListQuery,
      response: listEnvelope(ActivitySchema),
    },
  }, async (request) => okPage(request, await activities.list(principalOf(request), request.params.organizationId, timePageOf(request.query))));

  app.get('/organizations/:organizationId/childrenActivities', {
    schema: {
      tags,
      summary: 'List the activities of every descendant organization (Orgbase extension)',
      description:
        "Children, grandchildren and further down (live ones), not the organization's own; newest first, each carrying its organizationId. Admins of the organization only. Filter with from_date/to_date; page with limit and cursor.",
      params: OrganizationParams,
      querystring: ActivityListQuery,
      response: listEnvelope(ActivitySchema),
    },
  }, async (request) => okPage(request, await activities.listDescendants(principalOf(request), request.params.organizationId, timePageOf(request.query))));

  app.get('/organizations/:organizationId/activities/:activityId', {
    schema: { tags, summary: 'Organization activity', params: ActivityParams, response: envelope(ActivitySchema) },
  }, async (request) =>
    ok(request, await activities.get(principalOf(request), request.params.organizationId, request.params.activityId)));
};
