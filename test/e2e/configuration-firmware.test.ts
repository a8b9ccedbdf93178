/**
 * GetFirmwareVersion, GetFirmwareVersionGas and UpdateFirmware end to end: GXF SOAP over real HTTP (and REST, and
 * the bundle), the firmware file uploaded over the REST admin API, real DLMS associations over TCP with class 18
 * image transfer, against simulated SMR 5.0.0 (WRAPPER), SMR 5.5 (HDLC) and DSMR 4.2.2 (HDLC) meters, and an SMR 5
 * gas meter's firmware (personalised, GMAC under its firmware update key) through its gateway.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { addOrganisation } from '../../src/platform/inventory.ts';
import { validateEnvelopeXml } from '../../src/api/soap/schema.ts';
import { SOAP_BASE, SOAP_NS, restOperation, xpathAll } from '../support/e2e.ts';
import { withHttpHeadend } from '../support/http-headend.ts';
import type { SimulatedMeter } from '../../src/simulator/simulator.ts';
import { TEST_GMETER } from '../../src/simulator/meter.ts';
import { personaliseMbusFirmware } from '../../src/cosem/mbus-firmware.ts';

const ORG = 'fw-operator';
const OTHER = 'fw-other';
const B = 'http://www.opensmartgridplatform.org/schemas/smartmetering/sm-bundle/2014/10';

function envelope(body: string, org = ORG): string {
  return `<s:Envelope xmlns:s="${SOAP_NS.s}" xmlns:c="${SOAP_NS.c}" xmlns:conf="${SOAP_NS.conf}" xmlns:b="${B}"><s:Header><c:OrganisationIdentification>${org}</c:OrganisationIdentification><c:UserName>operator</c:UserName><c:ApplicationName>e2e</c:ApplicationName></s:Header><s:Body>${body}</s:Body></s:Envelope>`;
}

const METERS = [
  { id: 'E0051004000000071', protocol: 'SMR 5.0.0', hdlc: false, modules: ['ACTIVE_FIRMWARE', 'MODULE_ACTIVE_FIRMWARE', 'COMMUNICATION_MODULE_ACTIVE_FIRMWARE', 'M_BUS_DRIVER_ACTIVE_FIRMWARE'] },
  { id: 'E0051004000000072', protocol: 'SMR 5.5', hdlc: true, modules: ['ACTIVE_FIRMWARE', 'MODULE_ACTIVE_FIRMWARE', 'COMMUNICATION_MODULE_ACTIVE_FIRMWARE', 'M_BUS_DRIVER_ACTIVE_FIRMWARE'] },
  { id: 'E0051004000000073', protocol: 'DSMR 4.2.2', hdlc: true, modules: ['ACTIVE_FIRMWARE', 'MODULE_ACTIVE_FIRMWARE', 'COMMUNICATION_MODULE_ACTIVE_FIRMWARE'] },
];
const GAS = 'G0051004000000071';
const GAS_DSMR = 'G0051004000000073';

test('GetFirmwareVersion, GetFirmwareVersionGas and UpdateFirmware through SOAP, REST and the bundle against SMR 5.x and DSMR 4.2.2 meters', { timeout: 115_000 }, async () => {
  await withHttpHeadend(async ({ h, db, url, gateway, gMeter, auth: authOf }) => {
    await addOrganisation(db, { identification: ORG });
    await addOrganisation(db, { identification: OTHER });
    const auth = await authOf(ORG);
    const other = await authOf(OTHER);
    const admin = await authOf('OSGP');
    const post = async (service: string, body: string, headers = auth, org = ORG) => {
      const request = envelope(body, org);
      const res = await fetch(`${url}${SOAP_BASE}/${service}/`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""', ...headers }, body: request });
      const xml = await res.text();
      assert.deepEqual(validateEnvelopeXml(xml), [], `the answer is valid against GXF's XSD: ${xml}`);
      return { status: res.status, xml };
    };
    const call = async (service: string, prefix: string, op: string, device: string, inner = '') => {
      const accepted = await post(service, `<${prefix}:${op}Request><${prefix}:DeviceIdentification>${device}</${prefix}:DeviceIdentification>${inner}</${prefix}:${op}Request>`);
      assert.equal(accepted.status, 200, accepted.xml);
      const uid = xpathAll(accepted.xml, '//c:CorrelationUid')[0]!;
      for (let i = 0; i < 1200; i++) {
        const r = await post(service, `<${prefix}:${op}AsyncRequest><c:DeviceIdentification>${device}</c:DeviceIdentification><c:CorrelationUid>${uid}</c:CorrelationUid></${prefix}:${op}AsyncRequest>`);
        if (!(r.status === 500 && xpathAll(r.xml, '//c:FunctionalFault/c:Code')[0] === '405')) return r;
        await new Promise((res) => setTimeout(res, 50));
      }
      throw new Error(`no response for ${op}`);
    };
    const conf = (op: string, device: string, inner = '') => call('configurationService', 'conf', op, device, inner);
    const local = (xml: string, path: string) => xpathAll(xml, path.replace(/\/(\w+)/g, "/*[local-name()='$1']"));

    // The firmware file, uploaded by an administrator over the REST admin API (what `meterfabric firmware add` sends).
    const image = Buffer.from(Array.from({ length: 3001 }, (_, i) => (i * 13 + 7) & 0xff));
    const upload = async (identification: string, extra: Record<string, string> = {}) => {
      const res = await fetch(`${url}/api/v1/admin/firmware`, { method: 'POST', headers: { 'content-type': 'application/json', ...admin }, body: JSON.stringify({ identification, content: image.toString('base64'), ...extra }) });
      assert.equal(res.status, 201, await res.clone().text());
      return (await res.json()) as { hash: string };
    };
    const stored = await upload('FW-E-0600', { imageIdentifier: Buffer.from('MFS6 0600').toString('hex') });
    assert.equal(stored.hash, createHash('sha256').update(image).digest('hex').replace(/^0+/, ''));
    await upload('FW-MODEL', { imageIdentifier: '01', manufacturer: 'XYZ', modelCode: 'M1' });

    const sims: SimulatedMeter[] = [];
    for (const m of METERS) sims.push(await gateway(m.id, ORG, { protocol: m.protocol, hdlc: m.hdlc }));
    await gMeter(GAS, ORG, { coupled: { gateway: METERS[0]!.id, channel: 1 } });
    await gMeter(GAS_DSMR, ORG, { coupled: { gateway: METERS[2]!.id, channel: 1 }, identification: '12056732' });

    for (const [i, m] of METERS.entries()) {
      const sim = sims[i]!;
      // GetFirmwareVersion: the protocol's modules, in GXF's order, as the meter holds them.
      const v = await conf('GetFirmwareVersion', m.id);
      assert.equal(v.status, 200, v.xml);
      assert.equal(xpathAll(v.xml, '//conf:GetFirmwareVersionResponse/conf:Result')[0], 'OK', v.xml);
      assert.deepEqual(xpathAll(v.xml, '//conf:FirmwareVersion/conf:FirmwareModuleType'), m.modules, m.protocol);
      assert.deepEqual(xpathAll(v.xml, '//conf:FirmwareVersion/conf:Version'), m.modules.map((t) => sim.state.firmware!.versions[t as 'ACTIVE_FIRMWARE']));

      // UpdateFirmware; on the SMR 5.5 meter the meter restarts at block 6 and loses block 5, on DSMR 4.2.2 the line
      // drops after block 9 was kept: the request continues from the meter's first missing block.
      if (i === 1) sim.state.firmware = { ...sim.state.firmware!, fault: { block: 6, kind: 'crash' } };
      if (i === 2) sim.state.firmware = { ...sim.state.firmware!, fault: { block: 9, kind: 'drop-after' } };
      const u = await conf('UpdateFirmware', m.id, '<conf:FirmwareIdentification>FW-E-0600</conf:FirmwareIdentification>');
      assert.equal(u.status, 200, u.xml);
      assert.equal(xpathAll(u.xml, '//conf:UpdateFirmwareResponse/conf:Result')[0], 'OK', u.xml);
      assert.deepEqual(sim.state.firmware!.active, { identifier: 'MFS6 0600', sha256: createHash('sha256').update(image).digest('hex') }, m.protocol);
      assert.equal(sim.state.firmware!.resent, 0, 'no block sent that the meter had');
      assert.equal(sim.state.firmware!.received, 14 + (i === 1 ? 1 : 0), 'every block once, and the one the meter lost');
      const after = await conf('GetFirmwareVersion', m.id);
      assert.equal(xpathAll(after.xml, '//conf:FirmwareVersion/conf:Version')[0], 'MFS6 0600');
    }

    // Strict failures: an unknown file (701), a file for another device model (601: the meter has none).
    const unknown = await conf('UpdateFirmware', METERS[0]!.id, '<conf:FirmwareIdentification>NOPE</conf:FirmwareIdentification>');
    assert.equal(unknown.status, 500, unknown.xml);
    assert.equal(xpathAll(unknown.xml, '//c:FunctionalFault/c:Code')[0], '701', unknown.xml);
    assert.equal(xpathAll(unknown.xml, '//c:FunctionalFault/c:Message')[0], 'UNKNOWN_FIRMWARE');
    const model = await conf('UpdateFirmware', METERS[0]!.id, '<conf:FirmwareIdentification>FW-MODEL</conf:FirmwareIdentification>');
    assert.equal(xpathAll(model.xml, '//c:FunctionalFault/c:Code')[0], '601', model.xml);

    // GetFirmwareVersionGas: not in GXF's WSDL, yet served by its Configuration endpoint, and a bundle action.
    const own = await call('configurationService', 'conf', 'GetFirmwareVersionGas', GAS);
    assert.equal(own.status, 200, own.xml);
    assert.deepEqual(local(own.xml, '//GetFirmwareVersionGasResponse/FirmwareVersion/Version'), ['00500301'], own.xml);
    const bundle = await call('bundleService', 'b', 'Bundle', METERS[0]!.id,
      `<b:Actions><b:GetFirmwareVersionRequest/><b:GetFirmwareVersionGasRequest><conf:DeviceIdentification>${GAS}</conf:DeviceIdentification></b:GetFirmwareVersionGasRequest></b:Actions>`);
    assert.equal(bundle.status, 200, bundle.xml);
    assert.deepEqual(local(bundle.xml, '//GetFirmwareVersionResponse/FirmwareVersions/FirmwareModuleType'), METERS[0]!.modules, bundle.xml);
    assert.deepEqual(local(bundle.xml, '//GetFirmwareVersionGasResponse/FirmwareVersion/Version'), ['00500301'], bundle.xml);
    assert.deepEqual(local(bundle.xml, '//GetFirmwareVersionGasResponse/FirmwareVersion/FirmwareModuleType'), ['SIMPLE_VERSION_INFO']);

    // GetFirmwareVersionGas through SOAP (a bundle on the DSMR 4.2.2 gateway) for its gas meter: refused, as DSMR 4.2.2
    // has no simple version info (416), while GetFirmwareVersion in the same bundle answers.
    const dsmrBundle = await call('bundleService', 'b', 'Bundle', METERS[2]!.id,
      `<b:Actions><b:GetFirmwareVersionRequest/><b:GetFirmwareVersionGasRequest><conf:DeviceIdentification>${GAS_DSMR}</conf:DeviceIdentification></b:GetFirmwareVersionGasRequest></b:Actions>`);
    assert.equal(dsmrBundle.status, 200, dsmrBundle.xml);
    assert.deepEqual(local(dsmrBundle.xml, '//GetFirmwareVersionResponse/FirmwareVersions/FirmwareModuleType'), METERS[2]!.modules, dsmrBundle.xml);
    assert.deepEqual(local(dsmrBundle.xml, '//FaultResponse/Code'), ['416'], dsmrBundle.xml);
    // On its own, the refusal is answered with its fault (GXF's Result alone would break GXF's XSD).
    const dsmrOwn = await call('configurationService', 'conf', 'GetFirmwareVersionGas', GAS_DSMR);
    assert.equal(dsmrOwn.status, 500, dsmrOwn.xml);
    assert.equal(xpathAll(dsmrOwn.xml, '//c:FunctionalFault/c:Code')[0], '416', dsmrOwn.xml);

    // REST: the gas meter's version (SMR 5), NOT OK on DSMR 4.2.2 (no simple version info: 416), and UpdateFirmware.
    const gas = await restOperation(url, `/devices/${GAS}/firmware/version-gas`, ORG, {}, auth);
    assert.deepEqual(gas.data, { firmwareVersion: { version: '00500301', firmwareModuleType: 'SIMPLE_VERSION_INFO' } }, JSON.stringify(gas.body));
    const dsmrGas = await restOperation(url, `/devices/${GAS_DSMR}/firmware/version-gas`, ORG, {}, auth);
    assert.equal(dsmrGas.result, 'NOT_OK', JSON.stringify(dsmrGas.body));
    assert.equal(dsmrGas.error?.code, 416);
    const versions = await restOperation(url, `/devices/${METERS[2]!.id}/firmware/versions`, ORG, {}, auth);
    assert.equal(versions.data.firmwareVersions[0].version, 'MFS6 0600');
    const again = await restOperation(url, `/devices/${METERS[2]!.id}/firmware/update`, ORG, { firmwareIdentification: 'FW-E-0600' }, auth);
    assert.equal(again.result, 'OK', JSON.stringify(again.body));
    assert.equal(again.data.firmwareVersions[0].version, 'MFS6 0600');
    assert.equal(sims[2]!.state.firmware!.received, 14, 'the image was active already: nothing sent again');

    // M-Bus firmware (SMR 5): GXF's test file (identification ffffffff), personalised for the gas meter and
    // authenticated with its firmware update key, sent through its gateway without verify; the gas meter's simple
    // version info becomes the file's image version. A gas meter on a DSMR 4.2.2 gateway: NOT OK 416.
    const mbusFile = Buffer.from('534d523500230011004000310000001000020801e91effffffff500303000000000000831c9d5aa5b4ffbfd057035a8a7896a4abe7afa36687fbc48944bcee0343eed3a75aab882ec1cf57820adfd4394e262d5fa821c678e71c05c47e1c69c4bfffe1fd', 'hex');
    const put = await fetch(`${url}/api/v1/admin/firmware`, { method: 'POST', headers: { 'content-type': 'application/json', ...admin }, body: JSON.stringify({ identification: 'FW-GAS-1', content: mbusFile.toString('base64') }) });
    assert.equal(put.status, 201, await put.clone().text());
    const fwKey = Buffer.from('F9AA0123456789012345D7AFCCD41BD1', 'hex');
    await h.secrets.storeActive(GAS, 'G_METER_FIRMWARE_UPDATE_AUTHENTICATION_KEY', fwKey, { actor: 'test', reason: 'fixture' });
    const mbusUpdate = await conf('UpdateFirmware', GAS, '<conf:FirmwareIdentification>FW-GAS-1</conf:FirmwareIdentification>');
    assert.equal(xpathAll(mbusUpdate.xml, '//conf:UpdateFirmwareResponse/conf:Result')[0], 'OK', mbusUpdate.xml);
    const sent = personaliseMbusFirmware(mbusFile, TEST_GMETER.identification, fwKey);
    assert.deepEqual(sims[0]!.state.firmware!.active, { identifier: sent.imageIdentifier.toString('latin1'), sha256: createHash('sha256').update(sent.image).digest('hex') });
    const gasAfter = await restOperation(url, `/devices/${GAS}/firmware/version-gas`, ORG, {}, auth);
    assert.equal(gasAfter.data.firmwareVersion.version, '00400011');
    const dsmrMbus = await conf('UpdateFirmware', GAS_DSMR, '<conf:FirmwareIdentification>FW-GAS-1</conf:FirmwareIdentification>');
    assert.equal(xpathAll(dsmrMbus.xml, '//c:FunctionalFault/c:Code')[0], '416', dsmrMbus.xml);

    // Another organisation is refused, on REST and SOAP.
    const refused = await restOperation(url, `/devices/${METERS[0]!.id}/firmware/update`, OTHER, { firmwareIdentification: 'FW-E-0600' }, other);
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    const refusedSoap = await post('configurationService', `<conf:UpdateFirmwareRequest><conf:DeviceIdentification>${METERS[0]!.id}</conf:DeviceIdentification><conf:FirmwareIdentification>FW-E-0600</conf:FirmwareIdentification></conf:UpdateFirmwareRequest>`, other, OTHER);
    assert.equal(xpathAll(refusedSoap.xml, '//c:FunctionalFault/c:Code')[0], '301', refusedSoap.xml);
  });
});
