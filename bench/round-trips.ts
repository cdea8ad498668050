/**
 * Counts the PostgreSQL round trips of single requests. A second Orgbase process talks to the
 * database through a TCP proxy in this process that reads the frontend protocol: every Sync
 * (extended protocol: Parse/Bind/Execute/Sync is one round trip) and every simple Query is one
 * round trip. Nothing in the database or in the measured Orgbase changes, and the counts are
 * exact: no statement log to read, no setting to reset, no other client's statements to filter.
 */
import { createServer, connect as connectTcp, type Server as NetServer, type Socket } from 'node:net';
import { startServer } from './processes.js';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

export interface CountingProxy {
  /** DATABASE_URL for a client that should go through the proxy. */
  url: string;
  /** Forgets what was counted so far. */
  reset(): void;
  /** The statements of the round trips counted since the last reset, one per round trip. */
  roundTrips(): string[];
  close(): Promise<void>;
}

const shorten = (text: string) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 110 ? `${flat.slice(0, 107)}…` : flat;
};

export async function startCountingProxy(databaseUrl: string): Promise<CountingProxy> {
  const target = new URL(databaseUrl);
  const upstreamHost = target.hostname || '127.0.0.1';
  const upstreamPort = Number(target.port || '5432');
  const statementTexts = new Map<string, string>(); // prepared statement name → text (names are global in Orgbase)
  let counted: string[] = [];
  const sockets = new Set<Socket>();

  const server: NetServer = createServer((client) => {
    const upstream = connectTcp(upstreamPort, upstreamHost);
    sockets.add(client).add(upstream);
    let pending: Buffer = Buffer.alloc(0);
    let typed = false; // the startup packet (and an SSL/GSS request before it) carries no type byte
    let current: string | undefined; // the statement of the round trip being assembled

    const onMessage = (type: string, body: Buffer) => {
      const cstrings = () => body.toString('utf8').split('\0');
      switch (type) {
        case 'Q':
          counted.push(shorten(cstrings()[0] ?? ''));
          break;
        case 'P': {
          const [name = '', text = ''] = cstrings();
          if (name !== '') statementTexts.set(name, text);
          current = text;
          break;
        }
        case 'B': {
          const [, statement = ''] = cstrings();
          if (statement !== '') current = statementTexts.get(statement) ?? `(prepared ${statement})`;
          break;
        }
        case 'S':
          counted.push(shorten(current ?? '(sync)'));
          current = undefined;
          break;
      }
    };

    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (;;) {
        if (!typed) {
          if (pending.length < 8) break;
          const length = pending.readInt32BE(0);
          if (pending.length < length) break;
          const code = pending.readInt32BE(4);
          if (code !== SSL_REQUEST && code !== GSSENC_REQUEST) typed = true;
          pending = pending.subarray(length);
          continue;
        }
        if (pending.length < 5) break;
        const length = pending.readInt32BE(1);
        if (pending.length < 1 + length) break;
        onMessage(String.fromCharCode(pending[0]!), pending.subarray(5, 1 + length));
        pending = pending.subarray(1 + length);
      }
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const socket of [client, upstream]) {
      socket.on('error', close);
      socket.on('close', close);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const proxied = new URL(databaseUrl);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(port);

  return {
    url: proxied.toString(),
    reset: () => {
      counted = [];
    },
    roundTrips: () => [...counted],
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface RoundTripCounts {
  /** GET …/members?limit=100 with the admin's personal key. */
  membersPage: string[];
  /** POST …/roles/{roleId}/memberships with the admin's personal key (access check + grant). */
  grantPersonal: string[];
  /** The same grant with the root key, which needs no access check. */
  grantRoot: string[];
  /** The first request the fresh process served (the members page): adds the key lookup and its used-at touch. */
  firstRequest: string[];
}

interface ProbeOptions {
  projectDir: string;
  databaseUrl: string;
  rootKey: string;
  logLevel: string;
}

type ProbeCall = { method: string; path: string; body?: string };

/** What a probe offers: send a request, or send one and count the round trips it made. */
interface Probe {
  call(authorization: string, request: ProbeCall): Promise<void>;
  measure(authorization: string, request: ProbeCall): Promise<string[]>;
}

/** Runs `work` against an Orgbase started behind the counting proxy; stops both afterwards. */
async function withProbe<T>(options: ProbeOptions, work: (probe: Probe) => Promise<T>): Promise<T> {
  const proxy = await startCountingProxy(options.databaseUrl);
  try {
    const server = await startServer({
      name: 'orgbase (round-trip probe)',
      script: 'src/main.ts',
      cwd: options.projectDir,
      // The API-call meter and the access log write their buffers on a timer, not per request: the longest
      // interval keeps those background writes out of the few seconds in which requests are counted.
      env: {
        DATABASE_URL: proxy.url,
        ORGBASE_ROOT_KEY: options.rootKey,
        LOG_LEVEL: options.logLevel,
        HOST: '127.0.0.1',
        ORGBASE_FLUSH_INTERVAL_MS: '60000',
      },
      readyTimeoutMs: 60_000,
    });
    try {
      const call = async (authorization: string, request: ProbeCall) => {
        const response = await fetch(`${server.url}${request.path}`, {
          method: request.method,
          headers: { authorization, ...(request.body !== undefined && { 'content-type': 'application/json' }) },
          ...(request.body !== undefined && { body: request.body }),
          signal: AbortSignal.timeout(30_000),
        });
        const text = await response.text();
        if (!response.ok) throw new Error(`bench: round-trip probe ${request.method} ${request.path} → ${response.status} ${text}`);
      };
      const measure = async (authorization: string, request: ProbeCall) => {
        await new Promise((resolve) => setTimeout(resolve, 50)); // nothing from an earlier request still in flight
        proxy.reset();
        await call(authorization, request);
        await new Promise((resolve) => setTimeout(resolve, 50));
        return proxy.roundTrips();
      };
      return await work({ call, measure });
    } finally {
      await server.stop();
    }
  } finally {
    await proxy.close();
  }
}

/**
 * Starts Orgbase behind the counting proxy, warms it up (key cached, statements prepared, pool
 * connected), then counts one request of each kind. `grant(i)` is the path and body of a grant
 * to a distinct member (i = 0, 1, 2, …).
 */
export async function countRoundTrips(
  options: ProbeOptions & { personalAuth: string; membersPath: string; grant: (i: number) => { path: string; body: string } },
): Promise<RoundTripCounts> {
  return withProbe(options, async ({ call, measure }) => {
    let grants = 0;
    const root = `Bearer ${options.rootKey}`;
    const members = { method: 'GET', path: options.membersPath };
    const grant = () => ({ method: 'POST', ...options.grant(grants++) });

    const firstRequest = await measure(options.personalAuth, members);
    await call(options.personalAuth, grant()); // warm-up: statements prepared on the connection
    await call(root, grant());
    const membersPage = await measure(options.personalAuth, members);
    const grantPersonal = await measure(options.personalAuth, grant());
    const grantRoot = await measure(root, grant());
    return { membersPage, grantPersonal, grantRoot, firstRequest };
  });
}

/** A request whose round trips are counted; sent twice (warm-up, then counted), so it must be repeatable. */
export interface ProbeRequest {
  name: string;
  authorization: string;
  method: 'GET';
  path: string;
}

/**
 * Starts Orgbase behind the counting proxy, sends every request once (key cached, statements
 * prepared, pool connected), then counts one more of each. Returns the round trips by request name.
 */
export async function countRequestRoundTrips(options: ProbeOptions & { requests: readonly ProbeRequest[] }): Promise<Record<string, string[]>> {
  return withProbe(options, async ({ call, measure }) => {
    for (const request of options.requests) await call(request.authorization, request);
    const counts: Record<string, string[]> = {};
    for (const request of options.requests) counts[request.name] = await measure(request.authorization, request);
    return counts;
  });
}
