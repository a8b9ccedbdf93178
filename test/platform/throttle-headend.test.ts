// The head-end in throttling mode `shared` (docs/gxf.md#throttling): a request's meter connection takes a permit in the
// database on behalf of the request (its gateway, its priority); a full pool denies it, which re-queues the request
// without counting a retry (docs/gxf.md#re-queues-that-are-not-retries), until MaxScheduleTime ends it with the retryable 211.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engines, engineOptions, freshDb } from '../support/db.ts';
import { startHeadend, type RunningHeadend } from '../../src/runtime/headend.ts';
import { SoftwareKekProvider } from '../../src/secrets/kek.ts';
import { addDevice, addOrganisation } from '../../src/platform/inventory.ts';
import { SharedThrottle } from '../../src/platform/permits.ts';
import { SimulatedMeter } from '../../src/simulator/simulator.ts';
import { TEST_KEYS } from '../../src/simulator/meter.ts';

const ORG = 'org-throttle';
const GATEWAY = 'E0000000000000077';
const actor = { actor: 'test', reason: 'fixture' };

for (const engine of engines) {
  test(`head-end on ${engine} in mode shared: meter connections take database permits for their request`, engineOptions(engine), async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mf-throttle-'));
    const { db, dispose } = await freshDb(engine);
    let h: RunningHeadend | undefined;
    let sim: SimulatedMeter | undefined;
    const other = new SharedThrottle(db, { holder: 'other-process', maxOpen: 1 });
    try {
      h = await startHeadend({
        dataDir, db, kek: SoftwareKekProvider.generate(), clientKeyBits: 1024, http: false, push: false,
        platform: { throttle: { mode: 'shared', maxOpen: 1, highPriorityWaitMs: 300 }, retry: { maxRetries: 0 }, pollingIntervalSeconds: 0.5, lockRetryMs: 50 },
        link: { connectTimeoutMs: 2000, responseTimeoutMs: 2000 },
      });
      sim = await SimulatedMeter.start({ port: 0, profile: 'smr5', framing: 'wrapper' });
      await addOrganisation(db, { identification: ORG });
      await addDevice(db, {
        deviceIdentification: GATEWAY, deviceType: 'SMART_METER_E', protocolName: 'SMR', protocolVersion: '5.0.0', host: '127.0.0.1',
        port: sim.port, transport: 'WRAPPER', hls5Active: true, withListMax: 32, ownerOrganisationIdentification: ORG,
      });
      await h.secrets.storeActive(GATEWAY, 'E_METER_AUTHENTICATION_KEY', Buffer.from(TEST_KEYS.ak, 'hex'), actor);
      await h.secrets.storeActive(GATEWAY, 'E_METER_ENCRYPTION_KEY_UNICAST', Buffer.from(TEST_KEYS.ek, 'hex'), actor);
      const submitScan = async (priority: number, maxScheduleTime?: Date) => {
        const { correlationUid } = await h!.platform.requests.submit({
          organisationIdentification: ORG, userName: 'u', applicationName: 'test', deviceIdentification: GATEWAY,
          messageType: 'SCAN_MBUS_CHANNELS', payload: {}, priority, channel: 'REST', maxScheduleTime,
        });
        return correlationUid;
      };
      const scan = async (priority: number, maxScheduleTime?: Date) => h!.platform.requests.waitForResponse(await submitScan(priority, maxScheduleTime), ORG, 30_000);

      const ok = await scan(6);
      assert.equal(ok.result, 'OK', JSON.stringify(ok.error));
      const permits = await db.query<{ device_identification: string; priority: number; released: boolean }>(
        'SELECT device_identification, priority, released_at IS NOT NULL AS released FROM connection_permit',
      );
      assert.deepEqual(permits.rows, [{ device_identification: GATEWAY, priority: 6, released: true }]);

      // Another process holds the only permit. A priority-6 request waits 300 ms, is denied and re-queued after 2 s
      // without counting a retry (maxRetries is 0 here): it ends OK once the permit is free.
      let held = await other.acquire();
      const requeued = await submitScan(6);
      const jobOf = async () => (await db.query<{ job_id: string }>('SELECT job_id FROM request WHERE correlation_uid = $1', [requeued])).rows[0]!.job_id;
      const firstJob = await jobOf();
      for (let i = 0; i < 400 && (await jobOf()) === firstJob; i++) await new Promise((res) => setTimeout(res, 25));
      assert.notEqual(await jobOf(), firstJob, 'the denied request was re-queued as a new job');
      await held();
      const later = await h.platform.requests.waitForResponse(requeued, ORG, 30_000);
      assert.equal(later.result, 'OK', JSON.stringify(later.error));
      const row = await db.query<{ retries: number }>('SELECT retries FROM request WHERE correlation_uid = $1', [requeued]);
      assert.equal(Number(row.rows[0]!.retries), 0, 'a denied permit is no retry');

      // A priority-4 request is denied at once and asks to be re-queued after 50-70 s, beyond its MaxScheduleTime:
      // it ends with the retryable 211.
      held = await other.acquire();
      const denied = await scan(4, new Date(Date.now() + 20_000));
      assert.equal(denied.result, 'NOT_OK');
      assert.equal(denied.error?.code, 211);
      await held();
    } finally {
      await h?.stop();
      await other.close();
      await sim?.close();
      await dispose();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}
