// Values typed by the class declarations: a single A-XDR type is its plain value, a CHOICE stays Data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClockClass, MbusClientClassV1, AssociationLnClassV0, AssociationLnClass, dataOf, valueOf } from '../../src/cosem/index.ts';
import { Data, encodeData } from '../../src/dlms/axdr.ts';
import { isMeterfabricError } from '../../src/errors.ts';

test('valueOf gives the plain value of the declared type and refuses another type', () => {
  const ident = MbusClientClassV1.attribute.identification_number;
  assert.equal(valueOf(ident.type, Data.doubleLongUnsigned(12056731), 'ident'), 12056731);
  assert.throws(() => valueOf(ident.type, Data.unsigned(1), 'ident'), (e: unknown) => isMeterfabricError(e) && e.code === 1000);
  const time = ClockClass.attribute.time;
  assert.deepEqual(valueOf(time.type, Data.octetString('07EA01010400000000000000'), 'time'), Buffer.from('07EA01010400000000000000', 'hex'));
  // A CHOICE stays Data, so the caller sees which alternative came.
  assert.deepEqual(valueOf(MbusClientClassV1.method.slave_deinstall.parameter, Data.unsigned(0), 'p'), Data.unsigned(0));
});

test('dataOf codes a plain value as declared; a CHOICE takes one of its alternatives only', () => {
  assert.deepEqual(encodeData(dataOf(MbusClientClassV1.attribute.manufacturer_id.type, 0x198f, 'm')!), Buffer.from('12198F', 'hex'));
  assert.deepEqual(encodeData(dataOf(MbusClientClassV1.method.transfer_key.parameter, Buffer.from('0102', 'hex'), 't')!), Buffer.from('09020102', 'hex'));
  assert.deepEqual(dataOf(MbusClientClassV1.method.slave_deinstall.parameter, Data.integer(0), 'p'), Data.integer(0));
  assert.throws(() => dataOf(MbusClientClassV1.method.slave_deinstall.parameter, Data.enum(0), 'p'), (e: unknown) => isMeterfabricError(e) && e.code === 1001);
});

test('class 15 version 0 lacks security_setup_reference, version 1 has it; ids are looked up by name', () => {
  assert.equal(Object.hasOwn(AssociationLnClassV0.attribute, 'security_setup_reference'), false);
  assert.equal(AssociationLnClass.attribute.security_setup_reference.id, 9);
  assert.equal(AssociationLnClassV0.attribute.object_list.id, 2);
  assert.equal(MbusClientClassV1.method.data_send.id, 6);
});
