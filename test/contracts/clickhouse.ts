/**
 * Checks responses against the ClickHouse Cloud OpenAPI component schemas. The published schemas
 * mark nothing required; the fields ClickHouse documents for every object are required here, so a
 * missing field fails too. Extra (Orgbase extension) fields are allowed, as the schemas allow them.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';

const addFormats = ((addFormatsModule as any).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;
const document = JSON.parse(readFileSync(new URL('./clickhouse-schemas.json', import.meta.url), 'utf8'));
const schemas: Record<string, any> = document.schemas;

// Orgbase's own activity types (ClickHouse records none for these changes).
const ORGBASE_ACTIVITY_TYPES = [
  'byoc_infrastructure_create',
  'byoc_infrastructure_update',
  'byoc_infrastructure_delete',
  'role_create',
  'role_update',
  'role_delete',
  'project_create',
  'project_update',
  'project_delete',
  'organization_update_parent',
  'organization_child_create',
  'organization_child_add',
  'organization_child_remove',
  'organization_child_delete',
  'organization_update_license',
  'organization_update_customizations',
];
schemas.Activity.properties.type.enum.push(...ORGBASE_ACTIVITY_TYPES);

const REQUIRED: Record<string, string[]> = {
  Organization: ['id', 'createdAt', 'name', 'privateEndpoints', 'byocConfig'],
  OrganizationPrivateEndpoint: ['id', 'description', 'cloudProvider', 'region'],
  ByocConfig: ['id', 'state', 'accountName', 'regionId', 'cloudProvider'],
  Activity: ['id', 'createdAt', 'type', 'actorType', 'organizationId'],
  ApiKey: ['id', 'name', 'state', 'roles', 'keySuffix', 'createdAt', 'expireAt', 'ipAccessList'],
  IpAccessListEntry: ['source'],
  OrganizationCloudRegionPrivateEndpointConfig: ['endpointServiceId'],
  UsageCost: ['grandTotalCHC', 'costs'],
  UsageCostRecord: ['dataWarehouseId', 'serviceId', 'date', 'entityType', 'entityId', 'entityName', 'metrics', 'totalCHC', 'locked'],
};
for (const [name, required] of Object.entries(REQUIRED)) schemas[name].required = required;

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ components: { schemas } }, 'clickhouse');

export type ClickHouseSchema = keyof typeof REQUIRED | 'ApiKeyPostResponse';

export function assertMatchesClickHouse(schema: ClickHouseSchema, value: unknown): void {
  const validate = ajv.getSchema(`clickhouse#/components/schemas/${schema}`);
  assert.ok(validate, `no schema ${schema}`);
  const valid = validate(value);
  assert.ok(valid, `${schema} does not match the ClickHouse schema: ${JSON.stringify(validate.errors)}\n${JSON.stringify(value)}`);
}

/** The success envelope: `{status: 200, requestId: <uuid>, result?}`. */
export function assertEnvelope(body: any, options: { result: boolean }): void {
  assert.equal(body.status, 200);
  assert.match(body.requestId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal('result' in body, options.result, `result ${options.result ? 'missing from' : 'present in'} envelope`);
}

/** The error envelope: `{status, requestId, error, code}`. */
export function assertErrorEnvelope(body: any, status: number, code?: string): void {
  assert.equal(body.status, status, JSON.stringify(body));
  assert.match(body.requestId, /^[0-9a-f-]{36}$/);
  assert.equal(typeof body.error, 'string');
  assert.equal(typeof body.code, 'string');
  if (code !== undefined) assert.equal(body.code, code, JSON.stringify(body));
  assert.equal('result' in body, false);
}
