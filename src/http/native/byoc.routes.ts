import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ByocConfigSchema, CreateByocBody, PatchByocBody } from '../../domain/organizations/organizations.schemas.js';
import type { Services } from '../../services.js';
import { principalOf } from '../principal.js';
import { done, emptyEnvelope, envelope, ok } from './envelope.js';
import { ByocParams, OrganizationParams } from './params.js';

const tags = ['BYOC infrastructure'];

export const byocRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { byoc } = services;

  app.post('/organizations/:organizationId/byocInfrastructure', {
    schema: {
      tags,
      summary: 'Create BYOC infrastructure',
      params: OrganizationParams,
      body: CreateByocBody,
      response: envelope(ByocConfigSchema),
    },
  }, async (request) => ok(request, await byoc.create(principalOf(request), request.params.organizationId, request.body)));

  app.patch('/organizations/:organizationId/byocInfrastructure/:byocInfrastructureId', {
    schema: {
      tags,
      summary: 'Update BYOC infrastructure',
      params: ByocParams,
      body: PatchByocBody,
      response: envelope(ByocConfigSchema),
    },
  }, async (request) =>
    ok(
      request,
      await byoc.update(principalOf(request), request.params.organizationId, request.params.byocInfrastructureId, request.body),
    ));

  app.delete('/organizations/:organizationId/byocInfrastructure/:byocInfrastructureId', {
    schema: { tags, summary: 'Delete BYOC infrastructure', params: ByocParams, response: emptyEnvelope() },
  }, async (request) => {
    await byoc.delete(principalOf(request), request.params.organizationId, request.params.byocInfrastructureId);
    return done(request);
  });
};
