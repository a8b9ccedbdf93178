/**
 * SynchronizeTime: the 12-byte COSEM date-time of the clock SET (IEC 62056-6-2 clause 4.1.6.1) for fixed instants,
 * the zone stored before the SET (and kept when it fails), exactly one SET and nothing else on the link.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import synchronizeTime, { clockDateTime, isTimeZone } from '../../src/operations/adhoc/synchronize-time.ts';
import { isMeterfabricError, ErrorCode, MeterfabricError } from '../../src/errors.ts';
import { context, fakePorts } from './fake-ports.ts';

const SUMMER = new Date('2024-07-15T10:20:30.456Z');
const WINTER = new Date('2024-01-15T10:20:30.456Z');

test('Europe/Amsterdam in summer: local 12:20:30.45, deviation -120, daylight saving 0x80, day of week 0xFF', () => {
  assert.equal(clockDateTime(SUMMER, 'Europe/Amsterdam').toString('hex'), '07e8070fff0c141e2dff8880');
});

test('Europe/Amsterdam in winter: local 11:20:30.45, deviation -60, status 0x00', () => {
  assert.equal(clockDateTime(WINTER, 'Europe/Amsterdam').toString('hex'), '07e8010fff0b141e2dffc400');
});

test('UTC: the instant itself, deviation 0, status 0x00', () => {
  assert.equal(clockDateTime(SUMMER, 'UTC').toString('hex'), '07e8070fff0a141e2d000000');
});

test('the local date crosses midnight and the year; a southern zone is on daylight saving in January', () => {
  assert.equal(clockDateTime(new Date('2024-12-31T23:30:00.009Z'), 'Europe/Amsterdam').toString('hex'), '07e90101ff001e0000ffc400');
  // Sydney: UTC+11 in January (daylight saving), deviation -660 = 0xFD6C.
  assert.equal(clockDateTime(new Date('2024-01-15T00:00:00Z'), 'Australia/Sydney').toString('hex'), '07e8010fff0b000000fd6c80');
});

test('time zone ids: IANA ids are known, anything else is not', () => {
  assert.equal(isTimeZone('Europe/Amsterdam'), true);
  assert.equal(isTimeZone('UTC'), true);
  assert.equal(isTimeZone('Mars/Olympus_Mons'), false);
});

test('execute: the zone is stored first, then exactly one clock SET with the encoded instant, then release', async () => {
  const { ports, rec } = fakePorts({ now: SUMMER });
  const result = await synchronizeTime.execute(ports, { timeZone: 'Europe/Amsterdam' }, context('SYNCHRONIZE_TIME'));
  assert.equal(result, undefined);
  assert.deepEqual(rec.calls, ['setTimezone Europe/Amsterdam', 'open E0051004000000117', 'setClock', 'release']);
  assert.deepEqual(rec.timezones, [['E0051004000000117', 'Europe/Amsterdam']]);
  assert.equal(rec.clock[0]!.toString('hex'), '07e8070fff0c141e2dff8880');
});

test('execute: no zone means UTC', async () => {
  const { ports, rec } = fakePorts({ now: WINTER });
  await synchronizeTime.execute(ports, {}, context('SYNCHRONIZE_TIME'));
  assert.deepEqual(rec.timezones, [['E0051004000000117', 'UTC']]);
  assert.equal(rec.clock[0]!.toString('hex'), '07e8010fff0a141e2d000000');
});

test('execute: a failing SET fails the request and the stored zone stays', async () => {
  const refused = new MeterfabricError(ErrorCode.CONNECTION_ERROR, 'AccessResultCode for synchronizeTime: READ_WRITE_DENIED', { retryable: false });
  const { ports, rec } = fakePorts({ now: WINTER, setClock: async () => { throw refused; } });
  await assert.rejects(synchronizeTime.execute(ports, { timeZone: 'Europe/Amsterdam' }, context('SYNCHRONIZE_TIME')), (e) => e === refused);
  assert.deepEqual(rec.timezones, [['E0051004000000117', 'Europe/Amsterdam']]);
  assert.deepEqual(rec.calls, ['setTimezone Europe/Amsterdam', 'open E0051004000000117', 'setClock', 'release']);
});

test('execute: an unknown zone is a validation error and nothing is stored or sent', async () => {
  const { ports, rec } = fakePorts({ now: WINTER });
  await assert.rejects(synchronizeTime.execute(ports, { timeZone: 'Nowhere/Special' }, context('SYNCHRONIZE_TIME')), (e) => isMeterfabricError(e) && e.code === ErrorCode.VALIDATION_ERROR);
  assert.deepEqual(rec.calls, []);
});

test('the payload schema refuses an unknown zone and accepts none', () => {
  assert.equal(synchronizeTime.payload.safeParse({ timeZone: 'Nowhere/Special' }).success, false);
  assert.equal(synchronizeTime.payload.safeParse({}).success, true);
  assert.equal(synchronizeTime.payload.safeParse({ timeZone: 'Europe/Amsterdam' }).success, true);
});
