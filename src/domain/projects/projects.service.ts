/**
 * Projects: named parts of an organization. Each organization keeps at least one; names are
 * unique per organization, case-insensitively. Reading needs organization read access; changing,
 * admin access. Every change runs with the organization row locked (names change one at a time,
 * and two deletes cannot both see "another project remains") and records its activity, scoped to
 * the project, in the same transaction.
 */
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { Ids } from '../../ids.js';
import { requireWithinLicense } from '../licenses/limits.js';
import { requireOrganizationAccess, requireReadableOrganization } from '../access.js';
import type { ActivityRecorder } from '../activities/activity-recorder.js';
import { conflict, notFound } from '../errors.js';
import { requireNonBlankName } from '../names.js';
import { findOrganization } from '../organizations/organizations.queries.js';
import { pageById, type Page, type PageRequest } from '../pagination.js';
import type { Principal } from '../principal.js';
import {
  deleteProject,
  findLiveProject,
  findProject,
  insertProject,
  listProjects,
  projectCount,
  updateProject,
  type ProjectRow,
} from './projects.queries.js';
import type { CreateProjectInput, PatchProjectInput, Project } from './projects.schemas.js';

const duplicateName = (name: string) => conflict(`name: there is already a project named "${name}".`, 'unique', 'name');

export function createProjectsService(deps: { db: Db; clock: Clock; ids: Ids; activities: ActivityRecorder }) {
  const { db, clock, ids, activities } = deps;

  async function write<T>(organizationId: string, work: (trx: Db) => Promise<T>): Promise<T> {
    return db.transaction().execute(async (trx) => {
      if (!(await findOrganization(trx, organizationId, { forUpdate: true }))) throw notFound('Organization', organizationId);
      return work(trx);
    });
  }

  return {
    async list(principal: Principal, organizationId: string, page: PageRequest): Promise<Page<ProjectRow>> {
      await requireReadableOrganization(db, principal, organizationId);
      return pageById(page, (afterId, limit) => listProjects(db, organizationId, afterId, limit), (row) => row);
    },

    async get(principal: Principal, organizationId: string, id: string): Promise<ProjectRow> {
      await requireOrganizationAccess(db, principal, organizationId, 'read');
      const row = await findLiveProject(db, organizationId, id);
      if (!row) throw notFound('Project', id);
      return row;
    },

    async create(principal: Principal, organizationId: string, input: CreateProjectInput): Promise<ProjectRow> {
      await requireOrganizationAccess(db, principal, organizationId, 'admin');
      const name = requireNonBlankName(input.name);
      const description = input.description ?? '';
      return write(organizationId, async (trx) => {
        await requireWithinLicense(trx, organizationId, 'projects');
        const now = clock.now();
        const created = await insertProject(trx, {
          id: ids.uuid(),
          organization_id: organizationId,
          name,
          description,
          created_by: principal.kind === 'personal_key' ? principal.userId : null,
          created_at: now,
          updated_at: now,
        }).catch((error: unknown) => {
          throw isUniqueViolation(error) ? duplicateName(name) : error;
        });
        await activities.record(trx, principal.actor, [{
          type: 'project_create',
          organizationId,
          projectId: created.id,
          targetId: created.id,
          changes: { name: { old: null, new: name }, description: { old: null, new: description } },
        }]);
        return created;
      });
    },

    async update(principal: Principal, organizationId: string, id: string, patch: PatchProjectInput): Promise<ProjectRow> {
      await requireOrganizationAccess(db, principal, organizationId, 'admin');
      const name = patch.name === undefined ? undefined : requireNonBlankName(patch.name);
      return write(organizationId, async (trx) => {
        const before = await findProject(trx, organizationId, id, { forUpdate: true });
        if (!before) throw notFound('Project', id);
        const next = { name: name ?? before.name, description: patch.description ?? before.description };
        const changes: Record<string, { old: unknown; new: unknown }> = {};
        if (next.name !== before.name) changes.name = { old: before.name, new: next.name };
        if (next.description !== before.description) changes.description = { old: before.description, new: next.description };
        if (Object.keys(changes).length === 0) return before;
        const updated = await updateProject(trx, id, { ...next, updated_at: clock.now() }).catch((error: unknown) => {
          throw isUniqueViolation(error) ? duplicateName(next.name) : error;
        });
        await activities.record(trx, principal.actor, [{ type: 'project_update', organizationId, projectId: id, targetId: id, changes }]);
        return updated;
      });
    },

    /** Deletes a project unless it is the organization's last one (409 `last_project`). */
    async delete(principal: Principal, organizationId: string, id: string): Promise<void> {
      await requireOrganizationAccess(db, principal, organizationId, 'admin');
      await write(organizationId, async (trx) => {
        const current = await findProject(trx, organizationId, id, { forUpdate: true });
        if (!current) throw notFound('Project', id);
        // The organization row is locked: a concurrent delete waits, then counts after this one.
        if ((await projectCount(trx, organizationId)) <= 1) {
          throw conflict('An organization keeps at least one project: create another before deleting this one.', 'last_project');
        }
        await deleteProject(trx, id);
        await activities.record(trx, principal.actor, [{
          type: 'project_delete',
          organizationId,
          projectId: id,
          targetId: id,
          changes: { name: { old: current.name, new: null } },
        }]);
      });
    },
  };
}

export type ProjectsService = ReturnType<typeof createProjectsService>;

export function toProject(row: ProjectRow): Project {
  return {
    id: row.id,
    organizationId: row.organization_id,
    name: row.name,
    description: row.description,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
