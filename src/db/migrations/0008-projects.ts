import { sql, type Kysely } from 'kysely';

/**
 * Projects: named parts of an organization (names unique per organization, case-insensitively),
 * each organization keeping at least one. Every organization that has none gets one named
 * `Default`. A user may pick an active project; it is cleared when the project is deleted.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table projects (
      id uuid primary key,
      organization_id uuid not null references organizations(id),
      name text not null,
      description text not null default '',
      created_by uuid references users(id),
      created_at timestamptz(3) not null,
      updated_at timestamptz(3) not null
    )`.execute(db);
  await sql`create unique index projects_org_name_idx on projects (organization_id, lower(name))`.execute(db);
  await sql`create index projects_org_idx on projects (organization_id, id)`.execute(db);

  // The ids are UUIDv7 stamped with the organization's creation time (as ids.ts makes them: 48-bit
  // milliseconds, version 7, then randomness), so id order stays creation order: the Default
  // project comes before every project made later.
  await sql`
    insert into projects (id, organization_id, name, created_at, updated_at)
    select
      encode(
        set_bit(set_bit(
          overlay(uuid_send(gen_random_uuid())
            placing substring(int8send(floor(extract(epoch from o.created_at) * 1000)::bigint) from 3)
            from 1 for 6),
          52, 1), 53, 1),
        'hex')::uuid,
      o.id, 'Default', now(), now()
    from organizations o
    where not exists (select 1 from projects p where p.organization_id = o.id)`.execute(db);

  await sql`alter table users add column active_project_id uuid references projects(id) on delete set null`.execute(db);
  // Deleting a project clears it from its users: without this index, a scan of every user.
  await sql`create index users_active_project_idx on users (active_project_id) where active_project_id is not null`.execute(db);
}
