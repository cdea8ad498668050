import type { Clock } from '../../clock.js';
import type { Config } from '../../config.js';
import type { Db } from '../../db/database.js';
import type { PrivateEndpointRow } from '../../db/schema.js';
import type { Ids } from '../../ids.js';
import { requireOrganizationAccess, requireRoot, requireScope } from '../access.js';
import type { ActivityRecorder } from '../activities/activity-recorder.js';
import type { KeyCache } from '../auth/key-cache.js';
import { conflict, invalid, notFound } from '../errors.js';
import { pageById, type Page, type PageRequest } from '../pagination.js';
import { requireNonBlankName } from '../names.js';
import type { Principal } from '../principal.js';
import {
  findOrganization,
  hasLiveChildren,
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
  PatchOrganizationInput,
  Region,
} from './organizations.schemas.js';
import { applyPrivateEndpointsPatch } from './private-endpoints.js';

export interface OrganizationsDeps {
  db: Db;
  clock: Clock;
  ids: Ids;
  config: Pick<Config, 'privateEndpointServices'>;
  activities: ActivityRecorder;
  keyCache: KeyCache;
}

export function createOrganizationsService(deps: OrganizationsDeps) {
  const { db, clock, ids, activities } = deps;

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

    async create(principal: Principal, input: CreateOrganizationInput): Promise<Organization> {
      requireRoot(principal);
      const name = requireNonBlankName(input.name);
      return db.transaction().execute(async (trx) => {
        if (input.parentId !== undefined && !(await findOrganization(trx, input.parentId, { forUpdate: true }))) {
          throw invalid('parentId', `parentId: organization ${input.parentId} does not exist`, 'unknown_parent');
        }
        const now = clock.now();
        const row = await insertOrganization(trx, {
          id: ids.uuid(),
          parent_id: input.parentId ?? null,
          name,
          private_endpoints: '[]',
          byoc_config: '[]',
          created_at: now,
          updated_at: now,
        });
        await activities.record(trx, principal.actor, [
          { type: 'create_organization', organizationId: row.id, changes: { name: { old: null, new: name } } },
        ]);
        return toOrganization(row);
      });
    },

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
      const updated = endpointsPatch
        ? await db.transaction().execute(async (trx) => {
            // The new list is computed from the current one: hold the row lock from read to write.
            const current = await findOrganization(trx, id, { forUpdate: true });
            if (!current) throw notFound('Organization', id);
            return write(trx, applyPrivateEndpointsPatch(current.private_endpoints, endpointsPatch));
          })
        : await write(db); // a rename needs no read: one statement, one round trip
      if (updated) return toOrganization(updated);
      // Nothing was written: the organization is gone, or the patch changes nothing.
      const current = await findOrganization(db, id);
      if (!current) throw notFound('Organization', id);
      return toOrganization(current);
    },

    /** Soft delete: the row and its activity trail stay (root can still read the trail). */
    async delete(principal: Principal, id: string): Promise<void> {
      await requireOrganizationAccess(db, principal, id, 'admin');
      await db.transaction().execute(async (trx) => {
        const current = await findOrganization(trx, id, { forUpdate: true });
        if (!current) throw notFound('Organization', id);
        if (await hasLiveChildren(trx, id)) {
          throw conflict('The organization has child organizations: delete or move them first.', 'has_children');
        }
        const now = clock.now();
        await updateOrganization(trx, id, { deleted_at: now, updated_at: now });
        await activities.record(trx, principal.actor, [
          { type: 'delete_organization', organizationId: id, changes: { name: { old: current.name, new: null } } },
        ]);
      });
      deps.keyCache.invalidateOrganization(id);
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
