import { test } from 'node:test';
import { CLOCK_TIME } from '../../src/cosem/objects.ts';
import assert from 'node:assert/strict';
import { Data, type DlmsData, decodeDataExact, encodeData } from '../../src/dlms/axdr.ts';
import { attributeDescriptor, decodeApdu, GetRequestNormal, GetRequestWithList } from '../../src/dlms/apdu/index.ts';
import { encodeZonedDateTime } from '../../src/dlms/date-time.ts';
import {
  bufferSelectionFrom,
  bufferToData,
  captureObject,
  captureObjectsFromData,
  captureObjectsToData,
  entryAccess,
  entryDescriptorFromData,
  entryDescriptorToData,
  rangeAccess,
  rangeDescriptorFromData,
  rangeDescriptorToData,
  selectBuffer,
  selectByEntry,
  selectByRange,
  timeRange,
  timeWindow,
  selectedValuesFor,
  returnedColumns,
  columnPositions,
  type RangeDescriptor,
} from '../../src/dlms/selective-access.ts';
import { isMeterfabricError } from '../../src/errors.ts';

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const hexOf = (d: DlmsData) => encodeData(d).toString('hex').toUpperCase();
const decodeFails = (f: () => unknown, re: RegExp) => assert.throws(f, (e: unknown) => isMeterfabricError(e) && e.code === 1000 && re.test(e.message));
const accessFails = (f: () => unknown, result: number) =>
  assert.throws(f, (e: unknown) => isMeterfabricError(e) && e.code === 1100 && (e.details as { result: number }).result === result);

// restricting_object = clock 0-0:1.0.0.255 attribute 2 data index 0 (docs/dlms.md#selective-access)
const CLOCK_DEF = '02 04 12 0008 09 06 0000010000FF 0F 02 12 0000';
const AMR_DEF = '02 04 12 0001 09 06 0000600A02FF 0F 02 12 0000'; // 0-0:96.10.2.255 AMR profile status
const IMPORT_DEF = '02 04 12 0003 09 06 0100010800FF 0F 02 12 0000'; // 1-0:1.8.0.255
const EXPORT_DEF = '02 04 12 0003 09 06 0100020800FF 0F 02 12 0000'; // 1-0:2.8.0.255
const SEP_1_UTC = '09 0C 07DF0901 FF 00000000 0000 00'; // 2015-09-01 00:00:00.00, deviation 0, status 0
const OCT_1_UTC = '09 0C 07DF0A01 FF 00000000 0000 00'; // 2015-10-01

const amr = captureObject(1, '0-0:96.10.2.255', 2);
const imp = captureObject(3, '1-0:1.8.0.255', 2);
const exp = captureObject(3, '1-0:2.8.0.255', 2);
const INTERVAL_COLUMNS = [CLOCK_TIME, amr, imp, exp];

test('range_descriptor GXF sends: clock restricting object, from/to octet-string(12), empty selected_values = all columns', () => {
  const range = timeRange({ clockTime: CLOCK_TIME, from: new Date('2015-09-01T00:00:00Z'), to: new Date('2015-10-01T00:00:00Z') });
  const bytes = `02 04 ${CLOCK_DEF} ${SEP_1_UTC} ${OCT_1_UTC} 01 00`;
  assert.equal(hexOf(rangeDescriptorToData(range)), h(bytes).toString('hex').toUpperCase());
  const back = rangeDescriptorFromData(decodeDataExact(h(bytes)));
  assert.ok(back.restrictingObject.logicalName.equals(CLOCK_TIME.logicalName));
  assert.deepEqual({ ...back.restrictingObject, logicalName: back.restrictingObject.logicalName.toString() }, { classId: 8, logicalName: '0-0:1.0.0.255', attributeIndex: 2, dataIndex: 0 });
  assert.deepEqual(back.selectedValues, []);
  assert.deepEqual(back.from, Data.octetString(h('07DF0901FF000000000000 00')));
});

test('range_descriptor in the device zone with selected columns (Europe/Amsterdam: deviation −60 in winter)', () => {
  const range = timeRange({ clockTime: CLOCK_TIME, from: new Date('2026-01-14T23:00:00Z'), to: new Date('2026-01-15T23:00:00Z'), zone: 'Europe/Amsterdam', selectedValues: [CLOCK_TIME, amr, imp] });
  const bytes = `02 04 ${CLOCK_DEF} 09 0C 07EA010FFF00000000FFC400 09 0C 07EA0110FF00000000FFC400 01 03 ${CLOCK_DEF} ${AMR_DEF} ${IMPORT_DEF}`;
  assert.equal(hexOf(rangeDescriptorToData(range)), h(bytes).toString('hex').toUpperCase());
  const back = rangeDescriptorFromData(decodeDataExact(h(bytes)));
  assert.deepEqual(back.selectedValues.map((c) => `${c.classId} ${c.logicalName} ${c.attributeIndex} ${c.dataIndex}`), ['8 0-0:1.0.0.255 2 0', '1 0-0:96.10.2.255 2 0', '3 1-0:1.8.0.255 2 0']);
});

test('range_descriptor decoder accepts the date-time tag for from/to and refuses malformed parameters', () => {
  const withTag = rangeDescriptorFromData(decodeDataExact(h(`02 04 ${CLOCK_DEF} 19 07DF0901FF000000000000 00 19 07DF0A01FF00000000000000 01 00`)));
  assert.equal(withTag.from.type, 'date-time');
  decodeFails(() => rangeDescriptorFromData(decodeDataExact(h(`02 03 ${CLOCK_DEF} ${SEP_1_UTC} ${OCT_1_UTC}`))), /4 elements/);
  decodeFails(() => rangeDescriptorFromData(decodeDataExact(h(`02 04 02 04 12 0008 09 05 0000010000 0F 02 12 0000 ${SEP_1_UTC} ${OCT_1_UTC} 01 00`))), /6 bytes/);
  decodeFails(() => rangeDescriptorFromData(decodeDataExact(h(`02 04 02 03 12 0008 09 06 0000010000FF 0F 02 ${SEP_1_UTC} ${OCT_1_UTC} 01 00`))), /4 elements/);
  decodeFails(() => rangeDescriptorFromData(decodeDataExact(h(`02 04 ${CLOCK_DEF} ${SEP_1_UTC} ${OCT_1_UTC} 02 00`))), /selected_values: expected an array/);
  decodeFails(() => rangeDescriptorFromData(decodeDataExact(h(`02 04 02 04 09 00 09 06 0000010000FF 0F 02 12 0000 ${SEP_1_UTC} ${OCT_1_UTC} 01 00`))), /class_id must be an integer/);
  decodeFails(() => rangeDescriptorFromData(decodeDataExact(h(`02 04 02 04 12 0008 09 06 0000010000FF 12 0100 12 0000 ${SEP_1_UTC} ${OCT_1_UTC} 01 00`))), /attribute_index 256 is outside/);
  decodeFails(() => rangeDescriptorFromData(Data.array([])), /expected a structure/);
});

test('entry_descriptor: literal bytes both ways', () => {
  const bytes = '02 04 06 00000001 06 0000000A 12 0001 12 0000';
  const e = { fromEntry: 1, toEntry: 10, fromSelectedValue: 1, toSelectedValue: 0 };
  assert.deepEqual(encodeData(entryDescriptorToData(e)), h(bytes));
  assert.deepEqual(entryDescriptorFromData(decodeDataExact(h(bytes))), e);
  decodeFails(() => entryDescriptorFromData(decodeDataExact(h('02 04 06 00000001 06 0000000A 12 0001'.replace('02 04', '02 03')))), /4 elements/);
  decodeFails(() => entryDescriptorFromData(decodeDataExact(h('02 04 05 FFFFFFFF 06 0000000A 12 0001 12 0000'))), /from_entry -1 is outside/);
  decodeFails(() => entryDescriptorFromData(decodeDataExact(h('02 04 06 00000001 09 00 12 0001 12 0000'))), /to_entry must be an integer/);
});

test('GET-request-normal with selective access: selector 1 (range) and 2 (entry) on class 7 attribute 2, decoded back by the meter side', () => {
  const range = timeRange({ clockTime: CLOCK_TIME, from: new Date('2015-09-01T00:00:00Z'), to: new Date('2015-10-01T00:00:00Z') });
  const get = new GetRequestNormal({ attribute: attributeDescriptor(7, '1-0:99.1.0.255', 2), accessSelection: rangeAccess(range) });
  const wire = h(`C0 01 C1 0007 0100630100FF 02 01 01 02 04 ${CLOCK_DEF} ${SEP_1_UTC} ${OCT_1_UTC} 01 00`);
  assert.deepEqual(get.encode(), wire);
  const decoded = decodeApdu(wire) as GetRequestNormal;
  const sel = bufferSelectionFrom(decoded.accessSelection!);
  assert.equal(sel.kind, 'range');
  assert.deepEqual(sel.kind === 'range' && hexOf(rangeDescriptorToData(sel.range)), hexOf(rangeDescriptorToData(range)));

  const entry = new GetRequestNormal({ invokeIdAndPriority: 0x42, attribute: attributeDescriptor(7, '1-0:99.1.0.255', 2), accessSelection: entryAccess({ fromEntry: 1, toEntry: 10, fromSelectedValue: 1, toSelectedValue: 0 }) });
  const entryWire = h('C0 01 42 0007 0100630100FF 02 01 02 02 04 06 00000001 06 0000000A 12 0001 12 0000');
  assert.deepEqual(entry.encode(), entryWire);
  assert.deepEqual(bufferSelectionFrom((decodeApdu(entryWire) as GetRequestNormal).accessSelection!), { kind: 'entry', entry: { fromEntry: 1, toEntry: 10, fromSelectedValue: 1, toSelectedValue: 0 } });

  // Also inside get-request-with-list (one access selection per attribute)
  const list = new GetRequestWithList({ attributes: [{ attribute: attributeDescriptor(7, '1-0:99.1.0.255', 3) }, { attribute: attributeDescriptor(7, '1-0:99.1.0.255', 2), accessSelection: rangeAccess(range) }] });
  const listWire = h(`C0 03 C1 02 0007 0100630100FF 03 00 0007 0100630100FF 02 01 01 02 04 ${CLOCK_DEF} ${SEP_1_UTC} ${OCT_1_UTC} 01 00`);
  assert.deepEqual(list.encode(), listWire);
  assert.deepEqual((decodeApdu(listWire) as GetRequestWithList).attributes[1]!.accessSelection, rangeAccess(range));

  decodeFails(() => bufferSelectionFrom({ selector: 3, parameters: Data.nullData() }), /access selector 3/);
});

test('capture objects (attribute 3) encode and decode as an array of capture_object_definition', () => {
  const bytes = `01 04 ${CLOCK_DEF} ${AMR_DEF} ${IMPORT_DEF} ${EXPORT_DEF}`;
  assert.deepEqual(encodeData(captureObjectsToData(INTERVAL_COLUMNS)), h(bytes));
  const fmt = (c: { classId: number; logicalName: unknown; attributeIndex: number; dataIndex: number }) => `${c.classId} ${String(c.logicalName)} ${c.attributeIndex} ${c.dataIndex}`;
  assert.deepEqual(captureObjectsFromData(decodeDataExact(h(bytes))).map(fmt), ['8 0-0:1.0.0.255 2 0', '1 0-0:96.10.2.255 2 0', '3 1-0:1.8.0.255 2 0', '3 1-0:2.8.0.255 2 0']);
  assert.deepEqual(captureObjectsFromData(decodeDataExact(h(bytes)))[3]!.logicalName.toString(), '1-0:2.8.0.255');
  // class 4 attribute 5 (capture time) of M-Bus channel 1 with a data index
  assert.deepEqual(encodeData(captureObjectsToData([captureObject(4, '0-1:24.2.1.255', 5, 1)])), h('01 01 02 04 12 0004 09 06 0001180201FF 0F 05 12 0001'));
});

// A 15-minute buffer from 2015-09-01T00:00Z: clock, AMR status, import 1, 2, 3…, export 2, 4, 6… (like GXF's simulator)
const t0 = Date.parse('2015-09-01T00:00:00Z');
const at = (i: number, zone = 'UTC') => Data.octetString(encodeZonedDateTime(new Date(t0 + i * 900_000), zone));
const BUFFER: DlmsData[][] = Array.from({ length: 8 }, (_, i) => [at(i, i % 2 ? 'Europe/Amsterdam' : 'UTC'), Data.unsigned(4), Data.doubleLongUnsigned(i + 1), Data.doubleLongUnsigned(2 * (i + 1))]);
const range = (from: number, to: number, selectedValues = [] as RangeDescriptor['selectedValues'], zone?: string): RangeDescriptor =>
  timeRange({ clockTime: CLOCK_TIME, from: new Date(t0 + from * 900_000), to: new Date(t0 + to * 900_000), ...(zone ? { zone } : {}), selectedValues });
const imports = (rows: DlmsData[][], col = 2) => rows.map((r) => (r[col] as { value: number }).value);

test('range selection: inclusive from/to compared as instants, whatever deviation the entries carry', () => {
  const r = selectByRange(BUFFER, INTERVAL_COLUMNS, range(1, 3));
  assert.deepEqual(imports(r.rows), [2, 3, 4]);
  assert.equal(r.columns.length, 4);
  // The same window asked in Amsterdam time selects the same entries
  assert.deepEqual(imports(selectByRange(BUFFER, INTERVAL_COLUMNS, range(1, 3, [], 'Europe/Amsterdam')).rows), [2, 3, 4]);
  // A range inside one capture period, and one that starts before the buffer
  assert.deepEqual(imports(selectByRange(BUFFER, INTERVAL_COLUMNS, range(1.2, 1.8)).rows), []);
  assert.deepEqual(imports(selectByRange(BUFFER, INTERVAL_COLUMNS, range(-100, 0)).rows), [1]);
  // The whole buffer as the attribute value
  assert.deepEqual(encodeData(bufferToData(selectByRange(BUFFER, INTERVAL_COLUMNS, range(0, 7)).rows)), encodeData(bufferToData(BUFFER)));
});

test('range selection: nothing matching and from > to give an empty array, not an error', () => {
  const none = selectByRange(BUFFER, INTERVAL_COLUMNS, range(100, 200));
  assert.deepEqual(none.rows, []);
  assert.deepEqual(encodeData(bufferToData(none.rows)), h('01 00'));
  assert.deepEqual(selectByRange(BUFFER, INTERVAL_COLUMNS, range(3, 1)).rows, []);
});

test('range selection: selected values pick columns, returned in capture_objects order', () => {
  const r = selectByRange(BUFFER, INTERVAL_COLUMNS, range(0, 1, [exp, CLOCK_TIME]));
  assert.deepEqual(r.columns, [CLOCK_TIME, exp]);
  assert.deepEqual(r.rows.map((row) => row.length), [2, 2]);
  assert.deepEqual(imports(r.rows, 1), [2, 4]);
  // data index 0 selects a column captured with a data index too
  const withIndex = [CLOCK_TIME, captureObject(4, '0-1:24.2.1.255', 2, 0), captureObject(4, '0-1:24.2.1.255', 5, 0)];
  const gasRows = [[at(0), Data.doubleLongUnsigned(7), at(0)]];
  assert.equal(selectByRange(gasRows, withIndex, range(0, 0, [captureObject(4, '0-1:24.2.1.255', 5)])).columns.length, 1);
  accessFails(() => selectByRange(BUFFER, INTERVAL_COLUMNS, range(0, 1, [captureObject(3, '1-0:1.8.1.255', 2)])), 11);
});

test('range selection: the restricting object may be any column; absent → object-unavailable; incomparable from/to → type-unmatched', () => {
  const columns = [amr, imp, CLOCK_TIME];
  const rows = BUFFER.map((r) => [r[1]!, r[2]!, r[0]!]);
  assert.deepEqual(imports(selectByRange(rows, columns, range(2, 4)).rows, 1), [3, 4, 5]);
  // Restricting by a register value instead of the clock: import 2..3
  const byValue: RangeDescriptor = { restrictingObject: imp, from: Data.doubleLongUnsigned(2), to: Data.doubleLongUnsigned(3), selectedValues: [] };
  assert.deepEqual(imports(selectByRange(BUFFER, INTERVAL_COLUMNS, byValue).rows), [2, 3]);
  accessFails(() => selectByRange(BUFFER, [amr, imp, exp], range(0, 1)), 11);
  accessFails(() => selectByRange(BUFFER, INTERVAL_COLUMNS, { ...range(0, 1), to: Data.doubleLongUnsigned(1) }), 12);
  accessFails(() => selectByRange(BUFFER, INTERVAL_COLUMNS, { ...range(0, 1), from: Data.octetString(h('FFFFFFFFFFFFFFFFFF800000')) }), 12);
});

test('range selection: entries whose clock is null-data are not selected', () => {
  const rows = BUFFER.map((r, i) => (i === 2 ? [Data.nullData(), ...r.slice(1)] : r));
  assert.deepEqual(imports(selectByRange(rows, INTERVAL_COLUMNS, range(1, 3)).rows), [2, 4]);
});

test('entry selection: 1-based inclusive entries and columns, 0 = to the last, clipped; empty when nothing is left', () => {
  const e = (fromEntry: number, toEntry: number, fromSelectedValue = 1, toSelectedValue = 0) => selectByEntry(BUFFER, INTERVAL_COLUMNS, { fromEntry, toEntry, fromSelectedValue, toSelectedValue });
  assert.deepEqual(imports(e(2, 4).rows), [2, 3, 4]);
  assert.deepEqual(imports(e(6, 0).rows), [6, 7, 8]);
  assert.deepEqual(imports(e(0, 1).rows), [1]);
  assert.deepEqual(imports(e(7, 100).rows), [7, 8]);
  assert.deepEqual(e(9, 0).rows, []);
  assert.deepEqual(e(4, 2).rows, []);
  const cols = e(1, 2, 3, 4);
  assert.deepEqual(cols.columns, [imp, exp]);
  assert.deepEqual(imports(cols.rows, 0), [1, 2]);
  assert.deepEqual(e(1, 2, 5, 0), { columns: [], rows: [] });
  assert.deepEqual(e(1, 2, 3, 2), { columns: [], rows: [] });
});

test('selectBuffer: no selection = the whole buffer; a buffer entry of the wrong width is a programming error', () => {
  assert.equal(selectBuffer(BUFFER, INTERVAL_COLUMNS).rows.length, 8);
  assert.deepEqual(imports(selectBuffer(BUFFER, INTERVAL_COLUMNS, { kind: 'entry', entry: { fromEntry: 8, toEntry: 8, fromSelectedValue: 1, toSelectedValue: 0 } }).rows), [8]);
  assert.throws(() => selectBuffer([[Data.nullData()]], INTERVAL_COLUMNS), (e: unknown) => isMeterfabricError(e) && e.code === 1001);
});

test('column selection as GXF chooses it: wanted columns with the flag (none when all are wanted), none without it; picking by position', () => {
  // DSMR 4 daily profile: clock, AMR, four rate registers, then M-Bus channel values; the E read wants the first six
  const rate = (c: number, e: number) => captureObject(3, `1-0:${c}.8.${e}.255`, 2);
  const mbus = (ch: number, attr: number) => captureObject(4, `0-${ch}:24.2.1.255`, attr);
  const daily = [CLOCK_TIME, amr, rate(1, 1), rate(1, 2), rate(2, 1), rate(2, 2), mbus(1, 2), mbus(1, 5)];
  const wanted = daily.slice(0, 6);
  assert.deepEqual(selectedValuesFor({ captureObjects: daily, wanted, columnSelection: true }), wanted);
  assert.deepEqual(selectedValuesFor({ captureObjects: daily, wanted: [...daily].reverse(), columnSelection: true }), []);
  assert.deepEqual(selectedValuesFor({ captureObjects: daily, wanted, columnSelection: false }), []);
  // The meter returns the selected columns; without selection all, and the client picks its columns by position
  assert.deepEqual(returnedColumns(daily, wanted), wanted);
  assert.deepEqual(returnedColumns(daily, []), daily);
  assert.deepEqual(columnPositions(returnedColumns(daily, []), [rate(2, 2), CLOCK_TIME]), [5, 0]);
  assert.deepEqual(columnPositions(returnedColumns(daily, wanted), [rate(2, 2), CLOCK_TIME]), [5, 0]);
  decodeFails(() => columnPositions(returnedColumns(daily, wanted), [mbus(1, 2)]), /was not returned/);
  // The same rule on the meter side: selectByRange with the chosen selected_values returns exactly those columns
  const rows = [[...daily.map((_, i) => (i === 0 ? at(0) : Data.doubleLongUnsigned(i)))]];
  const chosen = selectedValuesFor({ captureObjects: daily, wanted, columnSelection: true });
  const answer = selectByRange(rows, daily, range(0, 0, chosen));
  assert.deepEqual(answer.columns, returnedColumns(daily, chosen));
  assert.deepEqual(answer.rows[0]!.slice(1).map((d) => (d as { value: number }).value), [1, 2, 3, 4, 5]);
});

test('timeWindow: the instants of a clock-restricted range, for a meter that builds only the entries it needs', () => {
  assert.deepEqual(timeWindow(range(1, 3, [], 'Europe/Amsterdam'), CLOCK_TIME), { from: new Date(t0 + 900_000), to: new Date(t0 + 3 * 900_000) });
  assert.equal(timeWindow({ ...range(1, 3), restrictingObject: imp }, CLOCK_TIME), null);
  assert.equal(timeWindow({ ...range(1, 3), to: Data.octetString(h('FFFFFFFFFFFFFFFFFF800000')) }, CLOCK_TIME), null);
  assert.equal(timeWindow({ ...range(1, 3), from: Data.doubleLongUnsigned(1) }, CLOCK_TIME), null);
});
