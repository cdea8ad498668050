/**
 * Identifier generation. UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then randomness. Time-ordered
 * ids keep B-tree inserts at the right edge of the index and make "newest first" a cheap order.
 */
import { randomBytes, randomUUID } from 'node:crypto';

export interface Ids {
  uuid(): string;
}

export function uuidv7(now: number = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70; // version 7
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const systemIds: Ids = { uuid: () => uuidv7() };

/** Request ids follow ClickHouse: "Unique id assigned to every request. UUIDv4". */
export const requestId = (): string => randomUUID();
