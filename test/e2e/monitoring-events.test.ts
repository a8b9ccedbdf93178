/**
 * FindEvents, ReadAlarmRegister, ClearAlarmRegister, GetSpecificAttributeValue and GetAllAttributeValues end to end:
 * GXF SOAP and REST over real HTTP, a real DLMS association over TCP, simulated SMR 5.5 and DSMR 4.2.2 meters whose
 * event history follows their seed and clock (src/simulator/event-logs.ts, docs/monitoring.md#simulated-event-history).
 * Expected events are literal where the text says so, else computed from the simulator's published rule.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addOrganisation } from '../../src/platform/inventory.ts';
import { DataAccessResult } from '../../src/dlms/apdu/index.ts';
import { simulatedEventsBetween } from '../../src/simulator/event-logs.ts';
import { SOAP_BASE, SOAP_NS, restOperation, xpathAll } from '../support/e2e.ts';
import { withHttpHeadend } from '../support/http-headend.ts';

const ORG = 'grid-operator';
const GW5 = 'E0051004000000041';
const GW4 = 'E0051004000000042';
/** The simulated meters' system title ends in 00 01: seed 1. */
const SEED = 1;
const T = Date.UTC(2026, 0, 15, 10, 37, 30);
const MAN = 'http://www.opensmartgridplatform.org/schemas/smartmetering/sm-management/2014/10';

const local = (name: string) => `*[local-name()='${name}']`;

function envelope(ns: string, body: string): string {
  return `<s:Envelope xmlns:s="${SOAP_NS.s}" xmlns:c="${SOAP_NS.c}" xmlns:x="${ns}"><s:Header><c:OrganisationIdentification>${ORG}</c:OrganisationIdentification><c:UserName>operator</c:UserName><c:ApplicationName>e2e</c:ApplicationName></s:Header><s:Body>${body}</s:Body></s:Envelope>`;
}

test('event logs, alarm registers and attribute reads through SOAP and REST against simulated SMR 5.5 and DSMR 4.2.2 meters', async () => {
  await withHttpHeadend(async ({ db, url, gateway, auth: authOf }) => {
    await addOrganisation(db, { identification: ORG });
    const auth = await authOf(ORG);
    const soap = async (service: string, ns: string, body: string) => {
      const res = await fetch(`${url}${SOAP_BASE}/${service}/`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""', ...auth }, body: envelope(ns, body) });
      return { status: res.status, xml: await res.text() };
    };
    const call = async (service: string, ns: string, op: string, device: string, inner = '') => {
      const accepted = await soap(service, ns, `<x:${op}Request><x:DeviceIdentification>${device}</x:DeviceIdentification>${inner}</x:${op}Request>`);
      assert.equal(accepted.status, 200, accepted.xml);
      const uid = xpathAll(accepted.xml, '//c:CorrelationUid')[0]!;
      for (let i = 0; i < 600; i++) {
        const r = await soap(service, ns, `<x:${op}AsyncRequest><c:DeviceIdentification>${device}</c:DeviceIdentification><c:CorrelationUid>${uid}</c:CorrelationUid></x:${op}AsyncRequest>`);
        if (!(r.status === 500 && xpathAll(r.xml, '//c:FunctionalFault/c:Code')[0] === '405')) return r;
        await new Promise((res) => setTimeout(res, 50));
      }
      throw new Error(`no response for ${op}`);
    };

    const smr5 = await gateway(GW5, ORG, { protocol: 'SMR 5.5' });
    const dsmr4 = await gateway(GW4, ORG, { protocol: 'DSMR 4.2.2' });
    smr5.state.clockOffsetMs = T - Date.now();
    dsmr4.state.clockOffsetMs = T - Date.now();
    const now = new Date(T + 60_000);

    // ---- FindEvents, SOAP, SMR 5.5: two logs in one request, in request order.
    const query = (category: string, from: string, until: string) =>
      `<x:FindEventsRequestData><x:EventLogCategory>${category}</x:EventLogCategory><x:From>${from}</x:From><x:Until>${until}</x:Until></x:FindEventsRequestData>`;
    const found = await call('managementService', MAN, 'FindEvents', GW5,
      query('STANDARD_EVENT_LOG', '2026-01-14T00:00:00Z', '2026-01-15T00:00:00Z') + query('POWER_QUALITY_EXTENDED_EVENT_LOG', '2026-01-10T00:00:00+01:00', '2026-01-15T00:00:00+01:00'));
    assert.equal(found.status, 200, found.xml);
    const events = (field: string) => xpathAll(found.xml, `//${local('Events')}/${local(field)}`);
    // Literal: the standard event log of seed 1 on 14 January 2026 (UTC).
    const standard = [
      ['2026-01-14T04:28:05.000Z', '6', 'CLOCK_INVALID'],
      ['2026-01-14T09:56:54.000Z', '21', 'COMMUNICATION_MODULE_REMOVED'],
      ['2026-01-14T14:11:04.000Z', '17', 'FIRMWARE_READY_FOR_ACTIVATION'],
      ['2026-01-14T18:10:48.000Z', '13', 'HARDWARE_ERROR_RAM'],
    ];
    const pq = simulatedEventsBetween('POWER_QUALITY_EXTENDED_EVENT_LOG', SEED, now, new Date('2026-01-09T23:00:00Z'), new Date('2026-01-14T23:00:00Z'));
    assert.ok(pq.length >= 4, 'five daily slots in the window');
    assert.deepEqual(events('timestamp'), [...standard.map((s) => s[0]), ...pq.map((e) => e.at.toISOString())], found.xml);
    assert.deepEqual(events('eventCode'), [...standard.map((s) => s[1]), ...pq.map((e) => String(e.code))]);
    const sagOrSwell = (code: number) => `VOLTAGE_${code <= 95 ? 'SAG' : 'SWELL'}_IN_PHASE_L${((code - 93) % 3) + 1}`;
    assert.deepEqual(events('eventType'), [...standard.map((s) => s[2]), ...pq.map((e) => sagOrSwell(e.code))]);
    assert.deepEqual(events('EventLogCategory'), [...standard.map(() => 'STANDARD_EVENT_LOG'), ...pq.map(() => 'POWER_QUALITY_EXTENDED_EVENT_LOG')]);
    const tenths = (raw: number) => `${Math.floor(raw / 10)}.${raw % 10}`;
    assert.deepEqual(xpathAll(found.xml, `//${local('eventDetails')}/${local('name')}`), pq.flatMap(() => ['magnitude', 'duration']));
    assert.deepEqual(xpathAll(found.xml, `//${local('eventDetails')}/${local('value')}`), pq.flatMap((e) => [`${tenths(e.details[0]!)} V`, `${tenths(e.details[1]!)} s`]));

    // ---- FindEvents, REST, DSMR 4.2.2: the communication session log's counter; M-Bus event names.
    const comms = await restOperation(url, `/devices/${GW4}/events`, ORG, { eventLogCategory: 'COMMUNICATION_SESSION_LOG', from: '2026-01-10T00:00:00Z', until: '2026-01-15T00:00:00Z' }, auth);
    assert.equal(comms.result, 'OK', JSON.stringify(comms.body));
    const expectedComms = simulatedEventsBetween('COMMUNICATION_SESSION_LOG', SEED, now, new Date('2026-01-10T00:00:00Z'), new Date('2026-01-15T00:00:00Z'));
    const names: Record<number, string> = { 71: 'METROLOGICAL_MAINTENANCE', 72: 'TECHNICAL_MAINTENANCE', 73: 'RETRIEVE_METER_READINGS_E', 74: 'RETRIEVE_METER_READINGS_G', 75: 'RETRIEVE_INTERVAL_DATA_E', 76: 'RETRIEVE_INTERVAL_DATA_G' };
    assert.deepEqual(comms.data.events, expectedComms.map((e) => ({ timestamp: e.at.toISOString(), eventCode: e.code, eventType: names[e.code], eventLogCategory: 'COMMUNICATION_SESSION_LOG', eventCounter: e.n })));
    assert.equal(comms.data.events.at(-1).eventCounter, 3789, 'literal: session 3789 on 14 January 2026');

    const mbus = await restOperation(url, `/devices/${GW4}/events`, ORG, { eventLogCategory: 'M_BUS_EVENT_LOG', from: '2026-01-14T00:00:00Z', until: '2026-01-15T00:00:00Z' }, auth);
    assert.deepEqual(mbus.data.events.map((e: { eventCode: number; eventType: string }) => [e.eventCode, e.eventType]), [[107, 'DEAD_BATTERY_ERROR_M_BUS_DEVICE_CHANNEL_1'], [112, 'REPLACE_BATTERY_M_BUS_CHANNEL_2']]);

    // An empty window (before the log began): no events, OK.
    const empty = await restOperation(url, `/devices/${GW4}/events`, ORG, { eventLogCategory: 'STANDARD_EVENT_LOG', from: '2014-09-02T00:00:00Z', until: '2015-08-25T00:00:00Z' }, auth);
    assert.equal(empty.result, 'OK', JSON.stringify(empty.body));
    assert.deepEqual(empty.data.events, []);
    const emptySoap = await call('managementService', MAN, 'FindEvents', GW4, query('FRAUD_DETECTION_LOG', '2014-09-02T00:00:00Z', '2015-08-25T00:00:00Z'));
    assert.equal(emptySoap.status, 200, emptySoap.xml);
    assert.deepEqual(xpathAll(emptySoap.xml, `//${local('Events')}`), []);

    // A log DSMR 4.2.2 does not have: refused, not retried.
    const missing = await restOperation(url, `/devices/${GW4}/events`, ORG, { eventLogCategory: 'POWER_QUALITY_EVENT_LOG', from: '2026-01-14T00:00:00Z', until: '2026-01-15T00:00:00Z' }, auth);
    assert.equal(missing.result, 'NOT_OK', JSON.stringify(missing.body));
    assert.equal(missing.error?.code, 416, JSON.stringify(missing.body));

    // The meter refuses the buffer read: NOT OK, the fault names the log.
    dsmr4.faults = { getError: { classId: 7, obis: '0-0:99.98.0.255', attributeId: 2, result: DataAccessResult.HARDWARE_FAULT } };
    const refused = await restOperation(url, `/devices/${GW4}/events`, ORG, { eventLogCategory: 'STANDARD_EVENT_LOG', from: '2026-01-14T00:00:00Z', until: '2026-01-15T00:00:00Z' }, auth);
    assert.equal(refused.result, 'NOT_OK', JSON.stringify(refused.body));
    assert.match(refused.error?.message ?? '', /0-0:99\.98\.0\.255/);
    const refusedSoap = await call('managementService', MAN, 'FindEvents', GW4, query('STANDARD_EVENT_LOG', '2026-01-14T00:00:00Z', '2026-01-15T00:00:00Z'));
    assert.equal(refusedSoap.status, 500, refusedSoap.xml);
    // The meter answers the buffer read with garbage: NOT OK after the retries.
    dsmr4.faults = { garbageFrom: 3 };
    const garbage = await restOperation(url, `/devices/${GW4}/events`, ORG, { eventLogCategory: 'STANDARD_EVENT_LOG', from: '2026-01-14T00:00:00Z', until: '2026-01-15T00:00:00Z' }, auth);
    assert.equal(garbage.result, 'NOT_OK', JSON.stringify(garbage.body));
    dsmr4.faults = {};

    // ---- ReadAlarmRegister: register 1 (DSMR 4.2.2), registers 1 and 2 (SMR 5.5); seed 1.
    const alarms5 = await call('monitoringService', SOAP_NS.mon, 'ReadAlarmRegister', GW5);
    assert.equal(alarms5.status, 200, alarms5.xml);
    assert.deepEqual(xpathAll(alarms5.xml, '//mon:ReadAlarmRegisterResponse/mon:AlarmTypes'), ['POWER_UP', 'FRAUD_ATTEMPT', 'COMMUNICATION_ERROR_M_BUS_CHANNEL_2', 'VOLTAGE_SAG_IN_PHASE_DETECTED_L2']);
    const alarms4 = await restOperation(url, `/devices/${GW4}/alarm-register`, ORG, {}, auth);
    assert.deepEqual(alarms4.data, { alarms: ['POWER_UP', 'FRAUD_ATTEMPT', 'COMMUNICATION_ERROR_M_BUS_CHANNEL_2'], registers: [{ register: 1, value: 0x22004 }], unknownBits: [] });

    // ---- ClearAlarmRegister: SMR 5.5 clears 1, 2 and 3; afterwards nothing is set.
    const cleared = await call('monitoringService', SOAP_NS.mon, 'ClearAlarmRegister', GW5);
    assert.equal(cleared.status, 200, cleared.xml);
    assert.deepEqual(xpathAll(cleared.xml, '//mon:ClearAlarmRegisterResponse/mon:Result'), ['OK']);
    assert.deepEqual(smr5.state.alarmRegisters, { 1: 0, 2: 0, 3: 0 });
    const after = await call('monitoringService', SOAP_NS.mon, 'ReadAlarmRegister', GW5);
    assert.deepEqual(xpathAll(after.xml, '//mon:ReadAlarmRegisterResponse/mon:AlarmTypes'), []);
    // DSMR 4.2.2 clears register 1 only.
    dsmr4.state.alarmRegisters = undefined;
    const clear4 = await restOperation(url, `/devices/${GW4}/alarm-register/clear`, ORG, {}, auth);
    assert.equal(clear4.result, 'OK', JSON.stringify(clear4.body));
    assert.deepEqual(dsmr4.state.alarmRegisters, { 1: 0 });

    // ---- GetSpecificAttributeValue: the logical device name (octet-string) and the alarm register (number).
    const obis = (a: number, b: number, c: number, d: number, e: number, f: number) => `<x:ObisCode><c:a>${a}</c:a><c:b>${b}</c:b><c:c>${c}</c:c><c:d>${d}</c:d><c:e>${e}</c:e><c:f>${f}</c:f></x:ObisCode>`;
    const name = await soap('adhocService', SOAP_NS.adhoc, `<x:GetSpecificAttributeValueRequest><x:ClassId>1</x:ClassId><x:Attribute>2</x:Attribute>${obis(0, 0, 42, 0, 0, 255)}<x:DeviceIdentification>${GW5}</x:DeviceIdentification></x:GetSpecificAttributeValueRequest>`);
    assert.equal(name.status, 200, name.xml);
    const uid = xpathAll(name.xml, '//c:CorrelationUid')[0]!;
    let answer = '';
    for (let i = 0; i < 600 && !answer; i++) {
      const r = await soap('adhocService', SOAP_NS.adhoc, `<x:GetSpecificAttributeValueAsyncRequest><c:DeviceIdentification>${GW5}</c:DeviceIdentification><c:CorrelationUid>${uid}</c:CorrelationUid></x:GetSpecificAttributeValueAsyncRequest>`);
      if (r.status === 200) answer = r.xml;
      else await new Promise((res) => setTimeout(res, 50));
    }
    // "MFS" + the system title 4B464D1020000001 in hex capitals.
    const ldn = [...Buffer.from('MFS4B464D1020000001', 'ascii')].join(', ');
    assert.deepEqual(xpathAll(answer, '//adhoc:GetSpecificAttributeValueResponse/adhoc:AttributeValueData'), [`DataObject: Choice=OCTET_STRING, ResultData isByteArray, value=[[B]: bytes[${ldn}]`]);
    const reg = await restOperation(url, `/devices/${GW4}/attributes/get`, ORG, { classId: 1, attribute: 2, obisCode: '0-0:97.98.0.255' }, auth);
    assert.deepEqual(reg.data, { attributeValueData: 'DataObject: Choice=DOUBLE_LONG_UNSIGNED, ResultData isNumber, value=[java.lang.Long]: 0' });
    // An object the meter does not have: GXF's 412.
    const undefinedObject = await restOperation(url, `/devices/${GW4}/attributes/get`, ORG, { classId: 1, attribute: 2, obisCode: '0-0:99.99.99.255' }, auth);
    assert.equal(undefinedObject.result, 'NOT_OK', JSON.stringify(undefinedObject.body));
    assert.equal(undefinedObject.error?.code, 412, JSON.stringify(undefinedObject.body));

    // ---- GetAllAttributeValues: every object of the association, the event logs' buffers included.
    const all = await restOperation(url, `/devices/${GW4}/attributes/all`, ORG, {}, auth);
    assert.equal(all.result, 'OK', JSON.stringify(all.body));
    const output = JSON.parse(all.data.output) as { classId: number; obisCode: string; attributes: { id: number; value?: unknown; error?: string }[] }[];
    const clock = output.find((o) => o.obisCode === '0-0:1.0.0.255')!;
    assert.equal(clock.classId, 8);
    const fraud = output.find((o) => o.obisCode === '0-0:99.98.1.255')!;
    assert.equal(fraud.attributes.find((a) => a.id === 8)?.value, 30, 'fraud log capacity');
    assert.equal((fraud.attributes.find((a) => a.id === 2)?.value as unknown[]).length, 30, 'the whole buffer');
    assert.ok(!output.some((o) => o.obisCode === '0-0:99.98.5.255'), 'DSMR 4.2.2 has no power quality event log');
    const allSoap = await call('adhocService', SOAP_NS.adhoc, 'GetAllAttributeValues', GW5);
    assert.equal(allSoap.status, 200, allSoap.xml);
    assert.deepEqual(xpathAll(allSoap.xml, '//adhoc:GetAllAttributeValuesResponse/adhoc:Result'), ['OK']);
    assert.ok(JSON.parse(xpathAll(allSoap.xml, '//adhoc:GetAllAttributeValuesResponse/adhoc:Output')[0]!).some((o: { obisCode: string }) => o.obisCode === '0-0:99.98.8.255'));
  });
});
