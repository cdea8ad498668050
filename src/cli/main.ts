/**
 * The operator's command line: `npm run -s orgbase -- <command>`. Exit codes: 0 done, 1 failed
 * (an invalid license, a file that exists, bad configuration), 2 usage error. Results go to
 * stdout, everything meant for a person to stderr, so results can be captured.
 */
import { ConfigError } from '../config.js';
import { DomainError } from '../domain/errors.js';
import { CommandError, UsageError, type CliIo } from './io.js';
import { runLicense } from './license.js';

export const PROGRAM = 'orgbase';

const HELP = `Usage: npm run -s orgbase -- <command> [options]

Commands:
  license keygen   create an Ed25519 key pair that signs license keys
  license issue    sign a license key (printed on stdout)
  license verify   check a license key against ORGBASE_LICENSE_PUBLIC_KEYS

Run "npm run -s orgbase -- license --help" for the options. (-s keeps npm's own lines off stdout.)
Exit codes: 0 done, 1 failed, 2 usage error.`;

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [group, ...rest] = argv;
  try {
    if (group === '--help' || group === '-h' || group === 'help') {
      io.out(HELP);
      return 0;
    }
    if (group === undefined) throw new UsageError('missing command');
    if (group === 'license') return await runLicense(rest, io);
    throw new UsageError(`unknown command "${group}"`);
  } catch (error) {
    return report(error, io);
  }
}

function report(error: unknown, io: CliIo): number {
  if (error instanceof UsageError || isParseArgsError(error)) {
    io.err(`${PROGRAM}: ${(error as Error).message}`);
    io.err(`Run "npm run -s orgbase -- --help" for usage.`);
    return 2;
  }
  if (error instanceof DomainError) {
    io.err(`${PROGRAM}: ${error.message} (${error.code})`);
    return 1;
  }
  if (error instanceof CommandError || error instanceof ConfigError) {
    io.err(`${PROGRAM}: ${error.message}`);
    return 1;
  }
  io.err(`${PROGRAM}: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
}

/** node:util parseArgs rejects unknown options, missing values and stray positionals with these codes. */
function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}
