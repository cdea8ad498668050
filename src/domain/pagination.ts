/**
 * Keyset pagination. A cursor is the sort key of the last row served, opaque to clients
 * (base64url JSON); the next page starts strictly after it, so paging is as fast on page 1,000
 * as on page 1 and never repeats or skips a row when rows are added meanwhile.
 */
import { invalid } from './errors.js';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export interface PageRequest {
  limit?: number | undefined;
  cursor?: string | undefined;
}

export interface Page<T> {
  items: T[];
  /** Present while more rows remain. */
  nextCursor: string | undefined;
}

export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What a cursor element must be: a uuid (kept as text) or an ISO timestamp (returned as a Date). */
type CursorElement = 'uuid' | 'timestamp';
type Decoded<T extends readonly CursorElement[]> = { [K in keyof T]: T[K] extends 'timestamp' ? Date : string };

/**
 * Decodes a cursor made by `encodeCursor` with the given element kinds, or throws a 400.
 * Cursors come from clients, so every element is checked before it reaches SQL.
 */
export function decodeCursor<const T extends readonly CursorElement[]>(cursor: string, shape: T): Decoded<T> {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  const decoded =
    Array.isArray(key) && key.length === shape.length
      ? key.map((value, i) => (shape[i] === 'uuid' ? asUuid(value) : asTimestamp(value)))
      : [undefined];
  if (decoded.some((value) => value === undefined)) {
    throw invalid('cursor', 'cursor is not valid: pass the nextCursor of a previous page unchanged', 'invalid_cursor');
  }
  return decoded as Decoded<T>;
}

const asUuid = (value: unknown) => (typeof value === 'string' && UUID.test(value) ? value : undefined);

function asTimestamp(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) || date.toISOString() !== value ? undefined : date;
}

/** Takes `limit + 1` fetched rows and splits them into a page and the cursor to the next one. */
export function toPage<T>(rows: T[], limit: number, keyOf: (row: T) => readonly (string | number)[]): Page<T> {
  if (rows.length <= limit) return { items: rows, nextCursor: undefined };
  const items = rows.slice(0, limit);
  return { items, nextCursor: encodeCursor(keyOf(items[items.length - 1]!)) };
}

export const pageSize = (request: PageRequest): number => request.limit ?? DEFAULT_PAGE_SIZE;

/**
 * One page of rows ordered by their uuid `id` (ids are UUIDv7, so this is creation order):
 * decodes the cursor, fetches `limit + 1` rows after it, and maps the page.
 */
export async function pageById<Row extends { id: string }, Item>(
  request: PageRequest,
  fetch: (afterId: string | undefined, limit: number) => Promise<Row[]>,
  map: (row: Row) => Item,
): Promise<Page<Item>> {
  const limit = pageSize(request);
  const afterId = request.cursor ? decodeCursor(request.cursor, ['uuid'])[0] : undefined;
  const page = toPage(await fetch(afterId, limit + 1), limit, (row) => [row.id]);
  return { items: page.items.map(map), nextCursor: page.nextCursor };
}

/**
 * Offset pagination, for surfaces whose vendor pages that way (PostHog's `limit`/`offset` with a
 * total `count`). Costs grow with the offset, unlike keyset pages; the native surface keeps cursors.
 */
export interface SliceRequest {
  limit?: number | undefined;
  offset?: number | undefined;
}

export interface Slice<T> {
  items: T[];
  /** Every row the list has, not only this slice's. */
  count: number;
}

export const sliceBounds = (request: SliceRequest) => ({ limit: request.limit ?? DEFAULT_PAGE_SIZE, offset: request.offset ?? 0 });

/**
 * Rows come with the list's total computed in the same statement; only a slice past the end, which
 * has no row to carry it, needs a second query for the count.
 */
export async function toSlice<Row extends { total: number }, Item>(
  rows: Row[],
  countAll: () => Promise<number>,
  map: (row: Row) => Item,
): Promise<Slice<Item>> {
  const count = rows.length > 0 ? rows[0]!.total : await countAll();
  return { items: rows.map(map), count };
}
