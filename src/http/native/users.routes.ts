import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  CreatePersonalKeyBody,
  CreatePersonalKeyResultSchema,
  CreateUserBody,
  PersonalKeySchema,
  UserSchema,
} from '../../domain/users/users.schemas.js';
import { ProjectSchema, SetActiveProjectBody } from '../../domain/projects/projects.schemas.js';
import { toProject } from '../../domain/projects/projects.service.js';
import type { Services } from '../../services.js';
import { principalOf } from '../principal.js';
import { done, emptyEnvelope, envelope, listEnvelope, ok, okPage, PageQuery } from './envelope.js';
import { UserKeyParams, UserParams } from './params.js';

const tags = ['Users'];

export const userRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { users, personalKeys } = services;

  app.post('/users', {
    schema: { tags, summary: 'Create a user (root key only)', body: CreateUserBody, response: envelope(UserSchema) },
  }, async (request) => ok(request, await users.create(principalOf(request), request.body)));

  app.get('/users/:userId', {
    schema: { tags, summary: 'Get a user (root, or the user\u2019s own personal key)', params: UserParams, response: envelope(UserSchema) },
  }, async (request) => ok(request, await users.get(principalOf(request), request.params.userId)));

  app.get('/users/:userId/activeProject', {
    schema: {
      tags,
      summary: 'Get the user\u2019s active project',
      description: 'Root or the user themself. The chosen project while the user can still reach it, else the oldest project of their oldest membership.',
      params: UserParams,
      response: envelope(ProjectSchema),
    },
  }, async (request) => ok(request, toProject(await users.getActiveProject(principalOf(request), request.params.userId))));

  app.put('/users/:userId/activeProject', {
    schema: {
      tags,
      summary: 'Choose the user\u2019s active project',
      description: 'Root or the user themself. The project must be in a live organization the user is a member of.',
      params: UserParams,
      body: SetActiveProjectBody,
      response: envelope(ProjectSchema),
    },
  }, async (request) =>
    ok(request, toProject(await users.setActiveProject(principalOf(request), request.params.userId, request.body.projectId))));

  app.get('/users/:userId/keys', {
    schema: {
      tags,
      summary: 'List the user\u2019s personal API keys',
      params: UserParams,
      querystring: Type.Object(PageQuery, { additionalProperties: false }),
      response: listEnvelope(PersonalKeySchema),
    },
  }, async (request) => okPage(request, await personalKeys.list(principalOf(request), request.params.userId, request.query)));

  app.post('/users/:userId/keys', {
    schema: {
      tags,
      summary: 'Create a personal API key',
      description: 'Root or the user themself. The secret is returned once; send it as `Authorization: Bearer <keySecret>`.',
      params: UserParams,
      body: CreatePersonalKeyBody,
      response: envelope(CreatePersonalKeyResultSchema),
    },
  }, async (request) => ok(request, await personalKeys.create(principalOf(request), request.params.userId, request.body)));

  app.delete('/users/:userId/keys/:keyId', {
    schema: { tags, summary: 'Delete a personal API key', params: UserKeyParams, response: emptyEnvelope() },
  }, async (request) => {
    await personalKeys.delete(principalOf(request), request.params.userId, request.params.keyId);
    return done(request);
  });
};
