/**
 * The hierarchy scenarios (issue 4): the ancestors of an organization at depth 10 and a page of 100
 * children of a mid-tree organization, in a tree of ~100,000 live organizations, read with an admin
 * organization key of the tree's root (an admin key of an ancestor administers the descendants:
 * the realistic access check, one ancestry query).
 *
 * Data: the root "orgbase-hierarchy-bench" and, per run, a fresh admin key of it are made through
 * the API; the 99,230 descendants by SQL, once, in one transaction (one statement per level), then
 * VACUUM ANALYZE. Fan-out per depth (FANOUT): 2 children each down to depth 5, whose 16
 * organizations have 200 children each, then 2 each again, so every branch reaches depth 10:
 * 1 + 2 + 4 + 8 + 16 + 3,200 + 6,400 + 12,800 + 25,600 + 51,200 = 99,231 organizations.
 * Ids are UUIDv7 stamped with created_at (1 ms apart, as Orgbase makes them: id order = creation
 * order); names "d<depth>-<n>" are unique in the tree. The seeded organizations get no projects:
 * nothing the benchmark reads looks at them.
 */
import type pg from 'pg';
import { measurePair, type LoadResult, type LoadSpec } from './load.js';
import type { RunScenario } from './people.js';
import type { Server } from './processes.js';
import type { ScenarioResult, Target } from './report.js';
import { countRequestRoundTrips } from './round-trips.js';
import { api, createAdminKey } from './seed.js';

export const HIERARCHY_ORGANIZATION_NAME = 'orgbase-hierarchy-bench';
/** Children of every organization at depth d (root: depth 1) are FANOUT[d - 1]. */
const FANOUT = [2, 2, 2, 2, 200, 2, 2, 2, 2] as const;
export const TREE_DEPTH = FANOUT.length + 1;
/** Organizations per depth, root first. */
const LEVEL_SIZES = FANOUT.reduce<number[]>((sizes, fanout) => [...sizes, sizes[sizes.length - 1]! * fanout], [1]);
export const TREE_SIZE = LEVEL_SIZES.reduce((sum, n) => sum + n, 0);
/** The depth of the organization whose children are paged (the one with FANOUT children ≥ a full page + 1). */
const MID_DEPTH = 5;
const PAGE_SIZE = 100;
export const HIERARCHY_P99_LIMIT_MS = 10;

export interface HierarchyFixture {
  rootId: string;
  rootCreated: boolean;
  /** Live organizations in the tree, root included, and its depth (root: 1). */
  size: number;
  depth: number;
  /** Organizations inserted this run (0: the tree was already there). */
  seeded: number;
  /** An organization at depth TREE_DEPTH and its ancestors by SQL, nearest first (the root last). */
  deepId: string;
  deepAncestorIds: string[];
  /** An organization at depth MID_DEPTH and its live child count. */
  midId: string;
  midChildren: number;
  key: { id: string; keyId: string; keySecret: string };
  /** `Basic base64(keyId:keySecret)` of the root's admin key. */
  auth: string;
}

const TREE_STATS = `
  with recursive down as (
    select id, 1 as depth from organizations where id = $1 and deleted_at is null
    union all
    select c.id, down.depth + 1 from down join organizations c on c.parent_id = down.id
    where c.deleted_at is null and down.depth < 100
  )
  select count(*)::int as size, coalesce(max(depth), 0)::int as depth,
         (select id from down where depth = $2 order by id limit 1) as deep,
         (select id from down where depth = $3 order by id limit 1) as mid
  from down`;

interface TreeStats {
  size: number;
  depth: number;
  deep: string | null;
  mid: string | null;
}

async function treeStats(client: pg.Client, rootId: string): Promise<TreeStats> {
  const { rows } = await client.query<TreeStats>(TREE_STATS, [rootId, TREE_DEPTH, MID_DEPTH]);
  return rows[0]!;
}

/** Makes (or finds) the tree, a fresh admin key of its root, and picks the deep and the mid-tree organization. */
export async function prepareHierarchy(client: pg.Client, orgbaseUrl: string, rootKey: string, log: (message: string) => void): Promise<HierarchyFixture> {
  const started = Date.now();
  const found = await client.query<{ id: string }>(
    'select id from organizations where name = $1 and deleted_at is null and parent_id is null order by created_at limit 1',
    [HIERARCHY_ORGANIZATION_NAME],
  );
  let rootId = found.rows[0]?.id;
  let rootCreated = false;
  let stats = rootId === undefined ? undefined : await treeStats(client, rootId);
  if (rootId !== undefined && stats && stats.size !== 1 && (stats.size !== TREE_SIZE || stats.depth !== TREE_DEPTH)) {
    // An earlier tree of another shape: retire it whole (soft delete, as Orgbase deletes) and start over.
    await client.query(
      `with recursive down as (
         select id from organizations where id = $1
         union all
         select c.id from down join organizations c on c.parent_id = down.id where c.deleted_at is null
       )
       update organizations set deleted_at = now(), updated_at = now() where id in (select id from down) and deleted_at is null`,
      [rootId],
    );
    log(`hierarchy: the tree under ${rootId} had ${stats.size} organizations, ${stats.depth} deep: deleted it, making a new one`);
    rootId = undefined;
  }
  if (rootId === undefined) {
    rootId = (await api<{ id: string }>(orgbaseUrl, 'POST', '/v1/organizations', rootKey, { name: HIERARCHY_ORGANIZATION_NAME })).id;
    rootCreated = true;
    stats = undefined;
  }

  let seeded = 0;
  if (stats === undefined || stats.size === 1) {
    const t0 = Date.now();
    seeded = await seedTree(client, rootId);
    log(`hierarchy: seeded ${seeded.toLocaleString('en')} organizations by SQL + VACUUM ANALYZE in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } else {
    await client.query('analyze organizations');
  }
  stats = await treeStats(client, rootId);
  if (stats.size !== TREE_SIZE || stats.depth !== TREE_DEPTH || !stats.deep || !stats.mid) {
    throw new Error(`bench: the hierarchy tree holds ${stats.size} organizations, ${stats.depth} deep; expected ${TREE_SIZE}, ${TREE_DEPTH} deep`);
  }

  // The deep organization's ancestors, by a plain walk (not the statement under test).
  const deepAncestorIds: string[] = [];
  for (let id: string | null = stats.deep; ; ) {
    const result: pg.QueryResult<{ parent_id: string | null }> = await client.query('select parent_id from organizations where id = $1', [id]);
    id = result.rows[0]?.parent_id ?? null;
    if (id === null || deepAncestorIds.length > 100) break;
    deepAncestorIds.push(id);
  }
  if (deepAncestorIds.length !== TREE_DEPTH - 1 || deepAncestorIds[deepAncestorIds.length - 1] !== rootId) {
    throw new Error(`bench: the deep organization ${stats.deep} has ${deepAncestorIds.length} ancestors, not ${TREE_DEPTH - 1} up to the root`);
  }
  const { rows: childRows } = await client.query<{ count: number }>(
    'select count(*)::int as count from organizations where parent_id = $1 and deleted_at is null',
    [stats.mid],
  );
  const midChildren = childRows[0]!.count;
  if (midChildren <= PAGE_SIZE) throw new Error(`bench: the mid-tree organization ${stats.mid} has only ${midChildren} children`);

  const key = await createAdminKey(orgbaseUrl, rootKey, rootId);
  log(
    `hierarchy root ${rootId} (${rootCreated ? 'created through the API' : 'from an earlier run'}): ${stats.size.toLocaleString('en')} organizations, ` +
      `${stats.depth} deep (${seeded > 0 ? 'seeded this run' : 'seeding skipped, ANALYZE only'}); depth ${TREE_DEPTH}: ${stats.deep}, ` +
      `depth ${MID_DEPTH}: ${stats.mid} with ${midChildren} children; admin key ${key.id} of the root (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
  return {
    rootId,
    rootCreated,
    size: stats.size,
    depth: stats.depth,
    seeded,
    deepId: stats.deep,
    deepAncestorIds,
    midId: stats.mid,
    midChildren,
    key,
    auth: `Basic ${Buffer.from(`${key.keyId}:${key.keySecret}`).toString('base64')}`,
  };
}

/**
 * Inserts the descendants of the root, one statement per depth, in one transaction (so a run cut
 * short leaves the bare root, which the next run seeds); then VACUUM ANALYZE. Returns the rows inserted.
 */
async function seedTree(client: pg.Client, rootId: string): Promise<number> {
  const { rows } = await client.query<{ created_at: Date }>('select created_at from organizations where id = $1', [rootId]);
  const rootCreatedAt = rows[0]!.created_at;
  let inserted = 0;
  await client.query('begin');
  try {
    await client.query('create temp table hierarchy_seed (id uuid not null, depth int not null) on commit drop');
    await client.query('insert into hierarchy_seed values ($1, 1)', [rootId]);
    for (let depth = 1; depth < TREE_DEPTH; depth++) {
      // Children of every organization at `depth`, stamped 1 ms apart after everything made before.
      const result = await client.query(
        `with made as (
           insert into organizations (id, parent_id, name, created_at, updated_at)
           select encode(set_byte(overlay(uuid_send(gen_random_uuid())
                                          placing substring(int8send((extract(epoch from g.ts) * 1000)::bigint) from 3 for 6)
                                          from 1 for 6),
                                  6, 112 + floor(random() * 16)::int), 'hex')::uuid,
                  g.parent_id, 'd' || ($2::int + 1)::text || '-' || g.n::text, g.ts, g.ts
           from (select p.id as parent_id, row_number() over (order by p.id, i) as n
                 from hierarchy_seed p cross join generate_series(1, $1::int) i
                 where p.depth = $2::int) c,
                lateral (select c.parent_id, c.n, $3::timestamptz + ($4::int + c.n) * interval '1 millisecond' as ts) g
           returning id)
         insert into hierarchy_seed select id, $2::int + 1 from made`,
        [FANOUT[depth - 1], depth, rootCreatedAt, inserted],
      );
      inserted += result.rowCount ?? 0;
    }
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  }
  await client.query('vacuum analyze organizations');
  return inserted;
}

const ancestorsPath = (id: string) => `/v1/organizations/${id}/ancestors`;
const childrenPath = (id: string) => `/v1/organizations/${id}/children?limit=${PAGE_SIZE}`;
const baseAncestorsPath = (id: string) => `/organizations/${id}/ancestors`;
const baseChildrenPath = (id: string) => `/organizations/${id}/children?limit=${PAGE_SIZE}`;

export interface HierarchyRoundTrips {
  ancestorsAdminKey: string[];
  ancestorsRootKey: string[];
  childrenAdminKey: string[];
  childrenRootKey: string[];
}

/** The round trips of both reads with the root's admin key and with the root key (no access check). Undefined when that fails. */
export async function measureHierarchyRoundTrips(options: {
  projectDir: string;
  databaseUrl: string;
  rootKey: string;
  logLevel: string;
  fixture: HierarchyFixture;
  log: (message: string) => void;
}): Promise<HierarchyRoundTrips | undefined> {
  const { fixture } = options;
  const root = `Bearer ${options.rootKey}`;
  try {
    const counts = await countRequestRoundTrips({
      ...options,
      requests: [
        { name: 'ancestorsAdminKey', authorization: fixture.auth, method: 'GET', path: ancestorsPath(fixture.deepId) },
        { name: 'ancestorsRootKey', authorization: root, method: 'GET', path: ancestorsPath(fixture.deepId) },
        { name: 'childrenAdminKey', authorization: fixture.auth, method: 'GET', path: childrenPath(fixture.midId) },
        { name: 'childrenRootKey', authorization: root, method: 'GET', path: childrenPath(fixture.midId) },
      ],
    });
    const result: HierarchyRoundTrips = {
      ancestorsAdminKey: counts.ancestorsAdminKey ?? [],
      ancestorsRootKey: counts.ancestorsRootKey ?? [],
      childrenAdminKey: counts.childrenAdminKey ?? [],
      childrenRootKey: counts.childrenRootKey ?? [],
    };
    options.log(
      `round trips (counted): ancestors ${result.ancestorsAdminKey.length} with the root's admin key (${result.ancestorsRootKey.length} with the root key), ` +
        `children ${result.childrenAdminKey.length} (${result.childrenRootKey.length})`,
    );
    return result;
  } catch (error) {
    options.log(`hierarchy round-trip count failed: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

export interface HierarchyResult {
  ancestors: ScenarioResult;
  children: ScenarioResult;
  /** The same two requests at 1 connection (empty when BENCH_UNLOADED_DURATION=0). */
  unloaded: { scenario: string; orgbase: LoadResult; baseline: LoadResult }[];
  roundTrips: HierarchyRoundTrips | undefined;
}

async function getJson(url: string, headers: Record<string, string> = {}): Promise<any> {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
  const body = await response.json();
  if (!response.ok) throw new Error(`bench: GET ${url} → ${response.status} ${JSON.stringify(body)}`);
  return body;
}

const ids = (rows: { id: string }[]) => rows.map((row) => row.id);

/** Checks that both servers give the same answers, then runs the two scenarios (and their unloaded runs). */
export async function runHierarchyScenarios(ctx: {
  orgbase: Server;
  baseline: Server;
  fixture: HierarchyFixture;
  roundTrips: HierarchyRoundTrips | undefined;
  spec: (server: Server, method: LoadSpec['method'], path: string, extra?: Partial<LoadSpec>) => LoadSpec;
  scenario: RunScenario;
  unloaded: { seconds: number; warmupSeconds: number };
  log: (message: string) => void;
}): Promise<HierarchyResult> {
  const { orgbase, baseline, fixture, spec, scenario, log } = ctx;
  const headers = { authorization: fixture.auth };

  // Ancestors: the same 9 organizations, nearest first, from both servers and from the plain walk.
  const ancestors = await getJson(`${orgbase.url}${ancestorsPath(fixture.deepId)}`, headers);
  const baseAncestors = await getJson(`${baseline.url}${baseAncestorsPath(fixture.deepId)}`);
  const expected = fixture.deepAncestorIds.join();
  if (ids(ancestors.result).join() !== expected || ids(baseAncestors.result).join() !== expected || ancestors.nextCursor !== undefined) {
    throw new Error(
      `bench: the ancestors of ${fixture.deepId} differ: orgbase ${ids(ancestors.result).join()}, baseline ${ids(baseAncestors.result).join()}, SQL walk ${expected}`,
    );
  }
  // Children: the same first 100 in id order, each a child of the mid-tree organization, and a next page on both.
  const children = await getJson(`${orgbase.url}${childrenPath(fixture.midId)}`, headers);
  const baseChildren = await getJson(`${baseline.url}${baseChildrenPath(fixture.midId)}`);
  const childIds = ids(children.result);
  if (
    childIds.length !== PAGE_SIZE ||
    childIds.join() !== ids(baseChildren.result).join() ||
    childIds.some((id, i) => i > 0 && id <= childIds[i - 1]!) ||
    baseChildren.result.some((row: { parent_id: string }) => row.parent_id !== fixture.midId) ||
    !children.nextCursor ||
    !baseChildren.nextCursor
  ) {
    throw new Error(`bench: the children pages of ${fixture.midId} differ between Orgbase and the baseline`);
  }
  log(`hierarchy: both servers return the same ${fixture.deepAncestorIds.length} ancestors and the same first ${PAGE_SIZE} children, in the same order`);

  const target: Target = { text: `p99 ≤ ${HIERARCHY_P99_LIMIT_MS} ms`, check: ({ orgbase: result }) => result.p99Ms <= HIERARCHY_P99_LIMIT_MS };
  const requests = [
    {
      name: `GET …/ancestors (depth ${TREE_DEPTH})`,
      path: ancestorsPath(fixture.deepId),
      basePath: baseAncestorsPath(fixture.deepId),
    },
    {
      name: `GET …/children?limit=${PAGE_SIZE}`,
      path: childrenPath(fixture.midId),
      basePath: baseChildrenPath(fixture.midId),
    },
  ];
  const rows: ScenarioResult[] = [];
  for (const request of requests) {
    rows.push(
      await scenario(
        request.name,
        { orgbase: `GET ${request.path} (admin key of the tree's root)`, baseline: `GET ${request.basePath}` },
        [spec(orgbase, 'GET', request.path, { headers }), spec(baseline, 'GET', request.basePath)],
        target,
      ),
    );
  }

  const unloaded: HierarchyResult['unloaded'] = [];
  if (ctx.unloaded.seconds > 0) {
    for (const request of requests) {
      const [a, b] = await measurePair(
        spec(orgbase, 'GET', request.path, { headers, connections: 1 }),
        spec(baseline, 'GET', request.basePath, { connections: 1 }),
        { seconds: ctx.unloaded.seconds, rounds: 1, warmupSeconds: Math.min(1, ctx.unloaded.warmupSeconds) },
      );
      unloaded.push({ scenario: request.name, orgbase: a, baseline: b });
    }
  }
  return { ancestors: rows[0]!, children: rows[1]!, unloaded, roundTrips: ctx.roundTrips };
}

/** The lines printed under the table. */
export function describeHierarchy(result: HierarchyResult, fixture: HierarchyFixture): string[] {
  const lines = [
    `Hierarchy: tree ${fixture.rootId} of ${fixture.size.toLocaleString('en')} live organizations, ${fixture.depth} levels ` +
      `(children per organization by depth: ${FANOUT.join(', ')}); ancestors of a depth-${TREE_DEPTH} organization (${fixture.deepAncestorIds.length} ancestors), ` +
      `children of a depth-${MID_DEPTH} organization with ${fixture.midChildren} children (a page of ${PAGE_SIZE}); ` +
      `both with an admin organization key of the root (Basic auth), whose access check walks up from the organization read.`,
  ];
  const counts = result.roundTrips;
  if (counts === undefined) {
    lines.push('Round trips: not counted (the probe failed; see the log above).');
    return lines;
  }
  lines.push(
    'PostgreSQL round trips per request (counted as above):',
    `  GET …/ancestors: root's admin key ${counts.ancestorsAdminKey.length}, root key ${counts.ancestorsRootKey.length} (baseline: 1)`,
    ...counts.ancestorsAdminKey.map((statement, i) => `    ${String(i + 1).padStart(2)}. ${statement}`),
    `  GET …/children?limit=${PAGE_SIZE}: root's admin key ${counts.childrenAdminKey.length}, root key ${counts.childrenRootKey.length} (baseline: 1)`,
    ...counts.childrenAdminKey.map((statement, i) => `    ${String(i + 1).padStart(2)}. ${statement}`),
  );
  return lines;
}

/** The hierarchy part of bench/results/latest.json. */
export function hierarchyJson(result: HierarchyResult, fixture: HierarchyFixture) {
  const counts = result.roundTrips;
  return {
    rootId: fixture.rootId,
    organizations: fixture.size,
    depth: fixture.depth,
    fanoutByDepth: FANOUT,
    seededThisRun: fixture.seeded,
    deepOrganizationId: fixture.deepId,
    deepAncestors: fixture.deepAncestorIds.length,
    midOrganizationId: fixture.midId,
    midChildren: fixture.midChildren,
    auth: "Basic (admin organization key of the tree's root)",
    p99TargetMs: HIERARCHY_P99_LIMIT_MS,
    roundTrips: counts && {
      ancestorsAdminKey: counts.ancestorsAdminKey.length,
      ancestorsRootKey: counts.ancestorsRootKey.length,
      childrenAdminKey: counts.childrenAdminKey.length,
      childrenRootKey: counts.childrenRootKey.length,
      statements: counts,
    },
  };
}
