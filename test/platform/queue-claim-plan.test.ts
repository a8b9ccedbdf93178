/**
 * The claim costs what it claims, not what is queued. A queue table has no lasting statistics on the embedded database
 * (src/platform/db/upkeep.ts) and none on PostgreSQL before its first ANALYZE; with `lease_owner IS NULL` estimated at
 * 0.5 % of the rows, the planner read every ready job, checked each against its gateway and sorted them all, for
 * every claim (1 s per claim with 50,000 jobs queued). Jobs scheduled far ahead were read by every claim too, when they
 * came first in queue order (migration 0997). The rows the plan reads are counted, not timed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engines, engineOptions, freshDb } from '../support/db.ts';
import { FETCH_SQL, WorkQueue, insertJobsSql, laterJobsSql } from '../../src/platform/queue.ts';
import type { Db } from '../../src/platform/db/db.ts';
import { logger } from '../../src/observability/logger.ts';

const QUEUED = 20_000;
const GATEWAYS = 700;

interface PlanNode { 'Relation Name'?: string; 'Actual Rows'?: number; 'Actual Loops'?: number; 'Rows Removed by Filter'?: number; Plans?: PlanNode[] }

/** Rows of request_job that the plan's scans returned or filtered out, over all their loops. */
function rowsRead(node: PlanNode): number {
  const own = node['Relation Name'] === 'request_job' ? ((node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0)) * (node['Actual Loops'] ?? 1) : 0;
  return own + (node.Plans ?? []).reduce((n, p) => n + rowsRead(p), 0);
}

/** Rows of request_job that a claim of 10 reads, with generic and with custom plans. */
async function claimReads(db: Db): Promise<Record<string, number>> {
  const reads: Record<string, number> = {};
  for (const mode of ['force_generic_plan', 'force_custom_plan']) {
    // EXPLAIN ANALYZE writes the leases: the transaction is rolled back by throwing once the plan is read.
    const rollBack = new Error('roll back');
    await db.tx(async (q) => {
      await q.query(`SET LOCAL plan_cache_mode = ${mode}`);
      await q.query(`PREPARE claim(text, int, int) AS ${FETCH_SQL}`);
      try {
        const r = await q.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE claim('plan-test', 10, 60000)`);
        reads[mode] = rowsRead(r.rows[0]!['QUERY PLAN'][0].Plan);
      } finally {
        await q.query('DEALLOCATE claim'); // a prepared statement outlives its transaction
      }
      throw rollBack;
    }).catch((e: unknown) => {
      if (e !== rollBack) throw e;
    });
  }
  return reads;
}

for (const engine of engines) {
  test(`a claim of 10 reads a few hundred queue rows, not all ${QUEUED} queued, without statistics on ${engine}`, engineOptions(engine), async () => {
    const { db, dispose } = await freshDb(engine);
    try {
      await db.query(`INSERT INTO request_job (id, correlation_uid, lock_key, priority, submitted_at, run_after)
        SELECT gen_random_uuid(), 'c' || g, 'g' || (g % $2::int), 4, now() + g * interval '1 millisecond', now() - interval '1 second'
          FROM generate_series(1, $1::int) g`, [QUEUED, GATEWAYS]);
      // 10 candidates, each checked against its gateway's ~29 other jobs, and the 10 rows updated: a few hundred.
      for (const [mode, read] of Object.entries(await claimReads(db))) assert.ok(read < 1_000, `${mode}: the claim read ${read} rows of request_job`);

      // And what it claims: the 10 oldest jobs, of 10 different gateways.
      const queue = new WorkQueue(db, { leaseMs: 60_000, sweepMs: 60_000, log: logger('queue-test') });
      const jobs = await queue.fetch(10);
      assert.deepEqual(jobs.map((j) => j.correlationUid), Array.from({ length: 10 }, (_, i) => `c${i + 1}`));
    } finally {
      await dispose();
    }
  });

  test(`${QUEUED} jobs scheduled for tonight, ahead in queue order, are not read by a claim of the jobs due now on ${engine}`, engineOptions(engine), async () => {
    const { db, dispose } = await freshDb(engine);
    try {
      // Accepted first, due in 8 hours (a ScheduleTime), written as accept writes them; then 100 requests due now.
      await db.query(insertJobsSql(`(SELECT gen_random_uuid() AS job_id, 'tonight' || g AS correlation_uid, 'g' || (g % $2::int) AS lock_key,
          4 AS priority, now() - interval '1 hour' + g * interval '1 millisecond' AS submitted_at, now() + interval '8 hours' AS run_after
          FROM generate_series(1, $1::int) g)`), [QUEUED, GATEWAYS]);
      await db.query(insertJobsSql(`(SELECT gen_random_uuid() AS job_id, 'now' || g AS correlation_uid, 'n' || g AS lock_key,
          4 AS priority, now() + g * interval '1 millisecond' AS submitted_at, now() - interval '1 second' AS run_after
          FROM generate_series(1, 100) g)`), []);
      for (const [mode, read] of Object.entries(await claimReads(db))) assert.ok(read < 1_000, `${mode}: the claim read ${read} rows of request_job`);
      const queue = new WorkQueue(db, { leaseMs: 60_000, sweepMs: 60_000, log: logger('queue-test') });
      assert.equal(await queue.admitDue(), 0, 'none of tonight\'s jobs comes due yet');
      assert.deepEqual((await queue.fetch(10)).map((j) => j.correlationUid), Array.from({ length: 10 }, (_, i) => `now${i + 1}`));
    } finally {
      await dispose();
    }
  });

  test(`asking whether finished jobs' gateways have later jobs reads a few queue rows, not all ${QUEUED} queued, on ${engine}`, engineOptions(engine), async () => {
    const { db, dispose } = await freshDb(engine);
    try {
      await db.query(`INSERT INTO request_job (id, correlation_uid, lock_key, priority, submitted_at, run_after)
        SELECT gen_random_uuid(), 'c' || g, 'g' || (g % $2::int), 4, now() + g * interval '1 millisecond', now() - interval '1 second'
          FROM generate_series(1, $1::int) g`, [QUEUED, GATEWAYS]);
      await db.query(`INSERT INTO request_job (id, correlation_uid, lock_key, priority, submitted_at, run_after)
        VALUES (gen_random_uuid(), 'alone', 'alone', 4, now(), now() - interval '1 second')`);
      const ids = async (where: string) => (await db.query<{ id: string }>(`SELECT id FROM request_job WHERE ${where}`)).rows.map((r) => r.id);
      const sql = laterJobsSql('(SELECT unnest($1::uuid[]))');
      // The first ten jobs: ten gateways with ~29 more jobs each. The gateway of one job alone: nothing later.
      const first = await ids(`correlation_uid IN (${Array.from({ length: 10 }, (_, i) => `'c${i + 1}'`).join(', ')})`);
      assert.equal((await db.query<{ later: boolean }>(sql, [first])).rows[0]!.later, true);
      assert.equal((await db.query<{ later: boolean }>(sql, [await ids(`lock_key = 'alone'`)])).rows[0]!.later, false);
      // All of a gateway's jobs finishing together leave nothing later either.
      assert.equal((await db.query<{ later: boolean }>(sql, [await ids(`lock_key = 'g1'`)])).rows[0]!.later, false);
      for (const mode of ['force_generic_plan', 'force_custom_plan']) {
        await db.tx(async (q) => {
          await q.query(`SET LOCAL plan_cache_mode = ${mode}`);
          await q.query(`PREPARE later(uuid[]) AS ${laterJobsSql('(SELECT unnest($1::uuid[]))')}`);
          try {
            const r = await q.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE later('{${first.join(',')}}')`);
            const read = rowsRead(r.rows[0]!['QUERY PLAN'][0].Plan);
            assert.ok(read < 1_000, `${mode}: the question read ${read} rows of request_job`);
          } finally {
            await q.query('DEALLOCATE later');
          }
        });
      }
    } finally {
      await dispose();
    }
  });
}
