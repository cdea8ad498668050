/**
 * Configuration, read once from the environment. Nothing else in Orgbase reads `process.env`:
 * everything below gets a `Config` passed in, so tests can build any configuration they need.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { Compile } from 'typebox/compile';
import { CLOUD_PROVIDERS, REGION_PROVIDERS, REGIONS, type Region } from './domain/organizations/organizations.schemas.js';
import {
  isLicensePublicKey,
  LICENSE_KID_PATTERN,
  LicenseTypeDefinitionSchema,
  type LicenseTypeDefinition,
} from './domain/licenses/license.schemas.js';
import { loadUsageConfig, type UsageConfig } from './usage-config.js';

export interface Config extends UsageConfig {
  host: string;
  port: number;
  /** `postgres://…` for a PostgreSQL server; undefined for the embedded PGlite database. */
  databaseUrl: string | undefined;
  /** Where the embedded database keeps its files (ignored with `databaseUrl`). */
  dataDir: string;
  /** The operator's key; undefined means "use the stored hash, or generate one on a new database". */
  rootKey: string | undefined;
  logLevel: string;
  /** Fastify `trustProxy`: false, true, a hop count or a list of proxy addresses. */
  trustProxy: boolean | number | string;
  /** `endpointServiceId` per `cloudProvider:region`, for GET …/privateEndpointConfig. */
  privateEndpointServices: Record<string, string>;
  /**
   * Public keys that verify license keys: kid → base64url raw Ed25519 key (an OKP JWK's `x`).
   * ORGBASE_LICENSE_PUBLIC_KEYS, plus the public half of `licenseSigningKey` under its kid when one
   * is configured (so the licenses this server creates verify without listing it). Empty: no license verifies.
   */
  licensePublicKeys: Record<string, string>;
  /**
   * The key this server signs licenses with when it creates them by type
   * (ORGBASE_LICENSE_SIGNING_KEY, a PKCS8 PEM file, and ORGBASE_LICENSE_SIGNING_KID). Undefined:
   * creating licenses by type is disabled; installing signed license keys still works.
   */
  licenseSigningKey: LicenseSigningKey | undefined;
  /** The license types this server creates (ORGBASE_LICENSE_TYPES): type → limits, features and days, all filled in. */
  licenseTypes: Record<string, Required<LicenseTypeDefinition>>;
  /** How deep the organization tree may grow: a root-level organization is at depth 1. */
  maxOrganizationDepth: number;
}

export interface LicenseSigningKey {
  kid: string;
  /** An Ed25519 private key. */
  privateKey: KeyObject;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
export const MIN_ROOT_KEY_LENGTH = 32;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const host = env.HOST?.trim() || '127.0.0.1';
  if (host !== 'localhost' && isIP(host) === 0 && !/^[a-z0-9.-]+$/i.test(host)) {
    throw new ConfigError('HOST', `"${host}" is not an address or host name`);
  }
  const portText = env.PORT?.trim() || '8080';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 0 || port > 65535) {
    throw new ConfigError('PORT', `"${portText}" is not a port number (0-65535)`);
  }
  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', 'must start with postgres:// or postgresql://');
  }
  const rootKey = env.ORGBASE_ROOT_KEY || undefined;
  if (rootKey !== undefined && rootKey.length < MIN_ROOT_KEY_LENGTH) {
    throw new ConfigError(
      'ORGBASE_ROOT_KEY',
      `must be at least ${MIN_ROOT_KEY_LENGTH} characters (try: openssl rand -base64 32)`,
    );
  }
  const logLevel = env.LOG_LEVEL?.trim() || 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const publicKeys = parseLicensePublicKeys(env.ORGBASE_LICENSE_PUBLIC_KEYS);
  const signing = parseLicenseSigningKey(env.ORGBASE_LICENSE_SIGNING_KEY?.trim(), env.ORGBASE_LICENSE_SIGNING_KID?.trim(), publicKeys);
  return {
    host,
    port,
    databaseUrl,
    dataDir: env.DATA_DIR?.trim() || './data',
    rootKey,
    logLevel,
    trustProxy: parseTrustProxy(env.TRUST_PROXY?.trim()),
    privateEndpointServices: parsePrivateEndpointServices(env.ORGBASE_PRIVATE_ENDPOINT_SERVICES),
    licensePublicKeys: signing ? { ...publicKeys, [signing.key.kid]: signing.x } : publicKeys,
    licenseSigningKey: signing?.key,
    licenseTypes: parseLicenseTypes(env.ORGBASE_LICENSE_TYPES),
    maxOrganizationDepth: parseDepth(env.ORGBASE_MAX_ORGANIZATION_DEPTH?.trim()),
    ...loadUsageConfig(env),
  };
}

function parseDepth(value: string | undefined): number {
  if (value === undefined || value === '') return 10;
  const depth = Number(value);
  if (!/^\d+$/.test(value) || depth < 1 || depth > 100) {
    throw new ConfigError('ORGBASE_MAX_ORGANIZATION_DEPTH', `"${value}" is not a depth from 1 to 100`);
  }
  return depth;
}

/** A variable holding a JSON object; anything else is a ConfigError with the expected shape. */
export function parseJsonObject(name: string, value: string, shape: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new ConfigError(name, shape);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(name, shape);
  return parsed as Record<string, unknown>;
}

function parseTrustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value; // comma-separated addresses or CIDRs, as Fastify accepts them
}

/** JSON object: `{"aws:us-east-1": "com.amazonaws.vpce.us-east-1.vpce-svc-…", …}`. */
function parsePrivateEndpointServices(value: string | undefined): Record<string, string> {
  if (value === undefined || value.trim() === '') return {};
  const name = 'ORGBASE_PRIVATE_ENDPOINT_SERVICES';
  const parsed = parseJsonObject(name, value, 'must be a JSON object like {"aws:us-east-1": "<endpointServiceId>"}');
  const services: Record<string, string> = {};
  for (const [key, serviceId] of Object.entries(parsed)) {
    const [provider, region, extra] = key.split(':');
    if (extra !== undefined || !CLOUD_PROVIDERS.includes(provider as never) || !REGIONS.includes(region as never)) {
      throw new ConfigError(name, `"${key}" is not "<cloudProvider>:<region>" with a known provider and region`);
    }
    if (REGION_PROVIDERS[region as Region] !== provider) {
      throw new ConfigError(name, `"${key}": ${region} is not a ${provider} region`);
    }
    if (typeof serviceId !== 'string' || serviceId === '') {
      throw new ConfigError(name, `"${key}" must map to a non-empty string`);
    }
    services[key] = serviceId;
  }
  return services;
}

/** JSON object: `{"<kid>": "<x>", …}`, as `npm run orgbase -- license keygen` prints it. */
function parseLicensePublicKeys(value: string | undefined): Record<string, string> {
  if (value === undefined || value.trim() === '') return {};
  const name = 'ORGBASE_LICENSE_PUBLIC_KEYS';
  const shape = 'must be a JSON object like {"<kid>": "<base64url Ed25519 public key>"}';
  const parsed = parseJsonObject(name, value, shape);
  const keys: Record<string, string> = {};
  for (const [kid, x] of Object.entries(parsed)) {
    if (!LICENSE_KID_PATTERN.test(kid)) {
      throw new ConfigError(name, `key id ${JSON.stringify(kid)} must be 1-64 letters, digits, ".", "_" or "-"`);
    }
    if (!isLicensePublicKey(x)) {
      throw new ConfigError(name, `"${kid}" must map to a 32-byte Ed25519 public key in base64url (43 characters)`);
    }
    keys[kid] = x;
  }
  return keys;
}

/**
 * ORGBASE_LICENSE_SIGNING_KEY: the path of an Ed25519 PKCS8 PEM private key (the `<kid>.private.pem`
 * of `license keygen`), read here once; ORGBASE_LICENSE_SIGNING_KID: its kid. Both or neither.
 * Returns the key and its public `x`, which the verifier must know under the same kid.
 */
function parseLicenseSigningKey(
  file: string | undefined,
  kid: string | undefined,
  publicKeys: Record<string, string>,
): { key: LicenseSigningKey; x: string } | undefined {
  const KEY = 'ORGBASE_LICENSE_SIGNING_KEY';
  const KID = 'ORGBASE_LICENSE_SIGNING_KID';
  if (!file) {
    if (kid) throw new ConfigError(KEY, `must be set when ${KID} is: the path of the <kid>.private.pem file "npm run orgbase -- license keygen" wrote`);
    return undefined;
  }
  if (!kid) throw new ConfigError(KID, `is required when ${KEY} is set: the kid the key was made with (its file is <kid>.private.pem)`);
  if (!LICENSE_KID_PATTERN.test(kid)) throw new ConfigError(KID, `${JSON.stringify(kid)} must be 1-64 letters, digits, ".", "_" or "-"`);
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (error) {
    throw new ConfigError(KEY, `cannot read ${file}: ${(error as Error).message}`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch {
    throw new ConfigError(KEY, `${file} is not a PEM private key (expected the <kid>.private.pem file "npm run orgbase -- license keygen" wrote)`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new ConfigError(KEY, `${file} is a ${privateKey.asymmetricKeyType ?? 'non-asymmetric'} key; license keys are signed with Ed25519 ("npm run orgbase -- license keygen" makes one)`);
  }
  const x = String((createPublicKey(privateKey).export({ format: 'jwk' }) as { x: string }).x);
  if (Object.hasOwn(publicKeys, kid) && publicKeys[kid] !== x) {
    throw new ConfigError(KID, `"${kid}" is listed in ORGBASE_LICENSE_PUBLIC_KEYS with another public key than the one of ${KEY}`);
  }
  return { key: { kid, privateKey }, x };
}

const licenseTypeValidator = Compile(LicenseTypeDefinitionSchema);

/** JSON object: `{"<type>": {"limits": {"members": 25}, "features": ["sso"], "days": 365}, …}`. */
function parseLicenseTypes(value: string | undefined): Record<string, Required<LicenseTypeDefinition>> {
  if (value === undefined || value.trim() === '') return {};
  const name = 'ORGBASE_LICENSE_TYPES';
  const shape = 'must be a JSON object like {"team": {"limits": {"members": 25, "projects": 10}, "features": ["sso"], "days": 365}}';
  const parsed = parseJsonObject(name, value, shape);
  const types: [string, Required<LicenseTypeDefinition>][] = [];
  for (const [type, definition] of Object.entries(parsed)) {
    if (type.length < 1 || type.length > 64) throw new ConfigError(name, `license type ${JSON.stringify(type.slice(0, 70))} must be 1-64 characters`);
    if (!licenseTypeValidator.Check(definition)) throw new ConfigError(name, `${JSON.stringify(type)}: ${describeLicenseTypeError(definition)}`);
    types.push([type, { limits: definition.limits ?? {}, features: definition.features ?? [], days: definition.days }]);
  }
  return Object.fromEntries(types); // defines "__proto__" as a plain key, never as the prototype
}

function describeLicenseTypeError(definition: unknown): string {
  const [error] = licenseTypeValidator.Errors(definition);
  if (error === undefined) return 'is invalid';
  const path = error.instancePath.split('/').slice(1);
  const at = (segments: string[]) => segments.reduce((field, part) => (/^\d+$/.test(part) ? `${field}[${part}]` : field ? `${field}.${part}` : part), '');
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required') return `${at([...path, String((params.requiredProperties as string[] | undefined)?.[0])])} is required`;
  if (error.keyword === 'boolean') {
    return path[0] === 'limits' && path.length === 2
      ? `${at(path)} is not a known limit (members, projects, childOrganizations)`
      : `${at(path)} is not allowed (a license type has limits, features and days)`;
  }
  return path.length === 0 ? `must be an object like {"limits": {…}, "features": […], "days": 365}` : `${at(path)} ${error.message}`;
}
