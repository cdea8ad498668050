import type { FastifyRequest } from 'fastify';
import { resolveOrganizationId } from '../../../domain/current-organization.js';
import type { Services } from '../../../services.js';
import { principalOf } from '../../principal.js';

/** The principal, and the organization a PostHog path names (its id, or `@current`). */
export async function callerAndOrganization(services: Services, request: FastifyRequest) {
  const principal = principalOf(request);
  const reference = (request.params as { organization_id: string }).organization_id;
  return { principal, organizationId: await resolveOrganizationId(services.db, principal, reference) };
}
