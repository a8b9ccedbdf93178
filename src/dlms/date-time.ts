/**
 * COSEM date-time with deviation and clock status (IEC 62056-6-2, date and time formats; docs/dlms.md#date-time):
 * the 12 bytes ↔ an instant, the clock status bits, and the encoding a head-end uses for an instant in an IANA
 * zone. The field codec itself (`decodeCosemDateTime` / `encodeCosemDateTime`) lives in `axdr.ts`; this module
 * interprets the fields. Pure: the zone rules come from the runtime's Intl data, no clock is read.
 */
import { type CosemDateTimeFields, DEVIATION_UNSPECIFIED, type DlmsData, Data, decodeCosemDateTime, encodeCosemDateTime } from './axdr.ts';
import { decodeError, encodeError } from './bytes.ts';

/** Clock status bits (IEC 62056-6-2): bit 0 invalid value … bit 7 daylight saving active; 0xFF = not specified. */
export const ClockStatusBit = {
  INVALID_VALUE: 0x01,
  DOUBTFUL_VALUE: 0x02,
  DIFFERENT_CLOCK_BASE: 0x04,
  INVALID_CLOCK_STATUS: 0x08,
  DAYLIGHT_SAVING_ACTIVE: 0x80,
} as const;

export const CLOCK_STATUS_UNSPECIFIED = 0xff;

export interface ClockStatus {
  invalidValue: boolean;
  doubtfulValue: boolean;
  differentClockBase: boolean;
  invalidClockStatus: boolean;
  daylightSavingActive: boolean;
  /** Bits 4..6, reserved: kept so nothing a meter sends is lost. */
  reserved: number;
}

/** The status byte as flags; `null` for 0xFF (not specified). */
export function decodeClockStatus(byte: number): ClockStatus | null {
  if (byte === CLOCK_STATUS_UNSPECIFIED) return null;
  return {
    invalidValue: (byte & ClockStatusBit.INVALID_VALUE) !== 0,
    doubtfulValue: (byte & ClockStatusBit.DOUBTFUL_VALUE) !== 0,
    differentClockBase: (byte & ClockStatusBit.DIFFERENT_CLOCK_BASE) !== 0,
    invalidClockStatus: (byte & ClockStatusBit.INVALID_CLOCK_STATUS) !== 0,
    daylightSavingActive: (byte & ClockStatusBit.DAYLIGHT_SAVING_ACTIVE) !== 0,
    reserved: byte & 0x70,
  };
}

export function encodeClockStatus(s: ClockStatus): number {
  return (
    (s.invalidValue ? ClockStatusBit.INVALID_VALUE : 0) |
    (s.doubtfulValue ? ClockStatusBit.DOUBTFUL_VALUE : 0) |
    (s.differentClockBase ? ClockStatusBit.DIFFERENT_CLOCK_BASE : 0) |
    (s.invalidClockStatus ? ClockStatusBit.INVALID_CLOCK_STATUS : 0) |
    (s.daylightSavingActive ? ClockStatusBit.DAYLIGHT_SAVING_ACTIVE : 0) |
    (s.reserved & 0x70)
  );
}

/** A decoded date-time: the raw fields, the instant they name (or null), deviation and status (or null). */
export interface CosemDateTime {
  fields: CosemDateTimeFields;
  /** Local fields at UTC offset −deviation; null when any date/time field or the deviation is not specified. */
  instant: Date | null;
  /** Minutes, DLMS sign (local = UTC − deviation); null for 0x8000. */
  deviation: number | null;
  clockStatus: ClockStatus | null;
}

/**
 * The instant of 12 date-time bytes, or null when they do not name one: year 0xFFFF, month/day/hour/minute/second
 * 0xFF (or out of range, including the 0xFD/0xFE daylight-saving month markers), a day that the month does not
 * have, or deviation 0x8000. Hundredths 0xFF count as 0. This is the rule GXF applies when it turns a meter's
 * date-time into a timestamp (osgp/shared/osgp-dto/.../smartmetering/CosemDateTimeDto.java, asDateTime).
 */
export function cosemDateTimeInstant(bytes: Buffer): Date | null {
  return instantOf(decodeCosemDateTime(bytes));
}

function instantOf(f: CosemDateTimeFields): Date | null {
  if (f.deviation === DEVIATION_UNSPECIFIED) return null;
  if (f.year === 0xffff || f.month < 1 || f.month > 12 || f.day < 1 || f.day > 31) return null;
  if (f.hour > 23 || f.minute > 59 || f.second > 59) return null;
  const hundredths = f.hundredths === 0xff ? 0 : f.hundredths;
  if (hundredths > 99) return null;
  const localMs = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second, hundredths * 10);
  const check = new Date(localMs);
  // Date.UTC rolls 31 February over into March, and maps years 0..99 to 1900..1999: neither is the meter's date.
  if (check.getUTCDate() !== f.day || check.getUTCFullYear() !== f.year) return null;
  return new Date(localMs + f.deviation * 60_000);
}

/** Decodes the 12 bytes (DECODE_ERROR if not 12) into fields, instant, deviation and clock status. */
export function decodeDateTime(bytes: Buffer): CosemDateTime {
  const fields = decodeCosemDateTime(bytes);
  return {
    fields,
    instant: instantOf(fields),
    deviation: fields.deviation === DEVIATION_UNSPECIFIED ? null : fields.deviation,
    clockStatus: decodeClockStatus(fields.clockStatus),
  };
}

/**
 * A date-time carried as Data: octet-string(12) (what DSMR/SMR meters and GXF send) or the date-time type (tag
 * 0x19). null-data → null (a compressed profile entry, see docs/dlms.md#profile-buffers); anything else is a
 * DECODE_ERROR naming `what`.
 */
export function dateTimeFromData(d: DlmsData, what = 'date-time'): CosemDateTime | null {
  if (d.type === 'null-data') return null;
  if ((d.type === 'octet-string' || d.type === 'date-time') && d.value.length === 12) return decodeDateTime(d.value);
  if (d.type === 'octet-string') throw decodeError(`${what}: expected an octet-string of 12 bytes, got ${d.value.length}`);
  throw decodeError(`${what}: expected a date-time or octet-string(12), got ${d.type}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Time zones (IANA ids through Intl; no tables of our own).

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        era: 'short',
      });
    } catch {
      throw encodeError(`unknown time zone ${JSON.stringify(zone.slice(0, 64))}`);
    }
    formatters.set(zone, f);
  }
  return f;
}

/** Wall-clock fields of an instant in a zone. */
export interface ZonedFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  /** UTC offset in minutes (CET +60, CEST +120). */
  offsetMinutes: number;
}

export function zonedFields(instant: Date, zone: string): ZonedFields {
  const ms = instant.getTime();
  if (Number.isNaN(ms)) throw encodeError('invalid Date');
  const offsetMinutes = offsetAt(ms, zone);
  const local = new Date(ms + offsetMinutes * 60_000);
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
    millisecond: local.getUTCMilliseconds(),
    offsetMinutes,
  };
}

/**
 * Offsets by zone and quarter hour: every zone's offsets are whole quarter hours and its changes fall on quarter
 * hours of UTC, so one Intl lookup serves a whole quarter (a profile of 96 entries costs at most 96 lookups, a
 * fleet of meters in one zone shares them). Bounded; cleared when full.
 */
const offsets = new Map<string, number>();
const QUARTER_HOUR_MS = 900_000;

function offsetAt(ms: number, zone: string): number {
  const k = `${zone}|${Math.floor(ms / QUARTER_HOUR_MS)}`;
  let v = offsets.get(k);
  if (v === undefined) {
    v = intlOffset(ms, zone);
    if (offsets.size >= 65_536) offsets.clear();
    offsets.set(k, v);
  }
  return v;
}

function intlOffset(ms: number, zone: string): number {
  const parts: Record<string, string> = {};
  for (const p of formatterFor(zone).formatToParts(new Date(ms))) parts[p.type] = p.value;
  let year = Number(parts.year);
  if (parts.era === 'BC' || parts.era === 'B') year = 1 - year;
  const wall = new Date(Date.UTC(2000, Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second)));
  wall.setUTCFullYear(year);
  const whole = Math.floor(ms / 1000) * 1000;
  return Math.round((wall.getTime() - whole) / 60_000);
}

/** UTC offset of the zone at an instant, in minutes. */
export function zoneOffsetMinutes(instant: Date, zone: string): number {
  return zonedFields(instant, zone).offsetMinutes;
}

/**
 * Whether daylight saving time is in force: the offset differs from the zone's standard offset, taken as the
 * smaller of its offsets on 1 January and 1 July of that year (so zones south of the equator work too, and a zone
 * without DST never reports it).
 */
export function isDaylightSaving(instant: Date, zone: string): boolean {
  const f = zonedFields(instant, zone);
  return f.offsetMinutes !== standardOffset(zone, f.year);
}

/** Standard offsets by zone and year; a few entries per zone in practice, bounded anyway. */
const standardOffsets = new Map<string, number>();

function standardOffset(zone: string, year: number): number {
  const k = `${zone}|${year}`;
  let v = standardOffsets.get(k);
  if (v === undefined) {
    const jan = zoneOffsetMinutes(new Date(Date.UTC(year, 0, 1)), zone);
    const jul = zoneOffsetMinutes(new Date(Date.UTC(year, 6, 1)), zone);
    v = Math.min(jan, jul);
    if (standardOffsets.size >= 4096) standardOffsets.clear();
    standardOffsets.set(k, v);
  }
  return v;
}

/**
 * The 12 bytes a head-end sends for an instant in a zone, as GXF encodes them
 * (osgp/protocol-adapter-dlms/.../domain/commands/utils/DlmsHelper.java, asDataObject): the zone's wall-clock
 * fields, hundredths = milliseconds / 10 (truncated), day of week 0xFF (not specified), deviation = −(UTC offset in
 * minutes), clock status 0x80 when daylight saving is in force and 0x00 otherwise. Europe/Amsterdam in winter:
 * deviation −60, status 00; in summer: −120, 80.
 */
export function encodeZonedDateTime(instant: Date, zone = 'UTC'): Buffer {
  const f = zonedFields(instant, zone);
  const dst = f.offsetMinutes !== standardOffset(zone, f.year);
  if (f.year < 0 || f.year > 0xfffe) throw encodeError(`year ${f.year} cannot be a COSEM date-time`);
  return encodeCosemDateTime({
    year: f.year,
    month: f.month,
    day: f.day,
    dayOfWeek: 0xff,
    hour: f.hour,
    minute: f.minute,
    second: f.second,
    hundredths: Math.floor(f.millisecond / 10),
    deviation: -f.offsetMinutes,
    clockStatus: dst ? ClockStatusBit.DAYLIGHT_SAVING_ACTIVE : 0,
  });
}

/** `encodeZonedDateTime` as Data: an octet-string(12), the form DSMR/SMR meters expect. */
export function zonedDateTimeData(instant: Date, zone = 'UTC'): DlmsData {
  return Data.octetString(encodeZonedDateTime(instant, zone));
}

/**
 * Calendar arithmetic in a zone: the instant `months` months and `days` days later on the zone's wall clock, same
 * time of day (a day across a DST change is 23 or 25 hours; 31 January + 1 month is the last day of February).
 * Used for the daily and monthly steps of compressed profile buffers.
 */
export function addCalendar(instant: Date, zone: string, step: { months?: number; days?: number }): Date {
  const f = zonedFields(instant, zone);
  const months = step.months ?? 0;
  const days = step.days ?? 0;
  const totalMonths = f.year * 12 + (f.month - 1) + months;
  const year = Math.floor(totalMonths / 12);
  const month = totalMonths - year * 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const wall = Date.UTC(year, month, Math.min(f.day, lastDay) + days, f.hour, f.minute, f.second, f.millisecond);
  // Wall time → instant: try the offset before the step, then the one the result has (DST changes in between).
  let guess = wall - f.offsetMinutes * 60_000;
  for (let i = 0; i < 2; i++) {
    const off = zoneOffsetMinutes(new Date(guess), zone);
    const next = wall - off * 60_000;
    if (next === guess) break;
    guess = next;
  }
  return new Date(guess);
}
