/**
 * SetSpecialDays and SetActivityCalendar end to end: GXF SOAP and REST over real HTTP, a real DLMS association over TCP, against simulated
 * DSMR 4.2.2 and SMR 5.0.0 meters (their special days table and activity calendar: src/simulator/calendar.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addOrganisation } from '../../src/platform/inventory.ts';
import { encodeData, Data } from '../../src/dlms/axdr.ts';
import { restOperation, soapClient, xpathText } from '../support/e2e.ts';
import { withHttpHeadend } from '../support/http-headend.ts';

const ORG = 'grid-operator';
const OTHER = 'other-operator';
const GW5 = 'E0051004000000081';
const GW4 = 'E0051004000000082';

const day = (date: string, dayId: number) => `<conf:SpecialDays><conf:specialDayDate>${date}</conf:specialDayDate><conf:dayId>${dayId}</conf:dayId></conf:SpecialDays>`;
const tableHex = (entries: unknown[] | undefined) => encodeData(Data.array((entries ?? []) as never)).toString('hex');

test('SetSpecialDays through SOAP and REST against simulated DSMR 4.2.2 and SMR 5 meters', async () => {
  await withHttpHeadend(async ({ db, url, gateway, auth: authOf }) => {
    await addOrganisation(db, { identification: ORG });
    await addOrganisation(db, { identification: OTHER });
    const soap = soapClient(url, authOf, ORG);
    const setDays = (device: string, days: string, org = ORG) => soap.call('configurationService', 'conf', 'SetSpecialDays',
      `<conf:DeviceIdentification>${device}</conf:DeviceIdentification><conf:SpecialDaysRequestData>${days}</conf:SpecialDaysRequestData>`, { org });

    const dsmr4 = await gateway(GW4, ORG, { protocol: 'DSMR 4.2.2' });
    const smr5 = await gateway(GW5, ORG, { protocol: 'SMR 5.0.0' });

    for (const [id, meter] of [[GW4, dsmr4], [GW5, smr5]] as const) {
      const r = await setDays(id, day('07EA0C19FF', 1) + day('07EA0C1AFF', 2));
      assert.equal(r.status, 200, r.xml);
      assert.equal(xpathText(r.xml, '//conf:SetSpecialDaysResponse/conf:Result'), 'OK', r.xml);
      // array(2){structure{long-unsigned 0, octet-string 07EA0C19FF, unsigned 1}, structure{1, 07EA0C1AFF, 2}}
      assert.equal(tableHex(meter.state.specialDays), '01020203120000090507ea0c19ff11010203120001090507ea0c1aff1102', id);
    }

    // the whole table is replaced: one day remains, with index 0
    const again = await setDays(GW5, day('FFFF0101FF', 3));
    assert.equal(xpathText(again.xml, '//conf:SetSpecialDaysResponse/conf:Result'), 'OK', again.xml);
    assert.equal(tableHex(smr5.state.specialDays), '010102031200000905ffff0101ff1103');

    // a day id that does not fit the entry's unsigned is refused before anything is queued
    const big = await soap.post('configurationService', `<conf:SetSpecialDaysRequest><conf:DeviceIdentification>${GW5}</conf:DeviceIdentification><conf:SpecialDaysRequestData>${day('07EA0C19FF', 256)}</conf:SpecialDaysRequestData></conf:SetSpecialDaysRequest>`);
    assert.equal(big.status, 500, big.xml);
    assert.equal(xpathText(big.xml, '//c:FunctionalFault/c:Code'), '401', big.xml);

    // REST, and another organisation refused on both interfaces
    const auth = await authOf(ORG);
    const rest = await restOperation(url, `/devices/${GW4}/special-days`, ORG, { specialDays: [{ specialDayDate: '07ea0101ff', dayId: 4 }] }, auth);
    assert.equal(rest.result, 'OK', JSON.stringify(rest.body));
    assert.equal(tableHex(dsmr4.state.specialDays), '01010203120000090507ea0101ff1104');
    const foreign = await restOperation(url, `/devices/${GW4}/special-days`, OTHER, { specialDays: [{ specialDayDate: '07ea0101ff', dayId: 5 }] }, await authOf(OTHER));
    assert.equal(foreign.status, 403, JSON.stringify(foreign.body));
    const foreignSoap = await setDays(GW4, day('07EA0101FF', 5), OTHER);
    assert.equal(xpathText(foreignSoap.xml, '//c:FunctionalFault/c:Code'), '301', foreignSoap.xml);
    assert.equal(tableHex(dsmr4.state.specialDays), '01010203120000090507ea0101ff1104', 'unchanged by the refused requests');
  });
});

const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const action = (time: string, selector: number) => `<conf:DayProfileAction><conf:StartTime>${time}</conf:StartTime><conf:ScriptSelector>${selector}</conf:ScriptSelector></conf:DayProfileAction>`;
const WORKDAY = `<conf:DayId>1</conf:DayId><conf:DaySchedule>${action('06000000', 2)}${action('16000000', 1)}</conf:DaySchedule>`;
const WEEKEND = `<conf:DayId>2</conf:DayId><conf:DaySchedule>${action('00000000', 1)}</conf:DaySchedule>`;
const week = (name: string, days: string[]) => `<conf:WeekProfile><conf:WeekProfileName>${name}</conf:WeekProfileName>${DAYS.map((d, i) => `<conf:${d}>${days[i]}</conf:${d}>`).join('')}</conf:WeekProfile>`;
const season = (name: string, start: string, w: string) => `<conf:Season><conf:SeasonProfileName>${name}</conf:SeasonProfileName><conf:SeasonStart>${start}</conf:SeasonStart>${w}</conf:Season>`;
const calendarXml = (seasons: string) => `<conf:ActivityCalendarData><conf:ActivityCalendar><conf:CalendarName>Cal1</conf:CalendarName>` +
  `<conf:ActivatePassiveCalendarTime>07EA0C1F0317000000FFC400</conf:ActivatePassiveCalendarTime><conf:SeasonProfile>${seasons}</conf:SeasonProfile></conf:ActivityCalendar></conf:ActivityCalendarData>`;
const TWO_SEASONS = season('1', 'FFFF0101FF000000FF8000FF', week('1', [WORKDAY, WORKDAY, WORKDAY, WORKDAY, WORKDAY, WEEKEND, WEEKEND])) +
  season('2', 'FFFF0701FF000000FF8000FF', week('2', Array(7).fill(WEEKEND)));

/** The A-XDR of the tables the meter holds (the same bytes test/cosem/calendar.test.ts spells out). */
const SEASONS_HEX = '0102' + '0203' + '090101' + '090cffff0101ff000000ff8000ff' + '090101' + '0203' + '090102' + '090cffff0701ff000000ff8000ff' + '090102';
const WEEKS_HEX = '0102' + '0208' + '090101' + '1101'.repeat(5) + '1102'.repeat(2) + '0208' + '090102' + '1102'.repeat(7);
const act = (time: string, selector: string) => '0203' + '0904' + time + '0906' + '00000a0064ff' + '12' + selector;
const DAYS_HEX = '0102' + '0202' + '1101' + '0102' + act('06000000', '0002') + act('16000000', '0001') + '0202' + '1102' + '0101' + act('00000000', '0001');

test('SetActivityCalendar through SOAP and REST against simulated DSMR 4.2.2 and SMR 5 meters', async () => {
  await withHttpHeadend(async ({ db, url, gateway, auth: authOf }) => {
    await addOrganisation(db, { identification: ORG });
    await addOrganisation(db, { identification: OTHER });
    const soap = soapClient(url, authOf, ORG);
    const setCalendar = (device: string, seasons: string, org = ORG) => soap.call('configurationService', 'conf', 'SetActivityCalendar',
      `<conf:DeviceIdentification>${device}</conf:DeviceIdentification>${calendarXml(seasons)}`, { org });
    const tables = (t: { seasons: unknown[]; weeks: unknown[]; days: unknown[] }) => [tableHex(t.seasons), tableHex(t.weeks), tableHex(t.days)];

    const dsmr4 = await gateway(GW4, ORG, { protocol: 'DSMR 4.2.2' });
    const smr5 = await gateway(GW5, ORG, { protocol: 'SMR 5.0.0' });

    for (const [id, meter] of [[GW4, dsmr4], [GW5, smr5]] as const) {
      const r = await setCalendar(id, TWO_SEASONS);
      assert.equal(r.status, 200, r.xml);
      assert.equal(xpathText(r.xml, '//conf:SetActivityCalendarResponse/conf:Result'), 'OK', r.xml);
      const cal = meter.state.activityCalendar!;
      assert.deepEqual(tables(cal.passive), [SEASONS_HEX, WEEKS_HEX, DAYS_HEX], `${id} passive`);
      // activated at once: the active side is the written calendar
      assert.equal(cal.active.name.toString('utf8'), 'Cal1');
      assert.deepEqual(tables(cal.active), [SEASONS_HEX, WEEKS_HEX, DAYS_HEX], `${id} active`);
      // as GXF: activate_passive_calendar_time is not written
      assert.equal(cal.activateTime.toString('hex'), 'ffffffffffffffffff8000ff');
    }

    // GXF's checks refuse a calendar before anything is queued: season names must be one digit
    const bad = await soap.post('configurationService', `<conf:SetActivityCalendarRequest><conf:DeviceIdentification>${GW5}</conf:DeviceIdentification>${calendarXml(season('A', 'FFFF0101FF000000FF8000FF', week('1', Array(7).fill(WEEKEND))))}</conf:SetActivityCalendarRequest>`);
    assert.equal(bad.status, 500, bad.xml);
    assert.equal(xpathText(bad.xml, '//c:FunctionalFault/c:Code'), '401', bad.xml);

    // REST: one season, all days 2; another organisation is refused
    const auth = await authOf(ORG);
    const allWeekend = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, { dayId: 2, daySchedule: [{ startTime: '00000000', scriptSelector: 1 }] }]));
    const body = { calendarName: 'Rest', activatePassiveCalendarTime: 'FFFFFFFFFFFFFFFFFF8000FF', seasons: [{ seasonProfileName: '3', seasonStart: 'FFFF0101FF000000FF8000FF', weekProfile: { weekProfileName: '4', ...allWeekend } }] };
    const rest = await restOperation(url, `/devices/${GW4}/activity-calendar`, ORG, body, auth);
    assert.equal(rest.result, 'OK', JSON.stringify(rest.body));
    assert.equal(dsmr4.state.activityCalendar!.active.name.toString('utf8'), 'Rest');
    assert.equal(tableHex(dsmr4.state.activityCalendar!.active.weeks), '0101' + '0208' + '090104' + '1102'.repeat(7));
    const invalid = await restOperation(url, `/devices/${GW4}/activity-calendar`, ORG, { ...body, seasons: [{ ...body.seasons[0], seasonProfileName: '33' }] }, auth);
    assert.equal(invalid.status, 400, JSON.stringify(invalid.body));
    const foreign = await restOperation(url, `/devices/${GW4}/activity-calendar`, OTHER, body, await authOf(OTHER));
    assert.equal(foreign.status, 403, JSON.stringify(foreign.body));
    const foreignSoap = await setCalendar(GW5, TWO_SEASONS, OTHER);
    assert.equal(xpathText(foreignSoap.xml, '//c:FunctionalFault/c:Code'), '301', foreignSoap.xml);
  });
});
