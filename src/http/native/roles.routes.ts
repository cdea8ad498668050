import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  CreateRoleBody,
  CreateRoleMembershipBody,
  PatchRoleBody,
  RoleMembershipSchema,
  RoleSchema,
} from '../../domain/roles/roles.schemas.js';
import type { Services } from '../../services.js';
import { principalOf } from '../principal.js';
import { done, emptyEnvelope, envelope, listEnvelope, mapPage, ok, okPage, PageQuery } from './envelope.js';
import { OrganizationParams, RoleMembershipParams, RoleParams } from './params.js';
import { toRole, toRoleMembership } from './people.mappers.js';

const tags = ['Roles'];

export const roleRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { roles } = services;

  app.get('/organizations/:organizationId/roles', {
    schema: {
      tags,
      summary: 'List custom roles',
      params: OrganizationParams,
      querystring: Type.Object(PageQuery, { additionalProperties: false }),
      response: listEnvelope(RoleSchema),
    },
  }, async (request) => okPage(request, mapPage(await roles.list(principalOf(request), request.params.organizationId, request.query), toRole)));

  app.post('/organizations/:organizationId/roles', {
    schema: {
      tags,
      summary: 'Create a custom role',
      description: 'A member granted a role with `<object>:write` may do that object\u2019s admin-gated actions.',
      params: OrganizationParams,
      body: CreateRoleBody,
      response: envelope(RoleSchema),
    },
  }, async (request) => ok(request, toRole(await roles.create(principalOf(request), request.params.organizationId, request.body))));

  app.get('/organizations/:organizationId/roles/:roleId', {
    schema: { tags, summary: 'Get a custom role', params: RoleParams, response: envelope(RoleSchema) },
  }, async (request) => ok(request, toRole(await roles.get(principalOf(request), request.params.organizationId, request.params.roleId))));

  app.patch('/organizations/:organizationId/roles/:roleId', {
    schema: { tags, summary: 'Update a custom role', params: RoleParams, body: PatchRoleBody, response: envelope(RoleSchema) },
  }, async (request) =>
    ok(request, toRole(await roles.update(principalOf(request), request.params.organizationId, request.params.roleId, request.body))));

  app.delete('/organizations/:organizationId/roles/:roleId', {
    schema: { tags, summary: 'Delete a custom role (its grants go with it)', params: RoleParams, response: emptyEnvelope() },
  }, async (request) => {
    await roles.delete(principalOf(request), request.params.organizationId, request.params.roleId);
    return done(request);
  });

  app.get('/organizations/:organizationId/roles/:roleId/memberships', {
    schema: { tags, summary: 'List the members granted a role', params: RoleParams, response: envelope(Type.Array(RoleMembershipSchema)) },
  }, async (request) =>
    ok(request, (await roles.listMembers(principalOf(request), request.params.organizationId, request.params.roleId)).map(toRoleMembership)));

  app.post('/organizations/:organizationId/roles/:roleId/memberships', {
    schema: {
      tags,
      summary: 'Grant a role to a member of the organization',
      params: RoleParams,
      body: CreateRoleMembershipBody,
      response: envelope(RoleMembershipSchema),
    },
  }, async (request) =>
    ok(request, toRoleMembership(await roles.addMember(principalOf(request), request.params.organizationId, request.params.roleId, request.body.userId))));

  app.delete('/organizations/:organizationId/roles/:roleId/memberships/:membershipId', {
    schema: { tags, summary: 'Revoke a role from a member', params: RoleMembershipParams, response: emptyEnvelope() },
  }, async (request) => {
    const { organizationId, roleId, membershipId } = request.params;
    await roles.removeMember(principalOf(request), organizationId, roleId, membershipId);
    return done(request);
  });
};
