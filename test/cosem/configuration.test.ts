// Push setup values (class 40 attributes 2 and 3) and alarm filter bits, as literal A-XDR bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALARM_FILTERS, PUSH_SETUP_ALARM, PUSH_SETUP_SMS, PUSH_SETUP_UDP, ADMINISTRATIVE_IN_OUT, RANDOMISATION_SETTINGS,
  pushObjectListData, pushObjectListOf, sendDestinationAndMethodData, sendDestinationAndMethodOf,
} from '../../src/cosem/index.ts';
import { Data, decodeDataExact, encodeData } from '../../src/dlms/axdr.ts';
import { Obis } from '../../src/dlms/obis.ts';
import { alarmBitOf, alarmFilterValue } from '../../src/push/alarms.ts';
import { isMeterfabricError } from '../../src/errors.ts';

test('send_destination_and_method: structure{enum TCP, octet-string "host:port", enum message}', () => {
  const bytes = encodeData(sendDestinationAndMethodData({ transportService: 0, destination: 'localhost2:4321', message: 0 }));
  assert.equal(bytes.toString('hex').toUpperCase(), '0203' + '1600' + '090F' + '6C6F63616C686F7374323A34333231' + '1600');
  const dsmr4 = encodeData(sendDestinationAndMethodData({ transportService: 1, destination: 'a:1', message: 128 }));
  assert.equal(dsmr4.toString('hex').toUpperCase(), '02031601090361' + '3A31' + '1680');
  assert.deepEqual(sendDestinationAndMethodOf(decodeDataExact(bytes)), { transportService: 0, destination: 'localhost2:4321', message: 0 });
  assert.throws(() => sendDestinationAndMethodOf(Data.structure([Data.unsigned(0), Data.octetString('00'), Data.enum(0)])), (e: unknown) => isMeterfabricError(e) && e.code === 1000);
});

test('push_object_list: array of structure{long-unsigned, octet-string(6), integer, long-unsigned}', () => {
  const list = [
    { classId: 1, obis: Obis.parse('0-0:96.1.1.255'), attributeIndex: 2, dataIndex: 0 },
    { classId: 40, obis: Obis.parse('0-1:25.9.0.255'), attributeIndex: 1, dataIndex: 0 },
  ];
  const bytes = encodeData(pushObjectListData(list));
  assert.equal(
    bytes.toString('hex').toUpperCase(),
    '0102' + '0204' + '120001' + '09060000600101FF' + '0F02' + '120000' + '0204' + '120028' + '09060001190900FF' + '0F01' + '120000',
  );
  assert.deepEqual(pushObjectListOf(decodeDataExact(bytes)).map((o) => [o.classId, o.obis.toString(), o.attributeIndex, o.dataIndex]), list.map((o) => [o.classId, o.obis.toString(), o.attributeIndex, o.dataIndex]));
  assert.deepEqual(encodeData(pushObjectListData([])), Buffer.from('0100', 'hex'));
});

test('configuration objects have the DSMR/SMR logical names', () => {
  assert.deepEqual(
    [ADMINISTRATIVE_IN_OUT, PUSH_SETUP_ALARM, PUSH_SETUP_SMS, PUSH_SETUP_UDP, ALARM_FILTERS[1], ALARM_FILTERS[2], ALARM_FILTERS[3], RANDOMISATION_SETTINGS].map((o) => `${o.cls.classId} ${o.obis.bytes.toString('hex').toUpperCase()}`),
    ['1 00015E1F00FF', '40 0001190900FF', '40 0002190900FF', '40 0003190900FF', '1 000061620AFF', '1 000061620BFF', '1 000061620CFF', '1 00015E1F0CFF'],
  );
});

test('alarm filter: requested bits set or cleared, other registers ignored, the rest kept', () => {
  assert.deepEqual(alarmBitOf('FRAUD_ATTEMPT'), { register: 1, bit: 13 });
  assert.deepEqual(alarmBitOf('LAST_GASP_TEST'), { register: 3, bit: 1 });
  assert.equal(alarmBitOf('NO_SUCH_ALARM'), undefined);
  // 0x00000004 (POWER_UP) + enable CLOCK_INVALID (bit 0) and REPLACE_BATTERY (bit 1), disable POWER_UP, a register 2 alarm ignored
  const v = alarmFilterValue(1, 0x04, [
    { alarmType: 'CLOCK_INVALID', enabled: true },
    { alarmType: 'REPLACE_BATTERY', enabled: true },
    { alarmType: 'POWER_UP', enabled: false },
    { alarmType: 'VOLTAGE_SAG_IN_PHASE_DETECTED_L1', enabled: true },
  ]);
  assert.equal(v, 0x03);
  assert.equal(encodeData(Data.doubleLongUnsigned(v)).toString('hex').toUpperCase(), '0600000003');
  // bit 31 stays unsigned
  assert.equal(alarmFilterValue(1, 0, [{ alarmType: 'PHASE_OUTAGE_TEST_INDICATION', enabled: true }]), 0x80000000);
  assert.equal(alarmFilterValue(3, 0x03, [{ alarmType: 'LAST_GASP', enabled: false }]), 0x02);
});
