import { sql, type Kysely } from 'kysely';

/**
 * The organization tree: live siblings have names unique case-insensitively (root-level
 * organizations are siblings of each other), and children are listed by (parent, id).
 * Live siblings that already share a name are told apart first: all but the oldest get " (<first 8
 * characters of their id>)", which no existing name can already take by counting up.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    with ranked as (
      select id, row_number() over (partition by parent_id, lower(name) order by created_at, id) as n
      from organizations where deleted_at is null
    )
    update organizations o set name = o.name || ' (' || left(o.id::text, 8) || ')' from ranked r where r.id = o.id and r.n > 1`.execute(db);
  await sql`create unique index organizations_sibling_name_idx on organizations
    (coalesce(parent_id, '00000000-0000-0000-0000-000000000000'::uuid), lower(name)) where deleted_at is null`.execute(db);
  await sql`create index organizations_children_idx on organizations (parent_id, id) where deleted_at is null`.execute(db);
  await sql`drop index organizations_parent_idx`.execute(db);
}
