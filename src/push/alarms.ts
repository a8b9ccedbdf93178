/**
 * Alarm register bit maps (docs/push.md#alarm-registers; GXF AlarmTypeRegisterLookup). Bit 0 is the least significant bit of
 * the big-endian 4-byte register value. Names are GXF's AlarmType enumeration.
 */

const REGISTER_1: Record<number, string> = {
  0: 'CLOCK_INVALID',
  1: 'REPLACE_BATTERY',
  2: 'POWER_UP',
  3: 'AUXILIARY_EVENT',
  4: 'CONFIGURATION_CHANGED',
  8: 'PROGRAM_MEMORY_ERROR',
  9: 'RAM_ERROR',
  10: 'NV_MEMORY_ERROR',
  11: 'MEASUREMENT_SYSTEM_ERROR',
  12: 'WATCHDOG_ERROR',
  13: 'FRAUD_ATTEMPT',
  16: 'COMMUNICATION_ERROR_M_BUS_CHANNEL_1',
  17: 'COMMUNICATION_ERROR_M_BUS_CHANNEL_2',
  18: 'COMMUNICATION_ERROR_M_BUS_CHANNEL_3',
  19: 'COMMUNICATION_ERROR_M_BUS_CHANNEL_4',
  20: 'FRAUD_ATTEMPT_M_BUS_CHANNEL_1',
  21: 'FRAUD_ATTEMPT_M_BUS_CHANNEL_2',
  22: 'FRAUD_ATTEMPT_M_BUS_CHANNEL_3',
  23: 'FRAUD_ATTEMPT_M_BUS_CHANNEL_4',
  24: 'NEW_M_BUS_DEVICE_DISCOVERED_CHANNEL_1',
  25: 'NEW_M_BUS_DEVICE_DISCOVERED_CHANNEL_2',
  26: 'NEW_M_BUS_DEVICE_DISCOVERED_CHANNEL_3',
  27: 'NEW_M_BUS_DEVICE_DISCOVERED_CHANNEL_4',
  28: 'PHASE_OUTAGE_DETECTED_L1',
  29: 'PHASE_OUTAGE_DETECTED_L2',
  30: 'PHASE_OUTAGE_DETECTED_L3',
  31: 'PHASE_OUTAGE_TEST_INDICATION',
};

const REGISTER_2: Record<number, string> = {
  0: 'VOLTAGE_SAG_IN_PHASE_DETECTED_L1',
  1: 'VOLTAGE_SAG_IN_PHASE_DETECTED_L2',
  2: 'VOLTAGE_SAG_IN_PHASE_DETECTED_L3',
  3: 'VOLTAGE_SWELL_IN_PHASE_DETECTED_L1',
  4: 'VOLTAGE_SWELL_IN_PHASE_DETECTED_L2',
  5: 'VOLTAGE_SWELL_IN_PHASE_DETECTED_L3',
  8: 'THD_OVERLIMIT_IN_PHASE_L1',
  9: 'THD_OVERLIMIT_IN_PHASE_L2',
  10: 'THD_OVERLIMIT_IN_PHASE_L3',
  11: 'THD_LONG_OVERLIMIT_IN_PHASE_L1',
  12: 'THD_LONG_OVERLIMIT_IN_PHASE_L2',
  13: 'THD_LONG_OVERLIMIT_IN_PHASE_L3',
};

const REGISTER_3: Record<number, string> = { 0: 'LAST_GASP', 1: 'LAST_GASP_TEST' };

export type AlarmRegister = 1 | 2 | 3;

export interface DecodedAlarms {
  alarms: string[];
  /** Bits set that have no meaning in the register's map. GXF drops the whole push then; we report them. */
  unknownBits: number[];
}

export function decodeAlarmRegister(register: AlarmRegister, value: number): DecodedAlarms {
  const map = register === 1 ? REGISTER_1 : register === 2 ? REGISTER_2 : REGISTER_3;
  const alarms: string[] = [];
  const unknownBits: number[] = [];
  for (let bit = 0; bit < 32; bit++) {
    if (((value >>> bit) & 1) === 0) continue;
    const name = map[bit];
    if (name) alarms.push(name);
    else unknownBits.push(bit);
  }
  return { alarms, unknownBits };
}

/** The M-Bus channel (1..4) of a NEW_M_BUS_DEVICE_DISCOVERED_CHANNEL_x alarm, else undefined. */
export function newMbusDeviceChannel(alarm: string): number | undefined {
  const m = /^NEW_M_BUS_DEVICE_DISCOVERED_CHANNEL_([1-4])$/.exec(alarm);
  return m ? Number(m[1]) : undefined;
}

/** The alarm register (1..3) and bit of a GXF AlarmType name, or undefined for a name no register has. */
export function alarmBitOf(alarm: string): { register: AlarmRegister; bit: number } | undefined {
  for (const [register, map] of [[1, REGISTER_1], [2, REGISTER_2], [3, REGISTER_3]] as const) {
    for (const [bit, name] of Object.entries(map)) if (name === alarm) return { register, bit: Number(bit) };
  }
  return undefined;
}

/**
 * A new alarm filter value (GXF SetAlarmNotificationsCommandExecutor; docs/gxf.md#setalarmnotifications): `current`
 * with the bit of every requested alarm of this register set (enabled) or cleared; alarms of other registers are
 * left out.
 */
export function alarmFilterValue(register: AlarmRegister, current: number, requested: readonly { alarmType: string; enabled: boolean }[]): number {
  let value = current >>> 0;
  for (const r of requested) {
    const at = alarmBitOf(r.alarmType);
    if (!at || at.register !== register) continue;
    value = r.enabled ? (value | (1 << at.bit)) >>> 0 : (value & ~(1 << at.bit)) >>> 0;
  }
  return value;
}
