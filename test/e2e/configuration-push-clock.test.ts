/**
 * The Configuration operations that write configuration objects, end to end: GXF SOAP (and REST) over real HTTP, a real
 * DLMS association over TCP, against simulated SMR 5.5 and DSMR 4.2.2 meters. What each meter holds afterwards is
 * read from its state, as A-XDR bytes (src/simulator/configuration.ts).
 */
import { encodeData } from '../../src/dlms/axdr.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addOrganisation } from '../../src/platform/inventory.ts';
import { SOAP_BASE, SOAP_NS, restOperation, xpathAll } from '../support/e2e.ts';
import { withHttpHeadend } from '../support/http-headend.ts';
import type { SimulatedMeter } from '../../src/simulator/simulator.ts';

const ORG = 'grid-operator';
const OTHER = 'other-operator';
const GW55 = 'E0051004000000055';
const GW4 = 'E0051004000000042';

function envelope(body: string, org: string): string {
  return `<s:Envelope xmlns:s="${SOAP_NS.s}" xmlns:c="${SOAP_NS.c}" xmlns:conf="${SOAP_NS.conf}"><s:Header><c:OrganisationIdentification>${org}</c:OrganisationIdentification><c:UserName>operator</c:UserName><c:ApplicationName>e2e</c:ApplicationName></s:Header><s:Body>${body}</s:Body></s:Envelope>`;
}

/** The A-XDR hex a meter holds for class/logical name/attribute, as the client wrote it. */
const held = (sim: SimulatedMeter, classId: number, ln: string, attribute: number): string | undefined => sim.state.configuration?.[`${classId}/${ln}/${attribute}`];

/** The configuration object as the meter holds it (written by a client), A-XDR hex; undefined while never written. */
const configurationObjectHeld = (sim: SimulatedMeter): string | undefined =>
  sim.state.configurationObject ? encodeData(sim.state.configurationObject).toString('hex').toUpperCase() : undefined;

const ln = (a: number, b: number, c: number, d: number, e: number, f: number) =>
  `<conf:LogicalName><c:a>${a}</c:a><c:b>${b}</c:b><c:c>${c}</c:c><c:d>${d}</c:d><c:e>${e}</c:e><c:f>${f}</c:f></conf:LogicalName>`;
const pushObject = (classId: number, name: string, attribute: number) => `<conf:PushObjectList><conf:ClassId>${classId}</conf:ClassId>${name}<conf:AttributeIndex>${attribute}</conf:AttributeIndex><conf:DataIndex>0</conf:DataIndex></conf:PushObjectList>`;
const ascii = (s: string) => Buffer.from(s, 'ascii').toString('hex').toUpperCase();

test('administrative status, push setups, alarm notifications, clock, randomisation and THD configuration through SOAP and REST against SMR 5.5 and DSMR 4.2.2', async () => {
  await withHttpHeadend(async ({ db, url, gateway, auth: authOf }) => {
    await addOrganisation(db, { identification: ORG });
    await addOrganisation(db, { identification: OTHER });
    const auth: Record<string, Record<string, string>> = { [ORG]: await authOf(ORG), [OTHER]: await authOf(OTHER) };
    const soap = async (body: string, org = ORG) => {
      const res = await fetch(`${url}${SOAP_BASE}/configurationService/`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""', ...auth[org] }, body: envelope(body, org) });
      return { status: res.status, xml: await res.text() };
    };
    const call = async (op: string, device: string, data = '', org = ORG) => {
      const accepted = await soap(`<conf:${op}Request><conf:DeviceIdentification>${device}</conf:DeviceIdentification>${data}</conf:${op}Request>`, org);
      if (accepted.status !== 200) return accepted;
      const uid = xpathAll(accepted.xml, '//c:CorrelationUid')[0]!;
      for (let i = 0; i < 600; i++) {
        const r = await soap(`<conf:${op}AsyncRequest><c:DeviceIdentification>${device}</c:DeviceIdentification><c:CorrelationUid>${uid}</c:CorrelationUid></conf:${op}AsyncRequest>`, org);
        if (!(r.status === 500 && xpathAll(r.xml, '//c:FunctionalFault/c:Code')[0] === '405')) return r;
        await new Promise((res) => setTimeout(res, 50));
      }
      throw new Error(`no response for ${op}`);
    };
    const result = (r: { xml: string }, op: string) => xpathAll(r.xml, `//conf:${op}Response/conf:Result`)[0];

    const smr55 = await gateway(GW55, ORG, { protocol: 'SMR 5.5' });
    const dsmr4 = await gateway(GW4, ORG, { protocol: 'DSMR 4.2.2' });

    // --- Get/SetAdministrativeStatus: enum 0..2 in 0-1:94.31.0.255 (class 1) attribute 2
    const before = await call('GetAdministrativeStatus', GW55);
    assert.equal(before.status, 200, before.xml);
    assert.equal(xpathAll(before.xml, '//conf:GetAdministrativeStatusResponse/conf:Enabled')[0], 'ON', before.xml);
    const setOff = await call('SetAdministrativeStatus', GW55, '<conf:Enabled>OFF</conf:Enabled>');
    assert.equal(result(setOff, 'SetAdministrativeStatus'), 'OK', setOff.xml);
    assert.equal(held(smr55, 1, '00015E1F00FF', 2), '1601');
    const after = await call('GetAdministrativeStatus', GW55);
    assert.equal(xpathAll(after.xml, '//conf:GetAdministrativeStatusResponse/conf:Enabled')[0], 'OFF', after.xml);
    const foreign = await call('SetAdministrativeStatus', GW55, '<conf:Enabled>ON</conf:Enabled>', OTHER);
    assert.equal(foreign.status, 500, foreign.xml);
    assert.equal(xpathAll(foreign.xml, '//c:FunctionalFault/c:Code')[0], '301', foreign.xml);
    assert.equal(held(smr55, 1, '00015E1F00FF', 2), '1601', 'the other organisation changed nothing');

    // --- SetPushSetupAlarm: destination {TCP, "host:port", message 0 on SMR 5}, then the push object list after a GET of each object
    const alarmSetup = (objects: string) => `<conf:SetPushSetupAlarmRequestData><conf:PushSetupAlarm><conf:Host>localhost2</conf:Host><conf:Port>4321</conf:Port>${objects}</conf:PushSetupAlarm></conf:SetPushSetupAlarmRequestData>`;
    const missing = await call('SetPushSetupAlarm', GW55, alarmSetup(pushObject(1, ln(0, 0, 96, 1, 1, 255), 2)));
    assert.equal(result(missing, 'SetPushSetupAlarm'), 'NOT OK', missing.xml);
    assert.equal(held(smr55, 40, '0001190900FF', 2), undefined, 'an object the meter does not have is not put in the list');
    const destination55 = '0203' + '1600' + '090F' + ascii('localhost2:4321') + '1600';
    assert.equal(held(smr55, 40, '0001190900FF', 3), destination55, 'the destination was written before the list was checked');
    const alarm = await call('SetPushSetupAlarm', GW55, alarmSetup(pushObject(1, ln(0, 0, 96, 1, 0, 255), 2) + pushObject(40, ln(0, 1, 25, 9, 0, 255), 1) + pushObject(1, ln(0, 0, 97, 98, 0, 255), 2)));
    assert.equal(result(alarm, 'SetPushSetupAlarm'), 'OK', alarm.xml);
    assert.equal(held(smr55, 40, '0001190900FF', 2), '0103' + '0204120001090600006001' + '00FF0F02120000' + '0204120028090600011909' + '00FF0F01120000' + '0204120001090600006162' + '00FF0F02120000');

    // --- SetPushSetupSms: TCP (as GXF writes it) to 0-2:25.9.0.255
    const sms = await call('SetPushSetupSms', GW55, '<conf:SetPushSetupSmsRequestData><conf:PushSetupSms><conf:Host>sms.example</conf:Host><conf:Port>9598</conf:Port></conf:PushSetupSms></conf:SetPushSetupSmsRequestData>');
    assert.equal(result(sms, 'SetPushSetupSms'), 'OK', sms.xml);
    assert.equal(held(smr55, 40, '0002190900FF', 3), '0203' + '1600' + '0910' + ascii('sms.example:9598') + '1600');

    // --- SetPushSetupLastGasp and SetPushSetupUdp: the UDP push setup 0-3:25.9.0.255, SMR 5.5 only
    const gasp = await call('SetPushSetupLastGasp', GW55, '<conf:SetPushSetupLastGaspRequestData><conf:PushSetupLastGasp><conf:Host>10.0.0.1</conf:Host><conf:Port>9599</conf:Port></conf:PushSetupLastGasp></conf:SetPushSetupLastGaspRequestData>');
    assert.equal(result(gasp, 'SetPushSetupLastGasp'), 'OK', gasp.xml);
    assert.equal(held(smr55, 40, '0003190900FF', 3), '0203' + '1601' + '090D' + ascii('10.0.0.1:9599') + '1600');
    const udp = await call('SetPushSetupUdp', GW55);
    assert.equal(result(udp, 'SetPushSetupUdp'), 'OK', udp.xml);
    assert.equal(held(smr55, 40, '0003190900FF', 4), '0100', 'an empty communication window');

    // --- SetAlarmNotifications: filters 1..3 on SMR 5.5, read-modify-write, an unchanged filter not written
    const notify = (list: [string, boolean][]) => `<conf:SetAlarmNotificationsRequestData><conf:AlarmNotifications>${list.map(([t, e]) => `<conf:AlarmNotification><conf:AlarmType>${t}</conf:AlarmType><conf:Enabled>${e}</conf:Enabled></conf:AlarmNotification>`).join('')}</conf:AlarmNotifications></conf:SetAlarmNotificationsRequestData>`;
    const alarms = await call('SetAlarmNotifications', GW55, notify([['CLOCK_INVALID', true], ['FRAUD_ATTEMPT', true], ['POWER_UP', false], ['LAST_GASP', true]]));
    assert.equal(result(alarms, 'SetAlarmNotifications'), 'OK', alarms.xml);
    assert.equal(held(smr55, 1, '000061620AFF', 2), '0600002001', 'filter 1: bits 0 and 13');
    assert.equal(held(smr55, 1, '000061620BFF', 2), undefined, 'filter 2 unchanged, not written');
    assert.equal(held(smr55, 1, '000061620CFF', 2), '0600000001', 'filter 3: LAST_GASP');
    const again = await call('SetAlarmNotifications', GW55, notify([['CLOCK_INVALID', false], ['REPLACE_BATTERY', true]]));
    assert.equal(result(again, 'SetAlarmNotifications'), 'OK', again.xml);
    assert.equal(held(smr55, 1, '000061620AFF', 2), '0600002002', 'the meter value is kept for the bits not requested');

    // --- SetClockConfiguration: time_zone, DST begin, end, enabled
    const clock = (offset: number) => `<conf:SetClockConfigurationData><conf:TimeZoneOffset>${offset}</conf:TimeZoneOffset><conf:DaylightSavingsBegin>FFFF03FE0702000000FFC400</conf:DaylightSavingsBegin><conf:DaylightSavingsEnd>FFFF0AFE0703000000FF8880</conf:DaylightSavingsEnd><conf:DaylightSavingsEnabled>false</conf:DaylightSavingsEnabled></conf:SetClockConfigurationData>`;
    const clock55 = await call('SetClockConfiguration', GW55, clock(-60));
    assert.equal(result(clock55, 'SetClockConfiguration'), 'OK', clock55.xml);
    assert.deepEqual([3, 5, 6, 8].map((a) => held(smr55, 8, '0000010000FF', a)), ['10FFC4', '090CFFFF03FE0702000000FFC400', '090CFFFF0AFE0703000000FF8880', '0300']);

    // --- DSMR 4.2.2: message type 128, one alarm filter, no UDP push setup
    const alarm4 = await call('SetPushSetupAlarm', GW4, '<conf:SetPushSetupAlarmRequestData><conf:PushSetupAlarm><conf:Host>h</conf:Host><conf:Port>1</conf:Port></conf:PushSetupAlarm></conf:SetPushSetupAlarmRequestData>');
    assert.equal(result(alarm4, 'SetPushSetupAlarm'), 'OK', alarm4.xml);
    assert.equal(held(dsmr4, 40, '0001190900FF', 3), '0203160009036' + '83A31' + '1680');
    assert.equal(held(dsmr4, 40, '0001190900FF', 2), undefined, 'no list given, none written');
    const alarms4 = await call('SetAlarmNotifications', GW4, notify([['FRAUD_ATTEMPT', true], ['LAST_GASP', true]]));
    assert.equal(result(alarms4, 'SetAlarmNotifications'), 'OK', alarms4.xml);
    assert.equal(held(dsmr4, 1, '000061620AFF', 2), '0600002000');
    const gasp4 = await call('SetPushSetupLastGasp', GW4, '<conf:SetPushSetupLastGaspRequestData><conf:PushSetupLastGasp><conf:Host>h</conf:Host><conf:Port>1</conf:Port></conf:PushSetupLastGasp></conf:SetPushSetupLastGaspRequestData>');
    assert.equal(result(gasp4, 'SetPushSetupLastGasp'), 'NOT OK', gasp4.xml);
    assert.equal(dsmr4.state.configuration?.['40/0003190900FF/3'], undefined);
    const status4 = await call('GetAdministrativeStatus', GW4);
    assert.equal(xpathAll(status4.xml, '//conf:GetAdministrativeStatusResponse/conf:Enabled')[0], 'ON', status4.xml);
    const off4 = await call('SetAdministrativeStatus', GW4, '<conf:Enabled>OFF</conf:Enabled>');
    assert.equal(result(off4, 'SetAdministrativeStatus'), 'OK', off4.xml);
    assert.equal(held(dsmr4, 1, '00015E1F00FF', 2), '1601');
    const status4b = await call('GetAdministrativeStatus', GW4);
    assert.equal(xpathAll(status4b.xml, '//conf:GetAdministrativeStatusResponse/conf:Enabled')[0], 'OFF', status4b.xml);
    const sms4 = await call('SetPushSetupSms', GW4, '<conf:SetPushSetupSmsRequestData><conf:PushSetupSms><conf:Host>sms4</conf:Host><conf:Port>9598</conf:Port></conf:PushSetupSms></conf:SetPushSetupSmsRequestData>');
    assert.equal(result(sms4, 'SetPushSetupSms'), 'OK', sms4.xml);
    assert.equal(held(dsmr4, 40, '0002190900FF', 3), '0203' + '1600' + '0909' + ascii('sms4:9598') + '1680', 'message type 128 on DSMR 4.2.2');
    const udp4 = await call('SetPushSetupUdp', GW4);
    assert.equal(result(udp4, 'SetPushSetupUdp'), 'NOT OK', udp4.xml);
    assert.equal(held(dsmr4, 40, '0003190900FF', 4), undefined, 'no UDP push setup on DSMR 4.2.2: nothing written');
    const clock4 = await call('SetClockConfiguration', GW4, clock(-120));
    assert.equal(result(clock4, 'SetClockConfiguration'), 'OK', clock4.xml);
    assert.equal(held(dsmr4, 8, '0000010000FF', 3), '10FF88');

    // --- SetRandomisationSettings: the configuration object's direct attach flag (bit 10 on SMR 5), then the settings unless attached directly
    const randomisation = (d: number, w: number, f: number, n: number) => `<conf:SetRandomisationSettingsData><conf:directAttach>${d}</conf:directAttach><conf:randomisationStartWindow>${w}</conf:randomisationStartWindow><conf:multiplicationFactor>${f}</conf:multiplicationFactor><conf:numberOfRetries>${n}</conf:numberOfRetries></conf:SetRandomisationSettingsData>`;
    const attach = await call('SetRandomisationSettings', GW55, randomisation(1, 1, 1, 1));
    assert.equal(result(attach, 'SetRandomisationSettings'), 'OK', attach.xml);
    assert.equal(configurationObjectHeld(smr55), '04101220', 'flags 3, 6, 10');
    assert.equal(held(smr55, 1, '00015E1F0CFF', 2), undefined, 'attached directly: no randomisation written');
    const spread = await call('SetRandomisationSettings', GW55, randomisation(0, 5, 3, 1));
    assert.equal(result(spread, 'SetRandomisationSettings'), 'OK', spread.xml);
    assert.equal(configurationObjectHeld(smr55), '04101200', 'flag 10 cleared, the others kept');
    assert.equal(held(smr55, 1, '00015E1F0CFF', 2), '0203' + '0600000005' + '120003' + '120001');
    const attach4 = await call('SetRandomisationSettings', GW4, randomisation(1, 1, 1, 1));
    assert.equal(result(attach4, 'SetRandomisationSettings'), 'NOT OK', attach4.xml);
    assert.equal(configurationObjectHeld(dsmr4), undefined, 'DSMR 4.2.2 has no direct attach flag: nothing written');
    const spread4 = await call('SetRandomisationSettings', GW4, randomisation(0, 10, 4, 1));
    assert.equal(result(spread4, 'SetRandomisationSettings'), 'OK', spread4.xml);
    assert.equal(configurationObjectHeld(dsmr4), '0202' + '1601' + '04105200', 'written back unchanged');
    assert.equal(held(dsmr4, 1, '00015E1F0CFF', 2), '0203' + '060000000A' + '120004' + '120001');

    // --- SetThdConfiguration: five class 3 registers of SMR 5.2+ written together; other protocols NOT OK (416), nothing written
    const thd = (n2o: number, o2n: number, t: number, h: number, v: number) => '<conf:SetThdConfigurationRequestData>' +
      `<conf:MinDurationNormalToOver>${n2o}</conf:MinDurationNormalToOver><conf:MinDurationOverToNormal>${o2n}</conf:MinDurationOverToNormal>` +
      `<conf:TimeThreshold>${t}</conf:TimeThreshold><conf:ValueHysteresis>${h}</conf:ValueHysteresis><conf:ValueThreshold>${v}</conf:ValueThreshold></conf:SetThdConfigurationRequestData>`;
    const thdHeld = (sim: SimulatedMeter) => ['01000B237CFF', '00015E1F15FF', '00015E1F16FF', '00015E1F17FF', '01000B2C7CFF'].map((l) => held(sim, 3, l, 2));
    const thd55 = await call('SetThdConfiguration', GW55, thd(60, 120, 3600, 2, 8));
    assert.equal(result(thd55, 'SetThdConfiguration'), 'OK', thd55.xml);
    assert.deepEqual(thdHeld(smr55), ['120008', '120002', '060000003C', '0600000078', '0600000E10'], 'threshold, hysteresis, normal→over, over→normal, time threshold');
    const thd4 = await call('SetThdConfiguration', GW4, thd(60, 120, 3600, 2, 8));
    assert.equal(result(thd4, 'SetThdConfiguration'), 'NOT OK', thd4.xml);
    assert.deepEqual(thdHeld(dsmr4), [undefined, undefined, undefined, undefined, undefined]);
    const thdTooHigh = await soap(`<conf:SetThdConfigurationRequest><conf:DeviceIdentification>${GW55}</conf:DeviceIdentification>${thd(1, 1, 1, 1, 70000)}</conf:SetThdConfigurationRequest>`);
    assert.equal(thdTooHigh.status, 500, thdTooHigh.xml);
    assert.match(thdTooHigh.xml, /valueThreshold/, thdTooHigh.xml);

    // --- Bundle: the actions of GXF's bundle schema, AdministrativeStatusType standing in for Enabled
    const B = 'http://www.opensmartgridplatform.org/schemas/smartmetering/sm-bundle/2014/10';
    const bundleSoap = async (body: string) => {
      const res = await fetch(`${url}${SOAP_BASE}/bundleService/`, {
        method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""', ...auth[ORG] },
        body: envelope(body, ORG).replace('<s:Envelope ', `<s:Envelope xmlns:b="${B}" `),
      });
      return { status: res.status, xml: await res.text() };
    };
    const accepted = await bundleSoap(`<b:BundleRequest><b:DeviceIdentification>${GW55}</b:DeviceIdentification><b:Actions>` +
      '<b:SetAdministrativeStatusRequest><conf:AdministrativeStatusType>UNDEFINED</conf:AdministrativeStatusType></b:SetAdministrativeStatusRequest>' +
      '<b:GetAdministrativeStatusRequest/>' +
      '<b:SetPushSetupSmsRequest><conf:PushSetupSms><conf:Host>bundle</conf:Host><conf:Port>7</conf:Port></conf:PushSetupSms></b:SetPushSetupSmsRequest>' +
      '<b:SetThdConfigurationRequest><conf:MinDurationNormalToOver>61</conf:MinDurationNormalToOver><conf:MinDurationOverToNormal>121</conf:MinDurationOverToNormal><conf:TimeThreshold>3601</conf:TimeThreshold><conf:ValueHysteresis>3</conf:ValueHysteresis><conf:ValueThreshold>9</conf:ValueThreshold></b:SetThdConfigurationRequest>' +
      '</b:Actions></b:BundleRequest>');
    assert.equal(accepted.status, 200, accepted.xml);
    const bundleUid = xpathAll(accepted.xml, '//c:CorrelationUid')[0]!;
    let bundled = { status: 0, xml: '' };
    for (let i = 0; i < 600; i++) {
      bundled = await bundleSoap(`<b:BundleAsyncRequest><c:DeviceIdentification>${GW55}</c:DeviceIdentification><c:CorrelationUid>${bundleUid}</c:CorrelationUid></b:BundleAsyncRequest>`);
      if (!(bundled.status === 500 && bundled.xml.includes('>405<'))) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.equal(bundled.status, 200, bundled.xml);
    assert.match(bundled.xml, /AdministrativeStatusResponse>.*AdministrativeStatusType[^>]*>UNDEFINED</s, bundled.xml);
    assert.equal(held(smr55, 1, '00015E1F00FF', 2), '1600');
    assert.equal(held(smr55, 40, '0002190900FF', 3), '0203' + '1600' + '0908' + ascii('bundle:7') + '1600');
    assert.equal(bundled.xml.match(/:ActionResponse><[^>]*Result>OK</g)?.length, 3, 'SetAdministrativeStatus, SetPushSetupSms and SetThdConfiguration: OK');
    assert.deepEqual(thdHeld(smr55), ['120009', '120003', '060000003D', '0600000079', '0600000E11']);

    // --- REST: the same operations; another organisation is refused
    const restAdmin = await restOperation(url, `/devices/${GW4}/administrative-status`, ORG, { enabled: 'UNDEFINED' }, auth[ORG]);
    assert.equal(restAdmin.result, 'OK', JSON.stringify(restAdmin.body));
    assert.equal(held(dsmr4, 1, '00015E1F00FF', 2), '1600');
    const restRead = await restOperation(url, `/devices/${GW4}/administrative-status/read`, ORG, {}, auth[ORG]);
    assert.deepEqual(restRead.data, { administrativeStatusType: 'UNDEFINED' });
    const restSms = await restOperation(url, `/devices/${GW4}/push-setup/sms`, ORG, { host: 'h', port: 2 }, auth[ORG]);
    assert.equal(restSms.result, 'OK', JSON.stringify(restSms.body));
    assert.equal(held(dsmr4, 40, '0002190900FF', 3), '0203160009036' + '83A32' + '1680');
    const restNotify = await restOperation(url, `/devices/${GW4}/alarm-notifications`, ORG, { alarmNotifications: [{ alarmType: 'FRAUD_ATTEMPT', enabled: false }] }, auth[ORG]);
    assert.deepEqual(restNotify.data, { filters: [{ filter: 1, before: 0x2000, after: 0 }] });
    const restThd = await restOperation(url, `/devices/${GW55}/thd-configuration`, ORG, { minDurationNormalToOver: 62, minDurationOverToNormal: 122, timeThreshold: 3602, valueHysteresis: 4, valueThreshold: 10 }, auth[ORG]);
    assert.equal(restThd.result, 'OK', JSON.stringify(restThd.body));
    assert.deepEqual(thdHeld(smr55), ['12000A', '120004', '060000003E', '060000007A', '0600000E12']);
    const restThd4 = await restOperation(url, `/devices/${GW4}/thd-configuration`, ORG, { minDurationNormalToOver: 1, minDurationOverToNormal: 1, timeThreshold: 1, valueHysteresis: 1, valueThreshold: 1 }, auth[ORG]);
    assert.equal(restThd4.error?.code, 416, JSON.stringify(restThd4.body));
    const restThdForeign = await restOperation(url, `/devices/${GW55}/thd-configuration`, OTHER, { minDurationNormalToOver: 0, minDurationOverToNormal: 0, timeThreshold: 0, valueHysteresis: 0, valueThreshold: 0 }, auth[OTHER]);
    assert.equal(restThdForeign.status, 403, JSON.stringify(restThdForeign.body));
    assert.deepEqual(thdHeld(smr55), ['12000A', '120004', '060000003E', '060000007A', '0600000E12'], 'unchanged by the refused request');
    const restForeign = await restOperation(url, `/devices/${GW4}/push-setup/alarm`, OTHER, { host: 'evil', port: 1 }, auth[OTHER]);
    assert.equal(restForeign.status, 403, JSON.stringify(restForeign.body));
    assert.equal(held(dsmr4, 40, '0001190900FF', 3), '0203160009036' + '83A31' + '1680', 'unchanged by the refused request');
  });
});
