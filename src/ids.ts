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
  return format(bytes);
}

function format(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * UUIDv7s that increase strictly within this process (RFC 9562 §6.2, method 1: the 12-bit
 * `rand_a` field counts up within a millisecond, from a random start). Rows made one after the
 * other in one transaction (a change and its activities) then sort in the order they were made.
 */
export function monotonicUuidv7(): () => string {
  let lastMs = -1;
  let counter = 0;
  return () => {
    let now = Date.now();
    if (now > lastMs) {
      lastMs = now;
      counter = randomBytes(2).readUInt16BE() & 0x7ff; // leave room to count up
    } else {
      now = lastMs; // the clock did not move (or went back): stay on the last millisecond
      counter += 1;
      if (counter > 0xfff) {
        lastMs += 1; // 4,096 ids in one millisecond: borrow the next one
        now = lastMs;
        counter = 0;
      }
    }
    const bytes = randomBytes(16);
    bytes.writeUIntBE(now, 0, 6);
    bytes[6] = 0x70 | (counter >> 8);
    bytes[7] = counter & 0xff;
    bytes[8] = (bytes[8]! & 0x3f) | 0x80;
    return format(bytes);
  };
}

export const systemIds: Ids = { uuid: monotonicUuidv7() };

/** Request ids follow ClickHouse: "Unique id assigned to every request. UUIDv4". */
export const requestId = (): string => randomUUID();
