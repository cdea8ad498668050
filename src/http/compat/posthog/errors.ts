/**
 * PostHog's error body (drf-exceptions-hog): `{type, code, detail, attr}`. Problems from the core
 * are reworded the way Django REST Framework words them; a route can re-map the errors of its own
 * domain codes (PostHog words some of them in its views: "Role does not exist.").
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { toProblem, type Problem } from '../../problems.js';

export const PostHogErrorSchema = Type.Object({
  type: Type.String({ description: 'validation_error, authentication_error, invalid_request, throttled_error or server_error.' }),
  code: Type.String({ description: 'Machine-readable: required, unique, permission_denied, not_found, …' }),
  detail: Type.String({ description: 'Human-readable.' }),
  attr: Type.Union([Type.String(), Type.Null()], { description: 'The offending field (nested fields joined with __), or null.' }),
});
export type PostHogError = Static<typeof PostHogErrorSchema>;

/** How a route re-words an error of the core, keyed by its code (`not_found:<Subject>` for a missing thing). */
export type ErrorOverrides = Record<string, Partial<PostHogError> & { status?: number }>;

declare module 'fastify' {
  interface FastifyContextConfig {
    posthogErrors?: ErrorOverrides;
    /** Core field names that PostHog spells differently (`userId` → `user_uuid`). */
    posthogFields?: Record<string, string>;
  }
}

export function sendPostHogError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const problem = toProblem(error);
  if (problem.unexpected) request.log.error({ err: error }, 'unexpected error');
  const config = request.routeOptions.config;
  const { status, body } = toPostHogError(problem, config?.posthogFields ?? {});
  const override = config?.posthogErrors?.[problem.subject ? `${problem.code}:${problem.subject}` : problem.code];
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="api"');
  const { status: overriddenStatus, ...fields } = override ?? {};
  return reply.status(overriddenStatus ?? status).send({ ...body, ...fields });
}

export function toPostHogError(original: Problem, fieldNames: Record<string, string>): { status: number; body: PostHogError } {
  const attr = original.field === undefined || ['body', 'querystring', 'params'].includes(original.field) ? null : attrOf(original.field, fieldNames);
  // The core starts some messages with the native field name ("email: …"); `attr` names it here.
  const problem = original.field !== undefined && original.message.startsWith(`${original.field}: `)
    ? { ...original, message: original.message.slice(original.field.length + 2) }
    : original;
  switch (problem.status) {
    case 400:
      if (problem.rule) return { status: 400, body: { type: 'validation_error', ...drfValidation(problem.rule, problem.message), attr } };
      if (problem.code === 'invalid_json') return { status: 400, body: invalidRequest('parse_error', `JSON parse error - ${problem.message}`) };
      return { status: 400, body: { type: 'validation_error', code: drfCode(problem.code), detail: problem.message, attr } };
    case 401:
      return { status: 401, body: { type: 'authentication_error', code: problem.code === 'not_authenticated' ? 'not_authenticated' : 'authentication_failed', detail: problem.message, attr: null } };
    case 403:
      return { status: 403, body: { type: 'authentication_error', code: 'permission_denied', detail: problem.message, attr: null } };
    case 404:
      return { status: 404, body: invalidRequest('not_found', 'Not found.') };
    // PostHog reports clashes with the current state (duplicates, last owner) as validation errors.
    case 409:
      return { status: 400, body: { type: 'validation_error', code: drfCode(problem.code), detail: problem.message, attr } };
    case 413:
      return { status: 413, body: invalidRequest('payload_too_large', problem.message) };
    case 415:
      return { status: 415, body: invalidRequest('unsupported_media_type', problem.message) };
    case 500:
      return { status: 500, body: { type: 'server_error', code: 'error', detail: 'A server error occurred.', attr: null } };
    default:
      return { status: problem.status, body: invalidRequest(problem.code, problem.message) };
  }
}

const invalidRequest = (code: string, detail: string): PostHogError => ({ type: 'invalid_request', code, detail, attr: null });

/**
 * PostHog raises its rule violations as `ValidationError("…")`, whose code DRF calls `invalid` and
 * PostHog `invalid_input`; only uniqueness keeps its own code. Orgbase's finer codes stay on /v1.
 */
const drfCode = (code: string) => (code === 'unique' ? 'unique' : 'invalid_input');

/** `members[0].level` → `members__0__level`, after PostHog's own spelling of the top field. */
function attrOf(field: string, fieldNames: Record<string, string>): string {
  const [head = '', ...rest] = field.replace(/\[(\d+)\]/g, '.$1').split('.');
  return [fieldNames[head] ?? head, ...rest].join('__');
}

/** DRF's code and wording for a failed schema rule; DRF's `invalid` code is `invalid_input` in PostHog. */
function drfValidation(rule: NonNullable<Problem['rule']>, message: string): { code: string; detail: string } {
  const { keyword, params, value } = rule;
  switch (keyword) {
    case 'required':
      return { code: 'required', detail: 'This field is required.' };
    case 'additionalProperties':
      return { code: 'invalid_input', detail: 'This field is not known: remove it.' };
    case 'type':
      if (value === null) return { code: 'null', detail: 'This field may not be null.' };
      return { code: 'invalid_input', detail: TYPE_DETAILS[String(params.type)] ?? `Must be of type ${String(params.type)}.` };
    case 'enum':
      return { code: 'invalid_choice', detail: `"${String(value)}" is not a valid choice.` };
    case 'format':
      return { code: 'invalid_input', detail: FORMAT_DETAILS[String(params.format)] ?? `Must be a valid ${String(params.format)}.` };
    case 'minLength':
      return params.limit === 1
        ? { code: 'blank', detail: 'This field may not be blank.' }
        : { code: 'min_length', detail: `Ensure this field has at least ${String(params.limit)} characters.` };
    case 'maxLength':
      return { code: 'max_length', detail: `Ensure this field has no more than ${String(params.limit)} characters.` };
    case 'minimum':
      return { code: 'min_value', detail: `Ensure this value is greater than or equal to ${String(params.limit)}.` };
    case 'maximum':
      return { code: 'max_value', detail: `Ensure this value is less than or equal to ${String(params.limit)}.` };
    case 'maxItems':
      return { code: 'max_length', detail: `Ensure this field has no more than ${String(params.limit)} elements.` };
    case 'uniqueItems':
      return { code: 'invalid_input', detail: 'This list may not contain duplicates.' };
    default:
      return { code: 'invalid_input', detail: message };
  }
}

const TYPE_DETAILS: Record<string, string> = {
  string: 'Not a valid string.',
  integer: 'A valid integer is required.',
  number: 'A valid number is required.',
  boolean: 'Must be a valid boolean.',
  array: 'Expected a list of items.',
  object: 'Invalid data. Expected a dictionary.',
};

const FORMAT_DETAILS: Record<string, string> = {
  uuid: 'Must be a valid UUID.',
  email: 'Enter a valid email address.',
  'date-time': 'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].',
};
