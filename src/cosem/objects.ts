/** Well-known COSEM objects of the M-Bus key operations (docs/dlms.md). */
import { decodeError } from '../dlms/bytes.ts';
import { Obis } from '../dlms/obis.ts';
import { AssociationLnClass } from './classes/association-ln.ts';
import { ClockClass } from './classes/clock.ts';
import { DataClass } from './classes/data.ts';
import { mbusClientClass, type MbusClientClassV0 } from './classes/mbus-client.ts';
import { SecuritySetupClass } from './classes/security-setup.ts';
import { type CosemObject, attributeOf, cosemObject } from './model.ts';
import { captureObject, type CaptureObjectDefinition } from '../dlms/selective-access.ts';

export const WellKnownObis = {
  /** Invocation counter of the management client's key set, read by the public client (class 1, attr 2). */
  INVOCATION_COUNTER: Obis.parse('0-0:43.1.0.255'),
  /** Current association (class 15). */
  CURRENT_ASSOCIATION: Obis.parse('0-0:40.0.0.255'),
  SECURITY_SETUP: Obis.parse('0-0:43.0.0.255'),
  CLOCK: Obis.parse('0-0:1.0.0.255'),
  LOGICAL_DEVICE_NAME: Obis.parse('0-0:42.0.0.255'),
  EQUIPMENT_IDENTIFIER: Obis.parse('0-0:96.1.0.255'),
  /** M-Bus port setup, what class 72 attribute 2 (mbus_port_reference) names. */
  MBUS_PORT_SETUP: Obis.parse('0-0:24.6.0.255'),
} as const;

export const CosemObjects = {
  invocationCounter: cosemObject(DataClass, WellKnownObis.INVOCATION_COUNTER),
  currentAssociation: cosemObject(AssociationLnClass, WellKnownObis.CURRENT_ASSOCIATION),
  securitySetup: cosemObject(SecuritySetupClass, WellKnownObis.SECURITY_SETUP),
  clock: cosemObject(ClockClass, WellKnownObis.CLOCK),
  logicalDeviceName: cosemObject(DataClass, WellKnownObis.LOGICAL_DEVICE_NAME),
  equipmentIdentifier: cosemObject(DataClass, WellKnownObis.EQUIPMENT_IDENTIFIER),
} as const;

/** The clock's time as a capture object: the timestamp column of profiles and the restricting object of GXF's buffer reads. */
export const CLOCK_TIME: CaptureObjectDefinition = Object.freeze(captureObject(ClockClass.classId, WellKnownObis.CLOCK, attributeOf(ClockClass, 'time').id, 0));

export const MBUS_CHANNELS = [1, 2, 3, 4] as const;

function checkChannel(channel: number): number {
  if (!Number.isInteger(channel) || channel < 1 || channel > 4) throw decodeError(`M-Bus channel must be 1..4, got ${channel}`);
  return channel;
}

const MBUS_CLIENT_SETUP_OBIS: readonly Obis[] = MBUS_CHANNELS.map((ch) => Obis.of(0, ch, 24, 1, 0, 255));

/** `0-<ch>:24.1.0.255`, channel 1..4 (built once). */
export function mbusClientSetupObis(channel: number): Obis {
  return MBUS_CLIENT_SETUP_OBIS[checkChannel(channel) - 1]!;
}

/** The M-Bus client setup object of a channel for a gateway whose class 72 has `classVersion` (0 DSMR 4.2.2, 1 SMR 5). */
export function mbusClientSetup(channel: number, classVersion: number): CosemObject<typeof MbusClientClassV0> {
  return cosemObject(mbusClientClass(classVersion), mbusClientSetupObis(channel));
}

/** Channel of an M-Bus client setup logical name, or undefined if it is not one. */
export function mbusChannelOf(obis: Obis): number | undefined {
  const x = obis.bytes;
  return x[0] === 0 && x[1]! >= 1 && x[1]! <= 4 && x[2] === 24 && x[3] === 1 && x[4] === 0 && x[5] === 255 ? x[1] : undefined;
}

/**
 * The energy registers GXF's actual reads address (class 3, DSMR 4.2.2 / SMR 5 P1 companion standard, "Electricity
 * meter reads"): totals 1.8.0 / 2.8.0 and tariffs 1 and 2 of import (1.8.x) and export (2.8.x).
 */
export const EnergyRegisterObis = {
  IMPORT: Obis.parse('1-0:1.8.0.255'),
  IMPORT_TARIFF_1: Obis.parse('1-0:1.8.1.255'),
  IMPORT_TARIFF_2: Obis.parse('1-0:1.8.2.255'),
  EXPORT: Obis.parse('1-0:2.8.0.255'),
  EXPORT_TARIFF_1: Obis.parse('1-0:2.8.1.255'),
  EXPORT_TARIFF_2: Obis.parse('1-0:2.8.2.255'),
} as const;

const MBUS_MASTER_VALUE_OBIS: readonly Obis[] = MBUS_CHANNELS.map((ch) => Obis.of(0, ch, 24, 2, 1, 255));

/** `0-<ch>:24.2.1.255`: the M-Bus device's last value (class 4, with capture time), channel 1..4. */
export function mbusMasterValueObis(channel: number): Obis {
  return MBUS_MASTER_VALUE_OBIS[checkChannel(channel) - 1]!;
}

/**
 * The GSM diagnostic object (class 47) of each communication method a gateway states (SMR 5 companion standard,
 * "GSM/CDMA/LTE diagnostic"; GXF's GPRS_DIAGNOSTIC, CDMA_DIAGNOSTIC, LTE_DIAGNOSTIC).
 */
export const GsmDiagnosticObis = {
  GPRS: Obis.parse('0-0:25.6.0.255'),
  CDMA: Obis.parse('0-1:25.6.0.255'),
  LTE: Obis.parse('0-2:25.6.0.255'),
} as const;

export type CommunicationMethod = keyof typeof GsmDiagnosticObis;

const MBUS_STATUS_OBIS: readonly Obis[] = MBUS_CHANNELS.map((ch) => Obis.of(0, ch, 24, 2, 6, 255));
const MBUS_CLEAR_STATUS_MASK_OBIS: readonly Obis[] = MBUS_CHANNELS.map((ch) => Obis.of(0, ch, 94, 31, 10, 255));

/**
 * `0-<ch>:24.2.6.255`: the status the M-Bus device of a channel reported (class 4, attribute 2, a bit field), SMR 5.1
 * companion standard; GXF reads it as READ_MBUS_STATUS (OSGP/open-smart-grid-platform, dlmsprofile-smr500.json).
 */
export function mbusStatusObis(channel: number): Obis {
  return MBUS_STATUS_OBIS[checkChannel(channel) - 1]!;
}

/**
 * `0-<ch>:94.31.10.255`: the clear status mask of a channel (class 1, attribute 2, double-long-unsigned): the bits of
 * the M-Bus status that the next reset_alarm of the channel's M-Bus client clears (GXF's CLEAR_MBUS_STATUS,
 * dlmsprofile-smr51.json).
 */
export function mbusClearStatusMaskObis(channel: number): Obis {
  return MBUS_CLEAR_STATUS_MASK_OBIS[checkChannel(channel) - 1]!;
}
