/**
 * Writes activity rows. Callers pass the transaction of the change they describe, so the trail
 * and the change commit or fail together.
 */
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import type { Ids } from '../../ids.js';
import type { Actor } from '../principal.js';
import { insertActivities } from './activities.queries.js';
import type { ActivityType, KeyUpdateType } from './activities.schemas.js';

export interface ActivityInput {
  type: ActivityType;
  organizationId: string;
  /** The project the activity is about, when it is scoped to one. */
  projectId?: string;
  targetId?: string;
  keyUpdateType?: KeyUpdateType;
  changes?: Record<string, { old: unknown; new: unknown }>;
}

export interface ActivityRecorder {
  record(trx: Db, actor: Actor, inputs: ActivityInput[]): Promise<void>;
}

export function createActivityRecorder(deps: { clock: Clock; ids: Ids }): ActivityRecorder {
  return {
    async record(trx, actor, inputs) {
      const createdAt = deps.clock.now();
      await insertActivities(
        trx,
        inputs.map((input) => ({
          id: deps.ids.uuid(),
          organization_id: input.organizationId,
          type: input.type,
          actor_type: actor.type,
          actor_id: actor.id,
          actor_details: actor.details,
          actor_ip: actor.ip,
          user_agent: actor.userAgent,
          project_id: input.projectId ?? null,
          target_id: input.targetId ?? null,
          key_update_type: input.keyUpdateType ?? null,
          changes: input.changes === undefined ? null : JSON.stringify(input.changes),
          created_at: createdAt,
        })),
      );
    },
  };
}

/** `{field: {old, new}}` for the fields whose values differ (compared as JSON). */
export function diff(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, { old: unknown; new: unknown }> {
  const changes: Record<string, { old: unknown; new: unknown }> = {};
  for (const field of Object.keys(after)) {
    // Absent and null are the same value here: neither is a change.
    const old = before[field] ?? null;
    const next = after[field] ?? null;
    if (JSON.stringify(old) !== JSON.stringify(next)) changes[field] = { old, new: next };
  }
  return changes;
}
