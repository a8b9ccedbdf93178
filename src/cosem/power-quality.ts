/**
 * Power-quality objects (docs/monitoring.md#power-quality): the registers and counters GetActualPowerQuality reads
 * and the power-quality profiles GetPowerQualityProfile reads, per protocol family, with GXF's PUBLIC/PRIVATE split
 * and its scaler_units (OSGP/open-smart-grid-platform, osgp/protocol-adapter-dlms/osgp-dlms
 * src/main/resources/dlmsprofiles/dlmsprofile-dsmr422.json and dlmsprofile-smr500.json, properties PQ_PROFILE and
 * PQ_REQUEST). OBIS codes as DSMR 4.2.2 P3 / SMR 5.0 P3 "Power quality" (IEC 62056-6-1 value groups C 31/51/71
 * current, 32/52/72 voltage, D 7 instantaneous, 24 average, 4 SMR 5's average powers).
 *
 * * `scalerUnit` is the scaler_unit GXF takes from its profile (the meter's is not read); `undefined` = read
 *   attribute 3 from the meter (DSMR 4.2.2's instantaneous voltage, which GXF marks DYNAMIC).
 * * `polyphaseOnly`: the L2/L3 objects, which GXF requests from polyphase meters only.
 */
import { Obis } from '../dlms/obis.ts';
import { Unit, type ScalerUnit } from '../dlms/scaler-unit.ts';
import { captureObject, type CaptureObjectDefinition } from '../dlms/selective-access.ts';
import { ClockClass } from './classes/clock.ts';
import { DataClass } from './classes/data.ts';
import { ProfileGenericClass } from './classes/profile-generic.ts';
import { RegisterClass } from './classes/register.ts';
import { WellKnownObis } from './objects.ts';

export type PqFamily = 'dsmr4' | 'smr5';
export type PqProfileType = 'PUBLIC' | 'PRIVATE';
export const PQ_PROFILE_TYPES: readonly PqProfileType[] = ['PUBLIC', 'PRIVATE'];

export interface PqObject {
  /** GXF's tag, reported as the object's Name. */
  tag: string;
  classId: number;
  obis: Obis;
  profileType: PqProfileType;
  polyphaseOnly: boolean;
  /** Fixed scaler_unit (registers); undefined for a register = read from the meter; Data objects have none. */
  scalerUnit?: ScalerUnit;
  /** What the simulator keeps here (its values are derived from it). */
  kind: 'voltage' | 'current' | 'power' | 'count';
}

/** The family of a gateway protocol for power quality: SMR 4.3 inherits DSMR 4.2.2's objects. */
export function pqFamily(protocol: string): PqFamily | undefined {
  if (/^(DSMR (2\.2|4\.2\.2)|SMR 4\.3)$/.test(protocol)) return 'dsmr4';
  if (/^SMR 5(\.\d+)*$/.test(protocol)) return 'smr5';
  return undefined;
}

const PHASES = [1, 2, 3] as const;
const c = (phase: number, base: number) => base + 20 * (phase - 1);

function phased(
  tag: string,
  classId: PqObject['classId'],
  cBase: number,
  d: number,
  profileType: PqProfileType,
  kind: PqObject['kind'],
  scalerUnit: ScalerUnit | undefined,
): PqObject[] {
  return PHASES.map((p) => ({
    tag: `${tag}_L${p}`,
    classId,
    obis: Obis.of(1, 0, c(p, cBase), d, 0, 255),
    profileType,
    polyphaseOnly: p !== 1,
    kind,
    ...(scalerUnit ? { scalerUnit } : {}),
  }));
}

const V = (scaler: number): ScalerUnit => ({ scaler, unit: Unit.VOLT });
const A = (scaler: number): ScalerUnit => ({ scaler, unit: Unit.AMPERE });
const W: ScalerUnit = { scaler: 0, unit: Unit.WATT };
const VAR: ScalerUnit = { scaler: 0, unit: Unit.VAR };

function single(tag: string, classId: PqObject['classId'], obis: string, profileType: PqProfileType, kind: PqObject['kind'], scalerUnit?: ScalerUnit): PqObject {
  return { tag, classId, obis: Obis.parse(obis), profileType, polyphaseOnly: false, kind, ...(scalerUnit ? { scalerUnit } : {}) };
}

function objects(f: PqFamily): PqObject[] {
  const smr5 = f === 'smr5';
  const avgPowerD = smr5 ? 4 : 24;
  return [
    ...phased('INSTANTANEOUS_VOLTAGE', RegisterClass.classId, 32, 7, 'PUBLIC', 'voltage', smr5 ? V(-1) : undefined),
    ...phased('AVERAGE_VOLTAGE', RegisterClass.classId, 32, 24, 'PUBLIC', 'voltage', V(smr5 ? -1 : 0)),
    single('NUMBER_OF_POWER_FAILURES', DataClass.classId, '0-0:96.7.21.255', 'PUBLIC', 'count'),
    single('NUMBER_OF_LONG_POWER_FAILURES', DataClass.classId, '0-0:96.7.9.255', 'PUBLIC', 'count'),
    ...phased('NUMBER_OF_VOLTAGE_SAGS_FOR', DataClass.classId, 32, 32, 'PUBLIC', 'count', undefined),
    ...phased('NUMBER_OF_VOLTAGE_SWELLS_FOR', DataClass.classId, 32, 36, 'PUBLIC', 'count', undefined),
    ...phased('INSTANTANEOUS_CURRENT', RegisterClass.classId, 31, 7, 'PRIVATE', 'current', A(smr5 ? -2 : 0)),
    ...phased('AVERAGE_CURRENT', RegisterClass.classId, 31, 24, 'PRIVATE', 'current', A(smr5 ? -2 : 0)),
    single('INSTANTANEOUS_ACTIVE_CURRENT_TOTAL_OVER_ALL_PHASES', RegisterClass.classId, '1-0:90.7.0.255', 'PRIVATE', 'current', A(smr5 ? -2 : 0)),
    single('INSTANTANEOUS_ACTIVE_POWER_IMPORT', RegisterClass.classId, '1-0:1.7.0.255', 'PRIVATE', 'power', W),
    single('INSTANTANEOUS_ACTIVE_POWER_EXPORT', RegisterClass.classId, '1-0:2.7.0.255', 'PRIVATE', 'power', W),
    ...phased('INSTANTANEOUS_ACTIVE_POWER_IMPORT', RegisterClass.classId, 21, 7, 'PRIVATE', 'power', W),
    ...phased('INSTANTANEOUS_ACTIVE_POWER_EXPORT', RegisterClass.classId, 22, 7, 'PRIVATE', 'power', W),
    ...phased('AVERAGE_ACTIVE_POWER_IMPORT', RegisterClass.classId, 21, avgPowerD, 'PRIVATE', 'power', W),
    ...phased('AVERAGE_ACTIVE_POWER_EXPORT', RegisterClass.classId, 22, avgPowerD, 'PRIVATE', 'power', W),
    ...phased('AVERAGE_REACTIVE_POWER_IMPORT', RegisterClass.classId, 23, avgPowerD, 'PRIVATE', 'power', VAR),
    ...phased('AVERAGE_REACTIVE_POWER_EXPORT', RegisterClass.classId, 24, avgPowerD, 'PRIVATE', 'power', VAR),
  ];
}

const ALL: Record<PqFamily, readonly PqObject[]> = { dsmr4: objects('dsmr4'), smr5: objects('smr5') };

/** Every power-quality object of a family (what the simulator serves), in GXF's profile-file order. */
export function powerQualityObjects(f: PqFamily): readonly PqObject[] {
  return ALL[f];
}

/** The objects GetActualPowerQuality reads after the clock: the requested type, L2/L3 only for polyphase meters. */
export function actualPowerQualityObjects(f: PqFamily, type: PqProfileType, polyphase: boolean): PqObject[] {
  return ALL[f].filter((o) => o.profileType === type && (polyphase || !o.polyphaseOnly));
}

/** What the simulated meter holds in the scaler_unit of a register GXF reads from the meter (DSMR 4.2.2 voltage). */
export const METER_VOLTAGE_SCALER_UNIT: ScalerUnit = V(-1);

// ---------------------------------------------------------------------------------------------------------------
// Power-quality profiles (class 7)

export interface PqProfile {
  /** GXF's tag. */
  tag: 'DEFINABLE_LOAD_PROFILE' | 'POWER_QUALITY_PROFILE_1' | 'POWER_QUALITY_PROFILE_2';
  obis: Obis;
  /** capture_period, seconds. */
  capturePeriod: number;
  profileEntries: number;
  /** The objects after the clock column that the (simulated) meter captures, as class 1 / class 3 attribute 2. */
  captured: readonly PqObject[];
}

export const PqProfileObis = {
  DEFINABLE_LOAD_PROFILE: Obis.parse('0-1:94.31.6.255'),
  POWER_QUALITY_PROFILE_1: Obis.parse('1-0:99.1.1.255'),
  POWER_QUALITY_PROFILE_2: Obis.parse('1-0:99.1.2.255'),
} as const;

function byTag(f: PqFamily, ...tags: string[]): PqObject[] {
  return tags.flatMap((t) => ALL[f].filter((o) => o.tag === t || o.tag.startsWith(`${t}_L`)));
}

function profilesOf(f: PqFamily): PqProfile[] {
  const dlp: PqProfile = {
    tag: 'DEFINABLE_LOAD_PROFILE',
    obis: PqProfileObis.DEFINABLE_LOAD_PROFILE,
    capturePeriod: 900,
    profileEntries: 960,
    captured: byTag(f, 'NUMBER_OF_VOLTAGE_SAGS_FOR', 'NUMBER_OF_VOLTAGE_SWELLS_FOR', 'NUMBER_OF_POWER_FAILURES', 'NUMBER_OF_LONG_POWER_FAILURES'),
  };
  if (f === 'dsmr4') return [dlp];
  return [
    dlp,
    {
      tag: 'POWER_QUALITY_PROFILE_1',
      obis: PqProfileObis.POWER_QUALITY_PROFILE_1,
      capturePeriod: 900,
      profileEntries: 960,
      captured: byTag(f, 'AVERAGE_ACTIVE_POWER_IMPORT', 'AVERAGE_ACTIVE_POWER_EXPORT', 'AVERAGE_REACTIVE_POWER_IMPORT', 'AVERAGE_REACTIVE_POWER_EXPORT'),
    },
    {
      tag: 'POWER_QUALITY_PROFILE_2',
      obis: PqProfileObis.POWER_QUALITY_PROFILE_2,
      capturePeriod: 600,
      profileEntries: 1440,
      captured: [...byTag(f, 'AVERAGE_VOLTAGE'), byTag(f, 'INSTANTANEOUS_VOLTAGE')[0]!, ...byTag(f, 'AVERAGE_CURRENT'), byTag(f, 'INSTANTANEOUS_CURRENT')[0]!],
    },
  ];
}

const PROFILES: Record<PqFamily, readonly PqProfile[]> = { dsmr4: profilesOf('dsmr4'), smr5: profilesOf('smr5') };

/** The power-quality profiles a family's meters keep (and GetPowerQualityProfile considers), in GXF's order. */
export function powerQualityProfiles(f: PqFamily): readonly PqProfile[] {
  return PROFILES[f];
}

/** The capture_objects of a profile: the clock's time, then attribute 2 of each captured object. */
export function pqCaptureObjects(p: PqProfile): CaptureObjectDefinition[] {
  return [
    captureObject(ClockClass.classId, WellKnownObis.CLOCK, 2),
    ...p.captured.map((o) => captureObject(o.classId, o.obis, 2)),
  ];
}

export const PQ_PROFILE_CLASS_ID = ProfileGenericClass.classId;
