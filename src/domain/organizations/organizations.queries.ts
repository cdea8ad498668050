import { CompiledQuery, sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { Db } from '../../db/database.js';
import type { OrganizationsTable, PrivateEndpointRow } from '../../db/schema.js';
import type { Actor } from '../principal.js';

/** The columns an organization is served from (bookkeeping columns stay in the database). */
export type OrganizationRow = Pick<
  Selectable<OrganizationsTable>,
  'id' | 'parent_id' | 'name' | 'created_at' | 'private_endpoints' | 'byoc_config'
>;
export const ORGANIZATION_COLUMNS = ['id', 'parent_id', 'name', 'created_at', 'private_endpoints', 'byoc_config'] as const;
const COLUMNS = ORGANIZATION_COLUMNS;
const COLUMN_LIST = COLUMNS.join(', ');

// The hot read, compiled once: building it with the query builder on every request costs more
// than the rest of the handler.
const FIND_LIVE = `select ${COLUMN_LIST} from organizations where id = $1 and deleted_at is null`;
const FIND_LIVE_FOR_UPDATE = `${FIND_LIVE} for update`;

/** A live (not deleted) organization; `forUpdate` locks the row for the rest of the transaction. */
export async function findOrganization(
  db: Db,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<OrganizationRow | undefined> {
  const text = options.forUpdate ? FIND_LIVE_FOR_UPDATE : FIND_LIVE;
  const result = await db.executeQuery<OrganizationRow>(CompiledQuery.raw(text, [id]));
  return result.rows[0];
}

/** An organization with what a fuller view needs besides: the root of its tree and its customizations. */
export type OrganizationProfileRow = OrganizationRow & { root_id: string; customizations: Record<string, unknown> };

const FIND_PROFILE = `
  with recursive up as (
    select id, parent_id from organizations where id = $1 and deleted_at is null
    union all
    select p.id, p.parent_id from organizations p join up on p.id = up.parent_id
  )
  select ${COLUMNS.map((column) => `o.${column}`).join(', ')}, o.customizations, (select id from up where parent_id is null) as root_id
  from organizations o where o.id = $1 and o.deleted_at is null`;

/** A live organization, the root of its tree and its customizations: one query. */
export async function findOrganizationProfile(db: Db, id: string): Promise<OrganizationProfileRow | undefined> {
  const result = await db.executeQuery<OrganizationProfileRow>(CompiledQuery.raw(FIND_PROFILE, [id]));
  return result.rows[0];
}

export async function organizationExists(db: Db, id: string, options: { includeDeleted: boolean }): Promise<boolean> {
  let query = db.selectFrom('organizations').select(sql<number>`1`.as('one')).where('id', '=', id);
  if (!options.includeDeleted) query = query.where('deleted_at', 'is', null);
  return (await query.executeTakeFirst()) !== undefined;
}

/** Live organizations in id (= creation) order, after the given id. */
export async function listOrganizations(db: Db, afterId: string | undefined, limit: number): Promise<OrganizationRow[]> {
  let query = db.selectFrom('organizations').select(COLUMNS).where('deleted_at', 'is', null).orderBy('id').limit(limit);
  if (afterId) query = query.where('id', '>', afterId);
  return query.execute();
}

/** Live organizations the user is a member of (optionally only some), in id order, after the given id. */
export async function listOrganizationsOfUser(
  db: Db,
  userId: string,
  onlyIds: readonly string[] | null,
  afterId: string | undefined,
  limit: number,
): Promise<OrganizationRow[]> {
  let query = db
    .selectFrom('organizations as o')
    .innerJoin('memberships as m', 'm.organization_id', 'o.id')
    .select(COLUMNS.map((column) => `o.${column}` as const))
    .where('m.user_id', '=', userId)
    .where('o.deleted_at', 'is', null)
    .orderBy('o.id')
    .limit(limit);
  if (onlyIds !== null) query = query.where('o.id', 'in', onlyIds.length > 0 ? [...onlyIds] : ['00000000-0000-0000-0000-000000000000']);
  if (afterId) query = query.where('o.id', '>', afterId);
  return query.execute();
}

export async function insertOrganization(db: Db, row: Insertable<OrganizationsTable>): Promise<OrganizationRow> {
  return db.insertInto('organizations').values(row).returning(COLUMNS).executeTakeFirstOrThrow();
}

export async function updateOrganization(
  db: Db,
  id: string,
  changes: Updateable<OrganizationsTable>,
): Promise<OrganizationRow> {
  return db
    .updateTable('organizations')
    .set({ ...changes, version: sql`version + 1` })
    .where('id', '=', id)
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
}

export interface AuditedUpdate {
  id: string;
  /** New values; undefined keeps the current one. */
  name: string | undefined;
  privateEndpoints: PrivateEndpointRow[] | undefined;
  now: Date;
  actor: Actor;
  /** Ids for the activity rows, one per field that may change. */
  activityIds: { name: string; privateEndpoints: string };
}

/**
 * Renames and/or replaces the private endpoints of a live organization and records one activity
 * per field that changed, in ONE statement (so one round trip, and the row lock is held only for
 * the statement and its commit). The `locked` CTE takes the row lock and reads the latest
 * committed values: they are the `old` side of the recorded changes, so concurrent updates each
 * record exactly what they replaced.
 *
 * Returns undefined when nothing was written: the organization is gone, or nothing would change.
 */
export async function updateOrganizationAudited(db: Db, update: AuditedUpdate): Promise<OrganizationRow | undefined> {
  const name = update.name ?? null;
  const endpoints = update.privateEndpoints === undefined ? null : JSON.stringify(update.privateEndpoints);
  const { actor } = update;
  const result = await sql<OrganizationRow>`
    with locked as (
      select id, name, private_endpoints from organizations
      where id = ${update.id} and deleted_at is null
      for update
    ), updated as (
      update organizations o set
        name = coalesce(${name}::text, l.name),
        private_endpoints = coalesce(${endpoints}::jsonb, l.private_endpoints),
        updated_at = ${update.now},
        version = o.version + 1
      from locked l
      where o.id = l.id
        and (l.name is distinct from coalesce(${name}::text, l.name)
          or l.private_endpoints is distinct from coalesce(${endpoints}::jsonb, l.private_endpoints))
      returning o.id, o.parent_id, o.name, o.created_at, o.private_endpoints, o.byoc_config,
        l.name as old_name, l.private_endpoints as old_private_endpoints
    ), recorded as (
      insert into activities
        (id, organization_id, type, actor_type, actor_id, actor_details, actor_ip, user_agent, changes, created_at)
      select a.id, u.id, a.type, ${actor.type}, ${actor.id}, ${actor.details}, ${actor.ip}, ${actor.userAgent},
        case a.field
          when 'name' then jsonb_build_object('name', jsonb_build_object('old', u.old_name, 'new', u.name))
          else jsonb_build_object('privateEndpoints',
            jsonb_build_object('old', u.old_private_endpoints, 'new', u.private_endpoints))
        end,
        ${update.now}
      from updated u
      cross join (values
        (${update.activityIds.name}::uuid, 'name', 'organization_update_name'),
        (${update.activityIds.privateEndpoints}::uuid, 'privateEndpoints', 'organization_update_private_endpoints')
      ) as a(id, field, type)
      where (a.field = 'name' and u.old_name is distinct from u.name)
        or (a.field = 'privateEndpoints' and u.old_private_endpoints is distinct from u.private_endpoints)
    )
    select ${sql.raw(COLUMN_LIST)} from updated`.execute(db);
  return result.rows[0];
}
