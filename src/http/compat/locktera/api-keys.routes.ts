/**
 * `/orgs/{org_id}/api_keys`: the organization's own API keys (never personal keys), as Locktera
 * ApiKeys. Permissions are ClickHouse roles underneath: write is `admin`, read only `developer`.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { MAX_PAGE_SIZE } from '../../../domain/pagination.js';
import type { Services } from '../../../services.js';
import { principalOf } from '../../principal.js';
import { errorResponses } from './errors.js';
import { rolesOf, toLockteraApiKey } from './mappers.js';
import { sliceOf } from './organization.js';
import { ApiKey, CreateApiKeyBody, CreatedApiKey, KeyParams, NoContent, OrgParams, PageQuery } from './schemas.js';

const tags = ['Locktera'];

export const lockteraApiKeyRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.get('/:org_id/api_keys', {
    schema: {
      tags,
      operationId: 'locktera_list_api_keys',
      summary: 'Retrieve API keys',
      description: 'The organization\u2019s API keys, oldest first (no secrets).',
      params: OrgParams,
      querystring: PageQuery,
      response: { 200: Type.Array(ApiKey), ...errorResponses },
    },
  }, async (request) => {
    const { org_id: organizationId } = request.params;
    // An organization has at most 100 keys (MAX_KEYS_PER_ORGANIZATION): one core page holds them all.
    const all = await services.apiKeys.list(principalOf(request), organizationId, { limit: MAX_PAGE_SIZE });
    const { offset, limit } = sliceOf(request.query);
    return all.items.slice(offset, offset + limit).map((key) => toLockteraApiKey(key, organizationId));
  });

  app.post('/:org_id/api_keys', {
    schema: {
      tags,
      operationId: 'locktera_create_api_key',
      summary: 'Create a new API key',
      description: 'Admins. The secret is in `api_key`, in this response only: send it as `Authorization: Bearer <api_key>`.',
      params: OrgParams,
      body: CreateApiKeyBody,
      response: { 201: CreatedApiKey, ...errorResponses },
    },
  }, async (request, reply) => {
    const { org_id: organizationId } = request.params;
    const { name, permissions } = request.body;
    const created = await services.apiKeys.create(principalOf(request), organizationId, { name, roles: rolesOf(permissions) });
    return reply.status(201).send({ ...toLockteraApiKey(created.key, organizationId), api_key: created.keySecret! });
  });

  app.delete('/:org_id/api_keys/:key_id', {
    schema: {
      tags,
      operationId: 'locktera_delete_api_key',
      summary: 'Delete an API key',
      description: 'Admins. A key cannot delete itself.',
      params: KeyParams,
      response: { 204: NoContent('API key deleted successfully'), ...errorResponses },
    },
    config: { lockteraFields: { keyId: 'key_id' } },
  }, async (request, reply) => {
    await services.apiKeys.delete(principalOf(request), request.params.org_id, request.params.key_id);
    return reply.status(204).send(null);
  });
};
