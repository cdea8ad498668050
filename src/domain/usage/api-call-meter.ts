/**
 * Counts each organization's API calls in memory and adds them to the daily rollup (metric
 * `api_calls`) every few seconds in one statement: metering costs a Map increment per request,
 * never a database write. Counts are per (organization, UTC day), so replicas simply add theirs.
 * A failed write keeps the counts for the next flush; `stop()` writes what is left, so a
 * graceful shutdown loses nothing.
 */
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import { addApiCalls } from './usage.queries.js';
import { API_CALLS_METRIC } from './usage.schemas.js';

const DAY_MS = 86_400_000;

export interface ApiCallMeterOptions {
  db: Db;
  clock: Clock;
  flushIntervalMs: number;
}

export class ApiCallMeter {
  /** UTC day → organization → calls not yet written. Keyed by the principal's own id strings, so a count allocates nothing. */
  private pending = new Map<string, Map<string, number>>();
  /** The current day's map, and when the day ends (re-read when the clock leaves it). */
  private today: Map<string, number> | undefined;
  private dayStartsAt = 0;
  private dayEndsAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private onError: (error: unknown) => void = () => {};

  constructor(private readonly options: ApiCallMeterOptions) {}

  /** Starts the periodic flush; failures go to `onError` (the app's logger) and are retried, not thrown. */
  start(onError: (error: unknown) => void): void {
    this.onError = onError;
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.options.flushIntervalMs);
    this.timer.unref(); // the meter never keeps the process alive by itself
  }

  /** One call by (or on) the organization. Synchronous: the request never waits on the meter. */
  count(organizationId: string): void {
    const now = this.options.clock.now().getTime();
    let today = this.today;
    if (today === undefined || now >= this.dayEndsAt || now < this.dayStartsAt) today = this.enterDay(now);
    today.set(organizationId, (today.get(organizationId) ?? 0) + 1);
  }

  /** Calls counted but not yet written. */
  get pendingCalls(): number {
    let calls = 0;
    for (const organizations of this.pending.values()) for (const count of organizations.values()) calls += count;
    return calls;
  }

  private enterDay(now: number): Map<string, number> {
    this.dayStartsAt = now - (now % DAY_MS);
    this.dayEndsAt = this.dayStartsAt + DAY_MS;
    const day = new Date(this.dayStartsAt).toISOString().slice(0, 10);
    let today = this.pending.get(day);
    if (today === undefined) this.pending.set(day, (today = new Map()));
    return (this.today = today);
  }

  /** Writes the pending counts (one statement). Concurrent calls share the flush in progress, then flush again. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.today = undefined;
    this.flushing = this.write(batch).finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
  }

  /** Stops the timer and writes what is left (called before the database closes). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
    // A failed final write is retried once; after that the counts are reported, not silently dropped.
    if (this.pending.size > 0) await this.flush();
  }

  private async write(batch: Map<string, Map<string, number>>): Promise<void> {
    const counts = [...batch].flatMap(([day, organizations]) => [...organizations].map(([organizationId, calls]) => ({ organizationId, day, calls })));
    if (counts.length === 0) return;
    try {
      await addApiCalls(this.options.db, API_CALLS_METRIC, counts);
    } catch (error) {
      for (const { organizationId, day, calls } of counts) {
        let organizations = this.pending.get(day);
        if (organizations === undefined) this.pending.set(day, (organizations = new Map()));
        organizations.set(organizationId, (organizations.get(organizationId) ?? 0) + calls);
      }
      this.today = undefined; // the current day's map may have been replaced
      this.onError(error);
    }
  }
}
