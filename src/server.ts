/**
 * Assembles a runnable Orgbase on an open database: migrate, settle the root key, wire services,
 * build the app. `main.ts` adds listening and signals; tests and benchmarks call this directly.
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import type { DatabaseHandle } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { resolveRootKey, type RootKey } from './domain/auth/root-key.js';
import { systemIds, type Ids } from './ids.js';
import { createServices, type Services } from './services.js';

export interface Orgbase {
  app: FastifyInstance;
  services: Services;
  rootKey: RootKey;
}

export async function createOrgbase(options: {
  config: Config;
  database: DatabaseHandle;
  clock?: Clock;
  ids?: Ids;
  logStream?: NodeJS.WritableStream;
}): Promise<Orgbase> {
  const clock = options.clock ?? systemClock;
  const { db } = options.database;
  await migrateToLatest(db);
  const rootKey = await resolveRootKey(db, options.config.rootKey, clock);
  const services = createServices({
    db,
    clock,
    ids: options.ids ?? systemIds,
    config: options.config,
    rootKeyHash: rootKey.hash,
  });
  const app = await buildApp({ config: options.config, services, ...(options.logStream && { logStream: options.logStream }) });
  // Buffered work is written out before the database closes: a graceful stop loses nothing.
  app.addHook('onClose', async () => {
    await services.apiCallMeter.stop();
    await services.accessLog.stop();
    await options.database.close();
  });
  return { app, services, rootKey };
}
