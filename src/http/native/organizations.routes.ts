import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  CreateOrganizationBody,
  NameAvailabilityQuery,
  NameAvailabilitySchema,
  OrganizationSchema,
  OrganizationSummarySchema,
  PatchOrganizationBody,
  PrivateEndpointConfigQuery,
  PrivateEndpointConfigSchema,
} from '../../domain/organizations/organizations.schemas.js';
import type { Services } from '../../services.js';
import { principalOf } from '../principal.js';
import { done, emptyEnvelope, envelope, listEnvelope, mapPage, ok, okPage, PageQuery } from './envelope.js';
import { OrganizationParams } from './params.js';
import { toOrganizationSummary } from '../../domain/organizations/organizations.service.js';

const tags = ['Organizations'];

export const organizationRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { organizations, hierarchy } = services;
  const pageQuery = Type.Object(PageQuery, { additionalProperties: false });

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
      summary: 'Create an organization (Orgbase extension)',
      description:
        'Root creates anywhere; an admin of the parent creates children (`parentId`). Names are unique among live siblings, case-insensitively (409 `name_taken`); the tree is at most ORGBASE_MAX_ORGANIZATION_DEPTH levels deep (409 `depth_limit`). A user who creates one becomes its owner.',
      body: CreateOrganizationBody,
      response: envelope(OrganizationSchema),
    },
  }, async (request) => ok(request, await organizations.create(principalOf(request), request.body)));

  app.get('/organizations/nameAvailability', {
    schema: {
      tags,
      summary: 'Check whether an organization name is free (Orgbase extension)',
      description: 'Among the live children of `parentId` (root: among root-level organizations); suggests free names when taken. Creates nothing.',
      querystring: NameAvailabilityQuery,
      response: envelope(NameAvailabilitySchema),
    },
  }, async (request) => ok(request, await hierarchy.nameAvailability(principalOf(request), request.query.name, request.query.parentId)));

  app.get('/organizations/:organizationId/children', {
    schema: { tags, summary: 'List child organizations (Orgbase extension)', description: 'Who they are (id, name, parent), not their settings.', params: OrganizationParams, querystring: pageQuery, response: listEnvelope(OrganizationSummarySchema) },
  }, async (request) =>
    okPage(request, mapPage(await hierarchy.children(principalOf(request), request.params.organizationId, request.query), toOrganizationSummary)));

  app.get('/organizations/:organizationId/ancestors', {
    schema: { tags, summary: 'List ancestor organizations, nearest first (Orgbase extension)', description: 'Who they are (id, name, parent), not their settings.', params: OrganizationParams, querystring: pageQuery, response: listEnvelope(OrganizationSummarySchema) },
  }, async (request) =>
    okPage(request, mapPage(await hierarchy.ancestors(principalOf(request), request.params.organizationId, request.query), toOrganizationSummary)));

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
      description:
        'Requires an admin key. `privateEndpoints.remove` is applied before `privateEndpoints.add`. Orgbase extension: `parentId` moves the organization (admin of both parents; null: root only), refusing cycles (409 `cycle`) and trees deeper than the limit (409 `depth_limit`).',
      params: OrganizationParams,
      body: PatchOrganizationBody,
      response: envelope(OrganizationSchema),
    },
  }, async (request) =>
    ok(request, await organizations.update(principalOf(request), request.params.organizationId, request.body)));

  app.delete('/organizations/:organizationId', {
    schema: {
      tags,
      summary: 'Delete an organization and its whole subtree (Orgbase extension)',
      description: 'Root or an admin of the organization. Soft delete: the activity trails stay readable to root.',
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
