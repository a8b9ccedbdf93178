// Event logs and alarm registers between the session and the simulator over real loopback TCP: the range read GXF
// sends (byte-exact range_descriptor), the entry descriptor, block transfer of a whole log, column selection,
// a restricting object that is no column, alarm registers read, cleared and kept in the state file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Data, encodeData } from '../../src/dlms/axdr.ts';
import { DataAccessResult } from '../../src/dlms/apdu/index.ts';
import { captureObject, entryAccess, rangeAccess, rangeDescriptorToData, timeRange } from '../../src/dlms/selective-access.ts';
import { decodeProfileBuffer } from '../../src/dlms/profile.ts';
import { ALARM_REGISTERS, CLOCK_TIME, DataClass, EVENT_LOGS, ProfileGenericClass } from '../../src/cosem/index.ts';
import { readEventLog, getResults, setResult } from '../../src/session/event-logs.ts';
import { simulatedEventsBetween, simulatedLogEntries } from '../../src/simulator/event-logs.ts';
import { Fleet } from '../../src/simulator/simulator.ts';
import { withoutLeaks } from '../transport/support.ts';
import { DlmsSession, hex, managementOptions, withMeter } from './helpers.ts';

const NOW = new Date(Date.UTC(2026, 0, 15, 10, 37, 30));
const BUFFER = { classId: 7, obis: EVENT_LOGS.STANDARD_EVENT_LOG.log.obis, attributeId: 2 };

test('the range descriptor GXF sends for an event log, byte for byte (Europe/Amsterdam, winter)', () => {
  const r = timeRange({ clockTime: CLOCK_TIME, from: new Date('2026-01-14T00:00:00Z'), to: new Date('2026-01-15T00:00:00Z'), zone: 'Europe/Amsterdam' });
  assert.deepEqual(encodeData(rangeDescriptorToData(r)), hex(`
    02 04
      02 04 12 0008 09 06 0000010000FF 0F 02 12 0000
      09 0C 07EA 01 0E FF 01 00 00 00 FFC4 00
      09 0C 07EA 01 0F FF 01 00 00 00 FFC4 00
      01 00`));
});

test('event logs by range and by entry, a whole log by block transfer, selected columns, refusals (SMR 5 meter, fixed clock)', async () => {
  await withoutLeaks(() =>
    withMeter('wrapper', 'smr5', async (meter) => {
      const session = await DlmsSession.openManagement(managementOptions(meter, { maxReceivePduSize: 256 }));
      // The standard log on 14 January 2026 (UTC), literal for seed 1.
      const day = await readEventLog(session, EVENT_LOGS.STANDARD_EVENT_LOG, { from: new Date('2026-01-14T00:00:00Z'), to: new Date('2026-01-15T00:00:00Z'), zone: 'Europe/Amsterdam' });
      assert.deepEqual(day.map((e) => e.values), [
        [Data.octetString(hex('07EA 01 0E FF 05 1C 05 00 FFC4 00')), Data.unsigned(6)],
        [Data.octetString(hex('07EA 01 0E FF 0A 38 36 00 FFC4 00')), Data.unsigned(21)],
        [Data.octetString(hex('07EA 01 0E FF 0F 0B 04 00 FFC4 00')), Data.unsigned(17)],
        [Data.octetString(hex('07EA 01 0E FF 13 0A 30 00 FFC4 00')), Data.unsigned(13)],
      ]);
      // An empty window, and a window after the meter's clock: nothing.
      assert.deepEqual(await readEventLog(session, EVENT_LOGS.FRAUD_DETECTION_LOG, { from: new Date('2014-01-01T00:00:00Z'), to: new Date('2015-08-31T00:00:00Z') }), []);
      assert.deepEqual(await readEventLog(session, EVENT_LOGS.FRAUD_DETECTION_LOG, { from: new Date('2026-01-16T00:00:00Z'), to: new Date('2026-02-01T00:00:00Z') }), []);
      // The whole auxiliary log (100 entries, over 1,500 bytes) by block transfer with a 256-byte PDU.
      const aux = await session.get({ classId: 7, obis: EVENT_LOGS.AUXILIARY_EVENT_LOG.log.obis, attributeId: 2 });
      const entries = decodeProfileBuffer(aux, EVENT_LOGS.AUXILIARY_EVENT_LOG.columns);
      const expected = simulatedLogEntries('AUXILIARY_EVENT_LOG', 1, NOW);
      assert.equal(entries.length, 100);
      assert.deepEqual(entries.map((e) => Number((e.cells[1] as { value: bigint }).value)), expected.map((e) => e.code));
      // Entry descriptor: entries 99..100, column 2 only.
      const last = await session.getSelected(BUFFER, entryAccess({ fromEntry: 99, toEntry: 100, fromSelectedValue: 2, toSelectedValue: 2 }));
      const std = simulatedLogEntries('STANDARD_EVENT_LOG', 1, NOW);
      assert.deepEqual(last, { kind: 'data', data: Data.array(std.slice(98).map((e) => Data.structure([Data.unsigned(e.code)]))) });
      // Column selection: the communication session counter only.
      const counterOnly = timeRange({ clockTime: CLOCK_TIME, from: new Date('2026-01-10T00:00:00Z'), to: new Date('2026-01-15T00:00:00Z'), selectedValues: [EVENT_LOGS.COMMUNICATION_SESSION_LOG.columns[2]!] });
      const counters = await session.getSelected({ classId: 7, obis: EVENT_LOGS.COMMUNICATION_SESSION_LOG.log.obis, attributeId: 2 }, rangeAccess(counterOnly));
      const comms = simulatedEventsBetween('COMMUNICATION_SESSION_LOG', 1, NOW, new Date('2026-01-10T00:00:00Z'), new Date('2026-01-15T00:00:00Z'));
      assert.deepEqual(counters, { kind: 'data', data: Data.array(comms.map((e) => Data.structure([Data.longUnsigned(e.n)]))) });
      // A restricting object that is not a column: object-unavailable.
      const wrong = timeRange({ clockTime: captureObject(DataClass.classId, '0-0:96.11.0.255', 3), from: NOW, to: NOW });
      assert.deepEqual(await session.getSelected(BUFFER, rangeAccess(wrong)), { kind: 'error', result: DataAccessResult.OBJECT_UNAVAILABLE });
      // capture_objects and profile_entries.
      const [columns, capacity] = await getResults(session, [{ classId: 7, obis: EVENT_LOGS.POWER_QUALITY_EXTENDED_EVENT_LOG.log.obis, attributeId: 3 }, { classId: ProfileGenericClass.classId, obis: EVENT_LOGS.POWER_QUALITY_EXTENDED_EVENT_LOG.log.obis, attributeId: 8 }]);
      assert.equal(columns!.kind === 'data' && columns!.data.type === 'array' ? columns!.data.value.length : -1, 4);
      assert.deepEqual(capacity, { kind: 'data', data: Data.doubleLongUnsigned(30) });
      await session.release();
    }, { now: () => NOW }),
  );
});

test('alarm registers: derived from the seed, cleared by SET 0, kept in the state file; a wrong type is refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mf-alarms-'));
  const state = join(dir, 'state.json');
  try {
    const refs = [1, 2, 3].map((n) => ({ classId: DataClass.classId, obis: ALARM_REGISTERS[n as 1 | 2 | 3].obis, attributeId: 2 }));
    const fleet = await Fleet.start({ basePort: 0, count: 1, framing: 'wrapper', profile: 'smr5', statePath: state });
    const meter = fleet.meters[0]!;
    try {
      const session = await DlmsSession.openManagement(managementOptions(meter));
      assert.deepEqual(await getResults(session, refs), [0x22004, 0b10, 0].map((v) => ({ kind: 'data', data: Data.doubleLongUnsigned(v) })));
      assert.equal(await setResult(session, refs[0]!, Data.doubleLongUnsigned(0)), 0);
      assert.equal(await setResult(session, refs[1]!, Data.unsigned(0)), DataAccessResult.TYPE_UNMATCHED);
      assert.deepEqual(await getResults(session, refs.slice(0, 2)), [0, 0b10].map((v) => ({ kind: 'data', data: Data.doubleLongUnsigned(v) })));
      await session.release();
    } finally {
      await fleet.close();
    }
    const saved = JSON.parse(await readFile(state, 'utf8')) as { meters: { alarmRegisters?: Record<string, number> }[] };
    assert.deepEqual(saved.meters[0]!.alarmRegisters, { 1: 0 });
    const again = await Fleet.start({ basePort: 0, count: 1, framing: 'wrapper', profile: 'smr5', statePath: state });
    try {
      const session = await DlmsSession.openManagement(managementOptions(again.meters[0]!));
      assert.deepEqual(await getResults(session, refs.slice(0, 2)), [0, 0b10].map((v) => ({ kind: 'data', data: Data.doubleLongUnsigned(v) })));
      await session.release();
    } finally {
      await again.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
