/**
 * Checks the Locktera surface's responses against Locktera's component schemas
 * (locktera-schemas.json, transcribed from reference/specs/locktera-openapi-spec.yml, "L1"), read
 * as response schemas:
 *
 * - No undeclared field is allowed (`additionalProperties: false` on every object), except the
 *   extensions below. L1 declares no `required` lists; the fields Orgbase always sends are made
 *   required below, one numbered comment each, so a missing one fails.
 * - Lists (`access_log`, `children_audit`, `api_keys`) are arrays of the item schema (L1 declares
 *   `api_keys` so; for the two logs L1 says one object and L2 shows an array: Orgbase sends arrays).
 *
 * Orgbase's deliberate deviations and tightenings are applied in `responseSchemas()`; nothing
 * else is relaxed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';

const addFormats = ((addFormatsModule as any).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;
const document = JSON.parse(readFileSync(new URL('./locktera-schemas.json', import.meta.url), 'utf8'));

export type LockteraSchema =
  | 'Org'
  | 'AccessLogList'
  | 'AuditLogList'
  | 'ApiKey'
  | 'ApiKeyList'
  | 'CreatedApiKey'
  | 'Consumption'
  | 'ServiceStatus'
  | 'Customization'
  | 'Error';

const UUID = { type: 'string', format: 'uuid' };
const IP = { type: 'string', anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }] };

/** The published schemas, turned into response schemas (see the header). Exported for the self-test. */
export function responseSchemas(): Record<LockteraSchema, any> {
  const schemas: Record<string, any> = structuredClone(document.schemas);
  for (const schema of Object.values(schemas)) schema.additionalProperties = false;

  // 1. Org carries L2's `created_at` and `customizations` (the L2 example's fields) beside L1's.
  //    Always sent: id, org_name, root_org_id, created_at, customizations; `parent_org_id` when
  //    there is a parent. Ids are UUIDs (a tightening). L1's role and contact fields stay
  //    declared (and optional): Orgbase does not send them.
  const org = schemas.Org;
  org.properties.created_at = { type: 'string', format: 'date-time' };
  org.properties.customizations = { type: 'object' };
  for (const field of ['id', 'root_org_id', 'parent_org_id']) org.properties[field] = { ...org.properties[field], ...UUID };
  org.required = ['id', 'org_name', 'root_org_id', 'created_at', 'customizations'];

  // 2. AccessLog: `action` is `login` or `login_failed`; L2's `status` (SUCCESS/FAILURE) and
  //    Orgbase's `credential_kind` are added; `ip` may be IPv6 (L1: ipv4) — a client's address is
  //    what it is. `user` is absent when the credential named nobody.
  const access = schemas.AccessLog;
  access.properties.action = { type: 'string', enum: ['login', 'login_failed'] };
  access.properties.status = { type: 'string', enum: ['SUCCESS', 'FAILURE'] };
  access.properties.credential_kind = { type: 'string', enum: ['root', 'organization_key', 'personal_key', 'unknown', 'none'] };
  access.properties.org_id = UUID;
  access.properties.ip = IP;
  access.required = ['org_id', 'timestamp', 'action', 'status', 'credential_kind'];

  // 3. AuditLog: `action` is insert, update or delete (L1's examples); Orgbase adds `type` (the
  //    activity type) and `new_data`; `ip` may be IPv6. L1's `address_id` (address-book audits)
  //    stays declared and is never sent.
  const audit = schemas.AuditLog;
  audit.properties.action = { type: 'string', enum: ['insert', 'update', 'delete'] };
  audit.properties.type = { type: 'string', minLength: 1 };
  audit.properties.new_data = { type: 'object' };
  audit.properties.org_id = UUID;
  audit.properties.ip = IP;
  audit.required = ['action', 'org_id', 'timestamp', 'old_data', 'type', 'new_data'];

  // 4. ApiKey adds L2's `name`; permissions are `read` and `write`; all fields always sent.
  const key = schemas.ApiKey;
  key.properties.name = { type: 'string' };
  key.properties.permissions = { ...key.properties.permissions, items: { type: 'string', enum: ['read', 'write'] }, uniqueItems: true };
  key.properties.key_id = UUID;
  key.properties.org_id = UUID;
  key.required = Object.keys(key.properties);
  // 5. The 201 of POST …/api_keys also carries the secret, once, in `api_key` (never in a list).
  schemas.CreatedApiKey = structuredClone(key);
  schemas.CreatedApiKey.properties.api_key = { type: 'string', minLength: 32 };
  schemas.CreatedApiKey.required.push('api_key');

  // 6. Consumption: every field, `month` as YYYY-MM, counts never negative.
  const consumption = schemas.Consumption;
  consumption.properties.month = { type: 'string', pattern: '^\\d{4}-(0[1-9]|1[0-2])$' };
  consumption.properties.api_calls = { type: 'integer', minimum: 0 };
  consumption.properties.storage_used = { type: 'number', minimum: 0 };
  consumption.properties.org_id = UUID;
  consumption.required = Object.keys(consumption.properties);

  // 7. ServiceStatus: all three, each "up" or "down" (L1's description and example).
  const status = schemas.ServiceStatus;
  for (const field of Object.keys(status.properties)) status.properties[field] = { ...status.properties[field], enum: ['up', 'down'] };
  status.required = Object.keys(status.properties);

  // 8. Error: `message` and `code` always, `code` the HTTP status; `fields` maps names to messages.
  const error = schemas.Error;
  error.properties.code = { type: 'integer', minimum: 400, maximum: 599 };
  error.properties.message = { type: 'string', minLength: 1 };
  error.properties.fields = { type: 'object', minProperties: 1, additionalProperties: { type: 'string', minLength: 1 } };
  error.required = ['message', 'code'];

  // 9. Customization: L1 `$ref`s it without defining it (a dangling reference); L2's example is a
  //    flat object of settings. Any JSON object, the customer's own, is one.
  schemas.Customization = { type: 'object' };

  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  schemas.AccessLogList = { type: 'array', items: ref('AccessLog') };
  schemas.AuditLogList = { type: 'array', items: ref('AuditLog') };
  schemas.ApiKeyList = { type: 'array', items: ref('ApiKey') };
  return schemas as Record<LockteraSchema, any>;
}

function compile(schemas: Record<string, any>) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ components: { schemas } }, 'locktera');
  return (name: string) => {
    const validate = ajv.getSchema(`locktera#/components/schemas/${name}`);
    assert.ok(validate, `no schema ${name}`);
    return validate;
  };
}

const schemaNamed = compile(responseSchemas());

/** Throws unless `value` is a valid `schema` response body. */
export function assertMatchesLocktera(schema: LockteraSchema, value: unknown): void {
  const validate = schemaNamed(schema);
  assert.ok(validate(value), `${schema} does not match the Locktera schema: ${JSON.stringify(validate.errors)}\n${JSON.stringify(value)}`);
}

/** True when `value` is a valid `schema` response body (for tests of this helper). */
export function matchesLocktera(schema: LockteraSchema, value: unknown): boolean {
  return schemaNamed(schema)(value) as boolean;
}

/** A Locktera error body with `code` equal to the response status. */
export function assertLockteraError(status: number, body: unknown): void {
  assertMatchesLocktera('Error', body);
  assert.equal((body as { code: number }).code, status, JSON.stringify(body));
}
