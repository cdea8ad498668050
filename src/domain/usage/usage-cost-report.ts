/**
 * Prices usage and shapes ClickHouse's UsageCost report from the daily rollup rows: pure
 * functions, so the service and the benchmark build the report the same way.
 */
import type { MetricPrice } from '../../usage-config.js';
import { COST_CATEGORIES } from '../../usage-config.js';
import { NO_PROJECT, type DailyUsageRow } from './usage.queries.js';
import type { MetricUsage, UsageCost, UsageCostMetrics, UsageCostRecord } from './usage.schemas.js';

/** Credits to 9 decimals: sums of binary fractions would otherwise print as 0.30000000000000004. */
export const credits = (value: number): number => Number(value.toFixed(9));

const UNPRICED: MetricPrice = { unitPrice: 0, category: 'compute' };
const priceOf = (prices: Record<string, MetricPrice>, metric: string): MetricPrice => prices[metric] ?? UNPRICED;

/** A metric's quantity with its unit price and cost. */
export function priced(prices: Record<string, MetricPrice>, metric: string, quantity: number): MetricUsage {
  const { unitPrice } = priceOf(prices, metric);
  return { metric, quantity, unitPrice, costCHC: credits(quantity * unitPrice) };
}

const zeroMetrics = (): UsageCostMetrics =>
  Object.fromEntries(COST_CATEGORIES.map((category) => [`${category}CHC`, 0])) as UsageCostMetrics;

/**
 * One record per (day, entity) — the organization itself (`datawarehouse`) or a project
 * (`service`) — from rows ordered by day, project and metric. Days before `openFrom` are locked.
 */
export function usageCostReport(
  rows: DailyUsageRow[],
  context: { organizationId: string; openFrom: string; prices: Record<string, MetricPrice> },
): UsageCost {
  const { organizationId, openFrom, prices } = context;
  const organizationName = rows[0]?.organization_name ?? '';
  const records: UsageCostRecord[] = [];
  let current: UsageCostRecord | undefined;
  for (const row of rows) {
    if (row.day === null || row.metric === null || row.quantity === null) continue;
    const isProject = row.project_id !== NO_PROJECT;
    const entityId = isProject ? row.project_id! : organizationId;
    if (current === undefined || current.date !== row.day || current.entityId !== entityId) {
      current = {
        dataWarehouseId: organizationId,
        serviceId: isProject ? entityId : null,
        date: row.day,
        entityType: isProject ? 'service' : 'datawarehouse',
        entityId,
        // A deleted project keeps its usage; its name is gone with it.
        entityName: isProject ? (row.project_name ?? `deleted project ${entityId}`) : organizationName,
        metrics: zeroMetrics(),
        totalCHC: 0,
        locked: row.day < openFrom,
        usage: [],
      };
      records.push(current);
    }
    const usage = priced(prices, row.metric, Number(row.quantity));
    current.usage.push(usage);
    const field = `${priceOf(prices, row.metric).category}CHC` as keyof UsageCostMetrics;
    current.metrics[field] = credits(current.metrics[field] + usage.costCHC);
    current.totalCHC = credits(current.totalCHC + usage.costCHC);
  }
  const grandTotalCHC = credits(records.reduce((sum, record) => sum + record.totalCHC, 0));
  return { grandTotalCHC, costs: records };
}
