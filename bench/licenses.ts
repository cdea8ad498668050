/**
 * License key verification throughput: one Ed25519 key pair, one realistic license key, verified
 * over and over in this process (header and kid checks, EdDSA signature through jose, claims
 * schema, time checks): the full `verify`, nothing cached. Target: ≥ 5,000 verifications/s.
 * Beside it, as everywhere in bench/, a bare baseline: node:crypto's Ed25519 verify alone.
 *
 *   npx tsx bench/licenses.ts [seconds]     prints the figures (default 3 s of license verification,
 *                                           as long again for the baseline)
 */
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../src/clock.js';
import { createLicenseVerifier, issueLicense, licensePublicKeyX } from '../src/domain/licenses/license-token.js';
import { systemIds } from '../src/ids.js';

export const LICENSE_VERIFICATION_TARGET = 5_000;

export interface LicenseVerificationResult {
  verificationsPerSecond: number;
  verified: number;
  /** Measured seconds of license verification (warm-up and baseline excluded). */
  seconds: number;
  /** The baseline: bare node:crypto Ed25519 verifications per second of the same signed bytes. */
  baselinePerSecond: number;
  /** verificationsPerSecond / baselinePerSecond: what the license layer costs, steadier than either figure on a busy machine. */
  ratioToBaseline: number;
}

/**
 * Alternates rounds of `verifier.verify(token)` and of the baseline (a bare synchronous
 * `crypto.verify` of the token's signing input), so both see the same machine load.
 */
export async function measureLicenseVerification(options: { seconds?: number } = {}): Promise<LicenseVerificationResult> {
  const seconds = options.seconds ?? 3;
  const { privateKey } = generateKeyPairSync('ed25519');
  const publicKey = createPublicKey(privateKey);
  const kid = 'bench-1';
  const token = await issueLicense({
    privateKey,
    kid,
    claims: {
      licenseType: 'enterprise',
      limits: { members: 500, projects: 100, childOrganizations: 20 },
      features: ['sso', 'scim', 'audit-log', 'private-endpoints', 'byoc', 'custom-roles'],
      exp: new Date(systemClock.now().getTime() + 365 * 86_400_000),
      sub: systemIds.uuid(),
    },
    clock: systemClock,
    ids: systemIds,
  });
  const verifier = createLicenseVerifier({ publicKeys: { [kid]: licensePublicKeyX(privateKey) }, clock: systemClock });
  const claims = await verifier.verify(token);
  if (claims.licenseType !== 'enterprise') throw new Error('the benchmark license did not verify to its claims');
  const signingInput = Buffer.from(token.slice(0, token.lastIndexOf('.')));
  const signature = Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url');
  if (!verify(null, signingInput, publicKey, signature)) throw new Error('the baseline did not verify the signature');

  const license = async (until: number) => {
    let count = 0;
    while (performance.now() < until) {
      for (let i = 0; i < 50; i++) await verifier.verify(token);
      count += 50;
    }
    return count;
  };
  const baseline = async (until: number) => {
    let count = 0;
    while (performance.now() < until) {
      for (let i = 0; i < 50; i++) verify(null, signingInput, publicKey, signature);
      count += 50;
    }
    return count;
  };

  const warmUp = Math.min(500, seconds * 200);
  await license(performance.now() + warmUp);
  await baseline(performance.now() + warmUp);

  const rounds = 4;
  const roundMs = (seconds * 1000) / rounds;
  const totals = { verified: 0, licenseMs: 0, baselineCount: 0, baselineMs: 0 };
  for (let round = 0; round < rounds; round++) {
    let start = performance.now();
    totals.verified += await license(start + roundMs);
    totals.licenseMs += performance.now() - start;
    start = performance.now();
    totals.baselineCount += await baseline(start + roundMs);
    totals.baselineMs += performance.now() - start;
  }
  const verificationsPerSecond = totals.verified / (totals.licenseMs / 1000);
  const baselinePerSecond = totals.baselineCount / (totals.baselineMs / 1000);
  return {
    verificationsPerSecond,
    verified: totals.verified,
    seconds: totals.licenseMs / 1000,
    baselinePerSecond,
    ratioToBaseline: verificationsPerSecond / baselinePerSecond,
  };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const seconds = process.argv[2] === undefined ? undefined : Number(process.argv[2]);
  if (seconds !== undefined && !(seconds > 0)) {
    console.error('usage: npx tsx bench/licenses.ts [seconds]');
    process.exit(2);
  }
  const result = await measureLicenseVerification({ seconds });
  const rate = Math.round(result.verificationsPerSecond);
  const verdict = rate >= LICENSE_VERIFICATION_TARGET ? 'meets' : 'MISSES';
  const format = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(
    `License verification: ${format(rate)}/s (${format(result.verified)} in ${result.seconds.toFixed(2)} s, one process) — ` +
      `${verdict} the target of ${format(LICENSE_VERIFICATION_TARGET)}/s`,
  );
  console.log(
    `Baseline (bare node:crypto Ed25519 verify): ${format(result.baselinePerSecond)}/s; ` +
      `license verification runs at ${(result.ratioToBaseline * 100).toFixed(0)}% of it`,
  );
}
