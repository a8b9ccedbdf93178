/**
 * The simulated meter's event logs (docs/monitoring.md#simulated-event-history): a history computed from the meter's
 * seed and its clock, never stored, so a test predicts it and a fleet of meters costs no memory per meter.
 *
 * Every log l has a slot length P (below) and keeps its newest `capacity` entries (the oldest are overwritten, as a
 * meter's fifo buffer does). Entry 0 is "log cleared" (code 255, auxiliary log 0xFFFF) at 2015-09-01T00:00:00Z;
 * entry n ≥ 1 lies in slot n, at 2015-09-01T00:00:00Z + (n − 1)·P + 1 s + (h(s, l, n, 0) mod (P/1 s − 1)) s, with code
 * codes[h(s, l, n, 1) mod |codes|]. s is the meter seed (./registers.ts), h the 32-bit mix `eventHash` below.
 * Detail columns: communication session counter = n; power-quality extended magnitude (0.1 V) 1800 + h(…, 2) mod 300
 * for a sag, 2530 + h(…, 2) mod 200 for a swell, duration (0.1 s) 10 + h(…, 3) mod 600; THD magnitude (%)
 * 5 + h(…, 2) mod 20. The entries a read sees are those up to the meter's clock. Timestamps are sent as octet-string(12)
 * in Europe/Amsterdam local time with deviation and daylight-saving status.
 *
 * DSMR 4.2.2 meters keep the standard, fraud detection, M-Bus and communication session logs; SMR 5 meters all eight.
 */
import { Data, type DlmsData } from '../dlms/axdr.ts';
import { encodeZonedDateTime } from '../dlms/date-time.ts';
import { bufferSelectionFrom, captureObjectsToData, selectBuffer } from '../dlms/selective-access.ts';
import { DataAccessResult } from '../dlms/apdu/common.ts';
import { isMeterfabricError } from '../errors.ts';
import { EVENT_LOGS, type EventLogCategory, type EventLogDefinition } from '../cosem/index.ts';
import type { MeterProfile, MeterState } from './meter.ts';
import { READS_EPOCH_MS, meterSeed } from './registers.ts';

const HOUR = 3_600_000;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const perChannel = (f: (c: number) => number[]) => [1, 2, 3, 4].flatMap(f);

export interface SimulatedLog {
  /** Index in the mix (l). */
  index: number;
  slotMs: number;
  capacity: number;
  clearedCode: number;
  codes: readonly number[];
  profiles: readonly MeterProfile[];
}

const BOTH: readonly MeterProfile[] = ['dsmr4', 'smr5'];
const SMR5: readonly MeterProfile[] = ['smr5'];

export const SIMULATED_LOGS: Readonly<Record<EventLogCategory, SimulatedLog>> = {
  STANDARD_EVENT_LOG: { index: 0, slotMs: 6 * HOUR, capacity: 100, clearedCode: 255, codes: range(1, 22), profiles: BOTH },
  FRAUD_DETECTION_LOG: { index: 1, slotMs: 24 * HOUR, capacity: 30, clearedCode: 255, codes: range(40, 47), profiles: BOTH },
  COMMUNICATION_SESSION_LOG: { index: 2, slotMs: 24 * HOUR, capacity: 30, clearedCode: 255, codes: range(71, 76), profiles: BOTH },
  M_BUS_EVENT_LOG: { index: 3, slotMs: 12 * HOUR, capacity: 30, clearedCode: 255, codes: perChannel((c) => range(100 + 10 * (c - 1), 107 + 10 * (c - 1))), profiles: BOTH },
  POWER_QUALITY_EVENT_LOG: { index: 4, slotMs: 8 * HOUR, capacity: 30, clearedCode: 255, codes: [25, 99, ...range(77, 92)], profiles: SMR5 },
  AUXILIARY_EVENT_LOG: {
    index: 5,
    slotMs: 24 * HOUR,
    capacity: 100,
    clearedCode: 0xffff,
    codes: perChannel((c) => {
      const h = 0x100 * (c - 1);
      return [...range(0x1000 + h, 0x1007 + h), ...range(0x8080 + h, 0x809f + h), 0x80a0 + h, 0x80a1 + h];
    }),
    profiles: SMR5,
  },
  POWER_QUALITY_EXTENDED_EVENT_LOG: { index: 6, slotMs: 24 * HOUR, capacity: 30, clearedCode: 255, codes: range(93, 98), profiles: SMR5 },
  POWER_QUALITY_THD_EVENT_LOG: { index: 7, slotMs: 24 * HOUR, capacity: 30, clearedCode: 255, codes: range(51, 59), profiles: SMR5 },
};

/** A 32-bit mix of four integers (murmur3's finaliser over a running combination). */
export function eventHash(s: number, l: number, n: number, k: number): number {
  let h = 0x9e3779b9;
  for (const v of [s, l, n, k]) {
    h = Math.imul(h ^ (v >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

export interface SimulatedEvent {
  n: number;
  at: Date;
  code: number;
  /** Detail columns after the code, as raw numbers. */
  details: number[];
}

function eventTime(log: SimulatedLog, seed: number, n: number): number {
  if (n === 0) return READS_EPOCH_MS;
  const seconds = log.slotMs / 1000;
  return READS_EPOCH_MS + (n - 1) * log.slotMs + 1000 + (eventHash(seed, log.index, n, 0) % (seconds - 1)) * 1000;
}

/** The newest entry at or before `t` (−1: none). */
function newestAt(log: SimulatedLog, seed: number, t: number): number {
  if (t < READS_EPOCH_MS) return -1;
  const k = Math.floor((t - READS_EPOCH_MS) / log.slotMs) + 1;
  return eventTime(log, seed, k) <= t ? k : k - 1;
}

export function simulatedEvent(category: EventLogCategory, seed: number, n: number): SimulatedEvent {
  const log = SIMULATED_LOGS[category];
  const at = new Date(eventTime(log, seed, n));
  const h = (k: number) => eventHash(seed, log.index, n, k);
  const code = n === 0 ? log.clearedCode : log.codes[h(1) % log.codes.length]!;
  const details: number[] = [];
  const detail = EVENT_LOGS[category].detail;
  if (detail === 'counter') details.push(n);
  else if (detail === 'magnitude-duration') details.push(n === 0 ? 0 : code <= 95 ? 1800 + (h(2) % 300) : 2530 + (h(2) % 200), n === 0 ? 0 : 10 + (h(3) % 600));
  else if (detail === 'magnitude') details.push(n === 0 ? 0 : 5 + (h(2) % 20));
  return { n, at, code, details };
}

/** The entries a log holds at meter time `now`, oldest first (at most its capacity). */
export function simulatedLogEntries(category: EventLogCategory, seed: number, now: Date): SimulatedEvent[] {
  const log = SIMULATED_LOGS[category];
  const newest = newestAt(log, seed, now.getTime());
  const out: SimulatedEvent[] = [];
  for (let n = Math.max(0, newest - log.capacity + 1); n <= newest; n++) out.push(simulatedEvent(category, seed, n));
  return out;
}

/** The entries of a log from..to (inclusive) at meter time `now`, as a range read on the clock returns them. */
export function simulatedEventsBetween(category: EventLogCategory, seed: number, now: Date, from: Date, to: Date): SimulatedEvent[] {
  return simulatedLogEntries(category, seed, now).filter((e) => e.at.getTime() >= from.getTime() && e.at.getTime() <= to.getTime());
}

function entryData(def: EventLogDefinition, e: SimulatedEvent): DlmsData[] {
  const code = def.category === 'AUXILIARY_EVENT_LOG' ? Data.longUnsigned(e.code) : Data.unsigned(e.code);
  const details = e.details.map((v) => Data.longUnsigned(v));
  return [Data.octetString(encodeZonedDateTime(e.at, 'Europe/Amsterdam')), code, ...details];
}

/** What the simulated meter supplies for one event log: its buffer (selective access by range or entry) and attributes. */
export interface EventLogSupply {
  definition: EventLogDefinition;
  log: SimulatedLog;
  /** Attribute 2, with the access selection of the GET (undefined: the whole buffer). */
  buffer(meter: MeterState, now: Date, access: { selector: number; parameters: DlmsData } | undefined): DlmsData[] | { refused: number };
  captureObjects(): DlmsData[];
  entriesInUse(meter: MeterState, now: Date): number;
}

export function eventLogsOf(profile: MeterProfile): EventLogSupply[] {
  return (Object.keys(SIMULATED_LOGS) as EventLogCategory[])
    .filter((c) => SIMULATED_LOGS[c].profiles.includes(profile))
    .map((category) => {
      const definition = EVENT_LOGS[category];
      const log = SIMULATED_LOGS[category];
      return {
        definition,
        log,
        buffer(meter, now, access) {
          const rows = simulatedLogEntries(category, meterSeed(meter), now).map((e) => entryData(definition, e));
          try {
            const selected = selectBuffer(rows, definition.columns, access ? bufferSelectionFrom(access) : undefined);
            return selected.rows.map((r) => Data.structure(r));
          } catch (e) {
            if (isMeterfabricError(e)) {
              const result = (e.details as { result?: number } | undefined)?.result;
              return { refused: typeof result === 'number' ? result : DataAccessResult.OTHER_REASON };
            }
            throw e;
          }
        },
        captureObjects: () => (captureObjectsToData(definition.columns) as { value: DlmsData[] }).value,
        entriesInUse: (meter, now) => simulatedLogEntries(category, meterSeed(meter), now).length,
      } satisfies EventLogSupply;
    });
}
