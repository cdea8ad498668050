import { invalid } from './errors.js';

/**
 * Turns an ISO-8601 timestamp that passed schema validation into a Date. The `date-time` format
 * admits a few spellings JavaScript cannot represent (leap second `:60`, `+01` offsets): those are
 * a 400 naming the field, not a crash.
 */
export function parseTimestamp(value: string, field: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw invalid(field, `${field} must be an ISO-8601 date-time such as 2025-01-31T12:00:00Z`);
  }
  return date;
}
