/**
 * The metering part of the configuration (see config.ts, which calls these): unit prices per
 * metric, how late events may arrive, whether API calls are metered, and how often the in-memory
 * buffers (API-call meter, access log) are written out.
 */
import { ConfigError, parseJsonObject } from './config.js';

/** The ClickHouse UsageCostMetrics field a metric's cost is added to (`<category>CHC`). */
export const COST_CATEGORIES = [
  'storage',
  'backup',
  'compute',
  'dataTransfer',
  'initialLoad',
  'publicDataTransfer',
  'interRegionTier1DataTransfer',
  'interRegionTier2DataTransfer',
  'interRegionTier3DataTransfer',
  'interRegionTier4DataTransfer',
] as const;
export type CostCategory = (typeof COST_CATEGORIES)[number];

export interface MetricPrice {
  /** CHC (credits) per unit of the metric's quantity. */
  unitPrice: number;
  category: CostCategory;
}

export interface UsageConfig {
  /** metric → price; metrics not listed cost nothing (they are still reported). */
  usagePrices: Record<string, MetricPrice>;
  /** Events may be ingested up to this many days late; older days are locked (immutable). */
  usageLateDays: number;
  /** Count each organization's API calls as the metric `api_calls`. */
  meterApiCalls: boolean;
  /** How often buffered API-call counts and access-log events are written (milliseconds). */
  flushIntervalMs: number;
}

export const METRIC_PATTERN = /^[a-z][a-z0-9_.:-]{0,63}$/;

export function loadUsageConfig(env: NodeJS.ProcessEnv): UsageConfig {
  return {
    usagePrices: parseUsagePrices(env.ORGBASE_USAGE_PRICES),
    usageLateDays: parseInteger('ORGBASE_USAGE_LATE_DAYS', env.ORGBASE_USAGE_LATE_DAYS?.trim(), 35, 0, 3650),
    meterApiCalls: parseBoolean('ORGBASE_METER_API_CALLS', env.ORGBASE_METER_API_CALLS?.trim(), true),
    flushIntervalMs: parseInteger('ORGBASE_FLUSH_INTERVAL_MS', env.ORGBASE_FLUSH_INTERVAL_MS?.trim(), 2000, 10, 60_000),
  };
}

function parseInteger(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) throw new ConfigError(name, `"${value}" is not a whole number from ${min} to ${max}`);
  return number;
}

function parseBoolean(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new ConfigError(name, `"${value}" is not true or false`);
}

/**
 * JSON object: `{"api_calls": 0.0001, "storage_gb": {"unitPrice": 0.02, "category": "storage"}}`.
 * A bare number is a unit price in the `compute` category.
 */
function parseUsagePrices(value: string | undefined): Record<string, MetricPrice> {
  if (value === undefined || value.trim() === '') return {};
  const name = 'ORGBASE_USAGE_PRICES';
  const parsed = parseJsonObject(name, value, 'must be a JSON object like {"api_calls": 0.0001, "storage_gb": {"unitPrice": 0.02, "category": "storage"}}');
  const prices: [string, MetricPrice][] = [];
  for (const [metric, entry] of Object.entries(parsed)) {
    if (!METRIC_PATTERN.test(metric)) throw new ConfigError(name, `metric ${JSON.stringify(metric.slice(0, 70))} must match ${METRIC_PATTERN.source}`);
    const price = typeof entry === 'number' ? { unitPrice: entry, category: 'compute' } : entry;
    if (price === null || typeof price !== 'object' || Array.isArray(price)) {
      throw new ConfigError(name, `"${metric}" must map to a unit price or {"unitPrice": <number>, "category": "<category>"}`);
    }
    const { unitPrice, category = 'compute', ...rest } = price as Record<string, unknown>;
    const unknown = Object.keys(rest)[0];
    if (unknown !== undefined) throw new ConfigError(name, `"${metric}".${unknown} is not allowed (a price has unitPrice and category)`);
    if (typeof unitPrice !== 'number' || !Number.isFinite(unitPrice) || unitPrice < 0) {
      throw new ConfigError(name, `"${metric}": the unit price must be a number ≥ 0`);
    }
    if (!COST_CATEGORIES.includes(category as CostCategory)) {
      throw new ConfigError(name, `"${metric}": category must be one of ${COST_CATEGORIES.join(', ')}`);
    }
    prices.push([metric, { unitPrice, category: category as CostCategory }]);
  }
  return Object.fromEntries(prices);
}
