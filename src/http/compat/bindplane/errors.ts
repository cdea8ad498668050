/**
 * Bindplane's error body (`model.ErrorResponse`): `{"errors": ["<message>", …]}`. The status comes
 * from the shared problem mapping (400, 401, 403, 404, 409, 413, 415, 500); the message is the
 * core's (schema failures name the field: "body field foo is not a known field"). A 500 says
 * nothing more than that it happened: the log has the details and the request id.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { toProblem } from '../../problems.js';

export const BindplaneErrorSchema = Type.Object(
  { errors: Type.Array(Type.String(), { description: 'What went wrong, one message each (Orgbase sends one).' }) },
  { description: 'model.ErrorResponse' },
);
export type BindplaneError = Static<typeof BindplaneErrorSchema>;

export function sendBindplaneError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const problem = toProblem(error);
  if (problem.unexpected) request.log.error({ err: error }, 'unexpected error');
  if (problem.status === 401) reply.header('www-authenticate', 'Bearer realm="bindplane", Basic realm="bindplane"');
  const body: BindplaneError = { errors: [problem.message] };
  return reply.status(problem.status).send(body);
}

/** The error statuses every route may answer with, for the route schemas (and the OpenAPI document). */
export const errorResponses = {
  400: BindplaneErrorSchema,
  401: BindplaneErrorSchema,
  403: BindplaneErrorSchema,
  404: BindplaneErrorSchema,
  409: BindplaneErrorSchema,
} as const;
