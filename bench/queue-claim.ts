/**
 * What one claim of the work queue costs as the queue grows (`npm run bench -- queue-claim`): Q ready jobs over 700
 * gateways, no planner statistics (the embedded database keeps none for its queue tables; PostgreSQL has none before
 * its first ANALYZE), then claims of 10 jobs, each rolled back so that the queue stays the same. Prints the median and
 * the slowest of 8 claims per queue size. With --ahead K, K jobs scheduled 8 hours ahead (written as accept writes a
 * ScheduleTime) come first in queue order, before the Q due ones.
 *
 *   node --import tsx bench/queue-claim.ts [--engine pglite|postgres] [--sizes 1000,10000,50000] [--ahead 0]
 *
 * PostgreSQL: the server of TEST_DATABASE_URL (a fresh database).
 */
import { freshDb, type Engine } from '../test/support/db.ts';
import { FETCH_SQL, insertJobsSql } from '../src/platform/queue.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const engine = arg('engine', 'pglite') as Engine;
const sizes = arg('sizes', '1000,10000,50000').split(',').map(Number);
const ahead = Number(arg('ahead', '0'));
const { db, dispose } = await freshDb(engine);
// Jobs written as accept writes them, over 700 gateways, one millisecond apart in queue order from submittedAt.
const addJobs = (prefix: string, n: number, submittedAt: string, runAfter: string) => db.query(insertJobsSql(`(SELECT gen_random_uuid() AS job_id,
    '${prefix}' || g AS correlation_uid, 'g' || (g % 700) AS lock_key, 4 AS priority, ${submittedAt} + g * interval '1 millisecond' AS submitted_at,
    ${runAfter} AS run_after FROM generate_series(1, $1::int) g)`), [n]);
try {
  for (const size of sizes) {
    await db.exec('DELETE FROM request_job');
    // The jobs due later come first in queue order (submitted an hour ago), then the due ones.
    if (ahead > 0) await addJobs('ahead', ahead, "now() - interval '1 hour'", "now() + interval '8 hours'");
    await addJobs('c', size, 'now()', "now() - interval '1 second'");
    const ms: number[] = [];
    for (let i = 0; i < 8; i++) {
      const started = performance.now();
      await db.tx(async (q) => {
        await q.query(FETCH_SQL, ['bench', 10, 60_000], { prepareAs: 'bench_claim' });
        throw new Error('roll back');
      }).catch(() => undefined);
      ms.push(performance.now() - started);
    }
    ms.sort((a, b) => a - b);
    console.log(`${engine}: ${size} jobs queued${ahead ? ` behind ${ahead} scheduled 8 h ahead` : ''}, claim of 10: median ${ms[4]!.toFixed(1)} ms, slowest ${ms[7]!.toFixed(1)} ms`);
  }
} finally {
  await dispose();
}
