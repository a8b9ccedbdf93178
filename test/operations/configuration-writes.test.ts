/**
 * The configuration writes against a scripted link: what is sent (A-XDR bytes), in which order, what is not sent,
 * and how a meter's refusal ends the request.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AttributeAddress, GatewayLink } from '../../src/adapters/ports.ts';
import type { OperationPorts } from '../../src/operations/define.ts';
import type { GetDataResult } from '../../src/dlms/apdu/index.ts';
import { Data, encodeData, type DlmsData } from '../../src/dlms/axdr.ts';
import { ErrorCode, isMeterfabricError } from '../../src/errors.ts';
import setClockConfiguration from '../../src/operations/configuration/set-clock-configuration.ts';
import setPushSetupAlarm from '../../src/operations/configuration/set-push-setup-alarm.ts';
import setPushSetupUdp from '../../src/operations/configuration/set-push-setup-udp.ts';
import setAlarmNotifications from '../../src/operations/configuration/set-alarm-notifications.ts';
import getAdministrativeStatus from '../../src/operations/configuration/get-administrative-status.ts';
import setRandomisationSettings from '../../src/operations/configuration/set-randomisation-settings.ts';
import setThdConfiguration from '../../src/operations/configuration/set-thd-configuration.ts';
import { context } from './fake-ports.ts';

interface Script {
  get?: (ref: AttributeAddress) => GetDataResult;
  set?: (ref: AttributeAddress, value: DlmsData) => number;
}

/** A link that answers GET and SET from the script and records both as "get|set class obis attr [hex]". */
function scripted(protocol: string, script: Script) {
  const calls: string[] = [];
  const name = (r: AttributeAddress) => `${r.classId} ${r.obis.bytes.toString('hex').toUpperCase()} ${r.attributeId}`;
  const link = {
    async getAttributes(refs: AttributeAddress[]) {
      return refs.map((r) => (calls.push(`get ${name(r)}`), script.get ? script.get(r) : { kind: 'error' as const, result: 4 }));
    },
    async setAttribute(r: AttributeAddress, v: DlmsData) {
      calls.push(`set ${name(r)} ${encodeData(v).toString('hex').toUpperCase()}`);
      return script.set ? script.set(r, v) : 0;
    },
    async setAttributes(writes: { ref: AttributeAddress; value: DlmsData }[]) {
      calls.push(`set-with-list ${writes.map((w) => `${name(w.ref)} ${encodeData(w.value).toString('hex').toUpperCase()}`).join(', ')}`);
      return writes.map((w) => (script.set ? script.set(w.ref, w.value) : 0));
    },
    async release() {
      calls.push('release');
    },
  } as unknown as GatewayLink;
  const ports = {
    links: { open: async () => (calls.push('open'), link) },
    inventory: { getGateway: async (id: string) => ({ deviceIdentification: id, protocol }) },
  } as unknown as OperationPorts;
  return { ports, calls };
}

const refusedWith = (code: number, text?: RegExp) => (e: unknown) => isMeterfabricError(e) && e.code === code && (!text || text.test(e.message));

test('SetClockConfiguration: time_zone, DST begin, end, enabled in that order; all four sent even when one is refused', async () => {
  const { ports, calls } = scripted('DSMR 4.2.2', { set: (r) => (r.attributeId === 5 ? 3 : 0) });
  const payload = { timeZoneOffset: -60, daylightSavingsBegin: 'FFFF03FE0702000000FFC400', daylightSavingsEnd: 'FFFF0AFE0703000000FF8880', daylightSavingsEnabled: true };
  await assert.rejects(setClockConfiguration.execute(ports, payload, context('SET_CLOCK_CONFIGURATION')), refusedWith(ErrorCode.DATA_ACCESS_RESULT, /ResultCode: \[SUCCESS, READ_WRITE_DENIED, SUCCESS, SUCCESS\]/));
  assert.deepEqual(calls, [
    'open',
    'set 8 0000010000FF 3 10FFC4',
    'set 8 0000010000FF 5 090CFFFF03FE0702000000FFC400',
    'set 8 0000010000FF 6 090CFFFF0AFE0703000000FF8880',
    'set 8 0000010000FF 8 03FF',
    'release',
  ]);
});

test('SetPushSetupAlarm: a push object the meter cannot read stops before the list; host without port writes no destination', async () => {
  const { ports, calls } = scripted('SMR 5.1', { get: () => ({ kind: 'error', result: 4 }) });
  const list = [{ classId: 1, obisCode: '0-0:96.1.1.255', attributeIndex: 2 }];
  await assert.rejects(setPushSetupAlarm.execute(ports, { host: 'h', pushObjectList: list }, context('SET_PUSH_SETUP_ALARM')), refusedWith(ErrorCode.DATA_ACCESS_RESULT, /0-0:96\.1\.1\.255.*OBJECT_UNDEFINED/));
  assert.deepEqual(calls, ['open', 'get 1 0000600101FF 2', 'release']);
});

test('SetPushSetupAlarm: a DataIndex other than 0 is refused before the meter is contacted', async () => {
  const { ports, calls } = scripted('SMR 5.1', {});
  await assert.rejects(setPushSetupAlarm.execute(ports, { pushObjectList: [{ classId: 1, obisCode: '0-0:96.1.0.255', attributeIndex: 2, dataIndex: 1 }] }, context('SET_PUSH_SETUP_ALARM')), refusedWith(ErrorCode.VALIDATION_ERROR));
  assert.deepEqual(calls, []);
});

test('SetPushSetupAlarm: a refused destination stops the request', async () => {
  const { ports, calls } = scripted('DSMR 4.2.2', { set: () => 3, get: () => ({ kind: 'data', data: Data.unsigned(1) }) });
  await assert.rejects(setPushSetupAlarm.execute(ports, { host: 'a', port: 1, pushObjectList: [{ classId: 1, obisCode: '0-0:96.1.0.255', attributeIndex: 2 }] }, context('SET_PUSH_SETUP_ALARM')), refusedWith(ErrorCode.DATA_ACCESS_RESULT, /READ_WRITE_DENIED/));
  assert.deepEqual(calls, ['open', 'set 40 0001190900FF 3 02031600090361' + '3A311680', 'release']);
});

test('SetPushSetupUdp: SMR 5.5 only; elsewhere 416 without contacting the meter', async () => {
  const other = scripted('SMR 5.2', {});
  await assert.rejects(setPushSetupUdp.execute(other.ports, {}, context('SET_PUSH_SETUP_UDP')), refusedWith(ErrorCode.OPERATION_NOT_SUPPORTED_BY_PLATFORM_FOR_PROTOCOL));
  assert.deepEqual(other.calls, []);
  const smr55 = scripted('SMR 5.5', {});
  await setPushSetupUdp.execute(smr55.ports, {}, context('SET_PUSH_SETUP_UDP'));
  assert.deepEqual(smr55.calls, ['open', 'set 40 0003190900FF 4 0100', 'release']);
});

test('SetAlarmNotifications: filters 1 and 2 on SMR 5.2, an unchanged filter is not written, a refusal ends NOT OK', async () => {
  const values: Record<string, number> = { '000061620AFF': 0x2000, '000061620BFF': 0x01 };
  const get = (r: AttributeAddress): GetDataResult => ({ kind: 'data', data: Data.doubleLongUnsigned(values[r.obis.bytes.toString('hex').toUpperCase()]!) });
  const ok = scripted('SMR 5.2', { get });
  const result = await setAlarmNotifications.execute(ok.ports, { alarmNotifications: [{ alarmType: 'FRAUD_ATTEMPT', enabled: false }, { alarmType: 'VOLTAGE_SAG_IN_PHASE_DETECTED_L1', enabled: true }] }, context('SET_ALARM_NOTIFICATIONS'));
  assert.deepEqual(result, { filters: [{ filter: 1, before: 0x2000, after: 0 }, { filter: 2, before: 1, after: 1 }] });
  assert.deepEqual(ok.calls, ['open', 'get 1 000061620AFF 2', 'set 1 000061620AFF 2 0600000000', 'get 1 000061620BFF 2', 'release']);
  const refused = scripted('DSMR 4.2.2', { get, set: () => 3 });
  await assert.rejects(setAlarmNotifications.execute(refused.ports, { alarmNotifications: [{ alarmType: 'CLOCK_INVALID', enabled: true }] }, context('SET_ALARM_NOTIFICATIONS')), refusedWith(ErrorCode.DATA_ACCESS_RESULT, /alarm register was not SUCCESS: READ_WRITE_DENIED/));
  const notNumber = scripted('DSMR 4.2.2', { get: () => ({ kind: 'data', data: Data.octetString('00') }) });
  await assert.rejects(setAlarmNotifications.execute(notNumber.ports, { alarmNotifications: [{ alarmType: 'CLOCK_INVALID', enabled: true }] }, context('SET_ALARM_NOTIFICATIONS')), refusedWith(ErrorCode.ILLEGAL_RESPONSE));
});

test('GetAdministrativeStatus: enum 0..2 by name; another value is a protocol error', async () => {
  const on = scripted('SMR 4.3', { get: () => ({ kind: 'data', data: Data.enum(2) }) });
  assert.deepEqual(await getAdministrativeStatus.execute(on.ports, {}, context('GET_ADMINISTRATIVE_STATUS')), { administrativeStatusType: 'ON' });
  assert.deepEqual(on.calls, ['open', 'get 1 00015E1F00FF 2', 'release']);
  const odd = scripted('SMR 4.3', { get: () => ({ kind: 'data', data: Data.enum(5) }) });
  await assert.rejects(getAdministrativeStatus.execute(odd.ports, {}, context('GET_ADMINISTRATIVE_STATUS')), refusedWith(ErrorCode.ILLEGAL_RESPONSE));
  const dsmr22 = scripted('DSMR 2.2', {});
  await assert.rejects(getAdministrativeStatus.execute(dsmr22.ports, {}, context('GET_ADMINISTRATIVE_STATUS')), refusedWith(ErrorCode.OPERATION_NOT_SUPPORTED_BY_PLATFORM_FOR_PROTOCOL));
});

test('SetRandomisationSettings: SMR 4.3 keeps its structure and sets flag 10; direct attach writes no settings', async () => {
  const { ports, calls } = scripted('SMR 4.3', { get: () => ({ kind: 'data', data: Data.structure([Data.enum(2), Data.bitString(Buffer.from('5200', 'hex'), 16)]) }) });
  await setRandomisationSettings.execute(ports, { directAttach: 1, randomisationStartWindow: 1, multiplicationFactor: 1, numberOfRetries: 1 }, context('SET_RANDOMISATION_SETTINGS'));
  assert.deepEqual(calls, ['open', 'get 1 00015E1F03FF 2', 'set 1 00015E1F03FF 2 020216020410' + '5220', 'release']);
});

test('SetThdConfiguration: the five THD registers in one set-with-list; a refusal names each refused setting; before SMR 5.2 nothing is sent (416)', async () => {
  const payload = { minDurationNormalToOver: 60, minDurationOverToNormal: 120, timeThreshold: 3600, valueHysteresis: 2, valueThreshold: 8 };
  const ok = scripted('SMR 5.2', {});
  await setThdConfiguration.execute(ok.ports, payload, context('SET_THD_CONFIGURATION'));
  assert.deepEqual(ok.calls, [
    'open',
    'set-with-list 3 01000B237CFF 2 120008, 3 00015E1F15FF 2 120002, 3 00015E1F16FF 2 060000003C, 3 00015E1F17FF 2 0600000078, 3 01000B2C7CFF 2 0600000E10',
    'release',
  ]);

  const partly = scripted('SMR 5.5', { set: (r) => (r.obis.toString() === '0-1:94.31.21.255' ? 3 : r.obis.toString() === '1-0:11.44.124.255' ? 12 : 0) });
  await assert.rejects(setThdConfiguration.execute(partly.ports, payload, context('SET_THD_CONFIGURATION')),
    refusedWith(ErrorCode.DATA_ACCESS_RESULT, /valueHysteresis \(0-1:94\.31\.21\.255\): READ_WRITE_DENIED; timeThreshold \(1-0:11\.44\.124\.255\): TYPE_UNMATCHED$/));
  assert.equal(partly.calls.at(-1), 'release');

  for (const protocol of ['SMR 5.1', 'SMR 5.0.0', 'DSMR 4.2.2']) {
    const old = scripted(protocol, {});
    await assert.rejects(setThdConfiguration.execute(old.ports, payload, context('SET_THD_CONFIGURATION')), refusedWith(ErrorCode.OPERATION_NOT_SUPPORTED_BY_PLATFORM_FOR_PROTOCOL));
    assert.deepEqual(old.calls, [], `${protocol}: the meter is not contacted`);
  }
});
