/**
 * `license keygen | issue | verify`: the operator's side of license keys. Keys are files (PKCS8
 * PEM private key, mode 0600, never overwritten); the server only ever sees public keys, through
 * ORGBASE_LICENSE_PUBLIC_KEYS.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { systemClock } from '../clock.js';
import { loadConfig } from '../config.js';
import { DomainError } from '../domain/errors.js';
import { MAX_LICENSE_DAYS, LICENSE_KID_PATTERN, type LicenseGrant } from '../domain/licenses/license.schemas.js';
import { createLicenseVerifier, issueLicense, licensePublicKeyX } from '../domain/licenses/license-token.js';
import { systemIds } from '../ids.js';
import { CommandError, UsageError, type CliIo } from './io.js';

const HELP = `Usage: npm run -s orgbase -- license <command> [options]

  license keygen --out <dir> [--kid <kid>]
      Creates an Ed25519 key pair: <dir>/<kid>.private.pem (PKCS8, mode 0600; keep it secret, it
      signs license keys) and <dir>/<kid>.public.pem. Never overwrites a file. Prints the
      ORGBASE_LICENSE_PUBLIC_KEYS line for the server's environment. --kid defaults to
      license-<today>; 1-64 letters, digits, ".", "_" or "-".

  license issue --private-key <file> --kid <kid> --type <type> (--expires <date-time> | --days <n>)
                [--members <n>] [--projects <n>] [--child-organizations <n>] [--feature <f>]...
                [--organization <uuid>]
      Signs a license key and prints it on stdout. A limit left out is unlimited; --feature may
      be repeated; --organization binds the license to one organization (default: any).
      --expires takes an ISO 8601 date (midnight UTC) or date-time with Z or an offset.

  license verify <token | ->
      Verifies a license key (- reads it from stdin) against ORGBASE_LICENSE_PUBLIC_KEYS and
      prints its claims as JSON. Exit code 1 when the key is not valid.`;

const MAX_COUNT = 2_147_483_647;
/** Claim → the option it came from, for error messages. */
const OPTION_OF_CLAIM: Record<string, string> = {
  licenseType: '--type',
  'limits.members': '--members',
  'limits.projects': '--projects',
  'limits.childOrganizations': '--child-organizations',
  features: '--feature',
  exp: '--expires/--days',
  sub: '--organization',
  kid: '--kid',
};

export async function runLicense(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case '--help':
    case '-h':
    case 'help':
      io.out(HELP);
      return 0;
    case 'keygen':
      return keygen(rest, io);
    case 'issue':
      return issue(rest, io);
    case 'verify':
      return verify(rest, io);
    case undefined:
      throw new UsageError('missing license command: keygen, issue or verify');
    default:
      throw new UsageError(`unknown license command "${command}": keygen, issue or verify`);
  }
}

function keygen(args: string[], io: CliIo): number {
  const { values } = parseArgs({
    args,
    options: { out: { type: 'string' }, kid: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return help(io);
  const out = required(values.out, '--out');
  const kid = values.kid ?? `license-${systemClock.now().toISOString().slice(0, 10)}`;
  checkKid(kid);

  const privatePath = join(out, `${kid}.private.pem`);
  const publicPath = join(out, `${kid}.public.pem`);
  for (const path of [privatePath, publicPath]) {
    if (existsSync(path)) throw new CommandError(`${path} already exists: refusing to overwrite a key (choose another --kid or --out)`);
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  mkdirSync(out, { recursive: true, mode: 0o700 });
  // 'wx': fails if the file appeared meanwhile; the mode applies as the file is created.
  writeFileSync(privatePath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  try {
    writeFileSync(publicPath, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644, flag: 'wx' });
  } catch (error) {
    unlinkSync(privatePath);
    throw error;
  }
  io.err(`Wrote the private key to ${privatePath} (mode 0600). Keep it secret: it signs license keys.`);
  io.err(`Wrote the public key to ${publicPath}.`);
  io.err(`Set this in the server's environment (add the entry to the object if you already have keys):`);
  io.out(`ORGBASE_LICENSE_PUBLIC_KEYS='${JSON.stringify({ [kid]: licensePublicKeyX(publicKey) })}'`);
  return 0;
}

async function issue(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      'private-key': { type: 'string' },
      kid: { type: 'string' },
      type: { type: 'string' },
      members: { type: 'string' },
      projects: { type: 'string' },
      'child-organizations': { type: 'string' },
      feature: { type: 'string', multiple: true },
      expires: { type: 'string' },
      days: { type: 'string' },
      organization: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return help(io);
  const keyFile = required(values['private-key'], '--private-key');
  const kid = required(values.kid, '--kid');
  checkKid(kid);
  const now = systemClock.now();
  const grant: LicenseGrant = {
    licenseType: required(values.type, '--type'),
    limits: {
      members: count(values.members, '--members'),
      projects: count(values.projects, '--projects'),
      childOrganizations: count(values['child-organizations'], '--child-organizations'),
    },
    features: values.feature ?? [],
    exp: expiry(values.expires, values.days, now),
  };
  if (values.organization !== undefined) grant.sub = values.organization;

  const privateKey = readPrivateKey(keyFile);
  try {
    io.out(await issueLicense({ privateKey, kid, claims: grant, clock: systemClock, ids: systemIds }));
  } catch (error) {
    if (error instanceof DomainError && error.code === 'license_claims_invalid') {
      const option = OPTION_OF_CLAIM[error.field ?? ''];
      throw new UsageError(option === undefined ? error.message : `${option}: ${error.message}`);
    }
    throw error;
  }
  return 0;
}

async function verify(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { help: { type: 'boolean', short: 'h' } },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) return help(io);
  if (positionals.length !== 1) throw new UsageError('license verify takes one license key (or - to read it from stdin)');
  const token = (positionals[0] === '-' ? await io.readStdin() : positionals[0]!).trim();
  const config = loadConfig(io.env);
  const verifier = createLicenseVerifier({ publicKeys: config.licensePublicKeys, clock: systemClock });
  const claims = await verifier.verify(token);
  io.out(JSON.stringify(claims, null, 2));
  const limits = Object.entries(claims.limits).map(([name, value]) => `${name} ${value}`);
  io.err(
    `Valid ${claims.licenseType} license until ${new Date(claims.exp * 1000).toISOString()}, ` +
      `${claims.sub === undefined ? 'for any organization' : `for organization ${claims.sub}`}, ` +
      `limits: ${limits.length === 0 ? 'none' : limits.join(', ')}.`,
  );
  return 0;
}

function help(io: CliIo): number {
  io.out(HELP);
  return 0;
}

function required(value: string | undefined, option: string): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`${option} is required`);
  return value;
}

function checkKid(kid: string): void {
  if (!LICENSE_KID_PATTERN.test(kid)) throw new UsageError(`--kid "${kid}" must be 1-64 letters, digits, ".", "_" or "-"`);
}

function count(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) > MAX_COUNT) throw new UsageError(`${option} "${value}" is not a whole number from 0 to ${MAX_COUNT}`);
  return Number(value);
}

function expiry(expires: string | undefined, days: string | undefined, now: Date): Date {
  if ((expires === undefined) === (days === undefined)) throw new UsageError('give exactly one of --expires <date-time> and --days <n>');
  if (days !== undefined) {
    if (!/^\d+$/.test(days) || Number(days) < 1 || Number(days) > MAX_LICENSE_DAYS) {
      throw new UsageError(`--days "${days}" is not a whole number from 1 to ${MAX_LICENSE_DAYS}`);
    }
    return new Date(now.getTime() + Number(days) * 86_400_000);
  }
  const text = expires!;
  const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/i;
  const date = new Date(/T/i.test(text) ? text : `${text}T00:00:00Z`);
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const calendarDay = new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day; // Date would roll 02-30 over to March
  if (!iso.test(text) || Number.isNaN(date.getTime()) || !calendarDay) {
    throw new UsageError(`--expires "${text}" is not an ISO 8601 date or date-time with a time zone (e.g. 2027-01-31 or 2027-01-31T12:00:00Z)`);
  }
  return date;
}

function readPrivateKey(file: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(file));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CommandError(`cannot read the private key ${file} (expected the <kid>.private.pem file license keygen wrote): ${reason}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new CommandError(`${file} is a ${key.asymmetricKeyType ?? 'non-asymmetric'} key; license keys are signed with Ed25519 (license keygen makes one)`);
  }
  return key;
}
