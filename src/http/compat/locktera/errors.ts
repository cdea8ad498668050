/**
 * Locktera's error body (L1 `Error`): `{message, code, fields}` — `code` is the HTTP status (an
 * integer: Locktera's only documented codes are statuses), `fields` maps each offending request
 * field, in Locktera's spelling, to what is wrong with it, and is present only when a field is.
 * Orgbase's state conflicts (409: a taken name, a license limit) are 400s here: Locktera documents
 * no 409, and its 400 is "invalid request data". A 500 says nothing more than that it happened.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { toProblem } from '../../problems.js';

export const LockteraErrorSchema = Type.Object(
  {
    message: Type.String({ description: 'Human-readable error message.' }),
    code: Type.Integer({ description: 'The HTTP status of the response.' }),
    fields: Type.Optional(
      Type.Record(Type.String(), Type.String(), { description: 'Each offending field (Locktera\u2019s name) and what is wrong with it.' }),
    ),
  },
  { description: 'Error' },
);
export type LockteraError = Static<typeof LockteraErrorSchema>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Core field names that Locktera spells differently on this route (`name` → `org_name`, `from_date` → `start`). */
    lockteraFields?: Record<string, string> | ((request: FastifyRequest) => Record<string, string>);
  }
}

/** Where a schema failure points when it names the whole part rather than a field. */
const PARTS = new Set(['body', 'querystring', 'params', 'headers']);

export function sendLockteraError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const problem = toProblem(error);
  if (problem.unexpected) request.log.error({ err: error }, 'unexpected error');
  const status = problem.status === 409 ? 400 : problem.status;
  const configured = request.routeOptions.config?.lockteraFields ?? {};
  const names = typeof configured === 'function' ? configured(request) : configured;
  // Schema failures already name the field as the client sent it; the core's errors use its own names.
  const field = problem.field === undefined || PARTS.has(problem.field) ? undefined : problem.rule ? problem.field : lockteraField(problem.field, names);
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="locktera"');
  // The core starts some messages with its own name of the field ("name: …"): say Locktera's instead.
  const message = field !== undefined && problem.message.startsWith(`${problem.field}: `) ? `${field}: ${problem.message.slice(problem.field!.length + 2)}` : problem.message;
  const body: LockteraError = { message, code: status, ...(field !== undefined && { fields: { [field]: message } }) };
  return reply.status(status).send(body);
}

/** `parentId` → `parent_org_id` (route's names first), `privateEndpoints.add[0]` → `private_endpoints.add[0]`. */
function lockteraField(field: string, names: Record<string, string>): string {
  const [head = '', ...rest] = field.split('.');
  return [names[head] ?? head, ...rest].join('.');
}

/** The error statuses every route may answer with, for the route schemas (and the OpenAPI document). */
export const errorResponses = {
  400: LockteraErrorSchema,
  401: LockteraErrorSchema,
  403: LockteraErrorSchema,
  404: LockteraErrorSchema,
} as const;
