/**
 * A small, short-lived cache of usage reports. A report is read far more often than usage
 * changes (dashboards poll it; most of its days are settled), and building one over 31 days of
 * a busy organization costs milliseconds of database and CPU time. Entries live for at most
 * `ttlMs` — the API-call meter's flush interval, so a cached report is never staler than the
 * metered calls it shows already are — and an ingest in this process drops the organization's
 * entries at once. Other replicas' ingests show within the TTL (DESIGN §9: caches are
 * short-lived and invalidated on change; none is needed for correctness).
 *
 * Entries hold the build in progress, not only its result: when an entry expires under load,
 * the requests arriving together share one build instead of each starting its own.
 */
import type { Clock } from '../../clock.js';

interface Entry<T> {
  report: Promise<T>;
  expiresAt: number;
  organizationId: string;
}

export class ReportCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(private readonly options: { clock: Clock; ttlMs: number; maxEntries: number }) {}

  /** The cached report, or the one `build` makes (shared with every caller until it expires). */
  get(organizationId: string, key: string, build: () => Promise<T>): Promise<T> {
    const id = `${organizationId}|${key}`;
    const now = this.options.clock.now().getTime();
    const entry = this.entries.get(id);
    if (entry !== undefined && entry.expiresAt > now) return entry.report;
    if (entry !== undefined) this.entries.delete(id);
    const report = build();
    if (this.options.ttlMs <= 0) return report;
    // The oldest entry goes first when full (a Map iterates in insertion order).
    if (this.entries.size >= this.options.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    const created: Entry<T> = { report, expiresAt: now + this.options.ttlMs, organizationId };
    this.entries.set(id, created);
    // A failed build is not kept: the next request tries again.
    report.catch(() => {
      if (this.entries.get(id) === created) this.entries.delete(id);
    });
    return report;
  }

  /** Usage of the organization changed here: its reports are rebuilt on the next read. */
  invalidate(organizationId: string): void {
    for (const [id, entry] of this.entries) if (entry.organizationId === organizationId) this.entries.delete(id);
  }
}
