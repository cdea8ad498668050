/**
 * Configuration, read once from the environment. Nothing else in Orgbase reads `process.env`:
 * everything below gets a `Config` passed in, so tests can build any configuration they need.
 */
import { isIP } from 'node:net';
import { CLOUD_PROVIDERS, REGION_PROVIDERS, REGIONS, type Region } from './domain/organizations/organizations.schemas.js';
import { isLicensePublicKey, LICENSE_KID_PATTERN } from './domain/licenses/license.schemas.js';

export interface Config {
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
  /** Public keys that verify license keys: kid → base64url raw Ed25519 key (an OKP JWK's `x`). Empty: no license verifies. */
  licensePublicKeys: Record<string, string>;
  /** How deep the organization tree may grow: a root-level organization is at depth 1. */
  maxOrganizationDepth: number;
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
  return {
    host,
    port,
    databaseUrl,
    dataDir: env.DATA_DIR?.trim() || './data',
    rootKey,
    logLevel,
    trustProxy: parseTrustProxy(env.TRUST_PROXY?.trim()),
    privateEndpointServices: parsePrivateEndpointServices(env.ORGBASE_PRIVATE_ENDPOINT_SERVICES),
    licensePublicKeys: parseLicensePublicKeys(env.ORGBASE_LICENSE_PUBLIC_KEYS),
    maxOrganizationDepth: parseDepth(env.ORGBASE_MAX_ORGANIZATION_DEPTH?.trim()),
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
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new ConfigError(name, 'must be a JSON object like {"aws:us-east-1": "<endpointServiceId>"}');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(name, 'must be a JSON object like {"aws:us-east-1": "<endpointServiceId>"}');
  }
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
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new ConfigError(name, shape);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(name, shape);
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
