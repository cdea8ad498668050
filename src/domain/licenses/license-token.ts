/**
 * License keys: compact JWS, EdDSA (Ed25519), signed with `jose`, verified offline
 * against the public keys the operator configured (`ORGBASE_LICENSE_PUBLIC_KEYS`: kid → `x`).
 *
 * Verification order: the shape of the token and its header (malformed), the key its `kid`
 * names (unknown key), the signature, then the claims against the schema (malformed, naming the
 * claim), then time: `exp` ≤ now is expired; `nbf`/`iat` more than 60 s ahead is not yet valid.
 * Nothing in the payload is looked at before the signature holds. Every failure is a
 * `DomainError` of kind `invalid` on the field `licenseKey`, with one of LICENSE_ERROR_CODES.
 */
import { createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import { CompactSign } from 'jose';
import { Compile } from 'typebox/compile';
import type { Clock } from '../../clock.js';
import { invalid, type DomainError } from '../errors.js';
import type { Ids } from '../../ids.js';
import {
  LICENSE_ALGORITHM,
  LICENSE_CLAIM_NAMES,
  LICENSE_CLOCK_SKEW_SECONDS,
  LICENSE_ERROR_CODES as CODES,
  LICENSE_ISSUER,
  LICENSE_KID_PATTERN,
  isLicensePublicKey,
  LicenseClaimsSchema,
  MAX_LICENSE_KEY_LENGTH,
  type LicenseClaims,
  type LicenseGrant,
} from './license.schemas.js';

const FIELD = 'licenseKey';
const claimsValidator = Compile(LicenseClaimsSchema);
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

const failure = (code: string, message: string): DomainError => invalid(FIELD, message, code);
const malformed = (message: string) => failure(CODES.malformed, message);

export interface LicenseVerifier {
  /** The key ids this verifier knows. */
  readonly kids: readonly string[];
  /** The verified claims (known claims only), or a DomainError with one of LICENSE_ERROR_CODES. */
  verify(token: string): Promise<LicenseClaims>;
}

export interface LicenseVerifierOptions {
  /** kid → base64url raw Ed25519 public key (an OKP JWK's `x`), as `Config.licensePublicKeys`. */
  publicKeys: Readonly<Record<string, string>>;
  clock: Clock;
}

/** Imports the public keys once; throws (a plain Error, naming the kid) on a key that is not Ed25519. */
export function createLicenseVerifier({ publicKeys, clock }: LicenseVerifierOptions): LicenseVerifier {
  const keys = new Map<string, KeyObject>();
  for (const [kid, x] of Object.entries(publicKeys)) keys.set(kid, importLicensePublicKey(kid, x));
  const kids = Object.freeze([...keys.keys()]);

  return {
    kids,
    async verify(token: string): Promise<LicenseClaims> {
      if (keys.size === 0) {
        throw failure(
          CODES.unknownKey,
          'License keys cannot be verified: no license public key is configured. Set ORGBASE_LICENSE_PUBLIC_KEYS ' +
            `to {"<kid>": "<public key>"}, as printed by "npm run orgbase -- license keygen".`,
        );
      }
      const { kid } = readHeader(token);
      const key = keys.get(kid);
      if (key === undefined) {
        throw failure(
          CODES.unknownKey,
          `License key was signed with key "${kid}", which is not configured in ORGBASE_LICENSE_PUBLIC_KEYS (known: ${kids.join(', ')}).`,
        );
      }
      // The signature is checked with node:crypto's synchronous Ed25519 verify rather than jose's
      // compactVerify, which goes through async WebCrypto on Node 20: measured (bench/licenses.ts),
      // this is what carries verification past 5,000/s. The JWS signing input is the first two
      // parts as sent (RFC 7515 §5.2); readHeader has already checked the header and the shape.
      const [protectedHeader, encodedPayload, encodedSignature] = token.split('.') as [string, string, string];
      const signature = Buffer.from(encodedSignature, 'base64url');
      const signed = signature.length === 64 && verifySignature(null, Buffer.from(`${protectedHeader}.${encodedPayload}`), key, signature);
      if (!signed) throw failure(CODES.signature, `License key signature is invalid: the key was altered or not signed with key "${kid}".`);
      const claims = parseClaims(Buffer.from(encodedPayload, 'base64url'));
      checkTime(claims, clock.now());
      return claims;
    },
  };
}

/**
 * The claims of a license key for display, checked against the schema but NOT verified: no
 * signature or time check. Returns the claims only, never the header or signature.
 */
export function decodeLicenseClaims(token: string): LicenseClaims {
  readHeader(token);
  return parseClaims(Buffer.from(token.split('.')[1]!, 'base64url'));
}

/** The key id a license key names in its header (after checking the token's shape). */
export function licenseKeyId(token: string): string {
  return readHeader(token).kid;
}

export interface IssueLicenseOptions {
  /** An Ed25519 private key, e.g. `createPrivateKey(pem)` of the file `license keygen` wrote. */
  privateKey: KeyObject;
  kid: string;
  claims: LicenseGrant;
  clock: Clock;
  ids: Ids;
}

/**
 * Signs a license key. The claims are validated with the same schema the verifier uses; a claim
 * that fails it, or an expiry not in the future, is a DomainError (`license_claims_invalid`,
 * field = the claim).
 */
export async function issueLicense({ privateKey, kid, claims, clock, ids }: IssueLicenseOptions): Promise<string> {
  if (!LICENSE_KID_PATTERN.test(kid)) {
    throw invalid('kid', `Key id "${kid}" must be 1-64 letters, digits, ".", "_" or "-".`, 'license_claims_invalid');
  }
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') throw invalid('privateKey', 'The signing key must be an Ed25519 private key.', 'license_claims_invalid');
  const now = clock.now();
  const limits = Object.fromEntries(Object.entries(claims.limits ?? {}).filter(([, value]) => value !== undefined));
  const payload: Record<string, unknown> = {
    iss: LICENSE_ISSUER,
    jti: ids.uuid(),
    iat: Math.floor(now.getTime() / 1000),
    licenseType: claims.licenseType,
    limits,
    features: claims.features ?? [],
    exp: toNumericDate(claims.exp),
  };
  if (claims.nbf !== undefined) payload.nbf = toNumericDate(claims.nbf);
  if (claims.sub !== undefined) payload.sub = claims.sub;
  if (!claimsValidator.Check(payload)) {
    const { claim, problem } = describeClaimsError(payload);
    throw invalid(claim, `License claim "${claim}" ${problem}.`, 'license_claims_invalid');
  }
  const valid = payload as LicenseClaims;
  if (valid.exp * 1000 <= now.getTime()) {
    throw invalid('exp', `License expiry ${isoDate(valid.exp)} is not in the future.`, 'license_claims_invalid');
  }
  if (valid.nbf !== undefined && valid.nbf >= valid.exp) {
    throw invalid('nbf', `License start ${isoDate(valid.nbf)} is not before its expiry ${isoDate(valid.exp)}.`, 'license_claims_invalid');
  }
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: LICENSE_ALGORITHM, kid, typ: 'JWT' })
    .sign(privateKey);
}

/** A base64url raw Ed25519 public key (OKP `x`) as a KeyObject; throws naming the kid if it is not one. */
export function importLicensePublicKey(kid: string, x: string): KeyObject {
  if (!LICENSE_KID_PATTERN.test(kid)) throw new Error(`License key id "${kid}" must be 1-64 letters, digits, ".", "_" or "-"`);
  if (!isLicensePublicKey(x)) throw new Error(`License public key "${kid}" is not 32 bytes of base64url (an Ed25519 "x")`);
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
}

/** The `x` of an Ed25519 public (or private) KeyObject: what goes into ORGBASE_LICENSE_PUBLIC_KEYS. */
export function licensePublicKeyX(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 key');
  return String((publicKey.export({ format: 'jwk' }) as { x: string }).x);
}

/** Checks the compact form and the protected header; nothing here is trusted beyond its shape. */
function readHeader(token: unknown): { kid: string } {
  if (typeof token !== 'string' || token === '') throw malformed('License key is empty.');
  if (token.length > MAX_LICENSE_KEY_LENGTH) throw malformed(`License key is longer than ${MAX_LICENSE_KEY_LENGTH} characters.`);
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part))) {
    throw malformed('License key is not a compact JWS (three base64url parts separated by dots).');
  }
  let header: unknown;
  try {
    header = JSON.parse(utf8.decode(Buffer.from(parts[0]!, 'base64url')));
  } catch {
    throw malformed('License key header is not base64url-encoded JSON.');
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw malformed('License key header is not a JSON object.');
  const { alg, kid, crit, b64 } = header as Record<string, unknown>;
  // RFC 7515 §4.1.11: a "crit" extension this verifier does not understand makes the JWS invalid;
  // RFC 7797 "b64" would change what was signed. License keys use neither.
  if (crit !== undefined || b64 !== undefined) throw malformed('License key header uses JWS extensions ("crit"/"b64") that license keys do not use.');
  if (alg !== LICENSE_ALGORITHM) {
    throw malformed(`License key algorithm ${quote(alg)} is not accepted: license keys are signed with ${LICENSE_ALGORITHM} (Ed25519).`);
  }
  if (kid === undefined) throw malformed('License key header has no "kid": the signing key cannot be identified.');
  if (typeof kid !== 'string' || !LICENSE_KID_PATTERN.test(kid)) throw malformed('License key header "kid" is not a valid key id.');
  return { kid };
}

function parseClaims(payload: Uint8Array): LicenseClaims {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(payload));
  } catch {
    throw malformed('License key payload is not JSON.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw malformed('License key payload is not a JSON object.');
  if (!claimsValidator.Check(parsed)) {
    const { claim, problem } = describeClaimsError(parsed);
    throw malformed(`License key claim "${claim}" ${problem}.`);
  }
  // Known claims only: unknown ones are ignored, and nothing else of the token comes along.
  const source = parsed as Record<string, unknown>;
  const claims: Record<string, unknown> = {};
  for (const name of LICENSE_CLAIM_NAMES) if (source[name] !== undefined) claims[name] = source[name];
  return claims as LicenseClaims;
}

function checkTime(claims: LicenseClaims, now: Date): void {
  const nowMs = now.getTime();
  if (claims.exp * 1000 <= nowMs) throw failure(CODES.expired, `License key expired at ${isoDate(claims.exp)}.`);
  const latestStart = nowMs + LICENSE_CLOCK_SKEW_SECONDS * 1000;
  if (claims.nbf !== undefined && claims.nbf * 1000 > latestStart) {
    throw failure(CODES.notYetValid, `License key is not valid before ${isoDate(claims.nbf)}.`);
  }
  if (claims.iat * 1000 > latestStart) {
    throw failure(CODES.notYetValid, `License key was issued in the future (${isoDate(claims.iat)}): check the clocks of this server and the issuer.`);
  }
}

/** The first schema failure as the claim it concerns ("limits.members") and what is wrong with it. */
function describeClaimsError(value: unknown): { claim: string; problem: string } {
  const [error] = claimsValidator.Errors(value);
  if (error === undefined) return { claim: 'claims', problem: 'are invalid' };
  const path = error.instancePath.split('/').slice(1).map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  const params = error.params as Record<string, unknown>;
  const claimOf = (segments: string[]) =>
    segments.reduce((claim, part) => (/^\d+$/.test(part) ? `${claim}[${part}]` : claim ? `${claim}.${part}` : part), '') || 'claims';
  switch (error.keyword) {
    case 'required': {
      const missing = (params.requiredProperties as string[] | undefined)?.[0] ?? '?';
      return { claim: claimOf([...path, missing]), problem: 'is missing' };
    }
    case 'boolean':
    case 'additionalProperties': {
      const extra = error.keyword === 'boolean' ? path : [...path, String((params.additionalProperties as string[] | undefined)?.[0])];
      return { claim: claimOf(extra), problem: extra[0] === 'limits' ? 'is not a known limit (members, projects, childOrganizations)' : 'is not allowed' };
    }
    case 'const':
      return { claim: claimOf(path), problem: `must be ${JSON.stringify(params.allowedValue)}` };
    default:
      return { claim: claimOf(path), problem: error.message ?? 'is invalid' };
  }
}

function toNumericDate(value: Date | number): number {
  return value instanceof Date ? Math.floor(value.getTime() / 1000) : value;
}

function isoDate(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

function quote(value: unknown): string {
  const text = typeof value === 'string' ? value.slice(0, 32) : String(value).slice(0, 32);
  return JSON.stringify(text);
}
