/**
 * Newest-first pages over a trail (activities, the access log): rows ordered by (time, id)
 * descending, filtered by an inclusive date-time window, paged by a keyset cursor — or, for
 * surfaces whose vendor pages by number, by an offset (then no cursor is returned). One place
 * decides what a query may hold and what comes back.
 */
import { invalid } from './errors.js';
import { decodeCursor, pageSize, toPage, type Page } from './pagination.js';
import { parseTimestamp } from './timestamps.js';

/**
 * The deepest offset served: an offset page reads every row before it (for the children audit,
 * that many per descendant). Deeper pages narrow the window instead (from/to).
 */
export const MAX_OFFSET = 10_000;

export interface TimePageQuery {
  /** ISO-8601, inclusive; errors name it `from_date`. */
  fromDate?: string | undefined;
  /** ISO-8601, inclusive; errors name it `to_date`. */
  toDate?: string | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
  /** Offset paging instead of the cursor. */
  offset?: number | undefined;
}

/** What the list query gets: the window, where to start, and how many rows to fetch. */
export interface TimePagePlan {
  from: Date | undefined;
  to: Date | undefined;
  /** Keyset position: rows strictly older than (at, id). */
  after: { at: Date; id: string } | undefined;
  offset: number | undefined;
  /** Rows to fetch: one more than the page in cursor mode, to know whether another page follows. */
  fetch: number;
  pageSize: number;
}

/** Checks the query (a 400 naming the parameter) before anything is read. */
export function planTimePage(query: TimePageQuery): TimePagePlan {
  const from = query.fromDate === undefined ? undefined : parseTimestamp(query.fromDate, 'from_date');
  const to = query.toDate === undefined ? undefined : parseTimestamp(query.toDate, 'to_date');
  if (from && to && from > to) throw invalid('from_date', 'from_date must not be after to_date');
  const { offset } = query;
  if (offset !== undefined && (!Number.isSafeInteger(offset) || offset < 0 || offset > MAX_OFFSET)) {
    throw invalid('offset', `offset must be a whole number from 0 to ${MAX_OFFSET}: narrow the window with from/to to go further back`);
  }
  if (offset !== undefined && query.cursor !== undefined) throw invalid('cursor', 'pass either a cursor or an offset, not both');
  const after = query.cursor ? decodeCursor(query.cursor, ['timestamp', 'uuid']) : undefined;
  const size = pageSize(query);
  return { from, to, after: after && { at: after[0], id: after[1] }, offset, fetch: offset === undefined ? size + 1 : size, pageSize: size };
}

/** The page of fetched rows, with the cursor to the next one in cursor mode. */
export function toTimePage<Row, Item>(rows: Row[], plan: TimePagePlan, keyOf: (row: Row) => readonly [Date, string], map: (row: Row) => Item): Page<Item> {
  if (plan.offset !== undefined) return { items: rows.map(map), nextCursor: undefined };
  const page = toPage(rows, plan.pageSize, (row) => {
    const [at, id] = keyOf(row);
    return [at.toISOString(), id];
  });
  return { items: page.items.map(map), nextCursor: page.nextCursor };
}
