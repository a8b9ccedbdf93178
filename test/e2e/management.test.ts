/**
 * GXF's SmartMetering Management service end to end: SOAP (requests and answers validated against GXF's XSDs) and
 * REST over real HTTP, through the operation catalogue, against simulated meters over TCP. GetDevices paging and
 * authorisation; EnableDebugging → the DLMS message log of a key exchange and meter reads (ciphered as sent, no
 * key bytes), FindMessageLogs paging, DisableDebugging; SetDeviceCommunicationSettings, UpdateProtocol,
 * SetDeviceLifecycleStatusByChannel, GetGsmDiagnostic, DecoupleMbusDeviceAdministrative; an organisation without authorisation gets
 * GXF's 301, one with MANAGEMENT only the management functions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addDevice, addOrganisation, findDevice, grantAuthorisation } from '../../src/platform/inventory.ts';
import { findMessageLogs, isDebugging } from '../../src/platform/message-log.ts';
import { getCommunicationSettings } from '../../src/platform/device-management.ts';
import { getDeviceInstallation, saveDeviceInstallation } from '../../src/platform/device-installation.ts';
import { validateEnvelopeXml } from '../../src/api/soap/schema.ts';
import { TEST_KEYS } from '../../src/simulator/meter.ts';
import { SOAP_BASE, SOAP_NS, restOperation, xpathAll } from '../support/e2e.ts';
import { withHttpHeadend } from '../support/http-headend.ts';

const ORG = 'grid-operator';
const OTHER = 'other-operator';
const MGR = 'fleet-manager';
const GW = 'E0051004000000041';
const GW2 = 'E0051004000000042';
const GAS = 'G0051004000000041';
const MAN = 'http://www.opensmartgridplatform.org/schemas/smartmetering/sm-management/2014/10';
const NS = { ...SOAP_NS, man: MAN };

function envelope(org: string, body: string): string {
  return `<s:Envelope xmlns:s="${NS.s}" xmlns:c="${NS.c}" xmlns:man="${MAN}" xmlns:inst="${NS.inst}"><s:Header><c:OrganisationIdentification>${org}</c:OrganisationIdentification><c:UserName>operator</c:UserName><c:ApplicationName>e2e</c:ApplicationName></s:Header><s:Body>${body}</s:Body></s:Envelope>`;
}

/** XPath over the SOAP prefixes plus man:. */
function xp(xml: string, path: string): string[] {
  return xpathAll(xml.replaceAll(MAN, NS.smc), path.replaceAll('man:', 'smc:'));
}

test('Management service: GetDevices, debugging and the message log, communication settings, protocol, lifecycle status, administrative decoupling', async () => {
  await withHttpHeadend(async ({ db, url, h, gateway, gMeter, auth: authOf }) => {
    for (const identification of [ORG, OTHER, MGR]) await addOrganisation(db, { identification });
    const auth: Record<string, Record<string, string>> = { [ORG]: await authOf(ORG), [OTHER]: await authOf(OTHER), [MGR]: await authOf(MGR) };

    const soap = async (org: string, service: 'managementService' | 'installationService', body: string) => {
      const request = envelope(org, body);
      assert.deepEqual(validateEnvelopeXml(request), [], 'the request is valid against GXF\'s XSDs');
      const res = await fetch(`${url}${SOAP_BASE}/${service}/`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""', ...auth[org] }, body: request });
      const xml = await res.text();
      assert.deepEqual(validateEnvelopeXml(xml), [], `the answer is valid against GXF's XSDs: ${xml}`);
      return { status: res.status, xml };
    };
    const faultCode = (xml: string) => xpathAll(xml, '//c:FunctionalFault/c:Code')[0];
    /** Request, then poll its Async element until the response exists. */
    const call = async (org: string, op: string, body: string, device: string, service: 'managementService' | 'installationService' = 'managementService', asyncOp = op) => {
      const p = service === 'managementService' ? 'man' : 'inst';
      const accepted = await soap(org, service, `<${p}:${op}Request>${body}</${p}:${op}Request>`);
      if (accepted.status !== 200) return accepted;
      const uid = xpathAll(accepted.xml, '//c:CorrelationUid')[0]!;
      for (let i = 0; i < 600; i++) {
        const r = await soap(org, service, `<${p}:${asyncOp}AsyncRequest><c:DeviceIdentification>${device}</c:DeviceIdentification><c:CorrelationUid>${uid}</c:CorrelationUid></${p}:${asyncOp}AsyncRequest>`);
        if (!(r.status === 500 && faultCode(r.xml) === '405')) return r;
        await new Promise((res) => setTimeout(res, 50));
      }
      throw new Error(`no response for ${op}`);
    };
    const dev = (id: string) => `<man:DeviceIdentification>${id}</man:DeviceIdentification>`;

    const sim = await gateway(GW, ORG, { protocol: 'SMR 5.0.0' });
    await gateway(GW2, OTHER, { protocol: 'SMR 5.0.0' });
    await gMeter(GAS, ORG, { coupled: { gateway: GW, channel: 1 } });
    // 31 more E-meters of ORG (no simulator: GetDevices does not contact them): 34 devices, two pages of 30.
    for (let i = 0; i < 31; i++) {
      await addDevice(db, { deviceIdentification: `E00510040000001${String(i).padStart(2, '0')}`, deviceType: 'SMART_METER_E', protocolName: 'SMR', protocolVersion: '5.0.0', ownerOrganisationIdentification: ORG });
    }
    await grantAuthorisation(db, { deviceIdentification: GW, organisationIdentification: MGR, functionGroup: 'MANAGEMENT' });

    // ---- GetDevices: synchronous, 30 per page, identification descending, only the caller's devices.
    const page0 = await soap(ORG, 'managementService', '<man:GetDevicesRequest><man:Page>0</man:Page></man:GetDevicesRequest>');
    assert.equal(page0.status, 200, page0.xml);
    assert.equal(xp(page0.xml, '//man:DevicePage/man:TotalPages')[0], '2');
    const ids0 = xp(page0.xml, '//man:Devices/man:DeviceIdentification');
    assert.equal(ids0.length, 30);
    const page1 = await soap(ORG, 'managementService', '<man:GetDevicesRequest><man:Page>1</man:Page></man:GetDevicesRequest>');
    const ids1 = xp(page1.xml, '//man:Devices/man:DeviceIdentification');
    const all = [...ids0, ...ids1];
    assert.equal(all.length, 33, 'GW, GAS and 31 E-meters');
    assert.deepEqual(all, [...all].sort().reverse(), 'descending');
    assert.ok(all.includes(GW) && all.includes(GAS) && !all.includes(GW2), 'only devices ORG is authorised for');
    assert.equal(xp(page0.xml, `//man:Devices[man:DeviceIdentification='${GAS}']/man:DeviceType`)[0], 'SMART_METER_G');
    assert.equal(xp(page0.xml, `//man:Devices[man:DeviceIdentification='${GAS}']/man:Activated`)[0], 'true');
    assert.match(xp(page0.xml, '//man:Devices/man:DeviceUid')[0]!, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const other = await soap(OTHER, 'managementService', '<man:GetDevicesRequest><man:Page>0</man:Page></man:GetDevicesRequest>');
    assert.deepEqual(xp(other.xml, '//man:Devices/man:DeviceIdentification'), [GW2]);
    // REST
    const restPage = await fetch(`${url}/api/v1/devices?page=1`, { headers: auth[ORG] });
    assert.equal(restPage.status, 200);
    const restBody = await restPage.json() as { totalPages: number; devices: { deviceIdentification: string }[] };
    assert.equal(restBody.totalPages, 2);
    assert.deepEqual(restBody.devices.map((d) => d.deviceIdentification), ids1);
    assert.equal((await fetch(`${url}/api/v1/devices?page=-1`, { headers: auth[ORG] })).status, 400);

    // ---- EnableDebugging: an organisation without authorisation gets GXF's 301, nothing changes.
    const refused = await soap(OTHER, 'managementService', `<man:EnableDebuggingRequest>${dev(GW)}</man:EnableDebuggingRequest>`);
    assert.equal(refused.status, 500, refused.xml);
    assert.equal(faultCode(refused.xml), '301', refused.xml);
    const refusedRest = await restOperation(url, `/devices/${GW}/debugging/enable`, OTHER, {}, auth[OTHER]);
    assert.equal(refusedRest.status, 403, JSON.stringify(refusedRest.body));
    assert.equal(refusedRest.body.code, 301);
    assert.equal(await isDebugging(db, GW), false);

    const on = await call(ORG, 'EnableDebugging', dev(GW), GW);
    assert.equal(on.status, 200, on.xml);
    assert.equal(xp(on.xml, '//man:EnableDebuggingResponse/man:Result')[0], 'OK');
    assert.equal(await isDebugging(db, GW), true);

    // A key exchange and two meter reads while debugging: every APDU, both directions, is logged.
    const keyed = await restOperation(url, `/devices/${GW}/mbus/channels/1/user-key`, ORG, {}, auth[ORG]);
    assert.equal(keyed.result, 'OK', JSON.stringify(keyed.body));
    for (let i = 0; i < 2; i++) assert.equal((await restOperation(url, `/devices/${GW}/meter-reads/actual`, ORG, {}, auth[ORG])).result, 'OK');

    const stored = await findMessageLogs(db, { deviceIdentification: GW, page: 0, pageSize: 1000 });
    const rows = stored.messageLogs;
    assert.ok(rows.length >= 30, `a key exchange and two reads are more than one page: ${rows.length}`);
    assert.ok(rows.some((r) => r.incoming) && rows.some((r) => !r.incoming));
    assert.ok(rows.some((r) => r.apduType === 'AARQ' && r.decodedMessage.startsWith('SET_MBUS_USER_KEY_BY_CHANNEL (')));
    assert.ok(rows.some((r) => r.apduType === 'glo-action-request'), 'transfer_key and set_encryption_key go ciphered');
    assert.ok(rows.some((r) => r.apduType === 'glo-get-response' && /SC 0x30, IC \d+/.test(r.decodedMessage)));
    for (const r of rows) {
      assert.equal(r.size * 2, r.encodedMessage.length);
      assert.equal(r.organisationIdentification, ORG);
    }
    // No key in any form: the new user key, the gateway's keys, the gas meter's default key.
    const userKey = (await h.secrets.getActive(GAS, 'G_METER_ENCRYPTION_KEY'))!.key.toString('hex').toUpperCase();
    const secrets = [userKey, TEST_KEYS.ek, TEST_KEYS.ak, TEST_KEYS.mk, TEST_KEYS.gMeterDefaultKey].map((k) => k.toUpperCase());
    const logText = JSON.stringify(rows).toUpperCase();
    for (const k of secrets) assert.equal(logText.includes(k), false, 'no key bytes in the message log');

    // FindMessageLogs (SOAP): newest first, 30 per page, pages from 0.
    const logs0 = await call(ORG, 'FindMessageLogs', `${dev(GW)}<man:Page>0</man:Page>`, GW);
    assert.equal(logs0.status, 200, logs0.xml);
    const totalPages = Math.ceil(rows.length / 30);
    assert.equal(xp(logs0.xml, '//man:MessageLogPage/man:TotalPages')[0], String(totalPages));
    const stamps = xp(logs0.xml, '//man:MessageLogs/man:Timestamp');
    assert.equal(stamps.length, 30);
    assert.deepEqual(stamps, [...stamps].sort().reverse(), 'newest first');
    assert.deepEqual(xp(logs0.xml, '//man:MessageLogs/man:EncodedMessage'), rows.slice(0, 30).map((r) => r.encodedMessage));
    assert.equal(xp(logs0.xml, '//man:MessageLogs/man:Incoming')[0], String(rows[0]!.incoming));
    assert.equal(xp(logs0.xml, '//man:MessageLogs/man:OrganisationIdentification')[0], ORG);
    for (const k of secrets) assert.equal(logs0.xml.toUpperCase().includes(k), false);
    // FindMessageLogs (REST), the last page.
    const last = await restOperation(url, `/devices/${GW}/message-logs`, ORG, { page: totalPages - 1 }, auth[ORG]);
    assert.equal(last.result, 'OK', JSON.stringify(last.body));
    assert.equal(last.data.totalPages, totalPages);
    assert.deepEqual(last.data.messageLogs.map((m: { encodedMessage: string }) => m.encodedMessage), rows.slice((totalPages - 1) * 30).map((r) => r.encodedMessage));
    // MANAGEMENT may read the log; without authorisation: 301.
    assert.equal((await restOperation(url, `/devices/${GW}/message-logs`, MGR, { page: 0 }, auth[MGR])).result, 'OK');
    const logsRefused = await call(OTHER, 'FindMessageLogs', `${dev(GW)}<man:Page>0</man:Page>`, GW);
    assert.equal(faultCode(logsRefused.xml), '301', logsRefused.xml);

    // DisableDebugging (REST): the next exchange is not logged.
    const off = await restOperation(url, `/devices/${GW}/debugging/disable`, ORG, {}, auth[ORG]);
    assert.equal(off.result, 'OK', JSON.stringify(off.body));
    assert.equal(await isDebugging(db, GW), false);
    assert.equal((await restOperation(url, `/devices/${GW}/meter-reads/actual`, ORG, {}, auth[ORG])).result, 'OK');
    assert.equal((await findMessageLogs(db, { deviceIdentification: GW, page: 0, pageSize: 1000 })).messageLogs.length, rows.length);
    // DisableDebugging (SOAP) and EnableDebugging (REST) answer OK too.
    assert.equal(xp((await call(ORG, 'DisableDebugging', dev(GW), GW)).xml, '//man:DisableDebuggingResponse/man:Result')[0], 'OK');
    assert.equal((await restOperation(url, `/devices/${GW2}/debugging/enable`, OTHER, {}, auth[OTHER])).result, 'OK');
    assert.equal(await isDebugging(db, GW2), true);

    // ---- SetDeviceCommunicationSettings
    const settings = (cl: number) => `${dev(GW)}<man:SetDeviceCommunicationSettingsData><man:ChallengeLength>${cl}</man:ChallengeLength><man:WithListMax>1</man:WithListMax>` +
      '<man:SelectiveAccessSupported>true</man:SelectiveAccessSupported><man:IpAddressIsStatic>true</man:IpAddressIsStatic><man:UseSn>false</man:UseSn>' +
      '<man:UseHdlc>false</man:UseHdlc><man:Polyphase>true</man:Polyphase></man:SetDeviceCommunicationSettingsData>';
    const set = await call(ORG, 'SetDeviceCommunicationSettings', settings(32), GW);
    assert.equal(xp(set.xml, '//man:SetDeviceCommunicationSettingsResponse/man:Result')[0], 'OK', set.xml);
    assert.deepEqual(await getCommunicationSettings(db, GW), {
      challengeLength: 32, withListMax: 1, transport: 'WRAPPER', useHdlc: false, selectiveAccessSupported: true, ipAddressIsStatic: true, polyphase: true, useSn: false,
    });
    // The next association uses them: one GET per attribute (WithListMax 1), challenge of 32 bytes.
    assert.equal((await restOperation(url, `/devices/${GW}/meter-reads/actual`, ORG, {}, auth[ORG])).result, 'OK');
    const tooLong = await call(ORG, 'SetDeviceCommunicationSettings', settings(70), GW);
    assert.equal(faultCode(tooLong.xml), '213', tooLong.xml);
    const setRest = await restOperation(url, `/devices/${GW}/communication-settings`, ORG,
      { challengeLength: 16, withListMax: 32, selectiveAccessSupported: false, ipAddressIsStatic: false, useSn: false, useHdlc: false, polyphase: false }, auth[ORG]);
    assert.equal(setRest.result, 'OK', JSON.stringify(setRest.body));
    assert.equal((await getCommunicationSettings(db, GW))!.challengeLength, 16);
    assert.equal((await restOperation(url, `/devices/${GW}/communication-settings`, OTHER,
      { challengeLength: 16, withListMax: 32, selectiveAccessSupported: false, ipAddressIsStatic: false, useSn: false, useHdlc: false, polyphase: false }, auth[OTHER])).status, 403);

    // ---- UpdateProtocol
    const upd = await call(ORG, 'UpdateProtocol', `${dev(GW)}<man:UpdateProtocolData><man:Protocol>SMR</man:Protocol><man:ProtocolVersion>5.1</man:ProtocolVersion><man:ProtocolVariant>V1</man:ProtocolVariant></man:UpdateProtocolData>`, GW);
    assert.equal(xp(upd.xml, '//man:UpdateProtocolResponse/man:Result')[0], 'OK', upd.xml);
    const after = await findDevice(db, GW);
    assert.deepEqual([after!.protocolName, after!.protocolVersion, (await getDeviceInstallation(db, GW))?.protocolVariant], ['SMR', '5.1', 'V1']);
    const unknown = await call(ORG, 'UpdateProtocol', `${dev(GW)}<man:UpdateProtocolData><man:Protocol>OSLP</man:Protocol><man:ProtocolVersion>1.0</man:ProtocolVersion></man:UpdateProtocolData>`, GW);
    assert.equal(faultCode(unknown.xml), '206', unknown.xml);
    assert.equal((await findDevice(db, GW))!.protocolVersion, '5.1', 'an unknown protocol changes nothing');
    const updRest = await restOperation(url, `/devices/${GW}/protocol`, ORG, { protocol: 'SMR', protocolVersion: '5.0.0' }, auth[ORG]);
    assert.equal(updRest.result, 'OK', JSON.stringify(updRest.body));
    assert.equal((await findDevice(db, GW))!.protocolVersion, '5.0.0');

    // ---- SetDeviceLifecycleStatusByChannel: the meter reports the gas meter on channel 1; channel 2 is empty.
    const lc = (ch: number, status: string) => `<man:GatewayDeviceIdentification>${GW}</man:GatewayDeviceIdentification><man:SetDeviceLifecycleStatusByChannelRequestData><man:DeviceLifecycleStatus>${status}</man:DeviceLifecycleStatus><man:Channel>${ch}</man:Channel></man:SetDeviceLifecycleStatusByChannelRequestData>`;
    const lifecycle = await call(ORG, 'SetDeviceLifecycleStatusByChannel', lc(1, 'IN_USE'), GW);
    assert.equal(lifecycle.status, 200, lifecycle.xml);
    assert.equal(xp(lifecycle.xml, '//man:SetDeviceLifecycleStatusByChannelResponse/man:Result')[0], 'OK');
    assert.equal(xp(lifecycle.xml, '//man:SetDeviceLifecycleStatusByChannelResponseData/man:MbusDeviceIdentification')[0], GAS);
    assert.equal(xp(lifecycle.xml, '//man:SetDeviceLifecycleStatusByChannelResponseData/man:DeviceLifecycleStatus')[0], 'IN_USE');
    assert.equal((await findDevice(db, GAS))!.lifecycleStatus, 'IN_USE');
    const empty = await call(ORG, 'SetDeviceLifecycleStatusByChannel', lc(2, 'IN_USE'), GW);
    assert.equal(faultCode(empty.xml), '219', empty.xml);
    const lcRest = await restOperation(url, `/devices/${GW}/mbus/channels/1/lifecycle-status`, ORG, { deviceLifecycleStatus: 'RETURNED_TO_INVENTORY' }, auth[ORG]);
    assert.equal(lcRest.result, 'OK', JSON.stringify(lcRest.body));
    assert.deepEqual(lcRest.data, { gatewayDeviceIdentification: GW, mbusDeviceIdentification: GAS, deviceLifecycleStatus: 'RETURNED_TO_INVENTORY', channel: 1 });
    assert.equal((await findDevice(db, GAS))!.lifecycleStatus, 'RETURNED_TO_INVENTORY');
    // MANAGEMENT alone does not hold SetDeviceLifecycleStatusByChannel (OWNER's).
    assert.equal(faultCode((await call(MGR, 'SetDeviceLifecycleStatusByChannel', lc(1, 'IN_USE'), GW)).xml), '301');

    // ---- GetGsmDiagnostic: the object of the communication method AddDevice stated (LTE: 0-2:25.6.0.255).
    await saveDeviceInstallation(db, GW, { communicationMethod: 'LTE' });
    sim.state.clockOffsetMs = Date.UTC(2026, 0, 15, 10, 30, 0) - Date.now();
    const gsm = await call(ORG, 'GetGsmDiagnostic', `${dev(GW)}<man:GetGsmDiagnosticRequestData/>`, GW);
    assert.equal(gsm.status, 200, gsm.xml);
    const g = (e: string) => xp(gsm.xml, `//man:GetGsmDiagnosticResponseData/${e}`);
    assert.deepEqual([g('man:Operator'), g('man:ModemRegistrationStatus'), g('man:CircuitSwitchedStatus'), g('man:PacketSwitchedStatus')],
      [['MFS Mobile'], ['REGISTERED_HOME_NETWORK'], ['INACTIVE'], ['LTE']]);
    assert.deepEqual(['CellId', 'LocationId', 'SignalQuality', 'BitErrorRate', 'MobileCountryCode', 'MobileNetworkCode', 'ChannelNumber'].map((e) => g(`man:CellInfo/man:${e}`)[0]),
      ['77001', '2230', 'MINUS_87_DBM', '99', '204', '8', '1800']);
    assert.deepEqual([g('man:AdjacentCells/man:CellId'), g('man:AdjacentCells/man:SignalQuality')], [['77002'], ['MINUS_95_DBM']]);
    const captured = Date.parse(g('man:CaptureTime')[0]!);
    assert.ok(captured >= Date.UTC(2026, 0, 15, 10, 30, 0) && captured < Date.UTC(2026, 0, 15, 10, 31, 0), `the meter's clock: ${g('man:CaptureTime')[0]}`);
    // REST, GPRS object: packet switched GPRS.
    await saveDeviceInstallation(db, GW, { communicationMethod: 'GPRS' });
    const gprs = await restOperation(url, `/devices/${GW}/gsm-diagnostic`, ORG, {}, auth[ORG]);
    assert.equal(gprs.result, 'OK', JSON.stringify(gprs.body));
    assert.equal(gprs.data.packetSwitchedStatus, 'GPRS');
    // CDMA: the simulated SMR 5 meter has no such object → NOT OK with the meter's refusal; no method → 416.
    await saveDeviceInstallation(db, GW, { communicationMethod: 'CDMA' });
    assert.equal((await restOperation(url, `/devices/${GW}/gsm-diagnostic`, ORG, {}, auth[ORG])).result, 'NOT_OK');
    assert.equal(faultCode((await call(OTHER, 'GetGsmDiagnostic', `${dev(GW2)}<man:GetGsmDiagnosticRequestData/>`, GW2)).xml), '416');
    assert.equal(faultCode((await call(OTHER, 'GetGsmDiagnostic', `${dev(GW)}<man:GetGsmDiagnosticRequestData/>`, GW)).xml), '301');

    // ---- DecoupleMbusDeviceAdministrative (installation service): the inventory only; the meter keeps its channel.
    assert.equal(faultCode((await call(OTHER, 'DecoupleMBusDeviceAdministrative', `<inst:MbusDeviceIdentification>${GAS}</inst:MbusDeviceIdentification>`, GAS, 'installationService', 'DecoupleMbusDeviceAdministrative')).xml), '301');
    const decoupled = await call(ORG, 'DecoupleMBusDeviceAdministrative', `<inst:MbusDeviceIdentification>${GAS}</inst:MbusDeviceIdentification>`, GAS, 'installationService', 'DecoupleMbusDeviceAdministrative');
    assert.equal(decoupled.status, 200, decoupled.xml);
    assert.equal(xpathAll(decoupled.xml, '//inst:DecoupleMbusDeviceAdministrativeResponse/inst:Result')[0], 'OK');
    const gas = await findDevice(db, GAS);
    assert.deepEqual([gas!.gatewayDeviceIdentification, gas!.channel], [null, null]);
    assert.equal(sim.state.channels[0]?.identification, '12056731', 'the meter was not contacted');
    const again = await restOperation(url, `/devices/${GAS}/mbus/decouple-administrative`, ORG, {}, auth[ORG]);
    assert.equal(again.result, 'OK', JSON.stringify(again.body));
  });
});
