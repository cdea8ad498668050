/**
 * Records authentication attempts without adding a database write to any request: `record` is
 * synchronous (it returns nothing to await) and appends to an in-memory buffer, which is written
 * out in one multi-row insert every `flushIntervalMs`, or at once (in the background) when it
 * reaches FLUSH_BATCH_ROWS rows.
 *
 * Choices:
 * - Failures are always kept. Successes are kept once per (credential, IP, organization) per
 *   calendar minute: the first of the minute is stored, the rest are counted by nobody. The set of
 *   keys seen is cleared when the minute changes (so it never outgrows one minute's traffic) and
 *   when it reaches MAX_SEEN_SUCCESSES (which only stores more rows, never fewer).
 * - Which organization an event belongs to (`organizationOf`):
 *   · an organization key's events belong to its organization, success or failure;
 *   · other successes (root, personal keys) belong to the organization in the route's path, but only
 *     when the response is below 400 — probing another tenant's id must not fill that tenant's log;
 *   · other failures (unknown keys, missing credentials, a personal key that is disabled, expired or
 *     outside its IP list) belong to the organization in the path, whatever the status: an admin
 *     wants to see who is knocking at their door. That lets anyone who knows an organization's id
 *     add failure rows to its log, bounded by the buffer below; they say nothing about any credential:
 *     a failure filed under the path's organization keeps no credential identity (`unknown`, no id,
 *     no actor, `wrong_secret` read as `unknown_key`), else anyone could learn whether a personal
 *     key id exists, and whose it is, by trying it against their own organization and reading its log.
 *   · otherwise none: the row is stored, but no per-organization list shows it.
 * - Bounded: at most MAX_BUFFERED_ROWS rows wait; beyond that new events are dropped and counted, and
 *   the count is logged as a warning at the next flush.
 * - A failed flush puts its unwritten rows back at the front of the buffer (within the same bound)
 *   and is retried at the next tick; while flushes fail, a full batch does not trigger extra flushes.
 * - `stop()` (called when the server closes, before the database closes) writes everything out;
 *   events recorded after it are dropped. The timer is unref'd: it never keeps the process alive.
 * - Ids are UUIDv7 and times come from the clock, so (occurred_at, id) orders events.
 */
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import type { Ids } from '../../ids.js';
import type { CredentialKind } from '../auth/authenticator.js';
import { insertAccessLogRows, type NewAccessLogRow } from './access-log.queries.js';
import type { AccessOutcome } from './access-log.schemas.js';

export const FLUSH_BATCH_ROWS = 1_000;
export const MAX_BUFFERED_ROWS = 100_000;
export const MAX_SEEN_SUCCESSES = 100_000;
const MINUTE_MS = 60_000;

/** One authentication attempt, as the HTTP layer saw it when the response was sent. */
export interface AuthenticationAttempt {
  outcome: AccessOutcome;
  credentialKind: CredentialKind;
  /** The key's uuid `id`; null for root, unknown and none. */
  credentialId: string | null;
  /** An organization key's organization. */
  credentialOrganizationId: string | null;
  actorType: string | null;
  actorId: string | null;
  /** The organization named in the route's path (a valid uuid), if any. */
  pathOrganizationId: string | null;
  ip: string | null;
  userAgent: string | null;
  method: string;
  /** The route pattern, never the raw URL. */
  route: string;
  status: number;
  reason: string | null;
}

export interface WarningLog {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

const silent: WarningLog = { warn() {}, error() {} };

export function organizationOf(attempt: AuthenticationAttempt): string | null {
  if (attempt.credentialOrganizationId !== null) return attempt.credentialOrganizationId;
  if (attempt.outcome === 'success' && attempt.status >= 400) return null;
  return attempt.pathOrganizationId;
}

export function createAccessLogRecorder(deps: { db: Db; clock: Clock; ids: Ids; flushIntervalMs: number }) {
  const { db, clock, ids, flushIntervalMs } = deps;
  let log = silent;
  let buffer: NewAccessLogRow[] = [];
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let flushing: Promise<void> | undefined;
  let failing = false;
  let stopped = false;
  let dropped = 0;
  let seenMinute = -1;
  /** credential id (or kind) → IP → organizations seen this minute. */
  const seenSuccesses = new Map<string, Map<string | null, Set<string | null>>>();
  let seenCount = 0;

  /**
   * True when this success is the first of its (credential, IP, organization) this minute. Nested
   * maps rather than one concatenated key: the key strings are the same objects request after
   * request (hashes cached), so a repeat costs three lookups and no allocation.
   */
  function enterMinute(at: number): void {
    const minute = Math.floor(at / MINUTE_MS);
    if (minute !== seenMinute || seenCount >= MAX_SEEN_SUCCESSES) {
      seenSuccesses.clear();
      seenCount = 0;
      seenMinute = minute;
    }
  }

  function firstThisMinute(attempt: AuthenticationAttempt, organizationId: string | null, at: number): boolean {
    enterMinute(at);
    const credential = attempt.credentialId ?? attempt.credentialKind;
    let byIp = seenSuccesses.get(credential);
    if (byIp === undefined) seenSuccesses.set(credential, (byIp = new Map()));
    let organizations = byIp.get(attempt.ip);
    if (organizations === undefined) byIp.set(attempt.ip, (organizations = new Set()));
    if (organizations.has(organizationId)) return false;
    organizations.add(organizationId);
    seenCount += 1;
    return true;
  }

  function schedule(): void {
    if (timer !== undefined || stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      flushInBackground();
    }, flushIntervalMs);
    timer.unref();
  }

  function flushInBackground(): void {
    flush().catch((error: unknown) => log.warn({ err: error, buffered: buffer.length }, 'access log: flush failed; retrying at the next tick'));
  }

  /** Puts unwritten rows back in front of newer ones, keeping the bound (the oldest go first). */
  function requeue(rows: NewAccessLogRow[]): void {
    const merged = rows.concat(buffer);
    const excess = merged.length - MAX_BUFFERED_ROWS;
    if (excess > 0) dropped += excess;
    buffer = excess > 0 ? merged.slice(excess) : merged;
  }

  async function writeOut(): Promise<void> {
    const rows = buffer;
    buffer = [];
    let written = 0;
    try {
      for (; written < rows.length; written += FLUSH_BATCH_ROWS) {
        await insertAccessLogRows(db, rows.slice(written, written + FLUSH_BATCH_ROWS));
      }
      failing = false;
    } catch (error) {
      failing = true;
      requeue(rows.slice(written));
      throw error;
    } finally {
      if (dropped > 0) {
        log.warn({ dropped }, 'access log: events dropped, the buffer was full');
        dropped = 0;
      }
      if (buffer.length > 0) schedule();
    }
  }

  /** Writes out everything recorded before the call (waiting for a flush under way). */
  async function flush(): Promise<void> {
    while (flushing) await flushing.catch(() => {});
    if (buffer.length === 0) return;
    flushing = writeOut();
    try {
      await flushing;
    } finally {
      flushing = undefined;
    }
  }

  return {
    /**
     * Whether a success of this (credential id, or kind for root; IP; organization) was kept this
     * minute already, so the caller need not describe it. Marks nothing: `record` does.
     */
    isRepeatSuccess(credential: string, ip: string | null, organizationId: string | null): boolean {
      enterMinute(clock.now().getTime());
      return seenSuccesses.get(credential)?.get(ip)?.has(organizationId) === true;
    },

    /** Synchronous by design: a request never waits for the access log. */
    record(attempt: AuthenticationAttempt): void {
      if (stopped) {
        dropped += 1;
        return;
      }
      const occurredAt = clock.now();
      const organizationId = organizationOf(attempt);
      if (attempt.outcome === 'success' && !firstThisMinute(attempt, organizationId, occurredAt.getTime())) return;
      if (buffer.length >= MAX_BUFFERED_ROWS) {
        dropped += 1;
        return;
      }
      // A failure filed under the path's organization, not the credential's own: no identity (see above).
      const anonymous = attempt.outcome === 'failure' && attempt.credentialOrganizationId === null && organizationId !== null;
      buffer.push({
        id: ids.uuid(),
        organization_id: organizationId,
        occurred_at: occurredAt,
        outcome: attempt.outcome,
        credential_kind: anonymous && attempt.credentialKind !== 'none' ? 'unknown' : attempt.credentialKind,
        credential_id: anonymous ? null : attempt.credentialId,
        actor_type: anonymous ? null : attempt.actorType,
        actor_id: anonymous ? null : attempt.actorId,
        ip: attempt.ip,
        user_agent: attempt.userAgent,
        method: attempt.method,
        route: attempt.route,
        status: attempt.status,
        reason: anonymous && attempt.reason === 'wrong_secret' ? 'unknown_key' : attempt.reason,
      });
      if (buffer.length >= FLUSH_BATCH_ROWS && immediate === undefined && flushing === undefined && !failing) {
        immediate = setImmediate(() => {
          immediate = undefined;
          flushInBackground();
        });
      } else schedule();
    },

    flush,

    /** Final flush: stops the timer, writes out what is buffered, and records nothing more. Never throws. */
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      clearImmediate(immediate);
      timer = undefined;
      immediate = undefined;
      try {
        await flush();
      } catch (error) {
        log.error({ err: error, lost: buffer.length }, 'access log: the final flush failed; buffered events are lost');
      }
    },

    /** Where warnings (dropped events, failed flushes) go; the app attaches its logger. */
    attachLogger(logger: WarningLog): void {
      log = logger;
    },
  };
}

export type AccessLogRecorder = ReturnType<typeof createAccessLogRecorder>;
