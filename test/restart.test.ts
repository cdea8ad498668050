import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { testDatabases, type TestDatabase } from './helpers/databases.js';
import { activitiesOf, createKey, createTenant } from './helpers/fixtures.js';
import { loadConfig } from '../src/config.js';
import { createOrgbase } from '../src/server.js';
import { ROOT_KEY, startServer, type TestServer } from './helpers/server.js';

const PROJECT = fileURLToPath(new URL('..', import.meta.url));
const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'orgbase-restart-'));
  tempDirs.push(dir);
  return dir;
}
after(async () => {
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

/** Writes a bit of everything through the API and returns what a reader should find afterwards. */
async function writeData(server: TestServer) {
  const { organization, admin, developer } = await createTenant(server, 'Durable');
  const disabled = await createKey(server, organization.id, { roles: ['developer'], state: 'disabled' });
  const base = `/v1/organizations/${organization.id}`;
  const writes = [
    await server.request({ method: 'PATCH', url: base, auth: admin.basic, body: { name: 'Durable 2', privateEndpoints: { add: [{ id: 'vpce-1', cloudProvider: 'aws', region: 'us-east-1' }] } } }),
    await server.request({ method: 'POST', url: `${base}/byocInfrastructure`, auth: admin.basic, body: { regionId: 'us-central1', accountId: 'proj' } }),
    await server.request({ method: 'PATCH', url: `${base}/keys/${developer.id}`, auth: admin.basic, body: { name: 'reader', ipAccessList: [{ source: '10.0.0.0/8', description: 'vpn' }] } }),
  ];
  writes.forEach((response) => assert.equal(response.status, 200, JSON.stringify(response.body)));
  const other = await createTenant(server, 'Other');
  return { organization, admin, developer, disabled, other, snapshot: await readData(server, [organization.id, other.organization.id]) };
}

async function readData(server: TestServer, organizationIds: string[]) {
  const read = async (url: string) => {
    const response = await server.request({ method: 'GET', url, auth: 'root' });
    assert.equal(response.status, 200, `${url}: ${JSON.stringify(response.body)}`);
    return response.body.result;
  };
  const result: Record<string, unknown> = { organizations: await read('/v1/organizations?limit=1000') };
  for (const id of organizationIds) {
    result[id] = { organization: await read(`/v1/organizations/${id}`), keys: await read(`/v1/organizations/${id}/keys`), activities: await activitiesOf(server, id) };
  }
  return result;
}

async function assertRestored(server: TestServer, written: Awaited<ReturnType<typeof writeData>>) {
  const { organization, admin, developer, disabled, other, snapshot } = written;
  assert.deepEqual(await readData(server, [organization.id, other.organization.id]), snapshot);
  // Keys authenticate against the stored hashes: no cache survives a restart.
  const url = `/v1/organizations/${organization.id}`;
  const asAdmin = await server.request({ method: 'GET', url, auth: admin.basic });
  assert.equal(asAdmin.status, 200);
  assert.equal(asAdmin.body.result.name, 'Durable 2');
  assert.equal((await server.request({ method: 'GET', url, auth: admin.bearer })).status, 200);
  assert.equal((await server.request({ method: 'GET', url, auth: developer.basic, remoteAddress: '10.1.2.3' })).status, 200);
  assert.equal((await server.request({ method: 'GET', url, auth: developer.basic, remoteAddress: '192.0.2.1' })).status, 401);
  assert.equal((await server.request({ method: 'GET', url, auth: disabled.basic })).status, 401);
  assert.equal((await server.request({ method: 'GET', url, auth: other.admin.basic })).status, 404);
  // And the trail continues.
  const renamed = await server.request({ method: 'PATCH', url, auth: admin.basic, body: { name: 'Durable 3' } });
  assert.equal(renamed.status, 200);
  const trail = await activitiesOf(server, organization.id);
  assert.equal(trail[0].type, 'organization_update_name');
  assert.deepEqual(trail.slice(1), (snapshot[organization.id] as any).activities);
}

/** Starts, writes, closes the app only (keeping the data), starts again on the same data, reads. */
function restartSuite(database: TestDatabase, storage: () => Promise<{ dataDir?: string }>) {
  describe(`restart keeps everything [${database.kind}]`, () => {
    const open: TestServer[] = [];
    after(async () => {
      for (const server of open) {
        await server.app.close().catch(() => {});
        await server.database.dispose();
      }
    });

    it('organizations, keys, endpoints, BYOC and activities survive; keys still authenticate', async () => {
      const first = await startServer(database, { reuse: await storage() });
      open.push(first);
      const written = await writeData(first);
      await first.app.close(); // closes the database, keeps its data (no dispose)
      const reuse = first.database.schema ? { schema: first.database.schema } : { dataDir: (await storage()).dataDir! };
      const second = await startServer(database, { reuse });
      open.push(second);
      await assertRestored(second, written);
    });
  });
}

const [pglite, postgres] = [testDatabases().find((d) => d.kind === 'pglite')!, testDatabases().find((d) => d.kind === 'postgres')];
let dataDir: string | undefined;
restartSuite(pglite, async () => ({ dataDir: (dataDir ??= await tempDir()) }));
if (postgres) restartSuite(postgres, async () => ({}));

describe('a generated root key is stored and kept [pglite data directory]', () => {
  const open: TestServer[] = [];
  after(async () => {
    for (const server of open) await server.app.close().catch(() => {});
  });
  it('is generated once, then the stored hash is used', async () => {
    const dir = await tempDir();
    const env = { ORGBASE_ROOT_KEY: '' }; // unset: use the stored key, or generate one
    const first = await startServer(pglite, { env, reuse: { dataDir: dir } });
    open.push(first);
    const generated = first.orgbase.rootKey.generated;
    assert.ok(generated && generated.length >= 32);
    const created = await first.request({ method: 'POST', url: '/v1/organizations', auth: { bearer: generated }, body: { name: 'Kept' } });
    assert.equal(created.status, 200);
    assert.equal((await first.request({ method: 'GET', url: '/v1/organizations', auth: 'root' })).status, 401);
    await first.app.close();
    const second = await startServer(pglite, { env, reuse: { dataDir: dir } });
    open.push(second);
    assert.equal(second.orgbase.rootKey.generated, undefined);
    assert.equal(second.orgbase.rootKey.hash, first.orgbase.rootKey.hash);
    const read = await second.request({ method: 'GET', url: `/v1/organizations/${created.body.result.id}`, auth: { bearer: generated } });
    assert.equal(read.status, 200);
    assert.equal(read.body.result.name, 'Kept');
  });
});

if (postgres) {
  describe('two Orgbase databases side by side in one PostgreSQL database [postgres]', () => {
    const cleanup: (() => Promise<void>)[] = [];
    after(async () => {
      for (const step of cleanup.reverse()) await step().catch(() => {});
    });
    it('a second schema migrates while the first exists, and each keeps its own data', async () => {
      const one = await startServer(postgres);
      cleanup.push(() => one.close());
      const handle = await postgres.open(); // a fresh schema, while the first one (with its migration tables) exists
      cleanup.push(() => handle.dispose());
      const two = await createOrgbase({ config: loadConfig({ ORGBASE_ROOT_KEY: ROOT_KEY, LOG_LEVEL: 'silent' }), database: handle });
      cleanup.push(() => two.app.close());
      const created = await one.request({ method: 'POST', url: '/v1/organizations', auth: 'root', body: { name: 'One' } });
      assert.equal(created.status, 200);
      const elsewhere = await two.app.inject({ method: 'GET', url: `/v1/organizations/${created.body.result.id}`, headers: { authorization: `Bearer ${ROOT_KEY}` } });
      assert.equal(elsewhere.statusCode, 404);
    });
  });
}

// ---- The real process: `node --import tsx src/main.ts` -------------------------------------------

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Orgbase {
  child: ChildProcess;
  output: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

const children: ChildProcess[] = [];
after(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function runOrgbase(env: Record<string, string>): Orgbase {
  const base = { ...process.env };
  for (const name of ['ORGBASE_ROOT_KEY', 'DATABASE_URL', 'DATA_DIR', 'PORT', 'HOST', 'LOG_LEVEL', 'TRUST_PROXY', 'ORGBASE_PRIVATE_ENDPOINT_SERVICES', 'NODE_TEST_CONTEXT']) {
    delete base[name];
  }
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: PROJECT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((waiter) => waiter());
  child.stdout!.on('data', (chunk) => ((stdout += chunk), notify()));
  child.stderr!.on('data', (chunk) => ((stderr += chunk), notify()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => (notify(), resolve(code))));
  return {
    child,
    output: () => stdout,
    stderr: () => stderr,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = stdout.match(pattern);
          if (match) return done(() => resolve(match));
          if (child.exitCode !== null || child.signalCode !== null) {
            return done(() => reject(new Error(`exited (${child.exitCode ?? child.signalCode}) before ${pattern}:\n${stdout}\n${stderr}`)));
          }
        };
        const timer = setTimeout(() => done(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${stdout}\n${stderr}`))), timeoutMs);
        const done = (settle: () => void) => (clearTimeout(timer), waiters.delete(check), settle());
        waiters.add(check);
        check();
      });
    },
  };
}

async function withinBound<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** POSTs a body, but sends it only after `beforeBody` ran, once the server has taken the request. */
function postWhenAccepted(url: string, rootKey: string, body: unknown, beforeBody: () => Promise<void>) {
  return new Promise<{ status: number; body: any }>((resolve, reject) => {
    const payload = JSON.stringify(body);
    const request = httpRequest(url, {
      method: 'POST',
      agent: false,
      headers: { authorization: `Bearer ${rootKey}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), expect: '100-continue' },
    });
    request.on('continue', () => void beforeBody().then(() => request.end(payload), reject));
    request.on('response', (response) => {
      let text = '';
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
    });
    request.on('error', reject);
  });
}

describe('the orgbase process', () => {
  it('prints a root key once; SIGTERM drains in-flight requests and exits 0; a restart keeps key and data', async () => {
    const dataDir = await tempDir();
    const port = await freePort();
    const first = runOrgbase({ DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1' });
    const [, rootKey] = (await first.waitFor(/export ORGBASE_ROOT_KEY=(\S+)/)) as [string, string];
    assert.match(first.output(), new RegExp(`listening on http://127\\.0\\.0\\.1:${port}`));
    const base = `http://127.0.0.1:${port}/v1`;
    const headers = { authorization: `Bearer ${rootKey}`, 'content-type': 'application/json' };
    const created = await fetch(`${base}/organizations`, { method: 'POST', headers, body: JSON.stringify({ name: 'Process Org' }) });
    assert.equal(created.status, 200);
    const organization = ((await created.json()) as any).result;

    // The request is routed (100 Continue) before SIGTERM; its body arrives only once draining began.
    const inFlight = await postWhenAccepted(`${base}/organizations`, rootKey, { name: 'In flight' }, async () => {
      first.child.kill('SIGTERM');
      await first.waitFor(/shutting down/, 20_000);
    });
    assert.equal(inFlight.status, 200, JSON.stringify(inFlight.body));
    assert.equal(await withinBound(first.exited, 20_000, 'exit after SIGTERM'), 0);
    const afterSignal = first.output().slice(first.output().indexOf('shutting down'));
    assert.match(afterSignal, /"statusCode":200/, 'the in-flight request completed after draining began');

    const again = runOrgbase({ DATA_DIR: dataDir, PORT: String(await freePort()), HOST: '127.0.0.1' });
    const [, address] = (await again.waitFor(/listening on (http:\/\/\S+)/)) as [string, string];
    assert.doesNotMatch(again.output(), /ORGBASE_ROOT_KEY=|root key was generated/);
    const list = await fetch(`${address}/v1/organizations`, { headers });
    assert.equal(list.status, 200);
    const names = ((await list.json()) as any).result.map((org: any) => org.name).sort();
    assert.deepEqual(names, ['In flight', 'Process Org']);
    const trail = await fetch(`${address}/v1/organizations/${organization.id}/activities`, { headers });
    assert.deepEqual(((await trail.json()) as any).result.map((a: any) => a.type), ['create_organization', 'project_create']);
    again.child.kill('SIGTERM');
    assert.equal(await withinBound(again.exited, 20_000, 'exit after SIGTERM'), 0);
  });

  it('refuses an ORGBASE_ROOT_KEY shorter than 32 characters: exits non-zero naming the variable', async () => {
    const run = runOrgbase({ DATA_DIR: await tempDir(), PORT: String(await freePort()), ORGBASE_ROOT_KEY: 'too-short-a-root-key' });
    const code = await withinBound(run.exited, 30_000, 'exit on a bad ORGBASE_ROOT_KEY');
    assert.notEqual(code, 0);
    assert.match(run.stderr(), /ORGBASE_ROOT_KEY/);
    assert.doesNotMatch(run.output(), /listening/);
  });
});
