import { sql, type Kysely } from 'kysely';

/** An organization's installed license: the verified claims (the signed token itself is not kept). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table organizations add column license jsonb`.execute(db);
}
