/**
 * The access log: authentication attempts (successes and failures of every credential kind),
 * apart from activities — they are not changes. Recording is the recorder's job (buffered, never
 * awaited by a request: see access-log.recorder.ts); this service adds the per-organization list.
 *
 * Choices:
 * - Reading needs ADMIN access to the organization: the log holds IP addresses, user agents and
 *   failed attempts — security data, not for every member. Root reads any organization's log,
 *   deleted ones too (like activities: the trail outlives what it describes).
 * - Newest first. Keyset cursor on (occurred_at, id) by default; `offset` switches to offset paging
 *   for surfaces whose vendor pages by number (no `nextCursor` then). Both at once is a 400.
 * - `from`/`to` are inclusive ISO-8601 date-times; errors name them `from_date`/`to_date`, the
 *   native query's names.
 */
import type { Clock } from '../../clock.js';
import type { Config } from '../../config.js';
import type { Db } from '../../db/database.js';
import type { Ids } from '../../ids.js';
import { requireExistingOrganizationAccess } from '../access.js';
import type { Page } from '../pagination.js';
import { planTimePage, toTimePage, type TimePageQuery } from '../time-pages.js';
import type { Principal } from '../principal.js';
import { listAccessLog, type AccessLogRow } from './access-log.queries.js';
import { createAccessLogRecorder } from './access-log.recorder.js';
import type { AccessEvent, AccessOutcome } from './access-log.schemas.js';

/** A trail's window and page (as activities take them), and which outcomes. */
export interface AccessLogQuery extends TimePageQuery {
  outcome?: AccessOutcome | undefined;
}

export function createAccessLogService(deps: { db: Db; clock: Clock; ids: Ids; config: Pick<Config, 'flushIntervalMs'> }) {
  const { db } = deps;
  const recorder = createAccessLogRecorder({ db, clock: deps.clock, ids: deps.ids, flushIntervalMs: deps.config.flushIntervalMs });

  return {
    ...recorder,

    async list(principal: Principal, organizationId: string, query: AccessLogQuery): Promise<Page<AccessEvent>> {
      const plan = planTimePage(query);
      await requireExistingOrganizationAccess(db, principal, organizationId, 'admin', { includeDeleted: true });
      const rows = await listAccessLog(db, {
        organizationId,
        from: plan.from,
        to: plan.to,
        outcome: query.outcome,
        after: plan.after && { occurredAt: plan.after.at, id: plan.after.id },
        offset: plan.offset,
        limit: plan.fetch,
      });
      return toTimePage(rows, plan, (row) => [row.occurred_at, row.id], toAccessEvent);
    },
  };
}

export type AccessLogService = ReturnType<typeof createAccessLogService>;

export function toAccessEvent(row: AccessLogRow): AccessEvent {
  const event: AccessEvent = {
    id: row.id,
    occurredAt: row.occurred_at.toISOString(),
    outcome: row.outcome,
    credentialKind: row.credential_kind as AccessEvent['credentialKind'],
    method: row.method,
    route: row.route,
    status: row.status,
    organizationId: row.organization_id!, // listed by organization: never null here
  };
  if (row.credential_id !== null) event.credentialId = row.credential_id;
  if (row.actor_type !== null) event.actorType = row.actor_type;
  if (row.actor_id !== null) event.actorId = row.actor_id;
  if (row.ip !== null) event.ipAddress = row.ip;
  if (row.user_agent !== null) event.userAgent = row.user_agent;
  if (row.reason !== null) event.reason = row.reason;
  return event;
}
