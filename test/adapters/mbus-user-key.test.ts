/**
 * SetMbusUserKeyByChannel through the platform (queue, worker, executor) to simulated gateways over TCP:
 * the G-meter in the simulator must end up holding exactly the key the store holds as ACTIVE.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engines, engineOptions } from '../support/db.ts';
import { startHeadend, type Headend } from '../support/headend.ts';
import { MessageType } from '../../src/operations/catalogue.ts';
import { testGMeter } from '../../src/simulator/meter.ts';

const ORG = 'test-org';
const GW = 'E0051004000000001';
const GM = 'G0051004000000001';

async function submit(h: Headend, messageType: string, device: string, payload: unknown, extra: Record<string, unknown> = {}) {
  const { correlationUid } = await h.platform.requests.submit({
    organisationIdentification: ORG,
    userName: 'tester',
    applicationName: 'tests',
    deviceIdentification: device,
    messageType,
    payload,
    channel: 'SOAP',
    ...extra,
  });
  return h.platform.requests.waitForResponse(correlationUid, ORG, 20_000);
}

async function assertMeterHoldsActiveKey(h: Headend, channel = 1, sim = h.meters[0]) {
  const active = await h.secrets.getActive(GM, 'G_METER_ENCRYPTION_KEY');
  assert.ok(active, 'the store holds an ACTIVE user key');
  assert.ok(sim.gMeterKey(channel)?.equals(active.key), 'the G-meter holds the ACTIVE key');
  assert.equal(sim.encryptionKeyStatus(channel), 4);
  assert.equal(await h.secrets.getNew(GM, 'G_METER_ENCRYPTION_KEY'), undefined, 'no key is left pending');
}

for (const engine of engines) {
  for (const [protocol, hdlc] of [['SMR 5.0.0', false], ['DSMR 4.2.2', false], ['SMR 5.5', true]] as const) {
    test(`${engine}: SetMbusUserKeyByChannel on ${protocol}${hdlc ? ' over HDLC' : ''} sets the ACTIVE key on the G-meter`, engineOptions(engine), async () => {
      const h = await startHeadend(engine);
      try {
        await h.addOrganisation(ORG);
        await h.addGateway(GW, ORG, { protocol, hdlc });
        await h.addGMeter(GM, ORG);
        const r = await submit(h, MessageType.SET_MBUS_USER_KEY_BY_CHANNEL, GW, { channel: 1 });
        assert.equal(r.result, 'OK', JSON.stringify(r.error));
        await assertMeterHoldsActiveKey(h);
        // the coupling the meter reported is now in the inventory
        const row = await h.db.query<{ gateway_device_identification: string; channel: number }>('SELECT gateway_device_identification, channel FROM device WHERE device_identification = $1', [GM]);
        assert.deepEqual({ ...row.rows[0] }, { gateway_device_identification: GW, channel: 1 });
        // a second run rotates the key and expires the first
        const first = (await h.secrets.getActive(GM, 'G_METER_ENCRYPTION_KEY'))!.key;
        assert.equal((await submit(h, MessageType.SET_MBUS_USER_KEY_BY_CHANNEL, GW, { channel: 1 })).result, 'OK');
        const second = (await h.secrets.getActive(GM, 'G_METER_ENCRYPTION_KEY'))!.key;
        assert.ok(!first.equals(second));
        await assertMeterHoldsActiveKey(h);
      } finally {
        await h.stop();
      }
    });
  }
}

test('functional errors end NOT_OK at once, with GXF codes, and without meter contact where possible', async () => {
  const h = await startHeadend('pglite', { retry: { maxRetries: 2, baseDelayMs: 60_000 } });
  try {
    await h.addOrganisation(ORG);
    const sim = await h.addGateway(GW, ORG);
    await h.addGateway('E0051004000000043', ORG, { protocol: 'SMR 4.3' });
    await h.addGMeter(GM, ORG);
    // empty channel -> 201 with GXF's text, not retried (a retry would wait a minute here)
    const empty = await submit(h, MessageType.SET_MBUS_USER_KEY_BY_CHANNEL, GW, { channel: 2 });
    assert.equal(empty.result, 'NOT_OK');
    assert.equal(empty.error?.code, 201);
    assert.match(empty.error!.message, /Unable to find M-Bus device for M-Bus identification number: 00000000/);
    // unsupported protocol -> 416, decided before connecting
    const connectionsBefore = sim.openConnections;
    const smr43 = await submit(h, MessageType.SET_MBUS_USER_KEY_BY_CHANNEL, 'E0051004000000043', { channel: 1 });
    assert.equal(smr43.error?.code, 416);
    assert.equal(sim.openConnections, connectionsBefore);
    // G-meter present on the meter but unknown to the platform
    await h.db.query('DELETE FROM device WHERE device_identification = $1', [GM]);
    const unknown = await submit(h, MessageType.SET_MBUS_USER_KEY_BY_CHANNEL, GW, { channel: 1 });
    assert.equal(unknown.error?.code, 201);
    assert.match(unknown.error!.message, /12056731 and manufacturer ID: FLO/);
    // known G-meter (registered under another id) without a default key -> 806 KEY_NOT_PRESENT
    await h.addGMeter('G0051004000000002', ORG, { defaultKey: null });
    const noKey = await submit(h, MessageType.SET_MBUS_USER_KEY_BY_CHANNEL, GW, { channel: 1 });
    assert.equal(noKey.error?.code, 806);
    assert.equal(sim.gMeterKey(1), undefined, 'nothing reached the G-meter');
  } finally {
    await h.stop();
  }
});

test('a line drop after transfer_key is recovered by the retry with the same pending key', async () => {
  const h = await startHeadend('pglite', { retry: { maxRetries: 2, baseDelayMs: 1500 } });
  try {
    await h.addOrganisation(ORG);
    const sim = await h.addGateway(GW, ORG);
    await h.addGMeter(GM, ORG);
    // APDUs of one association: AARQ 1, HLS 2, get-with-list 3, transfer_key 4, set_encryption_key 5:
    // the line drops when set_encryption_key arrives, after the G-meter took the transferred key.
    sim.faults = { dropAfterApdus: 5 };
    const { correlationUid } = await h.platform.requests.submit({
      organisationIdentification: ORG, userName: 'u', applicationName: 'a', deviceIdentification: GW,
      messageType: MessageType.SET_MBUS_USER_KEY_BY_CHANNEL, payload: { channel: 1 }, channel: 'SOAP',
    });
    for (let i = 0; i < 400 && !sim.gMeterKey(1); i++) await new Promise((r) => setTimeout(r, 10));
    sim.faults = {};
    const pending = await h.secrets.getNew(GM, 'G_METER_ENCRYPTION_KEY');
    assert.ok(pending, 'the key is still pending after the drop');
    assert.ok(sim.gMeterKey(1)?.equals(pending.key), 'the G-meter got the transferred key before the drop');
    const meta = (await h.secrets.list(GM)).find((m) => m.secretId === pending.secretId);
    assert.equal(meta?.sent, true, 'the pending key was marked sent before transfer_key left');
    const r = await h.platform.requests.waitForResponse(correlationUid, ORG, 20_000);
    assert.equal(r.result, 'OK', JSON.stringify(r.error));
    const active = (await h.secrets.getActive(GM, 'G_METER_ENCRYPTION_KEY'))!.key;
    assert.ok(active.equals(pending.key), 'the retry reused the pending key instead of generating another');
    await assertMeterHoldsActiveKey(h);
  } finally {
    await h.stop();
  }
});

test('a replaced gas meter: SetMbusUserKeyByChannel couples the new G-meter and releases the old one from that channel', async () => {
  const h = await startHeadend('pglite');
  try {
    await h.addOrganisation(ORG);
    const sim = await h.addGateway(GW, ORG);
    await h.addGMeter(GM, ORG);
    assert.equal((await submit(h, MessageType.SET_MBUS_USER_KEY_BY_CHANNEL, GW, { channel: 1 })).result, 'OK');
    // The field engineer swaps the gas meter on channel 1; the new one is in the inventory but not yet coupled.
    const NEW_GM = 'G0051004000000077';
    await h.addGMeter(NEW_GM, ORG, { identification: '33445566' });
    sim.installGMeter(1, { ...testGMeter(), identification: '33445566' });
    const r = await submit(h, MessageType.SET_MBUS_USER_KEY_BY_CHANNEL, GW, { channel: 1 });
    assert.equal(r.result, 'OK', JSON.stringify(r.error));
    const rows = await h.db.query<{ device_identification: string; gateway_device_identification: string | null; channel: number | null }>(
      'SELECT device_identification, gateway_device_identification, channel FROM device WHERE device_identification = ANY($1) ORDER BY device_identification',
      [[GM, NEW_GM]],
    );
    assert.deepEqual(rows.rows.map((x) => ({ ...x })), [
      { device_identification: GM, gateway_device_identification: null, channel: null },
      { device_identification: NEW_GM, gateway_device_identification: GW, channel: 1 },
    ]);
    const active = await h.secrets.getActive(NEW_GM, 'G_METER_ENCRYPTION_KEY');
    assert.ok(active && sim.gMeterKey(1)?.equals(active.key), 'the new G-meter holds its ACTIVE key');
  } finally {
    await h.stop();
  }
});
