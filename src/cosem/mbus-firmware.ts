/**
 * SMR 5 M-Bus device firmware files (docs/firmware.md#m-bus-firmware): a 35-byte header, the image, and a 16-byte
 * security trailer. Before a file goes to one G-meter its header is personalised (the device's identification
 * number, M-Bus version 0x50) and the trailer becomes an AES-GMAC (GCM without plaintext, NIST SP 800-38D) over header
 * and image under the device's firmware update authentication key; the image identifier names the device. Layout and
 * rules as GXF applies them (OSGP/open-smart-grid-platform osgp-protocol-adapter-dlms
 * domain/commands/firmware/firmwarefile/FirmwareFile.java, application/services/MacGenerationService.java), after
 * the SMR 5.0 M-Bus firmware upgrade description. Integers in the header are little-endian.
 */
import { decodeError, encodeError } from '../dlms/bytes.ts';
import { aesGcmEncrypt } from '../dlms/security/gcm.ts';
import { manufacturerIdToText } from './mbus.ts';

export const MBUS_FIRMWARE_HEADER_LENGTH = 35;
const MAGIC = [Buffer.from('534d5235', 'hex'), Buffer.from('35524d53', 'hex')];
const SECURITY_LENGTH = 16;
/** The M-Bus version byte written into every personalised header (as GXF does). */
export const MBUS_FIRMWARE_VERSION_BYTE = 0x50;

export interface MbusFirmwareHeader {
  headerVersion: number;
  headerLength: number;
  /** Firmware image version, read little-endian (e.g. 0x00400011). */
  imageVersion: number;
  imageLength: number;
  securityLength: number;
  /** 0 none, 1 SHA-256, 2 GMAC, 3 CMAC, 4 HMAC, 5 ECDSA */
  securityType: number;
  addressLength: number;
  /** 1 = M-Bus */
  addressType: number;
  manufacturerId: number;
  /** 8 hex digits, most significant first; an F is a wildcard digit. */
  identificationPattern: string;
  mbusVersion: number;
  deviceType: number;
  /** 1 immediate, 2 timed, 3 master-initiated */
  activationType: number;
  activationTime: Buffer;
}

/** Whether a file is an M-Bus firmware file (magic and M-Bus address type); anything else is an E-meter image. */
export function isMbusFirmware(file: Buffer): boolean {
  return file.length >= MBUS_FIRMWARE_HEADER_LENGTH && MAGIC.some((m) => m.equals(file.subarray(0, 4))) && file[19] === 1;
}

export function readMbusFirmwareHeader(file: Buffer): MbusFirmwareHeader {
  if (file.length < MBUS_FIRMWARE_HEADER_LENGTH) throw decodeError(`M-Bus firmware file shorter than its ${MBUS_FIRMWARE_HEADER_LENGTH}-byte header`);
  return {
    headerVersion: file[4]!,
    headerLength: file.readUInt16LE(5),
    imageVersion: file.readUInt32LE(7),
    imageLength: file.readUInt32LE(11),
    securityLength: file[15]!,
    securityType: file[17]!,
    addressLength: file[18]!,
    addressType: file[19]!,
    manufacturerId: file.readUInt16LE(20),
    identificationPattern: Buffer.from(file.subarray(22, 26)).reverse().toString('hex').toUpperCase(),
    mbusVersion: file[26]!,
    deviceType: file[27]!,
    activationType: file[28]!,
    activationTime: Buffer.from(file.subarray(29, 35)),
  };
}

/** The checks GXF makes before it computes a MAC: header and trailer sizes, GMAC, M-Bus address, gas, master-initiated activation. */
export function checkMbusFirmware(file: Buffer): MbusFirmwareHeader {
  if (!isMbusFirmware(file)) throw decodeError('not an M-Bus firmware file (magic SMR5 and address type 1 expected)');
  const h = readMbusFirmwareHeader(file);
  const problems: string[] = [];
  if (h.headerLength !== MBUS_FIRMWARE_HEADER_LENGTH) problems.push(`header length ${h.headerLength}`);
  if (h.securityLength !== SECURITY_LENGTH) problems.push(`security length ${h.securityLength}`);
  if (h.securityType !== 2) problems.push(`security type ${h.securityType} (GMAC is 2)`);
  if (h.addressLength !== 8) problems.push(`address length ${h.addressLength}`);
  if (h.deviceType !== 3) problems.push(`device type ${h.deviceType} (gas is 3)`);
  if (h.activationType !== 3) problems.push(`activation type ${h.activationType} (master-initiated is 3)`);
  if (h.headerLength + h.imageLength + h.securityLength !== file.length) problems.push(`lengths ${h.headerLength} + ${h.imageLength} + ${h.securityLength} ≠ file length ${file.length}`);
  if (problems.length > 0) throw decodeError(`M-Bus firmware header: ${problems.join(', ')}`);
  return h;
}

/** Whether the device's 8-digit identification number fits the header's pattern (F = any digit). */
export function identificationFits(pattern: string, identificationNumber: string): boolean {
  if (!/^[0-9]{8}$/.test(identificationNumber) || pattern.length !== 8) return false;
  return [...pattern].every((c, i) => c === 'F' || c === identificationNumber[i]);
}

export interface PersonalisedMbusFirmware {
  /** Patched header ‖ image ‖ MAC: what is transferred. */
  image: Buffer;
  imageIdentifier: Buffer;
  iv: Buffer;
  mac: Buffer;
}

/**
 * The file for one G-meter: bytes 22..25 = its identification number (BCD, little-endian), byte 26 = 0x50, the
 * trailer = AES-GMAC(key, IV = manufacturer ‖ identification ‖ version ‖ device type ‖ image version (MSB first),
 * AAD = header ‖ image); and its image identifier: the manufacturer's three letters ‖ "MBUS" ‖ identification ‖
 * manufacturer id ‖ version ‖ device type ‖ 00000000.
 */
export function personaliseMbusFirmware(file: Buffer, identificationNumber: string, firmwareUpdateKey: Buffer): PersonalisedMbusFirmware {
  const h = checkMbusFirmware(file);
  if (!identificationFits(h.identificationPattern, identificationNumber)) {
    throw encodeError(`M-Bus Device Identification Number (${identificationNumber}) does not fit the range of the firmware file (${h.identificationPattern})`);
  }
  const image = Buffer.from(file);
  image.writeUInt32LE(Number.parseInt(identificationNumber, 16), 22);
  image[26] = MBUS_FIRMWARE_VERSION_BYTE;
  const iv = Buffer.concat([image.subarray(20, 22), image.subarray(22, 26), image.subarray(26, 27), image.subarray(27, 28), Buffer.from(image.subarray(7, 11)).reverse()]);
  const signed = image.subarray(0, image.length - SECURITY_LENGTH);
  const { tag } = aesGcmEncrypt(firmwareUpdateKey, iv, Buffer.alloc(0), signed, 16);
  tag.copy(image, image.length - SECURITY_LENGTH);
  const manufacturer = manufacturerIdToText(h.manufacturerId) ?? '???';
  const imageIdentifier = Buffer.concat([
    Buffer.from(manufacturer, 'ascii'), Buffer.from('MBUS', 'ascii'), image.subarray(22, 26), image.subarray(20, 22), image.subarray(26, 27), image.subarray(27, 28), Buffer.alloc(4),
  ]);
  return { image, imageIdentifier, iv, mac: tag };
}

/** The image part (between header and trailer): what GXF hashes for an M-Bus file. */
export function mbusFirmwareImagePart(file: Buffer): Buffer {
  const h = readMbusFirmwareHeader(file);
  return file.subarray(h.headerLength, h.headerLength + h.imageLength);
}
