/**
 * Migrations live in code (not files found at run time) so the same list runs from `tsx`, from a
 * bundle, and in tests. Kysely's migrator takes a PostgreSQL advisory lock, so replicas starting
 * together migrate once.
 */
import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import * as foundation from './migrations/0001-foundation.js';
import * as people from './migrations/0002-people.js';
import * as invitations from './migrations/0003-invitations.js';
import * as roles from './migrations/0004-roles.js';
import * as posthogPeople from './migrations/0005-posthog-people.js';
import * as grantsFollowMembership from './migrations/0006-grants-follow-membership.js';
import * as hierarchy from './migrations/0007-hierarchy.js';
import * as projects from './migrations/0008-projects.js';
import * as licenses from './migrations/0009-licenses.js';
import * as usageCustomizationsAccessLog from './migrations/0010-usage-customizations-access-log.js';

const migrations: Record<string, Migration> = {
  '0001-foundation': foundation,
  '0002-people': people,
  '0003-invitations': invitations,
  '0004-roles': roles,
  '0005-posthog-people': posthogPeople,
  '0006-grants-follow-membership': grantsFollowMembership,
  '0007-hierarchy': hierarchy,
  '0008-projects': projects,
  '0009-licenses': licenses,
  '0010-usage-customizations-access-log': usageCustomizationsAccessLog,
};

export async function migrateToLatest(db: Kysely<any>): Promise<void> {
  // Kysely looks for its bookkeeping tables in any schema unless told which: pin them to the
  // schema this connection works in, so deployments in separate schemas of one database coexist.
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableSchema: rows[0]!.schema,
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((result) => result.status === 'Error');
  if (error !== undefined || failed !== undefined) {
    const cause = error instanceof Error ? error : new Error(String(error ?? 'unknown error'));
    throw new Error(`migration ${failed?.migrationName ?? '(setup)'} failed: ${cause.message}`, { cause });
  }
}
