/**
 * The simulated meter's alarm registers (docs/monitoring.md#simulated-alarm-registers): class 1, double-long-unsigned.
 * Until the client writes one, a register holds a value derived from the meter seed s (./registers.ts):
 * register 1 = POWER_UP (bit 2) | COMMUNICATION_ERROR_M_BUS_CHANNEL_(s mod 4 + 1) (bit 16 + s mod 4), plus
 * FRAUD_ATTEMPT (bit 13) when s is odd; register 2 (SMR 5) = VOLTAGE_SAG_IN_PHASE_DETECTED_L(s mod 3 + 1) (bit s mod 3); register 3 (SMR 5) = 0.
 * A SET of attribute 2 stores the value written (GXF clears with 0); it is kept in the meter state (and its file).
 */
import type { MeterState } from './meter.ts';
import { meterSeed } from './registers.ts';

export function alarmRegisterNumbers(meter: MeterState): number[] {
  return meter.profile === 'smr5' ? [1, 2, 3] : [1];
}

export function derivedAlarmRegister(seed: number, register: number): number {
  if (register === 1) return ((1 << 2) | (1 << (16 + (seed % 4))) | (seed % 2 === 1 ? 1 << 13 : 0)) >>> 0;
  if (register === 2) return (1 << (seed % 3)) >>> 0;
  return 0;
}

export function alarmRegisterValue(meter: MeterState, register: number): number {
  return meter.alarmRegisters?.[register] ?? derivedAlarmRegister(meterSeed(meter), register);
}

export function writeAlarmRegister(meter: MeterState, register: number, value: number): void {
  meter.alarmRegisters = { ...(meter.alarmRegisters ?? {}), [register]: value >>> 0 };
}
