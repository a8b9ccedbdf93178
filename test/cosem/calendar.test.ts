/** The special days table and activity calendar values (src/cosem/calendar.ts) with literal A-XDR bytes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeData } from '../../src/dlms/axdr.ts';
import { activityCalendarProblem, passiveCalendarValues, specialDaysEntries, type ActivityCalendar, type CalendarDay } from '../../src/cosem/calendar.ts';

test('special days entries: structure{long-unsigned index, octet-string(5) date, unsigned day_id}, indexes in request order', () => {
  const v = specialDaysEntries([
    { date: Buffer.from('07EA0C19FF', 'hex'), dayId: 1 },
    { date: Buffer.from('FFFF0101FF', 'hex'), dayId: 2 },
  ]);
  assert.equal(encodeData(v).toString('hex'), '0102' + '0203' + '120000' + '0905' + '07ea0c19ff' + '1101' + '0203' + '120001' + '0905' + 'ffff0101ff' + '1102');
});

const WORKDAY: CalendarDay = { dayId: 1, schedule: [{ startTime: Buffer.from('06000000', 'hex'), scriptSelector: 2 }, { startTime: Buffer.from('16000000', 'hex'), scriptSelector: 1 }] };
const WEEKEND: CalendarDay = { dayId: 2, schedule: [{ startTime: Buffer.from('00000000', 'hex'), scriptSelector: 1 }] };
const S1 = Buffer.from('FFFF0101FF000000FF8000FF', 'hex');
const S2 = Buffer.from('FFFF0701FF000000FF8000FF', 'hex');

function twoSeasonCalendar(): ActivityCalendar {
  return {
    calendarName: 'Cal1',
    activatePassiveCalendarTime: Buffer.from('FFFFFFFFFFFFFFFFFF8000FF', 'hex'),
    seasons: [
      { name: '1', start: S1, week: { name: '1', days: [WORKDAY, WORKDAY, WORKDAY, WORKDAY, WORKDAY, WEEKEND, WEEKEND] } },
      { name: '2', start: S2, week: { name: '2', days: Array(7).fill(WEEKEND) } },
    ],
  };
}

test('activity calendar passive values: name, seasons, distinct weeks and days in order of first appearance', () => {
  const cal = twoSeasonCalendar();
  assert.equal(activityCalendarProblem(cal), undefined);
  const hex = Object.fromEntries(passiveCalendarValues(cal).map((v) => [v.attribute, encodeData(v.value).toString('hex')]));
  assert.deepEqual(Object.keys(hex), ['calendar_name_passive', 'season_profile_passive', 'week_profile_table_passive', 'day_profile_table_passive']);
  assert.equal(hex.calendar_name_passive, '090443616c31');
  // array(2){structure{octet-string 01, octet-string(12) season start, octet-string 01}, structure{02, …, 02}}
  assert.equal(hex.season_profile_passive, '0102' + '0203' + '090101' + '090cffff0101ff000000ff8000ff' + '090101' + '0203' + '090102' + '090cffff0701ff000000ff8000ff' + '090102');
  // array(2){structure{01, unsigned ×7 (Mon..Sun)}, structure{02, 2 ×7}}
  assert.equal(hex.week_profile_table_passive, '0102' + '0208' + '090101' + '1101'.repeat(5) + '1102'.repeat(2) + '0208' + '090102' + '1102'.repeat(7));
  // array(2){structure{unsigned 1, array(2){structure{time 06:00, script table 0-0:10.0.100.255, selector 2}, …}}, structure{2, …}}
  const action = (time: string, selector: string) => '0203' + '0904' + time + '0906' + '00000a0064ff' + '12' + selector;
  assert.equal(hex.day_profile_table_passive, '0102' + '0202' + '1101' + '0102' + action('06000000', '0002') + action('16000000', '0001') + '0202' + '1102' + '0101' + action('00000000', '0001'));
});

test("activity calendar checks: GXF's name, count and consistency rules", () => {
  const cal = twoSeasonCalendar;
  const with_ = (f: (c: ActivityCalendar) => void) => {
    const c = cal();
    f(c);
    return activityCalendarProblem(c);
  };
  assert.match(with_((c) => (c.seasons[1]!.name = '1')) ?? '', /unique/);
  assert.match(with_((c) => (c.seasons[0]!.name = 'A')) ?? '', /season name A must be one digit/);
  assert.match(with_((c) => (c.seasons[0]!.week.name = '12')) ?? '', /week name 12 must be one digit/);
  assert.match(with_((c) => (c.seasons[1]!.week.name = '1')) ?? '', /weeks with the same name must be identical/);
  assert.match(with_((c) => (c.seasons[1]!.week.days = [{ ...WEEKEND, schedule: [{ startTime: Buffer.from('01000000', 'hex'), scriptSelector: 1 }] }, ...Array(6).fill(WEEKEND)])) ?? '', /days with the same id must be identical/);
  assert.match(with_((c) => (c.seasons[1]!.week.days = [3, 4, 5, 6, 7, 2, 2].map((dayId) => ({ ...WEEKEND, dayId })))) ?? '', /distinct day ids: at most 4/);
  assert.match(with_((c) => c.seasons.push(...[3, 4, 5].map((n) => ({ ...c.seasons[1]!, name: String(n) })))) ?? '', /5 seasons/);
});
