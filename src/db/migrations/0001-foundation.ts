import { sql, type Kysely } from 'kysely';

/**
 * Organizations, organization API keys, the activity trail and a small settings table.
 * Timestamps are `timestamptz(3)`: JavaScript dates carry milliseconds, and keyset cursors built
 * from them must compare equal to what is stored.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table organizations (
      id uuid primary key,
      parent_id uuid references organizations(id),
      name text not null,
      private_endpoints jsonb not null default '[]',
      byoc_config jsonb not null default '[]',
      created_at timestamptz(3) not null,
      updated_at timestamptz(3) not null,
      deleted_at timestamptz(3),
      version integer not null default 1
    )`.execute(db);
  await sql`create index organizations_parent_idx on organizations (parent_id) where parent_id is not null`.execute(db);

  await sql`
    create table api_keys (
      id uuid primary key,
      organization_id uuid not null references organizations(id),
      name text not null,
      key_id_hash text not null unique,
      key_suffix text not null,
      secret_hash text not null unique,
      roles text[] not null,
      state text not null check (state in ('enabled', 'disabled')),
      ip_access_list jsonb not null default '[]',
      expire_at timestamptz(3),
      used_at timestamptz(3),
      created_at timestamptz(3) not null,
      updated_at timestamptz(3) not null
    )`.execute(db);
  await sql`create index api_keys_organization_idx on api_keys (organization_id, id)`.execute(db);

  // Append-only, no foreign keys: the audit trail outlives what it describes.
  await sql`
    create table activities (
      id uuid primary key,
      organization_id uuid not null,
      type text not null,
      actor_type text not null,
      actor_id text,
      actor_details text,
      actor_ip text,
      user_agent text,
      project_id uuid,
      target_id text,
      key_update_type text,
      changes jsonb,
      created_at timestamptz(3) not null
    )`.execute(db);
  await sql`create index activities_org_created_idx on activities (organization_id, created_at desc, id desc)`.execute(db);

  await sql`
    create table settings (
      name text primary key,
      value text not null,
      created_at timestamptz(3) not null
    )`.execute(db);
}
