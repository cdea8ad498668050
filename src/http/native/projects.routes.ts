import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { CreateProjectBody, PatchProjectBody, ProjectSchema } from '../../domain/projects/projects.schemas.js';
import { toProject } from '../../domain/projects/projects.service.js';
import type { Services } from '../../services.js';
import { principalOf } from '../principal.js';
import { done, emptyEnvelope, envelope, listEnvelope, ok, okPage, PageQuery } from './envelope.js';
import { OrganizationParams } from './params.js';

const tags = ['Projects'];

const ProjectParams = Type.Object({
  organizationId: Type.String({ format: 'uuid', description: 'ID of the organization.' }),
  projectId: Type.String({ format: 'uuid', description: 'ID of the project.' }),
});

export const projectRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { projects } = services;

  app.get('/organizations/:organizationId/projects', {
    schema: {
      tags,
      summary: 'List projects',
      params: OrganizationParams,
      querystring: Type.Object(PageQuery, { additionalProperties: false }),
      response: listEnvelope(ProjectSchema),
    },
  }, async (request) => {
    const page = await projects.list(principalOf(request), request.params.organizationId, request.query);
    return okPage(request, { items: page.items.map(toProject), nextCursor: page.nextCursor });
  });

  app.post('/organizations/:organizationId/projects', {
    schema: { tags, summary: 'Create a project', params: OrganizationParams, body: CreateProjectBody, response: envelope(ProjectSchema) },
  }, async (request) => ok(request, toProject(await projects.create(principalOf(request), request.params.organizationId, request.body))));

  app.get('/organizations/:organizationId/projects/:projectId', {
    schema: { tags, summary: 'Get a project', params: ProjectParams, response: envelope(ProjectSchema) },
  }, async (request) => ok(request, toProject(await projects.get(principalOf(request), request.params.organizationId, request.params.projectId))));

  app.patch('/organizations/:organizationId/projects/:projectId', {
    schema: { tags, summary: 'Update a project', params: ProjectParams, body: PatchProjectBody, response: envelope(ProjectSchema) },
  }, async (request) =>
    ok(request, toProject(await projects.update(principalOf(request), request.params.organizationId, request.params.projectId, request.body))));

  app.delete('/organizations/:organizationId/projects/:projectId', {
    schema: {
      tags,
      summary: 'Delete a project',
      description: 'An organization keeps at least one project: deleting the last one is a 409 `last_project`.',
      params: ProjectParams,
      response: emptyEnvelope(),
    },
  }, async (request) => {
    await projects.delete(principalOf(request), request.params.organizationId, request.params.projectId);
    return done(request);
  });
};
