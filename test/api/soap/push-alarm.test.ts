/**
 * RetrievePushNotificationAlarm (monitoring) and GetPushNotificationAlarm (configuration) over a stored pushed
 * alarm (docs/push.md#reading-a-stored-alarm): responses valid against the XSDs, only XSD AlarmType names shown, lookup by
 * correlation id and organisation.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { validateEnvelopeXml } from '../../../src/api/soap/schema.ts';
import { ALARM_TYPES } from '../../../src/api/soap/operations.ts';
import { envelopeWith, post, soapApp, type SoapReply } from './helpers.ts';

const { app, platform } = await soapApp({ validateResponses: true });
after(() => app.close());

const GATEWAY = 'E0051004000000117';
const UID = '3f0c9a1b2c3d4e5f60718293a4b5c6d7';
const ALARM = {
  alarms: ['NEW_M_BUS_DEVICE_DISCOVERED_CHANNEL_1', 'NOT_A_GXF_ALARM', 'REPLACE_BATTERY'],
  unknownBits: [{ register: 1, bit: 5 }],
  decodedMessage: `PushNotificationAlarm[device=${GATEWAY}, alarms=[NEW_M_BUS_DEVICE_DISCOVERED_CHANNEL_1, REPLACE_BATTERY]]`,
  encodedMessage: '4530303531303034303030303030313137',
  format: 'DSMR4',
  triggerType: 'Push alarm monitor',
};
platform.storeAlarm(UID, 'test-org', GATEWAY, ALARM);
platform.storeAlarm('00000000000000000000000000000001', 'other-org', GATEWAY, ALARM);
platform.storeAlarm('00000000000000000000000000000002', 'test-org', GATEWAY, { ...ALARM, alarms: [], unknownBits: [{ register: 1, bit: 6 }] });

const MON = 'xmlns:mon="http://www.opensmartgridplatform.org/schemas/smartmetering/sm-monitoring/2014/10"';

function retrieve(uid: string): Promise<SoapReply> {
  return post(app, envelopeWith(`<mon:RetrievePushNotificationAlarmRequest ${MON}><mon:CorrelationUid>${uid}</mon:CorrelationUid></mon:RetrievePushNotificationAlarmRequest>`), 'monitoringService');
}

function get(uid: string): Promise<SoapReply> {
  return post(app, envelopeWith(`<conf:GetPushNotificationAlarmAsyncRequest><com:DeviceIdentification>${GATEWAY}</com:DeviceIdentification>
    <com:CorrelationUid>${uid}</com:CorrelationUid></conf:GetPushNotificationAlarmAsyncRequest>`));
}

function valid(reply: SoapReply): void {
  assert.deepEqual(validateEnvelopeXml(reply.body), [], `response must validate against the GXF XSDs:\n${reply.body}`);
}

const MON_NS = 'http://www.opensmartgridplatform.org/schemas/smartmetering/sm-monitoring/2014/10';

test('the AlarmType names are read from the schema', () => {
  assert.ok(ALARM_TYPES.has('NEW_M_BUS_DEVICE_DISCOVERED_CHANNEL_4'));
  assert.ok(ALARM_TYPES.has('LAST_GASP'));
  assert.ok(!ALARM_TYPES.has('NOT_A_GXF_ALARM'));
  assert.equal(ALARM_TYPES.size, 41);
});

test('RetrievePushNotificationAlarm: DeviceIdentification and the AlarmTypes, unknown names left out', async () => {
  const r = await retrieve(UID);
  assert.equal(r.status, 200, r.body);
  valid(r);
  const base = `/s:Envelope/s:Body/*[local-name()='RetrievePushNotificationAlarmResponse' and namespace-uri()='${MON_NS}']`;
  assert.equal(r.text(`${base}/*[local-name()='DeviceIdentification']`), GATEWAY);
  assert.equal(r.count(`${base}/*[local-name()='AlarmRegister']/*[local-name()='AlarmTypes']`), 2);
  assert.equal(r.text(`${base}/*[local-name()='AlarmRegister']/*[local-name()='AlarmTypes'][1]`), 'NEW_M_BUS_DEVICE_DISCOVERED_CHANNEL_1');
  assert.equal(r.text(`${base}/*[local-name()='AlarmRegister']/*[local-name()='AlarmTypes'][2]`), 'REPLACE_BATTERY');
  assert.ok(!r.body.includes('NOT_A_GXF_ALARM'));
});

test('GetPushNotificationAlarm: Result, decodedMessage, encodedMessage and the alarms', async () => {
  const r = await get(UID);
  assert.equal(r.status, 200, r.body);
  valid(r);
  const base = '/s:Envelope/s:Body/conf:GetPushNotificationAlarmResponse';
  assert.equal(r.text(`${base}/conf:Result`), 'OK');
  assert.equal(r.text(`${base}/conf:decodedMessage`), ALARM.decodedMessage);
  assert.equal(r.text(`${base}/conf:encodedMessage`), ALARM.encodedMessage);
  assert.equal(r.count(`${base}/conf:alarm`), 2);
  assert.equal(r.text(`${base}/conf:alarm[1]`), 'NEW_M_BUS_DEVICE_DISCOVERED_CHANNEL_1');
  assert.ok(!r.body.includes('NOT_A_GXF_ALARM'));
});

test("another organisation's alarm and an unknown id are 405 for both operations", async () => {
  for (const uid of ['00000000000000000000000000000001', 'ffffffffffffffffffffffffffffffff']) {
    for (const r of [await retrieve(uid), await get(uid)]) {
      assert.equal(r.status, 500);
      valid(r);
      assert.equal(r.text('/s:Envelope/s:Body/s:Fault/faultstring'), 'CorrelationUid is unknown.');
      assert.equal(r.text('//c:FunctionalFault/c:Code'), '405');
    }
  }
});

test('a correlation id of another operation is refused as the wrong type (401)', async () => {
  const { correlationUid } = await platform.requests.submit({
    organisationIdentification: 'test-org', userName: 'u', applicationName: 'a', deviceIdentification: GATEWAY,
    messageType: 'SCAN_MBUS_CHANNELS', payload: {}, channel: 'SOAP',
  });
  platform.complete(correlationUid, 'OK', { data: { channels: [] } });
  for (const r of [await retrieve(correlationUid), await get(correlationUid)]) {
    assert.equal(r.status, 500);
    valid(r);
    assert.equal(r.text('/s:Envelope/s:Body/s:Fault/faultstring'), 'CorrelationUid does not match any data of the requested type.');
  }
});

test('an alarm with only unnamed bits: an empty AlarmRegister, and a TechnicalFault where the schema needs an alarm', async () => {
  const uid = '00000000000000000000000000000002';
  const r = await retrieve(uid);
  assert.equal(r.status, 200, r.body);
  valid(r);
  assert.equal(r.count("//*[local-name()='AlarmTypes']"), 0);
  const g = await get(uid);
  assert.equal(g.status, 500);
  valid(g);
  assert.equal(g.text('//c:TechnicalFault/c:Message'), 'The stored result of GetPushNotificationAlarmResponse is incomplete.');
});
