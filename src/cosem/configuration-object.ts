/**
 * The DSMR/SMR configuration object (class 1 "Data", 0-1:94.31.3.255, attribute 2) and its layouts per protocol
 * (DSMR 4.2.2 P3 and SMR 4.3/5.x P3 companion standards, "Configuration object"; GXF's ConfigurationFlagTypeDto in
 * OSGP/open-smart-grid-platform osgp-dto-smartmetering):
 *
 * - DSMR 4.2.2 and SMR 4.3: `structure{enum gprs_operation_mode (1 ALWAYS_ON, 2 TRIGGERED), bit-string(16) flags}`;
 * - SMR 5.x: `bit-string(16) flags` only (no GPRS operation mode).
 *
 * Flag bit 0 is the most significant bit of the first byte. Used by the operations (read, merge, write) and by the
 * simulator (initial value, type check of a write).
 */
import { type DlmsData, Data } from '../dlms/axdr.ts';
import { Obis } from '../dlms/obis.ts';
import { ErrorCode, MeterfabricError } from '../errors.ts';

export const CONFIGURATION_OBJECT_OBIS = Obis.parse('0-1:94.31.3.255');

/** GXF's ConfigurationFlagType names (configuration-ws-smartmetering.xsd), in the schema's order. */
export const CONFIGURATION_FLAG_TYPES = [
  'DISCOVER_ON_OPEN_COVER',
  'DISCOVER_ON_POWER_ON',
  'DYNAMIC_MBUS_ADDRESS',
  'PO_ENABLE',
  'HLS_3_ON_P3_ENABLE',
  'HLS_4_ON_P3_ENABLE',
  'HLS_5_ON_P3_ENABLE',
  'HLS_3_ON_P0_ENABLE',
  'HLS_4_ON_P0_ENABLE',
  'HLS_5_ON_P0_ENABLE',
  'DIRECT_ATTACH_AT_POWER_ON',
  'HLS_6_ON_P3_ENABLE',
  'HLS_7_ON_P3_ENABLE',
  'HLS_6_ON_P0_ENABLE',
  'HLS_7_ON_P0_ENABLE',
] as const;
export type ConfigurationFlagType = (typeof CONFIGURATION_FLAG_TYPES)[number];

export const GPRS_OPERATION_MODES = { 1: 'ALWAYS_ON', 2: 'TRIGGERED' } as const;
export type GprsOperationMode = (typeof GPRS_OPERATION_MODES)[1 | 2];

/** 'structure' = DSMR 4.2.2 / SMR 4.3, 'bit-string' = SMR 5.x. */
export type ConfigurationLayout = 'structure' | 'bit-string';

export interface ConfigurationProfile {
  layout: ConfigurationLayout;
  /** Bit index per flag this protocol defines. */
  bits: Partial<Record<ConfigurationFlagType, number>>;
}

const DSMR4_BITS: ConfigurationProfile['bits'] = {
  DISCOVER_ON_OPEN_COVER: 0, DISCOVER_ON_POWER_ON: 1, DYNAMIC_MBUS_ADDRESS: 2, PO_ENABLE: 3,
  HLS_3_ON_P3_ENABLE: 4, HLS_4_ON_P3_ENABLE: 5, HLS_5_ON_P3_ENABLE: 6,
  HLS_3_ON_P0_ENABLE: 7, HLS_4_ON_P0_ENABLE: 8, HLS_5_ON_P0_ENABLE: 9,
};
const SMR43_BITS: ConfigurationProfile['bits'] = { ...DSMR4_BITS, DIRECT_ATTACH_AT_POWER_ON: 10 };
const SMR5_BITS: ConfigurationProfile['bits'] = {
  PO_ENABLE: 3, HLS_5_ON_P3_ENABLE: 6, HLS_5_ON_P0_ENABLE: 9, DIRECT_ATTACH_AT_POWER_ON: 10,
  HLS_6_ON_P3_ENABLE: 11, HLS_7_ON_P3_ENABLE: 12, HLS_6_ON_P0_ENABLE: 13, HLS_7_ON_P0_ENABLE: 14,
};

/** The layout and flag positions of a protocol ("DSMR 4.2.2", "SMR 4.3", "SMR 5.1"); undefined when it has no configuration object (DSMR 2.2). */
export function configurationProfileOf(protocol: string): ConfigurationProfile | undefined {
  if (/^SMR 5/.test(protocol)) return { layout: 'bit-string', bits: SMR5_BITS };
  if (/^SMR 4\.3/.test(protocol)) return { layout: 'structure', bits: SMR43_BITS };
  if (/^DSMR 4/.test(protocol)) return { layout: 'structure', bits: DSMR4_BITS };
  return undefined;
}

/** The decoded value: the 16 flag bits (bit 0 first) and, in the structure layout, the GPRS operation mode number. */
export interface ConfigurationValue {
  gprsOperationMode?: number;
  bits: boolean[];
}

const FLAG_BITS = 16;

function bitsOf(d: DlmsData): boolean[] {
  if (d.type !== 'bit-string') throw new MeterfabricError(ErrorCode.DECODE_ERROR, `configuration object flags: expected bit-string, got ${d.type}`);
  const out: boolean[] = [];
  for (let i = 0; i < FLAG_BITS; i++) out.push(i < d.bitLength && ((d.value[i >> 3] ?? 0) & (0x80 >> (i & 7))) !== 0);
  return out;
}

function bitString(bits: readonly boolean[]): DlmsData {
  const b = Buffer.alloc(FLAG_BITS / 8);
  bits.forEach((on, i) => {
    if (on && i < FLAG_BITS) b[i >> 3]! |= 0x80 >> (i & 7);
  });
  return Data.bitString(b, FLAG_BITS);
}

/** Reads attribute 2 as the layout requires; a value of the other layout is an error (as GXF refuses it). */
export function decodeConfigurationObject(d: DlmsData, layout: ConfigurationLayout): ConfigurationValue {
  if (layout === 'bit-string') return { bits: bitsOf(d) };
  if (d.type !== 'structure' || d.value.length !== 2) throw new MeterfabricError(ErrorCode.DECODE_ERROR, `configuration object: expected structure{enum, bit-string}, got ${d.type}`);
  const [mode, flags] = d.value as [DlmsData, DlmsData];
  if (mode.type !== 'enum') throw new MeterfabricError(ErrorCode.DECODE_ERROR, `configuration object GPRS operation mode: expected enum, got ${mode.type}`);
  return { gprsOperationMode: mode.value, bits: bitsOf(flags) };
}

/**
 * Attribute 2 in the layout. In the structure layout without a GPRS operation mode GXF sends the flags alone
 * (SetConfigurationObjectService: the mode is omitted when neither the request nor the meter has one).
 */
export function encodeConfigurationObject(v: ConfigurationValue, layout: ConfigurationLayout): DlmsData {
  if (layout === 'bit-string' || v.gprsOperationMode === undefined) return bitString(v.bits);
  return Data.structure([Data.enum(v.gprsOperationMode), bitString(v.bits)]);
}

/** Every flag the protocol defines: the set ones first in bit order, then the others with false (GXF's Get answer). */
export function flagsOf(v: ConfigurationValue, profile: ConfigurationProfile): { configurationFlagType: ConfigurationFlagType; enabled: boolean }[] {
  const defined = CONFIGURATION_FLAG_TYPES.filter((t) => profile.bits[t] !== undefined).sort((a, b) => profile.bits[a]! - profile.bits[b]!);
  const on = defined.filter((t) => v.bits[profile.bits[t]!]);
  return [...on.map((t) => ({ configurationFlagType: t, enabled: true })), ...defined.filter((t) => !on.includes(t)).map((t) => ({ configurationFlagType: t, enabled: false }))];
}
