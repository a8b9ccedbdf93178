/**
 * Issue 12 item 5: several worker processes on one PostgreSQL share the work — each request executed exactly once,
 * the requests of one gateway one at a time and in submission order, across processes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { requires } from '../support/servers.ts';
import { freshDb } from '../support/db.ts';
import { Platform } from '../../src/platform/platform.ts';
import { addDevice, addOrganisation } from '../../src/platform/inventory.ts';
import { LISTENER_APPLICATION_NAME, openDb } from '../../src/platform/db/db.ts';

const fixture = join(import.meta.dirname, 'fixtures', 'crash-worker.ts');

function startWorker(url: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    env: { ...process.env, DATABASE_URL: url, METERFABRIC_LOG_LEVEL: 'silent', CRASH_JOB_EXPIRE_SECONDS: '30' },
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

function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

test('two worker processes share the requests: each executed once, per gateway one at a time in submission order', requires('postgres'), async (t) => {
  const { db, url, dispose } = await freshDb('postgres');
  const children: ChildProcess[] = [];
  let platform: Platform | undefined;
  t.after(async () => {
    for (const c of children) await stopped(c);
    await platform?.stop();
    await dispose();
  });
  await db.exec(`CREATE TABLE test_execution (id serial PRIMARY KEY, correlation_uid text NOT NULL, lock_key text NOT NULL, pid int NOT NULL,
    started_at timestamptz NOT NULL DEFAULT clock_timestamp(), finished_at timestamptz)`);
  await addOrganisation(db, { identification: 'org-a' });
  const gateways = ['E0000000000000011', 'E0000000000000012', 'E0000000000000013', 'E0000000000000014'];
  for (const d of gateways) await addDevice(db, { deviceIdentification: d, deviceType: 'SMART_METER_E', ownerOrganisationIdentification: 'org-a' });
  children.push(await startWorker(url!), await startWorker(url!));

  platform = await Platform.start({ db, workers: false });
  const submitted: Array<{ uid: string; gateway: string }> = [];
  for (let i = 0; i < 32; i++) {
    const gateway = gateways[i % gateways.length]!;
    const { correlationUid } = await platform.requests.submit({
      organisationIdentification: 'org-a', userName: 'u', applicationName: 'a', deviceIdentification: gateway, messageType: 'SCAN_MBUS_CHANNELS', payload: {}, channel: 'SOAP',
    });
    submitted.push({ uid: correlationUid, gateway });
  }
  for (const { uid } of submitted) assert.equal((await platform.requests.waitForResponse(uid, 'org-a', 60_000)).result, 'OK');

  const runs = await db.query<{ correlation_uid: string; lock_key: string; pid: number; started_at: Date; finished_at: Date | null }>(
    'SELECT correlation_uid, lock_key, pid, started_at, finished_at FROM test_execution ORDER BY started_at, id',
  );
  // Exactly once: one execution per request, none left unfinished.
  assert.equal(runs.rowCount, submitted.length);
  assert.deepEqual(new Set(runs.rows.map((r) => r.correlation_uid)), new Set(submitted.map((s) => s.uid)));
  assert.ok(runs.rows.every((r) => r.finished_at), 'an execution did not finish');
  assert.equal(new Set(runs.rows.map((r) => r.pid)).size, 2, 'both worker processes executed requests');
  for (const gateway of gateways) {
    const order = runs.rows.filter((r) => r.lock_key === gateway);
    // Submission order per gateway…
    assert.deepEqual(order.map((r) => r.correlation_uid), submitted.filter((s) => s.gateway === gateway).map((s) => s.uid), `order on ${gateway}`);
    // …and one exchange at a time, whichever process ran it.
    for (let i = 1; i < order.length; i++) {
      assert.ok(new Date(order[i - 1]!.finished_at!).getTime() <= new Date(order[i]!.started_at).getTime(), `two exchanges overlapped on ${gateway}`);
    }
  }
});

// A process that takes jobs hears of the jobs another process accepted (LISTEN/NOTIFY on the queue's channel) and
// starts them at once: with an hour between its idle polls, only the notification can start them. After its
// listening connection is cut, it listens again and hears of the next ones too.
test('a worker starts the jobs another process accepted when it is told, not at its next poll, also after its listening connection was cut', requires('postgres'), async (t) => {
  const { db, url, dispose } = await freshDb('postgres');
  const workerDb = await openDb({ url: url! });
  let api: Platform | undefined;
  let worker: Platform | undefined;
  t.after(async () => {
    await worker?.stop();
    await api?.stop();
    await workerDb.close();
    await dispose();
  });
  await addOrganisation(db, { identification: 'org-a' });
  await addDevice(db, { deviceIdentification: 'E0000000000000001', deviceType: 'SMART_METER_E', ownerOrganisationIdentification: 'org-a' });
  api = await Platform.start({ db, workers: false });
  worker = await Platform.start({ db: workerDb, pollingIntervalSeconds: 3600 });
  worker.executors.register({ messageType: 'SCAN_MBUS_CHANNELS', async execute() { return { channels: [] }; } });
  const listeners = async () => (await db.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [LISTENER_APPLICATION_NAME])).rows.map((r) => r.pid);
  const until = async (what: string, ok: () => Promise<boolean>) => {
    for (let i = 0; i < 500; i++) {
      if (await ok()) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.fail(`never: ${what}`);
  };
  await until('the worker listens', async () => (await listeners()).length === 1);
  const run = async () => {
    const { correlationUid } = await api!.requests.submit({
      organisationIdentification: 'org-a', userName: 'u', applicationName: 'a', deviceIdentification: 'E0000000000000001', messageType: 'SCAN_MBUS_CHANNELS', payload: {}, channel: 'SOAP',
    });
    assert.equal((await api!.requests.waitForResponse(correlationUid, 'org-a', 20_000)).result, 'OK');
  };
  await run();
  const [cut] = await listeners();
  await db.query('SELECT pg_terminate_backend($1)', [cut]);
  await until('the worker listens again', async () => {
    const now = await listeners();
    return now.length === 1 && now[0] !== cut;
  });
  await run();
});
