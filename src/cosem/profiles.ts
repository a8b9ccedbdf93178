/**
 * The load profiles (class 7) meterfabric reads and its simulator serves, per protocol family, with what each column
 * means (docs/dlms.md#load-profiles). Object lists as DSMR 4.2.2 P3 "Load profiles" / SMR 5.0 P3 "Profiles" and as
 * GXF reads them (DlmsObjectConfigDsmr422 / DlmsObjectConfigSmr50 and dlmsprofile-*.json in
 * OSGP/open-smart-grid-platform, osgp/protocol-adapter-dlms):
 *
 * | period   | DSMR 4.2.2 (and 2.2)                                              | SMR 5.x                                             |
 * |----------|-------------------------------------------------------------------|-----------------------------------------------------|
 * | INTERVAL | 1-0:99.1.0.255, 900 s: clock, AMR 0-0:96.10.2, 1.8.0, 2.8.0       | same                                                |
 * | DAILY    | 1-0:99.2.0.255: clock, AMR 0-0:96.10.2, 1.8.1, 1.8.2, 2.8.1, 2.8.2, 0-c:24.2.1 value + capture time, c = 1..4 | 1-0:99.2.0.255: clock, AMR 0-0:96.10.4, four tariffs |
 * | MONTHLY  | 0-0:98.1.0.255: clock, four tariffs, 0-c:24.2.1 value + capture time (no AMR) | 1-0:98.1.0.255: clock, AMR 0-0:96.10.6, four tariffs |
 * | gas hour | 0-c:24.3.0.255, 3600 s: clock, AMR 0-c:96.10.3, 0-c:24.2.1 value + capture time | same with 0-c:24.2.2            |
 * | gas day  | the daily E profile (combined)                                     | 0-c:24.3.1.255: clock, AMR 0-c:96.10.5, 0-c:24.2.2 |
 * | gas month| the monthly E profile (combined)                                   | 0-c:24.3.2.255: clock, AMR 0-c:96.10.7, 0-c:24.2.2 |
 */
import { Obis } from '../dlms/obis.ts';
import { captureObject, type CaptureObjectDefinition } from '../dlms/selective-access.ts';
import { ClockClass } from './classes/clock.ts';
import { DataClass } from './classes/data.ts';
import { ExtendedRegisterClass } from './classes/extended-register.ts';
import { RegisterClass } from './classes/register.ts';
import { attributeOf } from './model.ts';
import { CLOCK_TIME, EnergyRegisterObis, MBUS_CHANNELS, mbusMasterValueObis } from './objects.ts';

export type ProfileFamily = 'dsmr4' | 'smr5';
export type PeriodType = 'INTERVAL' | 'DAILY' | 'MONTHLY';
export const PERIOD_TYPES: readonly PeriodType[] = ['DAILY', 'MONTHLY', 'INTERVAL'];

export type EnergyField = 'import' | 'export' | 'importTariff1' | 'importTariff2' | 'exportTariff1' | 'exportTariff2';

/** What a column holds. */
export type ColumnRole =
  | { role: 'clock' }
  | { role: 'amr-status' }
  | { role: 'energy'; field: EnergyField }
  | { role: 'mbus-value'; channel: number }
  | { role: 'mbus-capture-time'; channel: number };

export interface ProfileColumn {
  capture: CaptureObjectDefinition;
  meaning: ColumnRole;
}

export interface ProfileDefinition {
  obis: Obis;
  /** capture_period (attribute 4), seconds; 0 = captured at month end. */
  capturePeriod: number;
  /** profile_entries (attribute 8): how many entries the buffer keeps. */
  profileEntries: number;
  columns: readonly ProfileColumn[];
}

const ENERGY_OBIS: Record<EnergyField, Obis> = {
  import: EnergyRegisterObis.IMPORT,
  export: EnergyRegisterObis.EXPORT,
  importTariff1: EnergyRegisterObis.IMPORT_TARIFF_1,
  importTariff2: EnergyRegisterObis.IMPORT_TARIFF_2,
  exportTariff1: EnergyRegisterObis.EXPORT_TARIFF_1,
  exportTariff2: EnergyRegisterObis.EXPORT_TARIFF_2,
};

export function energyRegisterObis(field: EnergyField): Obis {
  return ENERGY_OBIS[field];
}

/** `0-<ch>:24.2.2.255`: the M-Bus value captured every hour (SMR 5), class 4. */
export function mbusHourlyValueObis(channel: number): Obis {
  mbusMasterValueObis(channel);
  return Obis.of(0, channel, 24, 2, 2, 255);
}

export const ProfileObis = {
  INTERVAL: Obis.parse('1-0:99.1.0.255'),
  DAILY: Obis.parse('1-0:99.2.0.255'),
  MONTHLY_DSMR4: Obis.parse('0-0:98.1.0.255'),
  MONTHLY_SMR5: Obis.parse('1-0:98.1.0.255'),
  AMR_STATUS_INTERVAL: Obis.parse('0-0:96.10.2.255'),
  AMR_STATUS_DAILY_SMR5: Obis.parse('0-0:96.10.4.255'),
  AMR_STATUS_MONTHLY_SMR5: Obis.parse('0-0:96.10.6.255'),
} as const;

/** 0-c:24.3.0/1/2.255 (hourly, daily, monthly gas profile) and their AMR status 0-c:96.10.3/5/7.255. */
function gasObis(channel: number, kind: 0 | 1 | 2): { profile: Obis; status: Obis } {
  return { profile: Obis.of(0, channel, 24, 3, kind, 255), status: Obis.of(0, channel, 96, 10, 3 + 2 * kind, 255) };
}

const VALUE_ATTRIBUTE = attributeOf(RegisterClass, 'value').id;
const CAPTURE_TIME_ATTRIBUTE = attributeOf(ExtendedRegisterClass, 'capture_time').id;
const DATA_VALUE = attributeOf(DataClass, 'value').id;

const clockColumn: ProfileColumn = { capture: CLOCK_TIME, meaning: { role: 'clock' } };
const amrColumn = (obis: Obis): ProfileColumn => ({ capture: captureObject(DataClass.classId, obis, DATA_VALUE), meaning: { role: 'amr-status' } });
const energyColumn = (field: EnergyField): ProfileColumn => ({ capture: captureObject(RegisterClass.classId, ENERGY_OBIS[field], VALUE_ATTRIBUTE), meaning: { role: 'energy', field } });
const mbusColumns = (channel: number, obis: Obis): ProfileColumn[] => [
  { capture: captureObject(ExtendedRegisterClass.classId, obis, VALUE_ATTRIBUTE), meaning: { role: 'mbus-value', channel } },
  { capture: captureObject(ExtendedRegisterClass.classId, obis, CAPTURE_TIME_ATTRIBUTE), meaning: { role: 'mbus-capture-time', channel } },
];
const TARIFFS: EnergyField[] = ['importTariff1', 'importTariff2', 'exportTariff1', 'exportTariff2'];

function define(obis: Obis, capturePeriod: number, profileEntries: number, columns: ProfileColumn[]): ProfileDefinition {
  return Object.freeze({ obis, capturePeriod, profileEntries, columns: Object.freeze(columns) });
}

const INTERVAL = define(ProfileObis.INTERVAL, 900, 960, [clockColumn, amrColumn(ProfileObis.AMR_STATUS_INTERVAL), energyColumn('import'), energyColumn('export')]);
const DSMR4_DAILY = define(ProfileObis.DAILY, 86_400, 40, [
  clockColumn, amrColumn(ProfileObis.AMR_STATUS_INTERVAL), ...TARIFFS.map(energyColumn), ...MBUS_CHANNELS.flatMap((c) => mbusColumns(c, mbusMasterValueObis(c))),
]);
const DSMR4_MONTHLY = define(ProfileObis.MONTHLY_DSMR4, 0, 13, [clockColumn, ...TARIFFS.map(energyColumn), ...MBUS_CHANNELS.flatMap((c) => mbusColumns(c, mbusMasterValueObis(c)))]);
const SMR5_DAILY = define(ProfileObis.DAILY, 86_400, 40, [clockColumn, amrColumn(ProfileObis.AMR_STATUS_DAILY_SMR5), ...TARIFFS.map(energyColumn)]);
const SMR5_MONTHLY = define(ProfileObis.MONTHLY_SMR5, 0, 13, [clockColumn, amrColumn(ProfileObis.AMR_STATUS_MONTHLY_SMR5), ...TARIFFS.map(energyColumn)]);

function gasProfileOf(family: ProfileFamily, channel: number, kind: 0 | 1 | 2): ProfileDefinition {
  const o = gasObis(channel, kind);
  const value = family === 'smr5' ? mbusHourlyValueObis(channel) : mbusMasterValueObis(channel);
  return define(o.profile, [3600, 86_400, 0][kind]!, [240, 40, 13][kind]!, [clockColumn, amrColumn(o.status), ...mbusColumns(channel, value)]);
}

const GAS = {
  dsmr4: MBUS_CHANNELS.map((c) => gasProfileOf('dsmr4', c, 0)),
  smr5: MBUS_CHANNELS.map((c) => [0, 1, 2].map((k) => gasProfileOf('smr5', c, k as 0 | 1 | 2))),
};

/** The E profile GXF reads for a period type. */
export function electricityProfile(family: ProfileFamily, period: PeriodType): ProfileDefinition {
  if (period === 'INTERVAL') return INTERVAL;
  if (period === 'DAILY') return family === 'dsmr4' ? DSMR4_DAILY : SMR5_DAILY;
  return family === 'dsmr4' ? DSMR4_MONTHLY : SMR5_MONTHLY;
}

/** The profile holding a gas meter's values on a channel for a period type (DSMR 4.2.2: daily and monthly are the combined E profiles). */
export function gasProfile(family: ProfileFamily, period: PeriodType, channel: number): ProfileDefinition {
  mbusMasterValueObis(channel);
  if (family === 'dsmr4') return period === 'INTERVAL' ? GAS.dsmr4[channel - 1]! : electricityProfile('dsmr4', period);
  return GAS.smr5[channel - 1]![period === 'INTERVAL' ? 0 : period === 'DAILY' ? 1 : 2]!;
}

/** Every load profile a meter of this family has (the simulator serves these). */
export function loadProfiles(family: ProfileFamily): ProfileDefinition[] {
  const e = (['INTERVAL', 'DAILY', 'MONTHLY'] as const).map((p) => electricityProfile(family, p));
  return family === 'dsmr4' ? [...e, ...GAS.dsmr4] : [...e, ...GAS.smr5.flat()];
}

/** The protocol family of a gateway protocol for profile reads, or undefined (SMR 4.3's E profiles are in none of GXF's configurations). */
export function profileFamily(protocol: string, medium: 'E' | 'G'): ProfileFamily | undefined {
  if (/^DSMR (2\.2|4\.2\.2)$/.test(protocol)) return 'dsmr4';
  if (/^SMR 5(\.\d+)*$/.test(protocol)) return 'smr5';
  if (protocol === 'SMR 4.3' && medium === 'G') return 'dsmr4';
  return undefined;
}

/** Columns that belong to an E read (GXF selects medium ELECTRICITY or no medium and no channel). */
export function isElectricityColumn(c: ProfileColumn): boolean {
  return c.meaning.role === 'clock' || c.meaning.role === 'amr-status' || c.meaning.role === 'energy';
}

/** Columns that belong to the gas read of a channel (clock, status and that channel's value and capture time). */
export function isGasColumn(c: ProfileColumn, channel: number): boolean {
  const m = c.meaning;
  return m.role === 'clock' || m.role === 'amr-status' || ((m.role === 'mbus-value' || m.role === 'mbus-capture-time') && m.channel === channel);
}

/** class/obis/attribute of the clock column, for code that only needs to recognise it. */
export function isClockCapture(c: CaptureObjectDefinition): boolean {
  return c.classId === ClockClass.classId && c.logicalName.equals(CLOCK_TIME.logicalName) && c.attributeIndex === CLOCK_TIME.attributeIndex;
}
