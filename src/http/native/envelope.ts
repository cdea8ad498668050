/**
 * The ClickHouse Cloud response envelope: `{status, requestId, result}` on success (DELETE: no
 * `result`), `{status, requestId, error}` on failure, to which Orgbase adds a stable `code` and,
 * for bad input, the `field`. List results carry `nextCursor` while more pages remain.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TSchema } from 'typebox';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page } from '../../domain/pagination.js';

const Status = Type.Integer({ description: 'HTTP status code.' });
const RequestId = Type.String({ format: 'uuid', description: 'Unique id assigned to every request. UUIDv4' });

export const ErrorEnvelope = Type.Object({
  status: Status,
  requestId: RequestId,
  error: Type.String({ description: 'Detailed error description.' }),
  code: Type.String({ description: 'Orgbase: stable machine-readable error code.' }),
  field: Type.Optional(Type.String({ description: 'Orgbase: the request field the error is about.' })),
});

const errorResponses = {
  400: ErrorEnvelope,
  401: ErrorEnvelope,
  403: ErrorEnvelope,
  404: ErrorEnvelope,
  409: ErrorEnvelope,
  413: ErrorEnvelope,
  500: ErrorEnvelope,
};

export const envelope = <T extends TSchema>(result: T) =>
  ({ 200: Type.Object({ status: Status, requestId: RequestId, result }), ...errorResponses }) as const;

export const listEnvelope = <T extends TSchema>(item: T) =>
  ({
    200: Type.Object({
      status: Status,
      requestId: RequestId,
      result: Type.Array(item),
      nextCursor: Type.Optional(Type.String({ description: 'Orgbase: pass as `cursor` to get the next page; absent on the last page.' })),
    }),
    ...errorResponses,
  }) as const;

export const emptyEnvelope = () => ({ 200: Type.Object({ status: Status, requestId: RequestId }), ...errorResponses }) as const;

export const ok = <T>(request: FastifyRequest, result: T) => ({ status: 200, requestId: request.id, result });

export const okPage = <T>(request: FastifyRequest, page: { items: T[]; nextCursor: string | undefined }) => ({
  status: 200,
  requestId: request.id,
  result: page.items,
  ...(page.nextCursor !== undefined && { nextCursor: page.nextCursor }),
});

/** A page of domain rows or records in their wire shape. */
export const mapPage = <T, U>(page: Page<T>, map: (item: T) => U): Page<U> => ({ items: page.items.map(map), nextCursor: page.nextCursor });

/** Sends `{status: 200, requestId, result}` whose result is JSON already (a large result serialized once, sent many times). */
export const sendSerializedResult = (request: FastifyRequest, reply: FastifyReply, resultJson: string) =>
  reply.type('application/json; charset=utf-8').send(`{"status":200,"requestId":${JSON.stringify(request.id)},"result":${resultJson}}`);

export const done = (request: FastifyRequest) => ({ status: 200, requestId: request.id });

/** Query parameters shared by every native list (an Orgbase extension to the ClickHouse API). */
export const PageQuery = {
  limit: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: MAX_PAGE_SIZE,
      default: DEFAULT_PAGE_SIZE,
      description: `Page size (default ${DEFAULT_PAGE_SIZE}, max ${MAX_PAGE_SIZE}).`,
    }),
  ),
  cursor: Type.Optional(Type.String({ maxLength: 512, description: 'The `nextCursor` of the previous page.' })),
};
