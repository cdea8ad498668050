/**
 * `POST /organizations`: Bindplane's sign-up step, "a new organization along with a new project".
 * One core call does all of it in one transaction (organizations.createWithSetup): the
 * organization, its first project named `accountName`, the caller as owner, the license (a key,
 * or one created from `licenseType`) and the project as the caller's active one. A failure leaves
 * nothing behind. What is Bindplane's own is checked here: the EULA, and the key winning over
 * the type ("instead of creating a new license").
 */
import type { Static } from 'typebox';
import { invalid } from '../../../domain/errors.js';
import type { Principal } from '../../../domain/principal.js';
import type { Services } from '../../../services.js';
import { nonBlank } from './organization.js';
import type { CreateOrganizationBody } from './schemas.js';

export async function createOrganizationWithAccount(services: Services, principal: Principal, body: Static<typeof CreateOrganizationBody>) {
  if (body.eulaAccepted === false) throw invalid('eulaAccepted', 'body field eulaAccepted must be true: accept the EULA to create an organization', 'eula_not_accepted');
  const name = nonBlank('organizationName', body.organizationName);
  const { licenseKey, licenseType } = body;
  return services.organizations.createWithSetup(
    principal,
    { name },
    {
      projectName: body.accountName,
      projectNameField: 'accountName',
      license: licenseKey !== undefined ? { key: licenseKey } : licenseType !== undefined ? { type: licenseType, field: 'licenseType' } : undefined,
      activateProject: true,
    },
  );
}
