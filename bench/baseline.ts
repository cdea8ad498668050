/**
 * The baseline: bare Fastify + a `pg` pool of the same size as Orgbase's (10), running the same
 * single-row statements on the same tables, with no authentication, no validation, no response
 * schemas, no logging and no activity trail. Run as its own process by bench/run.ts:
 *
 *   BASELINE_DATABASE_URL=postgres://… PORT=… node --import tsx bench/baseline.ts
 *
 *   GET   /organizations/:id             select … from organizations where id = $1
 *   PATCH /organizations/:id  {"name"}   update organizations set name = $2 where id = $1
 *   GET   /organizations/:id/activities  the keyset page query Orgbase runs (limit 100 + 1)
 *   GET   /organizations/:id/members     PostHog's members page (memberships join users, newest first, with the count)
 *   POST  /organizations/:id/roles/:roleId/role_memberships  {"user_uuid"}  insert into role_memberships … (one row)
 *   GET   /organizations/:id/ancestors   the recursive walk up Orgbase runs (ancestorsOf), nearest first
 *   GET   /organizations/:id/children    the keyset page of live children Orgbase runs (listChildren, limit 100 + 1)
 *   GET   /readyz
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';

const url = process.env.BASELINE_DATABASE_URL;
const port = Number(process.env.PORT ?? '0');
if (!url) {
  console.error('baseline: BASELINE_DATABASE_URL is required');
  process.exit(2);
}

const pool = new pg.Pool({ connectionString: url, max: 10 });
pool.on('error', () => {});

const app = Fastify({ logger: false });

app.get<{ Params: { id: string } }>('/organizations/:id', async (request, reply) => {
  const { rows } = await pool.query(
    'select id, parent_id, name, private_endpoints, byoc_config, created_at from organizations where id = $1',
    [request.params.id],
  );
  if (rows.length === 0) return reply.status(404).send({ error: 'not found' });
  return { result: rows[0] };
});

app.patch<{ Params: { id: string }; Body: { name: string } }>('/organizations/:id', async (request, reply) => {
  const result = await pool.query('update organizations set name = $2 where id = $1', [request.params.id, request.body.name]);
  if (result.rowCount === 0) return reply.status(404).send({ error: 'not found' });
  return { status: 200 };
});

app.get<{ Params: { id: string }; Querystring: { cursor?: string; limit?: string } }>(
  '/organizations/:id/activities',
  async (request) => {
    const limit = Number(request.query.limit ?? '100');
    const after = request.query.cursor
      ? (JSON.parse(Buffer.from(request.query.cursor, 'base64url').toString('utf8')) as [string, string])
      : undefined;
    const { rows } = after
      ? await pool.query(
          'select * from activities where organization_id = $1 and (created_at, id) < ($2, $3::uuid) order by created_at desc, id desc limit $4',
          [request.params.id, after[0], after[1], limit + 1],
        )
      : await pool.query('select * from activities where organization_id = $1 order by created_at desc, id desc limit $2', [
          request.params.id,
          limit + 1,
        ]);
    const items = rows.slice(0, limit);
    const last = items[items.length - 1] as { created_at: Date; id: string } | undefined;
    const nextCursor =
      rows.length > limit && last
        ? Buffer.from(JSON.stringify([last.created_at.toISOString(), last.id])).toString('base64url')
        : undefined;
    return { result: items, ...(nextCursor && { nextCursor }) };
  },
);

app.get<{ Params: { id: string }; Querystring: { limit?: string; offset?: string } }>('/organizations/:id/members', async (request) => {
  // The page PostHog's members list serves: newest first, with the member count, in one statement.
  const limit = Number(request.query.limit ?? '100');
  const { rows } = await pool.query(
    'select m.id, m.user_id, u.number, u.email, u.first_name, u.last_name, m.level, m.joined_at, m.updated_at, ' +
      '(select count(*)::int from memberships c where c.organization_id = $1) as total ' +
      'from memberships m join users u on u.id = m.user_id ' +
      'where m.organization_id = $1 order by m.joined_at desc, m.user_id desc limit $2 offset $3',
    [request.params.id, limit, Number(request.query.offset ?? '0')],
  );
  return { count: (rows[0] as { total?: number } | undefined)?.total ?? 0, results: rows };
});

app.post<{ Params: { id: string; roleId: string }; Body: { user_uuid: string } }>(
  '/organizations/:id/roles/:roleId/role_memberships',
  async (request, reply) => {
    const now = new Date();
    try {
      const { rows } = await pool.query(
        'insert into role_memberships (id, role_id, organization_id, user_id, joined_at, updated_at) values ($1, $2, $3, $4, $5, $5) ' +
          'returning id, role_id, user_id, joined_at',
        [randomUUID(), request.params.roleId, request.params.id, request.body.user_uuid, now],
      );
      return reply.status(201).send(rows[0]);
    } catch (error) {
      if ((error as { code?: string }).code === '23505') return reply.status(409).send({ error: 'already in role' });
      throw error;
    }
  },
);

// The organization tree: the statements of src/domain/organizations/hierarchy.queries.ts, without
// the access check and the existence lookup Orgbase makes first.
const ORGANIZATION_COLUMNS = 'id, parent_id, name, created_at, private_endpoints, byoc_config';
const MAX_WALK = 100;

app.get<{ Params: { id: string } }>('/organizations/:id/ancestors', async (request) => {
  const { rows } = await pool.query(
    'with recursive up as ( ' +
      'select o.parent_id, 0 as distance from organizations o where o.id = $1::uuid ' +
      'union all ' +
      'select p.parent_id, up.distance + 1 from up join organizations p on p.id = up.parent_id where up.distance < $2 ' +
      ') ' +
      `select ${ORGANIZATION_COLUMNS.split(', ').map((column) => `p.${column}`).join(', ')}, up.distance + 1 as distance ` +
      'from up join organizations p on p.id = up.parent_id where p.deleted_at is null order by up.distance',
    [request.params.id, MAX_WALK],
  );
  return { result: rows };
});

app.get<{ Params: { id: string }; Querystring: { cursor?: string; limit?: string } }>('/organizations/:id/children', async (request) => {
  const limit = Number(request.query.limit ?? '100');
  const after = request.query.cursor ? (JSON.parse(Buffer.from(request.query.cursor, 'base64url').toString('utf8')) as [string])[0] : undefined;
  const { rows } = after
    ? await pool.query(
        `select ${ORGANIZATION_COLUMNS} from organizations where parent_id = $1 and deleted_at is null and id > $2 order by id limit $3`,
        [request.params.id, after, limit + 1],
      )
    : await pool.query(`select ${ORGANIZATION_COLUMNS} from organizations where parent_id = $1 and deleted_at is null order by id limit $2`, [
        request.params.id,
        limit + 1,
      ]);
  const items = rows.slice(0, limit);
  const last = items[items.length - 1] as { id: string } | undefined;
  const nextCursor = rows.length > limit && last ? Buffer.from(JSON.stringify([last.id])).toString('base64url') : undefined;
  return { result: items, ...(nextCursor && { nextCursor }) };
});

app.get('/readyz', async () => {
  await pool.query('select 1');
  return { status: 'ready' };
});

const stop = async () => {
  await app.close();
  await pool.end();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());

await app.listen({ host: '127.0.0.1', port });
