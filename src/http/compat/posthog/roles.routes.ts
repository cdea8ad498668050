/** `/api/organizations/{organization_id}/roles/…` and their `role_memberships/`. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { RolePermission } from '../../../domain/roles/roles.schemas.js';
import type { Services } from '../../../services.js';
import { PostHogErrorSchema, type ErrorOverrides } from './errors.js';
import { toPaginated, toRole, toRoleMembership } from './mappers.js';
import { callerAndOrganization } from './organization.js';
import {
  CreateRoleBody,
  CreateRoleMembershipBody,
  OrganizationParams,
  PageQuery,
  paginated,
  PatchRoleBody,
  RoleMembershipParams,
  RoleMembershipSchema,
  RoleMembershipsParams,
  RoleParams,
  RoleSchema,
} from './schemas.js';

const errors = { 400: PostHogErrorSchema, 401: PostHogErrorSchema, 403: PostHogErrorSchema, 404: PostHogErrorSchema, 413: PostHogErrorSchema };
const tags = ['PostHog: roles'];
const noContent = { 204: Type.Null({ description: 'No response body' }), ...errors };

/** PostHog's wording for a duplicate name. */
const roleErrors: ErrorOverrides = { unique: { detail: 'There is already a role with this name.' } };
/** PostHog's role-membership view reports these as plain validation errors, not 404/409. */
const grantErrors: ErrorOverrides = {
  'not_found:Role': { status: 400, type: 'validation_error', code: 'invalid_input', detail: 'Role does not exist.', attr: null },
  not_a_member: { code: 'invalid_input', detail: 'User does not exist.', attr: null },
  already_in_role: { code: 'invalid_input', detail: 'User is already part of the role.', attr: null },
};

export const postHogRoleRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { roles } = services;
  const base = '/organizations/:organization_id/roles/';

  app.get(base, {
    schema: { tags, operationId: 'roles_list', params: OrganizationParams, querystring: PageQuery, response: { 200: paginated(RoleSchema), ...errors } },
  }, async (request) => {
    const { principal, organizationId } = await callerAndOrganization(services, request);
    return toPaginated(request, await roles.slice(principal, organizationId, request.query), toRole);
  });

  app.post(base, {
    config: { posthogErrors: roleErrors },
    schema: { tags, operationId: 'roles_create', params: OrganizationParams, body: CreateRoleBody, response: { 201: RoleSchema, ...errors } },
  }, async (request, reply) => {
    const { principal, organizationId } = await callerAndOrganization(services, request);
    const { name, permissions } = request.body;
    return reply.status(201).send(toRole(await roles.create(principal, organizationId, { name, ...(permissions && { permissions }) })));
  });

  app.get(`${base}:id/`, {
    schema: { tags, operationId: 'roles_retrieve', params: RoleParams, response: { 200: RoleSchema, ...errors } },
  }, async (request) => {
    const { principal, organizationId } = await callerAndOrganization(services, request);
    return toRole(await roles.get(principal, organizationId, request.params.id));
  });

  const update = async (request: FastifyRequest, id: string, body: { name?: string | undefined; permissions?: RolePermission[] | undefined }) => {
    const { principal, organizationId } = await callerAndOrganization(services, request);
    const { name, permissions } = body;
    return toRole(await roles.update(principal, organizationId, id, { ...(name !== undefined && { name }), ...(permissions && { permissions }) }));
  };
  app.put(`${base}:id/`, {
    config: { posthogErrors: roleErrors },
    schema: { tags, operationId: 'roles_update', params: RoleParams, body: CreateRoleBody, response: { 200: RoleSchema, ...errors } },
  }, async (request) => update(request, request.params.id, request.body));
  app.patch(`${base}:id/`, {
    config: { posthogErrors: roleErrors },
    schema: { tags, operationId: 'roles_partial_update', params: RoleParams, body: PatchRoleBody, response: { 200: RoleSchema, ...errors } },
  }, async (request) => update(request, request.params.id, request.body));

  app.delete(`${base}:id/`, {
    schema: { tags, operationId: 'roles_destroy', description: 'Its memberships go with it.', params: RoleParams, response: noContent },
  }, async (request, reply) => {
    const { principal, organizationId } = await callerAndOrganization(services, request);
    await roles.delete(principal, organizationId, request.params.id);
    return reply.status(204).send(null);
  });

  const grants = `${base}:role_id/role_memberships/`;

  app.get(grants, {
    schema: { tags, operationId: 'roles_role_memberships_list', params: RoleMembershipsParams, querystring: PageQuery, response: { 200: paginated(RoleMembershipSchema), ...errors } },
  }, async (request) => {
    const { principal, organizationId } = await callerAndOrganization(services, request);
    return toPaginated(request, await roles.sliceMembers(principal, organizationId, request.params.role_id, request.query), toRoleMembership);
  });

  app.post(grants, {
    config: { posthogErrors: grantErrors, posthogFields: { userId: 'user_uuid' } },
    schema: { tags, operationId: 'roles_role_memberships_create', params: RoleMembershipsParams, body: CreateRoleMembershipBody, response: { 201: RoleMembershipSchema, ...errors } },
  }, async (request, reply) => {
    const { principal, organizationId } = await callerAndOrganization(services, request);
    const grant = await roles.addMember(principal, organizationId, request.params.role_id, request.body.user_uuid);
    return reply.status(201).send(toRoleMembership(grant));
  });

  app.get(`${grants}:id/`, {
    schema: { tags, operationId: 'roles_role_memberships_retrieve', params: RoleMembershipParams, response: { 200: RoleMembershipSchema, ...errors } },
  }, async (request) => {
    const { principal, organizationId } = await callerAndOrganization(services, request);
    return toRoleMembership(await roles.getMember(principal, organizationId, request.params.role_id, request.params.id));
  });

  app.delete(`${grants}:id/`, {
    schema: { tags, operationId: 'roles_role_memberships_destroy', params: RoleMembershipParams, response: noContent },
  }, async (request, reply) => {
    const { principal, organizationId } = await callerAndOrganization(services, request);
    await roles.removeMember(principal, organizationId, request.params.role_id, request.params.id);
    return reply.status(204).send(null);
  });
};
