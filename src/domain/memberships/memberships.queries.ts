import { CompiledQuery } from 'kysely';
import type { Db } from '../../db/database.js';

const LEVEL_OF = 'select level from memberships where organization_id = $1 and user_id = $2';

/** The user's level in the organization, or undefined when not a member. One indexed read. */
export async function membershipLevel(db: Db, organizationId: string, userId: string): Promise<number | undefined> {
  const result = await db.executeQuery<{ level: number }>(CompiledQuery.raw(LEVEL_OF, [organizationId, userId]));
  return result.rows[0]?.level;
}
