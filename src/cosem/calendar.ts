/**
 * The tariff calendar objects of DSMR 4.2.2 and SMR 5.x (P3 companion standards, "Activity calendar" and "Special
 * days table"): class 11 at 0-0:11.0.0.255 and class 20 at 0-0:13.0.0.255, and the A-XDR values GXF writes to them
 * (OSGP/open-smart-grid-platform osgp-adapter-protocol-dlms SetSpecialDaysCommandExecutor and
 * SetActivityCalendarCommandExecutor; docs/gxf.md#special-days-and-activity-calendar).
 */
import { type DlmsData, Data } from '../dlms/axdr.ts';
import { Obis } from '../dlms/obis.ts';

export const SPECIAL_DAYS_TABLE_OBIS = Obis.parse('0-0:11.0.0.255');
export const ACTIVITY_CALENDAR_OBIS = Obis.parse('0-0:13.0.0.255');

export interface SpecialDay {
  /** COSEM date, 5 bytes (year high, year low, month, day of month, day of week). */
  date: Buffer;
  dayId: number;
}

/**
 * special_days_table entries (attribute 2): `structure{long-unsigned index, octet-string(5) date, unsigned day_id}`,
 * indexes 0, 1, 2, … in the given order (the Blue Book types specialday_date as an octet-string formatted as date).
 */
export function specialDaysEntries(days: readonly SpecialDay[]): DlmsData {
  return Data.array(days.map((d, i) => Data.structure([Data.longUnsigned(i), Data.octetString(d.date), Data.unsigned(d.dayId)])));
}

/** The tariffication script table GXF's day profiles point at (DSMR/SMR: 0-0:10.0.100.255). */
export const TARIFFICATION_SCRIPT_TABLE_OBIS = Obis.parse('0-0:10.0.100.255');

export interface CalendarDayAction {
  /** COSEM time, 4 bytes. */
  startTime: Buffer;
  scriptSelector: number;
}
export interface CalendarDay {
  dayId: number;
  schedule: CalendarDayAction[];
}
export interface CalendarWeek {
  name: string;
  /** Monday .. Sunday. */
  days: CalendarDay[];
}
export interface CalendarSeason {
  name: string;
  /** COSEM date-time, 12 bytes. */
  start: Buffer;
  week: CalendarWeek;
}
export interface ActivityCalendar {
  calendarName: string;
  /** COSEM date-time, 12 bytes; GXF does not write it (the calendar is activated at once). */
  activatePassiveCalendarTime: Buffer;
  seasons: CalendarSeason[];
}

const sameDay = (a: CalendarDay, b: CalendarDay) =>
  a.dayId === b.dayId && a.schedule.length === b.schedule.length && a.schedule.every((x, i) => x.startTime.equals(b.schedule[i]!.startTime) && x.scriptSelector === b.schedule[i]!.scriptSelector);
const sameWeek = (a: CalendarWeek, b: CalendarWeek) => a.name === b.name && a.days.length === b.days.length && a.days.every((d, i) => sameDay(d, b.days[i]!));

/** The distinct weeks and days, in order of first appearance (season order, Monday first). */
function distinct(cal: ActivityCalendar): { weeks: CalendarWeek[]; days: CalendarDay[] } {
  const weeks: CalendarWeek[] = [];
  const days: CalendarDay[] = [];
  for (const s of cal.seasons) {
    if (!weeks.some((w) => w.name === s.week.name)) weeks.push(s.week);
    for (const d of s.week.days) if (!days.some((x) => x.dayId === d.dayId)) days.push(d);
  }
  return { weeks, days };
}

/**
 * GXF's rules for a calendar (osgp-adapter-protocol-dlms ActivityCalendarValidator), plus the ranges of the A-XDR
 * types the values go into: at most 4 seasons with distinct names; season and week names one digit each; at most 4
 * distinct weeks, weeks of the same name identical; at most 4 distinct day ids, days of the same id identical.
 * Undefined when the calendar is acceptable, else the reason.
 */
export function activityCalendarProblem(cal: ActivityCalendar): string | undefined {
  if (cal.seasons.length < 1 || cal.seasons.length > 4) return `${cal.seasons.length} seasons: 1..4 allowed`;
  const seasonNames = cal.seasons.map((s) => s.name);
  if (new Set(seasonNames).size !== seasonNames.length) return 'season names must be unique';
  for (const s of cal.seasons) {
    if (!/^[0-9]$/.test(s.name)) return `season name ${s.name} must be one digit`;
    if (!/^[0-9]$/.test(s.week.name)) return `week name ${s.week.name} must be one digit`;
    if (s.start.length !== 12) return `season ${s.name} start must be a 12-byte COSEM date-time`;
    if (s.week.days.length !== 7) return `week ${s.week.name} must have 7 days`;
  }
  const allWeeks = cal.seasons.map((s) => s.week);
  const allDays = allWeeks.flatMap((w) => w.days);
  const { weeks, days } = distinct(cal);
  if (weeks.length > 4) return `${weeks.length} distinct weeks: at most 4 allowed`;
  if (!allWeeks.every((w) => sameWeek(w, weeks.find((x) => x.name === w.name)!))) return 'weeks with the same name must be identical';
  if (days.length > 4) return `${days.length} distinct day ids: at most 4 allowed`;
  if (!allDays.every((d) => sameDay(d, days.find((x) => x.dayId === d.dayId)!))) return 'days with the same id must be identical';
  for (const d of days) {
    if (!Number.isInteger(d.dayId) || d.dayId < 0 || d.dayId > 255) return `day id ${d.dayId} is not 0..255`;
    if (d.schedule.length < 1) return `day ${d.dayId} has no action`;
    for (const a of d.schedule) {
      if (a.startTime.length !== 4) return `day ${d.dayId}: a start time must be a 4-byte COSEM time`;
      if (!Number.isInteger(a.scriptSelector) || a.scriptSelector < 0 || a.scriptSelector > 0xffff) return `day ${d.dayId}: script selector ${a.scriptSelector} is not 0..65535`;
    }
  }
  return undefined;
}

/** A one-digit season or week name as GXF codes it: the bytes of the number ("1" → 01). */
const nameBytes = (name: string): Buffer => Buffer.from([Number(name)]);

/** The four passive attributes GXF writes, in its order (6 calendar_name_passive .. 9 day_profile_table_passive). */
export function passiveCalendarValues(cal: ActivityCalendar): { attribute: 'calendar_name_passive' | 'season_profile_passive' | 'week_profile_table_passive' | 'day_profile_table_passive'; value: DlmsData }[] {
  const { weeks, days } = distinct(cal);
  return [
    { attribute: 'calendar_name_passive', value: Data.octetString(Buffer.from(cal.calendarName, 'utf8')) },
    {
      attribute: 'season_profile_passive',
      value: Data.array(cal.seasons.map((s) => Data.structure([Data.octetString(nameBytes(s.name)), Data.octetString(s.start), Data.octetString(nameBytes(s.week.name))]))),
    },
    {
      attribute: 'week_profile_table_passive',
      value: Data.array(weeks.map((w) => Data.structure([Data.octetString(nameBytes(w.name)), ...w.days.map((d) => Data.unsigned(d.dayId))]))),
    },
    {
      attribute: 'day_profile_table_passive',
      value: Data.array(days.map((d) => Data.structure([
        Data.unsigned(d.dayId),
        Data.array(d.schedule.map((a) => Data.structure([Data.octetString(a.startTime), Data.octetString(TARIFFICATION_SCRIPT_TABLE_OBIS.bytes), Data.longUnsigned(a.scriptSelector)]))),
      ]))),
    },
  ];
}
