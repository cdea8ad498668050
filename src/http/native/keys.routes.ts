import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ApiKeySchema, CreateKeyBody, CreateKeyResultSchema, PatchKeyBody } from '../../domain/api-keys/api-keys.schemas.js';
import type { Services } from '../../services.js';
import { principalOf } from '../principal.js';
import { done, emptyEnvelope, envelope, listEnvelope, ok, okPage, PageQuery } from './envelope.js';
import { KeyParams, OrganizationParams } from './params.js';

const tags = ['API keys'];

export const keyRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { apiKeys } = services;

  app.get('/organizations/:organizationId/keys', {
    schema: {
      tags,
      summary: 'Get list of all keys',
      params: OrganizationParams,
      querystring: Type.Object(PageQuery, { additionalProperties: false }),
      response: listEnvelope(ApiKeySchema),
    },
  }, async (request) => okPage(request, await apiKeys.list(principalOf(request), request.params.organizationId, request.query)));

  app.post('/organizations/:organizationId/keys', {
    schema: {
      tags,
      summary: 'Create key',
      description: 'Requires an admin key. Returns the secret once; with `hashData`, stores the given hashes and returns no secret.',
      params: OrganizationParams,
      body: CreateKeyBody,
      response: envelope(CreateKeyResultSchema),
    },
  }, async (request) => ok(request, await apiKeys.create(principalOf(request), request.params.organizationId, request.body)));

  app.get('/organizations/:organizationId/keys/:keyId', {
    schema: { tags, summary: 'Get key details', params: KeyParams, response: envelope(ApiKeySchema) },
  }, async (request) => ok(request, await apiKeys.get(principalOf(request), request.params.organizationId, request.params.keyId)));

  app.patch('/organizations/:organizationId/keys/:keyId', {
    schema: { tags, summary: 'Update key', params: KeyParams, body: PatchKeyBody, response: envelope(ApiKeySchema) },
  }, async (request) =>
    ok(request, await apiKeys.update(principalOf(request), request.params.organizationId, request.params.keyId, request.body)));

  app.delete('/organizations/:organizationId/keys/:keyId', {
    schema: {
      tags,
      summary: 'Delete key',
      description: 'Only a key not used to authenticate the active request can be deleted.',
      params: KeyParams,
      response: emptyEnvelope(),
    },
  }, async (request) => {
    await apiKeys.delete(principalOf(request), request.params.organizationId, request.params.keyId);
    return done(request);
  });
};
