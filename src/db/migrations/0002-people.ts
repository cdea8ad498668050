import { sql, type Kysely } from 'kysely';

/**
 * Users, their memberships in organizations (PostHog levels: 1 member, 8 admin, 15 owner), and
 * personal API keys: an api_keys row belongs to an organization or to a user, never both.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table users (
      id uuid primary key,
      email text not null,
      first_name text not null default '',
      last_name text not null default '',
      created_at timestamptz(3) not null,
      updated_at timestamptz(3) not null
    )`.execute(db);
  // Emails are stored lowercase; the index makes "one account per address" hold regardless.
  await sql`create unique index users_email_idx on users (lower(email))`.execute(db);

  await sql`
    create table memberships (
      id uuid not null unique,
      organization_id uuid not null references organizations(id),
      user_id uuid not null references users(id),
      level smallint not null check (level in (1, 8, 15)),
      joined_at timestamptz(3) not null,
      updated_at timestamptz(3) not null,
      primary key (organization_id, user_id)
    )`.execute(db);
  await sql`create index memberships_user_idx on memberships (user_id)`.execute(db);
  await sql`create index memberships_org_joined_idx on memberships (organization_id, joined_at, user_id)`.execute(db);

  await sql`alter table api_keys alter column organization_id drop not null`.execute(db);
  await sql`alter table api_keys add column user_id uuid references users(id)`.execute(db);
  await sql`alter table api_keys add column scopes text[] not null default '{}'`.execute(db);
  // Personal keys only: the organizations the key may act in (null: all of the user's).
  await sql`alter table api_keys add column organization_ids uuid[]`.execute(db);
  await sql`alter table api_keys add constraint api_keys_owner_check check ((organization_id is null) <> (user_id is null))`.execute(db);
  await sql`create index api_keys_user_idx on api_keys (user_id, id) where user_id is not null`.execute(db);
}
