/**
 * Usage ingest throughput: a few keep-alive connections, each posting batches of 1,000 events to
 * POST /v1/organizations/{id}/usage back to back. autocannon is not used: every batch must carry
 * new idempotency keys (a resent key is a duplicate, which costs less), and every answer is read
 * to check that all 1,000 events were accepted. Events/s = events accepted in the measured window
 * ÷ its wall time (from the first request sent to the last answer received).
 *
 * A batch is what a metering client sends: random UUID idempotency keys, 4 metrics, the
 * organization's projects and usage without a project, timestamps over the last 3 days.
 */
import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { USAGE_METRICS } from './usage-seed.js';

export const BATCH_SIZE = 1000;
const SPREAD_MS = 3 * 86_400_000;

export interface IngestResult {
  eventsPerSecond: number;
  /** Events accepted in the measured window. */
  events: number;
  batches: number;
  /** Wall time of the measured window. */
  seconds: number;
  batchP50Ms: number;
  batchP99Ms: number;
  batchMaxMs: number;
  /** Events accepted during the (discarded) warm-up. */
  warmupEvents: number;
  /** Batches not answered 200 with every event accepted (warm-up included), and a few of their answers. */
  failures: number;
  failureSamples: string[];
  connections: number;
  batchSize: number;
  /** Request body size of one batch, bytes. */
  batchBytes: number;
}

export interface IngestTarget {
  baseUrl: string;
  organizationId: string;
  /** `Basic …` of an admin key of the organization. */
  authorization: string;
  projectIds: string[];
}

function makeBatch(projectIds: string[]): string {
  const now = Date.now();
  const events = [];
  for (let i = 0; i < BATCH_SIZE; i++) {
    const project = i % (projectIds.length + 1);
    events.push({
      metric: USAGE_METRICS[i % USAGE_METRICS.length]!,
      quantity: Math.round(Math.random() * 100_000) / 100,
      timestamp: new Date(now - 1000 - Math.floor(Math.random() * SPREAD_MS)).toISOString(),
      idempotencyKey: randomUUID(),
      ...(project < projectIds.length && { projectId: projectIds[project] }),
    });
  }
  return JSON.stringify({ events });
}

function post(agent: Agent, url: URL, path: string, authorization: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path,
        headers: { authorization, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', reject);
    req.end(body);
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Warm-up, then `seconds` measured; `connections` batches in flight at any time. */
export async function measureIngest(
  target: IngestTarget,
  options: { seconds: number; warmupSeconds: number; connections: number },
): Promise<IngestResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const url = new URL(target.baseUrl);
  const path = `/v1/organizations/${target.organizationId}/usage`;
  let failures = 0;
  const failureSamples: string[] = [];

  /** Every connection sends batch after batch until `ms` have passed; returns the accepted events and each batch's time. */
  const run = async (ms: number) => {
    const latencies: number[] = [];
    let accepted = 0;
    const started = performance.now();
    const until = started + ms;
    await Promise.all(
      Array.from({ length: options.connections }, async () => {
        while (performance.now() < until) {
          const body = makeBatch(target.projectIds);
          const t0 = performance.now();
          let answer: { status: number; text: string };
          try {
            answer = await post(agent, url, path, target.authorization, body);
          } catch (error) {
            answer = { status: 0, text: error instanceof Error ? error.message : String(error) };
          }
          const elapsed = performance.now() - t0;
          const result = answer.status === 200 ? (JSON.parse(answer.text).result as { accepted: number; duplicates: number }) : undefined;
          if (result?.accepted === BATCH_SIZE) {
            accepted += BATCH_SIZE;
            latencies.push(elapsed);
          } else {
            failures++;
            if (failureSamples.length < 3) failureSamples.push(`${answer.status} ${answer.text.slice(0, 300)}`);
          }
        }
      }),
    );
    return { accepted, latencies, seconds: (performance.now() - started) / 1000 };
  };

  try {
    const warm = options.warmupSeconds > 0 ? await run(options.warmupSeconds * 1000) : { accepted: 0 };
    const measured = await run(options.seconds * 1000);
    const sorted = measured.latencies.sort((a, b) => a - b);
    return {
      eventsPerSecond: measured.accepted / measured.seconds,
      events: measured.accepted,
      batches: sorted.length,
      seconds: measured.seconds,
      batchP50Ms: percentile(sorted, 50),
      batchP99Ms: percentile(sorted, 99),
      batchMaxMs: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!,
      warmupEvents: warm.accepted,
      failures,
      failureSamples,
      connections: options.connections,
      batchSize: BATCH_SIZE,
      batchBytes: Buffer.byteLength(makeBatch(target.projectIds)),
    };
  } finally {
    agent.destroy();
  }
}
