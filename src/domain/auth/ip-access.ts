/** IP access lists: entries are addresses or CIDR ranges, IPv4 or IPv6; empty means anywhere. */
import { BlockList, isIP } from 'node:net';
import type { IpAccessEntryRow } from '../../db/schema.js';
import { invalid } from '../errors.js';

type Family = 'ipv4' | 'ipv6';

function parseSource(source: string): { address: string; prefix: number; family: Family } | undefined {
  const [address = '', prefixText, extra] = source.trim().split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return undefined;
  const family: Family = version === 4 ? 'ipv4' : 'ipv6';
  const max = version === 4 ? 32 : 128;
  if (prefixText === undefined) return { address, prefix: max, family };
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) return undefined;
  return { address, prefix: Number(prefixText), family };
}

/** Throws a 400 naming the entry when a source is not an IP address or CIDR range. */
export function validateIpAccessList(entries: readonly IpAccessEntryRow[], field = 'ipAccessList'): void {
  entries.forEach((entry, index) => {
    if (parseSource(entry.source) === undefined) {
      throw invalid(`${field}[${index}].source`, `${field}[${index}].source: "${entry.source}" is not an IP address or CIDR range`);
    }
  });
}

/** Builds a matcher once per key (cached with the key); undefined means no restriction. */
export function compileIpAccessList(entries: readonly IpAccessEntryRow[]): BlockList | undefined {
  if (entries.length === 0) return undefined;
  const list = new BlockList();
  for (const entry of entries) {
    const parsed = parseSource(entry.source);
    if (parsed) list.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  return list;
}

export function ipAllowed(list: BlockList | undefined, ip: string | null): boolean {
  if (list === undefined) return true;
  if (ip === null) return false;
  const address = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  const version = isIP(address);
  if (version === 0) return false;
  return list.check(address, version === 4 ? 'ipv4' : 'ipv6');
}
