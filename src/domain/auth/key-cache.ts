/**
 * A short-lived, in-process cache of API-key lookups, so an authenticated read costs one database
 * round trip (the read itself) instead of two. Entries live KEY_CACHE_TTL_MS at most; changes made
 * through this process invalidate them at once, changes made through another replica are seen
 * within the TTL. Nothing depends on the cache for correctness beyond that bound.
 */
import type { BlockList } from 'node:net';
import type { KeyRole, Scope } from '../principal.js';

export const KEY_CACHE_TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

export interface CachedKey {
  id: string;
  /** Organization keys. */
  organizationId: string | null;
  /** Personal keys. */
  userId: string | null;
  scopes: Scope[];
  organizationIds: string[] | null;
  name: string;
  keySuffix: string;
  secretHash: string;
  roles: KeyRole[];
  state: string;
  expireAt: Date | null;
  usedAt: Date | null;
  ipAccessList: BlockList | undefined;
}

interface Entry {
  key: CachedKey;
  storedAt: number;
}

export class KeyCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  get(lookup: string): CachedKey | undefined {
    const entry = this.entries.get(lookup);
    if (entry === undefined) return undefined;
    if (this.now() - entry.storedAt > KEY_CACHE_TTL_MS) {
      this.entries.delete(lookup);
      return undefined;
    }
    return entry.key;
  }

  set(lookup: string, key: CachedKey): void {
    if (this.entries.size >= MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(lookup, { key, storedAt: this.now() });
  }

  invalidateKey(id: string): void {
    for (const [lookup, entry] of this.entries) if (entry.key.id === id) this.entries.delete(lookup);
  }

  invalidateUser(userId: string): void {
    for (const [lookup, entry] of this.entries) if (entry.key.userId === userId) this.entries.delete(lookup);
  }

  invalidateOrganization(organizationId: string): void {
    for (const [lookup, entry] of this.entries) {
      if (entry.key.organizationId === organizationId) this.entries.delete(lookup);
    }
  }
}
