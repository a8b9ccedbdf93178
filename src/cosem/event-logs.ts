/**
 * Event logs and alarm registers of DSMR 4.2.2 / SMR 5.x meters (DSMR P3 companion standard, "Event logs" and
 * "Alarm register"; docs/monitoring.md#event-logs): each event log is a profile generic (class 7) whose entries are
 * {clock time, event code[, detail columns]}; the alarm registers are Data objects (class 1) holding a
 * double-long-unsigned bit field. GXF's category names (EventLogCategory of management-ws-smartmetering.xsd) name
 * the logs.
 */
import { Obis } from '../dlms/obis.ts';
import { captureObject, type CaptureObjectDefinition } from '../dlms/selective-access.ts';
import { DataClass } from './classes/data.ts';
import { ProfileGenericClass } from './classes/profile-generic.ts';
import { attributeOf, cosemObject, type CosemObject } from './model.ts';
import { CLOCK_TIME } from './objects.ts';

export const EVENT_LOG_CATEGORIES = [
  'STANDARD_EVENT_LOG',
  'FRAUD_DETECTION_LOG',
  'COMMUNICATION_SESSION_LOG',
  'M_BUS_EVENT_LOG',
  'POWER_QUALITY_EVENT_LOG',
  'AUXILIARY_EVENT_LOG',
  'POWER_QUALITY_EXTENDED_EVENT_LOG',
  'POWER_QUALITY_THD_EVENT_LOG',
] as const;
export type EventLogCategory = (typeof EVENT_LOG_CATEGORIES)[number];

/** What a log's entries hold after the clock time and the event code. */
export type EventLogDetail = 'none' | 'counter' | 'magnitude-duration' | 'magnitude';

export interface EventLogDefinition {
  category: EventLogCategory;
  /** The profile generic holding the log. */
  log: CosemObject<typeof ProfileGenericClass>;
  /** The columns of every entry (capture_objects), clock time first, then the event code. */
  columns: readonly CaptureObjectDefinition[];
  detail: EventLogDetail;
}

const dataValue = (obis: string) => captureObject(DataClass.classId, obis, attributeOf(DataClass, 'value').id);

function eventLog(category: EventLogCategory, logObis: string, codeObis: string, detail: EventLogDetail, extra: string[] = []): EventLogDefinition {
  return Object.freeze({
    category,
    log: cosemObject(ProfileGenericClass, logObis),
    columns: Object.freeze([CLOCK_TIME, dataValue(codeObis), ...extra.map(dataValue)]),
    detail,
  });
}

/** The eight event logs by category (object, event code object and detail columns). */
export const EVENT_LOGS: Readonly<Record<EventLogCategory, EventLogDefinition>> = Object.freeze({
  STANDARD_EVENT_LOG: eventLog('STANDARD_EVENT_LOG', '0-0:99.98.0.255', '0-0:96.11.0.255', 'none'),
  FRAUD_DETECTION_LOG: eventLog('FRAUD_DETECTION_LOG', '0-0:99.98.1.255', '0-0:96.11.1.255', 'none'),
  M_BUS_EVENT_LOG: eventLog('M_BUS_EVENT_LOG', '0-0:99.98.3.255', '0-0:96.11.3.255', 'none'),
  COMMUNICATION_SESSION_LOG: eventLog('COMMUNICATION_SESSION_LOG', '0-0:99.98.4.255', '0-0:96.11.4.255', 'counter', ['0-0:96.15.4.255']),
  POWER_QUALITY_EVENT_LOG: eventLog('POWER_QUALITY_EVENT_LOG', '0-0:99.98.5.255', '0-0:96.11.5.255', 'none'),
  AUXILIARY_EVENT_LOG: eventLog('AUXILIARY_EVENT_LOG', '0-0:99.98.6.255', '0-0:96.11.6.255', 'none'),
  POWER_QUALITY_EXTENDED_EVENT_LOG: eventLog('POWER_QUALITY_EXTENDED_EVENT_LOG', '0-0:99.98.7.255', '0-0:96.11.7.255', 'magnitude-duration', ['0-0:96.11.20.255', '0-0:96.11.21.255']),
  POWER_QUALITY_THD_EVENT_LOG: eventLog('POWER_QUALITY_THD_EVENT_LOG', '0-0:99.98.8.255', '0-0:96.11.8.255', 'magnitude', ['0-0:96.11.22.255']),
});

/** Alarm registers 1, 2 (SMR 5.2+) and 3 (SMR 5.5): class 1, value double-long-unsigned. */
export const ALARM_REGISTERS = Object.freeze({
  1: cosemObject(DataClass, '0-0:97.98.0.255'),
  2: cosemObject(DataClass, '0-0:97.98.1.255'),
  3: cosemObject(DataClass, '0-0:97.98.2.255'),
});

/**
 * The registers that scale the magnitude and duration columns of the power-quality extended and THD logs, by event
 * code (SMR 5.2 "Power quality extended event log"; the scalers as GXF's SMR 5.2 object profile fixes them):
 * sag 93..95 and swell 96..98 on L1..L3, THD 51..59 (L1, L2, L3 in turn).
 */
export interface EventDetailSource {
  obis: Obis;
  scaler: number;
  /** The unit as the detail value text shows it after the number. */
  unit: string;
}

const L = [32, 52, 72] as const;
const THD_L = [31, 51, 71] as const;

export function eventMagnitudeSource(code: number): EventDetailSource | undefined {
  if (code >= 93 && code <= 95) return { obis: Obis.of(1, 0, L[code - 93]!, 34, 0, 255), scaler: -1, unit: 'V' };
  if (code >= 96 && code <= 98) return { obis: Obis.of(1, 0, L[code - 96]!, 38, 0, 255), scaler: -1, unit: 'V' };
  if (code >= 51 && code <= 59) return { obis: Obis.of(1, 0, THD_L[(code - 51) % 3]!, 38, 124, 255), scaler: 0, unit: '%' };
  return undefined;
}

export function eventDurationSource(code: number): EventDetailSource | undefined {
  if (code >= 93 && code <= 95) return { obis: Obis.of(1, 0, L[code - 93]!, 33, 0, 255), scaler: -1, unit: 's' };
  if (code >= 96 && code <= 98) return { obis: Obis.of(1, 0, L[code - 96]!, 37, 0, 255), scaler: -1, unit: 's' };
  return undefined;
}
