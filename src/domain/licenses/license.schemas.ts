/**
 * License keys: what a signed license says. The claims are defined once here; the token module
 * validates them with this schema both before signing and after verifying a signature.
 *
 * Unknown top-level claims (e.g. `aud`, or claims a later version adds) are ignored and dropped
 * from the verified result; the claims below are checked strictly, `limits` included (a
 * misspelled limit must not silently mean "unlimited").
 */
import { Type, type Static } from 'typebox';

/** The JWS algorithm of every license key (Ed25519). */
export const LICENSE_ALGORITHM = 'EdDSA';
/** The `iss` of every license key. */
export const LICENSE_ISSUER = 'orgbase';
/** A key id: the `kid` header of a license key and the key of `ORGBASE_LICENSE_PUBLIC_KEYS`. */
export const LICENSE_KID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
/** An Ed25519 public key as an OKP JWK's `x`: 32 bytes, base64url without padding (43 characters). */
export const LICENSE_PUBLIC_KEY_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** True for exactly 32 bytes in canonical unpadded base64url (re-encoding gives the same text). */
export const isLicensePublicKey = (x: unknown): x is string =>
  typeof x === 'string' && LICENSE_PUBLIC_KEY_PATTERN.test(x) && Buffer.from(x, 'base64url').toString('base64url') === x;
/** Past this length a string is not a license key (the largest valid one is about 5 KB). */
export const MAX_LICENSE_KEY_LENGTH = 8192;
/** How far in the future `iat`/`nbf` may be (clock skew between issuer and server), in seconds. */
export const LICENSE_CLOCK_SKEW_SECONDS = 60;

/** The `code` of the DomainError each kind of verification failure throws (field: `licenseKey`). */
export const LICENSE_ERROR_CODES = {
  malformed: 'license_malformed',
  unknownKey: 'license_unknown_key',
  signature: 'license_signature',
  expired: 'license_expired',
  notYetValid: 'license_not_yet_valid',
} as const;

const MAX_LIMIT = 2_147_483_647; // fits PostgreSQL's integer
const limit = (what: string) =>
  Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_LIMIT, description: `Most ${what} allowed; absent means unlimited.` }));
const numericDate = (description: string) => Type.Integer({ minimum: 0, maximum: 253402300799, description }); // ≤ 9999-12-31

export const LicenseLimitsSchema = Type.Object(
  {
    members: limit('members of the organization'),
    projects: limit('projects in the organization'),
    childOrganizations: limit('child organizations under the organization'),
  },
  { additionalProperties: false, description: 'Quantities the license allows.' },
);
export type LicenseLimits = Static<typeof LicenseLimitsSchema>;

export const LicenseClaimsSchema = Type.Object(
  {
    licenseType: Type.String({ minLength: 1, maxLength: 64, description: 'Kind of license, e.g. free, team, enterprise.' }),
    limits: LicenseLimitsSchema,
    features: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
      uniqueItems: true,
      maxItems: 50,
      description: 'Features the license turns on.',
    }),
    exp: numericDate('Expiry, seconds since the epoch: the license is invalid from this instant.'),
    iat: numericDate('When the license was issued, seconds since the epoch.'),
    nbf: Type.Optional(numericDate('Not valid before, seconds since the epoch.')),
    jti: Type.String({ format: 'uuid', description: 'Unique id of this license.' }),
    sub: Type.Optional(Type.String({ format: 'uuid', description: 'The organization the license is bound to; absent means any.' })),
    iss: Type.Literal(LICENSE_ISSUER),
  },
  { description: 'The claims of a license key.' },
);
export type LicenseClaims = Static<typeof LicenseClaimsSchema>;

/** The most days a license made from a type (ORGBASE_LICENSE_TYPES) may run: 100 years. */
export const MAX_LICENSE_DAYS = 36_500;

/**
 * One entry of ORGBASE_LICENSE_TYPES: what a license of that type grants when the server creates
 * it (`PUT …/license {"licenseType": "<type>"}`). Limits and features are checked as the claims are.
 */
export const LicenseTypeDefinitionSchema = Type.Object(
  {
    limits: Type.Optional(LicenseLimitsSchema),
    features: Type.Optional(LicenseClaimsSchema.properties.features),
    days: Type.Integer({ minimum: 1, maximum: MAX_LICENSE_DAYS, description: 'How long a license of this type runs, in days.' }),
  },
  { additionalProperties: false },
);
export type LicenseTypeDefinition = Static<typeof LicenseTypeDefinitionSchema>;

/** The claim names above, in the order a verified license lists them. */
export const LICENSE_CLAIM_NAMES = Object.keys(LicenseClaimsSchema.properties) as (keyof LicenseClaims)[];

/** What the issuer chooses; `iat`, `jti` and `iss` are filled in when signing. */
export interface LicenseGrant {
  licenseType: string;
  limits?: LicenseLimits;
  features?: string[];
  /** The expiry: a Date or seconds since the epoch. */
  exp: Date | number;
  nbf?: Date | number;
  /** Organization id to bind the license to. */
  sub?: string;
}
