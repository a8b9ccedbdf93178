/**
 * Bulk jobs survive a restart (src/platform/bulk-jobs.ts): a runner that dies after submitting a request but before
 * recording it leaves the job SUBMITTING; a new runner on the same database resumes it, adopts the request it finds
 * by the job's application name and submits the rest, so every device gets exactly one request. And the platform's
 * per-attempt record (migration 0980): a meter that refuses connections gives one attempt per execution, each retry
 * with the time the next one was due, the last NOT_OK.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHeadend } from '../support/headend.ts';
import { BulkJobs, applicationNameOf, bulkJobProgress, getBulkJob } from '../../src/platform/bulk-jobs.ts';
import { requestAttempts } from '../../src/platform/fleet.ts';
import type { SubmitRequest } from '../../src/platform/operations.ts';
import { seedFleet } from '../support/fleet.ts';

const ORG = 'bulk-operator';

test('a bulk job whose runner died between submitting and recording is resumed by the next runner: one request per device, none twice', async () => {
  const h = await startHeadend('pglite');
  try {
    await h.addOrganisation(ORG);
    await seedFleet(h.db, ORG, 'EK', 30);
    const devices = Array.from({ length: 30 }, (_, i) => `EK${String(i + 1).padStart(6, '0')}`);
    let submitted = 0;
    const errors: unknown[] = [];
    // The first runner submits for real and "dies" right after its 10th submission, before recording it.
    const dying = new BulkJobs(h.db, {
      async submit(r: SubmitRequest) {
        const out = await h.platform.requests.submit(r);
        if (++submitted === 10) throw new Error('process killed');
        return out;
      },
    }, { concurrency: 1, onError: (e) => errors.push(e) });
    const job = await dying.create({ organisationIdentification: ORG, userName: 'test', messageType: 'SYNCHRONIZE_TIME', payload: { timeZone: 'Europe/Amsterdam' }, selection: { operation: 'synchronizeTime' }, devices });
    await dying.settled(job.id);
    await dying.stop();
    assert.equal(errors.length, 1);
    const stopped = (await getBulkJob(h.db, job.id))!;
    assert.equal(stopped.state, 'SUBMITTING', 'the job is left to be resumed');
    const half = await bulkJobProgress(h.db, stopped);
    assert.equal(half.counts.PENDING, 21, '9 recorded, the 10th submitted but not recorded');

    const next = new BulkJobs(h.db, h.platform.requests);
    assert.deepEqual(await next.resume(), [job.id]);
    await next.settled(job.id);
    await next.stop();
    const resumed = (await getBulkJob(h.db, job.id))!;
    assert.equal(resumed.state, 'SUBMITTED');
    const progress = await bulkJobProgress(h.db, resumed);
    assert.equal(progress.counts.PENDING, 0);
    assert.equal(progress.total, 30);
    const perDevice = await h.db.query<{ device_identification: string; n: number }>(
      'SELECT device_identification, count(*)::int AS n FROM request WHERE application_name = $1 GROUP BY 1 ORDER BY 1', [applicationNameOf(job.id)]);
    assert.deepEqual(perDevice.rows.map((r) => [r.device_identification, Number(r.n)]), devices.map((d) => [d, 1]), 'one request per device');
    const unrecorded = await h.db.query('SELECT 1 FROM bulk_job_item WHERE job_id = $1 AND correlation_uid IS NULL', [job.id]);
    assert.equal(unrecorded.rowCount, 0);
  } finally {
    await h.stop();
  }
});

test('each execution of a request is recorded: retries with their due time, the last attempt NOT_OK', async () => {
  const h = await startHeadend('pglite');
  try {
    await h.addOrganisation(ORG);
    const sim = await h.addGateway('E0051004000000991', ORG);
    await sim.close(); // connections refused: a retryable error every time
    const { correlationUid } = await h.platform.requests.submit({
      organisationIdentification: ORG, userName: 'test', applicationName: 'test', deviceIdentification: 'E0051004000000991',
      messageType: 'SYNCHRONIZE_TIME', payload: { timeZone: 'Europe/Amsterdam' }, channel: 'REST',
    });
    const deadline = Date.now() + 60_000;
    while ((await h.platform.requests.get(correlationUid))?.status !== 'DONE') {
      assert.ok(Date.now() < deadline, 'the request ends');
      await new Promise((r) => setTimeout(r, 100));
    }
    const attempts = await requestAttempts(h.db, correlationUid);
    assert.deepEqual(attempts.map((a) => [a.attempt, a.outcome]), [[1, 'RETRY'], [2, 'RETRY'], [3, 'NOT_OK']]);
    for (const a of attempts.slice(0, 2)) {
      assert.ok(a.nextAttemptAt, `attempt ${a.attempt} names when the next is due`);
      assert.ok(Date.parse(a.nextAttemptAt!) >= Date.parse(a.endedAt!));
    }
    assert.ok(Date.parse(attempts[1]!.startedAt) >= Date.parse(attempts[0]!.nextAttemptAt!) - 5, 'the retry started when it was due');
    assert.equal(attempts[2]!.nextAttemptAt, null);
    assert.ok(attempts[2]!.errorCode, 'the final error code');
  } finally {
    await h.stop();
  }
});
