import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Data, decodeCosemDateTime } from '../../src/dlms/axdr.ts';
import {
  addCalendar,
  ClockStatusBit,
  cosemDateTimeInstant,
  dateTimeFromData,
  decodeClockStatus,
  decodeDateTime,
  encodeClockStatus,
  encodeZonedDateTime,
  isDaylightSaving,
  zoneOffsetMinutes,
} from '../../src/dlms/date-time.ts';
import { isMeterfabricError } from '../../src/errors.ts';

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const iso = (d: Date | null) => (d ? d.toISOString() : null);

// year(2) month day dow hour minute second hundredths deviation(2) status (docs/dlms.md#date-time)
test('date-time bytes → instant: local fields at UTC offset −deviation', () => {
  // 2026-11-24 02:40:17.00, deviation 0, status 0 (docs/dlms.md#a-xdr-data)
  assert.equal(iso(cosemDateTimeInstant(h('07EA0B18FF02281100 0000 00'))), '2026-11-24T02:40:17.000Z');
  // CET winter: 2016-02-15 23:00 local, deviation −60 (FFC4) → 22:00 UTC (GXF simulator's M-Bus capture time)
  assert.equal(iso(cosemDateTimeInstant(h('07E0020FFF17000000 FFC4 00'))), '2016-02-15T22:00:00.000Z');
  // CEST summer: 2026-07-01 14:34:56.78 local, deviation −120 (FF88), DST active → 12:34:56.780 UTC
  assert.equal(iso(cosemDateTimeInstant(h('07EA0701FF0E22384E FF88 80'))), '2026-07-01T12:34:56.780Z');
  // A meter east of UTC with a positive deviation (local = UTC − deviation): 10:00 local at deviation +300 → 15:00 UTC
  assert.equal(iso(cosemDateTimeInstant(h('07EA0701FF0A000000 012C 00'))), '2026-07-01T15:00:00.000Z');
  // Unspecified hundredths count as 0
  assert.equal(iso(cosemDateTimeInstant(h('07EA0B18FF022811FF 0000 00'))), '2026-11-24T02:40:17.000Z');
});

test('date-time bytes that name no instant give null, as GXF does', () => {
  for (const [why, bytes] of [
    ['deviation not specified (0x8000)', '07EA0B18FF02281100 8000 00'],
    ['year not specified', 'FFFF0B18FF02281100 0000 00'],
    ['month not specified', '07EAFF18FF02281100 0000 00'],
    ['DST-end month marker 0xFD', '07EAFD18FF02281100 0000 00'],
    ['day not specified', '07EA0BFFFF02281100 0000 00'],
    ['hour not specified', '07EA0B18FFFF281100 0000 00'],
    ['minute not specified', '07EA0B18FF02FF1100 0000 00'],
    ['second not specified', '07EA0B18FF0228FF00 0000 00'],
    ['31 February', '07EA021FFF02281100 0000 00'],
    ['hundredths 100', '07EA0B18FF02281164 0000 00'],
  ] as const) {
    assert.equal(cosemDateTimeInstant(h(bytes)), null, why);
  }
  assert.throws(() => cosemDateTimeInstant(h('07EA0B18FF022811000000')), (e: unknown) => isMeterfabricError(e) && e.code === 1000);
});

test('clock status bits: invalid, doubtful, different base, invalid status, daylight saving; 0xFF not specified', () => {
  assert.deepEqual(decodeClockStatus(0x00), { invalidValue: false, doubtfulValue: false, differentClockBase: false, invalidClockStatus: false, daylightSavingActive: false, reserved: 0 });
  assert.deepEqual(decodeClockStatus(0x80), { invalidValue: false, doubtfulValue: false, differentClockBase: false, invalidClockStatus: false, daylightSavingActive: true, reserved: 0 });
  assert.deepEqual(decodeClockStatus(0x0f), { invalidValue: true, doubtfulValue: true, differentClockBase: true, invalidClockStatus: true, daylightSavingActive: false, reserved: 0 });
  assert.deepEqual(decodeClockStatus(0x21), { invalidValue: true, doubtfulValue: false, differentClockBase: false, invalidClockStatus: false, daylightSavingActive: false, reserved: 0x20 });
  assert.equal(decodeClockStatus(0xff), null);
  for (const b of [0x00, 0x01, 0x02, 0x04, 0x08, 0x80, 0x8f, 0x70, 0x7e]) assert.equal(encodeClockStatus(decodeClockStatus(b)!), b);
  assert.equal(ClockStatusBit.DAYLIGHT_SAVING_ACTIVE, 0x80);
});

test('decodeDateTime: fields, instant, deviation and status together', () => {
  const d = decodeDateTime(h('07EA0701FF0E22384E FF88 80'));
  assert.equal(d.deviation, -120);
  assert.equal(d.clockStatus!.daylightSavingActive, true);
  assert.equal(iso(d.instant), '2026-07-01T12:34:56.780Z');
  assert.deepEqual(d.fields, decodeCosemDateTime(h('07EA0701FF0E22384EFF8880')));
  const u = decodeDateTime(h('07EA0701FF0E22384E 8000 FF'));
  assert.equal(u.deviation, null);
  assert.equal(u.clockStatus, null);
  assert.equal(u.instant, null);
});

test('date-time as Data: octet-string(12) and the date-time tag are both read; null-data is null; others refused', () => {
  const bytes = h('07E0020FFF17000000FFC400');
  assert.equal(iso(dateTimeFromData(Data.octetString(bytes))!.instant), '2016-02-15T22:00:00.000Z');
  assert.equal(iso(dateTimeFromData(Data.dateTime(bytes))!.instant), '2016-02-15T22:00:00.000Z');
  assert.equal(dateTimeFromData(Data.nullData()), null);
  assert.throws(() => dateTimeFromData(Data.octetString('0102')), (e: unknown) => isMeterfabricError(e) && e.code === 1000 && /12 bytes/.test(e.message));
  assert.throws(() => dateTimeFromData(Data.doubleLongUnsigned(1)), (e: unknown) => isMeterfabricError(e) && e.code === 1000);
});

test('instant + IANA zone → 12 bytes as GXF encodes them (deviation −offset, 0x80 iff DST, hundredths ms/10, day of week FF)', () => {
  // Amsterdam winter: 2026-01-14T23:00Z = 2026-01-15 00:00 CET → deviation −60, status 00
  assert.deepEqual(encodeZonedDateTime(new Date('2026-01-14T23:00:00Z'), 'Europe/Amsterdam'), h('07EA010FFF00000000 FFC4 00'));
  // Amsterdam summer: 2026-07-01T12:34:56.789Z = 14:34:56.78 CEST → deviation −120, status 80
  assert.deepEqual(encodeZonedDateTime(new Date('2026-07-01T12:34:56.789Z'), 'Europe/Amsterdam'), h('07EA0701FF0E22384E FF88 80'));
  // UTC (a device without a stored zone)
  assert.deepEqual(encodeZonedDateTime(new Date('2015-09-01T00:00:00Z')), h('07DF0901FF00000000 0000 00'));
  // New York summer: UTC−4 → deviation +240 (00F0), DST
  assert.deepEqual(encodeZonedDateTime(new Date('2026-07-01T16:00:00Z'), 'America/New_York'), h('07EA0701FF0C000000 00F0 80'));
  // Southern hemisphere: Sydney in January is summer time (UTC+11 → −660 = FD6C), July is standard (UTC+10 → FDA8)
  assert.deepEqual(encodeZonedDateTime(new Date('2026-01-15T01:00:00Z'), 'Australia/Sydney'), h('07EA010FFF0C000000 FD6C 80'));
  assert.deepEqual(encodeZonedDateTime(new Date('2026-07-15T02:00:00Z'), 'Australia/Sydney'), h('07EA070FFF0C000000 FDA8 00'));
  // Round trip: the bytes name the same instant (to the hundredth)
  for (const t of ['2026-03-29T00:59:59.990Z', '2026-03-29T01:00:00Z', '2026-10-25T00:59:59Z', '2026-10-25T01:00:00Z', '2000-02-29T12:00:00Z']) {
    assert.equal(iso(cosemDateTimeInstant(encodeZonedDateTime(new Date(t), 'Europe/Amsterdam'))), new Date(t).toISOString(), t);
  }
  assert.throws(() => encodeZonedDateTime(new Date(0), 'Mars/Olympus_Mons'), (e: unknown) => isMeterfabricError(e) && e.code === 1001);
  assert.throws(() => encodeZonedDateTime(new Date(Number.NaN), 'UTC'), (e: unknown) => isMeterfabricError(e) && e.code === 1001);
});

test('zone offsets and DST across the Dutch changes', () => {
  assert.equal(zoneOffsetMinutes(new Date('2026-03-29T00:59:59Z'), 'Europe/Amsterdam'), 60);
  assert.equal(zoneOffsetMinutes(new Date('2026-03-29T01:00:00Z'), 'Europe/Amsterdam'), 120);
  assert.equal(isDaylightSaving(new Date('2026-03-29T01:00:00Z'), 'Europe/Amsterdam'), true);
  assert.equal(isDaylightSaving(new Date('2026-10-25T01:00:00Z'), 'Europe/Amsterdam'), false);
  assert.equal(isDaylightSaving(new Date('2026-07-01T00:00:00Z'), 'UTC'), false);
  assert.equal(isDaylightSaving(new Date('2026-07-01T00:00:00Z'), 'Asia/Tokyo'), false);
  // Half-hour zones and a change at half past the UTC hour (Newfoundland: 02:00 NST = 05:30 UTC on 8 March 2026)
  assert.deepEqual(encodeZonedDateTime(new Date('2026-01-15T06:30:00Z'), 'Asia/Kolkata'), h('07EA010FFF0C000000 FEB6 00'));
  assert.equal(zoneOffsetMinutes(new Date('2026-03-08T05:29:59Z'), 'America/St_Johns'), -210);
  assert.equal(zoneOffsetMinutes(new Date('2026-03-08T05:30:00Z'), 'America/St_Johns'), -150);
  assert.equal(isDaylightSaving(new Date('2026-03-08T05:30:00Z'), 'America/St_Johns'), true);
});

test('calendar steps in a zone: a day across a DST change, month ends', () => {
  // 2026-03-28 00:00 CET + 1 day = 2026-03-29 00:00 CET (still winter at midnight); + 2 days crosses into CEST: 23 h later in UTC terms
  assert.equal(addCalendar(new Date('2026-03-28T23:00:00Z'), 'Europe/Amsterdam', { days: 1 }).toISOString(), '2026-03-29T22:00:00.000Z');
  assert.equal(addCalendar(new Date('2026-10-24T22:00:00Z'), 'Europe/Amsterdam', { days: 1 }).toISOString(), '2026-10-25T23:00:00.000Z');
  // 31 January + 1 month = 28 February (the last day), same wall time
  assert.equal(addCalendar(new Date('2026-01-31T12:00:00Z'), 'UTC', { months: 1 }).toISOString(), '2026-02-28T12:00:00.000Z');
  // 1 March 00:00 CET + 1 month = 1 April 00:00 CEST
  assert.equal(addCalendar(new Date('2026-02-28T23:00:00Z'), 'Europe/Amsterdam', { months: 1 }).toISOString(), '2026-03-31T22:00:00.000Z');
  assert.equal(addCalendar(new Date('2026-12-01T00:00:00Z'), 'UTC', { months: 1 }).toISOString(), '2027-01-01T00:00:00.000Z');
});
