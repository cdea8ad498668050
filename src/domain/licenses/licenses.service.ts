/**
 * Installing and reading an organization's license. A license key is verified offline against
 * the operator's public keys; only its verified claims are kept. Installing one whose limits are
 * below what the organization already has is refused (409) and changes nothing.
 *
 * A license can also be created by type (`installType`): the server signs one from a configured
 * type (license-issuer.ts) and installs it exactly as a key sent in would be.
 */
import { sql } from 'kysely';
import type { Clock } from '../../clock.js';
import type { Config } from '../../config.js';
import type { Db } from '../../db/database.js';
import { requireOrganizationAccess } from '../access.js';
import type { ActivityRecorder } from '../activities/activity-recorder.js';
import { conflict, forbidden, invalid, notFound } from '../errors.js';
import { findOrganization } from '../organizations/organizations.queries.js';
import type { Principal } from '../principal.js';
import { systemIds, type Ids } from '../../ids.js';
import { createLicenseIssuer } from './license-issuer.js';
import { createLicenseVerifier, licenseKeyId, licensePublicKeyX } from './license-token.js';
import type { LicenseClaims } from './license.schemas.js';
import { limitsBelowUsage, usageOf } from './limits.js';
import type { InstalledLicenseRow } from '../../db/schema.js';
import type { LicenseView } from './license-view.schemas.js';

/** Where a license comes from: a key sent in, or a type the server creates one of. */
export type LicenseSource = { key: string } | { type: string; field?: string };

/** A license verified for one organization, ready to install. */
export interface PreparedLicense {
  organizationId: string;
  claims: LicenseClaims;
  kid: string;
}

export interface LicensesServiceDeps {
  db: Db;
  clock: Clock;
  /** Ids for the licenses it creates (default: systemIds). */
  ids?: Ids;
  /** Without a signing key or types, creating licenses by type is disabled. */
  config: Pick<Config, 'licensePublicKeys'> & Partial<Pick<Config, 'licenseSigningKey' | 'licenseTypes'>>;
  activities: ActivityRecorder;
}

export function createLicensesService(deps: LicensesServiceDeps) {
  const { db, clock, activities, config } = deps;
  const signingKey = config.licenseSigningKey;
  // loadConfig already lists the signing key's public half; a hand-built config may not.
  const publicKeys = signingKey ? { ...config.licensePublicKeys, [signingKey.kid]: licensePublicKeyX(signingKey.privateKey) } : config.licensePublicKeys;
  const verifier = createLicenseVerifier({ publicKeys, clock });
  const issuer = createLicenseIssuer({ signingKey, types: config.licenseTypes ?? {}, clock, ids: deps.ids ?? systemIds });

  async function view(executor: Db, organizationId: string, installed: InstalledLicenseRow): Promise<LicenseView> {
    const claims = installed.claims as LicenseClaims;
    return {
      organizationId,
      licenseId: claims.jti,
      licenseType: claims.licenseType,
      limits: claims.limits,
      features: claims.features,
      issuedAt: new Date(claims.iat * 1000).toISOString(),
      expiresAt: new Date(claims.exp * 1000).toISOString(),
      expired: claims.exp * 1000 <= clock.now().getTime(),
      boundTo: claims.sub ?? null,
      keyId: installed.kid,
      installedAt: installed.installedAt,
      usage: await usageOf(executor, organizationId),
    };
  }

  /** Verifies a license key for the organization: its signature, time, and binding. */
  async function prepare(organizationId: string, token: string): Promise<PreparedLicense> {
    const claims = await verifier.verify(token);
    if (claims.sub !== undefined && claims.sub !== organizationId) {
      throw invalid('licenseKey', `licenseKey: this license is for organization ${claims.sub}, not ${organizationId}.`, 'license_other_organization');
    }
    return { organizationId, claims, kid: licenseKeyId(token) };
  }

  /**
   * Installs a prepared license inside the caller's transaction, with its activity: refused (409)
   * when its limits are below what the organization has.
   */
  async function installPrepared(trx: Db, principal: Principal, prepared: PreparedLicense): Promise<LicenseView> {
    const { organizationId, claims } = prepared;
    const current = await findOrganization(trx, organizationId, { forUpdate: true });
    if (!current) throw notFound('Organization', organizationId);
    const broken = limitsBelowUsage(claims.limits, await usageOf(trx, organizationId));
    if (broken.length > 0) {
      throw conflict(`The license's limits are below what the organization has: ${broken.join('; ')}.`, 'license_below_usage');
    }
    const previous = await installedLicense(trx, organizationId);
    const installed: InstalledLicenseRow = { claims, kid: prepared.kid, installedAt: clock.now().toISOString() };
    await trx.updateTable('organizations').set({ license: JSON.stringify(installed), updated_at: clock.now() }).where('id', '=', organizationId).execute();
    const changes = { license: { old: previous && summary(previous.claims as LicenseClaims), new: summary(claims) } };
    await activities.record(trx, principal.actor, [{ type: 'organization_update_license', organizationId, changes }]);
    return view(trx, organizationId, installed);
  }

  /** A license key, or one created from a configured type, verified for the organization. */
  async function prepareFrom(organizationId: string, source: LicenseSource): Promise<PreparedLicense> {
    const token = 'key' in source ? source.key.trim() : await issuer.issue(organizationId, source.type, source.field ?? 'createLicenseType');
    return prepare(organizationId, token);
  }

  async function installFrom(principal: Principal, organizationId: string, source: LicenseSource): Promise<LicenseView> {
    await requireOrganizationAccess(db, principal, organizationId, 'admin');
    // The types are the server's self-service menu: they may replace a license the server created,
    // not one the operator issued (that would let an admin lift the operator's limits).
    if ('type' in source && principal.kind !== 'root') {
      const installed = await installedLicense(db, organizationId);
      if (installed && installed.kid !== signingKey?.kid) {
        throw forbidden('This organization has a license the operator issued: only the operator may replace it with one created by type.', 'license_operator_installed');
      }
    }
    const prepared = await prepareFrom(organizationId, source);
    return db.transaction().execute((trx) => installPrepared(trx, principal, prepared));
  }

  return {
    /** Verifies without installing (for surfaces that only check a key). */
    verify: (token: string) => verifier.verify(token),

    /** Admins install a license; its limits apply from then on (also after it expires, until replaced). */
    install: (principal: Principal, organizationId: string, token: string) => installFrom(principal, organizationId, { key: token }),

    /**
     * Admins create a license of a configured type, bound to the organization, and install it as
     * `install` does. Errors on the type name `field` (default `createLicenseType`, Bindplane's).
     */
    installType: (principal: Principal, organizationId: string, licenseType: string, options: { field?: string } = {}) =>
      installFrom(principal, organizationId, { type: licenseType, ...(options.field !== undefined && { field: options.field }) }),

    /** For a change that installs a license in its own transaction (a new organization): verify first, install inside. */
    prepare: prepareFrom,
    installPrepared,

    async get(principal: Principal, organizationId: string): Promise<LicenseView> {
      await requireOrganizationAccess(db, principal, organizationId, 'read');
      if (!(await findOrganization(db, organizationId))) throw notFound('Organization', organizationId);
      const installed = await installedLicense(db, organizationId);
      if (!installed) throw notFound(`License of organization ${organizationId}`);
      return view(db, organizationId, installed);
    },
  };
}

export type LicensesService = ReturnType<typeof createLicensesService>;

const summary = (claims: LicenseClaims) => ({ licenseId: claims.jti, licenseType: claims.licenseType, limits: claims.limits, expiresAt: new Date(claims.exp * 1000).toISOString() });

async function installedLicense(db: Db, organizationId: string): Promise<InstalledLicenseRow | null> {
  const result = await sql<{ license: InstalledLicenseRow | null }>`select license from organizations where id = ${organizationId}::uuid`.execute(db);
  return result.rows[0]?.license ?? null;
}
