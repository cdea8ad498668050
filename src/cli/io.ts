/** What a command gets to talk to the world, and the two ways it can fail. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  /** Writes one line of result to stdout. */
  out(line: string): void;
  /** Writes one line for the operator to stderr. */
  err(line: string): void;
  /** All of stdin, as text. */
  readStdin(): Promise<string>;
}

/** Wrong use of the command line: exit code 2. */
export class UsageError extends Error {}
/** The command ran and failed: exit code 1. */
export class CommandError extends Error {}
