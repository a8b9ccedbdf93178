/**
 * Coupling and decoupling M-Bus devices end to end through the REST API, against simulated gateways, following
 * GXF's rules (docs/gxf.md#coupling-and-decoupling): CoupleMbusDeviceByChannel only reads the channel and matches the inventory by
 * (identification number, manufacturer); CoupleMbusDevice checks 216/217 in the inventory (skipped with Force),
 * then picks full match → best partial match → first empty channel (written) on the meter, else 215.
 * Meter state is read from the simulator, the inventory through the REST admin API.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningHeadend } from '../../src/runtime/headend.ts';
import { withHttpHeadend } from '../support/http-headend.ts';
import { addOrganisation } from '../../src/platform/inventory.ts';
import { SimulatedMeter } from '../../src/simulator/simulator.ts';
import { TEST_KEYS, type GMeterState } from '../../src/simulator/meter.ts';
import { SOAP_BASE, SOAP_NS, xpathAll, restOperation, type RestOutcome } from '../support/e2e.ts';

const ORG = 'grid-operator';
const ADMIN = 'OSGP'; // the platform's own administrator organisation, created at start

interface Identity { identification: string; manufacturer: string; version: number; deviceType: number }
interface InventoryIdentity extends Identity { primaryAddress: number }

interface Fixture {
  h: RunningHeadend;
  url: string;
  gateway(id: string, channels?: (GMeterState | undefined)[], protocol?: string): Promise<SimulatedMeter>;
  gMeter(id: string, identity?: Partial<InventoryIdentity>, coupled?: { gateway: string; channel: number }): Promise<void>;
}

/** Authorization headers of the running fixture: the organisation's API token and the ADMIN token. */
let orgAuth: Record<string, string> = {};
let adminAuth: Record<string, string> = {};

async function withHeadend(fn: (f: Fixture) => Promise<void>): Promise<void> {
  await withHttpHeadend(async (e) => {
    await addOrganisation(e.db, { identification: ORG });
    orgAuth = await e.auth(ORG);
    adminAuth = await e.auth(ADMIN);
    await fn({
      h: e.h,
      url: e.url,
      gateway: (id, channels, protocol) => e.gateway(id, ORG, { channels, ...(protocol ? { protocol } : {}) }),
      gMeter: (id, identity = {}, coupled) => e.gMeter(id, ORG, { ...identity, coupled, defaultKey: null }),
    });
  });
}


type Outcome = RestOutcome;

/** POSTs an operation as the grid operator and waits for its response. */
const op = (url: string, path: string, body: unknown = {}): Promise<Outcome> => restOperation(url, path, ORG, body, orgAuth);

/** The inventory's coupling of a device, as the REST admin API reports it. */
async function coupling(url: string, id: string) {
  const res = await fetch(`${url}/api/v1/admin/devices/${id}`, { headers: { 'x-organisation-identification': ADMIN, ...adminAuth } });
  const d = await res.json() as any;
  assert.equal(res.status, 200, JSON.stringify(d));
  return {
    gateway: d.gatewayDeviceIdentification, channel: d.channel, primaryAddress: d.mbusPrimaryAddress,
    identification: d.mbusIdentificationNumber, manufacturer: d.mbusManufacturerIdentification, version: d.mbusVersion, deviceType: d.mbusDeviceTypeIdentification,
  };
}

/** A by-channel installation operation through GXF SOAP: the request, then its AsyncRequest until answered. */
async function soapByChannel(url: string, op: 'CoupleMbusDeviceByChannel' | 'DecoupleMbusDeviceByChannel', gateway: string, channel: number) {
  const ns = Object.entries(SOAP_NS).filter(([k]) => k !== 's').map(([k, v]) => `xmlns:${k}="${v}"`).join(' ');
  const post = async (body: string) => {
    const res = await fetch(`${url}${SOAP_BASE}/installationService/`, {
      method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""', ...orgAuth },
      body: `<s:Envelope xmlns:s="${SOAP_NS.s}" ${ns}><s:Header><c:OrganisationIdentification>${ORG}</c:OrganisationIdentification><c:UserName>operator</c:UserName><c:ApplicationName>e2e</c:ApplicationName></s:Header><s:Body>${body}</s:Body></s:Envelope>`,
    });
    return { status: res.status, xml: await res.text() };
  };
  const accepted = await post(`<inst:${op}Request><inst:DeviceIdentification>${gateway}</inst:DeviceIdentification><inst:${op}RequestData><inst:Channel>${channel}</inst:Channel></inst:${op}RequestData></inst:${op}Request>`);
  assert.equal(accepted.status, 200, accepted.xml);
  const correlationUid = xpathAll(accepted.xml, '//c:CorrelationUid')[0]!;
  for (let i = 0; i < 1200; i++) {
    const r = await post(`<inst:${op}AsyncRequest><c:DeviceIdentification>${gateway}</c:DeviceIdentification><c:CorrelationUid>${correlationUid}</c:CorrelationUid></inst:${op}AsyncRequest>`);
    if (!(r.status === 500 && xpathAll(r.xml, '//c:FunctionalFault/c:Code')[0] === '405')) return r;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`no response for ${op}`);
}

/** ChannelElementValues of a SOAP answer by element name, checked to come in the schema's order. */
function soapChannelValues(xml: string): [string, string | undefined][] | undefined {
  const inDocumentOrder = xpathAll(xml, '//inst:ChannelElementValues/*');
  if (inDocumentOrder.length === 0) return undefined;
  const byName = ['Channel', 'PrimaryAddress', 'IdentificationNumber', 'ManufacturerIdentification', 'Version', 'DeviceTypeIdentification']
    .map((n): [string, string | undefined] => [n, xpathAll(xml, `//inst:ChannelElementValues/inst:${n}`)[0]]);
  assert.deepEqual(inDocumentOrder, byName.map(([, v]) => v), 'ChannelElementValues children in schema order');
  return byName;
}

const NOT_COUPLED = { gateway: null, channel: null };

/** The identity a simulated channel holds (undefined when nothing was ever there). */
function onMeter(sim: SimulatedMeter, channel: number) {
  const g = sim.gMeter(channel);
  return g && { primaryAddress: g.primaryAddress, identification: g.identification, manufacturer: g.manufacturer, version: g.version, deviceType: g.deviceType };
}

const gMeterOnChannel = (primaryAddress: number, identity: Identity): GMeterState => ({ primaryAddress, ...identity, defaultKey: Buffer.from(TEST_KEYS.gMeterDefaultKey, 'hex') });

test('CoupleMbusDeviceByChannel: match by identification number and manufacturer, 218, 219, and a stale coupling on the channel', async () => {
  await withHeadend(async (f) => {
    const GW = 'E0051004000000001';
    const sim = await f.gateway(GW); // channel 1: the test G-meter 12056731 FLO v80 type 3, primary address 9
    const GM = 'G0051004000000001';
    await f.gMeter(GM);

    // Full match on channel 1: coupled with the meter's primary address; the meter is only read.
    const full = await op(f.url, `/devices/${GW}/mbus/channels/1/couple`);
    assert.equal(full.result, 'OK', JSON.stringify(full.error));
    assert.deepEqual(full.data, {
      mbusDeviceIdentification: GM,
      channelElementValues: { channel: 1, primaryAddress: 9, identificationNumber: '12056731', manufacturerIdentification: 'FLO', version: 80, deviceTypeIdentification: 3 },
    });
    assert.deepEqual(await coupling(f.url, GM), { gateway: GW, channel: 1, primaryAddress: 9, identification: '12056731', manufacturer: 'FLO', version: 80, deviceType: 3 });
    assert.deepEqual(onMeter(sim, 1), { primaryAddress: 9, identification: '12056731', manufacturer: 'FLO', version: 80, deviceType: 3 });

    // Partial match: identification number and manufacturer equal, version and device type differ. GXF's domain
    // matches on the first two only, so the device is coupled; its inventory identity stays as it was.
    const GM2 = 'G0051004000000002';
    await f.gMeter(GM2, { identification: '12345678', manufacturer: 'KAM', version: 1, deviceType: 3 });
    sim.installGMeter(2, gMeterOnChannel(2, { identification: '12345678', manufacturer: 'KAM', version: 7, deviceType: 7 }));
    const partial = await op(f.url, `/devices/${GW}/mbus/channels/2/couple`);
    assert.equal(partial.result, 'OK', JSON.stringify(partial.error));
    assert.deepEqual(partial.data, {
      mbusDeviceIdentification: GM2,
      channelElementValues: { channel: 2, primaryAddress: 2, identificationNumber: '12345678', manufacturerIdentification: 'KAM', version: 7, deviceTypeIdentification: 7 },
    });
    assert.deepEqual(await coupling(f.url, GM2), { gateway: GW, channel: 2, primaryAddress: 2, identification: '12345678', manufacturer: 'KAM', version: 1, deviceType: 3 });
    assert.deepEqual(onMeter(sim, 2), { primaryAddress: 2, identification: '12345678', manufacturer: 'KAM', version: 7, deviceType: 7 });

    // Same identification number, other manufacturer: no matching device, 218; nothing coupled.
    const GM3 = 'G0051004000000003';
    await f.gMeter(GM3, { identification: '12345679', manufacturer: 'KAM' });
    sim.installGMeter(3, gMeterOnChannel(3, { identification: '12345679', manufacturer: 'ITF', version: 80, deviceType: 3 }));
    const e218 = await op(f.url, `/devices/${GW}/mbus/channels/3/couple`);
    assert.equal(e218.result, 'NOT_OK');
    assert.equal(e218.error?.code, 218, JSON.stringify(e218.error));
    assert.deepEqual(await coupling(f.url, GM3), { ...NOT_COUPLED, primaryAddress: null, identification: '12345679', manufacturer: 'KAM', version: 80, deviceType: 3 });

    // An empty channel: 219.
    const e219 = await op(f.url, `/devices/${GW}/mbus/channels/4/couple`);
    assert.equal(e219.error?.code, 219, JSON.stringify(e219.error));
    assert.equal(onMeter(sim, 4), undefined, 'the empty channel was not written');

    // The gas meter on channel 1 was swapped on site: the meter now reports another device there. Coupling by
    // channel couples the device the meter reports; the inventory's earlier device on that channel is stale.
    const GM4 = 'G0051004000000004';
    await f.gMeter(GM4, { identification: '55555555' });
    sim.installGMeter(1, gMeterOnChannel(11, { identification: '55555555', manufacturer: 'FLO', version: 80, deviceType: 3 }));
    const swapped = await op(f.url, `/devices/${GW}/mbus/channels/1/couple`);
    assert.equal(swapped.result, 'OK', JSON.stringify(swapped.error));
    assert.equal(swapped.data.mbusDeviceIdentification, GM4);
    assert.deepEqual(await coupling(f.url, GM4), { gateway: GW, channel: 1, primaryAddress: 11, identification: '55555555', manufacturer: 'FLO', version: 80, deviceType: 3 });
    const replaced = await coupling(f.url, GM);
    assert.deepEqual({ gateway: replaced.gateway, channel: replaced.channel }, NOT_COUPLED, 'the device the meter no longer reports was released');
    assert.deepEqual(await coupling(f.url, GM2), { gateway: GW, channel: 2, primaryAddress: 2, identification: '12345678', manufacturer: 'KAM', version: 1, deviceType: 3 }, 'other channels untouched');
  });
});

test('CoupleMbusDevice: best partial match is taken without writing, 215 when no channel fits, Force does not take an occupied channel, a known primary address decides the full match', async () => {
  await withHeadend(async (f) => {
    const GW = 'E0051004000000001';
    const GM = 'G0051004000000001'; // 12056731 FLO v80 type 3, no primary address known
    await f.gMeter(GM);
    // 1 empty; 2 scores 1 (type only; unknown id); 3 scores 6 (id 5 + manufacturer 1; version and type unknown on
    // the meter); 4 has the same id but another manufacturer: no match at all. None is a full match.
    const sim = await f.gateway(GW, [
      undefined,
      gMeterOnChannel(4, { identification: '00000000', manufacturer: '', version: 0, deviceType: 3 }),
      gMeterOnChannel(5, { identification: '12056731', manufacturer: 'FLO', version: 0, deviceType: 0 }),
      gMeterOnChannel(6, { identification: '12056731', manufacturer: 'ITF', version: 80, deviceType: 3 }),
    ]);
    const before = [1, 2, 3, 4].map((c) => onMeter(sim, c));
    const couple = await op(f.url, `/devices/${GW}/mbus/couple`, { mbusDeviceIdentification: GM });
    assert.equal(couple.result, 'OK', JSON.stringify(couple.error));
    assert.deepEqual(couple.data, {
      mbusDeviceIdentification: GM,
      channelElementValues: { channel: 3, primaryAddress: 5, identificationNumber: '12056731', manufacturerIdentification: 'FLO', version: 0, deviceTypeIdentification: 0 },
    });
    assert.deepEqual(await coupling(f.url, GM), { gateway: GW, channel: 3, primaryAddress: 5, identification: '12056731', manufacturer: 'FLO', version: 80, deviceType: 3 });
    assert.deepEqual([1, 2, 3, 4].map((c) => onMeter(sim, c)), before, 'a partial match writes nothing (the empty channel 1 stays empty)');

    // A gateway whose four channels hold other devices (each with an attribute that differs): 215, from the
    // protocol adapter, and the meter and inventory unchanged.
    const GW2 = 'E0051004000000002';
    const GM5 = 'G0051004000000005';
    await f.gMeter(GM5, { identification: '22222222' });
    const full = await f.gateway(GW2, [1, 2, 3, 4].map((c) => gMeterOnChannel(c, { identification: `3333333${c}`, manufacturer: 'FLO', version: 80, deviceType: 3 })));
    const occupied = [1, 2, 3, 4].map((c) => onMeter(full, c));
    const e215 = await op(f.url, `/devices/${GW2}/mbus/couple`, { mbusDeviceIdentification: GM5 });
    assert.equal(e215.result, 'NOT_OK');
    assert.equal(e215.error?.code, 215, JSON.stringify(e215.error));
    assert.deepEqual(await coupling(f.url, GM5), { ...NOT_COUPLED, primaryAddress: null, identification: '22222222', manufacturer: 'FLO', version: 80, deviceType: 3 });
    assert.deepEqual([1, 2, 3, 4].map((c) => onMeter(full, c)), occupied);

    // Force skips the inventory checks (216, 217) only: it does not overwrite a channel the meter reports occupied.
    const forced = await op(f.url, `/devices/${GW2}/mbus/couple`, { mbusDeviceIdentification: GM5, force: true });
    assert.equal(forced.error?.code, 215, JSON.stringify(forced.error));
    assert.deepEqual([1, 2, 3, 4].map((c) => onMeter(full, c)), occupied);
    assert.deepEqual((await coupling(f.url, GM5)).gateway, null);

    // Full match when the inventory knows a primary address: the channel's must be the same (docs/gxf.md#coupling-and-decoupling), so of
    // two channels reporting the same identity the one at address 9 is taken, not the first one.
    const GW3 = 'E0051004000000003';
    const twins = await f.gateway(GW3, [
      gMeterOnChannel(3, { identification: '66666666', manufacturer: 'FLO', version: 80, deviceType: 3 }),
      gMeterOnChannel(9, { identification: '66666666', manufacturer: 'FLO', version: 80, deviceType: 3 }),
    ]);
    const GM6 = 'G0051004000000006';
    await f.gMeter(GM6, { identification: '66666666', primaryAddress: 9 });
    const byAddress = await op(f.url, `/devices/${GW3}/mbus/couple`, { mbusDeviceIdentification: GM6 });
    assert.equal(byAddress.result, 'OK', JSON.stringify(byAddress.error));
    assert.equal(byAddress.data.channelElementValues.channel, 2);
    assert.deepEqual(await coupling(f.url, GM6), { gateway: GW3, channel: 2, primaryAddress: 9, identification: '66666666', manufacturer: 'FLO', version: 80, deviceType: 3 });
    // Without a known primary address the first channel with all four attributes equal is the full match.
    await f.h.db.query('UPDATE device SET gateway_device_identification = NULL, channel = NULL, mbus_primary_address = NULL WHERE device_identification = $1', [GM6]);
    const first = await op(f.url, `/devices/${GW3}/mbus/couple`, { mbusDeviceIdentification: GM6 });
    assert.equal(first.data?.channelElementValues.channel, 1, JSON.stringify(first.body));
    assert.equal(onMeter(twins, 1)?.primaryAddress, 3, 'a full match writes nothing');
  });
});

test('CoupleMbusDevice: 217 from the inventory without contacting the meter, 216, Force over both, decoupling an empty channel or an uncoupled device', async () => {
  await withHeadend(async (f) => {
    const GW = 'E0051004000000001';
    const sim = await f.gateway(GW, []); // four empty channels on the meter
    // The inventory says all four channels are taken (stale: the meter has nothing there).
    for (const c of [1, 2, 3, 4]) await f.gMeter(`G005100400000001${c}`, { identification: `4444444${c}` }, { gateway: GW, channel: c });
    const GM = 'G0051004000000001';
    await f.gMeter(GM);

    // 217 is decided from the inventory: with every connection to the meter failing it still comes back as 217.
    sim.faults = { dropAfterApdus: 1 };
    const e217 = await op(f.url, `/devices/${GW}/mbus/couple`, { mbusDeviceIdentification: GM });
    sim.faults = {};
    assert.equal(e217.error?.code, 217, JSON.stringify(e217.error));
    assert.deepEqual((await coupling(f.url, GM)).gateway, null);
    assert.deepEqual([1, 2, 3, 4].map((c) => onMeter(sim, c)), [undefined, undefined, undefined, undefined]);

    // Force: the adapter finds no match and writes the identity to the first empty channel; the inventory's
    // device on that channel was stale and gives way.
    const forced = await op(f.url, `/devices/${GW}/mbus/couple`, { mbusDeviceIdentification: GM, force: true });
    assert.equal(forced.result, 'OK', JSON.stringify(forced.error));
    assert.deepEqual(forced.data.channelElementValues, { channel: 1, primaryAddress: 0, identificationNumber: '12056731', manufacturerIdentification: 'FLO', version: 80, deviceTypeIdentification: 3 });
    assert.deepEqual(onMeter(sim, 1), { primaryAddress: 0, identification: '12056731', manufacturer: 'FLO', version: 80, deviceType: 3 });
    assert.equal((await coupling(f.url, GM)).channel, 1);
    assert.equal((await coupling(f.url, GM)).gateway, GW);
    assert.deepEqual((await coupling(f.url, 'G0051004000000011')).gateway, null, 'the stale device on channel 1 was released');
    assert.equal((await coupling(f.url, 'G0051004000000012')).channel, 2, 'the others stay');

    // 216: coupled to another gateway; Force moves it.
    const GW2 = 'E0051004000000002';
    const sim2 = await f.gateway(GW2, []);
    const e216 = await op(f.url, `/devices/${GW2}/mbus/couple`, { mbusDeviceIdentification: GM });
    assert.equal(e216.error?.code, 216, JSON.stringify(e216.error));
    assert.equal(onMeter(sim2, 1), undefined);
    assert.equal((await coupling(f.url, GM)).gateway, GW);
    const moved = await op(f.url, `/devices/${GW2}/mbus/couple`, { mbusDeviceIdentification: GM, force: true });
    assert.equal(moved.result, 'OK', JSON.stringify(moved.error));
    assert.deepEqual(await coupling(f.url, GM), { gateway: GW2, channel: 1, primaryAddress: 0, identification: '12056731', manufacturer: 'FLO', version: 80, deviceType: 3 });
    assert.equal(onMeter(sim2, 1)?.identification, '12056731');
    // Coupled to this very gateway already: still 216 without Force, decided before any device contact, and
    // the coupling stays as it was (GXF's CoupleMBusDevice.feature, "already coupled on channel 1").
    sim2.faults = { dropAfterApdus: 1 };
    const again = await op(f.url, `/devices/${GW2}/mbus/couple`, { mbusDeviceIdentification: GM });
    sim2.faults = {};
    assert.equal(again.error?.code, 216, JSON.stringify(again.error));
    assert.deepEqual(await coupling(f.url, GM), { gateway: GW2, channel: 1, primaryAddress: 0, identification: '12056731', manufacturer: 'FLO', version: 80, deviceType: 3 });

    // DecoupleMbusDeviceByChannel on an empty channel: OK, no M-Bus device named, the channel's (empty) values,
    // the channel stays empty and no inventory coupling changes.
    const empty = await op(f.url, `/devices/${GW2}/mbus/channels/3/decouple`);
    assert.equal(empty.result, 'OK', JSON.stringify(empty.error));
    assert.deepEqual(empty.data, { resultString: 'Decouple Mbus Device was successful', channelElementValues: { channel: 3, primaryAddress: 0, identificationNumber: '00000000', manufacturerIdentification: '', version: 0, deviceTypeIdentification: 0 } });
    assert.equal(onMeter(sim2, 3)?.identification ?? '00000000', '00000000');
    assert.equal(onMeter(sim2, 1)?.identification, '12056731', 'channel 1 on the meter untouched');
    assert.deepEqual(await coupling(f.url, GM), { gateway: GW2, channel: 1, primaryAddress: 0, identification: '12056731', manufacturer: 'FLO', version: 80, deviceType: 3 });
    assert.equal((await coupling(f.url, 'G0051004000000013')).channel, 3, 'a device coupled on GW channel 3 is not touched by decoupling GW2 channel 3');

    // DecoupleMbusDevice: coupled to another gateway is 221; not coupled at all is OK without device contact.
    const e221 = await op(f.url, `/devices/${GW}/mbus/decouple`, { mbusDeviceIdentification: GM });
    assert.equal(e221.error?.code, 221, JSON.stringify(e221.error));
    assert.equal((await coupling(f.url, GM)).gateway, GW2);
    const LOOSE = 'G0051004000000009';
    await f.gMeter(LOOSE, { identification: '99999999' });
    sim2.faults = { dropAfterApdus: 1 };
    const loose = await op(f.url, `/devices/${GW2}/mbus/decouple`, { mbusDeviceIdentification: LOOSE });
    sim2.faults = {};
    assert.equal(loose.result, 'OK', JSON.stringify(loose.error));
    assert.deepEqual(loose.data, { mbusDeviceIdentification: LOOSE });
  });
});

test('GXF SOAP: CoupleMbusDeviceByChannel answers the channel values; DecoupleMbusDeviceByChannel names the device, or nothing on an empty channel', async () => {
  await withHeadend(async (f) => {
    const GW = 'E0051004000000001';
    const sim = await f.gateway(GW);
    const GM = 'G0051004000000001';
    await f.gMeter(GM);

    const coupled = await soapByChannel(f.url, 'CoupleMbusDeviceByChannel', GW, 1);
    assert.equal(coupled.status, 200, coupled.xml);
    assert.deepEqual(xpathAll(coupled.xml, '//c:Result'), ['OK'], coupled.xml);
    assert.deepEqual(soapChannelValues(coupled.xml), [
      ['Channel', '1'], ['PrimaryAddress', '9'], ['IdentificationNumber', '12056731'], ['ManufacturerIdentification', 'FLO'], ['Version', '80'], ['DeviceTypeIdentification', '3'],
    ], coupled.xml);
    assert.deepEqual(await coupling(f.url, GM), { gateway: GW, channel: 1, primaryAddress: 9, identification: '12056731', manufacturer: 'FLO', version: 80, deviceType: 3 });

    const decoupled = await soapByChannel(f.url, 'DecoupleMbusDeviceByChannel', GW, 1);
    assert.equal(decoupled.status, 200, decoupled.xml);
    assert.deepEqual(xpathAll(decoupled.xml, '//c:Result'), ['OK'], decoupled.xml);
    assert.deepEqual(xpathAll(decoupled.xml, '//inst:mbusDeviceIdentification'), [GM], decoupled.xml);
    assert.equal(soapChannelValues(decoupled.xml)?.[2]?.[1], '12056731', 'the values read before the channel was emptied');
    assert.deepEqual(onMeter(sim, 1), { primaryAddress: 0, identification: '00000000', manufacturer: '', version: 0, deviceType: 0 });
    assert.deepEqual((({ gateway, channel, primaryAddress }) => ({ gateway, channel, primaryAddress }))(await coupling(f.url, GM)), { gateway: null, channel: null, primaryAddress: null });

    assert.deepEqual(xpathAll(decoupled.xml, '//c:resultString'), ['Decouple Mbus Device was successful'], decoupled.xml);

    // Empty channel: GXF's resultString; the schema's optional (mbusDeviceIdentification, ChannelElementValues)
    // group is left out (GXF sends ChannelElementValues alone, which a WSDL client refuses: docs/gxf-compatibility.md).
    const empty = await soapByChannel(f.url, 'DecoupleMbusDeviceByChannel', GW, 2);
    assert.equal(empty.status, 200, empty.xml);
    assert.deepEqual(xpathAll(empty.xml, '//c:Result'), ['OK'], empty.xml);
    assert.deepEqual(xpathAll(empty.xml, '//c:resultString'), ['Decouple Mbus Device was successful'], empty.xml);
    assert.deepEqual(xpathAll(empty.xml, '//inst:mbusDeviceIdentification'), [], empty.xml);
    assert.equal(soapChannelValues(empty.xml), undefined, empty.xml);
  });
});

test('DecoupleMbusDeviceByChannel as GXF: names the device the meter reports, decouples the one the inventory had there, answers the channel values without a device, and an uninterpretable identification on a DSMR 2.2 gateway', async () => {
  await withHeadend(async (f) => {
    // The meter reports G-meter GM on channel 1, but the inventory has GM coupled to another gateway and nothing
    // on this channel: GM is named in the answer and stays coupled where it is (GXF's "different from one in channel").
    const GW = 'E0051004000000001';
    const OTHER = 'E0051004000000002';
    const sim = await f.gateway(GW);
    await f.gateway(OTHER, []);
    const GM = 'G0051004000000001';
    await f.gMeter(GM, {}, { gateway: OTHER, channel: 1 });
    const named = await op(f.url, `/devices/${GW}/mbus/channels/1/decouple`);
    assert.equal(named.result, 'OK', JSON.stringify(named.error));
    assert.deepEqual(named.data, {
      resultString: 'Decouple Mbus Device was successful',
      mbusDeviceIdentification: GM,
      channelElementValues: { channel: 1, primaryAddress: 9, identificationNumber: '12056731', manufacturerIdentification: 'FLO', version: 80, deviceTypeIdentification: 3 },
    });
    assert.deepEqual((await coupling(f.url, GM)).gateway, OTHER, 'the device coupled elsewhere stays coupled');
    assert.deepEqual(onMeter(sim, 1), { primaryAddress: 0, identification: '00000000', manufacturer: '', version: 0, deviceType: 0 });

    // A G-meter the inventory does not know: REST answers the channel's values as GXF does, with no device.
    sim.installGMeter(2, gMeterOnChannel(4, { identification: '77777777', manufacturer: 'KAM', version: 1, deviceType: 7 }));
    const unknown = await op(f.url, `/devices/${GW}/mbus/channels/2/decouple`);
    assert.deepEqual(unknown.data, {
      resultString: 'Decouple Mbus Device was successful',
      channelElementValues: { channel: 2, primaryAddress: 4, identificationNumber: '77777777', manufacturerIdentification: 'KAM', version: 1, deviceTypeIdentification: 7 },
    });

    // DSMR 2.2 (class version 0, BCD): a channel whose identification is no BCD number. The device the inventory
    // had on that channel is decoupled anyway; the answer carries GXF's text and the raw value's text.
    const GW22 = 'E0051004000000022';
    const old = await f.gateway(GW22, [gMeterOnChannel(9, { identification: 'A2056731', manufacturer: 'LGB', version: 66, deviceType: 3 })], 'DSMR 2.2');
    const GM22 = 'G0051004000000022';
    await f.gMeter(GM22, { identification: '12056731', manufacturer: 'LGB' }, { gateway: GW22, channel: 1 });
    const odd = await op(f.url, `/devices/${GW22}/mbus/channels/1/decouple`);
    assert.equal(odd.result, 'OK', JSON.stringify(odd.error));
    assert.deepEqual(odd.data, {
      resultString: 'Channel information could not be correctly interpreted. Mbus Device was successful decoupled anyway.',
      channelElementValues: { channel: 1, primaryAddress: 9, identificationNumber: 'DOUBLE_LONG_UNSIGNED Value: 2718263089', manufacturerIdentification: 'LGB', version: 66, deviceTypeIdentification: 3 },
    });
    assert.deepEqual((await coupling(f.url, GM22)).gateway, null, 'the inventory released the device it had on the channel');
    assert.equal(onMeter(old, 1)?.identification, '00000000');
    const soap = await soapByChannel(f.url, 'DecoupleMbusDeviceByChannel', GW22, 1);
    assert.deepEqual(xpathAll(soap.xml, '//c:resultString'), ['Decouple Mbus Device was successful'], soap.xml);
  });
});
