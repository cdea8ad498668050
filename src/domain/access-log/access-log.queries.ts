import type { Insertable, Selectable } from 'kysely';
import type { Db } from '../../db/database.js';
import type { AccessLogTable } from '../../db/schema.js';
import type { AccessOutcome } from './access-log.schemas.js';

export type AccessLogRow = Selectable<AccessLogTable>;
export type NewAccessLogRow = Insertable<AccessLogTable>;

/** One statement, however many rows (the caller keeps batches under PostgreSQL's 65,535 parameters). */
export async function insertAccessLogRows(db: Db, rows: NewAccessLogRow[]): Promise<void> {
  if (rows.length > 0) await db.insertInto('access_log').values(rows).execute();
}

export interface AccessLogFilter {
  organizationId: string;
  from: Date | undefined;
  to: Date | undefined;
  outcome: AccessOutcome | undefined;
  /** Keyset position: rows strictly older than (occurredAt, id). */
  after: { occurredAt: Date; id: string } | undefined;
  offset: number | undefined;
  limit: number;
}

/** Newest first, served from the (organization_id, occurred_at desc, id desc) index. */
export async function listAccessLog(db: Db, filter: AccessLogFilter): Promise<AccessLogRow[]> {
  let query = db.selectFrom('access_log').selectAll().where('organization_id', '=', filter.organizationId);
  if (filter.from) query = query.where('occurred_at', '>=', filter.from);
  if (filter.to) query = query.where('occurred_at', '<=', filter.to);
  if (filter.outcome) query = query.where('outcome', '=', filter.outcome);
  if (filter.after) {
    const { occurredAt, id } = filter.after;
    query = query.where((eb) => eb(eb.refTuple('occurred_at', 'id'), '<', eb.tuple(occurredAt, id)));
  }
  query = query.orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(filter.limit);
  if (filter.offset) query = query.offset(filter.offset);
  return query.execute();
}
