import { sql } from 'kysely';
import type { Db } from '../../db/database.js';

/** A live organization's customizations; `forUpdate` locks the row until the transaction ends. */
export async function findCustomizations(
  db: Db,
  organizationId: string,
  options: { forUpdate?: boolean } = {},
): Promise<Record<string, unknown> | undefined> {
  let query = db
    .selectFrom('organizations')
    .select('customizations')
    .where('id', '=', organizationId)
    .where('deleted_at', 'is', null);
  if (options.forUpdate) query = query.forUpdate();
  return (await query.executeTakeFirst())?.customizations;
}

/**
 * Stores new customizations unless they equal the current ones as jsonb (member order is not a
 * difference). Returns the stored value in jsonb's own member order, or undefined when nothing
 * changed.
 */
export async function writeCustomizations(
  db: Db,
  organizationId: string,
  value: Record<string, unknown>,
  now: Date,
): Promise<Record<string, unknown> | undefined> {
  const json = JSON.stringify(value);
  const row = await db
    .updateTable('organizations')
    .set({ customizations: sql`${json}::jsonb`, updated_at: now, version: sql`version + 1` })
    .where('id', '=', organizationId)
    .where(sql<boolean>`customizations is distinct from ${json}::jsonb`)
    .returning('customizations')
    .executeTakeFirst();
  return row?.customizations;
}
