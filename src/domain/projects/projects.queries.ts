import { sql, type Insertable, type Selectable } from 'kysely';
import type { Db } from '../../db/database.js';
import type { ProjectsTable } from '../../db/schema.js';

export type ProjectRow = Selectable<ProjectsTable>;

/** The name every organization's first project gets. */
export const DEFAULT_PROJECT_NAME = 'Default';

/** In creation order (UUIDv7 ids), keyset on id. */
export async function listProjects(db: Db, organizationId: string, afterId: string | undefined, limit: number): Promise<ProjectRow[]> {
  let query = db.selectFrom('projects').selectAll().where('organization_id', '=', organizationId).orderBy('id').limit(limit);
  if (afterId) query = query.where('id', '>', afterId);
  return query.execute();
}

/** A project of the organization; `forUpdate` locks its row for the rest of the transaction. */
export async function findProject(db: Db, organizationId: string, id: string, options: { forUpdate?: boolean } = {}): Promise<ProjectRow | undefined> {
  let query = db.selectFrom('projects').selectAll().where('organization_id', '=', organizationId).where('id', '=', id);
  if (options.forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

/** A project of the organization, only while the organization is live. */
export async function findLiveProject(db: Db, organizationId: string, id: string): Promise<ProjectRow | undefined> {
  return db
    .selectFrom('projects as p')
    .innerJoin('organizations as o', 'o.id', 'p.organization_id')
    .selectAll('p')
    .where('p.organization_id', '=', organizationId)
    .where('p.id', '=', id)
    .where('o.deleted_at', 'is', null)
    .executeTakeFirst();
}

/** A project by id alone, whatever its organization. */
export async function findProjectById(db: Db, id: string): Promise<ProjectRow | undefined> {
  return db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function projectCount(db: Db, organizationId: string): Promise<number> {
  const row = await db
    .selectFrom('projects')
    .select(sql<number>`count(*)::int`.as('total'))
    .where('organization_id', '=', organizationId)
    .executeTakeFirstOrThrow();
  return row.total;
}

export async function insertProject(db: Db, row: Insertable<ProjectsTable>): Promise<ProjectRow> {
  return db.insertInto('projects').values(row).returningAll().executeTakeFirstOrThrow();
}

/**
 * Creates the organization's `Default` project. Call it inside the transaction that creates the
 * organization, so no organization is ever seen without a project. Records no activity.
 */
export async function insertDefaultProject(
  trx: Db,
  project: { id: string; organizationId: string; now: Date; createdBy?: string | null; name?: string },
): Promise<ProjectRow> {
  return insertProject(trx, {
    id: project.id,
    organization_id: project.organizationId,
    name: project.name ?? DEFAULT_PROJECT_NAME,
    created_by: project.createdBy ?? null,
    created_at: project.now,
    updated_at: project.now,
  });
}

export async function updateProject(db: Db, id: string, changes: { name: string; description: string; updated_at: Date }): Promise<ProjectRow> {
  return db.updateTable('projects').set(changes).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
}

/** Deletes the project; users who had it active fall back to the default (on delete set null). */
export async function deleteProject(db: Db, id: string): Promise<void> {
  await db.deleteFrom('projects').where('id', '=', id).execute();
}

/**
 * The project a user works in: the one they chose, while it is still in a live organization they
 * belong to; otherwise the oldest project of their oldest live membership (that has a project).
 * Undefined when the user belongs to no live organization (or does not exist). One statement.
 */
export async function activeProjectOf(db: Db, userId: string): Promise<ProjectRow | undefined> {
  const result = await sql<ProjectRow>`
    select id, organization_id, name, description, created_by, created_at, updated_at from (
      select p.*, 0 as preference
      from users u
      join projects p on p.id = u.active_project_id
      join organizations o on o.id = p.organization_id and o.deleted_at is null
      join memberships m on m.organization_id = p.organization_id and m.user_id = u.id
      where u.id = ${userId}::uuid
      union all
      (select p.*, 1 as preference
      from memberships m
      join organizations o on o.id = m.organization_id and o.deleted_at is null
      cross join lateral (
        select * from projects f where f.organization_id = m.organization_id order by f.id limit 1
      ) p
      where m.user_id = ${userId}::uuid
      order by m.joined_at, m.organization_id
      limit 1)
    ) candidates
    order by preference
    limit 1`.execute(db);
  return result.rows[0];
}

/**
 * Makes the project the user's active one, provided it is in a live organization the user is a
 * member of; undefined when it is not (or the user or the project does not exist).
 */
export async function setActiveProject(db: Db, userId: string, projectId: string, now: Date): Promise<ProjectRow | undefined> {
  const result = await sql<ProjectRow>`
    update users u set active_project_id = p.id, updated_at = ${now}::timestamptz
    from projects p
    join organizations o on o.id = p.organization_id and o.deleted_at is null
    join memberships m on m.organization_id = p.organization_id
    where u.id = ${userId}::uuid and p.id = ${projectId}::uuid and m.user_id = u.id
    returning p.id, p.organization_id, p.name, p.description, p.created_by, p.created_at, p.updated_at`.execute(db);
  return result.rows[0];
}
