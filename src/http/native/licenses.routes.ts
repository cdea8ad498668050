import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { invalid } from '../../domain/errors.js';
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
      summary: 'Install or create a license (Orgbase extension)',
      description:
        'Admins. Exactly one of `licenseKey` and `licenseType` (both or neither → 400 naming the field). ' +
        'A `licenseKey` is verified offline against ORGBASE_LICENSE_PUBLIC_KEYS: malformed, tampered, unknown-key or expired keys → 400. ' +
        'A `licenseType` makes the server sign a license of that configured type (ORGBASE_LICENSE_TYPES), bound to the organization and expiring after the type\u2019s days: ' +
        'a type that is not configured → 400 `unknown_license_type`; no ORGBASE_LICENSE_SIGNING_KEY → 400 `license_issuing_disabled`. ' +
        'Either way, limits below what the organization has → 409 `license_below_usage`, and nothing changes.',
      params: OrganizationParams,
      body: InstallLicenseBody,
      response: envelope(LicenseViewSchema),
    },
  }, async (request) => {
    const { licenseKey, licenseType } = exactlyOne(request.body);
    const principal = principalOf(request);
    const { organizationId } = request.params;
    const view =
      licenseKey !== undefined
        ? await licenses.install(principal, organizationId, licenseKey)
        : await licenses.installType(principal, organizationId, licenseType, { field: 'licenseType' });
    return ok(request, view);
  });
};

/** The one field given; both or neither is a 400 naming the field. */
function exactlyOne(body: InstallLicenseBody): { licenseKey: string; licenseType?: undefined } | { licenseKey?: undefined; licenseType: string } {
  const { licenseKey, licenseType } = body;
  if (licenseKey !== undefined && licenseType !== undefined) throw invalid('licenseType', 'body field licenseType cannot be given with licenseKey: give exactly one of them');
  if (licenseKey !== undefined) return { licenseKey };
  if (licenseType !== undefined) return { licenseType };
  throw invalid('licenseKey', 'body field licenseKey (a license key) or licenseType (a license type to create) is required');
}
