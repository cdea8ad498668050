import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig, MIN_ROOT_KEY_LENGTH } from '../src/config.js';

/** Key files for ORGBASE_LICENSE_SIGNING_KEY, in a directory removed after the tests. */
const keyDir = mkdtempSync(join(tmpdir(), 'orgbase-config-'));
after(() => rmSync(keyDir, { recursive: true, force: true }));

function writeKey(name: string, key: KeyObject | string): string {
  const path = join(keyDir, name);
  writeFileSync(path, typeof key === 'string' ? key : key.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return path;
}

const xOf = (key: KeyObject) => String(((key.type === 'private' ? createPublicKey(key) : key).export({ format: 'jwk' }) as { x: string }).x);
const signing = generateKeyPairSync('ed25519');
const signingFile = writeKey('ops-2.private.pem', signing.privateKey);

/** Asserts that loading `env` throws a ConfigError about `variable`, whose message names it too. */
function assertRejects(env: Record<string, string>, variable: string): void {
  assert.throws(
    () => loadConfig(env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
      assert.equal(error.variable, variable, error.message);
      assert.ok(error.message.includes(variable), `message does not name ${variable}: ${error.message}`);
      return true;
    },
    `${JSON.stringify(env)} was accepted`,
  );
}

describe('loadConfig', () => {
  it('has defaults for an empty environment', () => {
    assert.deepEqual(loadConfig({}), {
      host: '127.0.0.1',
      port: 8080,
      databaseUrl: undefined,
      dataDir: './data',
      rootKey: undefined,
      logLevel: 'info',
      trustProxy: false,
      privateEndpointServices: {},
      licensePublicKeys: {},
      licenseSigningKey: undefined,
      licenseTypes: {},
      maxOrganizationDepth: 10,
      usagePrices: {},
      usageLateDays: 35,
      meterApiCalls: true,
      flushIntervalMs: 2000,
    });
  });

  it('treats empty and blank values as unset', () => {
    const config = loadConfig({
      HOST: ' ',
      PORT: '',
      DATABASE_URL: '  ',
      DATA_DIR: ' ',
      ORGBASE_ROOT_KEY: '',
      LOG_LEVEL: '',
      TRUST_PROXY: '',
      ORGBASE_PRIVATE_ENDPOINT_SERVICES: '  ',
      ORGBASE_LICENSE_SIGNING_KEY: ' ',
      ORGBASE_LICENSE_SIGNING_KID: '',
      ORGBASE_LICENSE_TYPES: '  ',
      ORGBASE_USAGE_PRICES: ' ',
      ORGBASE_USAGE_LATE_DAYS: '',
      ORGBASE_METER_API_CALLS: '',
      ORGBASE_FLUSH_INTERVAL_MS: '',
    });
    assert.deepEqual(config, loadConfig({}));
  });

  it('reads every variable', () => {
    const rootKey = 'k'.repeat(MIN_ROOT_KEY_LENGTH);
    const config = loadConfig({
      HOST: '0.0.0.0',
      PORT: ' 9090 ',
      DATABASE_URL: 'postgresql://orgbase@db.internal:5432/orgbase',
      DATA_DIR: '/var/lib/orgbase',
      ORGBASE_ROOT_KEY: rootKey,
      LOG_LEVEL: 'warn',
      TRUST_PROXY: '10.0.0.0/8,127.0.0.1',
      ORGBASE_PRIVATE_ENDPOINT_SERVICES: JSON.stringify({ 'aws:us-east-1': 'com.amazonaws.vpce.us-east-1.vpce-svc-1', 'azure:eastus': 'pls-1' }),
      ORGBASE_LICENSE_PUBLIC_KEYS: JSON.stringify({ 'ops-1': 'A'.repeat(43) }),
      ORGBASE_LICENSE_SIGNING_KEY: ` ${signingFile} `,
      ORGBASE_LICENSE_SIGNING_KID: 'ops-2',
      ORGBASE_LICENSE_TYPES: JSON.stringify({
        team: { limits: { members: 25, projects: 10 }, features: ['sso'], days: 365 },
        trial: { days: 14 },
      }),
      ORGBASE_MAX_ORGANIZATION_DEPTH: '4',
      ORGBASE_USAGE_PRICES: JSON.stringify({ api_calls: 0.0001, storage_gb: { unitPrice: 0.02, category: 'storage' } }),
      ORGBASE_USAGE_LATE_DAYS: '7',
      ORGBASE_METER_API_CALLS: 'false',
      ORGBASE_FLUSH_INTERVAL_MS: '500',
    });
    // KeyObjects do not compare with deepEqual: the key is compared with equals() below.
    const privateKey = config.licenseSigningKey?.privateKey;
    assert.ok(privateKey?.equals(signing.privateKey), 'the signing key is the one in the file');
    assert.deepEqual(config, {
      host: '0.0.0.0',
      port: 9090,
      databaseUrl: 'postgresql://orgbase@db.internal:5432/orgbase',
      dataDir: '/var/lib/orgbase',
      rootKey,
      logLevel: 'warn',
      trustProxy: '10.0.0.0/8,127.0.0.1',
      privateEndpointServices: { 'aws:us-east-1': 'com.amazonaws.vpce.us-east-1.vpce-svc-1', 'azure:eastus': 'pls-1' },
      licensePublicKeys: { 'ops-1': 'A'.repeat(43), 'ops-2': xOf(signing.publicKey) },
      licenseSigningKey: { kid: 'ops-2', privateKey },
      licenseTypes: {
        team: { limits: { members: 25, projects: 10 }, features: ['sso'], days: 365 },
        trial: { limits: {}, features: [], days: 14 },
      },
      maxOrganizationDepth: 4,
      usagePrices: { api_calls: { unitPrice: 0.0001, category: 'compute' }, storage_gb: { unitPrice: 0.02, category: 'storage' } },
      usageLateDays: 7,
      meterApiCalls: false,
      flushIntervalMs: 500,
    });
  });

  it('accepts host names, IPv4 and IPv6 addresses for HOST', () => {
    for (const host of ['localhost', '::', '::1', '192.168.1.10', 'orgbase.internal', 'api-1']) {
      assert.equal(loadConfig({ HOST: host }).host, host);
    }
  });

  it('rejects a HOST that is neither an address nor a host name', () => {
    for (const host of ['not a host', 'http://example.com', 'host_name', 'a/b']) assertRejects({ HOST: host }, 'HOST');
  });

  it('accepts ports 0 to 65535', () => {
    assert.equal(loadConfig({ PORT: '0' }).port, 0);
    assert.equal(loadConfig({ PORT: '65535' }).port, 65535);
    assert.equal(loadConfig({ PORT: '443' }).port, 443);
  });

  it('rejects an invalid PORT', () => {
    for (const port of ['abc', '65536', '-1', '80.5', '1e3', '0x50', '8080a', '99999999999999999999']) {
      assertRejects({ PORT: port }, 'PORT');
    }
  });

  it('accepts every log level and rejects others', () => {
    for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) {
      assert.equal(loadConfig({ LOG_LEVEL: level }).logLevel, level);
    }
    for (const level of ['verbose', 'INFO', 'warning', '10']) assertRejects({ LOG_LEVEL: level }, 'LOG_LEVEL');
  });

  it('accepts postgres:// and postgresql:// DATABASE_URLs and rejects others', () => {
    assert.equal(loadConfig({ DATABASE_URL: 'postgres://u:p@h/db' }).databaseUrl, 'postgres://u:p@h/db');
    assert.equal(loadConfig({ DATABASE_URL: 'postgresql://h/db' }).databaseUrl, 'postgresql://h/db');
    for (const url of ['mysql://h/db', 'h:5432/db', 'file:./data', 'http://postgres://h']) {
      assertRejects({ DATABASE_URL: url }, 'DATABASE_URL');
    }
  });

  it(`requires ORGBASE_ROOT_KEY to have at least ${MIN_ROOT_KEY_LENGTH} characters`, () => {
    assert.equal(MIN_ROOT_KEY_LENGTH, 32);
    const exact = 'r'.repeat(MIN_ROOT_KEY_LENGTH);
    assert.equal(loadConfig({ ORGBASE_ROOT_KEY: exact }).rootKey, exact);
    for (const key of ['short', 'r'.repeat(MIN_ROOT_KEY_LENGTH - 1)]) assertRejects({ ORGBASE_ROOT_KEY: key }, 'ORGBASE_ROOT_KEY');
  });

  it('parses TRUST_PROXY as false, true, a hop count or addresses', () => {
    assert.equal(loadConfig({ TRUST_PROXY: 'false' }).trustProxy, false);
    assert.equal(loadConfig({ TRUST_PROXY: 'true' }).trustProxy, true);
    assert.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2);
    assert.equal(loadConfig({ TRUST_PROXY: '127.0.0.1' }).trustProxy, '127.0.0.1');
  });

  it('rejects an ORGBASE_PRIVATE_ENDPOINT_SERVICES that is not a JSON object of provider:region → id', () => {
    const invalid = [
      '{not json',
      '[]',
      '"aws:us-east-1"',
      'null',
      '42',
      JSON.stringify({ 'ibm:us-east-1': 'x' }),
      JSON.stringify({ 'aws:mars-1': 'x' }),
      JSON.stringify({ 'aws:us-east-1:extra': 'x' }),
      JSON.stringify({ aws: 'x' }),
      JSON.stringify({ 'aws:us-east-1': '' }),
      JSON.stringify({ 'aws:us-east-1': 42 }),
      JSON.stringify({ 'aws:us-east-1': { id: 'x' } }),
      JSON.stringify({ 'aws:us-east-1': 'ok', 'gcp:nowhere': 'x' }),
    ];
    for (const value of invalid) assertRejects({ ORGBASE_PRIVATE_ENDPOINT_SERVICES: value }, 'ORGBASE_PRIVATE_ENDPOINT_SERVICES');
  });

  it('ORGBASE_MAX_ORGANIZATION_DEPTH is a depth from 1 to 100 (default 10)', () => {
    assert.equal(loadConfig({}).maxOrganizationDepth, 10);
    assert.equal(loadConfig({ ORGBASE_MAX_ORGANIZATION_DEPTH: '1' }).maxOrganizationDepth, 1);
    assert.equal(loadConfig({ ORGBASE_MAX_ORGANIZATION_DEPTH: '100' }).maxOrganizationDepth, 100);
    for (const value of ['0', '101', '-3', '2.5', 'ten']) assertRejects({ ORGBASE_MAX_ORGANIZATION_DEPTH: value }, 'ORGBASE_MAX_ORGANIZATION_DEPTH');
  });

  it('ORGBASE_LICENSE_SIGNING_KEY reads an Ed25519 PKCS8 PEM file, whose public half the verifier then knows', () => {
    const config = loadConfig({ ORGBASE_LICENSE_SIGNING_KEY: signingFile, ORGBASE_LICENSE_SIGNING_KID: 'ops-2' });
    assert.equal(config.licenseSigningKey?.kid, 'ops-2');
    assert.deepEqual(config.licensePublicKeys, { 'ops-2': xOf(signing.publicKey) }, 'listed although ORGBASE_LICENSE_PUBLIC_KEYS is unset');
    const listed = loadConfig({
      ORGBASE_LICENSE_SIGNING_KEY: signingFile,
      ORGBASE_LICENSE_SIGNING_KID: 'ops-2',
      ORGBASE_LICENSE_PUBLIC_KEYS: JSON.stringify({ 'ops-2': xOf(signing.publicKey) }),
    });
    assert.deepEqual(listed.licensePublicKeys, { 'ops-2': xOf(signing.publicKey) }, 'listing it there too is fine');
  });

  it('rejects a missing, unreadable, non-PEM, public or non-Ed25519 ORGBASE_LICENSE_SIGNING_KEY', () => {
    const files = [
      join(keyDir, 'missing.pem'),
      keyDir, // a directory
      writeKey('empty.pem', ''),
      writeKey('garbage.pem', 'not a key'),
      writeKey('public.pem', signing.publicKey.export({ type: 'spki', format: 'pem' }) as string),
      writeKey('rsa.pem', generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey),
      writeKey('x25519.pem', generateKeyPairSync('x25519').privateKey),
      writeKey('ec.pem', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey),
    ];
    for (const file of files) assertRejects({ ORGBASE_LICENSE_SIGNING_KEY: file, ORGBASE_LICENSE_SIGNING_KID: 'ops-2' }, 'ORGBASE_LICENSE_SIGNING_KEY');
    assertRejects({ ORGBASE_LICENSE_SIGNING_KID: 'ops-2' }, 'ORGBASE_LICENSE_SIGNING_KEY');
  });

  it('requires a valid ORGBASE_LICENSE_SIGNING_KID with the key, not listed with another public key', () => {
    for (const kid of [undefined, '', '  ', 'has space', 'a/b', 'k'.repeat(65)]) {
      const env: Record<string, string> = { ORGBASE_LICENSE_SIGNING_KEY: signingFile };
      if (kid !== undefined) env.ORGBASE_LICENSE_SIGNING_KID = kid;
      assertRejects(env, 'ORGBASE_LICENSE_SIGNING_KID');
    }
    const other = xOf(generateKeyPairSync('ed25519').publicKey);
    assertRejects(
      { ORGBASE_LICENSE_SIGNING_KEY: signingFile, ORGBASE_LICENSE_SIGNING_KID: 'ops-2', ORGBASE_LICENSE_PUBLIC_KEYS: JSON.stringify({ 'ops-2': other }) },
      'ORGBASE_LICENSE_SIGNING_KID',
    );
  });

  it('ORGBASE_LICENSE_TYPES maps types to limits, features and days, filling in none and unlimited', () => {
    const long = 'x'.repeat(64);
    const value = `{"free": {"limits": {"members": 3}, "days": 36500}, "${long}": {"days": 1}, "__proto__": {"days": 2}}`;
    const types = loadConfig({ ORGBASE_LICENSE_TYPES: value }).licenseTypes;
    assert.deepEqual(Object.keys(types), ['free', long, '__proto__']);
    assert.deepEqual(types.free, { limits: { members: 3 }, features: [], days: 36500 });
    assert.equal(Object.getPrototypeOf(types), Object.prototype, '"__proto__" is a type name, not the prototype');
    assert.deepEqual(Object.getOwnPropertyDescriptor(types, '__proto__')?.value, { limits: {}, features: [], days: 2 });
  });

  it('rejects an ORGBASE_LICENSE_TYPES that is not a JSON object of type → {limits, features, days}, naming the type', () => {
    const invalid: [string, RegExp?][] = [
      ['{not json'],
      ['[]'],
      ['null'],
      ['"team"'],
      [JSON.stringify({ '': { days: 1 } })],
      [JSON.stringify({ ['t'.repeat(65)]: { days: 1 } })],
      [JSON.stringify({ team: 365 }), /"team"/],
      [JSON.stringify({ team: {} }), /"team": days is required/],
      [JSON.stringify({ team: { days: 0 } }), /days/],
      [JSON.stringify({ team: { days: 36501 } }), /days/],
      [JSON.stringify({ team: { days: 1.5 } }), /days/],
      [JSON.stringify({ team: { days: '30' } }), /days/],
      [JSON.stringify({ team: { days: 30, limits: { seats: 3 } } }), /"team": limits\.seats is not a known limit/],
      [JSON.stringify({ team: { days: 30, limits: { members: -1 } } }), /limits\.members/],
      [JSON.stringify({ team: { days: 30, limits: { members: 2.5 } } }), /limits\.members/],
      [JSON.stringify({ team: { days: 30, features: ['sso', 'sso'] } }), /features/],
      [JSON.stringify({ team: { days: 30, features: [''] } }), /features\[0\]/],
      [JSON.stringify({ team: { days: 30, features: 'sso' } }), /features/],
      [JSON.stringify({ team: { days: 30, seats: 3 } }), /seats is not allowed/],
      [JSON.stringify({ ok: { days: 1 }, bad: { days: -1 } }), /"bad"/],
    ];
    for (const [value, message] of invalid) {
      assertRejects({ ORGBASE_LICENSE_TYPES: value }, 'ORGBASE_LICENSE_TYPES');
      if (message) assert.throws(() => loadConfig({ ORGBASE_LICENSE_TYPES: value }), message);
    }
  });

  it('reads no variable it is not given: the environment passed in is the only input', () => {
    const saved = process.env.PORT;
    process.env.PORT = 'not-a-port';
    try {
      assert.equal(loadConfig({}).port, 8080);
    } finally {
      if (saved === undefined) delete process.env.PORT;
      else process.env.PORT = saved;
    }
  });

  it('reads the metering variables and rejects bad ones, naming them', () => {
    for (const value of ['[]', '{"API CALLS": 1}', '{"x": -1}', '{"x": "1"}', '{"x": {"unitPrice": 1, "category": "gpu"}}', '{"x": {"unitPrice": 1, "currency": "usd"}}']) {
      assertRejects({ ORGBASE_USAGE_PRICES: value }, 'ORGBASE_USAGE_PRICES');
    }
    for (const value of ['-1', '3651', 'week']) assertRejects({ ORGBASE_USAGE_LATE_DAYS: value }, 'ORGBASE_USAGE_LATE_DAYS');
    for (const value of ['yes', '0', 'TRUE']) assertRejects({ ORGBASE_METER_API_CALLS: value }, 'ORGBASE_METER_API_CALLS');
    for (const value of ['5', '60001', '1.5']) assertRejects({ ORGBASE_FLUSH_INTERVAL_MS: value }, 'ORGBASE_FLUSH_INTERVAL_MS');
    assert.equal(loadConfig({ ORGBASE_USAGE_LATE_DAYS: '0' }).usageLateDays, 0);
  });
});
