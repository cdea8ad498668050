/** `/api/organizations/{organization_id}/members/…` and `invites/…`. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Services } from '../../../services.js';
import { PostHogErrorSchema, type ErrorOverrides } from './errors.js';
import { toInvite, toOrganizationMember, toPaginated } from './mappers.js';
import { callerAndOrganization } from './organization.js';
import {
  CreateInviteBody,
  InviteParams,
  MemberParams,
  MembersQuery,
  OrganizationInviteSchema,
  OrganizationMemberSchema,
  OrganizationParams,
  PageQuery,
  paginated,
  UpdateMemberBody,
} from './schemas.js';

const errors = { 400: PostHogErrorSchema, 401: PostHogErrorSchema, 403: PostHogErrorSchema, 404: PostHogErrorSchema, 413: PostHogErrorSchema };
const noContent = { 204: Type.Null({ description: 'No response body' }), ...errors };

/** PostHog's wording where it has one. */
const inviteErrors: ErrorOverrides = {
  already_member: { detail: 'A user with this email address already belongs to the organization.' },
};
/** PostHog deletes an invite once it is used: a used one is not there to delete. */
const usedInvite: ErrorOverrides = {
  invitation_used: { status: 404, type: 'invalid_request', code: 'not_found', detail: 'Not found.', attr: null },
};

export const postHogMemberRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { memberships, invitations } = services;
  const members = '/organizations/:organization_id/members/';
  const invites = '/organizations/:organization_id/invites/';

  app.get(members, {
    schema: { tags: ['PostHog: members'], operationId: 'members_list', params: OrganizationParams, querystring: MembersQuery, response: { 200: paginated(OrganizationMemberSchema), ...errors } },
  }, async (request) => {
    const { principal, organizationId } = await callerAndOrganization(services, request);
    const { order, ...slice } = request.query;
    return toPaginated(request, await memberships.slice(principal, organizationId, { ...slice, oldestFirst: order === 'joined_at' }), toOrganizationMember);
  });

  const update = {
    description: "Nobody changes their own level or raises anyone above their own; only admins edit others; one owner always remains.",
    params: MemberParams,
    body: UpdateMemberBody,
    response: { 200: OrganizationMemberSchema, ...errors },
  };
  const updateMember = async (request: Parameters<typeof callerAndOrganization>[1], userId: string, level: 1 | 8 | 15) => {
    const { principal, organizationId } = await callerAndOrganization(services, request);
    return toOrganizationMember(await memberships.update(principal, organizationId, userId, { level }));
  };
  app.put(`${members}:user__uuid/`, { schema: { tags: ['PostHog: members'], operationId: 'members_update', ...update } },
    async (request) => updateMember(request, request.params.user__uuid, request.body.level));
  app.patch(`${members}:user__uuid/`, { schema: { tags: ['PostHog: members'], operationId: 'members_partial_update', ...update } },
    async (request) => updateMember(request, request.params.user__uuid, request.body.level));

  app.delete(`${members}:user__uuid/`, {
    schema: { tags: ['PostHog: members'], operationId: 'members_destroy', description: 'Removes a member, or leaves when it is the caller.', params: MemberParams, response: noContent },
  }, async (request, reply) => {
    const { principal, organizationId } = await callerAndOrganization(services, request);
    await memberships.remove(principal, organizationId, request.params.user__uuid);
    return reply.status(204).send(null);
  });

  app.get(invites, {
    schema: { tags: ['PostHog: invites'], operationId: 'invites_list', description: 'Pending invites, newest first.', params: OrganizationParams, querystring: PageQuery, response: { 200: paginated(OrganizationInviteSchema), ...errors } },
  }, async (request) => {
    const { principal, organizationId } = await callerAndOrganization(services, request);
    return toPaginated(request, await invitations.slicePending(principal, organizationId, request.query), toInvite);
  });

  app.post(invites, {
    config: { posthogErrors: inviteErrors, posthogFields: { email: 'target_email' } },
    schema: { tags: ['PostHog: invites'], operationId: 'invites_create', description: 'Valid for 7 days. The invited user accepts with POST /v1/invitations/{id}/accept.', params: OrganizationParams, body: CreateInviteBody, response: { 201: OrganizationInviteSchema, ...errors } },
  }, async (request, reply) => {
    const { principal, organizationId } = await callerAndOrganization(services, request);
    const body = request.body;
    const invite = await invitations.create(principal, organizationId, {
      email: body.target_email,
      level: body.level,
      firstName: body.first_name,
      message: body.message,
      replacePending: body.combine_pending_invites,
    });
    return reply.status(201).send(toInvite(invite));
  });

  app.delete(`${invites}:id/`, {
    config: { posthogErrors: usedInvite },
    schema: { tags: ['PostHog: invites'], operationId: 'invites_destroy', params: InviteParams, response: noContent },
  }, async (request, reply) => {
    const { principal, organizationId } = await callerAndOrganization(services, request);
    await invitations.delete(principal, organizationId, request.params.id);
    return reply.status(204).send(null);
  });
};
