/**
 * The simulated meter's load profiles (class 7; docs/dlms.md#simulated-profiles): no stored buffer, every entry is
 * computed from the meter's identity and its clock when it is read, so a fleet of meters costs no memory per
 * meter and a test predicts every value. The profiles and their columns are those of src/cosem/profiles.ts.
 *
 * * Entry times: INTERVAL every 15 minutes of UTC; gas hourly every hour; DAILY at 00:00 and MONTHLY at 00:00 of the
 *   1st in Europe/Amsterdam. The newest entry is the last such time at or before the meter clock, the oldest
 *   profile_entries − 1 steps before it, never before 2015-09-01T00:00Z.
 * * Clock column and capture times: octet-string(12) in Europe/Amsterdam with deviation and daylight-saving status.
 * * Energy columns: the registers of ./registers.ts at the entry time (so the newest entry equals the register
 *   read at that moment); M-Bus value and capture time: `mbusValue` at the entry time; a channel without a device
 *   holds null-data in both.
 * * AMR profile status (unsigned): bit 3 (daylight saving) when the entry time is in summer time, bit 7 (power
 *   down) when (15-minute periods since 2015-09-01T00:00Z + seed) mod 97 = 0.
 * * Selective access: range descriptor (restricting object the clock's time; entries from..to inclusive) and entry
 *   descriptor, by the rules of src/dlms/selective-access.ts; no selection = the whole buffer.
 */
import { type DlmsData, Data } from '../dlms/axdr.ts';
import { DataAccessResult, type AccessSelection } from '../dlms/apdu/common.ts';
import { addCalendar, encodeZonedDateTime, isDaylightSaving, zonedFields } from '../dlms/date-time.ts';
import { Unit, scalerUnitToData } from '../dlms/scaler-unit.ts';
import { bufferSelectionFrom, bufferToData, captureObjectsToData, selectBuffer, timeWindow, type BufferSelection } from '../dlms/selective-access.ts';
import { isMeterfabricError } from '../errors.ts';
import { CLOCK_TIME, type ProfileDefinition } from '../cosem/index.ts';
import type { MeterState } from './meter.ts';
import { READS_EPOCH_MS, energyRegisters, mbusValue, meterSeed, type EnergyRegisters } from './registers.ts';

export const PROFILE_ZONE = 'Europe/Amsterdam';

/** AMR profile status of an entry at `at` (see the file comment). */
export function amrStatus(meter: MeterState, at: Date): number {
  const quarter = Math.floor((at.getTime() - READS_EPOCH_MS) / 900_000);
  return (isDaylightSaving(at, PROFILE_ZONE) ? 0x08 : 0) | ((quarter + meterSeed(meter)) % 97 === 0 ? 0x80 : 0);
}

/** The newest entry time at or before `now`, and the step back from an entry time. */
function newestEntry(p: ProfileDefinition, now: Date): Date {
  if (p.capturePeriod !== 0 && p.capturePeriod !== 86_400) {
    const ms = p.capturePeriod * 1000;
    return new Date(Math.floor(now.getTime() / ms) * ms);
  }
  const f = zonedFields(now, PROFILE_ZONE);
  // Local midnight (of the 1st for monthly) of the wall-clock date: the wall time minus the offset then in force.
  const wall = Date.UTC(f.year, f.month - 1, p.capturePeriod === 0 ? 1 : f.day);
  let guess = wall - f.offsetMinutes * 60_000;
  guess = wall - zonedFields(new Date(guess), PROFILE_ZONE).offsetMinutes * 60_000;
  return new Date(guess);
}

function stepBack(p: ProfileDefinition, t: Date, n = 1): Date {
  if (p.capturePeriod === 0) return addCalendar(t, PROFILE_ZONE, { months: -n });
  if (p.capturePeriod === 86_400) return addCalendar(t, PROFILE_ZONE, { days: -n });
  return new Date(t.getTime() - n * p.capturePeriod * 1000);
}

/** Entry times, oldest first, of the whole buffer at meter time `now`. */
export function entryTimes(p: ProfileDefinition, now: Date): Date[] {
  const out: Date[] = [];
  for (let t = newestEntry(p, now), i = 0; i < p.profileEntries && t.getTime() >= READS_EPOCH_MS; i++, t = stepBack(p, t)) out.push(t);
  return out.reverse();
}

/** Entry times within [from, to] (inclusive), oldest first; computed without walking the whole buffer for fixed periods. */
function entryTimesIn(p: ProfileDefinition, now: Date, from: Date, to: Date): Date[] {
  if (p.capturePeriod !== 0 && p.capturePeriod !== 86_400) {
    const ms = p.capturePeriod * 1000;
    const newest = newestEntry(p, now).getTime();
    const oldest = Math.max(newest - (p.profileEntries - 1) * ms, Math.ceil(READS_EPOCH_MS / ms) * ms);
    const first = Math.max(oldest, Math.ceil(from.getTime() / ms) * ms);
    const last = Math.min(newest, Math.floor(to.getTime() / ms) * ms);
    const out: Date[] = [];
    for (let t = first; t <= last; t += ms) out.push(new Date(t));
    return out;
  }
  return entryTimes(p, now).filter((t) => t >= from && t <= to);
}

/** One buffer entry at entry time `t`, every column of the profile. */
export function profileEntry(meter: MeterState, p: ProfileDefinition, t: Date): DlmsData[] {
  let energy: EnergyRegisters | undefined;
  return p.columns.map(({ meaning: m }) => {
    switch (m.role) {
      case 'clock':
        return Data.octetString(encodeZonedDateTime(t, PROFILE_ZONE));
      case 'amr-status':
        return Data.unsigned(amrStatus(meter, t));
      case 'energy': {
        const r = (energy ??= energyRegisters(meter, t));
        const v = m.field === 'import' ? r.importTariff1 + r.importTariff2 : m.field === 'export' ? r.exportTariff1 + r.exportTariff2 : r[m.field];
        return Data.doubleLongUnsigned(v);
      }
      case 'mbus-value':
      case 'mbus-capture-time': {
        const g = meter.channels[m.channel - 1];
        if (!g) return Data.nullData();
        const v = mbusValue(meter, g.identification, t);
        return m.role === 'mbus-value' ? Data.doubleLongUnsigned(v.litres) : Data.octetString(encodeZonedDateTime(v.capturedAt, PROFILE_ZONE));
      }
    }
  });
}

/**
 * The buffer as a GET with this access selection returns it. Only the entries a range on the clock's time can
 * select are computed; other selections are applied to the whole (bounded) buffer.
 */
export function profileBuffer(meter: MeterState, p: ProfileDefinition, now: Date, access?: AccessSelection): DlmsData | { refused: number } {
  let selection: BufferSelection | undefined;
  try {
    selection = access ? bufferSelectionFrom(access) : undefined;
    const window = selection?.kind === 'range' ? timeWindow(selection.range, CLOCK_TIME) : null;
    const times = window ? entryTimesIn(p, now, window.from, window.to) : entryTimes(p, now);
    const rows = times.map((t) => profileEntry(meter, p, t));
    const picked = selectBuffer(rows, p.columns.map((c) => c.capture), selection);
    return bufferToData(picked.rows);
  } catch (e) {
    if (isMeterfabricError(e) && typeof e.details?.result === 'number') return { refused: e.details.result };
    if (isMeterfabricError(e)) return { refused: DataAccessResult.OTHER_REASON };
    throw e;
  }
}

const M3_LITRES = (scalerUnitToData({ scaler: -3, unit: Unit.CUBIC_METRE }) as { value: DlmsData[] }).value;

/** Attribute values of a profile at meter time `now` (buffer through `profileBuffer`). */
export function profileAttributes(meter: MeterState, p: ProfileDefinition, now: Date) {
  return {
    capture_objects: () => (captureObjectsToData(p.columns.map((c) => c.capture)) as { value: DlmsData[] }).value,
    capture_period: () => p.capturePeriod,
    sort_method: () => 1,
    sort_object: () => [Data.longUnsigned(0), Data.octetString(Buffer.alloc(6)), Data.integer(0), Data.longUnsigned(0)],
    entries_in_use: () => entryTimes(p, now).length,
    profile_entries: () => p.profileEntries,
  };
}

/** SMR 5's hourly M-Bus value 0-c:24.2.2.255 (class 4), captured on the hour: consistent with the gas profiles. */
export function hourlyMbusValue(meter: MeterState, channel: number, now: Date): { value: DlmsData; captureTime: Buffer } | undefined {
  const g = meter.channels[channel - 1];
  if (!g) return undefined;
  const hour = new Date(Math.max(READS_EPOCH_MS, Math.floor(now.getTime() / 3_600_000) * 3_600_000));
  const v = mbusValue(meter, g.identification, hour);
  return { value: Data.doubleLongUnsigned(v.litres), captureTime: encodeZonedDateTime(v.capturedAt, PROFILE_ZONE) };
}

export const HOURLY_MBUS_SCALER_UNIT = M3_LITRES;
