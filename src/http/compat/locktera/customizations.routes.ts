/** `/orgs/{org_id}/customizations`: the organization's customizations object, read and replaced whole. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../../services.js';
import { principalOf } from '../../principal.js';
import { errorResponses } from './errors.js';
import { Customization, OrgParams } from './schemas.js';

const tags = ['Locktera'];

export const lockteraCustomizationRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.get('/:org_id/customizations', {
    schema: {
      tags,
      operationId: 'locktera_get_customizations',
      summary: 'Retrieve organization customizations',
      params: OrgParams,
      response: { 200: Customization, ...errorResponses },
    },
  }, async (request) => services.customizations.get(principalOf(request), request.params.org_id));

  app.put('/:org_id/customizations', {
    config: { verbatimBody: true },
    schema: {
      tags,
      operationId: 'locktera_replace_customizations',
      summary: 'Update organization customizations',
      description: 'Admins. The body is the new customizations object (L1), which replaces the old one whole; answers with it as stored.',
      params: OrgParams,
      body: Customization,
      response: { 200: Customization, ...errorResponses },
    },
  }, async (request) => services.customizations.replace(principalOf(request), request.params.org_id, request.body));
};
