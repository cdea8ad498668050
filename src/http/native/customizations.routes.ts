import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CustomizationsPatchSchema, CustomizationsSchema } from '../../domain/customizations/customizations.schemas.js';
import type { Services } from '../../services.js';
import { principalOf } from '../principal.js';
import { envelope, ok } from './envelope.js';
import { OrganizationParams } from './params.js';

const tags = ['Customizations'];

/** `GET|PUT|PATCH /organizations/{id}/customizations` (Orgbase extension): the body is the object itself. */
export const customizationRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { customizations } = services;

  // RFC 7396 names its own media type; it is JSON, parsed as strictly as application/json.
  app.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));

  app.get('/organizations/:organizationId/customizations', {
    schema: {
      tags,
      summary: "Get the organization's customizations (Orgbase extension)",
      description: 'Anyone who may read the organization. `{}` until set.',
      params: OrganizationParams,
      response: envelope(CustomizationsSchema),
    },
  }, async (request) => ok(request, await customizations.get(principalOf(request), request.params.organizationId)));

  app.put('/organizations/:organizationId/customizations', {
    config: { verbatimBody: true },
    schema: {
      tags,
      summary: "Replace the organization's customizations (Orgbase extension)",
      description: 'Admins. The body is the new object; the change is recorded as `organization_update_customizations` with the old and new objects.',
      params: OrganizationParams,
      body: CustomizationsSchema,
      response: envelope(CustomizationsSchema),
    },
  }, async (request) =>
    ok(request, await customizations.replace(principalOf(request), request.params.organizationId, request.body)));

  app.patch('/organizations/:organizationId/customizations', {
    config: { verbatimBody: true },
    schema: {
      tags,
      summary: "Merge-patch the organization's customizations (RFC 7396, Orgbase extension)",
      description:
        'Admins. Content-Type `application/merge-patch+json` or `application/json`. Members set to null are removed, objects merge, arrays and other values replace; the limits apply to the result.',
      params: OrganizationParams,
      body: CustomizationsPatchSchema,
      response: envelope(CustomizationsSchema),
    },
  }, async (request) =>
    ok(request, await customizations.patch(principalOf(request), request.params.organizationId, request.body)));
};
