/** Readiness of the database (the /ready probe). */
import type { Queryable } from './db/db.ts';

/** Resolves when the database answers a trivial query; rejects otherwise. */
export async function pingDatabase(q: Queryable): Promise<void> {
  await q.query('SELECT 1');
}
