/**
 * The databases every suite runs on: embedded PGlite always, and the PostgreSQL server at
 * TEST_DATABASE_URL when it is set. Each test server gets a database of its own: a fresh
 * in-memory (or on-disk) PGlite, or a fresh schema on the server, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type DatabaseHandle } from '../../src/db/database.js';

export type DatabaseKind = 'pglite' | 'postgres';

export interface TestDatabase {
  kind: DatabaseKind;
  /** Opens a new, empty database. `dataDir` (PGlite) or `schema` (PostgreSQL) re-opens an existing one. */
  open(reuse?: { dataDir?: string; schema?: string }): Promise<TestDatabaseHandle>;
}

export interface TestDatabaseHandle extends DatabaseHandle {
  /** PostgreSQL: the schema this database lives in. */
  schema?: string;
  /** Drops what `open` created (PostgreSQL schema). */
  dispose(): Promise<void>;
}

export const postgresUrl = process.env.TEST_DATABASE_URL || undefined;

export function testDatabases(): TestDatabase[] {
  const databases: TestDatabase[] = [{ kind: 'pglite', open: openPglite }];
  if (postgresUrl) databases.push({ kind: 'postgres', open: openPostgres });
  return databases;
}

async function openPglite(reuse?: { dataDir?: string }): Promise<TestDatabaseHandle> {
  const handle = await openDatabase({ dataDir: reuse?.dataDir });
  return { ...handle, dispose: async () => {} };
}

async function openPostgres(reuse?: { schema?: string }): Promise<TestDatabaseHandle> {
  const schema = reuse?.schema ?? `test_${randomBytes(6).toString('hex')}`;
  if (!reuse?.schema) await adminQuery(`create schema ${schema}`);
  const handle = await openDatabase({ url: postgresUrl, searchPath: schema, poolSize: 5 });
  return {
    ...handle,
    schema,
    dispose: async () => {
      await handle.close();
      await adminQuery(`drop schema if exists ${schema} cascade`);
    },
  };
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
