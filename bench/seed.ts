/**
 * The benchmark's data: its own database (never the tests'), one organization created through the
 * API, a fresh admin key per run, and 1,000,000 activities inserted once with one SQL statement.
 */
import pg from 'pg';

export const ORGANIZATION_NAME_PREFIX = 'orgbase-bench';
export const KEY_NAME = 'orgbase-bench-admin';
export const ACTIVITY_TARGET = 1_000_000;

/** Creates the database named in `url` (through `adminUrl`) when it does not exist yet. */
export async function ensureDatabase(url: string, adminUrl: string): Promise<'existed' | 'created'> {
  const probe = new pg.Client({ connectionString: url });
  try {
    await probe.connect();
    await probe.end();
    return 'existed';
  } catch (error) {
    await probe.end().catch(() => {});
    if ((error as { code?: string }).code !== '3D000') throw error; // 3D000: database does not exist
  }
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bench: refusing to create a database named "${name}"`);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  return 'created';
}

export async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, statement_timeout: 10 * 60_000 });
  await client.connect();
  return client;
}

interface Envelope<T> {
  status: number;
  result: T;
  error?: string;
}

/** One Orgbase API call with `Authorization: Bearer <bearer>`; throws unless 2xx; returns `result`. */
export async function api<T>(baseUrl: string, method: string, path: string, bearer: string, body?: unknown): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${bearer}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const json = (await response.json()) as Envelope<T>;
  if (!response.ok) throw new Error(`bench: ${method} ${path} → ${response.status}: ${json.error ?? JSON.stringify(json)}`);
  return json.result;
}

/** The benchmark organization (found by its name prefix; PATCH runs keep the prefix), created through the API if missing. */
export async function ensureOrganization(client: pg.Client, orgbaseUrl: string, rootKey: string): Promise<{ id: string; created: boolean }> {
  const { rows } = await client.query<{ id: string }>(
    `select id from organizations where name like $1 and deleted_at is null and parent_id is null order by created_at limit 1`,
    [`${ORGANIZATION_NAME_PREFIX}%`],
  );
  if (rows[0]) return { id: rows[0].id, created: false };
  const organization = await api<{ id: string }>(orgbaseUrl, 'POST', '/v1/organizations', rootKey, { name: ORGANIZATION_NAME_PREFIX });
  return { id: organization.id, created: true };
}

/** Deletes the keys earlier runs left behind, then creates this run's admin key (root key, through the API). */
export async function createAdminKey(orgbaseUrl: string, rootKey: string, organizationId: string): Promise<{ id: string; keyId: string; keySecret: string }> {
  const keys = await api<{ id: string; name: string }[]>(orgbaseUrl, 'GET', `/v1/organizations/${organizationId}/keys?limit=1000`, rootKey);
  for (const key of keys.filter((k) => k.name === KEY_NAME)) {
    await api(orgbaseUrl, 'DELETE', `/v1/organizations/${organizationId}/keys/${key.id}`, rootKey);
  }
  const created = await api<{ key: { id: string }; keyId: string; keySecret: string }>(
    orgbaseUrl,
    'POST',
    `/v1/organizations/${organizationId}/keys`,
    rootKey,
    { name: KEY_NAME, roles: ['admin'] },
  );
  return { id: created.key.id, keyId: created.keyId, keySecret: created.keySecret };
}

export async function countActivities(client: pg.Client, organizationId: string): Promise<number> {
  const { rows } = await client.query<{ count: string }>('select count(*) from activities where organization_id = $1', [organizationId]);
  return Number(rows[0]!.count);
}

/**
 * Tops the organization up to 1,000,000 activities with one `insert … select … generate_series`:
 * `organization_update_name` rows one second apart, older than the oldest existing one, with
 * time-ordered (UUIDv7-shaped) ids as Orgbase makes them. Then VACUUM ANALYZE, so the runs neither
 * set hint bits on a million fresh rows nor meet autovacuum halfway. Returns the rows inserted.
 */
export async function seedActivities(client: pg.Client, organizationId: string): Promise<number> {
  const existing = await countActivities(client, organizationId);
  if (existing >= ACTIVITY_TARGET) {
    await client.query('analyze organizations, activities');
    return 0;
  }
  const missing = ACTIVITY_TARGET - existing;
  await client.query(
    `insert into activities (id, organization_id, type, actor_type, actor_id, actor_details, actor_ip, user_agent,
                             project_id, target_id, key_update_type, changes, created_at)
     select encode(set_byte(overlay(uuid_send(gen_random_uuid())
                                    placing substring(int8send((extract(epoch from g.ts) * 1000)::bigint) from 3 for 6)
                                    from 1 for 6),
                            6, 112 + floor(random() * 16)::int), 'hex')::uuid,
            $1::uuid, 'organization_update_name', 'api', 'orgbase-bench-seed', 'API key "orgbase-bench-seed" (…seed)',
            '127.0.0.1', 'orgbase-bench-seed', null, null, null,
            jsonb_build_object('name', jsonb_build_object('old', $2::text || ' ' || g.n, 'new', $2::text || ' ' || (g.n - 1))),
            g.ts
     from (select n, date_trunc('milliseconds', base.oldest - n * interval '1 second') as ts
           from generate_series(1, $3::int) n,
                (select coalesce(min(created_at), now()) as oldest from activities where organization_id = $1::uuid) base) g`,
    [organizationId, ORGANIZATION_NAME_PREFIX, missing],
  );
  await client.query('vacuum analyze activities');
  await client.query('analyze organizations');
  return missing;
}

/** The cursor Orgbase hands out after `rowsBefore` rows, made as the API makes it (see src/domain/pagination.ts). */
export async function cursorAfter(client: pg.Client, organizationId: string, rowsBefore: number): Promise<string> {
  const { rows } = await client.query<{ created_at: Date; id: string }>(
    `select created_at, id from activities where organization_id = $1
     order by created_at desc, id desc offset $2 limit 1`,
    [organizationId, rowsBefore - 1],
  );
  const row = rows[0];
  if (!row) throw new Error(`bench: the organization holds fewer than ${rowsBefore} activities`);
  return Buffer.from(JSON.stringify([row.created_at.toISOString(), row.id])).toString('base64url');
}
