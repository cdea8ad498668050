/**
 * Child processes for the servers under test: each gets its own process (and event loop), so
 * autocannon in the parent never shares one with the server it measures. Every child started
 * here is killed when the parent exits, however it exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

const dieWithParent = new URL('./die-with-parent.ts', import.meta.url).href;

export interface Server {
  name: string;
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();

function killAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
process.on('exit', killAll);

/** Installs handlers so that Ctrl-C, SIGTERM and crashes still take the children down. */
export function killChildrenOnSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      console.error(`\nbench: ${signal}, stopping the servers`);
      killAll();
      process.exit(130);
    });
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `node --import tsx <script>` (plus die-with-parent.ts, so a SIGKILLed benchmark leaves no
 * server behind) and waits until GET /readyz answers 200.
 * stdout goes to /dev/null (Orgbase logs there: production-like cost, nothing on screen);
 * the last few KB of stderr are kept for the error message should the child die.
 */
export async function startServer(options: {
  name: string;
  script: string;
  cwd: string;
  env: Record<string, string>;
  readyTimeoutMs: number;
}): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', dieWithParent, options.script], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  child.once('exit', () => children.delete(child));

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + options.readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${options.name} exited during startup (code ${child.exitCode ?? child.signalCode}):\n${stderr}`);
    }
    try {
      const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${options.name} was not ready within ${options.readyTimeoutMs} ms:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  return {
    name: options.name,
    url,
    child,
    stop: () => stopChild(child, 5000),
  };
}

/** SIGTERM (the servers drain and close their pools), SIGKILL after the grace period. */
async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
