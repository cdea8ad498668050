import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  AddMemberBody,
  CreateInvitationBody,
  InvitationSchema,
  MemberSchema,
  PatchMemberBody,
} from '../../domain/memberships/memberships.schemas.js';
import type { Services } from '../../services.js';
import { principalOf } from '../principal.js';
import { done, emptyEnvelope, envelope, listEnvelope, mapPage, ok, okPage, PageQuery } from './envelope.js';
import { AcceptParams, InvitationParams, MemberParams, OrganizationParams } from './params.js';
import { toInvitation, toMember } from './people.mappers.js';

const listQuery = Type.Object(PageQuery, { additionalProperties: false });

export const memberRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { memberships, invitations } = services;
  const members = ['User management'];

  app.get('/organizations/:organizationId/members', {
    schema: { tags: members, summary: 'List organization members', params: OrganizationParams, querystring: listQuery, response: listEnvelope(MemberSchema) },
  }, async (request) => okPage(request, mapPage(await memberships.list(principalOf(request), request.params.organizationId, request.query), toMember)));

  app.post('/organizations/:organizationId/members', {
    schema: {
      tags: members,
      summary: 'Add a user to the organization (Orgbase extension, root only)',
      description: 'For the operator to provision members, e.g. a new organization\u2019s first owner. Everyone else joins by invitation.',
      params: OrganizationParams,
      body: AddMemberBody,
      response: envelope(MemberSchema),
    },
  }, async (request) => ok(request, toMember(await memberships.add(principalOf(request), request.params.organizationId, request.body))));

  app.get('/organizations/:organizationId/members/:userId', {
    schema: { tags: members, summary: 'Get organization member details', params: MemberParams, response: envelope(MemberSchema) },
  }, async (request) =>
    ok(request, toMember(await memberships.get(principalOf(request), request.params.organizationId, request.params.userId))));

  app.patch('/organizations/:organizationId/members/:userId', {
    schema: {
      tags: members,
      summary: 'Update organization member role',
      description: 'Nobody changes their own level or raises anyone above their own; only admins edit others; one owner always remains.',
      params: MemberParams,
      body: PatchMemberBody,
      response: envelope(MemberSchema),
    },
  }, async (request) =>
    ok(request, toMember(await memberships.update(principalOf(request), request.params.organizationId, request.params.userId, request.body))));

  app.delete('/organizations/:organizationId/members/:userId', {
    schema: { tags: members, summary: 'Remove an organization member (or leave)', params: MemberParams, response: emptyEnvelope() },
  }, async (request) => {
    await memberships.remove(principalOf(request), request.params.organizationId, request.params.userId);
    return done(request);
  });

  app.get('/organizations/:organizationId/invitations', {
    schema: { tags: members, summary: 'List organization invitations', params: OrganizationParams, querystring: listQuery, response: listEnvelope(InvitationSchema) },
  }, async (request) => okPage(request, mapPage(await invitations.list(principalOf(request), request.params.organizationId, request.query), toInvitation)));

  app.post('/organizations/:organizationId/invitations', {
    schema: {
      tags: members,
      summary: 'Create an invitation',
      description: 'Valid for 7 days. Only the user with this email can accept it.',
      params: OrganizationParams,
      body: CreateInvitationBody,
      response: envelope(InvitationSchema),
    },
  }, async (request) => ok(request, toInvitation(await invitations.create(principalOf(request), request.params.organizationId, request.body))));

  app.get('/organizations/:organizationId/invitations/:invitationId', {
    schema: { tags: members, summary: 'Get invitation details', params: InvitationParams, response: envelope(InvitationSchema) },
  }, async (request) =>
    ok(request, toInvitation(await invitations.get(principalOf(request), request.params.organizationId, request.params.invitationId))));

  app.delete('/organizations/:organizationId/invitations/:invitationId', {
    schema: { tags: members, summary: 'Delete (revoke) an invitation', params: InvitationParams, response: emptyEnvelope() },
  }, async (request) => {
    await invitations.delete(principalOf(request), request.params.organizationId, request.params.invitationId);
    return done(request);
  });

  app.post('/invitations/:invitationId/accept', {
    schema: {
      tags: members,
      summary: 'Accept an invitation (Orgbase extension)',
      description: "With the invited user's personal API key; the user joins at the invitation's level.",
      params: AcceptParams,
      response: envelope(MemberSchema),
    },
  }, async (request) => ok(request, toMember(await invitations.accept(principalOf(request), request.params.invitationId))));
};
