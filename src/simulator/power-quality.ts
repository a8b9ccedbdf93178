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
import { bufferSelectionFrom, bufferToData, captureObject, captureObjectsFromData, captureObjectsToData, sameCaptureObject, selectBuffer, timeWindow, type BufferSelection, type CaptureObjectDefinition } from '../dlms/selective-access.ts';
import { isMeterfabricError } from '../errors.ts';
import { CLOCK_TIME } from '../cosem/objects.ts';
import { ClockClass, WellKnownObis } from '../cosem/index.ts';
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

/**
 * The definable load profile (0-1:94.31.6.255) as the client wrote it (ConfigureDefinableLoadProfile; see
 * docs/gxf.md#configuredefinableloadprofile): attribute 3 and 4 replace the profile's defaults. Writing the
 * capture_objects empties the buffer (IEC 62056-6-2 profile generic: a change of capture_objects clears it), so the
 * buffer then holds only entries from the write on. Columns of objects this simulator does not compute are null-data.
 */
export interface DefinableLoadProfileState {
  captureObjects?: CaptureObjectDefinition[];
  capturePeriod?: number;
  /** Meter time (ms) of the last capture_objects write. */
  clearedAt?: number;
}

interface Effective {
  columns: CaptureObjectDefinition[];
  capturePeriod: number;
  profileEntries: number;
  since: number;
}

function effective(meter: MeterState, p: PqProfile): Effective {
  const w = p.tag === 'DEFINABLE_LOAD_PROFILE' ? meter.definableLoadProfile : undefined;
  return {
    columns: w?.captureObjects ?? pqCaptureObjects(p),
    capturePeriod: w?.capturePeriod ?? p.capturePeriod,
    profileEntries: p.profileEntries,
    since: Math.max(READS_EPOCH_MS, w?.clearedAt ?? 0),
  };
}

function entryTimesIn(p: Effective, now: Date, from?: Date, to?: Date): Date[] {
  if (p.capturePeriod <= 0) return [];
  const ms = p.capturePeriod * 1000;
  const newest = Math.floor(now.getTime() / ms) * ms;
  const oldest = Math.max(newest - (p.profileEntries - 1) * ms, Math.ceil(p.since / ms) * ms);
  const first = from ? Math.max(oldest, Math.ceil(from.getTime() / ms) * ms) : oldest;
  const last = to ? Math.min(newest, Math.floor(to.getTime() / ms) * ms) : newest;
  const out: Date[] = [];
  for (let t = first; t <= last; t += ms) out.push(new Date(t));
  return out;
}

/** One entry of a power-quality profile at entry time `t`. */
export function pqProfileEntry(meter: MeterState, p: PqProfile, t: Date): DlmsData[] {
  return columnValues(meter, effective(meter, p).columns, t);
}

const CLOCK_COLUMN = captureObject(ClockClass.classId, WellKnownObis.CLOCK, 2);

function columnValues(meter: MeterState, columns: readonly CaptureObjectDefinition[], t: Date): DlmsData[] {
  const objects = powerQualityObjects(pqFamilyOf(meter));
  return columns.map((c) => {
    if (sameCaptureObject(c, CLOCK_COLUMN)) return Data.octetString(encodeZonedDateTime(t, PROFILE_ZONE));
    const o = c.attributeIndex === 2 && c.dataIndex === 0 ? objects.find((x) => x.classId === c.classId && x.obis.equals(c.logicalName)) : undefined;
    return o ? pqValue(meter, o, t) : Data.nullData();
  });
}

/** The buffer as a GET with this access selection returns it (range and entry descriptors as the load profiles). */
export function pqProfileBuffer(meter: MeterState, p: PqProfile, now: Date, access?: AccessSelection): DlmsData | { refused: number } {
  try {
    const selection: BufferSelection | undefined = access ? bufferSelectionFrom(access) : undefined;
    const e = effective(meter, p);
    const window = selection?.kind === 'range' ? timeWindow(selection.range, CLOCK_TIME) : null;
    const times = window ? entryTimesIn(e, now, window.from, window.to) : entryTimesIn(e, now);
    const rows = times.map((t) => columnValues(meter, e.columns, t));
    return bufferToData(selectBuffer(rows, e.columns, selection).rows);
  } catch (e) {
    if (isMeterfabricError(e) && typeof e.details?.result === 'number') return { refused: e.details.result };
    if (isMeterfabricError(e)) return { refused: DataAccessResult.OTHER_REASON };
    throw e;
  }
}

export function pqProfileAttributes(meter: MeterState, p: PqProfile, now: Date) {
  const e = effective(meter, p);
  return {
    capture_objects: () => (captureObjectsToData(e.columns) as { value: DlmsData[] }).value,
    capture_period: () => e.capturePeriod,
    sort_method: () => 1,
    sort_object: () => [Data.longUnsigned(0), Data.octetString(Buffer.alloc(6)), Data.integer(0), Data.longUnsigned(0)],
    entries_in_use: () => entryTimesIn(e, now).length,
    profile_entries: () => p.profileEntries,
  };
}

/** SET of the definable load profile's capture_objects (attribute 3): any well-formed list is kept. */
export function writeDefinableCaptureObjects(meter: MeterState, value: DlmsData[], now: Date): number {
  let list: CaptureObjectDefinition[];
  try {
    list = captureObjectsFromData(Data.array(value));
  } catch {
    return DataAccessResult.TYPE_UNMATCHED;
  }
  meter.definableLoadProfile = { ...meter.definableLoadProfile, captureObjects: list, clearedAt: now.getTime() };
  return DataAccessResult.SUCCESS;
}

/** SET of the definable load profile's capture_period (attribute 4, seconds; 0 = no automatic capture). */
export function writeDefinableCapturePeriod(meter: MeterState, value: number): number {
  meter.definableLoadProfile = { ...meter.definableLoadProfile, capturePeriod: value };
  return DataAccessResult.SUCCESS;
}
