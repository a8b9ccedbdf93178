/**
 * The M-Bus operations through GXF SOAP over real HTTP against simulated gateways (docs/gxf.md#m-bus-operations):
 * <Op>Request, then <Op>AsyncRequest polls; lenient operations answer NOT OK in the response, strict ones a
 * FunctionalFault with the GXF code (src/api/README.md "Faults"). Meter effects are read from the simulator.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addOrganisation, updateOrganisation } from '../../src/platform/inventory.ts';
import type { SimulatedMeter } from '../../src/simulator/simulator.ts';
import { TEST_KEYS, TEST_GMETER } from '../../src/simulator/meter.ts';
import { SOAP_BASE, SOAP_NS, xpathAll as xpath, addGMeterXml, oaepEncrypt } from '../support/e2e.ts';
import { withHttpHeadend } from '../support/http-headend.ts';

const BASE = SOAP_BASE;
const NS = { ...SOAP_NS, ad: SOAP_NS.adhoc };
const ORG = 'grid-operator';
const OTHER = 'other-operator';
const GW = 'E0051004000000001';
const GW4 = 'E0051004000000002';
const GWH = 'E0051004000000003';
const GW43 = 'E0051004000000043';
const GM = 'G0051004000000001';

function envelope(body: string, org: string): string {
  const ns = Object.entries(NS).filter(([k]) => k !== 's').map(([k, v]) => `xmlns:${k}="${v}"`).join(' ');
  return `<s:Envelope xmlns:s="${NS.s}" ${ns}><s:Header><c:OrganisationIdentification>${org}</c:OrganisationIdentification><c:UserName>operator</c:UserName><c:ApplicationName>e2e</c:ApplicationName></s:Header><s:Body>${body}</s:Body></s:Envelope>`;
}

const one = (xml: string, path: string) => xpath(xml, path)[0];

/** Authorization headers of the running fixture, per organisation (API tokens). */
let auth: Record<string, Record<string, string>> = {};

async function soap(url: string, service: string, body: string, org = ORG): Promise<{ status: number; xml: string }> {
  const res = await fetch(`${url}${BASE}/${service}/`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""', ...auth[org] }, body: envelope(body, org) });
  return { status: res.status, xml: await res.text() };
}

const fault = (xml: string) => one(xml, '//c:FunctionalFault/c:Code');

/** <Op>Request then <Op>AsyncRequest until the response exists; a refused request comes back as is. */
async function call(url: string, service: string, p: string, op: string, body: string, org = ORG) {
  const accepted = await soap(url, service, `<${p}:${op}Request>${body}</${p}:${op}Request>`, org);
  if (accepted.status !== 200) return { ...accepted, correlationUid: undefined };
  const device = one(accepted.xml, '//c:DeviceIdentification')!;
  const correlationUid = one(accepted.xml, '//c:CorrelationUid')!;
  for (let i = 0; i < 600; i++) {
    const r = await soap(url, service, `<${p}:${op}AsyncRequest><c:DeviceIdentification>${device}</c:DeviceIdentification><c:CorrelationUid>${correlationUid}</c:CorrelationUid></${p}:${op}AsyncRequest>`, org);
    if (!(r.status === 500 && fault(r.xml) === '405')) return { ...r, correlationUid };
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`no response for ${op}`);
}

const setUserKey = (url: string, gw: string, channel = 1) =>
  call(url, 'configurationService', 'conf', 'SetMbusUserKeyByChannel', `<conf:DeviceIdentification>${gw}</conf:DeviceIdentification><conf:SetMbusUserKeyByChannelRequestData><conf:Channel>${channel}</conf:Channel></conf:SetMbusUserKeyByChannelRequestData>`);
const setKeyOnGMeter = (url: string, gm: string, secretType: string, extra = '', mbus = gm) =>
  call(url, 'configurationService', 'conf', 'SetKeyOnGMeter', `<conf:DeviceIdentification>${gm}</conf:DeviceIdentification><conf:SetKeyOnGMeterRequestData><conf:MbusDeviceIdentification>${mbus}</conf:MbusDeviceIdentification><conf:SecretType>${secretType}</conf:SecretType>${extra}</conf:SetKeyOnGMeterRequestData>`);
const byChannel = (url: string, op: string, gw: string, channel: number) =>
  call(url, 'installationService', 'inst', op, `<inst:DeviceIdentification>${gw}</inst:DeviceIdentification><inst:${op}RequestData><inst:Channel>${channel}</inst:Channel></inst:${op}RequestData>`);
const scan = (url: string, gw: string, org = ORG) => call(url, 'adhocService', 'ad', 'ScanMbusChannels', `<ad:DeviceIdentification>${gw}</ad:DeviceIdentification>`, org);
const lenientResult = (xml: string, op: string) => one(xml, `//conf:${op}Response/conf:Result`);

test('GXF SOAP: every M-Bus operation against simulated gateways, with GXF results and faults', async () => {
  await withHttpHeadend(async ({ h: hh, db, url, gateway: startGateway, auth: authOf }) => {
    await addOrganisation(db, { identification: ORG });
    await addOrganisation(db, { identification: OTHER });
    auth = { [ORG]: await authOf(ORG), [OTHER]: await authOf(OTHER) };
    const gateway = (id: string, protocol: string, hdlc = false) => startGateway(id, ORG, { protocol, hdlc });
    const meterHoldsActive = async (sim: SimulatedMeter, gm = GM) => {
      const active = await hh.secrets.getActive(gm, 'G_METER_ENCRYPTION_KEY');
      assert.ok(active && sim.gMeterKey(1)?.equals(active.key), `the G-meter behind ${gm} holds the ACTIVE key`);
      assert.equal(await hh.secrets.getNew(gm, 'G_METER_ENCRYPTION_KEY'), undefined);
    };

    // AddDevice (G-meter) with the default key RSA-OAEP encrypted to the published key; again -> 204
    const pem = await (await fetch(`${url}/api/v1/platform/public-key`)).text();
    const addGas = (id: string, identification: string) => call(url, 'installationService', 'inst', 'AddDevice', addGMeterXml(pem, id, identification));
    const added = await addGas(GM, TEST_GMETER.identification);
    assert.equal(added.status, 200, added.xml);
    assert.ok((await hh.secrets.getActive(GM, 'G_METER_MASTER_KEY'))?.key.equals(Buffer.from(TEST_KEYS.gMeterDefaultKey, 'hex')));
    const existing = await addGas(GM, TEST_GMETER.identification);
    assert.equal(fault(existing.xml), '204', existing.xml);

    // SetMbusUserKeyByChannel on SMR5, DSMR4 and SMR5.5 over HDLC (each its own G-meter identity on channel 1)
    const smr5 = await gateway(GW, 'SMR 5.0.0');
    for (const [gw, protocol, hdlc, gm, ident] of [[GW4, 'DSMR 4.2.2', false, 'G0051004000000002', '22222222'], [GWH, 'SMR 5.5', true, 'G0051004000000003', '33333333']] as const) {
      const sim = await gateway(gw, protocol, hdlc);
      sim.installGMeter(1, { ...sim.gMeter(1)!, identification: ident });
      assert.equal((await addGas(gm, ident)).status, 200);
      const r = await setUserKey(url, gw);
      assert.equal(lenientResult(r.xml, 'SetMbusUserKeyByChannel'), 'OK', r.xml);
      await meterHoldsActive(sim, gm);
      // SetKeyOnGMeter (user key) and the key status reads on this protocol too: the meter holds the new ACTIVE key
      const before = (await hh.secrets.getActive(gm, 'G_METER_ENCRYPTION_KEY'))!.key;
      const rotated = await setKeyOnGMeter(url, gm, 'G_METER_ENCRYPTION_KEY');
      assert.equal(lenientResult(rotated.xml, 'SetKeyOnGMeter'), 'OK', `${protocol}: ${rotated.xml}`);
      await meterHoldsActive(sim, gm);
      assert.ok(!(await hh.secrets.getActive(gm, 'G_METER_ENCRYPTION_KEY'))!.key.equals(before), `${protocol}: a new key`);
      const st = await call(url, 'configurationService', 'conf', 'GetMbusEncryptionKeyStatus', `<conf:DeviceIdentification>${gm}</conf:DeviceIdentification>`);
      assert.equal(one(st.xml, '//conf:EncryptionKeyStatus'), 'ENCRYPTION_KEY_IN_USE', `${protocol}: ${st.xml}`);
      const byCh = (channel: number) => call(url, 'configurationService', 'conf', 'GetMbusEncryptionKeyStatusByChannel',
        `<conf:GatewayDeviceIdentification>${gw}</conf:GatewayDeviceIdentification><conf:GetMbusEncryptionKeyStatusByChannelRequestData><conf:Channel>${channel}</conf:Channel></conf:GetMbusEncryptionKeyStatusByChannelRequestData>`);
      assert.equal(one((await byCh(1)).xml, '//conf:EncryptionKeyStatus'), 'ENCRYPTION_KEY_IN_USE', protocol);
      assert.equal(one((await byCh(2)).xml, '//conf:EncryptionKeyStatus'), 'NO_ENCRYPTION_KEY', protocol);
    }
    const r5 = await setUserKey(url, GW);
    assert.equal(lenientResult(r5.xml, 'SetMbusUserKeyByChannel'), 'OK', r5.xml);
    await meterHoldsActive(smr5);
    assert.ok(!r5.xml.toLowerCase().includes((await hh.secrets.getActive(GM, 'G_METER_ENCRYPTION_KEY'))!.key.toString('hex')));

    // SetKeyOnGMeter: user key, optical port and firmware keys (data_send, SMR5), CloseOpticalPort
    const user = await setKeyOnGMeter(url, GM, 'G_METER_ENCRYPTION_KEY');
    assert.equal(lenientResult(user.xml, 'SetKeyOnGMeter'), 'OK', user.xml);
    await meterHoldsActive(smr5);
    for (const type of ['G_METER_OPTICAL_PORT_KEY', 'G_METER_FIRMWARE_UPDATE_AUTHENTICATION_KEY'] as const) {
      const r = await setKeyOnGMeter(url, GM, type);
      assert.equal(lenientResult(r.xml, 'SetKeyOnGMeter'), 'OK', r.xml);
      assert.ok(await hh.secrets.getActive(GM, type), `${type} is ACTIVE`);
    }
    const optical = (await hh.secrets.getActive(GM, 'G_METER_OPTICAL_PORT_KEY'))!.key;
    const close = await setKeyOnGMeter(url, GM, 'G_METER_OPTICAL_PORT_KEY', '<conf:CloseOpticalPort>true</conf:CloseOpticalPort>');
    assert.equal(lenientResult(close.xml, 'SetKeyOnGMeter'), 'OK', close.xml);
    assert.ok((await hh.secrets.getActive(GM, 'G_METER_OPTICAL_PORT_KEY'))!.key.equals(optical), 'closing stores no key');
    const differing = await setKeyOnGMeter(url, GM, 'G_METER_ENCRYPTION_KEY', '', 'G0051004000000002');
    assert.equal(differing.status, 500);
    assert.equal(differing.correlationUid, undefined, 'refused before it was queued');
    const dsmr4Optical = await setKeyOnGMeter(url, 'G0051004000000002', 'G_METER_OPTICAL_PORT_KEY');
    assert.equal(lenientResult(dsmr4Optical.xml, 'SetKeyOnGMeter'), 'NOT OK', dsmr4Optical.xml);
    assert.match((await hh.platform.requests.getResponse(dsmr4Optical.correlationUid!, ORG)).error!.message, /DSMR 4\.2\.2 and key type G_METER_OPTICAL_PORT_KEY/);

    // key status (strict)
    const status = await call(url, 'configurationService', 'conf', 'GetMbusEncryptionKeyStatus', `<conf:DeviceIdentification>${GM}</conf:DeviceIdentification>`);
    assert.equal(one(status.xml, '//conf:EncryptionKeyStatus'), 'ENCRYPTION_KEY_IN_USE', status.xml);
    const statusByChannel = (channel: number) => call(url, 'configurationService', 'conf', 'GetMbusEncryptionKeyStatusByChannel',
      `<conf:GatewayDeviceIdentification>${GW}</conf:GatewayDeviceIdentification><conf:GetMbusEncryptionKeyStatusByChannelRequestData><conf:Channel>${channel}</conf:Channel></conf:GetMbusEncryptionKeyStatusByChannelRequestData>`);
    assert.equal(one((await statusByChannel(1)).xml, '//conf:EncryptionKeyStatus'), 'ENCRYPTION_KEY_IN_USE');
    assert.equal(one((await statusByChannel(2)).xml, '//conf:EncryptionKeyStatus'), 'NO_ENCRYPTION_KEY');

    // ScanMbusChannels, Couple/Decouple
    const scanned = await scan(url, GW);
    assert.equal(scanned.status, 200, scanned.xml);
    assert.ok(scanned.xml.includes(TEST_GMETER.identification), scanned.xml);
    // GM is coupled to GW already (SetMbusUserKeyByChannel recorded it): 216 without Force, as GXF; Force couples.
    const coupleGm = (force: boolean) => call(url, 'installationService', 'inst', 'CoupleMbusDevice', `<inst:DeviceIdentification>${GW}</inst:DeviceIdentification><inst:MbusDeviceIdentification>${GM}</inst:MbusDeviceIdentification><inst:Force>${force}</inst:Force>`);
    const already = await coupleGm(false);
    assert.equal(fault(already.xml), '216', already.xml);
    const couple = await coupleGm(true);
    assert.equal(one(couple.xml, '//inst:ChannelElementValues/inst:Channel'), '1', couple.xml);
    const decouple = await call(url, 'installationService', 'inst', 'DecoupleMbusDevice', `<inst:DeviceIdentification>${GW}</inst:DeviceIdentification><inst:MbusDeviceIdentification>${GM}</inst:MbusDeviceIdentification>`);
    assert.equal(decouple.status, 200, decouple.xml);
    assert.equal(smr5.gMeter(1)?.identification ?? '00000000', '00000000', 'the channel was emptied on the meter');
    // couple again: no match on the meter, so the identity is written to the first empty channel
    const written = await call(url, 'installationService', 'inst', 'CoupleMbusDevice', `<inst:DeviceIdentification>${GW}</inst:DeviceIdentification><inst:MbusDeviceIdentification>${GM}</inst:MbusDeviceIdentification><inst:Force>false</inst:Force>`);
    assert.equal(one(written.xml, '//inst:ChannelElementValues/inst:IdentificationNumber'), TEST_GMETER.identification, written.xml);
    assert.equal(fault((await byChannel(url, 'CoupleMbusDeviceByChannel', GW, 3)).xml), '219');
    smr5.installGMeter(3, { primaryAddress: 3, identification: '77777777', manufacturer: 'ITF', version: 1, deviceType: 3, defaultKey: Buffer.alloc(16, 1) });
    assert.equal(fault((await byChannel(url, 'CoupleMbusDeviceByChannel', GW, 3)).xml), '218');
    const decoupled = await byChannel(url, 'DecoupleMbusDeviceByChannel', GW, 3);
    assert.equal(decoupled.status, 200, decoupled.xml);
    assert.equal(smr5.gMeter(3)?.identification ?? '00000000', '00000000');

    // errors: empty channel (lenient: NOT OK, GXF's text stored), SMR 4.3 (416), meter failing mid-way
    const empty = await setUserKey(url, GW, 2);
    assert.equal(lenientResult(empty.xml, 'SetMbusUserKeyByChannel'), 'NOT OK', empty.xml);
    const emptyStored = await hh.platform.requests.getResponse(empty.correlationUid!, ORG);
    assert.equal(emptyStored.error?.code, 201);
    assert.match(emptyStored.error!.message, /Unable to find M-Bus device for M-Bus identification number: 00000000/);
    await gateway(GW43, 'SMR 4.3');
    const smr43 = await setUserKey(url, GW43);
    assert.equal((await hh.platform.requests.getResponse(smr43.correlationUid!, ORG)).error?.code, 416);
    smr5.faults = { methodError: { classId: 72, obis: '0-1:24.1.0.255', methodId: 8, result: 2 } };
    const failing = await setUserKey(url, GW);
    smr5.faults = {};
    assert.equal(lenientResult(failing.xml, 'SetMbusUserKeyByChannel'), 'NOT OK', failing.xml);
    assert.ok((await hh.platform.requests.getResponse(failing.correlationUid!, ORG)).error?.message);

    // refusals when the request is taken
    // an organisation the platform does not know holds no credentials: 401 with fault 224
    const nobody = await scan(url, GW, 'nobody');
    assert.equal(nobody.status, 401);
    assert.equal(fault(nobody.xml), '224');
    assert.equal(fault((await scan(url, 'E9999999999999999')).xml), '201');
    assert.equal(fault((await scan(url, GW, OTHER)).xml), '301');
    await updateOrganisation(db, OTHER, { enabled: false });
    assert.equal(fault((await scan(url, GW, OTHER)).xml), '104');

    // DeleteResponseData: afterwards the response is unknown (405)
    const del = await soap(url, 'commonService', `<smc:DeleteResponseDataRequest><smc:correlationUid>${failing.correlationUid}</smc:correlationUid></smc:DeleteResponseDataRequest>`);
    assert.equal(one(del.xml, '//smc:DeleteResponseDataResponse/c:Result'), 'OK', del.xml);
    const gone = await soap(url, 'configurationService', `<conf:SetMbusUserKeyByChannelAsyncRequest><c:DeviceIdentification>${GW}</c:DeviceIdentification><c:CorrelationUid>${failing.correlationUid}</c:CorrelationUid></conf:SetMbusUserKeyByChannelAsyncRequest>`);
    assert.equal(fault(gone.xml), '405');
  });
});

/** An AddDevice body for an E-meter with every Device child GXF keeps, in the schema's order. */
function addFullEMeterXml(pem: string, id: string, protocolName: string, protocolVersion: string): string {
  return `<inst:Device>
    <inst:Device_Identification>${id}</inst:Device_Identification><inst:Device_type>SMART_METER_E</inst:Device_type>
    <inst:Timezone>Europe/Amsterdam</inst:Timezone><inst:Communication_method>GPRS</inst:Communication_method>
    <inst:Communication_provider>KPN</inst:Communication_provider><inst:Icc_id>1234</inst:Icc_id>
    <inst:protocolName>${protocolName}</inst:protocolName><inst:protocolVersion>${protocolVersion}</inst:protocolVersion><inst:protocolVariant>zzzz</inst:protocolVariant>
    <inst:Supplier>Kaifa</inst:Supplier>
    <inst:Lls1_active>true</inst:Lls1_active><inst:Hls3_active>false</inst:Hls3_active><inst:Hls4_active>false</inst:Hls4_active><inst:Hls5_active>true</inst:Hls5_active>
    <inst:Master_key>${oaepEncrypt(pem, TEST_KEYS.mk)}</inst:Master_key>
    <inst:Global_encryption_unicast_key>${oaepEncrypt(pem, TEST_KEYS.ek)}</inst:Global_encryption_unicast_key>
    <inst:Authentication_key>${oaepEncrypt(pem, TEST_KEYS.ak)}</inst:Authentication_key>
    <inst:Delivery_date>2026-11-24T08:30:00Z</inst:Delivery_date>
    <inst:Polyphase>true</inst:Polyphase><inst:IpAddressIsStatic>false</inst:IpAddressIsStatic>
    <inst:WithListMax>32</inst:WithListMax><inst:SelectiveAccessSupported>true</inst:SelectiveAccessSupported>
    <inst:ChallengeLength>16</inst:ChallengeLength><inst:Port>4059</inst:Port>
  </inst:Device><inst:DeviceModel><inst:Manufacturer>Test</inst:Manufacturer><inst:ModelCode>T-1000</inst:ModelCode></inst:DeviceModel><inst:overwrite>false</inst:overwrite>`;
}

test('GXF SOAP AddDevice: DSMR 2.2 and SMR 4.3 accepted as GXF accepts them, an unknown combination is 206, and what GXF keeps is kept and shown in the admin device view', async () => {
  await withHttpHeadend(async ({ db, url, auth: authOf }) => {
    await addOrganisation(db, { identification: ORG });
    auth = { [ORG]: await authOf(ORG) };
    const admin = await authOf('OSGP');
    const pem = await (await fetch(`${url}/api/v1/platform/public-key`)).text();
    const add = (id: string, name: string, version: string) => call(url, 'installationService', 'inst', 'AddDevice', addFullEMeterXml(pem, id, name, version));
    const view = async (id: string) => {
      const res = await fetch(`${url}/api/v1/admin/devices/${id}`, { headers: admin });
      return { status: res.status, body: await res.json() as any };
    };
    for (const [id, name, version] of [['E0051004000000022', 'DSMR', '2.2'], ['E0051004000000043', 'SMR', '4.3']] as const) {
      const added = await add(id, name, version);
      assert.equal(added.status, 200, added.xml);
      assert.equal(one(added.xml, '//inst:AddDeviceResponse/inst:Result'), 'OK', added.xml);
      const d = await view(id);
      assert.equal(d.status, 200, JSON.stringify(d.body));
      assert.equal(d.body.protocolName, name);
      assert.equal(d.body.protocolVersion, version);
      assert.deepEqual(d.body.installation, {
        deviceModel: { manufacturer: 'Test', modelCode: 'T-1000' },
        protocolVariant: 'zzzz', timezone: 'Europe/Amsterdam', supplier: 'Kaifa',
        communicationMethod: 'GPRS', communicationProvider: 'KPN', iccId: '1234',
        lls1Active: true, hls3Active: false, hls4Active: false, polyphase: true, ipAddressIsStatic: false, selectiveAccessSupported: true,
        deliveryDate: '2026-11-24T08:30:00.000Z',
      });
    }
    // GXF has no protocol DSMR 4.3: UNKNOWN_PROTOCOL_NAME_OR_VERSION_OR_VARIANT, nothing stored.
    const unknown = await add('E0051004000000044', 'DSMR', '4.3');
    assert.equal(fault(unknown.xml), '206', unknown.xml);
    assert.equal((await view('E0051004000000044')).status, 404);
  });
});
