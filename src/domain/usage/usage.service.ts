/**
 * Usage metering: ingest of client-reported events (idempotent per event), ClickHouse's usageCost
 * report and the monthly consumption view. Both reports read only the daily rollup, so a 31-day
 * report costs the same over ten events or ten million.
 */
import type { Clock } from '../../clock.js';
import type { Config } from '../../config.js';
import type { Db } from '../../db/database.js';
import { requireExistingOrganizationAccess, requireReadableOrganization } from '../access.js';
import { invalid, notFound } from '../errors.js';
import type { Principal } from '../principal.js';
import { parseTimestamp } from '../timestamps.js';
import { ReportCache } from './report-cache.js';
import { credits, priced, usageCostReport } from './usage-cost-report.js';
import { addDays, daysBetween, parseDay, parseMonth, utcDay } from './usage-dates.js';
import { dailyUsage, ingestUsageEvents, monthlyUsage, projectsOfOrganization, type NewUsageEvent } from './usage.queries.js';
import {
  API_CALLS_METRIC,
  STORAGE_METRIC,
  type Consumption,
  type UsageCost,
  type UsageEvent,
  type UsageIngestResult,
} from './usage.schemas.js';

/** The longest usageCost period ClickHouse allows: from_date plus 30 days. */
export const MAX_REPORT_DAYS = 31;
/** ClickHouse's resource-tag filters: `tag:<key>` or `tag:<key>=<value>`. */
const TAG_FILTER = /^tag:[^=]+(=.*)?$/;
/** Clocks drift: an event may be stamped this far in the future. */
const FUTURE_TOLERANCE_MS = 5 * 60_000;

type UsageConfig = Pick<Config, 'usagePrices' | 'usageLateDays' | 'flushIntervalMs'>;

/** Reports kept at once (each well under a megabyte even for 31 days of many projects). */
const MAX_CACHED_REPORTS = 200;

export function createUsageService(deps: { db: Db; clock: Clock; config: UsageConfig }) {
  const { db, clock, config } = deps;
  const reports = new ReportCache<UsageCost>({ clock, ttlMs: config.flushIntervalMs, maxEntries: MAX_CACHED_REPORTS });
  /** The first day events may still land on; every earlier day is final. */
  const firstOpenDay = () => addDays(utcDay(clock.now()), -config.usageLateDays);

  function toNewEvents(events: UsageEvent[]): NewUsageEvent[] {
    const now = clock.now().getTime();
    const openFrom = firstOpenDay();
    return events.map((event, i) => {
      const at = `events[${i}]`;
      if (event.metric === API_CALLS_METRIC) {
        throw invalid(`${at}.metric`, `${at}.metric: "${API_CALLS_METRIC}" is metered by Orgbase itself and cannot be ingested`, 'reserved_metric');
      }
      const occurredAt = parseTimestamp(event.timestamp, `${at}.timestamp`);
      if (occurredAt.getTime() > now + FUTURE_TOLERANCE_MS) {
        throw invalid(`${at}.timestamp`, `${at}.timestamp is in the future`, 'timestamp_in_future');
      }
      if (utcDay(occurredAt) < openFrom) {
        throw invalid(`${at}.timestamp`, `${at}.timestamp is before ${openFrom}: events may arrive at most ${config.usageLateDays} days late (ORGBASE_USAGE_LATE_DAYS), earlier days are locked`, 'timestamp_too_old');
      }
      return { idempotencyKey: event.idempotencyKey, metric: event.metric, quantity: event.quantity, occurredAt, projectId: event.projectId ?? null };
    });
  }

  async function requireProjects(organizationId: string, events: NewUsageEvent[]): Promise<void> {
    const named = [...new Set(events.flatMap((event) => (event.projectId === null ? [] : [event.projectId])))];
    if (named.length === 0) return;
    const found = await projectsOfOrganization(db, organizationId, named);
    const index = events.findIndex((event) => event.projectId !== null && !found.has(event.projectId));
    if (index >= 0) {
      throw invalid(`events[${index}].projectId`, `events[${index}].projectId ${events[index]!.projectId} is not a project of this organization`, 'unknown_project');
    }
  }

  /** The report itself, from the daily rollup: one query. */
  async function buildUsageCost(organizationId: string, from: string, to: string): Promise<UsageCost> {
    const rows = await dailyUsage(db, organizationId, from, to);
    if (rows.length === 0) throw notFound('Organization', organizationId);
    return usageCostReport(rows, { organizationId, openFrom: firstOpenDay(), prices: config.usagePrices });
  }

  return {
    /** Counts each event once (by idempotency key), in one statement with the rollup: all or nothing. */
    async ingest(principal: Principal, organizationId: string, events: UsageEvent[]): Promise<UsageIngestResult> {
      const rows = toNewEvents(events);
      await requireExistingOrganizationAccess(db, principal, organizationId, 'admin');
      await requireProjects(organizationId, rows);
      const accepted = await ingestUsageEvents(db, organizationId, rows, clock.now());
      if (accepted > 0) reports.invalidate(organizationId);
      return { accepted, duplicates: rows.length - accepted };
    },

    /** ClickHouse `usageCost`: daily cost records per entity (the organization itself, each project) for at most 31 days. */
    async usageCost(principal: Principal, organizationId: string, fromDate: string, toDate: string, filters: readonly string[] = []): Promise<UsageCost> {
      const badFilter = filters.find((filter) => !TAG_FILTER.test(filter));
      if (badFilter !== undefined) throw invalid('filter', `filter ${JSON.stringify(badFilter)} is not a tag filter (tag:<key> or tag:<key>=<value>)`);
      const from = parseDay(fromDate, 'from_date');
      const to = parseDay(toDate, 'to_date');
      if (to < from) throw invalid('to_date', 'to_date must not be before from_date');
      if (daysBetween(from, to) > MAX_REPORT_DAYS) {
        throw invalid('to_date', `to_date cannot be more than ${MAX_REPORT_DAYS - 1} days after from_date (at most ${MAX_REPORT_DAYS} days)`, 'period_too_long');
      }
      // Keys of a deleted organization stop working at once; root's reach must end as soon (the cache may hold its report).
      await requireExistingOrganizationAccess(db, principal, organizationId, 'read');
      // Only resource tags can be filtered on (ClickHouse), and no Orgbase entity carries tags: nothing matches.
      if (filters.length > 0) return { grandTotalCHC: 0, costs: [] };
      return reports.get(organizationId, `${from}|${to}`, () => buildUsageCost(organizationId, from, to));
    },

    /** One month (UTC) of every metric, priced; `apiCalls` and `storageGb` called out (Locktera's consumption). */
    async monthlyConsumption(principal: Principal, organizationId: string, month: string | undefined): Promise<Consumption> {
      const period = parseMonth(month ?? utcDay(clock.now()).slice(0, 7), 'month');
      await requireReadableOrganization(db, principal, organizationId);
      const rows = await monthlyUsage(db, organizationId, period.from, period.to);
      const metrics = rows.map((row) => ({ ...priced(config.usagePrices, row.metric, Number(row.quantity)), events: Number(row.events) }));
      const storage = rows.find((row) => row.metric === STORAGE_METRIC);
      return {
        organizationId,
        ...period,
        apiCalls: metrics.find((metric) => metric.metric === API_CALLS_METRIC)?.quantity ?? 0,
        storageGb: storage === undefined ? 0 : Number(storage.latest_day_quantity),
        metrics,
        totalCHC: credits(metrics.reduce((sum, metric) => sum + metric.costCHC, 0)),
      };
    },
  };
}

export type UsageService = ReturnType<typeof createUsageService>;
