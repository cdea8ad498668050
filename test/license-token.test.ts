import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Clock } from '../src/clock.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { DomainError } from '../src/domain/errors.js';
import {
  createLicenseVerifier,
  decodeLicenseClaims,
  issueLicense,
  licenseKeyId,
  licensePublicKeyX,
} from '../src/domain/licenses/license-token.js';
import type { LicenseGrant } from '../src/domain/licenses/license.schemas.js';
import { systemIds, type Ids } from '../src/ids.js';

const HOUR = 3_600_000;
const START = Date.UTC(2030, 0, 15, 12, 0, 0);
const ORGANIZATION_ID = '0190e3c4-1b2a-7c3d-8e4f-5a6b7c8d9e0f';
const LICENSE_ID = '0190e3c4-0000-7000-8000-00000000cafe';

/** A clock tests move by hand. */
class MovableClock implements Clock {
  constructor(private ms = START) {}
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

const fixedIds: Ids = { uuid: () => LICENSE_ID };

function keyPair(): { privateKey: KeyObject; x: string } {
  const { privateKey } = generateKeyPairSync('ed25519');
  return { privateKey, x: licensePublicKeyX(privateKey) };
}

const keyA = keyPair();
const keyB = keyPair();

const grant = (overrides: Partial<LicenseGrant> = {}): LicenseGrant => ({
  licenseType: 'team',
  limits: { members: 25, projects: 10 },
  features: ['sso', 'audit-log'],
  exp: new Date(START + 24 * HOUR),
  sub: ORGANIZATION_ID,
  ...overrides,
});

async function issue(options: { key?: KeyObject; kid?: string; claims?: Partial<LicenseGrant>; clock?: Clock } = {}): Promise<string> {
  return issueLicense({
    privateKey: options.key ?? keyA.privateKey,
    kid: options.kid ?? 'k1',
    claims: grant(options.claims),
    clock: options.clock ?? new MovableClock(),
    ids: fixedIds,
  });
}

/**
 * Signs any header and payload by hand (node:crypto, not jose): tokens the issuer would refuse to
 * make. An Ed25519 key signs with EdDSA; bytes are an HMAC-SHA256 secret.
 */
function signRaw(payload: unknown, header: Record<string, unknown> = { alg: 'EdDSA', kid: 'k1' }, key: KeyObject | Buffer = keyA.privateKey): string {
  const encode = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
  const input = `${encode(header)}.${encode(payload)}`;
  const signature = Buffer.isBuffer(key) ? createHmac('sha256', key).update(input).digest() : sign(null, Buffer.from(input), key);
  return `${input}.${signature.toString('base64url')}`;
}

/** A valid payload, as the issuer makes it, for raw tokens to vary. */
const validPayload = (): Record<string, unknown> => ({
  iss: 'orgbase',
  jti: LICENSE_ID,
  iat: START / 1000,
  licenseType: 'team',
  limits: { members: 25 },
  features: ['sso'],
  exp: START / 1000 + 3600,
});

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function assertLicenseError(promise: Promise<unknown> | (() => unknown), code: string, message?: RegExp): Promise<void> {
  const check = (error: unknown) => {
    assert.ok(error instanceof DomainError, `expected a DomainError, got ${String(error)}`);
    assert.equal(error.kind, 'invalid');
    assert.equal(error.field, 'licenseKey');
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  };
  if (typeof promise === 'function') assert.throws(promise, check);
  else await assert.rejects(promise, check);
}

describe('license keys', () => {
  const clock = new MovableClock();
  const verifier = createLicenseVerifier({ publicKeys: { k1: keyA.x }, clock });

  it('round-trips: an issued key verifies to exactly its claims', async () => {
    const token = await issue();
    assert.equal(token.split('.').length, 3);
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString());
    assert.deepEqual(header, { alg: 'EdDSA', kid: 'k1', typ: 'JWT' });
    assert.deepEqual(await verifier.verify(token), {
      licenseType: 'team',
      limits: { members: 25, projects: 10 },
      features: ['sso', 'audit-log'],
      exp: START / 1000 + 24 * 3600,
      iat: START / 1000,
      jti: LICENSE_ID,
      sub: ORGANIZATION_ID,
      iss: 'orgbase',
    });
    assert.equal(licenseKeyId(token), 'k1');
  });

  it('treats absent limits, features and organization as unlimited, none and any', async () => {
    const token = await issueLicense({
      privateKey: keyA.privateKey,
      kid: 'k1',
      claims: { licenseType: 'free', exp: START / 1000 + 60 },
      clock,
      ids: systemIds,
    });
    const claims = await verifier.verify(token);
    assert.deepEqual(claims.limits, {});
    assert.deepEqual(claims.features, []);
    assert.equal(claims.sub, undefined);
    assert.ok(!('sub' in claims));
    assert.match(claims.jti, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('verifies keys signed by any configured key (rotation)', async () => {
    const both = createLicenseVerifier({ publicKeys: { k1: keyA.x, k2: keyB.x }, clock });
    assert.deepEqual(both.kids, ['k1', 'k2']);
    assert.equal((await both.verify(await issue({ kid: 'k1' }))).licenseType, 'team');
    assert.equal((await both.verify(await issue({ key: keyB.privateKey, kid: 'k2' }))).licenseType, 'team');
  });

  it('rejects a tampered payload', async () => {
    const [header, payload, signature] = (await issue()).split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    claims.limits.members = 100_000;
    await assertLicenseError(verifier.verify(`${header}.${b64(claims)}.${signature}`), 'license_signature', /signature/);
    // Dropping the organization binding is tampering too.
    delete claims.sub;
    claims.limits.members = 25;
    await assertLicenseError(verifier.verify(`${header}.${b64(claims)}.${signature}`), 'license_signature');
  });

  it('rejects a tampered header', async () => {
    const [, payload, signature] = (await issue()).split('.');
    await assertLicenseError(verifier.verify(`${b64({ kid: 'k1', alg: 'EdDSA' })}.${payload}.${signature}`), 'license_signature');
  });

  it('rejects a tampered signature', async () => {
    const [header, payload, signature] = (await issue()).split('.');
    for (const index of [0, 31, 63]) {
      const bytes = Buffer.from(signature!, 'base64url');
      bytes[index]! ^= 0x01;
      await assertLicenseError(verifier.verify(`${header}.${payload}.${bytes.toString('base64url')}`), 'license_signature');
    }
    await assertLicenseError(verifier.verify(`${header}.${payload}.${signature!.slice(0, -4)}`), 'license_signature');
    await assertLicenseError(verifier.verify(`${header}.${payload}.${randomBytes(64).toString('base64url')}`), 'license_signature');
  });

  it('rejects a key signed by another key under a configured kid', async () => {
    const forged = await issue({ key: keyB.privateKey, kid: 'k1' });
    await assertLicenseError(verifier.verify(forged), 'license_signature', /"k1"/);
  });

  it('rejects a kid that is not configured, naming it', async () => {
    const token = await issue({ key: keyB.privateKey, kid: 'k2' });
    await assertLicenseError(verifier.verify(token), 'license_unknown_key', /"k2".*ORGBASE_LICENSE_PUBLIC_KEYS.*k1/);
  });

  it('refuses every key when no public key is configured, telling the operator what to set', async () => {
    const none = createLicenseVerifier({ publicKeys: {}, clock });
    assert.deepEqual(none.kids, []);
    for (const token of [await issue(), '', 'garbage']) {
      await assertLicenseError(none.verify(token), 'license_unknown_key', /ORGBASE_LICENSE_PUBLIC_KEYS/);
    }
  });

  it('expires at exp: valid a second before, expired from then on, the date in the message', async () => {
    const moving = new MovableClock();
    const local = createLicenseVerifier({ publicKeys: { k1: keyA.x }, clock: moving });
    const token = await issue({ claims: { exp: new Date(START + HOUR) } });
    moving.advance(HOUR - 1000);
    assert.equal((await local.verify(token)).licenseType, 'team');
    moving.advance(1000);
    await assertLicenseError(local.verify(token), 'license_expired', /2030-01-15T13:00:00\.000Z/);
    moving.advance(365 * 24 * HOUR);
    await assertLicenseError(local.verify(token), 'license_expired');
  });

  it('is not valid before nbf, with 60 seconds of clock skew', async () => {
    const moving = new MovableClock();
    const local = createLicenseVerifier({ publicKeys: { k1: keyA.x }, clock: moving });
    const token = await issue({ claims: { nbf: new Date(START + HOUR) } });
    await assertLicenseError(local.verify(token), 'license_not_yet_valid', /2030-01-15T13:00:00\.000Z/);
    moving.advance(HOUR - 61_000);
    await assertLicenseError(local.verify(token), 'license_not_yet_valid');
    moving.advance(2000); // 59 s before nbf: within the skew
    assert.equal((await local.verify(token)).nbf, (START + HOUR) / 1000);
  });

  it('is not valid when issued in the future beyond the skew', async () => {
    const issuerAhead = new MovableClock(START + 5 * 60_000);
    await assertLicenseError(verifier.verify(await issue({ clock: issuerAhead })), 'license_not_yet_valid', /clock/);
    const slightlyAhead = new MovableClock(START + 30_000);
    assert.equal((await verifier.verify(await issue({ clock: slightlyAhead }))).iat, START / 1000 + 30);
  });

  it('rejects strings that are not an EdDSA compact JWS with a kid as malformed', async () => {
    const valid = await issue();
    const [header, payload, signature] = valid.split('.');
    const malformed: [string, RegExp?][] = [
      ['', /empty/],
      ['a.b', /compact JWS/],
      ['a.b.c.d', /compact JWS/],
      [randomBytes(96).toString('base64url'), /compact JWS/],
      [randomBytes(96).toString('base64'), /compact JWS/],
      [`${header}.${payload}.`, /compact JWS/],
      [`${header}..${signature}`, /compact JWS/],
      [` ${valid}`, /compact JWS/],
      [`${valid}\n`, /compact JWS/],
      [`${header}.${payload}.${signature}+`, /compact JWS/],
      ['x'.repeat(9000), /longer than/],
      [`${Buffer.from('not json').toString('base64url')}.${payload}.${signature}`, /header/],
      [`${b64(['EdDSA'])}.${payload}.${signature}`, /header/],
      [signRaw(validPayload(), { alg: 'HS256', kid: 'k1' }, randomBytes(32)), /"HS256".*EdDSA/],
      [`${b64({ alg: 'none', kid: 'k1' })}.${payload}.`, /compact JWS/],
      [`${b64({ alg: 'none', kid: 'k1' })}.${payload}.${signature}`, /"none"/],
      [`${b64({ kid: 'k1' })}.${payload}.${signature}`, /algorithm/],
      [signRaw(validPayload(), { alg: 'EdDSA' }), /no "kid"/],
      [signRaw(validPayload(), { alg: 'EdDSA', kid: 42 }), /kid/],
      [signRaw(validPayload(), { alg: 'EdDSA', kid: '../k1' }), /kid/],
      [signRaw(validPayload(), { alg: 'EdDSA', kid: 'k1', crit: ['exp'], exp: 1 }), /extensions/],
      [signRaw('not json'), /not JSON/],
      [signRaw([validPayload()]), /not a JSON object/],
      [signRaw(null), /not a JSON object/],
    ];
    for (const [token, message] of malformed) {
      await assertLicenseError(verifier.verify(token), 'license_malformed', message);
    }
  });

  it('rejects signed claims that fail the schema, naming the claim', async () => {
    const cases: [Record<string, unknown>, string, RegExp?][] = [
      [{ limits: { members: -1 } }, 'limits.members', />= 0/],
      [{ limits: { projects: 1.5 } }, 'limits.projects'],
      [{ limits: { childOrganizations: '3' } }, 'limits.childOrganizations'],
      [{ limits: { seats: 3 } }, 'limits.seats', /not a known limit/],
      [{ limits: null }, 'limits'],
      [{ licenseType: 42 }, 'licenseType'],
      [{ licenseType: '' }, 'licenseType'],
      [{ licenseType: 'x'.repeat(65) }, 'licenseType'],
      [{ features: ['sso', 'sso'] }, 'features', /duplicate/],
      [{ features: ['x'.repeat(65)] }, 'features[0]'],
      [{ features: Array.from({ length: 51 }, (_, i) => `f${i}`) }, 'features'],
      [{ features: 'sso' }, 'features'],
      [{ sub: 'not-a-uuid' }, 'sub', /uuid/],
      [{ sub: `urn:uuid:${ORGANIZATION_ID}` }, 'sub'],
      [{ jti: 'license-1' }, 'jti'],
      [{ iss: 'someone-else' }, 'iss', /"orgbase"/],
      [{ exp: '2031-01-01' }, 'exp'],
      [{ exp: START / 1000 + 0.5 }, 'exp'],
      [{ iat: undefined }, 'iat', /missing/],
      [{ exp: undefined }, 'exp', /missing/],
      [{ licenseType: undefined }, 'licenseType', /missing/],
      [{ nbf: 'soon' }, 'nbf'],
    ];
    for (const [change, claim, message] of cases) {
      const token = signRaw({ ...validPayload(), ...change });
      await assertLicenseError(verifier.verify(token), 'license_malformed', new RegExp(`claim "${claim.replace(/[[\].]/g, '\\$&')}"`));
      if (message) await assertLicenseError(verifier.verify(token), 'license_malformed', message);
    }
  });

  it('ignores unknown claims and leaves them out of the result', async () => {
    const token = signRaw({ ...validPayload(), aud: 'anyone', seats: 1000, limits: { members: 3 } });
    const claims = await verifier.verify(token);
    assert.deepEqual(claims.limits, { members: 3 });
    assert.ok(!('aud' in claims) && !('seats' in claims));
  });

  it('decodeLicenseClaims returns the claims only, without checking signature or time', async () => {
    const token = await issue({ claims: { exp: new Date(START + HOUR) } });
    const signature = token.split('.')[2]!;
    const decoded = decodeLicenseClaims(token);
    assert.deepEqual(decoded, await verifier.verify(token));
    const text = JSON.stringify(decoded);
    assert.ok(!text.includes(signature) && !text.includes(signature.slice(0, 16)), 'signature material in the decoded claims');
    assert.ok(!text.includes('EdDSA') && !('kid' in decoded) && !('alg' in decoded));
    assert.deepEqual(Object.keys(decoded).sort(), ['exp', 'features', 'iat', 'iss', 'jti', 'licenseType', 'limits', 'sub']);
    // Not a verification: a forged or expired key still decodes (for display only).
    assert.equal(decodeLicenseClaims(await issue({ key: keyB.privateKey })).licenseType, 'team');
    await assertLicenseError(() => decodeLicenseClaims('a.b'), 'license_malformed');
    await assertLicenseError(() => decodeLicenseClaims(`${token.split('.')[0]}.${b64({ licenseType: 1 })}.${signature}`), 'license_malformed', /claim/);
  });
});

describe('issueLicense', () => {
  const clock = new MovableClock();
  const issueWith = (claims: Partial<LicenseGrant>, kid = 'k1', privateKey = keyA.privateKey) =>
    issueLicense({ privateKey, kid, claims: grant(claims), clock, ids: fixedIds });

  async function assertRefused(promise: Promise<unknown>, field: string, message?: RegExp): Promise<void> {
    await assert.rejects(promise, (error: unknown) => {
      assert.ok(error instanceof DomainError, String(error));
      assert.equal(error.code, 'license_claims_invalid', error.message);
      assert.equal(error.field, field, error.message);
      if (message) assert.match(error.message, message);
      return true;
    });
  }

  it('validates the claims with the schema before signing', async () => {
    await assertRefused(issueWith({ limits: { members: -1 } }), 'limits.members', /limits\.members/);
    await assertRefused(issueWith({ licenseType: '' }), 'licenseType');
    await assertRefused(issueWith({ features: ['a', 'a'] }), 'features');
    await assertRefused(issueWith({ sub: 'acme' }), 'sub', /uuid/);
    await assertRefused(issueWith({ limits: { seats: 1 } as never }), 'limits.seats');
  });

  it('refuses an expiry that is not in the future, and nbf at or after it', async () => {
    await assertRefused(issueWith({ exp: new Date(START) }), 'exp', /2030-01-15T12:00:00\.000Z/);
    await assertRefused(issueWith({ exp: new Date(START - HOUR) }), 'exp');
    await assertRefused(issueWith({ nbf: new Date(START + 24 * HOUR) }), 'nbf');
  });

  it('refuses a bad kid and a key that is not an Ed25519 private key', async () => {
    await assertRefused(issueWith({}, 'has space'), 'kid');
    await assertRefused(issueWith({}, ''), 'kid');
    await assertRefused(issueWith({}, 'k'.repeat(65)), 'kid');
    await assertRefused(issueWith({}, 'k1', generateKeyPairSync('x25519').privateKey), 'privateKey');
    await assertRefused(issueWith({}, 'k1', generateKeyPairSync('ed25519').publicKey), 'privateKey');
  });
});

describe('ORGBASE_LICENSE_PUBLIC_KEYS', () => {
  const variable = 'ORGBASE_LICENSE_PUBLIC_KEYS';
  const assertRejects = (value: string) =>
    assert.throws(
      () => loadConfig({ [variable]: value }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
        assert.equal(error.variable, variable);
        assert.ok(error.message.includes(variable), error.message);
        return true;
      },
      `${value} was accepted`,
    );

  it('defaults to no keys, also when blank', () => {
    assert.deepEqual(loadConfig({}).licensePublicKeys, {});
    assert.deepEqual(loadConfig({ [variable]: '  ' }).licensePublicKeys, {});
  });

  it('reads kid → x pairs that the verifier accepts', async () => {
    const value = JSON.stringify({ k1: keyA.x, 'license-2030.01_b': keyB.x });
    const { licensePublicKeys } = loadConfig({ [variable]: value });
    assert.deepEqual(licensePublicKeys, { k1: keyA.x, 'license-2030.01_b': keyB.x });
    const verifier = createLicenseVerifier({ publicKeys: licensePublicKeys, clock: new MovableClock() });
    assert.equal((await verifier.verify(await issue({ key: keyB.privateKey, kid: 'license-2030.01_b' }))).licenseType, 'team');
  });

  it('rejects values that are not a JSON object of kid → 32-byte base64url key', () => {
    const lastIndex = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(keyA.x.at(-1)!);
    const nonCanonical = keyA.x.slice(0, -1) + 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[lastIndex | 1];
    const invalid = [
      '{not json',
      '[]',
      'null',
      '"k1"',
      '42',
      JSON.stringify({ k1: 42 }),
      JSON.stringify({ k1: null }),
      JSON.stringify({ k1: '' }),
      JSON.stringify({ k1: keyA.x.slice(0, -1) }), // 31 bytes and a bit
      JSON.stringify({ k1: randomBytes(31).toString('base64url') }),
      JSON.stringify({ k1: randomBytes(33).toString('base64url') }),
      JSON.stringify({ k1: `${keyA.x}=` }),
      JSON.stringify({ k1: Buffer.from(keyA.x, 'base64url').toString('hex') }),
      JSON.stringify({ k1: nonCanonical }),
      JSON.stringify({ k1: `${keyA.x.slice(0, 20)}+${keyA.x.slice(21)}` }),
      JSON.stringify({ '': keyA.x }),
      JSON.stringify({ 'has space': keyA.x }),
      JSON.stringify({ 'a/b': keyA.x }),
      JSON.stringify({ ['k'.repeat(65)]: keyA.x }),
      JSON.stringify({ k1: keyA.x, 'bad kid': keyB.x }),
    ];
    for (const value of invalid) assertRejects(value);
  });

  it('the verifier refuses a public key that is not 32 bytes of base64url, naming the kid', () => {
    assert.throws(() => createLicenseVerifier({ publicKeys: { k9: 'short' }, clock: new MovableClock() }), /k9/);
  });
});
