/**
 * License limits, enforced where things are added. Callers hold the organization row lock, so
 * concurrent additions queue up behind one count and cannot together pass the limit.
 */
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { conflict } from '../errors.js';
import type { LicenseLimits } from './license.schemas.js';

export type LimitedResource = keyof LicenseLimits;

const WORDS: Record<LimitedResource, string> = { members: 'members', projects: 'projects', childOrganizations: 'child organizations' };

/** How many of each limited thing the organization has now. */
export async function usageOf(db: Db, organizationId: string): Promise<Required<LicenseLimits>> {
  const result = await sql<Required<LicenseLimits>>`
    select
      (select count(*)::int from memberships where organization_id = ${organizationId}::uuid) as members,
      (select count(*)::int from projects where organization_id = ${organizationId}::uuid) as projects,
      (select count(*)::int from organizations where parent_id = ${organizationId}::uuid and deleted_at is null) as "childOrganizations"`.execute(db);
  return result.rows[0]!;
}

async function limitsOf(db: Db, organizationId: string): Promise<LicenseLimits | undefined> {
  const result = await sql<{ limits: LicenseLimits | null }>`
    select license -> 'claims' -> 'limits' as limits from organizations where id = ${organizationId}::uuid`.execute(db);
  return result.rows[0]?.limits ?? undefined;
}

/**
 * Throws 409 `license_limit` when adding `count` more would pass the organization's license.
 * No license, or no limit for the resource: nothing to enforce. Costs one query, two with a limit.
 */
export async function requireWithinLicense(trx: Db, organizationId: string, resource: LimitedResource, count = 1): Promise<void> {
  const limit = (await limitsOf(trx, organizationId))?.[resource];
  if (limit === undefined) return;
  const used = (await usageOf(trx, organizationId))[resource];
  if (used + count > limit) {
    throw conflict(
      `The organization's license allows at most ${limit} ${WORDS[resource]}, and it has ${used}: install a license with a higher limit first.`,
      'license_limit',
    );
  }
}

/** The limits a license would break at the current usage, in words; empty when it fits. */
export function limitsBelowUsage(limits: LicenseLimits, usage: Required<LicenseLimits>): string[] {
  return (Object.keys(WORDS) as LimitedResource[])
    .filter((resource) => limits[resource] !== undefined && limits[resource]! < usage[resource])
    .map((resource) => `${WORDS[resource]}: the license allows ${limits[resource]}, the organization has ${usage[resource]}`);
}
