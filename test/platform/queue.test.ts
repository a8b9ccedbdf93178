import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { engines, engineOptions, freshDb } from '../support/db.ts';
import type { Db } from '../../src/platform/db/db.ts';
import { WAIT_AHEAD_MS, WorkQueue, completeJobs, insertJobsSql, queueErrors } from '../../src/platform/queue.ts';
import { logger } from '../../src/observability/logger.ts';
import { registry } from '../../src/observability/metrics.ts';

const log = logger('queue-test');

interface JobSpec { id?: string; uid: string; key: string; priority?: number; submittedMs?: number; runAfterMs?: number }

/** Writes jobs the way accept does (insertJobsSql); submittedMs/runAfterMs are offsets from now. Returns their ids. */
async function addJobs(db: Db, jobs: JobSpec[]): Promise<string[]> {
  const rows = jobs.map((j) => ({
    job_id: j.id ?? randomUUID(), correlation_uid: j.uid, lock_key: j.key, priority: j.priority ?? 4,
    submitted_at: new Date(Date.now() + (j.submittedMs ?? 0)).toISOString(), run_after: new Date(Date.now() + (j.runAfterMs ?? 0)).toISOString(),
  }));
  await db.query(
    `${insertJobsSql(`(SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(job_id uuid, correlation_uid text, lock_key text, priority smallint,
       submitted_at timestamptz, run_after timestamptz))`)}`,
    [JSON.stringify(rows)],
  );
  return rows.map((r) => r.job_id);
}

for (const engine of engines) {
  test(`jobs come in priority then submission order, one per gateway, never past an earlier job of that gateway on ${engine}`, engineOptions(engine), async (t) => {
    const { db, dispose } = await freshDb(engine);
    t.after(dispose);
    const q = new WorkQueue(db, { leaseMs: 60_000, sweepMs: 60_000, log });
    await addJobs(db, [
      { uid: 'g1-first', key: 'G1', submittedMs: -3000 },
      { uid: 'g1-second', key: 'G1', submittedMs: -2000 },
      { uid: 'g2-low', key: 'G2', priority: 1, submittedMs: -5000 },
      { uid: 'g3-high', key: 'G3', priority: 8, submittedMs: -1000 },
      { uid: 'g4-later', key: 'G4', runAfterMs: 3600_000 },
      // An earlier job of G5 that is not due yet (a scheduled or delayed retry) does not hold back a due one.
      { uid: 'g5-scheduled', key: 'G5', submittedMs: -9000, runAfterMs: 3600_000 },
      { uid: 'g5-due', key: 'G5', submittedMs: -1000 },
    ]);
    const first = await q.fetch(10);
    assert.deepEqual(first.map((j) => j.correlationUid), ['g3-high', 'g1-first', 'g5-due', 'g2-low']);
    assert.ok(first.every((j) => j.deliveries === 1));
    // G1's second job waits while the first one runs, then comes.
    assert.deepEqual(await q.fetch(10), []);
    await completeJobs(db, [first.find((j) => j.correlationUid === 'g1-first')!.id]);
    assert.deepEqual((await q.fetch(10)).map((j) => j.correlationUid), ['g1-second']);
  });

  test(`a job due far ahead waits outside the ready index and is admitted before it is due, keeping its gateway's order on ${engine}`, engineOptions(engine), async (t) => {
    const { db, dispose } = await freshDb(engine);
    t.after(dispose);
    const q = new WorkQueue(db, { leaseMs: 60_000, sweepMs: 60_000, log });
    const waitingOf = async () => Object.fromEntries((await db.query<{ correlation_uid: string; waiting: boolean }>(
      'SELECT correlation_uid, waiting FROM request_job ORDER BY correlation_uid')).rows.map((r) => [r.correlation_uid, r.waiting]));
    await addJobs(db, [
      { uid: 'g1-tonight', key: 'G1', submittedMs: -9000, runAfterMs: 3600_000 },
      { uid: 'g1-now', key: 'G1', submittedMs: -1000 },
      { uid: 'g2-soon', key: 'G2', submittedMs: -8000, runAfterMs: WAIT_AHEAD_MS / 2 },
    ]);
    assert.deepEqual(await waitingOf(), { 'g1-now': false, 'g1-tonight': true, 'g2-soon': false }, 'only the job due beyond WAIT_AHEAD_MS waits');
    assert.deepEqual((await q.fetch(10)).map((j) => j.correlationUid), ['g1-now']);
    await db.query("DELETE FROM request_job WHERE correlation_uid = 'g1-now'");

    // Time passes: tonight's job is due now but still marked. It is not claimed, and it still holds back a later job of
    // its gateway (the gateway check reads run_after), until the queue admits it.
    await db.query("UPDATE request_job SET run_after = now() - interval '1 second' WHERE correlation_uid = 'g1-tonight'");
    await addJobs(db, [{ uid: 'g1-after', key: 'G1', submittedMs: 0 }]);
    assert.deepEqual(await q.fetch(10), []);
    assert.equal(await q.admitDue(), 1);
    assert.deepEqual((await q.fetch(10)).map((j) => j.correlationUid), ['g1-tonight']);
    // A job coming due within WAIT_AHEAD_MS is admitted early, and claimed only once due.
    await db.query(`UPDATE request_job SET waiting = true, run_after = now() + ${WAIT_AHEAD_MS / 2} * interval '1 millisecond' WHERE correlation_uid = 'g2-soon'`);
    assert.equal(await q.admitDue(), 1);
    assert.equal((await waitingOf())['g2-soon'], false);
    assert.deepEqual(await q.fetch(10), [], 'admitted, but not due yet');

    // A release with a long delay waits again; a short one does not.
    await db.query("UPDATE request_job SET run_after = now() - interval '1 second' WHERE correlation_uid = 'g2-soon'");
    const [job] = await q.fetch(10);
    assert.equal(job!.correlationUid, 'g2-soon');
    await q.release([job!.id], WAIT_AHEAD_MS * 3);
    assert.equal((await waitingOf())['g2-soon'], true);
    await db.query("UPDATE request_job SET run_after = now() - interval '1 second', waiting = false WHERE correlation_uid = 'g2-soon'");
    const [again] = await q.fetch(10);
    assert.equal(again!.correlationUid, 'g2-soon');
    await q.release([again!.id], 100);
    assert.equal((await waitingOf())['g2-soon'], false);
  });

  test(`an expired lease makes its job available again; a live worker's renewals keep it on ${engine}`, engineOptions(engine), async (t) => {
    const { db, dispose } = await freshDb(engine);
    t.after(dispose);
    // The dead worker's lease is short; the live one's is renewed every third of its length.
    const dead = new WorkQueue(db, { leaseMs: 200, sweepMs: 100, log });
    const live = new WorkQueue(db, { leaseMs: 1500, sweepMs: 100, log });
    const other = new WorkQueue(db, { leaseMs: 1500, sweepMs: 100, log });
    t.after(() => { live.stop(); other.stop(); });
    await addJobs(db, [{ uid: 'a', key: 'A', submittedMs: -2000 }, { uid: 'b', key: 'B', submittedMs: -1000 }]);
    const [a] = await dead.fetch(1); // never renewed: its process "died"
    const [b] = await live.fetch(1);
    assert.equal(a!.correlationUid, 'a');
    assert.equal(b!.correlationUid, 'b');
    live.start(() => assert.fail('lease lost'));
    other.start(() => undefined);
    // Bounded poll for the positive event: the dead worker's job comes back to another worker, as a second delivery.
    let again: Awaited<ReturnType<WorkQueue['fetch']>> = [];
    for (let i = 0; i < 200 && again.length === 0; i++) {
      await new Promise((res) => setTimeout(res, 50));
      again = await other.fetch(10);
    }
    assert.deepEqual(again.map((j) => [j.correlationUid, j.deliveries]), [['a', 2]], 'only the expired job came back');
    const owner = await db.query<{ lease_owner: string }>('SELECT lease_owner FROM request_job WHERE correlation_uid = $1', ['b']);
    assert.equal(owner.rows[0]!.lease_owner, live.workerId, 'the renewed lease stayed with its worker');
    // Released jobs are due again at once (deliveries still counted).
    await live.release([b!.id], 0);
    assert.deepEqual((await other.fetch(10)).map((j) => [j.correlationUid, j.deliveries]), [['b', 2]]);
  });
}

test('queue errors are logged and counted', async () => {
  const failing = { engine: 'postgres', query: async () => { throw new Error('connection refused'); } } as unknown as Db;
  const q = new WorkQueue(failing, { leaseMs: 1000, sweepMs: 1000, log });
  const count = async () => (await registry.getSingleMetricAsString('meterfabric_queue_errors_total'))
    .split('\n').filter((l) => l.startsWith('meterfabric_queue_errors_total{')).reduce((n, l) => n + Number(l.split(' ').pop()), 0);
  const before = await count();
  assert.deepEqual(await q.fetch(5), []);
  assert.equal(await q.sweep(), 0);
  assert.equal(await count(), before + 2);
  assert.ok(queueErrors);
});
