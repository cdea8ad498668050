/**
 * The organization tree: children and ancestors, moves (no cycles, a depth limit) and the rules
 * that creation and deletion share with them. Changes to the tree's shape run under one tree
 * lock (see lockTree) and record an activity on the organization and on each parent concerned.
 */
import type { Config } from '../../config.js';
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import type { Ids } from '../../ids.js';
import { requireOrganizationAccess, requireReadableOrganization, requireRoot, requireTopLevelCreator } from '../access.js';
import type { ActivityInput, ActivityRecorder } from '../activities/activity-recorder.js';
import { conflict, invalid } from '../errors.js';
import { decodeCursor, pageById, pageSize, toPage, type Page, type PageRequest } from '../pagination.js';
import { requireWithinLicense } from '../licenses/limits.js';
import { requireNonBlankName } from '../names.js';
import type { Principal } from '../principal.js';
import { ancestorsOf, depthOf, listChildren, lockTree, siblingNamesLike, subtreeOf, isLiveAncestor } from './hierarchy.queries.js';
import { findOrganization, type OrganizationRow } from './organizations.queries.js';
import type { NameAvailability } from './organizations.schemas.js';

const SUGGESTIONS = 3;

export const nameTaken = (name: string) =>
  conflict(`name: an organization named "${name}" already exists here (names are unique among siblings, case-insensitively).`, 'name_taken', 'name');

export function createHierarchyService(deps: { db: Db; clock: Clock; ids: Ids; config: Pick<Config, 'maxOrganizationDepth'>; activities: ActivityRecorder }) {
  const { db, clock } = deps;
  const maxDepth = deps.config.maxOrganizationDepth;

  /** Under the tree lock: the live parent, room below it for a subtree `height` levels tall, and a child its license allows. */
  async function requireRoomUnder(trx: Db, parentId: string, height: number): Promise<OrganizationRow> {
    const parent = await findOrganization(trx, parentId, { forUpdate: true });
    if (!parent) throw invalid('parentId', `parentId: organization ${parentId} does not exist`, 'unknown_parent');
    await requireWithinLicense(trx, parentId, 'childOrganizations');
    const depth = await depthOf(trx, parentId);
    if (depth + height > maxDepth) {
      throw conflict(
        `parentId: the organization tree may be at most ${maxDepth} levels deep; this would make it ${depth + height}.`,
        'depth_limit',
        'parentId',
      );
    }
    return parent;
  }

  return {
    requireRoomUnder,
    lockTree,

    async children(principal: Principal, id: string, page: PageRequest): Promise<Page<OrganizationRow>> {
      // The access check already proves a key's or member's organization is live; only root's needs a look.
      await requireReadableOrganization(db, principal, id);
      return pageById(page, (afterId, limit) => listChildren(db, id, afterId, limit), (row) => row);
    },

    /** Nearest first; the cursor is the last ancestor served (the chain is at most the depth limit long). */
    async ancestors(principal: Principal, id: string, page: PageRequest): Promise<Page<OrganizationRow>> {
      await requireReadableOrganization(db, principal, id);
      const chain = await ancestorsOf(db, id);
      const after = page.cursor ? decodeCursor(page.cursor, ['uuid'])[0] : undefined;
      const start = after === undefined ? 0 : chain.findIndex((row) => row.id === after) + 1;
      if (after !== undefined && start === 0) throw invalid('cursor', 'cursor is not valid: pass the nextCursor of a previous page unchanged', 'invalid_cursor');
      const limit = pageSize(page);
      return toPage(chain.slice(start, start + limit + 1), limit, (row) => [row.id]);
    },

    /** Whether a name is free among the live siblings, with free alternatives when it is not. Creates nothing. */
    async nameAvailability(principal: Principal, name: string, parentId: string | undefined): Promise<NameAvailability> {
      if (parentId === undefined) requireTopLevelCreator(principal);
      else {
        await requireOrganizationAccess(db, principal, parentId, 'admin');
        if (!(await findOrganization(db, parentId))) throw invalid('parentId', `parentId: organization ${parentId} does not exist`, 'unknown_parent');
      }
      const trimmed = requireNonBlankName(name);
      const taken = await siblingNamesLike(db, parentId ?? null, trimmed);
      if (!taken.has(trimmed.toLowerCase())) return { name: trimmed, available: true, suggestions: [] };
      const suggestions: string[] = [];
      for (let n = 2; suggestions.length < SUGGESTIONS; n++) {
        const candidate = `${trimmed} ${n}`;
        if (candidate.length <= 255 && !taken.has(candidate.toLowerCase())) suggestions.push(candidate);
        if (candidate.length > 255) break;
      }
      return { name: trimmed, available: false, suggestions };
    },

    /**
     * Moves an organization under another (admin of it, of its current parent and of the new one,
     * or root), or to the root level (root).
     * Refuses cycles and trees deeper than the limit. Returns the activities to record.
     */
    async move(principal: Principal, trx: Db, current: OrganizationRow, parentId: string | null): Promise<ActivityInput[]> {
      if (parentId === current.parent_id) return [];
      // Taking an organization out of a tree is the old parent's admins' call too, not only its own admins'.
      if (current.parent_id !== null) await requireOrganizationAccess(trx, principal, current.parent_id, 'admin');
      if (parentId === null) requireRoot(principal);
      else await requireOrganizationAccess(trx, principal, parentId, 'admin');
      if (parentId !== null) {
        if (parentId === current.id || (await isLiveAncestor(trx, current.id, parentId))) {
          throw conflict('parentId: an organization cannot move under itself or its own descendants.', 'cycle', 'parentId');
        }
        const subtree = await subtreeOf(trx, current.id);
        await requireRoomUnder(trx, parentId, 1 + Math.max(...subtree.map((row) => row.level)));
      }
      const recorded: ActivityInput[] = [
        { type: 'organization_update_parent', organizationId: current.id, changes: { parentId: { old: current.parent_id, new: parentId } } },
      ];
      if (current.parent_id !== null) recorded.push({ type: 'organization_child_remove', organizationId: current.parent_id, targetId: current.id });
      if (parentId !== null) recorded.push({ type: 'organization_child_add', organizationId: parentId, targetId: current.id });
      return recorded;
    },

    /** Marks the organization and its live descendants deleted; returns their ids and the activities. */
    async deleteSubtree(trx: Db, current: OrganizationRow): Promise<{ ids: string[]; recorded: ActivityInput[] }> {
      const subtree = await subtreeOf(trx, current.id);
      const now = clock.now();
      await trx
        .updateTable('organizations')
        .set({ deleted_at: now, updated_at: now })
        .where('id', 'in', subtree.map((row) => row.id))
        .execute();
      const recorded: ActivityInput[] = subtree.map((row) => ({
        type: 'delete_organization' as const,
        organizationId: row.id,
        changes: { name: { old: row.name, new: null } },
      }));
      if (current.parent_id !== null) {
        recorded.push({ type: 'organization_child_delete', organizationId: current.parent_id, targetId: current.id, changes: { name: { old: current.name, new: null } } });
      }
      return { ids: subtree.map((row) => row.id), recorded };
    },
  };
}

export type HierarchyService = ReturnType<typeof createHierarchyService>;
