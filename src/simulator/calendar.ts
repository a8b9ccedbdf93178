/**
 * The simulated meter's special days table (class 11, 0-0:11.0.0.255) and activity calendar (class 20,
 * 0-0:13.0.0.255), src/cosem/calendar.ts. The special days table starts empty and holds what attribute 2 was set to
 * (an entry must be structure{long-unsigned, octet-string(5) or date, unsigned}, else type-unmatched); insert replaces
 * an entry with the same index, delete removes one.
 */
import type { DlmsData } from '../dlms/axdr.ts';
import { ActionResult, DataAccessResult } from '../dlms/apdu/common.ts';
import type { MeterState } from './meter.ts';

function isSpecialDayEntry(e: DlmsData): boolean {
  if (e.type !== 'structure' || e.value.length !== 3) return false;
  const [index, date, dayId] = e.value as [DlmsData, DlmsData, DlmsData];
  return index.type === 'long-unsigned' && (date.type === 'octet-string' || date.type === 'date') && (date.value as Buffer).length === 5 && dayId.type === 'unsigned';
}

const indexOf = (e: DlmsData): number => ((e as { value: DlmsData[] }).value[0] as { value: number }).value;

export function readSpecialDays(m: MeterState): DlmsData[] {
  return m.specialDays ?? [];
}

export function writeSpecialDays(m: MeterState, entries: DlmsData[]): number {
  if (!entries.every(isSpecialDayEntry)) return DataAccessResult.TYPE_UNMATCHED;
  m.specialDays = [...entries];
  return DataAccessResult.SUCCESS;
}

export function insertSpecialDay(m: MeterState, entry: DlmsData): number {
  if (!isSpecialDayEntry(entry)) return ActionResult.TYPE_UNMATCHED;
  m.specialDays = [...readSpecialDays(m).filter((e) => indexOf(e) !== indexOf(entry)), entry].sort((a, b) => indexOf(a) - indexOf(b));
  return ActionResult.SUCCESS;
}

export function deleteSpecialDay(m: MeterState, index: number): number {
  m.specialDays = readSpecialDays(m).filter((e) => indexOf(e) !== index);
  return ActionResult.SUCCESS;
}

/** One side (active or passive) of the activity calendar: name and the season, week and day profile tables. */
export interface CalendarTables {
  name: Buffer;
  seasons: DlmsData[];
  weeks: DlmsData[];
  days: DlmsData[];
}

/**
 * The activity calendar (class 20): both sides start with an empty name and empty tables, and
 * activate_passive_calendar_time undefined (all FF, deviation 8000, status FF); a write of a passive table must have
 * the Blue Book's entry shapes, else type-unmatched; activate_passive_calendar(integer) copies the passive side to
 * the active side. A set activate_passive_calendar_time is only kept (the simulator does not run it).
 */
export interface CalendarState {
  active: CalendarTables;
  passive: CalendarTables;
  activateTime: Buffer;
}

const emptyTables = (): CalendarTables => ({ name: Buffer.alloc(0), seasons: [], weeks: [], days: [] });

export function calendarOf(m: MeterState): CalendarState {
  m.activityCalendar ??= { active: emptyTables(), passive: emptyTables(), activateTime: Buffer.from('FFFFFFFFFFFFFFFFFF8000FF', 'hex') };
  return m.activityCalendar;
}

const octets = (d: DlmsData | undefined, length?: number): boolean => d?.type === 'octet-string' && (length === undefined || d.value.length === length);
const fields = (d: DlmsData, n: number): DlmsData[] | undefined => (d.type === 'structure' && d.value.length === n ? d.value : undefined);

export function isSeason(d: DlmsData): boolean {
  const f = fields(d, 3);
  return !!f && octets(f[0]) && octets(f[1], 12) && octets(f[2]);
}

export function isWeek(d: DlmsData): boolean {
  const f = fields(d, 8);
  return !!f && octets(f[0]) && f.slice(1).every((x) => x.type === 'unsigned');
}

export function isDay(d: DlmsData): boolean {
  const f = fields(d, 2);
  if (!f || f[0]!.type !== 'unsigned' || f[1]!.type !== 'array') return false;
  return f[1]!.value.every((a) => {
    const x = fields(a, 3);
    return !!x && octets(x[0], 4) && octets(x[1], 6) && x[2]!.type === 'long-unsigned';
  });
}

/** SET of a passive table: every entry must have the table's shape. */
export function writePassiveTable(m: MeterState, table: 'seasons' | 'weeks' | 'days', entries: DlmsData[]): number {
  const ok = table === 'seasons' ? isSeason : table === 'weeks' ? isWeek : isDay;
  if (!entries.every(ok)) return DataAccessResult.TYPE_UNMATCHED;
  calendarOf(m).passive[table] = [...entries];
  return DataAccessResult.SUCCESS;
}

export function activatePassiveCalendar(m: MeterState): number {
  const c = calendarOf(m);
  c.active = { name: Buffer.from(c.passive.name), seasons: [...c.passive.seasons], weeks: [...c.passive.weeks], days: [...c.passive.days] };
  return ActionResult.SUCCESS;
}
