/**
 * Credential material. Secrets are ≥ 32 random bytes, shown once, stored only as
 * base64(sha256(value)) — the same form ClickHouse's `hashData` uses, so clients can also bring
 * their own pre-hashed keys. A salted slow hash is unnecessary: the inputs are random, not
 * passwords, and the hash must be an indexed lookup key.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const SECRET_PREFIX = 'obk_';

export function sha256Base64(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64');
}

/** Compares two base64 sha256 digests without leaking where they differ. */
export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'base64');
  const right = Buffer.from(b, 'base64');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

export interface GeneratedKey {
  keyId: string;
  keySecret: string;
}

export function generateKey(): GeneratedKey {
  return {
    keyId: randomBytes(15).toString('base64url'), // 20 characters, never contains ':'
    keySecret: SECRET_PREFIX + randomBytes(32).toString('base64url'),
  };
}

export function generateRootKey(): string {
  return 'obroot_' + randomBytes(32).toString('base64url');
}
