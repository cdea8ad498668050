/**
 * `/orgs/{org_id}` (GET, PATCH, DELETE), `/orgs/{org_id}/children` (provisioning) and `/org`
 * (the caller's own organization, registered under its own prefix: see index.ts).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { LEVEL } from '../../../domain/access.js';
import { DomainError, invalid, notFound } from '../../../domain/errors.js';
import type { Services } from '../../../services.js';
import { principalOf } from '../../principal.js';
import { errorResponses } from './errors.js';
import { currentOrganizationId, loadOrg } from './organization.js';
import { NoContent, Org, OrgParams, PatchOrgBody, ProvisionBody, type ROLES } from './schemas.js';

const tags = ['Locktera'];

/** The first user's membership level for each Locktera role. */
const LEVEL_OF_ROLE: Record<(typeof ROLES)[number], number> = {
  org: LEVEL.owner,
  group: LEVEL.owner,
  org_admin: LEVEL.owner,
  user_admin: LEVEL.admin,
  user: LEVEL.member,
};

/** The core says `name`; the client said `org_name` (L1) or `name` (L2): errors use the client's word. */
const patchFields = (request: FastifyRequest) => {
  const body = (request.body ?? {}) as { org_name?: unknown; name?: unknown };
  return { ...(body.org_name !== undefined && body.name === undefined && { name: 'org_name' }), parentId: 'parent_org_id' };
};

export const lockteraCurrentOrganizationRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.get('/', {
    schema: {
      tags,
      operationId: 'locktera_get_current_org',
      summary: 'Retrieve organization information',
      description: 'The API key\u2019s organization: an organization key\u2019s own; a personal key\u2019s user\u2019s active project\u2019s. The root key has none (400).',
      response: { 200: Org, ...errorResponses },
    },
  }, async (request) => {
    const principal = principalOf(request);
    return loadOrg(services, principal, await currentOrganizationId(services, principal));
  });
};

export const lockteraOrganizationRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.get('/:org_id', {
    schema: {
      tags,
      operationId: 'locktera_get_org',
      summary: 'Retrieve organization information',
      params: OrgParams,
      response: { 200: Org, ...errorResponses },
    },
  }, async (request) => loadOrg(services, principalOf(request), request.params.org_id));

  app.patch('/:org_id', {
    schema: {
      tags,
      operationId: 'locktera_update_org',
      summary: 'Update organization details',
      description:
        'Admins. `org_name` (or L2\u2019s `name`) renames, `parent_org_id` moves, `customizations` is a JSON merge patch (RFC 7396); ' +
        'all of it is one change: it happens whole or not at all.',
      params: OrgParams,
      body: PatchOrgBody,
      response: { 200: Org, ...errorResponses },
    },
    config: { lockteraFields: patchFields },
  }, async (request) => {
    const principal = principalOf(request);
    const { org_id: id } = request.params;
    const { org_name, name, parent_org_id, customizations, id: bodyId } = request.body;
    if (bodyId !== undefined && bodyId.toLowerCase() !== id) throw invalid('id', 'id: an organization\u2019s id cannot change; it must be the one in the path.');
    if (org_name !== undefined && name !== undefined && org_name.trim() !== name.trim()) {
      throw invalid('name', 'name: org_name and name are the same field; they must be equal when both are given.');
    }
    const newName = org_name ?? name;
    await services.organizations.update(principal, id, {
      ...(newName !== undefined && { name: newName }),
      ...(parent_org_id !== undefined && { parentId: parent_org_id }),
      ...(customizations !== undefined && { customizations }),
    });
    return loadOrg(services, principal, id);
  });

  app.delete('/:org_id', {
    schema: {
      tags,
      operationId: 'locktera_delete_org',
      summary: 'Delete organization',
      description: 'Admins. Deletes the organization and its descendants.',
      params: OrgParams,
      response: { 204: NoContent('Organization deleted successfully'), ...errorResponses },
    },
  }, async (request, reply) => {
    await services.organizations.delete(principalOf(request), request.params.org_id);
    return reply.status(204).send(null);
  });

  app.post('/:org_id/children', {
    schema: {
      tags,
      operationId: 'locktera_provision_child',
      summary: 'Provision organization with a new user',
      description:
        'Admins of the organization. Creates a child organization named `org_name` whose first member is the user with `email` ' +
        '(found case-insensitively, or created with `first_name`/`last_name`), at the level its `role` gives. One transaction. ' +
        '204 with `Location: /orgs/{child id}`.',
      params: OrgParams,
      body: ProvisionBody,
      response: { 204: NoContent('User provisioned successfully within organization'), ...errorResponses },
    },
    config: { lockteraFields: { name: 'org_name', parentId: 'org_id', firstName: 'first_name', lastName: 'last_name' } },
  }, async (request, reply) => {
    const { org_id: parentId } = request.params;
    const { org_name, email, first_name, last_name, role } = request.body;
    const { organization } = await services.organizations
      .createWithSetup(principalOf(request), { name: org_name, parentId }, {
        owner: { email, firstName: first_name ?? '', lastName: last_name ?? '', level: LEVEL_OF_ROLE[role ?? 'org'] },
      })
      .catch((error: unknown) => {
        // The parent is the path's organization: one that does not exist is not found, not a bad field.
        throw error instanceof DomainError && error.code === 'unknown_parent' ? notFound('Organization', parentId) : error;
      });
    return reply.status(204).header('location', `/orgs/${organization.id}`).send(null);
  });
};
