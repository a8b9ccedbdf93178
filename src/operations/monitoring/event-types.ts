/**
 * Event code → GXF EventType (management-ws-smartmetering.xsd), independent of the log the event came from, as
 * GXF's domain adapter maps it (OSGP/open-smart-grid-platform, osgp-adapter-domain-smartmetering EventService;
 * docs/monitoring.md#event-types). Codes 80..85 depend on the protocol: DSMR meters report PV voltage sags and
 * swells there, SMR meters over-voltage and voltage-normal. Unknown codes are UNKNOWN_EVENT_HEADEND. Also which
 * event logs a protocol has (DSMR 4.2.2 / SMR 4.3: four, SMR 5.0: + power quality, 5.1: + auxiliary, 5.2 and later:
 * + power quality extended and THD).
 */
import type { EventLogCategory } from '../../cosem/index.ts';

const STANDARD: Record<number, string> = {
  255: 'EVENTLOG_CLEARED',
  1: 'POWER_FAILURE', 2: 'POWER_RETURNED', 3: 'CLOCK_UPDATE', 4: 'CLOCK_ADJUSTED_OLD_TIME', 5: 'CLOCK_ADJUSTED_NEW_TIME',
  6: 'CLOCK_INVALID', 7: 'REPLACE_BATTERY', 8: 'BATTERY_VOLTAGE_LOW', 9: 'TARIFF_ACTIVATED', 10: 'ERROR_REGISTER_CLEARED',
  11: 'ALARM_REGISTER_CLEARED', 12: 'HARDWARE_ERROR_PROGRAM_MEMORY', 13: 'HARDWARE_ERROR_RAM', 14: 'HARDWARE_ERROR_NV_MEMORY',
  15: 'WATCHDOG_ERROR', 16: 'HARDWARE_ERROR_MEASUREMENT_SYSTEM', 17: 'FIRMWARE_READY_FOR_ACTIVATION', 18: 'FIRMWARE_ACTIVATED',
  19: 'PASSIVE_TARIFF_UPDATED', 20: 'SUCCESSFUL_SELFCHECK_AFTER_FIRMWARE_UPDATE', 21: 'COMMUNICATION_MODULE_REMOVED',
  22: 'COMMUNICATION_MODULE_INSERTED', 23: 'ERROR_REGISTER_2_CLEARED', 24: 'ALARM_REGISTER_2_CLEARED', 25: 'LAST_GASP_TEST',
  40: 'TERMINAL_COVER_REMOVED', 41: 'TERMINAL_COVER_CLOSED', 42: 'STRONG_DC_FIELD_DETECTED', 43: 'NO_STRONG_DC_FIELD_ANYMORE',
  44: 'METER_COVER_REMOVED', 45: 'METER_COVER_CLOSED', 46: 'FAILED_LOGIN_ATTEMPT', 47: 'CONFIGURATION_CHANGE',
  48: 'MODULE_COVER_OPENED', 49: 'MODULE_COVER_CLOSED',
  51: 'THD_OVER_LIMIT_L1', 52: 'THD_OVER_LIMIT_L2', 53: 'THD_OVER_LIMIT_L3', 54: 'THD_NORMAL_L1', 55: 'THD_NORMAL_L2', 56: 'THD_NORMAL_L3',
  57: 'THD_LONG_OVER_LIMIT_L1', 58: 'THD_LONG_OVER_LIMIT_L2', 59: 'THD_LONG_OVER_LIMIT_L3',
  71: 'METROLOGICAL_MAINTENANCE', 72: 'TECHNICAL_MAINTENANCE', 73: 'RETRIEVE_METER_READINGS_E', 74: 'RETRIEVE_METER_READINGS_G',
  75: 'RETRIEVE_INTERVAL_DATA_E', 76: 'RETRIEVE_INTERVAL_DATA_G',
  77: 'UNDER_VOLTAGE_L1', 78: 'UNDER_VOLTAGE_L2', 79: 'UNDER_VOLTAGE_L3',
  86: 'PHASE_OUTAGE_L1', 87: 'PHASE_OUTAGE_L2', 88: 'PHASE_OUTAGE_L3', 89: 'PHASE_OUTAGE_TEST',
  90: 'PHASE_RETURNED_L1', 91: 'PHASE_RETURNED_L2', 92: 'PHASE_RETURNED_L3',
  93: 'VOLTAGE_SAG_IN_PHASE_L1', 94: 'VOLTAGE_SAG_IN_PHASE_L2', 95: 'VOLTAGE_SAG_IN_PHASE_L3',
  96: 'VOLTAGE_SWELL_IN_PHASE_L1', 97: 'VOLTAGE_SWELL_IN_PHASE_L2', 98: 'VOLTAGE_SWELL_IN_PHASE_L3',
  99: 'LAST_GASP', 999: 'UNKNOWN_EVENT_HEADEND', 0xffff: 'AUXILIARY_EVENTLOG_CLEARED',
};

const DSMR_80_85 = ['PV_VOLTAGE_SAG_L1', 'PV_VOLTAGE_SAG_L2', 'PV_VOLTAGE_SAG_L3', 'PV_VOLTAGE_SWELL_L1', 'PV_VOLTAGE_SWELL_L2', 'PV_VOLTAGE_SWELL_L3'];
const SMR_80_85 = ['OVER_VOLTAGE_L1', 'OVER_VOLTAGE_L2', 'OVER_VOLTAGE_L3', 'VOLTAGE_L1_NORMAL', 'VOLTAGE_L2_NORMAL', 'VOLTAGE_L3_NORMAL'];

const MBUS_EVENTS = [
  'COMMUNICATION_ERROR_M_BUS_CHANNEL_', 'COMMUNICATION_OK_M_BUS_CHANNEL_', 'REPLACE_BATTERY_M_BUS_CHANNEL_', 'FRAUD_ATTEMPT_M_BUS_CHANNEL_',
  'CLOCK_ADJUSTED_M_BUS_CHANNEL_', 'NEW_M_BUS_DEVICE_DISCOVERED_CHANNEL_', 'PERMANENT_ERROR_FROM_M_BUS_DEVICE_CHANNEL_', 'DEAD_BATTERY_ERROR_M_BUS_DEVICE_CHANNEL_',
];

const FW_UPGRADE = [
  'SUCCESSFUL', 'BLOCK_SIZE_NOT_SUPPORTED', 'IMAGE_SIZE_TOO_BIG', 'INVALID_BLOCK_NUMBER', 'DATA_RECEIVE_ERROR', 'IMAGE_NOT_COMPLETE_ERROR',
  'INVALID_SECURITY_ERROR', 'INVALID_FIRMWARE_FOR_THIS_DEVICE',
];

const STATUS_BITS = [
  'BATTERY_LOW', 'BATTERY_CONSUMPTION_TOO_HIGH', 'REVERSE_FLOW', 'TAMPER_P2', 'TAMPER_P0', 'TAMPER_CASE', 'TAMPER_MAGNETIC', 'TEMP_OUT_OF_RANGE',
  'CLOCK_SYNC_ERROR', 'SW_ERROR', 'WATCHDOG_ERROR', 'SYSTEM_HW_ERROR', 'CFG_CALIBRATION_ERROR', 'HIGH_FLOW_GREATER_THAN_QMAX', 'TEMP_SENSOR_ERROR',
  'RESERVED', 'P0_ENABLED', 'NEW_KEY_ACCEPTED', 'NEW_KEY_REJECTED', 'RESERVED',
];

/** GXF's EventType name of an event code for a device of `protocol` ("DSMR 4.2.2", "SMR 5.1", …). */
export function eventTypeOf(code: number, protocol: string): string {
  const named = STANDARD[code];
  if (named) return named;
  if (code >= 80 && code <= 85) return (protocol.startsWith('DSMR') ? DSMR_80_85 : SMR_80_85)[code - 80]!;
  if (code >= 230 && code <= 249) return `MANUFACTURER_SPECIFIC_${code}`;
  if (code >= 100 && code <= 137 && code % 10 <= 7) return `${MBUS_EVENTS[code % 10]}${Math.floor((code - 100) / 10) + 1}`;
  const channel = ((code >> 8) & 0x0f) + 1;
  const low = code & 0xff;
  if (channel <= 4 && (code & 0xf000) === 0x1000 && low <= 7) return `MBUS_FW_UPGRADE_${FW_UPGRADE[low]}_CHANNEL_${channel}`;
  if (channel <= 4 && (code & 0xf000) === 0x8000) {
    if (low >= 0x80 && low <= 0x9f) {
      const bit = low - 0x80;
      return `MBUS_STATUS_BIT_${bit}_${bit < 20 ? STATUS_BITS[bit] : 'MANUFACTURER_SPECIFIC'}_CHANNEL_${channel}`;
    }
    if (low === 0xa0) return `KEY_SENT_TO_MBUS_DEVICE_ON_CHANNEL_${channel}`;
    if (low === 0xa1) return `KEY_ACKNOWLEDGED_BY_MBUS_DEVICE_ON_CHANNEL_${channel}`;
  }
  return 'UNKNOWN_EVENT_HEADEND';
}

const BASE: readonly EventLogCategory[] = ['STANDARD_EVENT_LOG', 'FRAUD_DETECTION_LOG', 'COMMUNICATION_SESSION_LOG', 'M_BUS_EVENT_LOG'];

/** The event logs a protocol's meters have (GXF's object profiles per protocol). */
export function eventLogCategoriesOf(protocol: string): readonly EventLogCategory[] {
  const smr = /^SMR 5(?:\.(\d+))?/.exec(protocol);
  if (!smr) return BASE;
  const minor = Number(smr[1] ?? 0);
  return [
    ...BASE,
    'POWER_QUALITY_EVENT_LOG',
    ...(minor >= 1 ? (['AUXILIARY_EVENT_LOG'] as const) : []),
    ...(minor >= 2 ? (['POWER_QUALITY_EXTENDED_EVENT_LOG', 'POWER_QUALITY_THD_EVENT_LOG'] as const) : []),
  ];
}

/** Alarm registers GXF reads and clears for a protocol: 1, and 2 from SMR 5.2 on (register 3 of SMR 5.5 is not read). */
export function alarmRegistersOf(protocol: string): (1 | 2)[] {
  const smr = /^SMR 5(?:\.(\d+))?/.exec(protocol);
  return smr && Number(smr[1] ?? 0) >= 2 ? [1, 2] : [1];
}

/** Alarm registers GXF clears (in this order): those of the read, and 3 on SMR 5.5. */
export function clearedAlarmRegistersOf(protocol: string): (1 | 2 | 3)[] {
  const smr = /^SMR 5(?:\.(\d+))?/.exec(protocol);
  return smr && Number(smr[1] ?? 0) >= 5 ? [1, 2, 3] : alarmRegistersOf(protocol);
}
