/** `npm start`: configuration → database → Orgbase → listen; SIGTERM drains and closes. */
import { mkdir } from 'node:fs/promises';
import { ConfigError, loadConfig, type Config } from './config.js';
import { openDatabase } from './db/database.js';
import { createOrgbase } from './server.js';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`orgbase: invalid configuration: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  if (config.databaseUrl === undefined) await mkdir(config.dataDir, { recursive: true });
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  const { app, rootKey } = await createOrgbase({ config, database });
  const address = await app.listen({ host: config.host, port: config.port });

  const where = config.databaseUrl === undefined ? `embedded PostgreSQL (PGlite) in ${config.dataDir}` : 'PostgreSQL server';
  const lines = [``, `Orgbase is listening on ${address} (${where})`, `  API docs:  ${address}/docs`, `  OpenAPI:   ${address}/openapi.json`];
  if (rootKey.generated) {
    lines.push(
      ``,
      `  A root key was generated for this new database. It is shown only this once:`,
      ``,
      `      export ORGBASE_ROOT_KEY=${rootKey.generated}`,
      ``,
      `  Only its hash is stored. Set ORGBASE_ROOT_KEY yourself to choose the key.`,
    );
  }
  process.stdout.write(lines.join('\n') + '\n\n');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down: draining in-flight requests');
    try {
      await app.close(); // stops accepting, waits for in-flight requests, then closes the database
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('orgbase: failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
