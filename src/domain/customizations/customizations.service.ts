/**
 * An organization's customizations: one JSON object, read by anyone who may read the organization,
 * replaced or merge-patched (RFC 7396) by its admins. Every change is one transaction holding the
 * organization's row lock from read to write, so concurrent patches never lose an update, and
 * records `organization_update_customizations` with the whole old and new objects.
 */
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import type { Ids } from '../../ids.js';
import { requireOrganizationAccess } from '../access.js';
import type { ActivityRecorder } from '../activities/activity-recorder.js';
import { notFound } from '../errors.js';
import type { Actor, Principal } from '../principal.js';
import { findCustomizations, writeCustomizations } from './customizations.queries.js';
import { checkCustomizations, checkDepth } from './limits.js';
import { mergePatch } from './merge-patch.js';

export interface CustomizationsDeps {
  db: Db;
  clock: Clock;
  ids: Ids;
  activities: ActivityRecorder;
}

/** What a change inside someone else's transaction needs besides the transaction. */
export interface CustomizationsChange {
  activities: ActivityRecorder;
  actor: Actor;
  organizationId: string;
  now: Date;
}

/**
 * Inside the caller's transaction: locks the organization's row, computes the new customizations
 * from the current ones, checks the limits on the result, stores it and records the activity when
 * it differs. Returns the customizations as stored. A failed check throws before anything is written
 * (and the caller's transaction rolls back whatever else it did).
 */
export async function applyCustomizationsChange(
  trx: Db,
  change: CustomizationsChange,
  compute: (current: Record<string, unknown>) => unknown,
): Promise<Record<string, unknown>> {
  const current = await findCustomizations(trx, change.organizationId, { forUpdate: true });
  if (current === undefined) throw notFound('Organization', change.organizationId);
  const next = checkCustomizations(compute(current));
  const stored = await writeCustomizations(trx, change.organizationId, next, change.now);
  if (stored === undefined) return current; // equal as JSON: no change, no activity
  await change.activities.record(trx, change.actor, [
    { type: 'organization_update_customizations', organizationId: change.organizationId, changes: { customizations: { old: current, new: stored } } },
  ]);
  return stored;
}

/** `applyCustomizationsChange` with an RFC 7396 merge patch (e.g. from `PATCH /v1/organizations/{id}`). */
export function applyCustomizationsPatch(trx: Db, change: CustomizationsChange, patch: unknown): Promise<Record<string, unknown>> {
  checkDepth(patch); // before merging: merging recurses as deep as the patch goes
  return applyCustomizationsChange(trx, change, (current) => mergePatch(current, patch));
}

export function createCustomizationsService(deps: CustomizationsDeps) {
  const { db, clock, activities } = deps;

  async function change(principal: Principal, organizationId: string, apply: (trx: Db, change: CustomizationsChange) => Promise<Record<string, unknown>>) {
    await requireOrganizationAccess(db, principal, organizationId, 'admin');
    return db.transaction().execute((trx) =>
      apply(trx, { activities, actor: principal.actor, organizationId, now: clock.now() }),
    );
  }

  return {
    async get(principal: Principal, organizationId: string): Promise<Record<string, unknown>> {
      await requireOrganizationAccess(db, principal, organizationId, 'read');
      const customizations = await findCustomizations(db, organizationId);
      if (customizations === undefined) throw notFound('Organization', organizationId);
      return customizations;
    },

    /** Replaces the whole object (admin). */
    async replace(principal: Principal, organizationId: string, value: unknown): Promise<Record<string, unknown>> {
      return change(principal, organizationId, (trx, c) => applyCustomizationsChange(trx, c, () => value));
    },

    /** Applies an RFC 7396 merge patch (admin); the limits apply to the result. */
    async patch(principal: Principal, organizationId: string, mergePatchValue: unknown): Promise<Record<string, unknown>> {
      return change(principal, organizationId, (trx, c) => applyCustomizationsPatch(trx, c, mergePatchValue));
    },
  };
}

export type CustomizationsService = ReturnType<typeof createCustomizationsService>;
