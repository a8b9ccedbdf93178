/**
 * Firmware objects (docs/firmware.md): the firmware version identifiers an E-meter publishes, the M-Bus device's
 * simple version info, and the image transfer object (class 18, ./classes/image-transfer.ts) with its method
 * parameters and status values. Pure: used by the session side (src/session/image-transfer.ts) and by the
 * simulator (src/simulator/firmware.ts) alike.
 */
import { Data, type DlmsData } from '../dlms/axdr.ts';
import { decodeError } from '../dlms/bytes.ts';
import { Obis } from '../dlms/obis.ts';
import { cosemObject } from './model.ts';
import { ImageTransferClass } from './classes/image-transfer.ts';
import { DataClass } from './classes/data.ts';
import { ExtendedRegisterClass } from './classes/extended-register.ts';

/** GXF's FirmwareModuleType (configuration-ws-smartmetering.xsd), in the order GXF reports them. */
export type FirmwareModuleType = 'ACTIVE_FIRMWARE' | 'MODULE_ACTIVE_FIRMWARE' | 'COMMUNICATION_MODULE_ACTIVE_FIRMWARE' | 'M_BUS_DRIVER_ACTIVE_FIRMWARE';

/**
 * The active firmware version identifiers (class 1, value an octet-string of text): DSMR 4.2.2 §6.2 and SMR 5.0
 * §6.2 "Firmware version" (metrology 1-0:0.2.0.255, module 1-1:0.2.0.255, communication module 1-2:0.2.0.255);
 * SMR 5 adds the M-Bus driver, 1-4:0.2.0.255.
 */
export const FIRMWARE_VERSION_OBJECTS: readonly { type: FirmwareModuleType; object: ReturnType<typeof cosemObject<typeof DataClass>>; smr5Only: boolean }[] = [
  { type: 'ACTIVE_FIRMWARE', object: cosemObject(DataClass, '1-0:0.2.0.255'), smr5Only: false },
  { type: 'MODULE_ACTIVE_FIRMWARE', object: cosemObject(DataClass, '1-1:0.2.0.255'), smr5Only: false },
  { type: 'COMMUNICATION_MODULE_ACTIVE_FIRMWARE', object: cosemObject(DataClass, '1-2:0.2.0.255'), smr5Only: false },
  { type: 'M_BUS_DRIVER_ACTIVE_FIRMWARE', object: cosemObject(DataClass, '1-4:0.2.0.255'), smr5Only: true },
];

/** Whether a gateway protocol (GXF's protocol name and version, e.g. "SMR 5.1") is an SMR 5 one. */
export function isSmr5(protocol: string): boolean {
  return /^SMR 5(\.\d+)*$/.test(protocol);
}

/** The firmware version objects a meter of this protocol has, in GXF's order. */
export function firmwareVersionObjects(protocol: string): typeof FIRMWARE_VERSION_OBJECTS {
  return FIRMWARE_VERSION_OBJECTS.filter((o) => !o.smr5Only || isSmr5(protocol));
}

/**
 * The firmware version text as GXF reports it: the octet-string's bytes as UTF-8 with control characters
 * (U+0000..U+001F) removed.
 */
export function firmwareVersionText(bytes: Buffer): string {
  return bytes.toString('utf8').replace(/[\u0000-\u001f]/g, ''); // eslint-disable-line no-control-regex
}

/** The M-Bus device's simple version info (class 4, 0-<channel>:24.2.11.255; SMR 5.0 §7 M-Bus device configuration). */
export function mbusSimpleVersionInfo(channel: number): ReturnType<typeof cosemObject<typeof ExtendedRegisterClass>> {
  if (!Number.isInteger(channel) || channel < 1 || channel > 4) throw decodeError(`M-Bus channel ${channel} is not 1..4`);
  return cosemObject(ExtendedRegisterClass, Obis.of(0, channel, 24, 2, 11, 255));
}

// ---- image transfer (class 18) ------------------------------------------------------------------------------

/** The image transfer object of an E-meter (DSMR 4.2.2 / SMR 5.0 "Image transfer", IEC 62056-6-2 class 18). */
export const IMAGE_TRANSFER = cosemObject(ImageTransferClass, '0-0:44.0.0.255');

/** image_transfer_status (attribute 6), IEC 62056-6-2 class 18. */
export const ImageTransferStatus = {
  NOT_INITIATED: 0,
  INITIATED: 1,
  VERIFICATION_INITIATED: 2,
  VERIFICATION_SUCCESSFUL: 3,
  VERIFICATION_FAILED: 4,
  ACTIVATION_INITIATED: 5,
  ACTIVATION_SUCCESSFUL: 6,
  ACTIVATION_FAILED: 7,
} as const;

/** Method 1 image_transfer_initiate: structure{image_identifier octet-string, image_size double-long-unsigned}. */
export function initiateParameter(imageIdentifier: Buffer, imageSize: number): DlmsData {
  return Data.structure([Data.octetString(imageIdentifier), Data.doubleLongUnsigned(imageSize)]);
}

/** Method 2 image_block_transfer: structure{image_block_number double-long-unsigned, image_block_value octet-string}. */
export function blockParameter(blockNumber: number, block: Buffer): DlmsData {
  return Data.structure([Data.doubleLongUnsigned(blockNumber), Data.octetString(block)]);
}

/** Methods 3 image_verify and 4 image_activate: integer 0. */
export function verifyParameter(): DlmsData {
  return Data.integer(0);
}
export const activateParameter = verifyParameter;

/** Block n of an image cut in blocks of blockSize (the last one short, not padded). */
export function imageBlock(image: Buffer, blockSize: number, n: number): Buffer {
  return image.subarray(n * blockSize, Math.min(image.length, (n + 1) * blockSize));
}

export function blockCount(imageSize: number, blockSize: number): number {
  return Math.ceil(imageSize / blockSize);
}

const fields = (d: DlmsData, what: string): DlmsData[] => {
  if (d.type !== 'structure' || d.value.length !== 2) throw decodeError(`${what}: structure of 2 expected`);
  return d.value;
};

/** The meter's reading of method 1's parameter. */
export function readInitiateParameter(d: DlmsData): { imageIdentifier: Buffer; imageSize: number } {
  const [id, size] = fields(d, 'image_transfer_initiate');
  if (id!.type !== 'octet-string' || size!.type !== 'double-long-unsigned') throw decodeError('image_transfer_initiate: octet-string, double-long-unsigned expected');
  return { imageIdentifier: id!.value, imageSize: size!.value };
}

/** The meter's reading of method 2's parameter. */
export function readBlockParameter(d: DlmsData): { blockNumber: number; block: Buffer } {
  const [n, v] = fields(d, 'image_block_transfer');
  if (n!.type !== 'double-long-unsigned' || v!.type !== 'octet-string') throw decodeError('image_block_transfer: double-long-unsigned, octet-string expected');
  return { blockNumber: n!.value, block: v!.value };
}
