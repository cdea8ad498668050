import { sql, type Kysely } from 'kysely';

/** Custom roles (named sets of permissions, per organization) and their grants to members. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table roles (
      id uuid primary key,
      organization_id uuid not null references organizations(id),
      name text not null,
      permissions text[] not null default '{}',
      created_by uuid references users(id),
      created_at timestamptz(3) not null,
      updated_at timestamptz(3) not null
    )`.execute(db);
  await sql`create unique index roles_org_name_idx on roles (organization_id, lower(name))`.execute(db);
  await sql`
    create table role_memberships (
      id uuid primary key,
      role_id uuid not null references roles(id) on delete cascade,
      organization_id uuid not null references organizations(id),
      user_id uuid not null references users(id),
      joined_at timestamptz(3) not null,
      updated_at timestamptz(3) not null,
      unique (role_id, user_id)
    )`.execute(db);
  await sql`create index role_memberships_member_idx on role_memberships (organization_id, user_id)`.execute(db);
}
