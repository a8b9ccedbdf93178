/**
 * The simulated meter's configuration object (class 1, 0-1:94.31.3.255, src/cosem/configuration-object.ts).
 * Initial values (src/simulator/README.md): DSMR 4 profile `structure{enum 1 (ALWAYS_ON), bit-string(16) 52 00}`
 * (flags 1, 3 and 6: DISCOVER_ON_POWER_ON, PO_ENABLE, HLS_5_ON_P3_ENABLE); SMR 5 profile `bit-string(16) 12 20`
 * (flags 3, 6 and 10: PO_ENABLE, HLS_5_ON_P3_ENABLE, DIRECT_ATTACH_AT_POWER_ON). A write must have the profile's
 * layout (else type-unmatched); the structure layout also takes the flags alone, keeping the GPRS operation mode.
 */
import { type DlmsData, Data } from '../dlms/axdr.ts';
import { DataAccessResult } from '../dlms/apdu/common.ts';
import type { MeterState } from './meter.ts';

export function initialConfigurationObject(profile: MeterState['profile']): DlmsData {
  return profile === 'dsmr4'
    ? Data.structure([Data.enum(1), Data.bitString(Buffer.from([0x52, 0x00]), 16)])
    : Data.bitString(Buffer.from([0x12, 0x20]), 16);
}

export function readConfigurationObject(m: MeterState): DlmsData {
  return m.configurationObject ?? initialConfigurationObject(m.profile);
}

const isFlags = (d: DlmsData | undefined): boolean => d?.type === 'bit-string' && d.bitLength === 16;

export function writeConfigurationObject(m: MeterState, v: DlmsData): number {
  if (m.profile === 'smr5') {
    if (!isFlags(v)) return DataAccessResult.TYPE_UNMATCHED;
    m.configurationObject = v;
    return DataAccessResult.SUCCESS;
  }
  if (isFlags(v)) {
    const current = readConfigurationObject(m) as { value: DlmsData[] };
    m.configurationObject = Data.structure([current.value[0]!, v]);
    return DataAccessResult.SUCCESS;
  }
  if (v.type !== 'structure' || v.value.length !== 2 || v.value[0]!.type !== 'enum' || !isFlags(v.value[1])) return DataAccessResult.TYPE_UNMATCHED;
  m.configurationObject = v;
  return DataAccessResult.SUCCESS;
}
