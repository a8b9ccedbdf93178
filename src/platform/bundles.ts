/**
 * A bundle's progress (docs/gxf.md#bundle): the outcomes of its actions so far, kept with its request (column
 * request.bundle_progress, migration 0720) between attempts, read back by a retry so that actions already done are
 * not run again. The final outcomes are stored as the bundle's response like any other result.
 */
import type { Queryable } from './db/db.ts';

/** The stored outcomes (null entries: not run yet), or undefined when none were stored. */
export async function loadBundleProgress<T>(q: Queryable, correlationUid: string): Promise<(T | null)[] | undefined> {
  const r = await q.query<{ bundle_progress: (T | null)[] | null }>('SELECT bundle_progress FROM request WHERE correlation_uid = $1', [correlationUid]);
  return r.rows[0]?.bundle_progress ?? undefined;
}

export async function saveBundleProgress<T>(q: Queryable, correlationUid: string, outcomes: readonly (T | null | undefined)[]): Promise<void> {
  await q.query('UPDATE request SET bundle_progress = $2::jsonb WHERE correlation_uid = $1', [correlationUid, JSON.stringify(Array.from(outcomes, (o) => o ?? null))]);
}
