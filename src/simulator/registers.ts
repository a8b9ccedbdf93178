/**
 * The simulated meter's energy registers and M-Bus values (docs/dlms.md#simulator, "Meter reads"): computed from the
 * meter's identity and its clock, so a test predicts them and a fleet costs no memory per meter.
 *
 * * minutes m = whole minutes of the meter clock since 2015-09-01T00:00Z (0 before); seed s = last two bytes of the
 *   system title (0..65535).
 * * Class 3, Wh, scaler 0: 1.8.1 = 1 000 000 + 100·s + 7·m, 1.8.2 = 500 000 + 100·s + 3·m,
 *   2.8.1 = 200 000 + 10·s + 2·m, 2.8.2 = 100 000 + 10·s + m; the totals 1.8.0 and 2.8.0 are the tariff sums.
 * * Class 4 on 0-<ch>:24.2.1.255, m³, scaler −3 (raw = litres): captured every 5 minutes (SMR 5) or every hour
 *   (DSMR 4.2.2) at the last period boundary c of the meter clock; value = 100 000 + 1000·(identification mod 1000)
 *   + 10·(5-minute periods from 2015-09-01T00:00Z to c); capture time = c as local time of Europe/Amsterdam with
 *   its deviation and daylight-saving status. A channel without a device answers object-unavailable.
 */
import type { MeterState } from './meter.ts';

export const READS_EPOCH_MS = Date.UTC(2015, 8, 1);

export function meterSeed(meter: MeterState): number {
  return meter.systemTitle.readUInt16BE(meter.systemTitle.length - 2);
}

function minutesSinceEpoch(at: Date): number {
  return Math.max(0, Math.floor((at.getTime() - READS_EPOCH_MS) / 60_000));
}

export interface EnergyRegisters {
  importTariff1: number;
  importTariff2: number;
  exportTariff1: number;
  exportTariff2: number;
}

/** The four tariff registers (Wh) at meter time `at`. */
export function energyRegisters(meter: MeterState, at: Date): EnergyRegisters {
  const s = meterSeed(meter);
  const m = minutesSinceEpoch(at);
  return {
    importTariff1: 1_000_000 + 100 * s + 7 * m,
    importTariff2: 500_000 + 100 * s + 3 * m,
    exportTariff1: 200_000 + 10 * s + 2 * m,
    exportTariff2: 100_000 + 10 * s + m,
  };
}

/** Capture period of the M-Bus value: 5 minutes on SMR 5, an hour on DSMR 4.2.2. */
export function mbusCapturePeriodMs(meter: MeterState): number {
  return meter.profile === 'smr5' ? 300_000 : 3_600_000;
}

/** The M-Bus value of a G-meter (litres) and its capture instant at meter time `at`. */
export function mbusValue(meter: MeterState, identification: string, at: Date): { litres: number; capturedAt: Date } {
  const period = mbusCapturePeriodMs(meter);
  const captured = Math.max(READS_EPOCH_MS, Math.floor(at.getTime() / period) * period);
  const id = Number.parseInt(identification, 10);
  const base = 100_000 + 1000 * ((Number.isFinite(id) ? id : 0) % 1000);
  return { litres: base + 10 * Math.floor((captured - READS_EPOCH_MS) / 300_000), capturedAt: new Date(captured) };
}
