/**
 * The organization tree in SQL: walks up (ancestors, depth) and down (subtree, height) with
 * recursive queries bounded by the depth limit, so each costs one round trip and at most
 * `MAX_WALK` index lookups per level.
 */
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { ORGANIZATION_COLUMNS, type OrganizationRow } from './organizations.queries.js';

/** No tree is deeper than the configuration allows (≤ 100); the walks stop there even on bad data. */
const MAX_WALK = 100;

const columns = (alias: string) => sql.raw(ORGANIZATION_COLUMNS.map((column) => `${alias}.${column}`).join(', '));

/** The live ancestors of an organization, nearest first (parent at distance 1). */
export async function ancestorsOf(db: Db, id: string): Promise<(OrganizationRow & { distance: number })[]> {
  const result = await sql<OrganizationRow & { distance: number }>`
    with recursive up as (
      select o.parent_id, 0 as distance from organizations o where o.id = ${id}::uuid
      union all
      select p.parent_id, up.distance + 1 from up join organizations p on p.id = up.parent_id
      where up.distance < ${MAX_WALK}
    )
    select ${columns('p')}, up.distance + 1 as distance
    from up join organizations p on p.id = up.parent_id
    where p.deleted_at is null
    order by up.distance`.execute(db);
  return result.rows;
}

/** True when `ancestorId` is a proper ancestor of `id`, and `id` is live. */
export async function isLiveAncestor(db: Db, ancestorId: string, id: string): Promise<boolean> {
  const result = await sql<{ found: boolean }>`
    with recursive up as (
      select o.parent_id, 0 as distance from organizations o where o.id = ${id}::uuid and o.deleted_at is null
      union all
      select p.parent_id, up.distance + 1 from up join organizations p on p.id = up.parent_id
      where up.distance < ${MAX_WALK} and up.parent_id <> ${ancestorId}::uuid
    )
    select exists (select 1 from up where parent_id = ${ancestorId}::uuid) as found`.execute(db);
  return result.rows[0]?.found === true;
}

/** Depth of an organization: 1 at the root level. */
export async function depthOf(db: Db, id: string): Promise<number> {
  const result = await sql<{ depth: number }>`
    with recursive up as (
      select o.parent_id, 1 as depth from organizations o where o.id = ${id}::uuid
      union all
      select p.parent_id, up.depth + 1 from up join organizations p on p.id = up.parent_id where up.depth < ${MAX_WALK}
    )
    select max(depth)::int as depth from up`.execute(db);
  return result.rows[0]?.depth ?? 0;
}

/** The live subtree under an organization (itself included, at level 0), top down. */
export async function subtreeOf(db: Db, id: string): Promise<{ id: string; parent_id: string | null; name: string; level: number }[]> {
  const result = await sql<{ id: string; parent_id: string | null; name: string; level: number }>`
    with recursive down as (
      select o.id, o.parent_id, o.name, 0 as level from organizations o where o.id = ${id}::uuid and o.deleted_at is null
      union all
      select c.id, c.parent_id, c.name, down.level + 1 from down join organizations c on c.parent_id = down.id
      where c.deleted_at is null and down.level < ${MAX_WALK}
    )
    select id, parent_id, name, level from down order by level, id`.execute(db);
  return result.rows;
}

/** Live children, in id (= creation) order, after the given id: served by organizations_children_idx. */
export async function listChildren(db: Db, parentId: string, afterId: string | undefined, limit: number): Promise<OrganizationRow[]> {
  let query = db
    .selectFrom('organizations')
    .select(ORGANIZATION_COLUMNS)
    .where('parent_id', '=', parentId)
    .where('deleted_at', 'is', null)
    .orderBy('id')
    .limit(limit);
  if (afterId) query = query.where('id', '>', afterId);
  return query.execute();
}

/**
 * Moves and subtree changes take one lock for the whole tree: two concurrent moves could
 * otherwise each pass the cycle check and together make a cycle. Moves are rare; reads never wait.
 */
export async function lockTree(db: Db): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext('orgbase:organization-tree'))`.execute(db);
}

/** Live sibling names (under the parent, or at the root level) that start like `name`, lowercase. */
export async function siblingNamesLike(db: Db, parentId: string | null, name: string): Promise<Set<string>> {
  const prefix = name.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
  let query = db
    .selectFrom('organizations')
    .select(sql<string>`lower(name)`.as('name'))
    .where('deleted_at', 'is', null)
    .where(sql<boolean>`lower(name) like ${`${prefix}%`}`);
  query = parentId === null ? query.where('parent_id', 'is', null) : query.where('parent_id', '=', parentId);
  return new Set((await query.execute()).map((row) => row.name));
}
