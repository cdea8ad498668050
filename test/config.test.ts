import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, MIN_ROOT_KEY_LENGTH } from '../src/config.js';

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
      maxOrganizationDepth: 10,
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
      ORGBASE_MAX_ORGANIZATION_DEPTH: '4',
    });
    assert.deepEqual(config, {
      host: '0.0.0.0',
      port: 9090,
      databaseUrl: 'postgresql://orgbase@db.internal:5432/orgbase',
      dataDir: '/var/lib/orgbase',
      rootKey,
      logLevel: 'warn',
      trustProxy: '10.0.0.0/8,127.0.0.1',
      privateEndpointServices: { 'aws:us-east-1': 'com.amazonaws.vpce.us-east-1.vpce-svc-1', 'azure:eastus': 'pls-1' },
      licensePublicKeys: { 'ops-1': 'A'.repeat(43) },
      maxOrganizationDepth: 4,
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
});
