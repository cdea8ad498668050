/**
 * The current organization's projects ("accounts") and users, and every organization of the
 * caller with its projects. `projects` is Bindplane's newer spelling of `accounts`: same routes.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Principal } from '../../../domain/principal.js';
import type { Services } from '../../../services.js';
import { principalOf } from '../../principal.js';
import { errorResponses } from './errors.js';
import { toAccountResource, toOrganizationResource, toUserResource } from './mappers.js';
import { allPages, currentOrganization, organizationsOf } from './organization.js';
import { AccountsResponse, AllAccountsResponse, UsersResponse } from './schemas.js';

const tags = ['Bindplane: organizations'];

export const bindplaneAccountRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const projectsOf = (principal: Principal, organizationId: string) => allPages((page) => services.projects.list(principal, organizationId, page));

  for (const segment of ['accounts', 'projects']) {
    app.get(`/organizations/${segment}`, {
      schema: {
        tags,
        operationId: `bindplane_list_${segment}`,
        summary: 'Get all projects of the current organization',
        description: 'The current organization: an organization key\u2019s own; a personal key\u2019s user\u2019s active project\u2019s. The root key has none (400).',
        response: { 200: AccountsResponse, ...errorResponses },
      },
    }, async (request) => {
      const principal = principalOf(request);
      const { organizationId } = await currentOrganization(services, principal);
      return { accounts: (await projectsOf(principal, organizationId)).map(toAccountResource) };
    });

    app.get(`/organizations/${segment}/all`, {
      schema: {
        tags,
        operationId: `bindplane_list_all_${segment}`,
        summary: 'Get All Organizations and Projects',
        description:
          'Every organization of the caller with its projects. `activeAccountId`: a personal key\u2019s user\u2019s active project (when listed); an organization key\u2019s oldest project; "" when there is none.',
        response: { 200: AllAccountsResponse, ...errorResponses },
      },
    }, async (request) => {
      const principal = principalOf(request);
      const organizations = await organizationsOf(services, principal);
      const organizationAccounts = [];
      for (const organization of organizations) {
        const accounts = (await projectsOf(principal, organization.id)).map(toAccountResource);
        organizationAccounts.push({ accounts, organization: toOrganizationResource(organization), ssoEnabled: false });
      }
      const listed = organizationAccounts.flatMap((entry) => entry.accounts.map((account) => account.metadata.id));
      let activeAccountId = principal.kind === 'organization_key' ? (listed[0] ?? '') : '';
      if (principal.kind === 'personal_key' && listed.length > 0) {
        const active = (await currentOrganization(services, principal)).activeProjectId;
        // A key limited to some organizations shows nothing of the others, its user's choice included.
        if (active !== undefined && listed.includes(active)) activeAccountId = active;
      }
      return { activeAccountId, organizationAccounts };
    });
  }

  app.get('/organizations/users', {
    schema: {
      tags,
      operationId: 'bindplane_list_users',
      summary: 'Get all users of the current organization',
      description: 'Its members. `spec.activeAccount` is shown for the caller\u2019s own user only.',
      response: { 200: UsersResponse, ...errorResponses },
    },
  }, async (request) => {
    const principal = principalOf(request);
    const { organizationId, activeProjectId } = await currentOrganization(services, principal);
    const members = await allPages((page) => services.memberships.list(principal, organizationId, page));
    const self = principal.kind === 'personal_key' ? principal.userId : undefined;
    return { users: members.map((member) => toUserResource(member, member.user.id === self ? activeProjectId : undefined)) };
  });
};
