/**
 * PostgreSQL stores neither NUL characters nor unpaired UTF-16 surrogates (text refuses NUL; the
 * driver turns a lone surrogate into U+FFFD, so two different strings could become one). A body
 * holding one anywhere — value or member name — is a 400 naming where, before any route sees it,
 * instead of a 500 from the database or a silent change of the value.
 */
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { invalid } from '../domain/errors.js';

const UNSTORABLE = /[\u0000\p{Cs}]/u;

function findUnstorable(value: unknown, path: string, depth: number): string | undefined {
  if (typeof value === 'string') return UNSTORABLE.test(value) ? path : undefined;
  // Deeper bodies are refused by their schemas or limits; the walk need not follow them.
  if (depth > 64 || value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorable(value[i], `${path}[${i}]`, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    const at = path === '' ? key : `${path}.${key}`;
    if (UNSTORABLE.test(key)) return at;
    const found = findUnstorable(item, at, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

export async function refuseUnstorableText(request: FastifyRequest): Promise<void> {
  if (request.body === undefined || request.body === null || typeof request.body !== 'object') return;
  const field = findUnstorable(request.body, '', 0);
  if (field !== undefined) {
    throw invalid(field || 'body', `body field ${field} contains a NUL character or an unpaired UTF-16 surrogate, which cannot be stored`, 'unstorable_text');
  }
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Adds the check to every route that takes a body, before its validation. Routes without one
 * (every GET, the hot reads) do not pay for a hook that would find nothing.
 */
export function refuseUnstorableTextInBodies(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.some((method) => BODY_METHODS.has(method))) return;
    const existing = route.preValidation === undefined ? [] : Array.isArray(route.preValidation) ? route.preValidation : [route.preValidation];
    route.preValidation = [refuseUnstorableText, ...existing] as RouteOptions['preValidation'];
  });
}
