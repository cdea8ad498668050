import { Type, type Static } from 'typebox';
import { LicenseLimitsSchema } from './license.schemas.js';

const Count = Type.Integer({ minimum: 0 });

/** What Orgbase shows of an installed license: the verified claims and bookkeeping, never the token or its signature. */
export const LicenseViewSchema = Type.Object({
  organizationId: Type.String({ format: 'uuid' }),
  licenseId: Type.String({ format: 'uuid', description: 'The license\u2019s `jti`.' }),
  licenseType: Type.String(),
  limits: LicenseLimitsSchema,
  features: Type.Array(Type.String()),
  issuedAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
  expired: Type.Boolean({ description: 'Past its expiry. Its limits still apply until another license is installed.' }),
  boundTo: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], { description: 'The organization the license names, if any.' }),
  keyId: Type.String({ description: 'The `kid` of the key that signed it.' }),
  installedAt: Type.String({ format: 'date-time' }),
  usage: Type.Object({ members: Count, projects: Count, childOrganizations: Count }, { description: 'What the organization has now.' }),
});
export type LicenseView = Static<typeof LicenseViewSchema>;

/** Exactly one of the two fields (checked by the route, which names the field when both or neither are given). */
export const InstallLicenseBody = Type.Object(
  {
    licenseKey: Type.Optional(
      Type.String({ minLength: 1, maxLength: 8192, description: 'A license key (compact JWS) issued with `npm run orgbase -- license issue`. Exactly one of `licenseKey` and `licenseType`.' }),
    ),
    licenseType: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description:
          'Create a license of this type (one of the operator\u2019s ORGBASE_LICENSE_TYPES), bound to the organization and signed with ORGBASE_LICENSE_SIGNING_KEY, and install it. Exactly one of `licenseKey` and `licenseType`.',
      }),
    ),
  },
  { additionalProperties: false, description: 'Exactly one of `licenseKey` (install a key) and `licenseType` (create a license of a configured type).' },
);
export type InstallLicenseBody = Static<typeof InstallLicenseBody>;
