/**
 * The configuration object, special days and activity calendar operations against fake ports: the exact requests
 * they make, and what a refusal by the meter (or a DSMR 2.2 device) ends with.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Data, encodeData, type DlmsData } from '../../src/dlms/axdr.ts';
import { DataAccessResult, ActionResult } from '../../src/dlms/apdu/common.ts';
import type { AttributeAddress, GatewayLink, MethodAddress } from '../../src/adapters/ports.ts';
import { isMeterfabricError } from '../../src/errors.ts';
import getConfigurationObject from '../../src/operations/configuration/get-configuration-object.ts';
import setConfigurationObject from '../../src/operations/configuration/set-configuration-object.ts';
import setSpecialDays from '../../src/operations/configuration/set-special-days.ts';
import setActivityCalendar from '../../src/operations/configuration/set-activity-calendar.ts';
import { context, fakePorts } from './fake-ports.ts';

/** Fake ports whose link answers GETs from `value` and SET/ACTION with the given results, recording them. */
async function meter(o: { protocol?: string; value?: DlmsData; set?: number[]; action?: number }) {
  const { ports, rec } = fakePorts();
  const link = await ports.links.open('E0051004000000117') as GatewayLink;
  rec.calls.length = 0;
  const sets: string[] = [];
  const actions: string[] = [];
  const setResults = [...(o.set ?? [])];
  link.getAttributes = async (refs: AttributeAddress[]) => refs.map(() => (o.value ? { kind: 'data' as const, data: o.value } : { kind: 'error' as const, result: DataAccessResult.OBJECT_UNDEFINED }));
  link.setAttribute = async (ref: AttributeAddress, v: DlmsData) => {
    sets.push(`${ref.classId} ${ref.obis.toString()} ${ref.attributeId} ${encodeData(v).toString('hex')}`);
    return setResults.shift() ?? 0;
  };
  link.action = async (ref: MethodAddress, p: DlmsData) => {
    actions.push(`${ref.classId} ${ref.obis.toString()} ${ref.methodId} ${p ? encodeData(p).toString('hex') : '-'}`);
    return o.action ?? 0;
  };
  if (o.protocol) (ports.inventory as { getGateway: unknown }).getGateway = async (id: string) => ({ deviceIdentification: id, protocol: o.protocol });
  return { ports, sets, actions, rec };
}

const failure = async (p: Promise<unknown>): Promise<{ code: number; message: string }> => {
  try {
    await p;
  } catch (e) {
    assert.ok(isMeterfabricError(e), String(e));
    return { code: e.code, message: e.message };
  }
  throw new Error('expected a failure');
};

test('SetConfigurationObject writes the merged value once; a refused write names the result', async () => {
  const m = await meter({ protocol: 'DSMR 4.2.2', value: Data.structure([Data.enum(1), Data.bitString(Buffer.from([0x52, 0x00]), 16)]), set: [DataAccessResult.READ_WRITE_DENIED] });
  const f = await failure(setConfigurationObject.execute(m.ports, { configurationFlags: [{ configurationFlagType: 'HLS_5_ON_P0_ENABLE', enabled: true }] }, context('SET_CONFIGURATION_OBJECT')));
  assert.deepEqual(m.sets, ['1 0-1:94.31.3.255 2 0202160104105240']);
  assert.equal(f.code, 1100);
  assert.match(f.message, /^Set configuration object reported result is: /);
});

test('GetConfigurationObject: a refused read and a device without the object (DSMR 2.2) end NOT OK', async () => {
  const refused = await meter({ protocol: 'SMR 5.1' });
  assert.equal((await failure(getConfigurationObject.execute(refused.ports, {}, context('GET_CONFIGURATION_OBJECT')))).code, 1100);
  const dsmr22 = await meter({ protocol: 'DSMR 2.2' });
  assert.equal((await failure(getConfigurationObject.execute(dsmr22.ports, {}, context('GET_CONFIGURATION_OBJECT')))).code, 416);
  assert.deepEqual(dsmr22.rec.calls, [], 'no association for a protocol without the object');
});

test('SetSpecialDays: one SET of class 11 attribute 2; a refusal is GXF\'s text', async () => {
  const m = await meter({ set: [DataAccessResult.TEMPORARY_FAILURE] });
  const f = await failure(setSpecialDays.execute(m.ports, { specialDays: [{ specialDayDate: '07EA0C19FF', dayId: 1 }] }, context('SET_SPECIAL_DAYS')));
  assert.deepEqual(m.sets, ['11 0-0:11.0.0.255 2 01010203120000090507ea0c19ff1101']);
  assert.match(f.message, /^Set special days reported result is: /);
});

const DAY = { dayId: 1, daySchedule: [{ startTime: '00000000', scriptSelector: 1 }] };
const CALENDAR = {
  calendarName: 'C', activatePassiveCalendarTime: 'FFFFFFFFFFFFFFFFFF8000FF',
  seasons: [{ seasonProfileName: '1', seasonStart: 'FFFF0101FF000000FF8000FF', weekProfile: { weekProfileName: '1', monday: DAY, tuesday: DAY, wednesday: DAY, thursday: DAY, friday: DAY, saturday: DAY, sunday: DAY } }],
};

test('SetActivityCalendar: attributes 6..9 in order, then activate_passive_calendar(integer 0); stops at the first refusal', async () => {
  const ok = await meter({});
  await setActivityCalendar.execute(ok.ports, CALENDAR, context('SET_ACTIVITY_CALENDAR'));
  assert.deepEqual(ok.sets.map((s) => s.split(' ').slice(0, 3).join(' ')), [6, 7, 8, 9].map((a) => `20 0-0:13.0.0.255 ${a}`));
  assert.equal(ok.sets[0], '20 0-0:13.0.0.255 6 090143');
  assert.deepEqual(ok.actions, ['20 0-0:13.0.0.255 1 0f00']);

  const refused = await meter({ set: [0, DataAccessResult.TYPE_UNMATCHED] });
  const f = await failure(setActivityCalendar.execute(refused.ports, CALENDAR, context('SET_ACTIVITY_CALENDAR')));
  assert.equal(refused.sets.length, 2);
  assert.deepEqual(refused.actions, []);
  assert.match(f.message, /^Setting season_profile_passive of the activity calendar failed: /);

  const notActivated = await meter({ action: ActionResult.OTHER_REASON });
  const g = await failure(setActivityCalendar.execute(notActivated.ports, CALENDAR, context('SET_ACTIVITY_CALENDAR')));
  assert.equal(g.code, 1101);
  assert.match(g.message, /^Activating the activity calendar failed: /);
});
