import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { engines, engineOptions, freshDb } from '../support/db.ts';
import { Platform } from '../../src/platform/platform.ts';
import { REQUEST_QUEUE, completeRequestJobs, insertRequestJobsSql } from '../../src/platform/queue.ts';

const JOB_COLUMNS = `name, data, priority, state, retry_limit, retry_count, retry_delay, retry_backoff, singleton_key, singleton_on,
  expire_in, dead_letter, policy, output, keep_until - start_after AS kept, start_after`;

for (const engine of engines) {
  // Accepting writes request jobs with its own INSERT (one statement with the request rows): the jobs must be the
  // ones pg-boss's insert() would have written, so that pg-boss fetches, expires, retries and dead-letters them alike.
  test(`request jobs written in SQL equal pg-boss insert() jobs, and complete like complete() on ${engine}`, engineOptions(engine), async (t) => {
    const { db, dispose } = await freshDb(engine);
    const platform = await Platform.start({ db, workers: false, jobExpireSeconds: 120, crashRetries: 3 });
    t.after(async () => {
      await platform.stop();
      await dispose();
    });
    const at = new Date(Date.now() + 3600_000);
    const ours = [randomUUID(), randomUUID()];
    const theirs = [randomUUID(), randomUUID()];
    await db.query(
      `WITH x AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(job_id uuid, correlation_uid text, priority int, schedule_time timestamptz))
       ${insertRequestJobsSql('x')}`,
      [JSON.stringify([
        { job_id: ours[0], correlation_uid: 'c-1', priority: 7, schedule_time: null },
        { job_id: ours[1], correlation_uid: 'c-2', priority: 0, schedule_time: at.toISOString() },
      ])],
    );
    await platform.boss.insert([
      { id: theirs[0], name: REQUEST_QUEUE, data: { correlationUid: 'c-1' }, priority: 7 },
      { id: theirs[1], name: REQUEST_QUEUE, data: { correlationUid: 'c-2' }, priority: 0, startAfter: at.toISOString() } as never,
    ]);
    const row = async (id: string) => (await db.query<Record<string, unknown>>(`SELECT ${JOB_COLUMNS} FROM pgboss.job WHERE id = $1`, [id])).rows[0]!;
    for (let i = 0; i < 2; i++) {
      const [a, b] = [await row(ours[i]!), await row(theirs[i]!)];
      if (i === 0) {
        // Both start "now", a few milliseconds apart.
        assert.ok(Math.abs(new Date(a.start_after as string).getTime() - new Date(b.start_after as string).getTime()) < 5000);
        delete a.start_after;
        delete b.start_after;
      }
      assert.deepEqual(a, b);
    }
    assert.equal((await row(ours[0]!)).retry_limit, 3);
    assert.equal((await row(ours[1]!)).dead_letter, `${REQUEST_QUEUE}.dead`);

    // Completing: only active jobs, like pg-boss complete().
    const [fetched] = await platform.boss.fetch(REQUEST_QUEUE);
    assert.ok(fetched && ours[0] === fetched.id, 'the highest priority job is fetched first');
    await completeRequestJobs(db, [ours[0]!, ours[1]!]);
    const states = await db.query<{ id: string; state: string; completed: boolean }>(
      'SELECT id, state, completed_on IS NOT NULL AS completed FROM pgboss.job WHERE id = ANY($1::uuid[]) ORDER BY priority DESC', [ours],
    );
    assert.deepEqual(states.rows.map((r) => [r.state, r.completed]), [['completed', true], ['created', false]]);
  });

  test(`a missing request queue fails the job insert instead of dropping the job on ${engine}`, engineOptions(engine), async (t) => {
    const { db, dispose } = await freshDb(engine);
    t.after(dispose);
    await db.exec(`CREATE SCHEMA pgboss; CREATE TABLE pgboss.queue (name text PRIMARY KEY, policy text, retry_limit int, retry_delay int,
      retry_backoff bool, expire_seconds int, retention_minutes int, dead_letter text);
      CREATE TABLE pgboss.job (id uuid, name text NOT NULL, data jsonb, priority int, start_after timestamptz, dead_letter text,
      expire_in interval, keep_until timestamptz, retry_limit int, retry_delay int, retry_backoff bool, policy text)`);
    await assert.rejects(
      db.query(`WITH x AS (SELECT $1::uuid AS job_id, 'c' AS correlation_uid, 4 AS priority, NULL::timestamptz AS schedule_time) ${insertRequestJobsSql('x')}`, [randomUUID()]),
      /null value in column "name"/,
    );
  });
}
