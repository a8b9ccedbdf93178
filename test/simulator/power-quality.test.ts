// The simulated power-quality profiles (src/simulator/power-quality.ts, docs/monitoring.md#simulated-power-quality):
// an entry's exact bytes, and the buffer a range descriptor selects, with all columns and with selected columns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Data, encodeData, type DlmsData } from '../../src/dlms/axdr.ts';
import { captureObject, rangeAccess, timeRange } from '../../src/dlms/selective-access.ts';
import { CLOCK_TIME } from '../../src/cosem/index.ts';
import { actualPowerQualityObjects, powerQualityProfiles } from '../../src/cosem/power-quality.ts';
import { createMeterState } from '../../src/simulator/meter.ts';
import { pqProfileBuffer, pqProfileEntry } from '../../src/simulator/power-quality.ts';

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
// The test system title ends in 00 01: seed 1.
const meter = createMeterState({ profile: 'smr5' });
const NOW = new Date(Date.UTC(2026, 0, 15, 10, 37, 30));

test('power-quality profile 1 entry at 2026-01-15T09:15Z: clock in Europe/Amsterdam, twelve L1..L3 powers, exact bytes', () => {
  const pq1 = powerQualityProfiles('smr5')[1]!;
  assert.equal(pq1.tag, 'POWER_QUALITY_PROFILE_1');
  // m = 5 456 715 minutes since 2015-09-01T00:00Z; first column i = 29: (3·1 + 17·29 + 11·m) mod 3000 = 361 = 0x169.
  assert.deepEqual(
    encodeData(Data.structure(pqProfileEntry(meter, pq1, new Date(Date.UTC(2026, 0, 15, 9, 15))))),
    h(`020d 090c 07ea 01 0f ff 0a 0f 00 00 ffc4 00
       05 00000169 05 0000017a 05 0000018b 05 0000019c 05 000001ad 05 000001be
       05 000001cf 05 000001e0 05 000001f1 05 00000202 05 00000213 05 00000224`),
  );
});

test('power-quality profile 2 by range descriptor: 10-minute entries from..to inclusive; selected columns keep the meter order', () => {
  const pq2 = powerQualityProfiles('smr5')[2]!;
  const from = new Date(Date.UTC(2026, 0, 15, 9, 0));
  const to = new Date(Date.UTC(2026, 0, 15, 9, 30));
  const all = pqProfileBuffer(meter, pq2, NOW, rangeAccess(timeRange({ clockTime: CLOCK_TIME, from, to })));
  assert.ok(!('refused' in all));
  const rows = (all as { value: DlmsData[] }).value as { value: DlmsData[] }[];
  assert.equal(rows.length, 4);
  assert.equal(rows[0]!.value.length, 1 + pq2.captured.length);
  const selected = [CLOCK_TIME, captureObject(3, '1-0:31.7.0.255', 2)];
  const some = pqProfileBuffer(meter, pq2, NOW, rangeAccess(timeRange({ clockTime: CLOCK_TIME, from, to, zone: 'Europe/Amsterdam', selectedValues: selected })));
  const picked = (some as { value: DlmsData[] }).value as { value: DlmsData[] }[];
  assert.deepEqual(picked.map((r) => r.value), rows.map((r) => [r.value[0]!, r.value[pq2.captured.findIndex((o) => o.tag === 'INSTANTANEOUS_CURRENT_L1') + 1]!]));
  // A window after the meter clock: no entries.
  const later = pqProfileBuffer(meter, pq2, NOW, rangeAccess(timeRange({ clockTime: CLOCK_TIME, from: new Date(NOW.getTime() + 3_600_000), to: new Date(NOW.getTime() + 7_200_000) })));
  assert.deepEqual(later, Data.array([]));
});

test('GetActualPowerQuality object sets: single-phase meters get the L1 and total objects only', () => {
  assert.deepEqual(actualPowerQualityObjects('smr5', 'PUBLIC', false).map((o) => o.tag), ['INSTANTANEOUS_VOLTAGE_L1', 'AVERAGE_VOLTAGE_L1', 'NUMBER_OF_POWER_FAILURES', 'NUMBER_OF_LONG_POWER_FAILURES', 'NUMBER_OF_VOLTAGE_SAGS_FOR_L1', 'NUMBER_OF_VOLTAGE_SWELLS_FOR_L1']);
  assert.equal(actualPowerQualityObjects('smr5', 'PUBLIC', true).length, 14);
  // GXF's GetActualPowerQuality feature: DSMR 2.2 (DSMR 4.2.2's set) polyphase PUBLIC answers 15 objects, CLOCK first.
  assert.equal(1 + actualPowerQualityObjects('dsmr4', 'PUBLIC', true).length, 15);
  assert.equal(actualPowerQualityObjects('dsmr4', 'PRIVATE', true).length, 27);
  assert.deepEqual(actualPowerQualityObjects('dsmr4', 'PRIVATE', false).filter((o) => o.tag.startsWith('AVERAGE_ACTIVE_POWER')).map((o) => o.obis.toString()), ['1-0:21.24.0.255', '1-0:22.24.0.255']);
  assert.deepEqual(actualPowerQualityObjects('smr5', 'PRIVATE', false).filter((o) => o.tag.startsWith('AVERAGE_ACTIVE_POWER')).map((o) => o.obis.toString()), ['1-0:21.4.0.255', '1-0:22.4.0.255']);
});

test('definable load profile after a write of capture_objects and capture_period: new columns, new period, buffer emptied at the write', async () => {
  const { writeDefinableCaptureObjects, writeDefinableCapturePeriod, pqProfileAttributes } = await import('../../src/simulator/power-quality.ts');
  const m = createMeterState({ profile: 'smr5' });
  const dlp = powerQualityProfiles('smr5')[0]!;
  assert.equal(dlp.tag, 'DEFINABLE_LOAD_PROFILE');
  const written = new Date(Date.UTC(2026, 0, 15, 9, 2));
  // clock time, the L1 voltage sag counter 1-0:32.32.0.255 (served), and 1-0:1.8.1.255 attribute 2 (not computed here: null-data)
  const list = Data.array([
    Data.structure([Data.longUnsigned(8), Data.octetString(h('0000010000ff')), Data.integer(2), Data.longUnsigned(0)]),
    Data.structure([Data.longUnsigned(1), Data.octetString(h('0100202000ff')), Data.integer(2), Data.longUnsigned(0)]),
    Data.structure([Data.longUnsigned(3), Data.octetString(h('0100010801ff')), Data.integer(2), Data.longUnsigned(0)]),
  ]) as DlmsData & { value: DlmsData[] };
  assert.equal(writeDefinableCaptureObjects(m, [Data.longUnsigned(1)], written), 12 /* type-unmatched */);
  assert.equal(m.definableLoadProfile, undefined);
  assert.equal(writeDefinableCaptureObjects(m, list.value, written), 0);
  assert.equal(writeDefinableCapturePeriod(m, 600), 0);
  const attrs = pqProfileAttributes(m, dlp, NOW);
  assert.equal(encodeData(Data.array(attrs.capture_objects())).toString('hex'), encodeData(list).toString('hex'));
  assert.equal(attrs.capture_period(), 600);
  // 10-minute entries from 09:10 (the first after the write) to 10:30
  assert.equal(attrs.entries_in_use(), 9);
  const rows = (pqProfileBuffer(m, dlp, NOW) as { value: DlmsData[] }).value as { value: DlmsData[] }[];
  assert.equal(rows.length, 9);
  assert.deepEqual(rows[0]!.value.map((d) => d.type), ['octet-string', 'double-long-unsigned', 'null-data']);
  // the unchanged meter keeps the defaults
  assert.equal(pqProfileAttributes(meter, dlp, NOW).capture_period(), 900);
});
