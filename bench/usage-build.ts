/**
 * What a usageCost report costs when it is not cached: the rollup query, the report and its JSON,
 * in this process against the bench database — the work the server does once per report and
 * cache interval (src/domain/usage/report-cache.ts). Shown beside the HTTP figures, not judged:
 * the HTTP target is about the report as clients poll it.
 */
import { openDatabase } from '../src/db/database.js';
import type { MetricPrice } from '../src/usage-config.js';
import { usageCostReport } from '../src/domain/usage/usage-cost-report.js';
import { dailyUsage } from '../src/domain/usage/usage.queries.js';

export interface BuildLatency {
  concurrency: number;
  builds: number;
  buildsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;

export async function measureReportBuilds(options: {
  databaseUrl: string;
  organizationId: string;
  from: string;
  to: string;
  prices: Record<string, MetricPrice>;
  seconds: number;
  concurrencies: number[];
}): Promise<BuildLatency[]> {
  const database = await openDatabase({ url: options.databaseUrl, poolSize: Math.max(...options.concurrencies) });
  try {
    const build = async () => {
      const rows = await dailyUsage(database.db, options.organizationId, options.from, options.to);
      return JSON.stringify(usageCostReport(rows, { organizationId: options.organizationId, openFrom: options.from, prices: options.prices })).length;
    };
    await build(); // warm the pool, the statement and the code
    const results: BuildLatency[] = [];
    for (const concurrency of options.concurrencies) {
      const times: number[] = [];
      const until = Date.now() + options.seconds * 1000;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (Date.now() < until) {
            const t0 = performance.now();
            await build();
            times.push(performance.now() - t0);
          }
        }),
      );
      const elapsed = (performance.now() - started) / 1000;
      times.sort((a, b) => a - b);
      results.push({ concurrency, builds: times.length, buildsPerSecond: times.length / elapsed, p50Ms: percentile(times, 50), p99Ms: percentile(times, 99) });
    }
    return results;
  } finally {
    await database.close();
  }
}
