/**
 * Load generation with autocannon, in this process. A measurement is made of segments (rounds)
 * that the caller may interleave between servers, so a change in background load hits both
 * sides alike. Latency percentiles are computed here from every 2xx response's exact time
 * (autocannon's own histogram keeps whole milliseconds, too coarse for a 2 ms median).
 */
import autocannon, { type AutocannonOptions, type AutocannonRequest, type AutocannonResult } from 'autocannon';

export interface LoadSpec {
  baseUrl: string;
  method: 'GET' | 'PATCH' | 'POST';
  path: string;
  headers?: Record<string, string>;
  /** A fresh body per request (PATCH); undefined for GET. */
  body?: () => string;
  /** A fresh path and body per request (overrides `path` and `body`). */
  next?: () => { path: string; body: string };
  connections: number;
}

/** One autocannon run. */
export interface Segment {
  latencies: Float64Array;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSeconds: number;
  statusCodes: Record<string, number>;
}

export interface LoadResult {
  /** 2xx responses per second over the measured segments (non-2xx answers are not throughput). */
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  ok: number;
  /** 2xx responses of the (discarded) warm-up. */
  warmupOk: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSeconds: number;
  rounds: number;
  /** req/s of each round, to show the spread. */
  roundRequestsPerSecond: number[];
  statusCodes: Record<string, number>;
}

function cannon(spec: LoadSpec, durationSeconds: number, onLatency?: (ms: number, status: number) => void): Promise<AutocannonResult> {
  const request: AutocannonRequest = {
    method: spec.method,
    path: spec.path,
    headers: { ...spec.headers, ...((spec.body || spec.next) && { 'content-type': 'application/json' }) },
  };
  const makeBody = spec.body;
  const makeRequest = spec.next;
  if (makeRequest) request.setupRequest = (req) => ({ ...req, ...makeRequest() });
  else if (makeBody) request.setupRequest = (req) => ({ ...req, body: makeBody() });
  const options: AutocannonOptions = {
    url: spec.baseUrl,
    connections: spec.connections,
    duration: durationSeconds,
    pipelining: 1,
    timeout: 10,
    requests: [request],
  };
  return new Promise((resolve, reject) => {
    // autocannon stops itself after `duration`; this only catches a wedged run.
    const watchdog = setTimeout(() => {
      instance.stop();
      reject(new Error(`autocannon did not finish within ${durationSeconds + 30} s`));
    }, (durationSeconds + 30) * 1000);
    const instance = autocannon(options, (error, result) => {
      clearTimeout(watchdog);
      if (error) reject(error);
      else resolve(result);
    });
    if (onLatency) {
      instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) =>
        onLatency(responseTime, statusCode),
      );
    }
  });
}

/** A discarded run; returns its 2xx count. */
export async function warmUp(spec: LoadSpec, seconds: number): Promise<number> {
  if (seconds <= 0) return 0;
  return (await cannon(spec, seconds))['2xx'];
}

export async function segment(spec: LoadSpec, seconds: number): Promise<Segment> {
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  const result = await cannon(spec, seconds, (ms, status) => {
    if (status < 200 || status >= 300) return;
    if (count === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[count++] = ms;
  });
  const statusCodes: Record<string, number> = {};
  for (const [code, { count: n }] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = n;
  return {
    latencies: latencies.slice(0, count),
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    durationSeconds: result.duration,
    statusCodes,
  };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

export function summarize(segments: Segment[], warmupOk: number): LoadResult {
  const total = segments.reduce((n, s) => n + s.latencies.length, 0);
  const sorted = new Float64Array(total);
  let offset = 0;
  for (const s of segments) {
    sorted.set(s.latencies, offset);
    offset += s.latencies.length;
  }
  sorted.sort();
  let sum = 0;
  for (const value of sorted) sum += value;
  const statusCodes: Record<string, number> = {};
  for (const s of segments) for (const [code, n] of Object.entries(s.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
  const add = (pick: (s: Segment) => number) => segments.reduce((n, s) => n + pick(s), 0);
  const ok = add((s) => s.ok);
  const durationSeconds = add((s) => s.durationSeconds);
  return {
    requestsPerSecond: ok / durationSeconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    meanMs: total === 0 ? Number.NaN : sum / total,
    maxMs: total === 0 ? Number.NaN : sorted[total - 1]!,
    ok,
    warmupOk,
    non2xx: add((s) => s.non2xx),
    errors: add((s) => s.errors),
    timeouts: add((s) => s.timeouts),
    durationSeconds,
    rounds: segments.length,
    roundRequestsPerSecond: segments.map((s) => Math.round(s.ok / s.durationSeconds)),
    statusCodes,
  };
}

/**
 * Measures two servers on the same scenario: warm-up A, then for each round A then B (B warmed up
 * before its first round), so both see the same background. Returns [A, B].
 */
export async function measurePair(
  a: LoadSpec,
  b: LoadSpec,
  options: { seconds: number; rounds: number; warmupSeconds: number },
): Promise<[LoadResult, LoadResult]> {
  const perRound = Math.max(1, options.seconds / options.rounds);
  const segmentsA: Segment[] = [];
  const segmentsB: Segment[] = [];
  const warmA = await warmUp(a, options.warmupSeconds);
  let warmB = 0;
  for (let round = 0; round < options.rounds; round++) {
    segmentsA.push(await segment(a, perRound));
    if (round === 0) warmB = await warmUp(b, options.warmupSeconds);
    segmentsB.push(await segment(b, perRound));
  }
  return [summarize(segmentsA, warmA), summarize(segmentsB, warmB)];
}
