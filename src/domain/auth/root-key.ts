/**
 * The operator's root key. Configured keys are only hashed in memory; without one, a new database
 * gets a generated key, returned once for the operator to copy and stored only as its hash.
 */
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import { generateRootKey, sha256Base64 } from './secrets.js';

const SETTING = 'root_key_sha256';

export interface RootKey {
  hash: string;
  /** Set only when this call generated the key: show it once, it cannot be recovered. */
  generated?: string;
}

export async function resolveRootKey(db: Db, configured: string | undefined, clock: Clock): Promise<RootKey> {
  if (configured !== undefined) return { hash: sha256Base64(configured) };
  const stored = await db.selectFrom('settings').select('value').where('name', '=', SETTING).executeTakeFirst();
  if (stored) return { hash: stored.value };
  const generated = generateRootKey();
  const inserted = await db
    .insertInto('settings')
    .values({ name: SETTING, value: sha256Base64(generated), created_at: clock.now() })
    .onConflict((oc) => oc.column('name').doNothing())
    .returning('value')
    .executeTakeFirst();
  if (inserted) return { hash: inserted.value, generated };
  // Another replica generated one at the same moment: use theirs (they print it).
  const winner = await db.selectFrom('settings').select('value').where('name', '=', SETTING).executeTakeFirstOrThrow();
  return { hash: winner.value };
}
