import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../src/clock.js';
import { runCli } from '../src/cli/main.js';
import { createLicenseVerifier } from '../src/domain/licenses/license-token.js';

const projectDir = fileURLToPath(new URL('..', import.meta.url));
const ORGANIZATION_ID = '0190e3c4-1b2a-7c3d-8e4f-5a6b7c8d9e0f';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI in a child process, with only the environment given (plus PATH). */
function cli(args: string[], options: { env?: Record<string, string>; input?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      cwd: projectDir,
      env: { PATH: process.env.PATH ?? '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/**
 * The same runCli the child process runs, in this process: for the argument matrix, without a
 * process start per case (the child-process tests above cover the wiring: streams, exit codes).
 */
async function inProcess(args: string[], env: Record<string, string> = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    env,
    out: (line) => (stdout += `${line}\n`),
    err: (line) => (stderr += `${line}\n`),
    readStdin: async () => '',
  });
  return { code, stdout, stderr };
}

const show = (run: Run) => `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;

describe('orgbase CLI: license', () => {
  let dir: string;
  let keyDir: string;
  let envLine: string;
  let publicKeys: Record<string, string>;
  let token: string;
  const privatePath = () => join(keyDir, 'test-1.private.pem');

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'orgbase-cli-'));
    keyDir = join(dir, 'keys');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keygen writes a 0600 PKCS8 private key and a public key, and prints the environment line', async () => {
    const run = await cli(['license', 'keygen', '--out', keyDir, '--kid', 'test-1']);
    assert.equal(run.code, 0, show(run));
    const match = /^ORGBASE_LICENSE_PUBLIC_KEYS='(\{.*\})'\n$/.exec(run.stdout);
    assert.ok(match, `stdout is not the environment line: ${run.stdout}`);
    envLine = match[1]!;
    publicKeys = JSON.parse(envLine);
    assert.deepEqual(Object.keys(publicKeys), ['test-1']);

    assert.equal(statSync(privatePath()).mode & 0o777, 0o600);
    const privatePem = readFileSync(privatePath(), 'utf8');
    assert.match(privatePem, /^-----BEGIN PRIVATE KEY-----\n/);
    const privateKey = createPrivateKey(privatePem);
    assert.equal(privateKey.asymmetricKeyType, 'ed25519');
    const publicKey = createPublicKey(readFileSync(join(keyDir, 'test-1.public.pem')));
    assert.equal(publicKey.asymmetricKeyType, 'ed25519');
    // The printed key is the public half of the private key, and matches the public file.
    const x = (createPublicKey(privateKey).export({ format: 'jwk' }) as { x: string }).x;
    assert.equal(publicKeys['test-1'], x);
    assert.equal((publicKey.export({ format: 'jwk' }) as { x: string }).x, x);
    assert.match(run.stderr, /Keep it secret/);
    assert.ok(!run.stdout.includes('PRIVATE'), 'the private key went to stdout');
  });

  it('keygen refuses to overwrite an existing key', async () => {
    const before = readFileSync(privatePath(), 'utf8');
    const run = await cli(['license', 'keygen', '--out', keyDir, '--kid', 'test-1']);
    assert.equal(run.code, 1, show(run));
    assert.match(run.stderr, /already exists/);
    assert.equal(run.stdout, '');
    assert.equal(readFileSync(privatePath(), 'utf8'), before);
    // Also when only the public half is there.
    writeFileSync(join(keyDir, 'test-2.public.pem'), 'placeholder');
    const second = await inProcess(['license', 'keygen', '--out', keyDir, '--kid', 'test-2']);
    assert.equal(second.code, 1, show(second));
    assert.throws(() => statSync(join(keyDir, 'test-2.private.pem')), /ENOENT/);
  });

  it('issue prints only the token, which the configured key verifies', async () => {
    const run = await cli([
      'license', 'issue', '--private-key', privatePath(), '--kid', 'test-1', '--type', 'enterprise',
      '--members', '50', '--child-organizations', '0', '--feature', 'sso', '--feature', 'audit-log',
      '--days', '30', '--organization', ORGANIZATION_ID,
    ]);
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    token = run.stdout.trim();
    const claims = await createLicenseVerifier({ publicKeys, clock: systemClock }).verify(token);
    assert.equal(claims.licenseType, 'enterprise');
    assert.deepEqual(claims.limits, { members: 50, childOrganizations: 0 });
    assert.deepEqual(claims.features, ['sso', 'audit-log']);
    assert.equal(claims.sub, ORGANIZATION_ID);
    assert.ok(Math.abs(claims.exp - (claims.iat + 30 * 86_400)) <= 1, `exp ${claims.exp}, iat ${claims.iat}`);
  });

  it('in process: issue takes an --expires date-time', async () => {
    const run = await inProcess(['license', 'issue', '--private-key', privatePath(), '--kid', 'test-1', '--type', 'team', '--expires', '2099-12-31T23:00:00+01:00']);
    assert.equal(run.code, 0, show(run));
    const claims = await createLicenseVerifier({ publicKeys, clock: systemClock }).verify(run.stdout.trim());
    assert.equal(new Date(claims.exp * 1000).toISOString(), '2099-12-31T22:00:00.000Z');
    assert.deepEqual(claims.limits, {});
    assert.equal(claims.sub, undefined);
  });

  it('verify prints the claims as JSON, from an argument or stdin', async () => {
    const env = { ORGBASE_LICENSE_PUBLIC_KEYS: envLine };
    const expected = await createLicenseVerifier({ publicKeys, clock: systemClock }).verify(token);
    const [fromArgument, fromStdin] = await Promise.all([
      cli(['license', 'verify', token], { env }),
      cli(['license', 'verify', '-'], { env, input: `${token}\n` }),
    ]);
    for (const run of [fromArgument, fromStdin]) {
      assert.equal(run.code, 0, show(run));
      assert.deepEqual(JSON.parse(run.stdout), expected);
      assert.match(run.stderr, /Valid enterprise license/);
    }
  });

  it('verify fails with exit code 1 for a tampered key or no configured key', async () => {
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    claims.limits.members = 5000;
    const tampered = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    const [tamperedRun, unconfigured] = await Promise.all([
      cli(['license', 'verify', tampered], { env: { ORGBASE_LICENSE_PUBLIC_KEYS: envLine } }),
      cli(['license', 'verify', token]),
    ]);
    for (const run of [tamperedRun, unconfigured]) {
      assert.equal(run.code, 1, show(run));
      assert.equal(run.stdout, '', show(run));
    }
    assert.match(tamperedRun.stderr, /signature is invalid.*license_signature/);
    assert.match(unconfigured.stderr, /Set ORGBASE_LICENSE_PUBLIC_KEYS.*license_unknown_key/);
  });

  it('usage errors exit with 2 and say what is wrong', async () => {
    const cases: [string[], RegExp][] = [
      [[], /missing command/],
      [['license', 'renew'], /unknown license command "renew"/],
      [['license', 'keygen', '--out', join(dir, 'k'), '--force'], /--force/],
      [['license', 'issue', '--private-key', privatePath(), '--kid', 'test-1', '--type', 'team', '--days', '3', '--members=-1'], /--members/],
      [['license', 'verify'], /one license key/],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(args)));
    runs.forEach((run, index) => {
      const [args, message] = cases[index]!;
      assert.equal(run.code, 2, `${args.join(' ')}\n${show(run)}`);
      assert.match(run.stderr, message, `${args.join(' ')}\n${show(run)}`);
      assert.match(run.stderr, /--help/);
      assert.equal(run.stdout, '');
    });
  });

  it('--help prints usage on stdout and exits 0', async () => {
    const run = await cli(['--help']);
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, /^Usage: /);
  });

  it('in process: every usage error exits with 2, naming the problem', async () => {
    const issue = ['license', 'issue', '--private-key', privatePath(), '--kid', 'test-1', '--type', 'team'];
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command "frobnicate"/],
      [['license'], /missing license command/],
      [['license', 'keygen'], /--out is required/],
      [['license', 'keygen', '--out', join(dir, 'k'), '--kid', 'bad kid'], /--kid/],
      [['license', 'keygen', '--out', join(dir, 'k'), 'extra'], /extra/],
      [['license', 'issue', '--kid', 'test-1', '--type', 'team', '--days', '3'], /--private-key is required/],
      [['license', 'issue', '--private-key', privatePath(), '--type', 'team', '--days', '3'], /--kid is required/],
      [['license', 'issue', '--private-key', privatePath(), '--kid', 'test-1', '--days', '3'], /--type is required/],
      [[...issue], /exactly one of --expires/],
      [[...issue, '--days', '3', '--expires', '2099-01-01'], /exactly one of --expires/],
      [[...issue, '--days', '0'], /--days/],
      [[...issue, '--days', '36501'], /--days/],
      [[...issue, '--days', 'soon'], /--days/],
      [[...issue, '--expires', '2099-02-30'], /--expires/],
      [[...issue, '--expires', '2099-01-01T10:00:00'], /--expires/],
      [[...issue, '--expires', 'tomorrow'], /--expires/],
      [[...issue, '--days', '3', '--projects', 'many'], /--projects/],
      [[...issue, '--days', '3', '--child-organizations', '1.5'], /--child-organizations/],
      [[...issue, '--days', '3', '--members', '2147483648'], /--members/],
      [[...issue, '--days', '3', '--organization', 'acme'], /--organization.*uuid/],
      [[...issue, '--days', '3', '--feature', 'sso', '--feature', 'sso'], /--feature/],
      [[...issue, '--days', '3', '--type', 't'.repeat(65)], /--type/],
      [[...issue, '--expires', '2001-01-01'], /--expires.*not in the future/],
      [['license', 'verify', 'a', 'b'], /one license key/],
    ];
    for (const [args, message] of cases) {
      const run = await inProcess(args);
      assert.equal(run.code, 2, `${args.join(' ')}\n${show(run)}`);
      assert.match(run.stderr, message, `${args.join(' ')}\n${show(run)}`);
      assert.equal(run.stdout, '');
    }
  });

  it('in process: failures exit with 1 and print nothing on stdout', async () => {
    const otherX = (generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }) as { x: string }).x;
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['license', 'verify', token], { ORGBASE_LICENSE_PUBLIC_KEYS: JSON.stringify({ 'test-1': otherX }) }, /license_signature/],
      [['license', 'verify', token], { ORGBASE_LICENSE_PUBLIC_KEYS: JSON.stringify({ other: otherX }) }, /"test-1".*license_unknown_key/],
      [['license', 'verify', token], { ORGBASE_LICENSE_PUBLIC_KEYS: '{"test-1": "nope"}' }, /ORGBASE_LICENSE_PUBLIC_KEYS: "test-1"/],
      [['license', 'verify', 'not-a-token'], { ORGBASE_LICENSE_PUBLIC_KEYS: envLine }, /license_malformed/],
      [['license', 'issue', '--private-key', join(keyDir, 'test-1.public.pem'), '--kid', 'test-1', '--type', 'team', '--days', '3'], {}, /cannot read the private key/],
      [['license', 'issue', '--private-key', join(dir, 'missing.pem'), '--kid', 'test-1', '--type', 'team', '--days', '3'], {}, /cannot read the private key/],
    ];
    for (const [args, env, message] of cases) {
      const run = await inProcess(args, env);
      assert.equal(run.code, 1, `${args.join(' ')}\n${show(run)}`);
      assert.match(run.stderr, message, show(run));
      assert.equal(run.stdout, '');
    }
  });

  it('in process: --help for every command', async () => {
    for (const args of [['help'], ['license', '--help'], ['license', 'issue', '--help'], ['license', 'keygen', '-h'], ['license', 'verify', '--help']]) {
      const run = await inProcess(args);
      assert.equal(run.code, 0, show(run));
      assert.match(run.stdout, /^Usage: /);
    }
    assert.match((await inProcess(['license', '--help'])).stdout, /license issue --private-key/);
  });
});
