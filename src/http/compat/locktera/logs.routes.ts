/**
 * `/orgs/{org_id}/access_log` and `/orgs/{org_id}/children_audit`: plain arrays, newest first,
 * paged with `page`/`limit` and filtered with `start`/`end` (inclusive).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import type { TimePageQuery } from '../../../domain/time-pages.js';
import type { Services } from '../../../services.js';
import { principalOf } from '../../principal.js';
import { errorResponses } from './errors.js';
import { toAccessLogEntry, toAuditLogEntry } from './mappers.js';
import { sliceOf } from './organization.js';
import { AccessLogEntry, AuditLogEntry, LogQuery, OrgParams } from './schemas.js';

const tags = ['Locktera'];
/** The core names the date bounds from_date/to_date (the native query's names): Locktera says start/end. */
const lockteraFields = { from_date: 'start', to_date: 'end' };

/** Locktera's page/limit and start/end as the core's trail page (both logs take the same). */
const pageOf = (query: Static<typeof LogQuery>): TimePageQuery => ({ ...sliceOf(query), fromDate: query.start, toDate: query.end });

export const lockteraLogRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.get('/:org_id/access_log', {
    schema: {
      tags,
      operationId: 'locktera_access_log',
      summary: 'Retrieve access log',
      description: 'Authentication attempts with the organization\u2019s credentials (and its members\u2019), successes and failures, newest first.',
      params: OrgParams,
      querystring: LogQuery,
      response: { 200: Type.Array(AccessLogEntry), ...errorResponses },
    },
    config: { lockteraFields },
  }, async (request) => {
    const page = await services.accessLog.list(principalOf(request), request.params.org_id, pageOf(request.query));
    return page.items.map(toAccessLogEntry);
  });

  app.get('/:org_id/children_audit', {
    schema: {
      tags,
      operationId: 'locktera_children_audit',
      summary: 'Retrieve children audit log',
      description: 'The changes made in every descendant organization (children, their children, \u2026), newest first.',
      params: OrgParams,
      querystring: LogQuery,
      response: { 200: Type.Array(AuditLogEntry), ...errorResponses },
    },
    config: { lockteraFields },
  }, async (request) => {
    const page = await services.activities.listDescendants(principalOf(request), request.params.org_id, pageOf(request.query));
    return page.items.map(toAuditLogEntry);
  });
};
