/**
 * Checks `/bindplane/v1` responses against the shapes of Bindplane's documented sample bodies
 * (reference/seeds/bindplane-organizations.txt, "Organizations"). The samples are transcribed
 * below verbatim, one per documented response; a schema is derived from each:
 *
 * - a sample string is `type: string`, `true` is boolean, `1` integer, `null` anything;
 *   an array's items have the shape of its first sample element;
 * - an object with sample fields declares exactly those fields (`additionalProperties: false`:
 *   an undeclared field fails); an empty sample object (`labels`, `status`) is a free-form object;
 * - every sample field is optional: the samples show every field a resource MAY carry
 *   (`additionalInfo`, `icon`, `hash`, …), and Bindplane omits the empty ones (`omitempty`).
 *
 * Then Orgbase's reading of the contract is applied in `responseSchemas()`, one numbered comment
 * each: what must be present, and the values the samples only hint at ("string"). Nothing else
 * is relaxed or tightened.
 */
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';

const addFormats = ((addFormatsModule as any).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

// ---- the seed's sample bodies, verbatim ----

const METADATA = {
  additionalInfo: { documentation: [{ text: 'text', url: 'text' }], message: 'string' },
  dateModified: 'text',
  deprecated: true,
  description: 'string',
  displayName: 'string',
  hash: 'text',
  icon: 'string',
  id: 'string',
  labels: {},
  name: 'string',
  resourceDocLink: 'string',
  stability: 'string',
  version: 1,
  warning: 'string',
};
const PARAMETERS = [{ credential: true, name: 'text', sensitive: true, value: null }];
const ORGANIZATION = {
  apiVersion: 'string',
  kind: 'string',
  metadata: METADATA,
  spec: { auth0: { displayName: 'text', id: 'text', name: 'text' }, parameters: PARAMETERS },
  status: {},
};
const ACCOUNT = {
  apiVersion: 'string',
  kind: 'string',
  metadata: METADATA,
  spec: { alternateSecretKeys: ['text'], parameters: PARAMETERS, secretKey: 'text' },
  status: {},
};
const USER = {
  apiVersion: 'string',
  kind: 'string',
  metadata: METADATA,
  spec: { activeAccount: 'text', email: 'text', nextLoginAccount: 'text', requestedMFA: true },
  status: {},
};

/** The documented 200 bodies, by response (the other routes answer with no body). */
export const SAMPLES = {
  Organizations: { organizations: [ORGANIZATION] }, // GET /v1/organizations
  CreatedOrganization: { account: ACCOUNT, organization: ORGANIZATION }, // POST /v1/organizations
  Accounts: { accounts: [ACCOUNT] }, // GET /v1/organizations/accounts, /projects
  AllAccounts: { activeAccountId: 'text', organizationAccounts: [{ accounts: [ACCOUNT], organization: ORGANIZATION, ssoEnabled: true }] }, // …/all
  Users: { users: [USER] }, // GET /v1/organizations/users
  Verify: { valid: true }, // PUT /v1/organizations/verify
  OrganizationByName: { organization: ORGANIZATION }, // GET /v1/organizations/{name}
} as const;
export type BindplaneSchema = keyof typeof SAMPLES;

// ---- derivation ----

/** The schema a sample value stands for (see the header). Exported for the self-test. */
export function shapeOf(sample: unknown): any {
  if (sample === null) return {};
  if (Array.isArray(sample)) return { type: 'array', items: shapeOf(sample[0]) };
  switch (typeof sample) {
    case 'string':
      return { type: 'string' };
    case 'boolean':
      return { type: 'boolean' };
    case 'number':
      return { type: Number.isInteger(sample) ? 'integer' : 'number' };
    case 'object': {
      const entries = Object.entries(sample as object);
      if (entries.length === 0) return { type: 'object' };
      return { type: 'object', properties: Object.fromEntries(entries.map(([name, value]) => [name, shapeOf(value)])), required: [], additionalProperties: false };
    }
    default:
      throw new Error(`no shape for ${String(sample)}`);
  }
}

const UUID = { type: 'string', format: 'uuid' };

/** Orgbase's reading of one resource schema derived from a sample. */
function resource(schema: any, kind: string): any {
  // 1. Every resource has Bindplane's envelope fields, with the current apiVersion and its kind.
  schema.required = ['apiVersion', 'kind', 'metadata', 'spec', 'status'];
  schema.properties.apiVersion = { const: 'bindplane.observiq.com/v1' };
  schema.properties.kind = { const: kind };
  // 2. Metadata always has an id (Orgbase's are UUIDs), a name and labels (a map of strings, as in
  //    bindplane-op's model.Metadata); dateModified, when present, is an ISO-8601 date-time.
  const metadata = schema.properties.metadata;
  metadata.required = ['id', 'name', 'labels'];
  metadata.properties.id = UUID;
  metadata.properties.labels = { type: 'object', additionalProperties: { type: 'string' } };
  metadata.properties.dateModified = { type: 'string', format: 'date-time' };
  return schema;
}

/** The derived schemas with Orgbase's reading applied. Exported for the self-test. */
export function responseSchemas(): Record<BindplaneSchema, any> {
  const schemas = Object.fromEntries(Object.entries(SAMPLES).map(([name, sample]) => [name, shapeOf(sample)])) as Record<BindplaneSchema, any>;
  const organization = (schema: any) => resource(schema, 'Organization');
  const account = (schema: any) => {
    resource(schema, 'Account');
    // 3. Orgbase projects have no secret keys, so an Account never carries one (none is invented).
    delete schema.properties.spec.properties.secretKey;
    delete schema.properties.spec.properties.alternateSecretKeys;
    return schema;
  };
  const user = (schema: any) => {
    resource(schema, 'User');
    // 4. A user always has its email; `activeAccount`, when shown, is a project id.
    schema.properties.spec.required = ['email'];
    schema.properties.spec.properties.activeAccount = UUID;
    return schema;
  };
  // 5. Every field of a response wrapper is present (the samples are the whole of each wrapper).
  for (const schema of Object.values(schemas)) schema.required = Object.keys(schema.properties);

  schemas.Organizations.properties.organizations.items = organization(schemas.Organizations.properties.organizations.items);
  schemas.CreatedOrganization.properties.account = account(schemas.CreatedOrganization.properties.account);
  schemas.CreatedOrganization.properties.organization = organization(schemas.CreatedOrganization.properties.organization);
  schemas.Accounts.properties.accounts.items = account(schemas.Accounts.properties.accounts.items);
  const entry = schemas.AllAccounts.properties.organizationAccounts.items;
  entry.required = Object.keys(entry.properties);
  entry.properties.accounts.items = account(entry.properties.accounts.items);
  entry.properties.organization = organization(entry.properties.organization);
  // 6. `activeAccountId` is a project id, or "" when the caller has none.
  schemas.AllAccounts.properties.activeAccountId = { anyOf: [UUID, { const: '' }] };
  schemas.Users.properties.users.items = user(schemas.Users.properties.users.items);
  schemas.OrganizationByName.properties.organization = organization(schemas.OrganizationByName.properties.organization);
  return schemas;
}

function compile(schemas: Record<string, any>) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const compiled = Object.fromEntries(Object.entries(schemas).map(([name, schema]) => [name, ajv.compile(schema)]));
  return (name: string) => {
    const validate = compiled[name];
    assert.ok(validate, `no schema ${name}`);
    return validate;
  };
}

const schemaNamed = compile(responseSchemas());

/** Throws unless `value` is a valid `schema` response body. */
export function assertMatchesBindplane(schema: BindplaneSchema, value: unknown): void {
  const validate = schemaNamed(schema);
  assert.ok(validate(value), `${schema} does not match the Bindplane contract: ${JSON.stringify(validate.errors)}\n${JSON.stringify(value)}`);
}

/** True when `value` is a valid `schema` response body (for tests of this helper). */
export function matchesBindplane(schema: BindplaneSchema, value: unknown): boolean {
  return schemaNamed(schema)(value) as boolean;
}

/** model.ErrorResponse, exactly: `{errors: [string, …]}` with at least one message, nothing else. */
export function assertBindplaneErrorShape(body: any): void {
  assert.deepEqual(Object.keys(body ?? {}), ['errors'], JSON.stringify(body));
  assert.ok(Array.isArray(body.errors) && body.errors.length > 0, JSON.stringify(body));
  for (const message of body.errors) assert.ok(typeof message === 'string' && message.length > 0, JSON.stringify(body));
}
