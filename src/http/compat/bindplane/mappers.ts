/** Domain records as Bindplane resources (`{apiVersion, kind, metadata, spec, status}`). */
import type { MemberRecord } from '../../../domain/memberships/memberships.queries.js';
import type { ProjectRow } from '../../../domain/projects/projects.queries.js';
import { API_VERSION } from './schemas.js';

/** Bindplane's name is its identifier; Orgbase's is the organization name, shown as both. */
export const toOrganizationResource = (organization: { id: string; name: string }) => ({
  apiVersion: API_VERSION,
  kind: 'Organization' as const,
  metadata: { id: organization.id, name: organization.name, displayName: organization.name, labels: {} },
  spec: {},
  status: {},
});

/** A project is an "Account"; it never carries a `secretKey` (Orgbase projects have none). */
export const toAccountResource = (project: ProjectRow) => ({
  apiVersion: API_VERSION,
  kind: 'Account' as const,
  metadata: {
    id: project.id,
    name: project.name,
    displayName: project.name,
    ...(project.description !== '' && { description: project.description }),
    labels: {},
    dateModified: project.updated_at.toISOString(),
  },
  spec: {},
  status: {},
});

/** A member as a User; `activeAccount` only for the caller's own user (others' choices are theirs). */
export function toUserResource(member: MemberRecord, activeAccount: string | undefined) {
  const displayName = `${member.user.firstName} ${member.user.lastName}`.trim();
  return {
    apiVersion: API_VERSION,
    kind: 'User' as const,
    metadata: { id: member.user.id, name: member.user.email, ...(displayName !== '' && { displayName }), labels: {} },
    spec: { email: member.user.email, ...(activeAccount !== undefined && { activeAccount }) },
    status: {},
  };
}
