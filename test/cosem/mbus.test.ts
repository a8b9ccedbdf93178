import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EncryptionKeyStatus,
  decodeIdentificationNumber,
  encodeIdentificationNumber,
  encryptionKeyStatusName,
  encryptionKeyStatusValue,
  manufacturerIdToText,
  manufacturerTextToId,
} from '../../src/cosem/mbus.ts';
import { isMeterfabricError } from '../../src/errors.ts';

test('identification number: version 0 is BCD (0x12056731 → "12056731"), version 1 binary (0x00B7F89B → "12056731")', () => {
  assert.deepEqual(decodeIdentificationNumber(0x12056731, 0), { valid: true, text: '12056731' });
  assert.deepEqual(decodeIdentificationNumber(0x00b7f89b, 1), { valid: true, text: '12056731' });
  assert.deepEqual(decodeIdentificationNumber(0x561, 0), { valid: true, text: '00000561' });
  assert.deepEqual(decodeIdentificationNumber(561, 1), { valid: true, text: '00000561' });
  assert.deepEqual(decodeIdentificationNumber(0, 0), { valid: true, text: '00000000' });
  assert.deepEqual(decodeIdentificationNumber(undefined, 1), { valid: true, text: '00000000' });
  assert.equal(encodeIdentificationNumber('12056731', 0), 0x12056731);
  assert.equal(encodeIdentificationNumber('12056731', 1), 0x00b7f89b);
  assert.throws(() => encodeIdentificationNumber('1205673A', 0), (e: unknown) => isMeterfabricError(e) && e.code === 1001);
});

test('identification numbers GXF cannot interpret get its "(Cannot not be correctly interpreted)" text (docs/gxf.md#scanmbuschannels)', () => {
  assert.deepEqual(decodeIdentificationNumber(2718263089, 0), {
    valid: false,
    text: 'DOUBLE_LONG_UNSIGNED Value: 2718263089 (Cannot not be correctly interpreted)',
  });
  assert.equal(decodeIdentificationNumber(100_000_000, 1).valid, false);
  assert.deepEqual(decodeIdentificationNumber(99_999_999, 1), { valid: true, text: '99999999' });
});

test('manufacturer id <-> three letters: FLO = 0x198F = 6543, LGB = 0x30E2 = 12514, 0 = none', () => {
  assert.equal(manufacturerTextToId('FLO'), 0x198f);
  assert.equal(manufacturerTextToId('FLO'), 6543);
  assert.equal(manufacturerTextToId('LGB'), 12514);
  assert.equal(manufacturerIdToText(6543), 'FLO');
  assert.equal(manufacturerIdToText(0x30e2), 'LGB');
  assert.equal(manufacturerIdToText(1057), 'AAA');
  assert.equal(manufacturerIdToText(27482), 'ZZZ');
  assert.equal(manufacturerIdToText(0), undefined);
  assert.equal(manufacturerIdToText(undefined), undefined);
  assert.throws(() => manufacturerIdToText(1056), (e: unknown) => isMeterfabricError(e) && e.code === 1000);
  assert.throws(() => manufacturerIdToText(0x7fff), (e: unknown) => isMeterfabricError(e) && e.code === 1000);
  assert.throws(() => manufacturerTextToId('flo'), (e: unknown) => isMeterfabricError(e) && e.code === 1001);
});

test('encryption_key_status names as GXF EncryptionKeyStatus (docs/dlms.md#m-bus-client-class-72)', () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4].map(encryptionKeyStatusName),
    ['NO_ENCRYPTION_KEY', 'ENCRYPTION_KEY_SET', 'ENCRYPTION_KEY_TRANSFERRED', 'ENCRYPTION_KEY_SET_AND_TRANSFERRED', 'ENCRYPTION_KEY_IN_USE'],
  );
  assert.equal(encryptionKeyStatusValue('ENCRYPTION_KEY_IN_USE'), 4);
  assert.equal(EncryptionKeyStatus.ENCRYPTION_KEY_SET_AND_TRANSFERRED, 3);
  assert.throws(() => encryptionKeyStatusName(5), (e: unknown) => isMeterfabricError(e) && e.code === 1000);
});
