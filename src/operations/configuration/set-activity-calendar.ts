/**
 * SetActivityCalendar: writes the passive side of the activity calendar (class 20, 0-0:13.0.0.255) and activates
 * it, as GXF does (OSGP/open-smart-grid-platform, osgp-adapter-protocol-dlms SetActivityCalendarCommandExecutor,
 * SetActivityCalendarCommandActivationExecutor and ActivityCalendarValidator;
 * docs/gxf.md#special-days-and-activity-calendar): after GXF's checks (src/cosem/calendar.ts
 * activityCalendarProblem, refused with 401 before anything is queued), one SET each of calendar_name_passive,
 * season_profile_passive, week_profile_table_passive and day_profile_table_passive, stopping at the first one the
 * meter refuses; then ACTION activate_passive_calendar with integer(0), so the calendar is active at once.
 * ActivatePassiveCalendarTime is read but, as in GXF, not written to the meter.
 */
import { z } from 'zod';
import type { XmlElement } from 'libxml2-wasm';
import { withLink } from '../../adapters/mbus-keys.ts';
import { ActivityCalendarClass, attributeOf } from '../../cosem/index.ts';
import { ACTIVITY_CALENDAR_OBIS, activityCalendarProblem, passiveCalendarValues, type ActivityCalendar, type CalendarDay } from '../../cosem/calendar.ts';
import { Data } from '../../dlms/axdr.ts';
import { actionResultName, dataAccessResultName } from '../../dlms/apdu/common.ts';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { resultWithDescription, sub, text, validation } from '../../api/soap/mapping.ts';
import { childElements } from '../../api/soap/xml.ts';
import { gatewayParams, pathDevice, requestOptions } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';

const hexOf = (bytes: number, what: string) => z.string().regex(new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`), `${what}: ${bytes} bytes as ${bytes * 2} hex digits`).transform((s) => s.toUpperCase());
const name = z.string().min(1).max(8);
const day = z.object({
  dayId: z.number().int().min(0).max(255),
  daySchedule: z.array(z.object({ startTime: hexOf(4, 'COSEM time'), scriptSelector: z.number().int().min(0).max(0xffff) }).strict()).min(1),
}).strict();
const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
const week = z.object({ weekProfileName: name, ...Object.fromEntries(DAYS.map((d) => [d, day])) as Record<(typeof DAYS)[number], typeof day> }).strict();
const calendar = z.object({
  calendarName: name,
  activatePassiveCalendarTime: hexOf(12, 'COSEM date-time'),
  seasons: z.array(z.object({ seasonProfileName: name, seasonStart: hexOf(12, 'COSEM date-time'), weekProfile: week }).strict()).min(1).max(4),
}).strict();
type Calendar = z.infer<typeof calendar>;

/** The request as src/cosem/calendar.ts takes it. */
function toCalendar(c: Calendar): ActivityCalendar {
  const toDay = (d: z.infer<typeof day>): CalendarDay => ({ dayId: d.dayId, schedule: d.daySchedule.map((a) => ({ startTime: Buffer.from(a.startTime, 'hex'), scriptSelector: a.scriptSelector })) });
  return {
    calendarName: c.calendarName,
    activatePassiveCalendarTime: Buffer.from(c.activatePassiveCalendarTime, 'hex'),
    seasons: c.seasons.map((s) => ({
      name: s.seasonProfileName,
      start: Buffer.from(s.seasonStart, 'hex'),
      week: { name: s.weekProfile.weekProfileName, days: DAYS.map((d) => toDay(s.weekProfile[d])) },
    })),
  };
}

const problemOf = (c: Calendar): string | undefined => activityCalendarProblem(toCalendar(c));

const elements = (parent: XmlElement, n: string) => childElements(parent).filter((e) => e.name === n);
const integer = (e: XmlElement, n: string): number => {
  const v = text(e, n).trim();
  const x = Number(v);
  if (!Number.isSafeInteger(x)) throw validation(`${n} ${v} is out of range`);
  return x;
};

function readDay(e: XmlElement): z.infer<typeof day> {
  return {
    dayId: integer(e, 'DayId'),
    daySchedule: elements(sub(e, 'DaySchedule'), 'DayProfileAction').map((a) => ({ startTime: text(a, 'StartTime').trim().toUpperCase(), scriptSelector: integer(a, 'ScriptSelector') })),
  };
}

const DAY_ELEMENTS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;

export default define({
  messageType: 'SET_ACTIVITY_CALENDAR',
  service: 'SmartMeteringConfiguration',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'SetActivityCalendarRequest',
  payload: calendar,
  soap: {
    request: 'SetActivityCalendarRequest',
    asyncResponse: 'SetActivityCalendarAsyncResponse',
    asyncRequest: 'SetActivityCalendarAsyncRequest',
    response: 'SetActivityCalendarResponse',
    wsdlOperations: ['SetActivityCalendar', 'GetSetActivityCalendarResponse'],
    family: 'strict',
    read: (r) => {
      const c = sub(sub(r, 'ActivityCalendarData'), 'ActivityCalendar');
      const payload = {
        calendarName: text(c, 'CalendarName'),
        activatePassiveCalendarTime: text(c, 'ActivatePassiveCalendarTime').trim().toUpperCase(),
        seasons: elements(sub(c, 'SeasonProfile'), 'Season').map((s) => {
          const w = sub(s, 'WeekProfile');
          return {
            seasonProfileName: text(s, 'SeasonProfileName'),
            seasonStart: text(s, 'SeasonStart').trim().toUpperCase(),
            weekProfile: { weekProfileName: text(w, 'WeekProfileName'), ...Object.fromEntries(DAYS.map((d, i) => [d, readDay(sub(w, DAY_ELEMENTS[i]!))])) } as Calendar['seasons'][number]['weekProfile'],
          };
        }),
      };
      const parsed = calendar.safeParse(payload);
      if (!parsed.success) throw validation(`ActivityCalendar: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      const problem = problemOf(parsed.data);
      if (problem) throw validation(`ActivityCalendar: ${problem}`);
      return { deviceIdentification: text(r, 'DeviceIdentification'), payload: parsed.data };
    },
    render: resultWithDescription,
  },
  rest: {
    url: '/devices/:deviceIdentification/activity-calendar',
    operationId: 'setActivityCalendar',
    summary: "Write the meter's passive activity calendar (seasons, weeks, day profiles) and activate it (SetActivityCalendar)",
    tag: 'devices',
    params: gatewayParams,
    body: calendar.extend(requestOptions).superRefine((c, ctx) => {
      const problem = problemOf(c as Calendar);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }) as unknown as z.ZodObject,
    toRequest: (params, body) => {
      const { calendarName, activatePassiveCalendarTime, seasons } = body as Calendar;
      return { deviceIdentification: pathDevice(params), payload: { calendarName, activatePassiveCalendarTime, seasons } };
    },
  },
  async execute(ports, p, ctx): Promise<undefined> {
    const problem = problemOf(p);
    if (problem) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `ActivityCalendar: ${problem}`, { retryable: false });
    const device = await ports.inventory.getGateway(ctx.deviceIdentification);
    await withLink(ports, device.deviceIdentification, ctx.signal, async (link) => {
      for (const { attribute, value } of passiveCalendarValues(toCalendar(p))) {
        const ref = { classId: ActivityCalendarClass.classId, obis: ACTIVITY_CALENDAR_OBIS, attributeId: attributeOf(ActivityCalendarClass, attribute).id };
        const result = await link.setAttribute(ref, value);
        if (result !== 0) throw new MeterfabricError(ErrorCode.DATA_ACCESS_RESULT, `Setting ${attribute} of the activity calendar failed: ${dataAccessResultName(result)}`, { retryable: false });
      }
      const method = ActivityCalendarClass.methods.find((m) => m.name === 'activate_passive_calendar')!;
      const result = await link.action({ classId: ActivityCalendarClass.classId, obis: ACTIVITY_CALENDAR_OBIS, methodId: method.id }, Data.integer(0));
      if (result !== 0) throw new MeterfabricError(ErrorCode.ACTION_RESULT, `Activating the activity calendar failed: ${actionResultName(result)}`, { retryable: false });
    });
    return undefined;
  },
});
