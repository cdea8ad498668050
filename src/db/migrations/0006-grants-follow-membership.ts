import { sql, type Kysely } from 'kysely';

/**
 * A role can only be granted to a member: the grant references the membership and goes with it.
 * The database now keeps that rule under any concurrency, so granting needs no organization lock
 * and can be one statement.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`delete from role_memberships rm where not exists (
    select 1 from memberships m where m.organization_id = rm.organization_id and m.user_id = rm.user_id)`.execute(db);
  await sql`alter table role_memberships add constraint role_memberships_membership_fkey
    foreign key (organization_id, user_id) references memberships (organization_id, user_id) on delete cascade`.execute(db);
}
