import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { requires } from '../support/servers.ts';
import { freshDb } from '../support/db.ts';
import { Platform } from '../../src/platform/platform.ts';
import { addDevice, addOrganisation } from '../../src/platform/inventory.ts';
import { sleep } from './helpers.ts';

const fixture = join(import.meta.dirname, 'fixtures', 'crash-worker.ts');

function startWorker(url: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    env: { ...process.env, DATABASE_URL: url, METERFABRIC_LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) {
        child.removeAllListeners('exit');
        resolve(child);
      }
    });
  });
}

function killed(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

// Issue 3 "Must show": SIGKILL a worker with requests in flight and queued; after a restart every request
// finishes exactly once and no two exchanges on one gateway ever overlap.
test('a worker killed with SIGKILL loses no request and finishes each exactly once', requires('postgres'), async (t) => {
  const { db, url, dispose } = await freshDb('postgres');
  const children: ChildProcess[] = [];
  let platform: Platform | undefined;
  t.after(async () => {
    for (const c of children) await killed(c, 'SIGKILL');
    await platform?.stop();
    await dispose();
  });
  await db.exec(`CREATE TABLE test_execution (id serial PRIMARY KEY, correlation_uid text NOT NULL, lock_key text NOT NULL, pid int NOT NULL,
    started_at timestamptz NOT NULL DEFAULT clock_timestamp(), finished_at timestamptz)`);
  await addOrganisation(db, { identification: 'org-a' });
  const devices = ['E0000000000000001', 'E0000000000000002', 'E0000000000000003'];
  for (const d of devices) await addDevice(db, { deviceIdentification: d, deviceType: 'SMART_METER_E', ownerOrganisationIdentification: 'org-a' });

  // The API side accepts requests without running workers.
  platform = await Platform.start({ db, workers: false, jobExpireSeconds: 3, crashRetries: 5 });
  const ids: string[] = [];
  for (let i = 0; i < 24; i++) {
    const { correlationUid } = await platform.requests.submit({
      organisationIdentification: 'org-a', userName: 'u', applicationName: 'a', deviceIdentification: devices[i % 3]!,
      messageType: 'SCAN_MBUS_CHANNELS', payload: {}, channel: 'SOAP',
    });
    ids.push(correlationUid);
  }

  const first = await startWorker(url!);
  children.push(first);
  for (let i = 0; i < 200; i++) {
    const r = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM test_execution');
    if (r.rows[0]!.n >= 4) break;
    await sleep(25);
  }
  await killed(first, 'SIGKILL');
  const killedAt = new Date();
  const inFlight = await db.query<{ correlation_uid: string }>('SELECT correlation_uid FROM test_execution WHERE finished_at IS NULL');
  assert.ok(inFlight.rowCount > 0, 'no execution was in flight at the kill');
  const queued = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM request WHERE status <> 'DONE'`);
  assert.ok(queued.rows[0]!.n > inFlight.rowCount, 'no request was still queued at the kill');

  const second = await startWorker(url!);
  children.push(second);
  for (let i = 0; i < 600; i++) {
    const r = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM request WHERE status = 'DONE'`);
    if (r.rows[0]!.n === ids.length) break;
    await sleep(100);
  }
  await killed(second, 'SIGTERM');

  const responses = await db.query<{ correlation_uid: string; result_type: string }>('SELECT correlation_uid, result_type FROM response_data');
  assert.equal(responses.rowCount, ids.length, 'every accepted request has exactly one response');
  assert.ok(responses.rows.every((r) => r.result_type === 'OK'));
  const completed = await db.query<{ correlation_uid: string; n: number }>(
    `SELECT correlation_uid, count(*)::int AS n FROM audit_log WHERE event = 'COMPLETED' GROUP BY correlation_uid`,
  );
  assert.equal(completed.rowCount, ids.length);
  assert.ok(completed.rows.every((r) => r.n === 1), 'a request completed more than once');
  for (const { correlation_uid } of inFlight.rows) {
    const runs = await db.query<{ finished_at: Date | null }>('SELECT finished_at FROM test_execution WHERE correlation_uid = $1 ORDER BY started_at', [correlation_uid]);
    assert.equal(runs.rows.filter((r) => r.finished_at).length, 1, 'the interrupted request ran to its end exactly once after the restart');
  }

  // Never two exchanges on one gateway at the same time, across both processes (a killed one ends at the kill).
  const runs = await db.query<{ lock_key: string; started_at: Date; finished_at: Date | null }>('SELECT lock_key, started_at, finished_at FROM test_execution ORDER BY lock_key, started_at');
  for (let i = 1; i < runs.rows.length; i++) {
    const a = runs.rows[i - 1]!;
    const b = runs.rows[i]!;
    if (a.lock_key !== b.lock_key) continue;
    const aEnd = a.finished_at ?? killedAt;
    assert.ok(aEnd.getTime() <= new Date(b.started_at).getTime(), `two exchanges overlapped on ${a.lock_key}`);
  }
});
