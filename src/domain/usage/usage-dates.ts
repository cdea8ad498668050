/** UTC days and months for usage queries: parsed strictly, errors name the parameter. */
import { invalid } from '../errors.js';

const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T.*)?$/;
const MONTH = /^(\d{4})-(\d{2})$/;

/** `YYYY-MM-DD`, or a date-time whose UTC day is taken (ClickHouse's 2025 spec typed these as date-time). */
export function parseDay(value: string, field: string): string {
  const match = DATE.exec(value);
  const date = match && (value.length === 10 ? new Date(`${value}T00:00:00Z`) : new Date(value));
  // Usage starts with Unix time; earlier years (JavaScript even accepts a year 0) mean a typo.
  if (!date || Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1970 || (value.length === 10 && date.toISOString().slice(0, 10) !== value)) {
    throw invalid(field, `${field} must be a date from 1970 on, such as 2024-12-19 (or an ISO-8601 date-time)`);
  }
  return date.toISOString().slice(0, 10);
}

/** Days from `from` to `to`, both included. */
export const daysBetween = (from: string, to: string): number => (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS + 1;

export const utcDay = (date: Date): string => date.toISOString().slice(0, 10);

export const addDays = (day: string, days: number): string => utcDay(new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS));

/** `YYYY-MM` → its first and last day. */
export function parseMonth(value: string, field: string): { month: string; from: string; to: string } {
  const match = MONTH.exec(value);
  const year = Number(match?.[1]);
  const month = Number(match?.[2]);
  if (!match || month < 1 || month > 12 || year < 1970) throw invalid(field, `${field} must be a month such as 2024-09 (YYYY-MM)`);
  const from = `${match[1]}-${match[2]}-01`;
  const to = utcDay(new Date(Date.UTC(year, month, 0)));
  return { month: value, from, to };
}
