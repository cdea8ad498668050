/**
 * `/organizations` and `/organizations/{id|name}/…`. The fixed paths (`accounts`, `projects`,
 * `users`, `verify`; see accounts.routes.ts) are static routes, which Fastify's router prefers to
 * `{name}`; a `{name}` equal to one of them (any case) is not looked up either, so on every method
 * such an organization is reached only through its id.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { conflict, DomainError } from '../../../domain/errors.js';
import type { Services } from '../../../services.js';
import { principalOf } from '../../principal.js';
import { createOrganizationWithAccount } from './create-organization.js';
import { errorResponses } from './errors.js';
import { toAccountResource, toOrganizationResource } from './mappers.js';
import { nonBlank, organizationsOf } from './organization.js';
import {
  CreatedResponse,
  CreateOrganizationBody,
  IdParams,
  MetadataBody,
  NameParams,
  OrganizationResponse,
  OrganizationsResponse,
  VerifyBody,
  VerifyResponse,
} from './schemas.js';

const tags = ['Bindplane: organizations'];
export const FIXED_SEGMENTS = ['accounts', 'projects', 'users', 'verify'] as const;

export const bindplaneOrganizationRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.get('/organizations', {
    schema: {
      tags,
      operationId: 'bindplane_list_organizations',
      summary: 'Get organizations the user belongs to',
      description: 'A personal key: its user\u2019s organizations; an organization key: its own. The root key belongs to none (400).',
      response: { 200: OrganizationsResponse, ...errorResponses },
    },
  }, async (request) => ({ organizations: (await organizationsOf(services, principalOf(request))).map(toOrganizationResource) }));

  app.post('/organizations', {
    schema: {
      tags,
      operationId: 'bindplane_create_organization',
      summary: 'Insert a new organization and project',
      description:
        'A top-level organization and its first project (`accountName`, default `Default`), which becomes the caller\u2019s active project; the creating user owns it. ' +
        'Root or a personal key with organization:write. `eulaAccepted: false` → 400. `licenseKey` is installed (it wins over `licenseType`), or a license of `licenseType` is created.',
      body: CreateOrganizationBody,
      response: { 200: CreatedResponse, ...errorResponses },
    },
  }, async (request) => {
    const { organization, project } = await createOrganizationWithAccount(services, principalOf(request), request.body);
    return { account: toAccountResource(project), organization: toOrganizationResource(organization) };
  });

  app.put('/organizations/verify', {
    schema: {
      tags,
      operationId: 'bindplane_verify_organization_name',
      summary: 'Check Organization Display Name Usage',
      description: '`valid` is true when no live top-level organization has the name (case-insensitively). Those who may create one: root, personal keys.',
      body: VerifyBody,
      response: { 200: VerifyResponse, ...errorResponses },
    },
  }, async (request) => {
    const availability = await services.hierarchy.nameAvailability(principalOf(request), nonBlank('name', request.body.name), undefined);
    return { valid: availability.available };
  });

  app.delete('/organizations/:id', {
    schema: {
      tags,
      operationId: 'bindplane_delete_organization',
      summary: 'Delete organization by id',
      description: 'Admins. Deletes its descendants too.',
      params: IdParams,
      response: { 204: Type.Null({ description: 'Successful Delete, no content' }), ...errorResponses },
    },
  }, async (request, reply) => {
    await services.organizations.delete(principalOf(request), request.params.id);
    return reply.status(204).send(null);
  });

  app.patch('/organizations/:id/metadata', {
    schema: {
      tags,
      operationId: 'bindplane_update_organization_metadata',
      summary: 'Update Organization Display Name',
      description: 'Admins. Renames the organization (its name is also its display name). 200 with no body.',
      params: IdParams,
      body: MetadataBody,
      response: { 200: Type.Null({ description: 'OK - Display name updated successfully (no content)' }), ...errorResponses },
    },
  }, async (request, reply) => {
    await services.organizations.update(principalOf(request), request.params.id, { name: nonBlank('name', request.body.name) });
    // An empty 200, as Bindplane documents it: with no payload at all, nothing is serialized (not even `null`).
    return reply.status(200).send(undefined as unknown as null);
  });

  app.get('/organizations/:name', {
    schema: {
      tags,
      operationId: 'bindplane_get_organization_by_name',
      summary: 'Get organization by name',
      description: 'Among the caller\u2019s organizations (as GET /organizations lists them), case-insensitively. Several with that name → 409.',
      params: NameParams,
      response: { 200: OrganizationResponse, ...errorResponses },
    },
  }, async (request) => {
    const { name } = request.params;
    const wanted = name.toLowerCase();
    if ((FIXED_SEGMENTS as readonly string[]).includes(wanted)) throw fixedSegment(name);
    const matches = (await organizationsOf(services, principalOf(request))).filter((organization) => organization.name.toLowerCase() === wanted);
    if (matches.length === 0) throw new DomainError('not_found', 'not_found', `No organization named "${name}" among yours.`, undefined, 'Organization');
    if (matches.length > 1) {
      throw conflict(`Several of your organizations are named "${name}" (names are unique among siblings only): use their ids (${matches.map((m) => m.id).join(', ')}).`, 'ambiguous_name');
    }
    return { organization: toOrganizationResource(matches[0]!) };
  });
};

const fixedSegment = (name: string) =>
  new DomainError(
    'not_found',
    'not_found',
    `/organizations/${name} is a fixed path, not an organization name: ${FIXED_SEGMENTS.join(', ')} are reserved here; reach such an organization by its id.`,
    undefined,
    'Organization',
  );
