/**
 * Creating a license by type: the server signs, for one organization, a license of a type the
 * operator configured (ORGBASE_LICENSE_TYPES), with its own signing key
 * (ORGBASE_LICENSE_SIGNING_KEY and ORGBASE_LICENSE_SIGNING_KID). The license is bound to the
 * organization (`sub`) and runs for the type's `days` from now.
 */
import type { Clock } from '../../clock.js';
import type { Config } from '../../config.js';
import type { Ids } from '../../ids.js';
import { invalid } from '../errors.js';
import { issueLicense } from './license-token.js';

const DAY_MS = 86_400_000;

export interface LicenseIssuerOptions {
  signingKey: Config['licenseSigningKey'];
  types: Config['licenseTypes'];
  clock: Clock;
  ids: Ids;
}

export function createLicenseIssuer({ signingKey, types, clock, ids }: LicenseIssuerOptions) {
  const known = Object.keys(types);
  return {
    /** The configured types, in configuration order. */
    types: Object.freeze(known),

    /**
     * A signed license key of `licenseType` for the organization. Errors are 400s on `field` (the
     * request field that named the type): `license_issuing_disabled` when no signing key is
     * configured, `unknown_license_type` for a type that is not configured.
     */
    async issue(organizationId: string, licenseType: string, field: string): Promise<string> {
      if (signingKey === undefined) {
        throw invalid(
          field,
          'This server cannot create licenses: no signing key is configured. The operator sets ORGBASE_LICENSE_SIGNING_KEY ' +
            '(the <kid>.private.pem file "npm run orgbase -- license keygen" writes), ORGBASE_LICENSE_SIGNING_KID (its kid) ' +
            'and ORGBASE_LICENSE_TYPES (the types it may create). Install a license key instead.',
          'license_issuing_disabled',
        );
      }
      if (!Object.hasOwn(types, licenseType)) {
        const shown = JSON.stringify(licenseType.slice(0, 64));
        throw invalid(
          field,
          known.length === 0
            ? `License type ${shown} is not configured: this server has no license types (ORGBASE_LICENSE_TYPES is empty).`
            : `License type ${shown} is not configured; the types are: ${known.join(', ')}.`,
          'unknown_license_type',
        );
      }
      const type = types[licenseType]!;
      return issueLicense({
        privateKey: signingKey.privateKey,
        kid: signingKey.kid,
        claims: {
          licenseType,
          limits: type.limits,
          features: type.features,
          exp: new Date(clock.now().getTime() + type.days * DAY_MS),
          sub: organizationId,
        },
        clock,
        ids,
      });
    },
  };
}

export type LicenseIssuer = ReturnType<typeof createLicenseIssuer>;
