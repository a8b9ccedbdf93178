/**
 * The simulated meter's power-quality values and profiles (docs/monitoring.md#simulated-power-quality): computed
 * from the meter's seed (./registers.ts `meterSeed`) and its clock, nothing stored. Every meter is polyphase (it
 * serves L1..L3); what a read asks for is the platform's choice.
 *
 * With s = seed, m = whole minutes of the meter clock since 2015-09-01T00:00Z, i = the object's position in
 * src/cosem/power-quality.ts `powerQualityObjects(family)`:
 *
 * * voltage: 225.0 V + ((s + 13·i + m) mod 100) tenths of a volt, raw at the object's scaler (−1 → tenths, 0 → whole
 *   volts rounded down);
 * * current: ((7·s + 31·i + m) mod 1500) hundredths of an ampere, raw at the object's scaler (−2 → hundredths,
 *   0 → whole amperes rounded down);
 * * power (W, var): (3·s + 17·i + 11·m) mod 3000;
 * * count (class 1, double-long-unsigned): (s + i) mod 10 + ⌊m / 1440⌋ (one more every day).
 *
 * Profile entries hold the values at the entry time (clock column in Europe/Amsterdam, as the load profiles), every
 * capture_period of UTC, the newest at or before the meter clock, never before 2015-09-01T00:00Z.
 */
import { type DlmsData, Data } from '../dlms/axdr.ts';
import { DataAccessResult, type AccessSelection } from '../dlms/apdu/common.ts';
import { encodeZonedDateTime } from '../dlms/date-time.ts';
import { bufferSelectionFrom, bufferToData, captureObjectsToData, selectBuffer, timeWindow, type BufferSelection } from '../dlms/selective-access.ts';
import { isMeterfabricError } from '../errors.ts';
import { CLOCK_TIME } from '../cosem/objects.ts';
import { METER_VOLTAGE_SCALER_UNIT, powerQualityObjects, pqCaptureObjects, type PqFamily, type PqObject, type PqProfile } from '../cosem/power-quality.ts';
import type { ScalerUnit } from '../dlms/scaler-unit.ts';
import type { MeterState } from './meter.ts';
import { READS_EPOCH_MS, meterSeed } from './registers.ts';
import { PROFILE_ZONE } from './profiles.ts';

export function pqFamilyOf(meter: MeterState): PqFamily {
  return meter.profile === 'smr5' ? 'smr5' : 'dsmr4';
}

/** The scaler_unit the meter holds for a register (the profile's, or what it keeps where GXF reads it). */
export function meterScalerUnit(o: PqObject): ScalerUnit {
  return o.scalerUnit ?? METER_VOLTAGE_SCALER_UNIT;
}

/** The raw value of a power-quality object at meter time `at` (see the file comment). */
export function pqRaw(meter: MeterState, o: PqObject, at: Date): number {
  const family = pqFamilyOf(meter);
  const i = powerQualityObjects(family).indexOf(o);
  const s = meterSeed(meter);
  const m = Math.max(0, Math.floor((at.getTime() - READS_EPOCH_MS) / 60_000));
  switch (o.kind) {
    case 'voltage': {
      const tenths = 2250 + ((s + 13 * i + m) % 100);
      return meterScalerUnit(o).scaler === -1 ? tenths : Math.floor(tenths / 10);
    }
    case 'current': {
      const hundredths = (7 * s + 31 * i + m) % 1500;
      return meterScalerUnit(o).scaler === -2 ? hundredths : Math.floor(hundredths / 100);
    }
    case 'power':
      return (3 * s + 17 * i + 11 * m) % 3000;
    case 'count':
      return ((s + i) % 10) + Math.floor(m / 1440);
  }
}

/** The value as the meter sends it: long-unsigned for voltages and currents, double-long(-unsigned) otherwise. */
export function pqValue(meter: MeterState, o: PqObject, at: Date): DlmsData {
  const raw = pqRaw(meter, o, at);
  if (o.kind === 'voltage' || o.kind === 'current') return Data.longUnsigned(raw);
  if (o.kind === 'power') return Data.doubleLong(raw);
  return Data.doubleLongUnsigned(raw);
}

function entryTimesIn(p: PqProfile, now: Date, from?: Date, to?: Date): Date[] {
  const ms = p.capturePeriod * 1000;
  const newest = Math.floor(now.getTime() / ms) * ms;
  const oldest = Math.max(newest - (p.profileEntries - 1) * ms, Math.ceil(READS_EPOCH_MS / ms) * ms);
  const first = from ? Math.max(oldest, Math.ceil(from.getTime() / ms) * ms) : oldest;
  const last = to ? Math.min(newest, Math.floor(to.getTime() / ms) * ms) : newest;
  const out: Date[] = [];
  for (let t = first; t <= last; t += ms) out.push(new Date(t));
  return out;
}

/** One entry of a power-quality profile at entry time `t`. */
export function pqProfileEntry(meter: MeterState, p: PqProfile, t: Date): DlmsData[] {
  return [Data.octetString(encodeZonedDateTime(t, PROFILE_ZONE)), ...p.captured.map((o) => pqValue(meter, o, t))];
}

/** The buffer as a GET with this access selection returns it (range and entry descriptors as the load profiles). */
export function pqProfileBuffer(meter: MeterState, p: PqProfile, now: Date, access?: AccessSelection): DlmsData | { refused: number } {
  try {
    const selection: BufferSelection | undefined = access ? bufferSelectionFrom(access) : undefined;
    const window = selection?.kind === 'range' ? timeWindow(selection.range, CLOCK_TIME) : null;
    const times = window ? entryTimesIn(p, now, window.from, window.to) : entryTimesIn(p, now);
    const rows = times.map((t) => pqProfileEntry(meter, p, t));
    return bufferToData(selectBuffer(rows, pqCaptureObjects(p), selection).rows);
  } catch (e) {
    if (isMeterfabricError(e) && typeof e.details?.result === 'number') return { refused: e.details.result };
    if (isMeterfabricError(e)) return { refused: DataAccessResult.OTHER_REASON };
    throw e;
  }
}

export function pqProfileAttributes(meter: MeterState, p: PqProfile, now: Date) {
  return {
    capture_objects: () => (captureObjectsToData(pqCaptureObjects(p)) as { value: DlmsData[] }).value,
    capture_period: () => p.capturePeriod,
    sort_method: () => 1,
    sort_object: () => [Data.longUnsigned(0), Data.octetString(Buffer.alloc(6)), Data.integer(0), Data.longUnsigned(0)],
    entries_in_use: () => entryTimesIn(p, now).length,
    profile_entries: () => p.profileEntries,
  };
}
