/**
 * Database fixtures: every database test runs on the embedded engine (PGlite) and, when a PostgreSQL server is
 * there, on PostgreSQL too, against a fresh database created for it.
 */
import { randomBytes } from 'node:crypto';
import { openDb, migrate, type Db } from '../../src/platform/db/db.ts';
import { requires, postgresUrl } from './servers.ts';

export type Engine = 'pglite' | 'postgres';
export const engines: Engine[] = ['pglite', 'postgres'];

/** `test(name, engineOptions(engine), …)`: skips the PostgreSQL variant when no server is there. */
export function engineOptions(engine: Engine): { skip?: string } {
  return engine === 'postgres' ? requires('postgres') : {};
}

/** Creates a fresh, migrated database on the engine. Close it with the returned dispose. */
export async function freshDb(engine: Engine): Promise<{ db: Db; url?: string; dispose: () => Promise<void> }> {
  if (engine === 'pglite') {
    const db = await openDb({ dataDir: 'memory://' });
    await migrate(db);
    return { db, dispose: () => db.close() };
  }
  const admin = await openDb({ url: postgresUrl(), poolSize: 1 });
  const name = `mf_${randomBytes(6).toString('hex')}`;
  await admin.exec(`CREATE DATABASE ${name}`);
  const url = postgresUrl().replace(/\/[^/]*$/, `/${name}`);
  const db = await openDb({ url, poolSize: 10 });
  await migrate(db);
  return {
    db,
    url,
    dispose: async () => {
      await db.close();
      await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await admin.close();
    },
  };
}
