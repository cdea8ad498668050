/**
 * Request validation. Bodies are checked strictly (no type coercion, unknown fields rejected);
 * path and query parameters arrive as text, so they are coerced ("100" → 100) before checking.
 * Errors become one message that names the field, for every surface to render its own way.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (
  ajv: Ajv,
) => Ajv;

function createAjv(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({
    coerceTypes,
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
    strict: false,
    // Errors carry the offending value, for surfaces whose vendor quotes it ("x" is not a valid choice).
    verbose: true,
  });
  addFormats(ajv);
  // ajv-formats' uuid also admits a `urn:uuid:` prefix, which PostgreSQL's uuid type refuses.
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  return ajv;
}

const bodyAjv = createAjv(false);
const parameterAjv = createAjv(true);

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : parameterAjv).compile(schema as object) as ValidateFunction;

const LOCATIONS: Record<string, string> = {
  body: 'body field',
  querystring: 'query parameter',
  params: 'path parameter',
  headers: 'header',
};

export interface FieldError {
  /** `name`, `privateEndpoints.add[0].region`, `from_date`, … */
  field: string;
  message: string;
  /** The schema rule that failed (ajv keyword and its parameters): surfaces that word errors their vendor's way read it. */
  rule?: { keyword: string; params: Record<string, unknown>; value?: unknown };
}

/** Describes the first failed check of an ajv validation in words a client can act on. */
export function describeValidationError(errors: ErrorObject[], context: string): FieldError {
  const error = errors[0];
  if (!error) return { field: context, message: `${context} is invalid` };
  const segments = error.instancePath.split('/').slice(1).map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required') segments.push(String(params.missingProperty));
  if (error.keyword === 'additionalProperties') segments.push(String(params.additionalProperty));
  const field = segments.reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
  const subject = field === '' ? (context === 'body' ? 'request body' : context) : `${LOCATIONS[context] ?? context} ${field}`;
  return { field: field === '' ? context : field, message: `${subject} ${explain(error, params)}`, rule: { keyword: error.keyword, params, value: error.data } };
}

function explain(error: ErrorObject, params: Record<string, unknown>): string {
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not a known field';
    case 'type':
      return params.type === 'object' ? 'must be a JSON object' : `must be of type ${String(params.type)}`;
    case 'enum':
      return `must be one of: ${(params.allowedValues as unknown[]).join(', ')}`;
    case 'format':
      return params.format === 'uuid'
        ? 'must be a UUID'
        : params.format === 'date-time'
          ? 'must be an ISO-8601 date-time with a time zone, e.g. 2025-01-31T12:00:00Z'
          : `must be a valid ${String(params.format)}`;
    case 'minLength':
      return params.limit === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters`;
    case 'maxLength':
      return `must be at most ${String(params.limit)} characters`;
    case 'minItems':
      return `must have at least ${String(params.limit)} item(s)`;
    case 'maxItems':
      return `must have at most ${String(params.limit)} items`;
    case 'uniqueItems':
      return 'must not contain duplicates';
    case 'minimum':
    case 'maximum':
      return `must be ${error.keyword === 'minimum' ? '>=' : '<='} ${String(params.limit)}`;
    case 'pattern':
      return `has the wrong format (${error.parentSchema && (error.parentSchema as { description?: string }).description ? (error.parentSchema as { description: string }).description : `pattern ${String(params.pattern)}`})`;
    default:
      return error.message ?? 'is invalid';
  }
}
