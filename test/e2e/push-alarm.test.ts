/**
 * The alarm use case end to end: a simulated gateway gets a new G-meter on channel 2 and pushes
 * NEW_M_BUS_DEVICE_DISCOVERED_CHANNEL_2; the platform stores the alarm for the owner, sends SendNotification
 * (PUSH_NOTIFICATION_ALARM, result OK, the E-meter as device), and with the policy on sets the M-Bus user key on
 * that channel by itself — for a ciphered push always, for a plaintext push only when the organisation allows it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHeadend, type RunningHeadend } from '../../src/runtime/headend.ts';
import { SoftwareKekProvider } from '../../src/secrets/kek.ts';
import { SimulatedMeter } from '../../src/simulator/simulator.ts';
import { TEST_KEYS } from '../../src/simulator/meter.ts';
import { alarmPushBytes, newMbusDeviceAlarm, sendPush } from '../../src/simulator/push.ts';
import { addOrganisation, addDevice, updateOrganisation } from '../../src/platform/inventory.ts';
import { freshDb } from '../support/db.ts';
import { until } from '../support/e2e.ts';

const ORG = 'alarm-org';
const GM2 = 'G0000000000000002';


test('a new M-Bus device alarm is stored, notified, and (by policy) answered with SetMbusUserKeyByChannel', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'meterfabric-push-'));
  const { db, dispose } = await freshDb('pglite');
  const notifications: string[] = [];
  const receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      notifications.push(body);
      res.writeHead(200, { 'content-type': 'text/xml' }).end('<ok/>');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/notify`;
  const sim = await SimulatedMeter.start({ port: 0, profile: 'smr5', systemTitle: '4B464D1020000077' });
  const GW = sim.state.equipmentId;
  let h: RunningHeadend | undefined;
  try {
    h = await startHeadend({
      dataDir, db, kek: SoftwareKekProvider.generate(), clientKeyBits: 1024, http: false,
      push: { host: '127.0.0.1', port: 0 },
      platform: { retry: { maxRetries: 0, baseDelayMs: 100 }, pollingIntervalSeconds: 0.5, notifications: { pollMs: 50 } },
      link: { connectTimeoutMs: 2000, responseTimeoutMs: 2000 },
    });
    await addOrganisation(db, { identification: ORG, notificationUrl: receiverUrl, autoRekeyOnAlarm: true });
    await addDevice(db, { deviceIdentification: GW, deviceType: 'SMART_METER_E', protocolName: 'SMR', protocolVersion: '5.0.0', host: '127.0.0.1', port: sim.port, ownerOrganisationIdentification: ORG });
    const actor = { actor: 'test', reason: 'fixture' };
    await h.secrets.storeActive(GW, 'E_METER_AUTHENTICATION_KEY', Buffer.from(TEST_KEYS.ak, 'hex'), actor);
    await h.secrets.storeActive(GW, 'E_METER_ENCRYPTION_KEY_UNICAST', Buffer.from(TEST_KEYS.ek, 'hex'), actor);
    await addDevice(db, { deviceIdentification: GM2, deviceType: 'SMART_METER_G', mbusIdentificationNumber: '30000002', mbusManufacturerIdentification: 'LGB', mbusVersion: 66, mbusDeviceTypeIdentification: 3, ownerOrganisationIdentification: ORG });
    const defaultKey = Buffer.from('101112131415161718191A1B1C1D1E1F', 'hex');
    await h.secrets.storeActive(GM2, 'G_METER_MASTER_KEY', defaultKey, actor);

    // One association teaches the platform the meter's system title (needed to decipher its pushes).
    const scan = await h.platform.requests.submit({ organisationIdentification: ORG, userName: 'u', applicationName: 'a', deviceIdentification: GW, messageType: 'SCAN_MBUS_CHANNELS', payload: {}, channel: 'REST' });
    assert.equal((await h.platform.requests.waitForResponse(scan.correlationUid, ORG, 15_000)).result, 'OK');

    // The gas meter is installed on channel 2 and the gateway pushes the alarm, first in plaintext.
    sim.installGMeter(2, { primaryAddress: 2, identification: '30000002', manufacturer: 'LGB', version: 66, deviceType: 3, defaultKey });
    await sendPush(alarmPushBytes(sim.state, 'smr5', newMbusDeviceAlarm(2)), { host: '127.0.0.1', port: h.push!.tcpPort! });
    const stored = await until(async () => (await db.query<{ correlation_uid: string; message_data: { data: { alarms: string[] } } }>(`SELECT correlation_uid, message_data FROM response_data WHERE message_type = 'PUSH_NOTIFICATION_ALARM'`)).rows[0]);
    assert.deepEqual(stored.message_data.data.alarms, ['NEW_M_BUS_DEVICE_DISCOVERED_CHANNEL_2']);
    const note = await until(async () => notifications.find((n) => n.includes('PUSH_NOTIFICATION_ALARM')));
    assert.match(note, new RegExp(`<ns2:deviceIdentification>${GW}</ns2:deviceIdentification>`));
    assert.match(note, /<ns2:result>OK<\/ns2:result>/);
    assert.match(note, new RegExp(stored.correlation_uid));
    // Plaintext pushes are unauthenticated: no automatic rekey unless the organisation allows them. The policy's
    // decision is recorded on the push once made; wait for it, then nothing may have been queued.
    const decision = (where: string, ...params: unknown[]) =>
      until(async () => (await db.query<{ auto_rekey: string | null }>(`SELECT auto_rekey FROM push_message WHERE ${where} ORDER BY id DESC LIMIT 1`, params)).rows[0]?.auto_rekey ?? undefined);
    assert.equal(await decision('correlation_uid = $1', stored.correlation_uid), 'PLAINTEXT_REFUSED');
    const auto = () => db.query(`SELECT correlation_uid FROM request WHERE message_type = 'SET_MBUS_USER_KEY_BY_CHANNEL'`);
    assert.equal((await auto()).rowCount, 0);

    // A ciphered push (the meter's own keys, a fresh invocation counter) is trusted and triggers the rekey.
    const ciphered = alarmPushBytes(sim.state, 'smr5-ciphered', newMbusDeviceAlarm(2));
    await sendPush(ciphered, { host: '127.0.0.1', port: h.push!.tcpPort!, transport: 'tcp' });
    const req = await until(async () => (await auto()).rows[0] as { correlation_uid: string } | undefined);
    assert.equal(await decision(`format = 'SMR5_CIPHERED'`), 'REQUESTED');
    const done = await h.platform.requests.waitForResponse(req.correlation_uid, ORG, 20_000);
    assert.equal(done.result, 'OK', JSON.stringify(done.error));
    const active = await h.secrets.getActive(GM2, 'G_METER_ENCRYPTION_KEY');
    assert.ok(active && sim.gMeterKey(2)?.equals(active.key), 'the new G-meter holds the ACTIVE key');

    // A replayed ciphered push is refused (invocation counter not newer) and starts nothing.
    await sendPush(ciphered, { host: '127.0.0.1', port: h.push!.udpPort!, transport: 'udp' });
    await until(async () => (await db.query(`SELECT 1 FROM push_message WHERE error IS NOT NULL AND device_identification IS NULL`)).rows[0]);
    assert.equal((await auto()).rowCount, 1);

    // With plaintext triggers allowed, a plaintext alarm for channel 2 is still rate-limited (one per window).
    await updateOrganisation(db, ORG, { autoRekeyOnAlarm: true });
    await db.query('UPDATE organisation SET auto_rekey_allow_plaintext = true WHERE identification = $1', [ORG]);
    await sendPush(alarmPushBytes(sim.state, 'dsmr4', newMbusDeviceAlarm(2)), { host: '127.0.0.1', port: h.push!.tcpPort! });
    assert.equal(await decision(`format = 'DSMR4'`), 'RATE_LIMITED');
    assert.equal((await auto()).rowCount, 1);
  } finally {
    await h?.stop();
    await sim.close();
    await new Promise((r) => receiver.close(() => r(undefined)));
    await dispose();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
