import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { InstallLicenseBody, LicenseViewSchema } from '../../domain/licenses/license-view.schemas.js';
import type { Services } from '../../services.js';
import { principalOf } from '../principal.js';
import { envelope, ok } from './envelope.js';
import { OrganizationParams } from './params.js';

const tags = ['Licenses'];

export const licenseRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { licenses } = services;

  app.get('/organizations/:organizationId/license', {
    schema: { tags, summary: 'Get the installed license (Orgbase extension)', description: 'The decoded claims and current usage; never the key itself.', params: OrganizationParams, response: envelope(LicenseViewSchema) },
  }, async (request) => ok(request, await licenses.get(principalOf(request), request.params.organizationId)));

  app.put('/organizations/:organizationId/license', {
    schema: {
      tags,
      summary: 'Install a license (Orgbase extension)',
      description:
        'Admins. The key is verified offline against ORGBASE_LICENSE_PUBLIC_KEYS: malformed, tampered, unknown-key or expired keys → 400; limits below what the organization has → 409 `license_below_usage`, and nothing changes.',
      params: OrganizationParams,
      body: InstallLicenseBody,
      response: envelope(LicenseViewSchema),
    },
  }, async (request) => ok(request, await licenses.install(principalOf(request), request.params.organizationId, request.body.licenseKey)));
};
