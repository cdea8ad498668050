import type { Clock } from '../../clock.js';
import type { Config } from '../../config.js';
import type { Db } from '../../db/database.js';
import type { PrivateEndpointRow } from '../../db/schema.js';
import type { Ids } from '../../ids.js';
import { isUniqueViolation } from '../../db/errors.js';
import { LEVEL, requireOrganizationAccess, requireScope, requireTopLevelCreator } from '../access.js';
import type { ActivityInput, ActivityRecorder } from '../activities/activity-recorder.js';
import { applyCustomizationsPatch } from '../customizations/customizations.service.js';
import { insertMembership } from '../memberships/memberships.queries.js';
import type { LicenseSource, LicensesService } from '../licenses/licenses.service.js';
import { insertDefaultProject, setActiveProject } from '../projects/projects.queries.js';
import { nameTaken, type HierarchyService } from './hierarchy.service.js';
import type { KeyCache } from '../auth/key-cache.js';
import { notFound } from '../errors.js';
import { pageById, type Page, type PageRequest } from '../pagination.js';
import { requireNonBlankName } from '../names.js';
import type { Principal } from '../principal.js';
import {
  findOrganization,
  findOrganizationProfile,
  insertOrganization,
  listOrganizations,
  listOrganizationsOfUser,
  updateOrganization,
  updateOrganizationAudited,
  type OrganizationRow,
} from './organizations.queries.js';
import type {
  CloudProvider,
  CreateOrganizationInput,
  Organization,
  OrganizationSummary,
  PatchOrganizationInput,
  Region,
} from './organizations.schemas.js';
import { applyPrivateEndpointsPatch } from './private-endpoints.js';
import { provisionFirstMember, type FirstMemberInput } from './first-member.js';

/** What `createWithSetup` does besides creating the organization. */
export interface OrganizationSetup {
  /** The first project's name (default `Default`); `projectNameField` names it in errors. */
  projectName?: string | undefined;
  projectNameField?: string;
  license?: LicenseSource | undefined;
  /** Make the first project the creating user's active one. */
  activateProject?: boolean;
  /**
   * The first member, in place of the creating user: the user with this email (found
   * case-insensitively, or created with these names) at this level — or, for an existing user
   * outside the caller's reach, an invitation (see first-member.ts). Admins of the parent
   * administer the new organization anyway; the creating user is not added.
   */
  owner?: FirstMemberInput | undefined;
}

export interface OrganizationsDeps {
  db: Db;
  clock: Clock;
  ids: Ids;
  config: Pick<Config, 'privateEndpointServices'>;
  activities: ActivityRecorder;
  keyCache: KeyCache;
  hierarchy: HierarchyService;
  licenses: Pick<LicensesService, 'prepare' | 'installPrepared'>;
}

export function createOrganizationsService(deps: OrganizationsDeps) {
  const { db, clock, ids, activities, hierarchy } = deps;

  /**
   * Creates an organization with its first project (named `setup.projectName`, default `Default`),
   * the creating user as owner (or `setup.owner`'s user as first member), optionally a license (a key, or one created from a type) and the
   * project as the user's active one — in ONE transaction: a failure anywhere leaves nothing.
   * The license is verified (or created, for the new id) before anything is written.
   */
  async function createWithSetup(principal: Principal, input: CreateOrganizationInput, setup: OrganizationSetup = {}) {
    const parentId = input.parentId ?? null;
    if (parentId === null) requireTopLevelCreator(principal);
    else await requireOrganizationAccess(db, principal, parentId, 'admin');
    const name = requireNonBlankName(input.name);
    const projectName = setup.projectName === undefined ? undefined : requireNonBlankName(setup.projectName, setup.projectNameField ?? 'projectName');
    const id = ids.uuid();
    const license = setup.license && (await deps.licenses.prepare(id, setup.license));
    return db.transaction().execute(async (trx) => {
      if (parentId !== null) {
        await hierarchy.lockTree(trx);
        await hierarchy.requireRoomUnder(trx, parentId, 1);
      }
      const now = clock.now();
      const row = await insertOrganization(trx, {
        id,
        parent_id: parentId,
        name,
        private_endpoints: '[]',
        byoc_config: '[]',
        created_at: now,
        updated_at: now,
      }).catch((error: unknown) => {
        throw isUniqueViolation(error) ? nameTaken(name) : error;
      });
      // Every organization has a project from the start.
      const userId = principal.kind === 'personal_key' ? principal.userId : null;
      const project = await insertDefaultProject(trx, { id: ids.uuid(), organizationId: id, now, createdBy: userId, ...(projectName && { name: projectName }) });
      // Listed newest first, the creation itself heads the organization's trail.
      const recorded: ActivityInput[] = [
        { type: 'project_create', organizationId: id, projectId: project.id, targetId: project.id, changes: { name: { old: null, new: project.name } } },
        { type: 'create_organization', organizationId: id, changes: { name: { old: null, new: name }, ...(parentId && { parentId: { old: null, new: parentId } }) } },
      ];
      if (parentId !== null) recorded.push({ type: 'organization_child_create', organizationId: parentId, targetId: id, changes: { name: { old: null, new: name } } });
      const first = setup.owner && (await provisionFirstMember(trx, ids, principal, { organizationId: id, parentId }, setup.owner, now));
      if (first) recorded.push(...first.invited);
      const member = first ? first.member : userId === null ? null : { userId, level: LEVEL.owner };
      if (member !== null) {
        await insertMembership(trx, { id: ids.uuid(), organization_id: id, user_id: member.userId, level: member.level, joined_at: now, updated_at: now });
        recorded.push({ type: 'organization_member_add', organizationId: id, targetId: member.userId, changes: { level: { old: null, new: member.level } } });
      }
      await activities.record(trx, principal.actor, recorded);
      if (license) await deps.licenses.installPrepared(trx, principal, license);
      if (setup.activateProject && userId !== null) await setActiveProject(trx, userId, project.id, now);
      return { organization: toOrganization(row), project };
    });
  }

  return {
    /** Root sees every live organization; an organization key its own; a personal key its user's (paged). */
    async list(principal: Principal, page: PageRequest): Promise<Page<Organization>> {
      if (principal.kind === 'organization_key') {
        await requireOrganizationAccess(db, principal, principal.organizationId, 'read');
        const row = await findOrganization(db, principal.organizationId);
        return { items: row ? [toOrganization(row)] : [], nextCursor: undefined };
      }
      if (principal.kind === 'personal_key') {
        requireScope(principal, 'organization:read');
        const { userId, organizationIds } = principal;
        return pageById(page, (afterId, limit) => listOrganizationsOfUser(db, userId, organizationIds, afterId, limit), toOrganization);
      }
      return pageById(page, (afterId, limit) => listOrganizations(db, afterId, limit), toOrganization);
    },

    async get(principal: Principal, id: string): Promise<Organization> {
      await requireOrganizationAccess(db, principal, id, 'read');
      const row = await findOrganization(db, id);
      if (!row) throw notFound('Organization', id);
      return toOrganization(row);
    },

    /** The organization with the root of its tree and its customizations (Locktera's Org): one access check, one query. */
    async getProfile(principal: Principal, id: string): Promise<{ organization: Organization; rootId: string; customizations: Record<string, unknown> }> {
      await requireOrganizationAccess(db, principal, id, 'read');
      const row = await findOrganizationProfile(db, id);
      if (!row) throw notFound('Organization', id);
      return { organization: toOrganization(row), rootId: row.root_id, customizations: row.customizations };
    },

    /**
     * Root creates anywhere, and so does a user at the top level (self-service, as the vendors'
     * sign-ups do; personal key with `organization:write`); an admin of the parent (directly,
     * through an ancestor, or with an admin key) creates children. A user who creates one becomes
     * its owner.
     */
    async create(principal: Principal, input: CreateOrganizationInput): Promise<Organization> {
      return (await createWithSetup(principal, input)).organization;
    },

    createWithSetup,

    async update(principal: Principal, id: string, patch: PatchOrganizationInput): Promise<Organization> {
      await requireOrganizationAccess(db, principal, id, 'admin');
      const name = patch.name === undefined ? undefined : requireNonBlankName(patch.name);
      const write = (trx: Db, privateEndpoints?: PrivateEndpointRow[]) =>
        updateOrganizationAudited(trx, {
          id,
          name,
          privateEndpoints,
          now: clock.now(),
          actor: principal.actor,
          activityIds: { name: ids.uuid(), privateEndpoints: ids.uuid() },
        });
      const endpointsPatch = patch.privateEndpoints;
      const parentId = patch.parentId;
      const customizationsPatch = patch.customizations;
      const updated = await (endpointsPatch || parentId !== undefined || customizationsPatch !== undefined
        ? db.transaction().execute(async (trx) => {
            if (parentId !== undefined) {
              await hierarchy.lockTree(trx);
              // Checked again under the lock: a move that committed meanwhile may have changed who administers it.
              await requireOrganizationAccess(trx, principal, id, 'admin');
            }
            // The new list is computed from the current one: hold the row lock from read to write.
            const current = await findOrganization(trx, id, { forUpdate: true });
            if (!current) throw notFound('Organization', id);
            let renamed = false;
            if (parentId !== undefined) {
              const moved = await hierarchy.move(principal, trx, current, parentId);
              if (moved.length > 0) {
                // Parent and name change in one statement: the sibling-name check sees the final pair.
                const finalName = name ?? current.name;
                await updateOrganization(trx, id, { parent_id: parentId, name: finalName, updated_at: clock.now() }).catch((error: unknown) => {
                  throw isUniqueViolation(error) ? nameTaken(finalName) : error;
                });
                renamed = finalName !== current.name;
                if (renamed) moved.unshift({ type: 'organization_update_name', organizationId: id, changes: { name: { old: current.name, new: finalName } } });
                await activities.record(trx, principal.actor, moved);
              }
            }
            const endpoints = endpointsPatch && applyPrivateEndpointsPatch(current.private_endpoints, endpointsPatch);
            // In this transaction: a patch over the limits undoes the rest of the PATCH too.
            if (customizationsPatch !== undefined) {
              await applyCustomizationsPatch(trx, { activities, actor: principal.actor, organizationId: id, now: clock.now() }, customizationsPatch);
            }
            const written = renamed
              ? await updateOrganizationAudited(trx, { id, name: undefined, privateEndpoints: endpoints, now: clock.now(), actor: principal.actor, activityIds: { name: ids.uuid(), privateEndpoints: ids.uuid() } })
              : await write(trx, endpoints);
            return written ?? (await findOrganization(trx, id));
          })
        : write(db) // a rename needs no read: one statement, one round trip
      ).catch((error: unknown) => {
        throw isUniqueViolation(error) ? nameTaken(name ?? '') : error;
      });
      if (updated) return toOrganization(updated);
      // Nothing was written: the organization is gone, or the patch changes nothing.
      const current = await findOrganization(db, id);
      if (!current) throw notFound('Organization', id);
      return toOrganization(current);
    },

    /** Soft delete of the organization and its whole subtree: the rows and their trails stay (root can read them). */
    async delete(principal: Principal, id: string): Promise<void> {
      await requireOrganizationAccess(db, principal, id, 'admin');
      const deleted = await db.transaction().execute(async (trx) => {
        await hierarchy.lockTree(trx);
        await requireOrganizationAccess(trx, principal, id, 'admin'); // again, under the lock (see update)
        const current = await findOrganization(trx, id, { forUpdate: true });
        if (!current) throw notFound('Organization', id);
        const { ids: removed, recorded } = await hierarchy.deleteSubtree(trx, current);
        await activities.record(trx, principal.actor, recorded);
        return removed;
      });
      for (const removed of deleted) deps.keyCache.invalidateOrganization(removed);
    },

    /** The endpoint service a customer's VPC endpoint connects to, from the operator's configuration. */
    async privateEndpointConfig(principal: Principal, id: string, provider: CloudProvider, region: Region) {
      await requireOrganizationAccess(db, principal, id, 'read');
      if (!(await findOrganization(db, id))) throw notFound('Organization', id);
      const endpointServiceId = deps.config.privateEndpointServices[`${provider}:${region}`];
      if (endpointServiceId === undefined) {
        throw notFound(`Private endpoint service for ${provider} region ${region}`);
      }
      return { endpointServiceId };
    },
  };
}

export type OrganizationsService = ReturnType<typeof createOrganizationsService>;

export const toOrganizationSummary = (row: OrganizationRow): OrganizationSummary => ({
  id: row.id,
  name: row.name,
  createdAt: row.created_at.toISOString(),
  parentId: row.parent_id,
});

export function toOrganization(row: OrganizationRow): Organization {
  return {
    id: row.id,
    createdAt: row.created_at.toISOString(),
    name: row.name,
    privateEndpoints: row.private_endpoints as Organization['privateEndpoints'],
    byocConfig: row.byoc_config as Organization['byocConfig'],
    ...(row.parent_id !== null && { parentId: row.parent_id }),
  };
}
