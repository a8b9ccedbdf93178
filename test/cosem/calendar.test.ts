/** The special days table and activity calendar values (src/cosem/calendar.ts) with literal A-XDR bytes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeData } from '../../src/dlms/axdr.ts';
import { specialDaysEntries } from '../../src/cosem/calendar.ts';

test('special days entries: structure{long-unsigned index, octet-string(5) date, unsigned day_id}, indexes in request order', () => {
  const v = specialDaysEntries([
    { date: Buffer.from('07EA0C19FF', 'hex'), dayId: 1 },
    { date: Buffer.from('FFFF0101FF', 'hex'), dayId: 2 },
  ]);
  assert.equal(encodeData(v).toString('hex'), '0102' + '0203' + '120000' + '0905' + '07ea0c19ff' + '1101' + '0203' + '120001' + '0905' + 'ffff0101ff' + '1102');
});
