// The head-end in throttling mode `shared` (GXF-SEMANTICS §10): a request's meter connection takes a permit in the
// database on behalf of the request (its gateway, its priority), and a full pool denies it with the retryable 211.
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
        platform: { throttle: { mode: 'shared', maxOpen: 1 }, retry: { maxRetries: 0 }, pollingIntervalSeconds: 0.5, lockRetryMs: 50 },
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
      const scan = async (priority: number) => {
        const { correlationUid } = await h!.platform.requests.submit({
          organisationIdentification: ORG, userName: 'u', applicationName: 'test', deviceIdentification: GATEWAY,
          messageType: 'SCAN_MBUS_CHANNELS', payload: {}, priority, channel: 'REST',
        });
        return h!.platform.requests.waitForResponse(correlationUid, ORG, 30_000);
      };

      const ok = await scan(6);
      assert.equal(ok.result, 'OK', JSON.stringify(ok.error));
      const permits = await db.query<{ device_identification: string; priority: number; released: boolean }>(
        'SELECT device_identification, priority, released_at IS NOT NULL AS released FROM connection_permit',
      );
      assert.deepEqual(permits.rows, [{ device_identification: GATEWAY, priority: 6, released: true }]);

      // Another process holds the only permit: a priority-4 request is denied at once with the retryable 211.
      const held = await other.acquire();
      const denied = await scan(4);
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
