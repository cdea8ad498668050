/**
 * A real Orgbase on a real database, driven through `app.inject` (the full HTTP pipeline:
 * routing, hooks, validation, serialization). Fixtures create data through the API itself.
 */
import { after, before, describe } from 'node:test';
import { Writable } from 'node:stream';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Clock } from '../../src/clock.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createOrgbase, type Orgbase } from '../../src/server.js';
import { testDatabases, type DatabaseKind, type TestDatabase, type TestDatabaseHandle } from './databases.js';

export const ROOT_KEY = 'test-root-key-0123456789abcdef0123456789';

/** A clock tests can move: expiry and date filters without sleeping. */
export class TestClock implements Clock {
  private offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface TestServer {
  kind: DatabaseKind;
  app: FastifyInstance;
  orgbase: Orgbase;
  database: TestDatabaseHandle;
  clock: TestClock;
  config: Config;
  /** Everything the server logged, one JSON line each. */
  logs: string[];
  request(options: RequestOptions): Promise<ApiResponse>;
  close(): Promise<void>;
}

export interface RequestOptions {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  url: string;
  /** `root`, a Bearer secret, `{keyId, keySecret}` for Basic, or a raw header value. */
  auth?: Auth;
  body?: unknown;
  headers?: Record<string, string>;
  remoteAddress?: string;
}

export type Auth = 'root' | { bearer: string } | { keyId: string; keySecret: string } | { header: string };

export interface ApiResponse {
  status: number;
  body: any;
  headers: LightMyRequestResponse['headers'];
  raw: LightMyRequestResponse;
}

export function authorizationHeader(auth: Auth): string {
  if (auth === 'root') return `Bearer ${ROOT_KEY}`;
  if ('bearer' in auth) return `Bearer ${auth.bearer}`;
  if ('header' in auth) return auth.header;
  return `Basic ${Buffer.from(`${auth.keyId}:${auth.keySecret}`).toString('base64')}`;
}

export async function startServer(
  database: TestDatabase,
  options: { env?: Record<string, string>; reuse?: { dataDir?: string; schema?: string } } = {},
): Promise<TestServer> {
  const handle = await database.open(options.reuse);
  const config = loadConfig({ ORGBASE_ROOT_KEY: ROOT_KEY, LOG_LEVEL: 'info', ...options.env });
  const clock = new TestClock();
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _encoding, callback) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      callback();
    },
  });
  let orgbase: Orgbase;
  try {
    orgbase = await createOrgbase({ config, database: handle, clock, logStream });
    await orgbase.app.ready();
  } catch (error) {
    await handle.dispose(); // never leak a schema or a pool when start-up fails
    throw error;
  }
  const { app } = orgbase;
  return {
    kind: database.kind,
    app,
    orgbase,
    database: handle,
    clock,
    config,
    logs,
    async request({ method, url, auth, body, headers = {}, remoteAddress }) {
      const raw = await app.inject({
        method,
        url,
        headers: {
          ...(auth !== undefined && { authorization: authorizationHeader(auth) }),
          ...(body !== undefined && { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body !== undefined && { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
        ...(remoteAddress !== undefined && { remoteAddress }),
      });
      let parsed: unknown = raw.body;
      try {
        parsed = raw.body === '' ? undefined : JSON.parse(raw.body);
      } catch {
        // not JSON: leave as text
      }
      return { status: raw.statusCode, body: parsed, headers: raw.headers, raw };
    },
    async close() {
      await app.close();
      await handle.dispose();
    },
  };
}

/**
 * Runs a suite once per test database with a fresh server for the suite:
 * `onEachDatabase('keys', (t) => { it('…', async () => { t().request(…) }) })`.
 */
export function onEachDatabase(title: string, suite: (server: () => TestServer) => void, options: { env?: Record<string, string> } = {}): void {
  for (const database of testDatabases()) {
    describe(`${title} [${database.kind}]`, () => {
      let server: TestServer | undefined;
      before(async () => {
        server = await startServer(database, options);
      });
      after(async () => {
        await server?.close();
      });
      suite(() => {
        if (!server) throw new Error('server not started');
        return server;
      });
    });
  }
}
