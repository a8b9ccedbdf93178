/** /metrics, /health and /ready of a running head-end, after one real request to a simulated meter. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHeadend } from '../../src/runtime/headend.ts';
import { SoftwareKekProvider } from '../../src/secrets/kek.ts';
import { SimulatedMeter } from '../../src/simulator/simulator.ts';
import { TEST_KEYS } from '../../src/simulator/meter.ts';
import { addDevice, addOrganisation } from '../../src/platform/inventory.ts';
import { freshDb } from '../support/db.ts';

test('metrics count requests by operation and result, meter round trips and connections; health and readiness answer', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'meterfabric-metrics-'));
  const { db, dispose } = await freshDb('pglite');
  const sim = await SimulatedMeter.start({ port: 0 });
  const h = await startHeadend({ dataDir, db, kek: SoftwareKekProvider.generate(), clientKeyBits: 1024, http: { host: '127.0.0.1', port: 0 }, push: false, platform: { pollingIntervalSeconds: 0.5 } });
  try {
    await addOrganisation(db, { identification: 'm-org' });
    await addDevice(db, { deviceIdentification: 'E0000000000000021', deviceType: 'SMART_METER_E', protocolName: 'SMR', protocolVersion: '5.0.0', host: '127.0.0.1', port: sim.port, ownerOrganisationIdentification: 'm-org' });
    const actor = { actor: 't', reason: 't' };
    await h.secrets.storeActive('E0000000000000021', 'E_METER_AUTHENTICATION_KEY', Buffer.from(TEST_KEYS.ak, 'hex'), actor);
    await h.secrets.storeActive('E0000000000000021', 'E_METER_ENCRYPTION_KEY_UNICAST', Buffer.from(TEST_KEYS.ek, 'hex'), actor);
    const ok = await h.platform.requests.submit({ organisationIdentification: 'm-org', userName: 'u', applicationName: 'a', deviceIdentification: 'E0000000000000021', messageType: 'SCAN_MBUS_CHANNELS', payload: {}, channel: 'REST' });
    assert.equal((await h.platform.requests.waitForResponse(ok.correlationUid, 'm-org', 20_000)).result, 'OK');
    const bad = await h.platform.requests.submit({ organisationIdentification: 'm-org', userName: 'u', applicationName: 'a', deviceIdentification: 'E0000000000000021', messageType: 'SET_MBUS_USER_KEY_BY_CHANNEL', payload: { channel: 3 }, channel: 'REST' });
    assert.equal((await h.platform.requests.waitForResponse(bad.correlationUid, 'm-org', 20_000)).result, 'NOT_OK');
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    assert.match(metrics, /meterfabric_requests\{operation="SCAN_MBUS_CHANNELS",state="DONE",result="OK"\} 1/);
    assert.match(metrics, /meterfabric_request_errors\{operation="SET_MBUS_USER_KEY_BY_CHANNEL",code="201"\} 1/);
    assert.match(metrics, /meterfabric_queue_depth 0/);
    const rtt = /meterfabric_meter_round_trip_seconds_count (\d+)/.exec(metrics);
    assert.ok(rtt && Number(rtt[1]) > 0, 'meter round trips are measured');
    assert.match(metrics, /meterfabric_meter_connections_open 0/);
    assert.equal((await fetch(`${h.url}/health`)).status, 200);
    const ready = await fetch(`${h.url}/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { ready: true });
  } finally {
    await h.stop();
    await sim.close();
    await dispose();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
