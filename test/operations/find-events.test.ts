// FindEvents' pieces: GXF's code → EventType table against the XSD's EventType enumeration, protocol-dependent codes,
// the logs per protocol, entries → events (counter, scaled details, faults), and execute() against fake ports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Data } from '../../src/dlms/axdr.ts';
import { decodeProfileBuffer } from '../../src/dlms/profile.ts';
import { EVENT_LOGS } from '../../src/cosem/index.ts';
import { alarmRegistersOf, clearedAlarmRegistersOf, eventLogCategoriesOf, eventTypeOf } from '../../src/operations/monitoring/event-types.ts';
import { eventsOf } from '../../src/operations/monitoring/find-events.ts';
import { attributeText } from '../../src/operations/adhoc/attribute-text.ts';
import { isMeterfabricError } from '../../src/errors.ts';

const xsd = readFileSync(join(import.meta.dirname, '..', '..', 'src', 'api', 'soap', 'wsdl', 'schemas', 'management-ws-smartmetering.xsd'), 'utf8');
const EVENT_TYPES = new Set([...(/<xsd:simpleType name="EventType">([\s\S]*?)<\/xsd:simpleType>/.exec(xsd)![1]!).matchAll(/value="([A-Z0-9_]+)"/g)].map((m) => m[1]!));

test('every code 0..0xFFFF maps to a name of the XSD EventType enumeration, and every name is reached', () => {
  const reached = new Set<string>();
  for (const protocol of ['DSMR 4.2.2', 'SMR 5.1']) {
    for (let code = 0; code <= 0xffff; code++) {
      const t = eventTypeOf(code, protocol);
      assert.ok(EVENT_TYPES.has(t), `${code} → ${t}`);
      reached.add(t);
    }
  }
  assert.deepEqual([...EVENT_TYPES].filter((t) => !reached.has(t)), []);
});

test('event types: literal examples of each family', () => {
  assert.equal(eventTypeOf(255, 'SMR 5.0.0'), 'EVENTLOG_CLEARED');
  assert.equal(eventTypeOf(80, 'DSMR 4.2.2'), 'PV_VOLTAGE_SAG_L1');
  assert.equal(eventTypeOf(80, 'SMR 5.0.0'), 'OVER_VOLTAGE_L1');
  assert.equal(eventTypeOf(85, 'SMR 4.3'), 'VOLTAGE_L3_NORMAL');
  assert.equal(eventTypeOf(125, 'SMR 5.0.0'), 'NEW_M_BUS_DEVICE_DISCOVERED_CHANNEL_3');
  assert.equal(eventTypeOf(108, 'SMR 5.0.0'), 'UNKNOWN_EVENT_HEADEND');
  assert.equal(eventTypeOf(0x8094, 'SMR 5.1'), 'MBUS_STATUS_BIT_20_MANUFACTURER_SPECIFIC_CHANNEL_1');
  assert.equal(eventTypeOf(0x8391, 'SMR 5.1'), 'MBUS_STATUS_BIT_17_NEW_KEY_ACCEPTED_CHANNEL_4');
  assert.equal(eventTypeOf(0x11a1, 'SMR 5.1'), 'UNKNOWN_EVENT_HEADEND');
  assert.equal(eventTypeOf(0x81a1, 'SMR 5.1'), 'KEY_ACKNOWLEDGED_BY_MBUS_DEVICE_ON_CHANNEL_2');
  assert.equal(eventTypeOf(0x1207, 'SMR 5.1'), 'MBUS_FW_UPGRADE_INVALID_FIRMWARE_FOR_THIS_DEVICE_CHANNEL_3');
  assert.equal(eventTypeOf(0x85a1, 'SMR 5.1'), 'UNKNOWN_EVENT_HEADEND');
  assert.equal(eventTypeOf(0xffff, 'SMR 5.1'), 'AUXILIARY_EVENTLOG_CLEARED');
});

test('logs and alarm registers per protocol', () => {
  assert.deepEqual(eventLogCategoriesOf('DSMR 4.2.2'), ['STANDARD_EVENT_LOG', 'FRAUD_DETECTION_LOG', 'COMMUNICATION_SESSION_LOG', 'M_BUS_EVENT_LOG']);
  assert.deepEqual(eventLogCategoriesOf('SMR 4.3'), eventLogCategoriesOf('DSMR 4.2.2'));
  assert.deepEqual(eventLogCategoriesOf('SMR 5.0.0').slice(4), ['POWER_QUALITY_EVENT_LOG']);
  assert.deepEqual(eventLogCategoriesOf('SMR 5.1').slice(4), ['POWER_QUALITY_EVENT_LOG', 'AUXILIARY_EVENT_LOG']);
  assert.equal(eventLogCategoriesOf('SMR 5.5').length, 8);
  assert.deepEqual(alarmRegistersOf('SMR 5.1'), [1]);
  assert.deepEqual(alarmRegistersOf('SMR 5.2'), [1, 2]);
  assert.deepEqual(alarmRegistersOf('SMR 5.5'), [1, 2]);
  assert.deepEqual(clearedAlarmRegistersOf('SMR 5.5'), [1, 2, 3]);
  assert.deepEqual(clearedAlarmRegistersOf('DSMR 4.2.2'), [1]);
});

const time = (hex: string) => Data.octetString(Buffer.from(hex.replace(/\s/g, ''), 'hex'));

test('entries become events: counter, scaled magnitude and duration, unspecified time and bad rows are errors', () => {
  // 2026-01-14 11:30:00 Amsterdam (deviation −60) = 10:30:00Z.
  const t = time('07EA 01 0E FF 0B 1E 00 00 FFC4 00');
  const comms = decodeProfileBuffer(Data.array([Data.structure([t, Data.unsigned(73), Data.longUnsigned(12)])]), EVENT_LOGS.COMMUNICATION_SESSION_LOG.columns);
  assert.deepEqual(eventsOf('COMMUNICATION_SESSION_LOG', comms, 'SMR 5.0.0'), [
    { timestamp: '2026-01-14T10:30:00.000Z', eventCode: 73, eventType: 'RETRIEVE_METER_READINGS_E', eventLogCategory: 'COMMUNICATION_SESSION_LOG', eventCounter: 12 },
  ]);
  const pq = decodeProfileBuffer(Data.array([Data.structure([t, Data.unsigned(97), Data.longUnsigned(2301), Data.longUnsigned(15)])]), EVENT_LOGS.POWER_QUALITY_EXTENDED_EVENT_LOG.columns);
  assert.deepEqual(eventsOf('POWER_QUALITY_EXTENDED_EVENT_LOG', pq, 'SMR 5.2')[0]!.eventDetails, [{ name: 'magnitude', value: '230.1 V' }, { name: 'duration', value: '1.5 s' }]);
  const thd = decodeProfileBuffer(Data.array([Data.structure([t, Data.unsigned(55), Data.unsigned(12)])]), EVENT_LOGS.POWER_QUALITY_THD_EVENT_LOG.columns);
  assert.deepEqual(eventsOf('POWER_QUALITY_THD_EVENT_LOG', thd, 'SMR 5.2')[0]!.eventDetails, [{ name: 'magnitude', value: '12 %' }]);
  const unmapped = decodeProfileBuffer(Data.array([Data.structure([t, Data.unsigned(1), Data.longUnsigned(1), Data.longUnsigned(1)])]), EVENT_LOGS.POWER_QUALITY_EXTENDED_EVENT_LOG.columns);
  assert.throws(() => eventsOf('POWER_QUALITY_EXTENDED_EVENT_LOG', unmapped, 'SMR 5.2'), /No sourceObject mapped for event 1/);
  const unspecified = decodeProfileBuffer(Data.array([Data.structure([time('FFFF FF FF FF FF FF FF FF 8000 FF'), Data.unsigned(1)])]), EVENT_LOGS.STANDARD_EVENT_LOG.columns);
  assert.throws(() => eventsOf('STANDARD_EVENT_LOG', unspecified, 'SMR 5.0.0'), (e) => isMeterfabricError(e) && /not specified/.test(e.message));
  const text = decodeProfileBuffer(Data.array([Data.structure([t, Data.visibleString('x')])]), EVENT_LOGS.STANDARD_EVENT_LOG.columns);
  assert.throws(() => eventsOf('STANDARD_EVENT_LOG', text, 'SMR 5.0.0'), /expected a number, got visible-string/);
  assert.throws(() => decodeProfileBuffer(Data.array([Data.structure([t, Data.unsigned(1), Data.unsigned(2)])]), EVENT_LOGS.STANDARD_EVENT_LOG.columns), /3 values for 2 capture objects/);
});

test('GXF\'s text of a value', () => {
  assert.equal(attributeText(Data.octetString(Buffer.from('device name'))), 'DataObject: Choice=OCTET_STRING, ResultData isByteArray, value=[[B]: bytes[100, 101, 118, 105, 99, 101, 32, 110, 97, 109, 101]');
  assert.equal(attributeText(Data.enum(1)), 'DataObject: Choice=ENUMERATE, ResultData isNumber, value=[java.lang.Short]: 1');
  assert.equal(attributeText(Data.octetString(Buffer.from([0xff]))), 'DataObject: Choice=OCTET_STRING, ResultData isByteArray, value=[[B]: bytes[-1]');
  assert.equal(attributeText(Data.structure([Data.integer(-1), Data.boolean(true)])),
    'DataObject: Choice=STRUCTURE, ResultData isComplex, value=[java.util.ArrayList]: count: 2\n  DataObject: Choice=INTEGER, ResultData isNumber, value=[java.lang.Byte]: -1\n  DataObject: Choice=BOOLEAN, ResultData isBoolean, value=[java.lang.Boolean]: true');
});
