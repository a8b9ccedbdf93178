import { test } from 'node:test';
import { CLOCK_TIME } from '../../src/cosem/objects.ts';
import assert from 'node:assert/strict';
import { Data, type DlmsData, decodeDataExact, encodeData } from '../../src/dlms/axdr.ts';
import {
  captureStep,
  columnIndex,
  decodeCaptureObjects,
  decodeProfileBuffer,
  entryTimestamps,
  fillTimestamps,
  nextCaptureTime,
} from '../../src/dlms/profile.ts';
import { bufferSelectionFrom, bufferToData, captureObject, rangeAccess, selectBuffer, timeRange } from '../../src/dlms/selective-access.ts';
import { attributeDescriptor, DataBlockAssembler, decodeApdu, GetRequestNormal, GetResponseNormal, GetResponseWithDataBlock, splitIntoDataBlocks } from '../../src/dlms/apdu/index.ts';
import { isMeterfabricError } from '../../src/errors.ts';

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const iso = (d: Date | null) => (d ? d.toISOString() : null);
const decodeFails = (f: () => unknown, re: RegExp) => assert.throws(f, (e: unknown) => isMeterfabricError(e) && e.code === 1000 && re.test(e.message));

// Interval profile 1-0:99.1.0.255 (docs/dlms.md#profile-buffers): clock, AMR status 0-0:96.10.2, 1.8.0, 2.8.0
const CAPTURE_OBJECTS = h(`01 04
  02 04 12 0008 09 06 0000010000FF 0F 02 12 0000
  02 04 12 0001 09 06 0000600A02FF 0F 02 12 0000
  02 04 12 0003 09 06 0100010800FF 0F 02 12 0000
  02 04 12 0003 09 06 0100020800FF 0F 02 12 0000`);
// Three entries; the second and third are compressed (clock null-data), as meters send them
const BUFFER = h(`01 03
  02 04 09 0C 07DF0901FF000000000000 00 11 04 06 00000001 06 00000002
  02 04 00                              11 04 06 00000002 06 00000004
  02 04 00                              11 00 06 00000003 06 00000006`);

test('capture objects and buffer decode into typed entries', () => {
  const columns = decodeCaptureObjects(decodeDataExact(CAPTURE_OBJECTS));
  assert.equal(columns.length, 4);
  assert.equal(columnIndex(columns, CLOCK_TIME), 0);
  assert.equal(columnIndex(columns, captureObject(3, '1-0:2.8.0.255', 2)), 3);
  assert.equal(columnIndex(columns, captureObject(3, '1-0:1.8.1.255', 2)), -1);
  const entries = decodeProfileBuffer(decodeDataExact(BUFFER), columns);
  assert.equal(entries.length, 3);
  const [first, second] = entries;
  assert.equal(first!.cells[0]!.kind, 'date-time');
  assert.equal(first!.cells[0]!.kind === 'date-time' && iso(first!.cells[0]!.value.instant), '2015-09-01T00:00:00.000Z');
  assert.deepEqual(first!.cells.slice(1), [{ kind: 'integer', value: 4n }, { kind: 'integer', value: 1n }, { kind: 'integer', value: 2n }]);
  assert.deepEqual(second!.cells[0], { kind: 'null' });
  assert.deepEqual(second!.values[3], Data.doubleLongUnsigned(4));
  // 15-minute capture period: the compressed entries are 00:15 and 00:30
  assert.deepEqual(entryTimestamps(entries, columns, captureStep(900), CLOCK_TIME).map(iso), ['2015-09-01T00:00:00.000Z', '2015-09-01T00:15:00.000Z', '2015-09-01T00:30:00.000Z']);
});

test('typed cells: floats, 64-bit, strings, and a 12-byte octet-string in a non-date column stays data', () => {
  const columns = [CLOCK_TIME, captureObject(1, '0-0:96.1.0.255', 2), captureObject(3, '1-0:1.7.0.255', 2), captureObject(3, '1-0:1.8.0.255', 2), captureObject(4, '0-1:24.2.1.255', 5)];
  const [e] = decodeProfileBuffer(
    decodeDataExact(h('01 01 02 05 19 07DF0901FF000000000000 00 09 0C 000000000000000000000000 17 3FC00000 15 FFFFFFFFFFFFFFFF 09 0C 07E0020FFF17000000FFC400')),
    columns,
  );
  assert.equal(e!.cells[0]!.kind, 'date-time');
  assert.equal(e!.cells[1]!.kind, 'data');
  assert.deepEqual(e!.cells[2], { kind: 'float', value: 1.5 });
  assert.deepEqual(e!.cells[3], { kind: 'integer', value: 0xffffffffffffffffn });
  assert.equal(e!.cells[4]!.kind === 'date-time' && iso(e!.cells[4]!.value.instant), '2016-02-15T22:00:00.000Z');
});

test('buffer decoder refuses entries that do not fit the capture objects', () => {
  const columns = decodeCaptureObjects(decodeDataExact(CAPTURE_OBJECTS));
  decodeFails(() => decodeProfileBuffer(decodeDataExact(h('01 01 02 03 00 11 04 06 00000001')), columns), /entry 0: 3 values for 4 capture objects/);
  decodeFails(() => decodeProfileBuffer(decodeDataExact(h('01 01 01 04 00 00 00 00')), columns), /entry 0: expected a structure/);
  decodeFails(() => decodeProfileBuffer(decodeDataExact(h('02 00')), columns), /expected an array/);
  decodeFails(() => decodeProfileBuffer(decodeDataExact(h('01 01 02 04 09 02 0102 11 04 06 00000001 06 00000002')), columns), /entry 0 column 1: expected an octet-string of 12 bytes/);
  decodeFails(() => decodeProfileBuffer(decodeDataExact(h('01 01 02 04 06 00000001 11 04 06 00000001 06 00000002')), columns), /entry 0 column 1/);
  // An empty buffer (a range that matched nothing) is no error
  assert.deepEqual(decodeProfileBuffer(decodeDataExact(h('01 00')), columns), []);
});

test('buffer as compact-array of structures decodes the same', () => {
  const columns = [captureObject(3, '1-0:1.8.0.255', 2), captureObject(3, '1-0:2.8.0.255', 2)];
  const entries = decodeProfileBuffer(decodeDataExact(h('13 02 02 06 06 10 00000001 00000002 00000003 00000004')), columns);
  assert.deepEqual(entries.map((e) => e.cells.map((c) => (c.kind === 'integer' ? c.value : null))), [[1n, 2n], [3n, 4n]]);
});

test('compressed timestamps: previous + one capture period; leading nulls cannot be placed', () => {
  const t = (s: string) => new Date(s);
  assert.deepEqual(
    fillTimestamps([null, t('2015-09-01T00:00:00Z'), null, null, t('2015-09-01T02:00:00Z'), null], captureStep(900)).map(iso),
    [null, '2015-09-01T00:00:00.000Z', '2015-09-01T00:15:00.000Z', '2015-09-01T00:30:00.000Z', '2015-09-01T02:00:00.000Z', '2015-09-01T02:15:00.000Z'],
  );
  // Hourly gas profile
  assert.equal(iso(nextCaptureTime(t('2015-09-01T23:00:00Z'), captureStep(3600))), '2015-09-02T00:00:00.000Z');
  // Daily profile in Amsterdam across the end of summer time: midnight to midnight is 25 hours
  assert.deepEqual(fillTimestamps([t('2026-10-24T22:00:00Z'), null], captureStep(86_400, 'Europe/Amsterdam')).map(iso), ['2026-10-24T22:00:00.000Z', '2026-10-25T23:00:00.000Z']);
  // Monthly (capture period 0): the same day and wall time next month — 1 Feb, 1 Mar 00:00 CET, 1 Apr 00:00 CEST
  assert.deepEqual(fillTimestamps([t('2026-01-31T23:00:00Z'), null, null], captureStep(0, 'Europe/Amsterdam')).map(iso), ['2026-01-31T23:00:00.000Z', '2026-02-28T23:00:00.000Z', '2026-03-31T22:00:00.000Z']);
  assert.deepEqual(captureStep(0), { unit: 'month', zone: 'UTC' });
  assert.deepEqual(captureStep(900), { unit: 'seconds', seconds: 900 });
  decodeFails(() => captureStep(-1), /capture period/);
  decodeFails(() => entryTimestamps([], [captureObject(3, '1-0:1.8.0.255', 2)], captureStep(900), CLOCK_TIME), /timestamp column/);
});

test('class 7 buffer read with a range descriptor over GET block transfer: literal request, blocks and entries', () => {
  // Client: GET 1-0:99.1.0.255 attribute 2 for 2015-09-01 00:00..00:30 UTC, all columns
  const request = new GetRequestNormal({
    attribute: attributeDescriptor(7, '1-0:99.1.0.255', 2),
    accessSelection: rangeAccess(timeRange({ clockTime: CLOCK_TIME, from: new Date('2015-09-01T00:00:00Z'), to: new Date('2015-09-01T00:30:00Z') })),
  });
  const requestWire = h(`C0 01 C1 0007 0100630100FF 02 01 01
    02 04 02 04 12 0008 09 06 0000010000FF 0F 02 12 0000 09 0C 07DF0901FF00000000000000 09 0C 07DF0901FF001E0000000000 01 00`);
  assert.deepEqual(request.encode(), requestWire);

  // Meter: decodes the selection, selects from its buffer (entries with real timestamps), answers in 32-byte blocks
  const columns = decodeCaptureObjects(decodeDataExact(CAPTURE_OBJECTS));
  const stored = (decodeDataExact(BUFFER) as { value: { value: DlmsData[] }[] }).value.map((e, i) => [
    Data.octetString(h(`07DF0901FF00${(i * 15).toString(16).padStart(2, '0')}0000000000`)),
    ...e.value.slice(1),
  ]);
  const selection = bufferSelectionFrom((decodeApdu(requestWire) as GetRequestNormal).accessSelection!);
  const selected = selectBuffer(stored, columns, selection);
  assert.equal(selected.rows.length, 3);
  // The meter compresses entries 2 and 3 (clock null-data) before sending: the BUFFER vector
  const raw = encodeData(bufferToData(selected.rows.map((r, i) => (i === 0 ? r : [Data.nullData(), ...r.slice(1)]))));
  assert.deepEqual(raw, BUFFER);
  const blocks = splitIntoDataBlocks({ invokeIdAndPriority: 0xc1, raw, maxBlockSize: 32 });
  assert.deepEqual(
    blocks.map((b) => b.encode()),
    [
      h('C4 02 C1 00 00000001 00 20  01 03 02 04 09 0C 07DF0901FF00000000000000 11 04 06 00000001 06 00000002 02 04'),
      h('C4 02 C1 01 00000002 00 1C  00 11 04 06 00000002 06 00000004 02 04 00 11 00 06 00000003 06 00000006'),
    ],
  );

  // Client: reassembles, acknowledging block 1 with get-request-next(1), then decodes the entries
  const assembler = new DataBlockAssembler(0xc1);
  const first = assembler.push(GetResponseWithDataBlock.decode(blocks[0]!.encode()));
  assert.equal(first.done, false);
  assert.deepEqual(!first.done && first.next.encode(), h('C0 02 C1 00000001'));
  const last = assembler.push(GetResponseWithDataBlock.decode(blocks[1]!.encode()));
  assert.ok(last.done && 'raw' in last);
  const entries = decodeProfileBuffer(decodeDataExact(last.raw), columns);
  assert.deepEqual(entryTimestamps(entries, columns, captureStep(900), CLOCK_TIME).map(iso), ['2015-09-01T00:00:00.000Z', '2015-09-01T00:15:00.000Z', '2015-09-01T00:30:00.000Z']);
  assert.deepEqual(entries.map((e) => e.cells[2]), [1n, 2n, 3n].map((value) => ({ kind: 'integer', value })));
});

test('a buffer GET answered with an empty range, an error or garbage', () => {
  const columns = decodeCaptureObjects(decodeDataExact(CAPTURE_OBJECTS));
  const answer = (hex: string) => (decodeApdu(h(hex)) as GetResponseNormal).result;
  // Nothing in the window: an empty array
  const empty = answer('C4 01 C1 00 01 00');
  assert.ok(empty.kind === 'data');
  assert.deepEqual(empty.kind === 'data' && decodeProfileBuffer(empty.data, columns), []);
  // object-unavailable (11) instead of data
  assert.deepEqual(answer('C4 01 C1 01 0B'), { kind: 'error', result: 11 });
  // Data that is no buffer, and a buffer whose entries do not fit the capture objects
  const garbage = answer('C4 01 C1 00 09 03 010203');
  decodeFails(() => garbage.kind === 'data' && decodeProfileBuffer(garbage.data, columns), /expected an array, got octet-string/);
  const narrow = answer('C4 01 C1 00 01 01 02 02 00 11 04');
  decodeFails(() => narrow.kind === 'data' && decodeProfileBuffer(narrow.data, columns), /entry 0: 2 values for 4 capture objects/);
  // Truncated bytes never get that far
  assert.throws(() => decodeApdu(h('C4 01 C1 00 01 03 02 04 00')), (e: unknown) => isMeterfabricError(e) && e.code === 1000);
});
