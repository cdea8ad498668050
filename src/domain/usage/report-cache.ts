/**
 * A small, short-lived cache of usage reports. A report is read far more often than usage
 * changes (dashboards poll it; most of its days are settled), and building one over 31 days of
 * a busy organization costs milliseconds of database and CPU time. Entries live for at most
 * `ttlMs` — the API-call meter's flush interval, so a cached report is never staler than the
 * metered calls it shows already are — and an ingest in this process drops the organization's
 * entries at once. Other replicas' ingests show within the TTL (DESIGN §9: caches are
 * short-lived and invalidated on change; none is needed for correctness).
 */
import type { Clock } from '../../clock.js';

export class ReportCache<T> {
  private readonly entries = new Map<string, { value: T; expiresAt: number; organizationId: string }>();

  constructor(private readonly options: { clock: Clock; ttlMs: number; maxEntries: number }) {}

  get(organizationId: string, key: string): T | undefined {
    const entry = this.entries.get(`${organizationId}|${key}`);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.options.clock.now().getTime()) {
      this.entries.delete(`${organizationId}|${key}`);
      return undefined;
    }
    return entry.value;
  }

  set(organizationId: string, key: string, value: T): void {
    if (this.options.ttlMs <= 0) return;
    // The oldest entry goes first when full (a Map iterates in insertion order).
    if (this.entries.size >= this.options.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(`${organizationId}|${key}`, { value, expiresAt: this.options.clock.now().getTime() + this.options.ttlMs, organizationId });
  }

  /** Usage of the organization changed here: its reports are rebuilt on the next read. */
  invalidate(organizationId: string): void {
    for (const [key, entry] of this.entries) if (entry.organizationId === organizationId) this.entries.delete(key);
  }
}
