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

export const InstallLicenseBody = Type.Object(
  { licenseKey: Type.String({ minLength: 1, maxLength: 8192, description: 'A license key (compact JWS) issued with `npm run orgbase -- license issue`.' }) },
  { additionalProperties: false },
);
