import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AssociationLnClass,
  ClockClass,
  CosemObjects,
  DataClass,
  INTERFACE_CLASSES,
  MbusClientClassV0,
  MbusClientClassV1,
  RegisterClass,
  SecuritySetupClass,
  attributeAddress,
  attributeOf,
  findInterfaceClass,
  matchesType,
  mbusChannelOf,
  mbusClientSetup,
  mbusClientSetupObis,
  methodAddress,
  methodOf,
} from '../../src/cosem/index.ts';
import { Data } from '../../src/dlms/axdr.ts';
import { ActionRequestNormal, GetRequestNormal, GetRequestWithList } from '../../src/dlms/apdu/index.ts';
import { Obis } from '../../src/dlms/obis.ts';
import { isMeterfabricError } from '../../src/errors.ts';

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('class 72 versions 0 and 1 declare attributes 1..14 and methods 1..8 with GXF-used types', () => {
  for (const cls of [MbusClientClassV0, MbusClientClassV1]) {
    assert.equal(cls.classId, 72);
    assert.deepEqual(cls.attributes.map((a) => a.id), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    assert.deepEqual(cls.methods.map((m) => m.id), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(
      [5, 6, 7, 8, 9, 14].map((id) => [attributeOf(cls, id).name, attributeOf(cls, id).type]),
      [['primary_address', 'unsigned'], ['identification_number', 'double-long-unsigned'], ['manufacturer_id', 'long-unsigned'], ['version', 'unsigned'], ['device_type', 'unsigned'], ['encryption_key_status', 'enum']],
    );
    assert.equal(methodOf(cls, 'transfer_key').id, 8);
    assert.equal(methodOf(cls, 'set_encryption_key').id, 7);
    assert.equal(methodOf(cls, 'data_send').id, 6);
    assert.equal(methodOf(cls, 'slave_deinstall').id, 2);
  }
  assert.equal(MbusClientClassV0.version, 0);
  assert.equal(MbusClientClassV1.version, 1);
});

test('classes 1, 3, 8, 15 and 64 are declared with the attributes and methods the M-Bus operations use', () => {
  assert.equal(attributeOf(DataClass, 'value').id, 2);
  assert.equal(attributeOf(RegisterClass, 'scaler_unit').id, 3);
  assert.equal(attributeOf(ClockClass, 'time').id, 2);
  assert.equal(methodOf(AssociationLnClass, 'reply_to_HLS_authentication').id, 1);
  assert.equal(methodOf(AssociationLnClass, 1).returns, 'octet-string');
  assert.equal(methodOf(SecuritySetupClass, 'global_key_transfer').id, 2);
  assert.equal(attributeOf(SecuritySetupClass, 'server_system_title').id, 5);
  assert.deepEqual([...new Set(INTERFACE_CLASSES.map((c) => c.classId))], [1, 3, 4, 7, 8, 11, 15, 18, 20, 40, 47, 64, 70, 72]);
  assert.equal(findInterfaceClass(72, 1), MbusClientClassV1);
  assert.equal(findInterfaceClass(72), MbusClientClassV0);
  assert.equal(findInterfaceClass(9), undefined);
  assert.ok(Object.isFrozen(MbusClientClassV1.attributes[0]));
  assert.throws(() => attributeOf(DataClass, 'nope'), (e: unknown) => isMeterfabricError(e));
});

test('well-known objects address GET/ACTION requests with the bytes of docs/dlms.md#association-acse, #hls5-gmac, #worked-example', () => {
  assert.deepEqual(
    new GetRequestNormal({ attribute: attributeAddress(CosemObjects.invocationCounter, 'value') }).encode(),
    h('C0 01 C1 00 01 00 00 2B 01 00 FF 02 00'),
  );
  assert.deepEqual(
    new ActionRequestNormal({ method: methodAddress(CosemObjects.currentAssociation, 'reply_to_HLS_authentication'), parameters: Data.octetString('1000000002C778F319EA43B3F21E06DF3F') }).encode(),
    h('C3 01 C1 00 0F 00 00 28 00 00 FF 01 01 09 11 10 00000002 C778F319EA43B3F21E06DF3F'),
  );
  const ch1 = mbusClientSetup(1, 1);
  assert.deepEqual(
    new GetRequestWithList({ attributes: ['primary_address', 'identification_number', 'manufacturer_id', 'version', 'device_type'].map((n) => ({ attribute: attributeAddress(ch1, n) })) }).encode(),
    h('C0 03 C1 05 0048 0001180100FF 05 00 0048 0001180100FF 06 00 0048 0001180100FF 07 00 0048 0001180100FF 08 00 0048 0001180100FF 09 00'),
  );
  assert.deepEqual(methodAddress(ch1, 'transfer_key').methodId, 8);
  assert.equal(CosemObjects.securitySetup.obis.toString(), '0-0:43.0.0.255');
  assert.equal(CosemObjects.clock.obis.toString(), '0-0:1.0.0.255');
});

test('M-Bus client setup logical names for channels 1..4', () => {
  assert.equal(mbusClientSetupObis(1).toString(), '0-1:24.1.0.255');
  assert.equal(mbusClientSetupObis(4).toString(), '0-4:24.1.0.255');
  assert.equal(mbusChannelOf(Obis.parse('0-3:24.1.0.255')), 3);
  assert.equal(mbusChannelOf(Obis.parse('0-0:24.1.0.255')), undefined);
  assert.equal(mbusChannelOf(Obis.parse('0-1:24.2.1.255')), undefined);
  assert.throws(() => mbusClientSetupObis(5), (e: unknown) => isMeterfabricError(e));
  assert.throws(() => mbusClientSetup(1, 2), (e: unknown) => isMeterfabricError(e) && e.code === 416);
});

test('matchesType accepts a declared type or choice and rejects others (simulator type-unmatched)', () => {
  const transfer = methodOf(MbusClientClassV1, 'transfer_key');
  assert.ok(matchesType(transfer.parameter, Data.octetString('00')));
  assert.ok(!matchesType(transfer.parameter, Data.unsigned(0)));
  const deinstall = methodOf(MbusClientClassV1, 'slave_deinstall');
  assert.ok(matchesType(deinstall.parameter, Data.integer(0)));
  assert.ok(matchesType(deinstall.parameter, Data.unsigned(0)));
  assert.ok(!matchesType(deinstall.parameter, Data.enum(0)));
  assert.ok(matchesType('any', Data.nullData()));
  assert.ok(matchesType(undefined, undefined));
  assert.ok(!matchesType('enum', undefined));
});
