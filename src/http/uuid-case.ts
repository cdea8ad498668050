/**
 * UUIDs are case-insensitive (RFC 9562) but compared as text in places (a key's own organization,
 * "is this the current parent?"). PostgreSQL writes them in lowercase, so requests are brought to
 * lowercase once, after validation: any string that is exactly a UUID, in the path, the query or
 * the body. Customer data is left as sent: a route whose body is customer data says so
 * (`config: { verbatimBody: true }`), and members holding it (`customizations`, a usage event's
 * `idempotencyKey`) are skipped wherever they appear.
 */
import type { FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The body is customer data, stored as sent: no UUID in it is touched. */
    verbatimBody?: boolean;
  }
}

const VERBATIM_MEMBERS = new Set(['customizations', 'idempotencyKey']);

const UPPERCASE_UUID = /^(?=.*[A-F])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function lowercaseUuids(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return UPPERCASE_UUID.test(value) ? value.toLowerCase() : value;
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = lowercaseUuids(value[i], depth + 1);
  } else {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!VERBATIM_MEMBERS.has(key)) record[key] = lowercaseUuids(record[key], depth + 1);
    }
  }
  return value;
}

export async function lowercaseRequestUuids(request: FastifyRequest): Promise<void> {
  lowercaseUuids(request.params, 0);
  lowercaseUuids(request.query, 0);
  // Bodyless requests (the hot reads) skip the route lookup: routeOptions builds an object per access.
  if (request.body !== undefined && request.body !== null && request.routeOptions.config.verbatimBody !== true) lowercaseUuids(request.body, 0);
}
