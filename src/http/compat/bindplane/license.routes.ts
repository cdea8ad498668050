/** `PUT /organization-license` (the current organization) and `PUT /organizations/{id}/license`. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { invalid } from '../../../domain/errors.js';
import type { Services } from '../../../services.js';
import { principalOf } from '../../principal.js';
import { errorResponses } from './errors.js';
import { currentOrganization } from './organization.js';
import { IdParams, OrganizationLicenseBody, UpdateLicenseBody } from './schemas.js';

const tags = ['Bindplane: organizations'];
const noContent = { 204: Type.Null({ description: 'No Content - License key successfully updated' }), ...errorResponses };

export const bindplaneLicenseRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.put('/organization-license', {
    schema: {
      tags,
      operationId: 'bindplane_update_organization_license',
      summary: 'Update Organization License Key',
      description:
        'Installs the key on the current organization (an organization key\u2019s own; a personal key\u2019s user\u2019s active project\u2019s). Admins. Invalid key → 400; limits below usage → 409; nothing changes.',
      body: UpdateLicenseBody,
      response: noContent,
    },
  }, async (request, reply) => {
    const principal = principalOf(request);
    const { organizationId } = await currentOrganization(services, principal);
    await services.licenses.install(principal, organizationId, request.body.licenseKey);
    return reply.status(204).send(null);
  });

  app.put('/organizations/:id/license', {
    schema: {
      tags,
      operationId: 'bindplane_update_license_by_id',
      summary: 'Install a license key, or create a license of a type',
      description:
        'Admins of the organization. `licenseKey` is installed (it wins when both are given); `createLicenseType` makes the server sign a license of that configured type, bound to the organization (400 when the type is not configured or the server has no signing key). Limits below usage → 409.',
      params: IdParams,
      body: OrganizationLicenseBody,
      response: noContent,
    },
  }, async (request, reply) => {
    const principal = principalOf(request);
    const { licenseKey, createLicenseType } = request.body;
    if (licenseKey !== undefined) await services.licenses.install(principal, request.params.id, licenseKey);
    else if (createLicenseType !== undefined) await services.licenses.installType(principal, request.params.id, createLicenseType, { field: 'createLicenseType' });
    else throw invalid('licenseKey', 'request body needs licenseKey or createLicenseType', 'required');
    return reply.status(204).send(null);
  });
};
