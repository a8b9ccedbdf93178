/**
 * M-Bus identity values of class 72 (docs/dlms.md#m-bus-client-class-72, docs/gxf.md#setmbususerkeybychannel, #scanmbuschannels): identification number (BCD for
 * class version 0, binary for version 1), manufacturer id <-> three letters, encryption_key_status names.
 */
import { decodeError, encodeError } from '../dlms/bytes.ts';
import { ErrorCode, MeterfabricError } from '../errors.ts';

/**
 * What one M-Bus channel of a gateway holds (attributes 5..9 of class 72), in the form GXF reports it as
 * ChannelElementValues / ShortId. Declared once here; the session, the adapters and both APIs use this type.
 */
export interface ChannelElementValues {
  channel: number;
  primaryAddress: number;
  /** 8 digits; '00000000' when empty; GXF's "(Cannot not be correctly interpreted)" text when undecodable. */
  identificationNumber: string;
  /** Three letters; '' when none. */
  manufacturerIdentification: string;
  version: number;
  deviceTypeIdentification: number;
}

/**
 * Attributes 5..9 of one class 72 object as the meter sends them: the identification number coded as the class
 * version codes it (BCD for 0, binary for 1), the manufacturer as its 15-bit number. null-data reads as 0 (GXF).
 * This is what crosses the port between the session and the executors; channelElementValues() makes GXF's texts.
 */
export interface MbusChannelReading {
  channel: number;
  /** The class 72 version that coded identificationNumber. */
  classVersion: 0 | 1;
  primaryAddress: number;
  identificationNumber: number;
  manufacturerId: number;
  version: number;
  deviceType: number;
}

/** Attributes 5..9 to write (coupling, decoupling), coded for the gateway's class 72 version. */
export interface MbusChannelIdentity {
  primaryAddress: number;
  identificationNumber: number;
  manufacturerId: number;
  version: number;
  deviceType: number;
}

/** A channel's reading in GXF's terms (ChannelElementValues): the one place numbers become texts. */
export function channelElementValues(r: MbusChannelReading): ChannelElementValues {
  let manufacturer: string;
  try {
    manufacturer = manufacturerIdToText(r.manufacturerId) ?? '';
  } catch (e) {
    throw new MeterfabricError(ErrorCode.ILLEGAL_RESPONSE, `manufacturer id ${r.manufacturerId} is not three letters`, { component: 'PROTOCOL_DLMS', cause: e });
  }
  return {
    channel: r.channel,
    primaryAddress: r.primaryAddress,
    identificationNumber: decodeIdentificationNumber(r.identificationNumber, r.classVersion).text,
    manufacturerIdentification: manufacturer,
    version: r.version,
    deviceTypeIdentification: r.deviceType,
  };
}

/** GXF's identity texts → what attributes 5..9 take ('' manufacturer = 0, '' identification = 0; letters in any case). */
export function channelIdentity(values: Omit<ChannelElementValues, 'channel'>, classVersion: 0 | 1): MbusChannelIdentity {
  return {
    primaryAddress: values.primaryAddress,
    identificationNumber: encodeIdentificationNumber(values.identificationNumber || '0', classVersion),
    manufacturerId: manufacturerValue(values.manufacturerIdentification),
    version: values.version,
    deviceType: values.deviceTypeIdentification,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Identification number

export type IdentificationText = { valid: true; text: string } | { valid: false; text: string };

const UNINTERPRETABLE_SUFFIX = ' (Cannot not be correctly interpreted)';

/** GXF's text for an identification it cannot decode (sic, docs/gxf.md#scanmbuschannels). */
export function uninterpretableIdentificationText(value: number): string {
  return `DOUBLE_LONG_UNSIGNED Value: ${value}${UNINTERPRETABLE_SUFFIX}`;
}

export function isUninterpretableIdentification(text: string): boolean {
  return text.endsWith(UNINTERPRETABLE_SUFFIX);
}

/** "DOUBLE_LONG_UNSIGNED Value: 2718263089 (Cannot …)" → "DOUBLE_LONG_UNSIGNED Value: 2718263089", as GXF's decouple answers it. */
export function stripUninterpretableSuffix(text: string): string {
  return isUninterpretableIdentification(text) ? text.slice(0, -UNINTERPRETABLE_SUFFIX.length) : text;
}

/**
 * Identification number attribute 6 → GXF's 8-digit text. Version 0: BCD, text = `%08X`, must be decimal digits
 * (0x12056731 → "12056731"); version 1: binary, text = `%08d` (0x00B7F89B → "12056731"). null-data (undefined) or
 * an empty channel reads as "00000000".
 */
export function decodeIdentificationNumber(value: number | undefined, classVersion: number): IdentificationText {
  if (value === undefined) return { valid: true, text: '00000000' };
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) return { valid: false, text: uninterpretableIdentificationText(value) };
  if (classVersion === 0) {
    const text = value.toString(16).toUpperCase().padStart(8, '0');
    return /^[0-9]{8}$/.test(text) ? { valid: true, text } : { valid: false, text: uninterpretableIdentificationText(value) };
  }
  if (value > 99_999_999) return { valid: false, text: uninterpretableIdentificationText(value) };
  return { valid: true, text: value.toString(10).padStart(8, '0') };
}

/** 8-digit text → attribute 6 value for writing (coupling): BCD for version 0, binary for version 1. */
export function encodeIdentificationNumber(text: string, classVersion: number): number {
  if (!/^[0-9]{1,8}$/.test(text)) throw encodeError(`M-Bus identification number must be up to 8 decimal digits, got ${JSON.stringify(text)}`);
  return classVersion === 0 ? Number.parseInt(text, 16) : Number.parseInt(text, 10);
}

// ---------------------------------------------------------------------------------------------------------------
// Manufacturer id: ((c1-64) << 10) | ((c2-64) << 5) | (c3-64)

/** GXF accepts 1057 ("AAA") .. 27482 ("ZZZ"). */
export const MANUFACTURER_ID_MIN = 1057;
export const MANUFACTURER_ID_MAX = 27482;

/** 6543 → "FLO"; 0 → undefined (no manufacturer); values outside AAA..ZZZ throw DECODE_ERROR. */
export function manufacturerIdToText(id: number | undefined): string | undefined {
  if (id === undefined || id === 0) return undefined;
  const letters = [(id >> 10) & 0x1f, (id >> 5) & 0x1f, id & 0x1f];
  if (!Number.isInteger(id) || id < MANUFACTURER_ID_MIN || id > MANUFACTURER_ID_MAX || letters.some((l) => l < 1 || l > 26)) {
    throw decodeError(`M-Bus manufacturer id ${id} is not three letters A..Z`);
  }
  return String.fromCharCode(...letters.map((l) => l + 64));
}

/** Three letters (any case) → manufacturer id; '' → 0 (docs/dlms.md#m-bus-client-class-72). */
export function manufacturerValue(letters: string): number {
  return letters === '' ? 0 : manufacturerTextToId(letters.toUpperCase());
}

/** "FLO" → 6543 (0x198F), "LGB" → 12514 (0x30E2). */
export function manufacturerTextToId(text: string): number {
  if (!/^[A-Z]{3}$/.test(text)) throw encodeError(`M-Bus manufacturer must be three upper-case letters, got ${JSON.stringify(text)}`);
  return ((text.charCodeAt(0) - 64) << 10) | ((text.charCodeAt(1) - 64) << 5) | (text.charCodeAt(2) - 64);
}

// ---------------------------------------------------------------------------------------------------------------
// Device type (attribute 9)

export const MbusDeviceType = { OTHER: 0, OIL: 1, ELECTRICITY: 2, GAS: 3, HEAT: 4, STEAM: 5, WARM_WATER: 6, WATER: 7 } as const;

// ---------------------------------------------------------------------------------------------------------------
// encryption_key_status (attribute 14), names as GXF's EncryptionKeyStatus (docs/gxf.md#encryption-key-status)

export const EncryptionKeyStatus = {
  NO_ENCRYPTION_KEY: 0,
  ENCRYPTION_KEY_SET: 1,
  ENCRYPTION_KEY_TRANSFERRED: 2,
  ENCRYPTION_KEY_SET_AND_TRANSFERRED: 3,
  ENCRYPTION_KEY_IN_USE: 4,
} as const;

export type EncryptionKeyStatusName = keyof typeof EncryptionKeyStatus;

/** The names in attribute-value order: the one list every layer uses (SOAP, REST, adapters). */
export const ENCRYPTION_KEY_STATUS_NAMES = Object.keys(EncryptionKeyStatus) as readonly EncryptionKeyStatusName[];

export function isEncryptionKeyStatusName(name: unknown): name is EncryptionKeyStatusName {
  return typeof name === 'string' && Object.hasOwn(EncryptionKeyStatus, name);
}

const statusNames = new Map<number, EncryptionKeyStatusName>(
  Object.entries(EncryptionKeyStatus).map(([k, v]) => [v, k as EncryptionKeyStatusName]),
);

/** 4 → "ENCRYPTION_KEY_IN_USE"; other values throw DECODE_ERROR. */
export function encryptionKeyStatusName(value: number): EncryptionKeyStatusName {
  const n = statusNames.get(value);
  if (!n) throw decodeError(`encryption_key_status ${value} is not one of 0..4`);
  return n;
}

export function encryptionKeyStatusValue(name: EncryptionKeyStatusName): number {
  const v = EncryptionKeyStatus[name];
  if (v === undefined) throw encodeError(`unknown EncryptionKeyStatus ${String(name)}`);
  return v;
}
