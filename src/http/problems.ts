/**
 * Every error a request can end in, reduced to one surface-neutral "problem": HTTP status, stable
 * code, message, and the offending field. Surfaces render problems in their vendor's error body;
 * unexpected errors become a 500 that reveals nothing (the log has the details and request id).
 */
import type { FastifyError } from 'fastify';
import { DomainError, type ErrorKind } from '../domain/errors.js';
import { describeValidationError } from './validation.js';

export interface Problem {
  status: number;
  code: string;
  message: string;
  field?: string;
  /** For schema validation failures: the rule that failed (see validation.ts). */
  rule?: { keyword: string; params: Record<string, unknown>; value?: unknown };
  /** For "not found": what was not found (`Role`, `Organization`, …). */
  subject?: string;
  /** True for a 500 nobody anticipated: log it with the stack. */
  unexpected?: boolean;
}

const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
};

const FASTIFY_CODES: Record<string, { code: string; message?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'payload_too_large', message: 'request body is larger than the 1 MiB limit' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'unsupported_media_type', message: 'request body must be JSON (Content-Type: application/json)' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'invalid_json', message: 'request body is empty but Content-Type is application/json' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'invalid_json', message: 'request body is not valid JSON' },
};

export function toProblem(error: unknown): Problem {
  if (error instanceof DomainError) {
    return {
      status: STATUS[error.kind],
      code: error.code,
      message: error.message,
      ...(error.field && { field: error.field }),
      ...(error.subject && { subject: error.subject }),
    };
  }
  const fastifyError = error as Partial<FastifyError> & { validation?: unknown[]; validationContext?: string };
  if (Array.isArray(fastifyError.validation)) {
    const { field, message, rule } = describeValidationError(fastifyError.validation as never, fastifyError.validationContext ?? 'body');
    return { status: 400, code: 'invalid_input', message, field, ...(rule && { rule }) };
  }
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const known = FASTIFY_CODES[fastifyError.code ?? ''];
    const invalidJson = error instanceof SyntaxError || fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY';
    return {
      status,
      code: known?.code ?? (invalidJson ? 'invalid_json' : 'bad_request'),
      message: known?.message ?? (invalidJson ? 'request body is not valid JSON' : (fastifyError.message ?? 'bad request')),
    };
  }
  return { status: 500, code: 'internal_error', message: 'An internal server error occurred.', unexpected: true };
}
