/** What organization and personal keys share: their expiry rule and their common wire fields. */
import type { Clock } from '../../clock.js';
import { invalid } from '../errors.js';
import { parseTimestamp } from '../timestamps.js';
import type { ApiKeyRow } from './api-keys.queries.js';

/** `expireAt` as given: absent stays absent, null means never, a date must lie in the future. */
export function parseExpiry(value: string | null | undefined, clock: Clock): Date | null | undefined {
  if (value === undefined || value === null) return value;
  const expireAt = parseTimestamp(value, 'expireAt');
  if (expireAt <= clock.now()) throw invalid('expireAt', 'expireAt must be in the future');
  return expireAt;
}

export function commonKeyFields(row: ApiKeyRow) {
  return {
    id: row.id,
    name: row.name,
    state: row.state as 'enabled' | 'disabled',
    keySuffix: row.key_suffix,
    createdAt: row.created_at.toISOString(),
    expireAt: row.expire_at === null ? null : row.expire_at.toISOString(),
    ...(row.used_at !== null && { usedAt: row.used_at.toISOString() }),
  };
}
