import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Data,
  type DlmsData,
  cosemDateTimeToDate,
  dataToJson,
  dateToCosemDateTime,
  decodeCosemDateTime,
  decodeData,
  decodeDataExact,
  encodeData,
} from '../../src/dlms/axdr.ts';
import { decodeAxdrLength, encodeAxdrLength } from '../../src/dlms/bytes.ts';
import { isMeterfabricError } from '../../src/errors.ts';

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function decodeFails(bytes: Buffer, message: RegExp) {
  assert.throws(() => decodeDataExact(bytes), (e: unknown) => isMeterfabricError(e) && e.code === 1000 && message.test(e.message));
}

// Each row: Data value, literal A-XDR bytes (docs/dlms.md#a-xdr-data).
const vectors: Array<[string, DlmsData, string]> = [
  ['null-data', Data.nullData(), '00'],
  ['boolean true', Data.boolean(true), '03 FF'],
  ['boolean false', Data.boolean(false), '03 00'],
  ['bit-string 12 bits', Data.bitString(h('ABC0'), 12), '04 0C AB C0'],
  ['double-long -2', Data.doubleLong(-2), '05 FF FF FF FE'],
  ['double-long-unsigned IC object value 1 (docs/dlms.md#invocation-counters)', Data.doubleLongUnsigned(1), '06 00 00 00 01'],
  ['double-long-unsigned identification (docs/dlms.md#a-xdr-data)', Data.doubleLongUnsigned(0x00b7f89b), '06 00 B7 F8 9B'],
  ['octet-string', Data.octetString('0102'), '09 02 01 02'],
  ['visible-string', Data.visibleString('AB'), '0A 02 41 42'],
  ['utf8-string', Data.utf8String('é'), '0C 02 C3 A9'],
  ['bcd', Data.bcd(0x12), '0D 12'],
  ['integer(0) slave_deinstall parameter (docs/dlms.md#m-bus-client-class-72)', Data.integer(0), '0F 00'],
  ['integer -1', Data.integer(-1), '0F FF'],
  ['long -300', Data.long(-300), '10 FE D4'],
  ['unsigned primary address 9 (docs/dlms.md#a-xdr-data)', Data.unsigned(9), '11 09'],
  ['long-unsigned FLO (docs/dlms.md#a-xdr-data)', Data.longUnsigned(0x198f), '12 19 8F'],
  ['long64', Data.long64(-2n), '14 FF FF FF FF FF FF FF FE'],
  ['long64-unsigned', Data.long64Unsigned(0x0102030405060708n), '15 01 02 03 04 05 06 07 08'],
  ['enum 4 encryption_key_in_use (docs/dlms.md#m-bus-client-class-72)', Data.enum(4), '16 04'],
  ['float32 1.5', Data.float32(1.5), '17 3F C0 00 00'],
  ['float64 -2', Data.float64(-2), '18 C0 00 00 00 00 00 00 00'],
  ['date-time', Data.dateTime(h('07EA0B18FF02281100000000')), '19 07 EA 0B 18 FF 02 28 11 00 00 00 00'],
  ['date', Data.date(h('07EA0B18FF')), '1A 07 EA 0B 18 FF'],
  ['time', Data.time(h('02281100')), '1B 02 28 11 00'],
  [
    'global_key_transfer parameter (docs/dlms.md#global-key-transfer-class-64)',
    Data.array([Data.structure([Data.enum(0), Data.octetString('8E7E7D1622071BABC582FF28D313EB1AAEBF1948095806DD')])]),
    '01 01 02 02 16 00 09 18 8E7E7D1622071BABC582FF28D313EB1AAEBF1948095806DD',
  ],
  ['octet-string of 200 bytes uses 81 length form', Data.octetString(Buffer.alloc(200, 0xaa)), '09 81 C8' + 'AA'.repeat(200)],
  ['octet-string of 300 bytes uses 82 length form', Data.octetString(Buffer.alloc(300, 0x55)), '09 82 01 2C' + '55'.repeat(300)],
];

for (const [name, data, bytes] of vectors) {
  test(`A-XDR ${name}: encodes to and decodes from literal bytes`, () => {
    assert.deepEqual(encodeData(data), h(bytes));
    assert.deepEqual(decodeDataExact(h(bytes)), data);
  });
}

test('decodeData returns the offset after the value so several can be read in a row', () => {
  const buf = h('11 09 12 19 8F');
  const a = decodeData(buf);
  assert.deepEqual(a, { data: Data.unsigned(9), next: 2 });
  const b = decodeData(buf, a.next);
  assert.deepEqual(b, { data: Data.longUnsigned(0x198f), next: 5 });
});

test('compact-array decodes a type description and tag-less contents', () => {
  // compact-array of structure{long-unsigned, unsigned}, two elements: {1, 2}, {3, 4}
  const bytes = h('13 02 02 12 11 06 0001 02 0003 04');
  const data = decodeDataExact(bytes);
  assert.deepEqual(data, {
    type: 'compact-array',
    elementType: { type: 'structure', elements: [{ type: 'long-unsigned' }, { type: 'unsigned' }] },
    value: [Data.structure([Data.longUnsigned(1), Data.unsigned(2)]), Data.structure([Data.longUnsigned(3), Data.unsigned(4)])],
  });
  assert.deepEqual(encodeData(data), bytes);
  // array type description: 01 count(2) element type
  const arr = decodeDataExact(h('13 01 0002 11 02 05 06'));
  assert.deepEqual(arr, {
    type: 'compact-array',
    elementType: { type: 'array', count: 2, element: { type: 'unsigned' } },
    value: [Data.array([Data.unsigned(5), Data.unsigned(6)])],
  });
});

test('A-XDR decoding rejects truncated, unknown and lying input with DECODE_ERROR', () => {
  decodeFails(h('09 05 01 02'), /octet-string needs 5 byte/);
  decodeFails(h('06 00 01'), /double-long-unsigned needs 4/);
  decodeFails(h('07'), /unknown A-XDR Data tag 0x07/);
  decodeFails(h('01 84 FF FF FF FF 00'), /declares 4294967295 elements/);
  decodeFails(h('09 85 00 00 00 00 01'), /unsupported length form/);
  decodeFails(h('11 09 00'), /trailing/);
  decodeFails(h('13 00 02 00 00'), /no size/);
  decodeFails(h('13 01 FFFF 01 FFFF 00 01 00'), /no size/);
  decodeFails(h('13 01 FFFF 01 FFFF 02 02 00 11 02 00 00'), /needs at least 4294836225 bytes/);
  decodeFails(Buffer.from([...Array(40).fill([0x01, 0x01]).flat(), 0x00]), /nested deeper/);
  decodeFails(h(''), /Data tag needs 1 byte/);
});

test('A-XDR encoding rejects out-of-range values with ENCODE_ERROR', () => {
  for (const d of [Data.unsigned(256), Data.integer(-129), Data.longUnsigned(-1), Data.doubleLongUnsigned(2 ** 32), Data.enum(1.5)]) {
    assert.throws(() => encodeData(d), (e: unknown) => isMeterfabricError(e) && e.code === 1001);
  }
  assert.throws(() => encodeData(Data.dateTime(h('00'))), /must be 12 bytes/);
});

test('A-XDR length helpers use the short, 81, 82, 83 and 84 forms', () => {
  const cases: Array<[number, string]> = [[0, '00'], [0x7f, '7F'], [0x80, '8180'], [0xff, '81FF'], [0x100, '820100'], [0x10000, '83010000'], [0x1000000, '8401000000']];
  for (const [n, bytes] of cases) {
    assert.deepEqual(encodeAxdrLength(n), h(bytes));
    assert.deepEqual(decodeAxdrLength(h(bytes + 'EE')), { length: n, next: h(bytes).length });
  }
});

test('COSEM date-time of docs/dlms.md#a-xdr-data decodes to 2026-11-24 02:40:17 UTC and back', () => {
  const wire = h('09 0C 07 EA 0B 18 FF 02 28 11 00 00 00 00');
  const data = decodeDataExact(wire);
  assert.equal(data.type, 'octet-string');
  const value = (data as { value: Buffer }).value;
  assert.deepEqual(decodeCosemDateTime(value), {
    year: 2026, month: 11, day: 24, dayOfWeek: 0xff, hour: 2, minute: 40, second: 17, hundredths: 0, deviation: 0, clockStatus: 0,
  });
  assert.equal(cosemDateTimeToDate(value).toISOString(), '2026-11-24T02:40:17.000Z');
  // Encoding fills in the day of week (Tuesday = 2).
  assert.deepEqual(dateToCosemDateTime(new Date('2026-11-24T02:40:17Z')), h('07 EA 0B 18 02 02 28 11 00 00 00 00'));
});

test('COSEM date-time with DSMR winter deviation -60 is local CET time', () => {
  const bytes = dateToCosemDateTime(new Date('2026-01-10T11:00:00.250Z'), { deviation: -60 });
  assert.deepEqual(bytes, h('07 EA 01 0A 06 0C 00 00 19 FF C4 00'));
  assert.equal(cosemDateTimeToDate(bytes).toISOString(), '2026-01-10T11:00:00.250Z');
  assert.throws(() => cosemDateTimeToDate(h('FFFF 01 0A 06 0C 00 00 19 FFC4 00')), /does not name one instant/);
  // unspecified deviation 0x8000: caller chooses the assumption
  assert.equal(cosemDateTimeToDate(h('07EA010A060C0000008000 00'), -60).toISOString(), '2026-01-10T11:00:00.000Z');
});

test('dataToJson renders octet-strings as hex and 64-bit values as strings', () => {
  assert.deepEqual(dataToJson(Data.structure([Data.octetString('0A0B'), Data.long64(5n), Data.nullData(), Data.unsigned(3)])), ['0A0B', '5', null, 3]);
});
