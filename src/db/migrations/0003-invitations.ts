import { sql, type Kysely } from 'kysely';

/** Invitations to join an organization at a level; accepted once, by the invited address only. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table invitations (
      id uuid primary key,
      organization_id uuid not null references organizations(id),
      email text not null,
      level smallint not null check (level in (1, 8, 15)),
      created_at timestamptz(3) not null,
      expire_at timestamptz(3) not null,
      accepted_at timestamptz(3),
      accepted_by uuid references users(id)
    )`.execute(db);
  await sql`create index invitations_org_idx on invitations (organization_id, id)`.execute(db);
  // One pending invitation per address and organization.
  await sql`create unique index invitations_pending_idx on invitations (organization_id, lower(email)) where accepted_at is null`.execute(db);
}
