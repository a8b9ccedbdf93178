/**
 * Selective access to a profile generic buffer (class 7 attribute 2; IEC 62056-6-2 / Blue Book "Profile generic",
 * access selectors 1 and 2): range_descriptor and entry_descriptor as Data, the AccessSelection a GET carries, and
 * the rule that picks rows and columns out of a buffer (one pure function for the simulator and the tests).
 * See docs/dlms.md#selective-access.
 */
import { type DlmsData, Data, dataToJson, integerOf } from './axdr.ts';
import { decodeError, encodeError } from './bytes.ts';
import { Obis } from './obis.ts';
import type { AccessSelection } from './apdu/common.ts';
import { DataAccessResult } from './apdu/common.ts';
import { dataAccessResultError } from './apdu/result-errors.ts';
import { cosemDateTimeInstant, encodeZonedDateTime } from './date-time.ts';

export const AccessSelector = { RANGE: 1, ENTRY: 2 } as const;

/** capture_object_definition: which attribute (and which element of it; 0 = the whole attribute) a column holds. */
export interface CaptureObjectDefinition {
  classId: number;
  logicalName: Obis;
  attributeIndex: number;
  dataIndex: number;
}

export function captureObject(classId: number, logicalName: Obis | string, attributeIndex: number, dataIndex = 0): CaptureObjectDefinition {
  return { classId, logicalName: typeof logicalName === 'string' ? Obis.parse(logicalName) : logicalName, attributeIndex, dataIndex };
}

export function sameCaptureObject(a: CaptureObjectDefinition, b: CaptureObjectDefinition): boolean {
  return a.classId === b.classId && a.attributeIndex === b.attributeIndex && a.dataIndex === b.dataIndex && a.logicalName.equals(b.logicalName);
}

export function captureObjectToString(c: CaptureObjectDefinition): string {
  return `${c.classId}/${c.logicalName.toString()}/${c.attributeIndex}${c.dataIndex ? `/${c.dataIndex}` : ''}`;
}

/** structure{ long-unsigned class_id, octet-string(6) logical_name, integer attribute_index, long-unsigned data_index }. */
export function captureObjectToData(c: CaptureObjectDefinition): DlmsData {
  if (!Number.isInteger(c.attributeIndex) || c.attributeIndex < -128 || c.attributeIndex > 127) {
    throw encodeError(`attribute index ${c.attributeIndex} is outside −128..127`);
  }
  return Data.structure([Data.longUnsigned(c.classId), Data.octetString(c.logicalName.bytes), Data.integer(c.attributeIndex), Data.longUnsigned(c.dataIndex)]);
}

const UNSIGNED_TYPES = new Set(['unsigned', 'long-unsigned', 'double-long-unsigned']);
const SIGNED_TYPES = new Set(['integer', 'long', 'double-long']);

function intElement(d: DlmsData, field: string, what: string, min: number, max: number): number {
  // The standard's types are long-unsigned / integer; meters that widen or narrow them are read when the value fits.
  if (!UNSIGNED_TYPES.has(d.type) && !SIGNED_TYPES.has(d.type)) throw decodeError(`${what}: ${field} must be an integer, got ${d.type}`);
  const v = (d as { value: number }).value;
  if (v < min || v > max) throw decodeError(`${what}: ${field} ${v} is outside ${min}..${max}`);
  return v;
}

export function captureObjectFromData(d: DlmsData, what = 'capture object definition'): CaptureObjectDefinition {
  if (d.type !== 'structure') throw decodeError(`${what}: expected a structure, got ${d.type}`);
  if (d.value.length !== 4) throw decodeError(`${what}: expected 4 elements, got ${d.value.length}`);
  const [cls, ln, attr, idx] = d.value as [DlmsData, DlmsData, DlmsData, DlmsData];
  const classId = intElement(cls, 'class_id', what, 0, 0xffff);
  if (ln.type !== 'octet-string' || ln.value.length !== 6) throw decodeError(`${what}: logical_name must be an octet-string of 6 bytes`);
  const attributeIndex = intElement(attr, 'attribute_index', what, -128, 127);
  const dataIndex = intElement(idx, 'data_index', what, 0, 0xffff);
  return { classId, logicalName: Obis.fromBytes(ln.value), attributeIndex, dataIndex };
}

export function captureObjectsToData(list: readonly CaptureObjectDefinition[]): DlmsData {
  return Data.array(list.map(captureObjectToData));
}

/** An array of capture_object_definition (profile generic attribute 3, and selected_values). */
export function captureObjectsFromData(d: DlmsData, what = 'capture objects'): CaptureObjectDefinition[] {
  if (d.type !== 'array') throw decodeError(`${what}: expected an array, got ${d.type}`);
  return d.value.map((e, i) => captureObjectFromData(e, `${what}[${i}]`));
}

// ---------------------------------------------------------------------------------------------------------------
// Access selector 1: range_descriptor

export interface RangeDescriptor {
  restrictingObject: CaptureObjectDefinition;
  /** Oldest value to include (inclusive); for the clock a date-time as octet-string(12) or date-time. */
  from: DlmsData;
  /** Newest value to include (inclusive). */
  to: DlmsData;
  /** Columns to return; empty = all columns. */
  selectedValues: CaptureObjectDefinition[];
}

export function rangeDescriptorToData(r: RangeDescriptor): DlmsData {
  return Data.structure([captureObjectToData(r.restrictingObject), r.from, r.to, captureObjectsToData(r.selectedValues)]);
}

export function rangeDescriptorFromData(d: DlmsData): RangeDescriptor {
  const what = 'range_descriptor';
  if (d.type !== 'structure') throw decodeError(`${what}: expected a structure, got ${d.type}`);
  if (d.value.length !== 4) throw decodeError(`${what}: expected 4 elements, got ${d.value.length}`);
  const [ro, from, to, sel] = d.value as [DlmsData, DlmsData, DlmsData, DlmsData];
  return {
    restrictingObject: captureObjectFromData(ro, `${what} restricting_object`),
    from,
    to,
    selectedValues: captureObjectsFromData(sel, `${what} selected_values`),
  };
}

/**
 * The range descriptor GXF sends for every buffer read (DlmsHelper#getAccessSelectionTimeRangeParameter in
 * osgp/protocol-adapter-dlms): restricting object the clock's time (`clockTime`, CLOCK_TIME of src/cosem), from/to as octet-string(12) in the device's zone
 * (`encodeZonedDateTime`), and the columns wanted (none = all).
 */
export function timeRange(p: { clockTime: CaptureObjectDefinition; from: Date; to: Date; zone?: string; selectedValues?: CaptureObjectDefinition[] }): RangeDescriptor {
  return {
    restrictingObject: p.clockTime,
    from: Data.octetString(encodeZonedDateTime(p.from, p.zone)),
    to: Data.octetString(encodeZonedDateTime(p.to, p.zone)),
    selectedValues: p.selectedValues ?? [],
  };
}

/**
 * The window of a range restricted on the clock's time, as instants (for a meter that builds only the entries it
 * needs); null when the restricting object is not the clock time or from/to name no instant.
 */
export function timeWindow(r: RangeDescriptor, clockTime: CaptureObjectDefinition): { from: Date; to: Date } | null {
  if (!sameCaptureObject(r.restrictingObject, clockTime)) return null;
  const instant = (d: DlmsData) => ((d.type === 'octet-string' || d.type === 'date-time') && d.value.length === 12 ? cosemDateTimeInstant(d.value) : null);
  const from = instant(r.from);
  const to = instant(r.to);
  return from && to ? { from, to } : null;
}

// ---------------------------------------------------------------------------------------------------------------
// Access selector 2: entry_descriptor

export interface EntryDescriptor {
  /** First entry, 1 = the first (oldest) entry of the buffer. */
  fromEntry: number;
  /** Last entry, 0 = up to the newest. */
  toEntry: number;
  /** First column, 1 = the first capture object. */
  fromSelectedValue: number;
  /** Last column, 0 = up to the last capture object. */
  toSelectedValue: number;
}

export function entryDescriptorToData(e: EntryDescriptor): DlmsData {
  return Data.structure([
    Data.doubleLongUnsigned(e.fromEntry),
    Data.doubleLongUnsigned(e.toEntry),
    Data.longUnsigned(e.fromSelectedValue),
    Data.longUnsigned(e.toSelectedValue),
  ]);
}

export function entryDescriptorFromData(d: DlmsData): EntryDescriptor {
  const what = 'entry_descriptor';
  if (d.type !== 'structure') throw decodeError(`${what}: expected a structure, got ${d.type}`);
  if (d.value.length !== 4) throw decodeError(`${what}: expected 4 elements, got ${d.value.length}`);
  const [fe, te, fs, ts] = d.value as [DlmsData, DlmsData, DlmsData, DlmsData];
  return {
    fromEntry: intElement(fe, 'from_entry', what, 0, 0xffffffff),
    toEntry: intElement(te, 'to_entry', what, 0, 0xffffffff),
    fromSelectedValue: intElement(fs, 'from_selected_value', what, 0, 0xffff),
    toSelectedValue: intElement(ts, 'to_selected_value', what, 0, 0xffff),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// AccessSelection of a GET (get-request-normal / with-list: presence 01, selector, parameters)

export type BufferSelection = { kind: 'range'; range: RangeDescriptor } | { kind: 'entry'; entry: EntryDescriptor };

export function rangeAccess(r: RangeDescriptor): AccessSelection {
  return { selector: AccessSelector.RANGE, parameters: rangeDescriptorToData(r) };
}

export function entryAccess(e: EntryDescriptor): AccessSelection {
  return { selector: AccessSelector.ENTRY, parameters: entryDescriptorToData(e) };
}

/** Interprets the access selection of a buffer GET; selectors other than 1 and 2 are a DECODE_ERROR. */
export function bufferSelectionFrom(a: AccessSelection): BufferSelection {
  if (a.selector === AccessSelector.RANGE) return { kind: 'range', range: rangeDescriptorFromData(a.parameters) };
  if (a.selector === AccessSelector.ENTRY) return { kind: 'entry', entry: entryDescriptorFromData(a.parameters) };
  throw decodeError(`profile generic buffer: access selector ${a.selector} is not supported (1 range, 2 entry)`);
}

// ---------------------------------------------------------------------------------------------------------------
// Applying a selection to a buffer (the meter's side)

export interface SelectedBuffer {
  /** The columns returned, in capture_objects order. */
  columns: CaptureObjectDefinition[];
  /** The selected entries, each with the selected columns only. */
  rows: DlmsData[][];
}

/** Whether a selected value names a column: same object and attribute, and data index 0 (whole) or equal. */
function columnMatches(column: CaptureObjectDefinition, wanted: CaptureObjectDefinition): boolean {
  return (
    column.classId === wanted.classId &&
    column.attributeIndex === wanted.attributeIndex &&
    column.logicalName.equals(wanted.logicalName) &&
    (wanted.dataIndex === 0 || wanted.dataIndex === column.dataIndex)
  );
}

type Comparable = { kind: 'time'; ms: number } | { kind: 'number'; value: bigint } | { kind: 'bytes'; value: Buffer };

function comparable(d: DlmsData): Comparable | null {
  switch (d.type) {
    case 'octet-string':
      if (d.value.length === 12) {
        const t = cosemDateTimeInstant(d.value);
        return t ? { kind: 'time', ms: t.getTime() } : null;
      }
      return { kind: 'bytes', value: d.value };
    case 'date-time': {
      const t = cosemDateTimeInstant(d.value);
      return t ? { kind: 'time', ms: t.getTime() } : null;
    }
    default: {
      const n = integerOf(d);
      return n === undefined ? null : { kind: 'number', value: n };
    }
  }
}

function compare(a: Comparable, b: Comparable): number | null {
  if (a.kind === 'time' && b.kind === 'time') return Math.sign(a.ms - b.ms);
  if (a.kind === 'number' && b.kind === 'number') return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
  if (a.kind === 'bytes' && b.kind === 'bytes') return Buffer.compare(a.value, b.value);
  return null;
}

function selectColumns(columns: readonly CaptureObjectDefinition[], selected: readonly CaptureObjectDefinition[]): number[] {
  if (selected.length === 0) return columns.map((_, i) => i);
  const keep = new Set<number>();
  for (const s of selected) {
    const i = columns.findIndex((c) => columnMatches(c, s));
    if (i < 0) throw dataAccessResultError(DataAccessResult.OBJECT_UNAVAILABLE, `selected value ${captureObjectToString(s)} is not a capture object`);
    keep.add(i);
  }
  return [...keep].sort((a, b) => a - b);
}

function checkRow(row: readonly DlmsData[], width: number, i: number): void {
  if (row.length !== width) throw encodeError(`buffer entry ${i} has ${row.length} values for ${width} capture objects`);
}

/**
 * The entries and columns a range_descriptor selects (the rule this project's meters follow):
 * - the restricting object must be one of the capture objects, in any position (not necessarily the first column);
 *   otherwise the answer is the data-access-result object-unavailable (MeterfabricError DATA_ACCESS_RESULT);
 * - an entry is selected when from ≤ its value ≤ to, both ends inclusive. Date-times compare as instants (their
 *   deviations applied), numbers as numbers, other octet-strings byte-wise; an entry whose value is null-data or
 *   does not name an instant is not selected;
 * - from and to must be comparable with each other (a date-time with a date-time …), else type-unmatched;
 * - from > to, or a range that no entry falls in, selects nothing: an empty array, not an error;
 * - selected_values empty = all columns; otherwise each must name a capture object (data index 0 = the whole
 *   attribute), else object-unavailable; the columns come back in capture_objects order.
 */
export function selectByRange(buffer: readonly (readonly DlmsData[])[], captureObjects: readonly CaptureObjectDefinition[], range: RangeDescriptor): SelectedBuffer {
  const at = captureObjects.findIndex((c) => columnMatches(c, range.restrictingObject));
  if (at < 0) {
    throw dataAccessResultError(DataAccessResult.OBJECT_UNAVAILABLE, `restricting object ${captureObjectToString(range.restrictingObject)} is not a capture object`);
  }
  const from = comparable(range.from);
  const to = comparable(range.to);
  if (!from || !to || compare(from, to) === null) {
    throw dataAccessResultError(DataAccessResult.TYPE_UNMATCHED, `range ${JSON.stringify(dataToJson(range.from))}..${JSON.stringify(dataToJson(range.to))} cannot be compared`);
  }
  const keep = selectColumns(captureObjects, range.selectedValues);
  const rows: DlmsData[][] = [];
  buffer.forEach((row, i) => {
    checkRow(row, captureObjects.length, i);
    const v = comparable(row[at]!);
    if (!v) return;
    const lo = compare(from, v);
    const hi = compare(v, to);
    if (lo === null || hi === null) return;
    if (lo <= 0 && hi <= 0) rows.push(keep.map((k) => row[k]!));
  });
  return { columns: keep.map((k) => captureObjects[k]!), rows };
}

/**
 * The entries and columns an entry_descriptor selects: entries from_entry..to_entry and columns
 * from_selected_value..to_selected_value, 1-based and inclusive, 0 as the upper bound meaning "to the last", a
 * lower bound of 0 read as 1; the ranges are clipped to the buffer. A lower bound above the upper one, or above
 * what the buffer has, selects nothing: an empty array (also when no column is left).
 */
export function selectByEntry(buffer: readonly (readonly DlmsData[])[], captureObjects: readonly CaptureObjectDefinition[], e: EntryDescriptor): SelectedBuffer {
  const width = captureObjects.length;
  const firstCol = Math.max(1, e.fromSelectedValue);
  const lastCol = e.toSelectedValue === 0 ? width : Math.min(width, e.toSelectedValue);
  const firstRow = Math.max(1, e.fromEntry);
  const lastRow = e.toEntry === 0 ? buffer.length : Math.min(buffer.length, e.toEntry);
  const columns = firstCol <= lastCol ? captureObjects.slice(firstCol - 1, lastCol) : [];
  if (columns.length === 0 || firstRow > lastRow) return { columns, rows: [] };
  const rows: DlmsData[][] = [];
  for (let i = firstRow - 1; i < lastRow; i++) {
    const row = buffer[i]!;
    checkRow(row, width, i);
    rows.push(row.slice(firstCol - 1, lastCol));
  }
  return { columns, rows };
}

/** Applies a decoded selection (or none: the whole buffer). */
export function selectBuffer(buffer: readonly (readonly DlmsData[])[], captureObjects: readonly CaptureObjectDefinition[], selection?: BufferSelection): SelectedBuffer {
  if (!selection) {
    buffer.forEach((row, i) => checkRow(row, captureObjects.length, i));
    return { columns: [...captureObjects], rows: buffer.map((r) => [...r]) };
  }
  return selection.kind === 'range' ? selectByRange(buffer, captureObjects, selection.range) : selectByEntry(buffer, captureObjects, selection.entry);
}

/** The buffer attribute value: array of structure (one per entry). */
export function bufferToData(rows: readonly (readonly DlmsData[])[]): DlmsData {
  return Data.array(rows.map((r) => Data.structure([...r])));
}

// ---------------------------------------------------------------------------------------------------------------
// The client's side of column selection (GXF's device flags, docs/dlms.md#selective-access)

/**
 * selected_values for a buffer read as GXF chooses them (GetPeriodicMeterReadsCommandExecutor and
 * GetPowerQualityProfileNoSelectiveAccessHandler in osgp/protocol-adapter-dlms): a device with column selection
 * gets the wanted columns, or none when that is every column; a device without it always gets none (all columns
 * come back and the wanted ones are picked by position with `columnPositions`).
 */
export function selectedValuesFor(p: { captureObjects: readonly CaptureObjectDefinition[]; wanted: readonly CaptureObjectDefinition[]; columnSelection: boolean }): CaptureObjectDefinition[] {
  if (!p.columnSelection) return [];
  const all = p.captureObjects.length > 0 && p.captureObjects.every((c) => p.wanted.some((w) => sameCaptureObject(c, w)));
  return all ? [] : [...p.wanted];
}

/** The columns a meter returns for a range read: the capture objects the selected values name, or all of them. */
export function returnedColumns(captureObjects: readonly CaptureObjectDefinition[], selectedValues: readonly CaptureObjectDefinition[]): CaptureObjectDefinition[] {
  if (selectedValues.length === 0) return [...captureObjects];
  return captureObjects.filter((c) => selectedValues.some((s) => columnMatches(c, s)));
}

/** Position of each wanted column in the returned ones; a wanted column the meter did not return is a DECODE_ERROR. */
export function columnPositions(returned: readonly CaptureObjectDefinition[], wanted: readonly CaptureObjectDefinition[]): number[] {
  return wanted.map((w) => {
    const i = returned.findIndex((c) => columnMatches(c, w));
    if (i < 0) throw decodeError(`profile buffer: column ${captureObjectToString(w)} was not returned`);
    return i;
  });
}
