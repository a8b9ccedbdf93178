/**
 * Profile generic (class 7) buffers on the client side (IEC 62056-6-2 / Blue Book "Profile generic";
 * docs/dlms.md#profile-buffers): the buffer (attribute 2) as rows checked against the capture objects (attribute 3),
 * typed cells, and the timestamps of compressed entries (a clock column of null-data).
 */
import { type DlmsData, integerOf } from './axdr.ts';
import { decodeError } from './bytes.ts';
import { type CosemDateTime, addCalendar, dateTimeFromData } from './date-time.ts';
import { type CaptureObjectDefinition, captureObjectsFromData, sameCaptureObject } from './selective-access.ts';

export { captureObjectsFromData as decodeCaptureObjects } from './selective-access.ts';

/** A cell of a profile entry, typed by its Data and its column. */
export type ProfileCell =
  | { kind: 'null' }
  | { kind: 'date-time'; value: CosemDateTime }
  | { kind: 'integer'; value: bigint }
  | { kind: 'float'; value: number }
  | { kind: 'data'; value: DlmsData };

export interface ProfileEntry {
  /** The Data as the meter sent it, one per column. */
  values: DlmsData[];
  cells: ProfileCell[];
}

/** Columns that hold a date-time: the clock's time (class 8 attribute 2) and a capture time (class 4 attribute 5). */
export function isDateTimeColumn(c: CaptureObjectDefinition): boolean {
  return (c.classId === 8 && c.attributeIndex === 2) || (c.classId === 4 && c.attributeIndex === 5);
}

function cellOf(d: DlmsData, column: CaptureObjectDefinition, what: string): ProfileCell {
  if (isDateTimeColumn(column) && d.type !== 'null-data' && d.type !== 'octet-string' && d.type !== 'date-time') {
    throw decodeError(`${what}: expected a date-time, octet-string(12) or null-data, got ${d.type}`);
  }
  switch (d.type) {
    case 'null-data':
      return { kind: 'null' };
    case 'date-time':
      return { kind: 'date-time', value: dateTimeFromData(d, what)! };
    case 'octet-string':
      if (isDateTimeColumn(column)) return { kind: 'date-time', value: dateTimeFromData(d, what)! };
      return { kind: 'data', value: d };
    case 'float32':
    case 'float64':
      return { kind: 'float', value: d.value };
    default: {
      const n = integerOf(d);
      return n === undefined ? { kind: 'data', value: d } : { kind: 'integer', value: n };
    }
  }
}

/**
 * Decodes a buffer (array, or compact-array, of structures) against its capture objects: every entry must have
 * exactly one value per column (DECODE_ERROR otherwise, naming the entry); a date-time column must hold
 * octet-string(12), date-time or null-data.
 */
export function decodeProfileBuffer(d: DlmsData, columns: readonly CaptureObjectDefinition[]): ProfileEntry[] {
  if (d.type !== 'array' && d.type !== 'compact-array') throw decodeError(`profile buffer: expected an array, got ${d.type}`);
  return d.value.map((row, i) => {
    if (row.type !== 'structure') throw decodeError(`profile buffer entry ${i}: expected a structure, got ${row.type}`);
    if (row.value.length !== columns.length) {
      throw decodeError(`profile buffer entry ${i}: ${row.value.length} values for ${columns.length} capture objects`);
    }
    return { values: row.value, cells: row.value.map((v, j) => cellOf(v, columns[j]!, `profile buffer entry ${i} column ${j + 1}`)) };
  });
}

/** Index of a column in the capture objects (−1 if absent); the clock's time by default. */
export function columnIndex(columns: readonly CaptureObjectDefinition[], wanted: CaptureObjectDefinition): number {
  return columns.findIndex((c) => sameCaptureObject(c, wanted));
}

// ---------------------------------------------------------------------------------------------------------------
// Compressed entries: a null-data timestamp means "the previous entry's timestamp + one capture period".

/** The step between entries: capture_period seconds (attribute 4), or a calendar day / month in a zone. */
export type CaptureStep = { unit: 'seconds'; seconds: number } | { unit: 'day'; zone: string } | { unit: 'month'; zone: string };

/**
 * The step of a profile from its capture_period (attribute 4) as GXF reads it for gas profiles
 * (GetPeriodicMeterReadsGasCommandExecutor in osgp/protocol-adapter-dlms): 3600 → an hour, 86400 → a calendar day,
 * 0 (captured by a trigger, e.g. month end) → a calendar month; any other positive period → that many seconds.
 */
export function captureStep(capturePeriodSeconds: number, zone = 'UTC'): CaptureStep {
  if (!Number.isInteger(capturePeriodSeconds) || capturePeriodSeconds < 0) throw decodeError(`capture period ${capturePeriodSeconds} is not a number of seconds`);
  if (capturePeriodSeconds === 0) return { unit: 'month', zone };
  if (capturePeriodSeconds === 86_400) return { unit: 'day', zone };
  return { unit: 'seconds', seconds: capturePeriodSeconds };
}

export function nextCaptureTime(previous: Date, step: CaptureStep): Date {
  if (step.unit === 'seconds') return new Date(previous.getTime() + step.seconds * 1000);
  return addCalendar(previous, step.zone, step.unit === 'day' ? { days: 1 } : { months: 1 });
}

/**
 * Timestamps of a buffer's entries, GXF's way (AbstractPeriodicMeterReadsCommandExecutor and
 * GetPeriodicMeterReadsCommandExecutor in osgp/protocol-adapter-dlms): an entry with a timestamp keeps it; an entry
 * with null-data (or a date-time naming no instant) gets the previous entry's timestamp + one step; entries before
 * the first real timestamp cannot be placed and get null (GXF drops them with a warning).
 */
export function fillTimestamps(times: readonly (Date | null)[], step: CaptureStep): (Date | null)[] {
  const out: (Date | null)[] = [];
  let previous: Date | null = null;
  for (const t of times) {
    const v: Date | null = t ?? (previous ? nextCaptureTime(previous, step) : null);
    out.push(v);
    if (v) previous = v;
  }
  return out;
}

/** `fillTimestamps` over decoded entries, reading the given date-time column (the clock's time by default). */
export function entryTimestamps(entries: readonly ProfileEntry[], columns: readonly CaptureObjectDefinition[], step: CaptureStep, column: CaptureObjectDefinition): (Date | null)[] {
  const at = columnIndex(columns, column);
  if (at < 0) throw decodeError('profile buffer: the timestamp column is not among the capture objects');
  return fillTimestamps(
    entries.map((e) => {
      const c = e.cells[at]!;
      if (c.kind === 'date-time') return c.value.instant;
      if (c.kind === 'null') return null;
      throw decodeError(`profile buffer: timestamp column holds ${c.kind === 'data' ? c.value.type : c.kind}`);
    }),
    step,
  );
}
