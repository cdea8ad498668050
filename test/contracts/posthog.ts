/**
 * Checks `/api` responses against PostHog's component schemas (posthog-schemas.json, transcribed
 * from reference/specs/posthog-org-subset.openapi.yaml), read as response schemas:
 *
 * - writeOnly fields (`RoleMembership.user_uuid`, `OrganizationInvite.send_email`,
 *   `combine_pending_invites`) are request-only: dropped from the response schema, so their
 *   absence passes and their presence in a response fails.
 * - Every other declared field is required. drf-spectacular's `required` lists describe request
 *   bodies; a DRF serializer always renders every declared field, so a response missing one is
 *   wrong. Pages require all of `count`, `next`, `previous` and `results`.
 * - No undeclared field is allowed (`additionalProperties: false` on every object), except
 *   Orgbase's documented extension below.
 *
 * Orgbase's deliberate deviations from the published schemas are applied in `responseSchemas()`,
 * one numbered comment each; nothing else is relaxed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';

const addFormats = ((addFormatsModule as any).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;
const document = JSON.parse(readFileSync(new URL('./posthog-schemas.json', import.meta.url), 'utf8'));

/** Every PostHog schema a response of `/api` is checked against. */
export type PostHogSchema =
  | 'UserBasic'
  | 'OrganizationMember'
  | 'Role'
  | 'RoleMembership'
  | 'OrganizationInvite'
  | 'PaginatedRoleList'
  | 'PaginatedRoleMembershipList'
  | 'PaginatedOrganizationMemberList'
  | 'PaginatedOrganizationInviteList';

/** The permissions a role may carry (Orgbase extension; the personal-key scopes minus `*`). */
const ROLE_PERMISSIONS = ['organization:read', 'organization:write', 'organization_member:read', 'organization_member:write'];

/** The published schemas, turned into response schemas (see the header). Exported for the self-test. */
export function responseSchemas(): Record<string, any> {
  const schemas: Record<string, any> = structuredClone(document.schemas);
  for (const schema of Object.values(schemas)) {
    if (schema.type !== 'object' || !schema.properties) continue;
    for (const [name, property] of Object.entries<any>(schema.properties)) {
      if (property.writeOnly) delete schema.properties[name];
    }
    schema.required = Object.keys(schema.properties);
    schema.additionalProperties = false;
  }

  // Deviation 1: `OrganizationMember.last_login` is null. Real PostHog renders null for a user who
  // never logged in (the spec omits `nullable`); Orgbase authenticates keys, not sessions, so it
  // never has a login to report.
  schemas.OrganizationMember.properties.last_login = { type: ['string', 'null'], format: 'date-time', readOnly: true };

  // Deviation 2: a role carries Orgbase's `permissions` (read and write) beside PostHog's fields.
  // The only extra field allowed on any object.
  schemas.Role.properties.permissions = { type: 'array', uniqueItems: true, items: { enum: ROLE_PERMISSIONS } };
  schemas.Role.required.push('permissions');

  // Deviation 3 (a tightening): `Role.members` is published as an array of free-form objects;
  // PostHog's serializer renders RoleMembership objects there, and so must Orgbase.
  schemas.Role.properties.members = { type: 'array', items: { $ref: '#/components/schemas/RoleMembership' }, readOnly: true };

  // Deviation 4: `created_by` of a role or an invite is null when no user made it (root or an
  // organization key). PostHog's column is nullable too (created_by SET_NULL) and its role
  // serializer nulls a creator hidden from the requester (vendor-contracts §2.4); the spec omits `nullable`.
  for (const name of ['Role', 'OrganizationInvite']) {
    schemas[name].properties.created_by = { anyOf: [{ $ref: '#/components/schemas/UserBasic' }, { type: 'null' }], readOnly: true };
  }
  return schemas;
}

function compile(schemas: Record<string, any>) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ components: { schemas } }, 'posthog');
  return (name: string) => {
    const validate = ajv.getSchema(`posthog#/components/schemas/${name}`);
    assert.ok(validate, `no schema ${name}`);
    return validate;
  };
}

const schemaNamed = compile(responseSchemas());

/** Throws unless `value` is a valid `schema` response body. */
export function assertMatchesPostHog(schema: PostHogSchema, value: unknown): void {
  const validate = schemaNamed(schema);
  assert.ok(validate(value), `${schema} does not match the PostHog schema: ${JSON.stringify(validate.errors)}\n${JSON.stringify(value)}`);
}

/** True when `value` is a valid `schema` response body (for tests of this helper). */
export function matchesPostHog(schema: PostHogSchema, value: unknown): boolean {
  return schemaNamed(schema)(value) as boolean;
}

/** drf-exceptions-hog's error body, exactly: `{type, code, detail, attr}` and nothing else. */
export function assertPostHogErrorShape(body: any): void {
  assert.deepEqual(Object.keys(body ?? {}).sort(), ['attr', 'code', 'detail', 'type'], JSON.stringify(body));
  assert.ok(['validation_error', 'authentication_error', 'invalid_request', 'throttled_error', 'server_error'].includes(body.type), JSON.stringify(body));
  assert.equal(typeof body.code, 'string');
  assert.equal(typeof body.detail, 'string');
  assert.ok(body.attr === null || typeof body.attr === 'string', JSON.stringify(body));
}
