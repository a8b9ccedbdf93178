import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Data, decodeDataExact, encodeData } from '../../src/dlms/axdr.ts';
import {
  decimalToString,
  decodeCaptureTime,
  decodeScalerUnit,
  meterReadValue,
  osgpUnitName,
  registerRaw,
  scaledValueString,
  scalerUnitToData,
  Unit,
  unitSymbol,
} from '../../src/dlms/scaler-unit.ts';
import { isMeterfabricError } from '../../src/errors.ts';

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const decodeFails = (f: () => unknown, re: RegExp) => assert.throws(f, (e: unknown) => isMeterfabricError(e) && e.code === 1000 && re.test(e.message));

// structure{ integer scaler, enum unit } (docs/dlms.md#scaler-unit)
const vectors: Array<[string, string, number, number]> = [
  ['0, Wh (energy registers 1-0:1.8.x)', '02 02 0F 00 16 1E', 0, 30],
  ['-3, Wh (kWh resolution)', '02 02 0F FD 16 1E', -3, 30],
  ['-1, V (SMR 5 voltages)', '02 02 0F FF 16 23', -1, 35],
  ['-2, A (SMR 5 currents)', '02 02 0F FE 16 21', -2, 33],
  ['0, W', '02 02 0F 00 16 1B', 0, 27],
  ['0, var', '02 02 0F 00 16 1D', 0, 29],
  ['-3, m³ (G4/G6 gas meters)', '02 02 0F FD 16 0D', -3, 13],
  ['0, % (THD)', '02 02 0F 00 16 38', 0, 56],
  ['0, count', '02 02 0F 00 16 FF', 0, 255],
];

for (const [name, bytes, scaler, unit] of vectors) {
  test(`scaler_unit ${name}: literal bytes both ways`, () => {
    assert.deepEqual(decodeScalerUnit(decodeDataExact(h(bytes))), { scaler, unit });
    assert.deepEqual(encodeData(scalerUnitToData({ scaler, unit })), h(bytes));
  });
}

test('scaler_unit decoder refuses what is not {integer, enum ≠ 0}', () => {
  decodeFails(() => decodeScalerUnit(decodeDataExact(h('02 02 0F 00 16 00'))), /unit 0/);
  decodeFails(() => decodeScalerUnit(decodeDataExact(h('02 01 0F 00'))), /2 elements/);
  decodeFails(() => decodeScalerUnit(decodeDataExact(h('02 03 0F 00 16 1E 16 1E'))), /2 elements/);
  decodeFails(() => decodeScalerUnit(decodeDataExact(h('01 02 0F 00 16 1E'))), /structure/);
  decodeFails(() => decodeScalerUnit(decodeDataExact(h('02 02 09 01 00 16 1E'))), /scaler must be an integer/);
  decodeFails(() => decodeScalerUnit(decodeDataExact(h('02 02 12 01 00 16 1E'))), /outside/);
  decodeFails(() => decodeScalerUnit(decodeDataExact(h('02 02 0F 00 12 00 1E'))), /unit must be an enum/);
  // A meter that sends the unit as unsigned, or a wider scaler type within range, is read
  assert.deepEqual(decodeScalerUnit(decodeDataExact(h('02 02 10 FF FE 11 23'))), { scaler: -2, unit: 35 });
  assert.throws(() => scalerUnitToData({ scaler: 200, unit: 30 }), (e: unknown) => isMeterfabricError(e) && e.code === 1001);
  assert.throws(() => scalerUnitToData({ scaler: 0, unit: 0 }), (e: unknown) => isMeterfabricError(e) && e.code === 1001);
});

test('value × 10^scaler is exact decimal text, never a float', () => {
  assert.equal(scaledValueString(12345, -3), '12.345');
  assert.equal(scaledValueString(10001, -2), '100.01');
  assert.equal(scaledValueString(5, -2), '0.05');
  assert.equal(scaledValueString(-5, -2), '-0.05');
  assert.equal(scaledValueString(2301, -1), '230.1');
  assert.equal(scaledValueString(10000, -3), '10.000');
  assert.equal(scaledValueString(0, -3), '0.000');
  assert.equal(scaledValueString(12, 2), '1200');
  assert.equal(scaledValueString(7, 0), '7');
  // Where float arithmetic goes wrong: 0.1 + 0.2 style artefacts and 64-bit counters
  assert.notEqual(String(1005 * 10 ** -3 * 3), '3.015');
  assert.equal(scaledValueString(3015, -3), '3.015');
  assert.equal(scaledValueString(18446744073709551615n, -3), '18446744073709551.615');
  assert.equal(decimalToString({ unscaled: 123n, scale: 5 }), '0.00123');
  assert.throws(() => scaledValueString(2 ** 60, 0), (e: unknown) => isMeterfabricError(e) && e.code === 1001);
});

test('register raw values: every integer type, 64-bit as bigint, null-data as null', () => {
  assert.equal(registerRaw(Data.doubleLongUnsigned(10001)), 10001n);
  assert.equal(registerRaw(Data.long(-300)), -300n);
  assert.equal(registerRaw(Data.long64Unsigned(0xffffffffffffffffn)), 0xffffffffffffffffn);
  assert.equal(registerRaw(Data.nullData()), null);
  decodeFails(() => registerRaw(Data.octetString('00')), /expected an integer/);
});

test('meter reads as GXF reports them: Wh → KWH (× 0.001), m³ → M3, m³ corrected → UNDEFINED, others refused', () => {
  const r = (raw: number | bigint, scaler: number, unit: number) => {
    const v = meterReadValue(raw, { scaler, unit });
    return [decimalToString(v.value), v.unit];
  };
  assert.deepEqual(r(10001, 0, Unit.WATT_HOUR), ['10.001', 'KWH']);
  assert.deepEqual(r(10001, -2, Unit.WATT_HOUR), ['0.10001', 'KWH']);
  assert.deepEqual(r(12, 3, Unit.WATT_HOUR), ['12.000', 'KWH']); // 12 × 10³ Wh = 12 kWh
  assert.deepEqual(r(300001, -3, Unit.CUBIC_METRE), ['300.001', 'M3']);
  assert.deepEqual(r(300001, -3, Unit.CUBIC_METRE_CORRECTED), ['300.001', 'UNDEFINED']);
  assert.throws(() => meterReadValue(230, { scaler: 0, unit: Unit.VOLT }), (e: unknown) => isMeterfabricError(e) && /not supported/.test(e.message));
});

test('unit names: Blue Book symbols and GXF OsgpUnitType names', () => {
  assert.equal(unitSymbol(Unit.WATT_HOUR), 'Wh');
  assert.equal(unitSymbol(Unit.CUBIC_METRE), 'm³');
  assert.equal(unitSymbol(99), 'unit 99');
  for (const [code, name] of [[27, 'W'], [29, 'VAR'], [30, 'KWH'], [33, 'AMP'], [35, 'V'], [13, 'M3'], [56, 'PERCENTAGE'], [255, 'COUNT'], [7, 'SD'], [44, 'HERTZ'], [72, 'DB']] as const) {
    assert.equal(osgpUnitName(code), name, String(code));
  }
  // Codes GXF has no name for
  assert.equal(osgpUnitName(14), 'UNDEFINED');
  assert.equal(osgpUnitName(66), 'UNDEFINED');
  assert.equal(osgpUnitName(200), 'UNDEFINED');
});

test('class 4 capture_time: octet-string(12) or date-time; null-data is null (GXF simulator M-Bus value)', () => {
  // 2016-02-15 23:00:00 CET, deviation −60, status 0 → 22:00 UTC
  const ct = decodeCaptureTime(decodeDataExact(h('09 0C 07E0020FFF17000000FFC400')))!;
  assert.equal(ct.instant!.toISOString(), '2016-02-15T22:00:00.000Z');
  assert.equal(ct.deviation, -60);
  assert.equal(decodeCaptureTime(decodeDataExact(h('19 07E0020FFF17000000FFC400')))!.instant!.toISOString(), '2016-02-15T22:00:00.000Z');
  // All fields unspecified (GXF simulator channels 2 and 4): decodes, names no instant
  const unspecified = decodeCaptureTime(decodeDataExact(h('09 0C FFFFFFFFFFFFFFFFFF800000')))!;
  assert.equal(unspecified.instant, null);
  assert.equal(decodeCaptureTime(Data.nullData()), null);
  decodeFails(() => decodeCaptureTime(Data.unsigned(1)), /capture_time/);
});
