import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  CreateOrganizationBody,
  OrganizationSchema,
  PatchOrganizationBody,
  PrivateEndpointConfigQuery,
  PrivateEndpointConfigSchema,
} from '../../domain/organizations/organizations.schemas.js';
import type { Services } from '../../services.js';
import { principalOf } from '../principal.js';
import { done, emptyEnvelope, envelope, listEnvelope, ok, okPage, PageQuery } from './envelope.js';
import { OrganizationParams } from './params.js';

const tags = ['Organizations'];

export const organizationRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { organizations } = services;

  app.get('/organizations', {
    schema: {
      tags,
      summary: 'Get list of available organizations',
      description: 'An organization key sees the one organization it belongs to; the root key sees all, paged.',
      querystring: Type.Object(PageQuery, { additionalProperties: false }),
      response: listEnvelope(OrganizationSchema),
    },
  }, async (request) => okPage(request, await organizations.list(principalOf(request), request.query)));

  app.post('/organizations', {
    schema: {
      tags,
      summary: 'Create an organization (Orgbase extension, root key only)',
      body: CreateOrganizationBody,
      response: envelope(OrganizationSchema),
    },
  }, async (request) => ok(request, await organizations.create(principalOf(request), request.body)));

  app.get('/organizations/:organizationId', {
    schema: {
      tags,
      summary: 'Get organization details',
      params: OrganizationParams,
      response: envelope(OrganizationSchema),
    },
  }, async (request) => ok(request, await organizations.get(principalOf(request), request.params.organizationId)));

  app.patch('/organizations/:organizationId', {
    schema: {
      tags,
      summary: 'Update organization details',
      description: 'Requires an admin key. `privateEndpoints.remove` is applied before `privateEndpoints.add`.',
      params: OrganizationParams,
      body: PatchOrganizationBody,
      response: envelope(OrganizationSchema),
    },
  }, async (request) =>
    ok(request, await organizations.update(principalOf(request), request.params.organizationId, request.body)));

  app.delete('/organizations/:organizationId', {
    schema: {
      tags,
      summary: 'Delete an organization (Orgbase extension)',
      description: 'Root or an admin key of the organization. Soft delete: its activity trail stays readable to root.',
      params: OrganizationParams,
      response: emptyEnvelope(),
    },
  }, async (request) => {
    await organizations.delete(principalOf(request), request.params.organizationId);
    return done(request);
  });

  app.get('/organizations/:organizationId/privateEndpointConfig', {
    schema: {
      tags,
      summary: 'Get private endpoint configuration for a cloud provider and region',
      params: OrganizationParams,
      querystring: PrivateEndpointConfigQuery,
      response: envelope(PrivateEndpointConfigSchema),
    },
  }, async (request) =>
    ok(
      request,
      await organizations.privateEndpointConfig(
        principalOf(request),
        request.params.organizationId,
        request.query.cloud_provider,
        request.query.region_id,
      ),
    ));
};
