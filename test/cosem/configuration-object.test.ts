/** The configuration object's two layouts (src/cosem/configuration-object.ts) with literal A-XDR bytes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeDataExact, encodeData } from '../../src/dlms/axdr.ts';
import { configurationProfileOf, decodeConfigurationObject, encodeConfigurationObject, flagsOf } from '../../src/cosem/configuration-object.ts';

const bits = (...on: number[]) => Array.from({ length: 16 }, (_, i) => on.includes(i));

test('DSMR 4.2.2: structure{enum gprs mode, bit-string(16)}, bit 0 = most significant bit of the first byte', () => {
  const profile = configurationProfileOf('DSMR 4.2.2')!;
  assert.equal(profile.layout, 'structure');
  // structure(2){enum 1, bit-string(16) 0x52 0x00}: flags 1, 3, 6
  const bytes = Buffer.from('0202160104105200', 'hex');
  const v = decodeConfigurationObject(decodeDataExact(bytes), profile.layout);
  assert.deepEqual(v, { gprsOperationMode: 1, bits: bits(1, 3, 6) });
  assert.deepEqual(flagsOf(v, profile).filter((f) => f.enabled).map((f) => f.configurationFlagType), ['DISCOVER_ON_POWER_ON', 'PO_ENABLE', 'HLS_5_ON_P3_ENABLE']);
  assert.equal(flagsOf(v, profile).length, 10, 'DSMR 4.2.2 defines flags 0..9');
  // TRIGGERED, flags 0 and 9 on: 0x80 0x40
  assert.equal(encodeData(encodeConfigurationObject({ gprsOperationMode: 2, bits: bits(0, 9) }, 'structure')).toString('hex'), '0202160204108040');
  // no GPRS mode known: the flags alone
  assert.equal(encodeData(encodeConfigurationObject({ bits: bits(15) }, 'structure')).toString('hex'), '04100001');
});

test('SMR 5.x: bit-string(16) only; SMR 4.3 adds DIRECT_ATTACH_AT_POWER_ON to the DSMR 4 flags', () => {
  const profile = configurationProfileOf('SMR 5.1')!;
  assert.equal(profile.layout, 'bit-string');
  const v = decodeConfigurationObject(decodeDataExact(Buffer.from('04101220', 'hex')), profile.layout);
  assert.deepEqual(v, { bits: bits(3, 6, 10) });
  const flags = flagsOf(v, profile);
  assert.deepEqual(flags.slice(0, 3), [
    { configurationFlagType: 'PO_ENABLE', enabled: true },
    { configurationFlagType: 'HLS_5_ON_P3_ENABLE', enabled: true },
    { configurationFlagType: 'DIRECT_ATTACH_AT_POWER_ON', enabled: true },
  ]);
  assert.equal(flags.length, 8);
  assert.ok(!flags.some((f) => f.configurationFlagType === 'DISCOVER_ON_OPEN_COVER'));
  assert.equal(encodeData(encodeConfigurationObject({ gprsOperationMode: 1, bits: bits(3, 14) }, 'bit-string')).toString('hex'), '04101002', 'the GPRS mode is dropped');
  assert.equal(configurationProfileOf('SMR 4.3')!.bits.DIRECT_ATTACH_AT_POWER_ON, 10);
  assert.equal(configurationProfileOf('DSMR 4.2.2')!.bits.DIRECT_ATTACH_AT_POWER_ON, undefined);
  assert.equal(configurationProfileOf('DSMR 2.2'), undefined);
});

test('a value of the other layout is refused', () => {
  assert.throws(() => decodeConfigurationObject(decodeDataExact(Buffer.from('04101220', 'hex')), 'structure'), /expected structure/);
  assert.throws(() => decodeConfigurationObject(decodeDataExact(Buffer.from('0202160104105200', 'hex')), 'bit-string'), /expected bit-string/);
});
