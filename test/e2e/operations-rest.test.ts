/**
 * The M-Bus operations through the REST API over real HTTP against simulated gateways (docs/gxf.md#m-bus-operations):
 * 202 + Location, then GET /api/v1/responses/{correlationUid}; meter effects read from the simulator.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { oaepEncrypt, restOperation, type RestOutcome } from '../support/e2e.ts';
import type { RunningHeadend } from '../../src/runtime/headend.ts';
import { withHttpHeadend } from '../support/http-headend.ts';
import { addOrganisation, updateOrganisation } from '../../src/platform/inventory.ts';
import { SimulatedMeter } from '../../src/simulator/simulator.ts';
import { TEST_KEYS, TEST_GMETER } from '../../src/simulator/meter.ts';

const ORG = 'grid-operator';
const OTHER = 'other-operator';
const GM = 'G0051004000000001';

interface Fixture {
  h: RunningHeadend;
  url: string;
  sims: SimulatedMeter[];
  gateway(id: string, protocol: string, opts?: { hdlc?: boolean }): Promise<SimulatedMeter>;
  gMeter(id: string, opts?: { identification?: string; defaultKey?: string | null }): Promise<void>;
}

/** Authorization headers of the running fixture, per organisation (API tokens). */
let auth: Record<string, Record<string, string>> = {};

async function withHeadend(fn: (f: Fixture) => Promise<void>): Promise<void> {
  await withHttpHeadend(async (e) => {
    await addOrganisation(e.db, { identification: ORG });
    await addOrganisation(e.db, { identification: OTHER });
    auth = { [ORG]: await e.auth(ORG), [OTHER]: await e.auth(OTHER) };
    await fn({
      h: e.h,
      url: e.url,
      sims: e.sims,
      gateway: (id, protocol, opts = {}) => e.gateway(id, ORG, { protocol, hdlc: opts.hdlc }),
      gMeter: (id, opts = {}) => e.gMeter(id, ORG, opts),
    });
  });
}


type Outcome = RestOutcome;

/** POSTs an operation (as `org`, with its credentials) and waits for its response. */
const op = (url: string, path: string, body: unknown = {}, org = ORG): Promise<Outcome> => restOperation(url, path, org, body, auth[org]);

async function assertMeterHoldsActive(f: Fixture, sim: SimulatedMeter, gm = GM, channel = 1) {
  const active = await f.h.secrets.getActive(gm, 'G_METER_ENCRYPTION_KEY');
  assert.ok(active && sim.gMeterKey(channel)?.equals(active.key), 'the G-meter holds the ACTIVE key');
  assert.equal(await f.h.secrets.getNew(gm, 'G_METER_ENCRYPTION_KEY'), undefined);
}

test('REST: M-Bus key operations on SMR5, DSMR4 and HDLC gateways', async () => {
  await withHeadend(async (f) => {
    for (const [gw, protocol, hdlc, gm] of [['E0051004000000001', 'SMR 5.0.0', false, GM], ['E0051004000000002', 'DSMR 4.2.2', false, 'G0051004000000002'], ['E0051004000000003', 'SMR 5.5', true, 'G0051004000000003']] as const) {
      const sim = await f.gateway(gw, protocol, { hdlc });
      await f.gMeter(gm, { identification: TEST_GMETER.identification });
      const set = await op(f.url, `/devices/${gw}/mbus/channels/1/user-key`);
      assert.equal(set.result, 'OK', `${protocol}: ${JSON.stringify(set.error)}`);
      await assertMeterHoldsActive(f, sim, gm);
      // The identity is shared by the three G-meters: take the coupled one off the inventory for the next gateway.
      await f.h.db.query('UPDATE device SET mbus_identification_number = $2 WHERE device_identification = $1', [gm, `9${gw.slice(-7)}`]);
    }
    // the first gateway again with its G-meter's identity back
    await f.h.db.query('UPDATE device SET mbus_identification_number = $2 WHERE device_identification = $1', [GM, TEST_GMETER.identification]);
    const smr5 = f.sims[0]!;

    // SetKeyOnGMeter: user key, optical port key, firmware key, close optical port
    const user = await op(f.url, `/devices/${GM}/mbus/keys`, { secretType: 'G_METER_ENCRYPTION_KEY' });
    assert.equal(user.result, 'OK', JSON.stringify(user.error));
    await assertMeterHoldsActive(f, smr5);
    for (const secretType of ['G_METER_OPTICAL_PORT_KEY', 'G_METER_FIRMWARE_UPDATE_AUTHENTICATION_KEY']) {
      const r = await op(f.url, `/devices/${GM}/mbus/keys`, { secretType });
      assert.equal(r.result, 'OK', `${secretType}: ${JSON.stringify(r.error)}`);
      assert.ok(await f.h.secrets.getActive(GM, secretType as 'G_METER_OPTICAL_PORT_KEY'), `${secretType} is ACTIVE in the store`);
    }
    const optical = (await f.h.secrets.getActive(GM, 'G_METER_OPTICAL_PORT_KEY'))!.key;
    const close = await op(f.url, `/devices/${GM}/mbus/keys`, { secretType: 'G_METER_OPTICAL_PORT_KEY', closeOpticalPort: true });
    assert.equal(close.result, 'OK', JSON.stringify(close.error));
    assert.ok((await f.h.secrets.getActive(GM, 'G_METER_OPTICAL_PORT_KEY'))!.key.equals(optical), 'closing the optical port stores no key');
    // DSMR4 gateway + optical port key -> a clear 416
    const dsmr4 = await op(f.url, '/devices/G0051004000000002/mbus/keys', { secretType: 'G_METER_OPTICAL_PORT_KEY' });
    assert.equal(dsmr4.result, 'NOT_OK');
    assert.equal(dsmr4.error?.code, 416);
    assert.match(dsmr4.error!.message, /DSMR 4\.2\.2 and key type G_METER_OPTICAL_PORT_KEY/);

    // key status by M-Bus device and by channel; an empty channel is NO_ENCRYPTION_KEY
    const status = await op(f.url, `/devices/${GM}/mbus/encryption-key-status`);
    assert.deepEqual(status.data, { mbusDeviceIdentification: GM, encryptionKeyStatus: 'ENCRYPTION_KEY_IN_USE' });
    const byChannel = await op(f.url, '/devices/E0051004000000001/mbus/channels/1/encryption-key-status');
    assert.deepEqual(byChannel.data, { channel: 1, encryptionKeyStatus: 'ENCRYPTION_KEY_IN_USE' });
    const empty = await op(f.url, '/devices/E0051004000000001/mbus/channels/2/encryption-key-status');
    assert.deepEqual(empty.data, { channel: 2, encryptionKeyStatus: 'NO_ENCRYPTION_KEY' });

    // a meter failing mid-way: transfer_key answered with an error -> NOT_OK with a readable message
    smr5.faults = { methodError: { classId: 72, obis: '0-1:24.1.0.255', methodId: 8, result: 2 } };
    const failing = await op(f.url, '/devices/E0051004000000001/mbus/channels/1/user-key');
    smr5.faults = {};
    assert.equal(failing.result, 'NOT_OK');
    assert.ok(failing.error && failing.error.message.length > 0);
    assert.doesNotMatch(failing.error.message, /[0-9a-f]{32}/i, 'no key material in the message');
    // and the next request reconciles
    assert.equal((await op(f.url, '/devices/E0051004000000001/mbus/channels/1/user-key')).result, 'OK');
    await assertMeterHoldsActive(f, smr5);
  });
});

test('REST: scan, couple, decouple and their GXF errors', async () => {
  await withHeadend(async (f) => {
    const GW = 'E0051004000000001';
    const sim = await f.gateway(GW, 'SMR 5.0.0');
    await f.gMeter(GM);
    const scan = await op(f.url, `/devices/${GW}/mbus/scan`);
    assert.equal(scan.result, 'OK');
    assert.equal(scan.data.channels.length, 4);
    assert.equal(scan.data.channels[0].identificationNumber, TEST_GMETER.identification);
    assert.equal(scan.data.channels[1].identificationNumber, '00000000');

    // full match on channel 1
    const couple = await op(f.url, `/devices/${GW}/mbus/couple`, { mbusDeviceIdentification: GM });
    assert.equal(couple.result, 'OK', JSON.stringify(couple.error));
    assert.equal(couple.data.channelElementValues.channel, 1);
    // decouple empties the channel on the meter
    const decouple = await op(f.url, `/devices/${GW}/mbus/decouple`, { mbusDeviceIdentification: GM });
    assert.equal(decouple.result, 'OK', JSON.stringify(decouple.error));
    assert.deepEqual(decouple.data, { mbusDeviceIdentification: GM, channel: 1 });
    assert.equal(sim.gMeter(1)?.identification ?? '00000000', '00000000');
    // nothing matches any more: the identity is written to the first empty channel
    const written = await op(f.url, `/devices/${GW}/mbus/couple`, { mbusDeviceIdentification: GM });
    assert.equal(written.result, 'OK', JSON.stringify(written.error));
    assert.equal(written.data.channelElementValues.identificationNumber, TEST_GMETER.identification);
    // by channel: an empty channel is 219, an unknown identity 218
    const e219 = await op(f.url, `/devices/${GW}/mbus/channels/3/couple`);
    assert.equal(e219.error?.code, 219);
    sim.installGMeter(3, { primaryAddress: 3, identification: '77777777', manufacturer: 'ITF', version: 1, deviceType: 3, defaultKey: Buffer.alloc(16, 1) });
    const e218 = await op(f.url, `/devices/${GW}/mbus/channels/3/couple`);
    assert.equal(e218.error?.code, 218);
    const byChannel = await op(f.url, `/devices/${GW}/mbus/channels/3/decouple`);
    assert.equal(byChannel.result, 'OK');
    assert.equal(byChannel.data.channelElementValues.identificationNumber, '77777777');
    // 216: coupled to another gateway
    const GW2 = 'E0051004000000002';
    await f.gateway(GW2, 'SMR 5.0.0');
    const e216 = await op(f.url, `/devices/${GW2}/mbus/couple`, { mbusDeviceIdentification: GM });
    assert.equal(e216.error?.code, 216);
  });
});

test('REST: AddDevice with RSA-OAEP keys, and request errors', async () => {
  await withHeadend(async (f) => {
    const pem = await (await fetch(`${f.url}/api/v1/platform/public-key`)).text();
    const oaep = (hex: string) => oaepEncrypt(pem, hex);
    const gm = await op(f.url, '/devices', {
      deviceIdentification: 'G0051004000000009', deviceType: 'SMART_METER_G', mbusIdentificationNumber: '12056731',
      mbusManufacturerIdentification: 'FLO', mbusVersion: 80, mbusDeviceTypeIdentification: 3, mbusDefaultKey: oaep(TEST_KEYS.gMeterDefaultKey),
    });
    assert.equal(gm.result, 'OK', JSON.stringify(gm.body));
    assert.ok((await f.h.secrets.getActive('G0051004000000009', 'G_METER_MASTER_KEY'))!.key.equals(Buffer.from(TEST_KEYS.gMeterDefaultKey, 'hex')));
    const again = await op(f.url, '/devices', { deviceIdentification: 'G0051004000000009', deviceType: 'SMART_METER_G', mbusDefaultKey: oaep(TEST_KEYS.gMeterDefaultKey) });
    assert.equal(again.error?.code ?? again.body?.code, 204, JSON.stringify(again.body));

    const GW = 'E0051004000000001';
    await f.gateway(GW, 'SMR 5.0.0');
    await f.gateway('E0051004000000043', 'SMR 4.3');
    const empty = await op(f.url, `/devices/${GW}/mbus/channels/2/user-key`);
    assert.equal(empty.error?.code, 201);
    assert.match(empty.error!.message, /Unable to find M-Bus device for M-Bus identification number: 00000000/);
    const unknownMbus = await op(f.url, `/devices/${GW}/mbus/channels/1/user-key`); // 12056731 is G0051004000000009, no gateway yet: coupled now
    assert.equal(unknownMbus.result, 'OK', JSON.stringify(unknownMbus.error));
    const smr43 = await op(f.url, '/devices/E0051004000000043/mbus/channels/1/user-key');
    assert.equal(smr43.error?.code, 416);
    // organisation and device checks happen when the request is taken (HTTP status with GXF code)
    // an organisation the platform does not know holds no credentials: 401 (224), whatever header it sends
    const unknownOrg = await op(f.url, `/devices/${GW}/mbus/scan`, {}, 'nobody');
    assert.equal(unknownOrg.status, 401);
    assert.equal(unknownOrg.body.code, 224, JSON.stringify(unknownOrg.body));
    const unknownDevice = await op(f.url, '/devices/E9999999999999999/mbus/scan');
    assert.equal(unknownDevice.body.code, 201, JSON.stringify(unknownDevice.body));
    const notAuthorised = await op(f.url, `/devices/${GW}/mbus/scan`, {}, OTHER);
    assert.equal(notAuthorised.body.code, 301, JSON.stringify(notAuthorised.body));
    await updateOrganisation(f.h.db, OTHER, { enabled: false });
    const disabled = await op(f.url, `/devices/${GW}/mbus/scan`, {}, OTHER);
    assert.equal(disabled.body.code, 104, JSON.stringify(disabled.body));
  });
});
