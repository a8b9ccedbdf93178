/**
 * The simulated meter's firmware (docs/firmware.md#simulator): the firmware version objects, the M-Bus devices'
 * simple version info (SMR 5), and image transfer (class 18, 0-0:44.0.0.255) with faults at any block.
 *
 * Image transfer, as the meter does it here (IEC 62056-6-2 class 18):
 * - methods 1 and 2 answer other-reason while image_transfer_enabled (attribute 5) is false;
 * - initiate (method 1) records the identifier and size and forgets every block: status INITIATED;
 * - block_transfer (method 2) keeps a block of the expected size (the last one may be short); attribute 4 is the
 *   lowest block not received yet (the block count when complete);
 * - verify (method 3) answers temporary-failure with status VERIFICATION_INITIATED; the next read of the status
 *   shows VERIFICATION_SUCCESSFUL (or FAILED when a block is missing);
 * - activate (method 4) answers temporary-failure with status ACTIVATION_INITIATED; the next read of the status
 *   shows ACTIVATION_SUCCESSFUL and the image is active: the active firmware version becomes the image identifier
 *   as text.
 *
 * Faults (`state.firmware.fault`, one-shot, at a block number): `drop` closes the line when the block arrives (not
 * kept), `drop-after` keeps the block and closes the line without answering, `garbage` keeps the block and answers
 * with bytes that are no APDU, `crash` restarts the meter: the block is lost and so is the last block it had
 * received before (not yet written to flash), so the client must send that one again because the meter asks.
 */
import { createHash } from 'node:crypto';
import { ActionResult, DataAccessResult } from '../dlms/apdu/common.ts';
import { isMeterfabricError } from '../errors.ts';
import {
  FIRMWARE_VERSION_OBJECTS,
  IMAGE_TRANSFER,
  ImageTransferStatus,
  blockCount,
  mbusSimpleVersionInfo,
  readBlockParameter,
  readInitiateParameter,
  type FirmwareModuleType,
} from '../cosem/index.ts';
import type { GMeterState, MeterState } from './meter.ts';

export type ImageBlockFault = 'drop' | 'drop-after' | 'garbage' | 'crash';

export interface FirmwareState {
  versions: Record<FirmwareModuleType, string>;
  blockSize: number;
  enabled: boolean;
  status: number;
  identifier?: Buffer;
  size?: number;
  /** Received blocks by number. */
  blocks: (Buffer | undefined)[];
  /** The last block number received (for `crash`). */
  lastReceived?: number;
  /** The image that is active: its identifier and SHA-256 (hex). */
  active?: { identifier: string; sha256: string };
  /** One-shot fault at a block number. */
  fault?: { block: number; kind: ImageBlockFault };
  /** How often each block number arrived in total, and how often one arrived that the meter already had. */
  received: number;
  resent: number;
  /** Blocks the meter asked for again (attribute 4 pointed below a block it had received before: after a crash). */
  lost: number;
}

export function defaultFirmware(profile: MeterState['profile']): FirmwareState {
  return {
    versions: {
      ACTIVE_FIRMWARE: profile === 'smr5' ? 'MFS5 0503' : 'MFS4 0422',
      MODULE_ACTIVE_FIRMWARE: 'MFS-MOD 12',
      COMMUNICATION_MODULE_ACTIVE_FIRMWARE: 'MFS-COMM 3.1',
      M_BUS_DRIVER_ACTIVE_FIRMWARE: 'MFS-MBUS 1.0',
    },
    blockSize: 216,
    enabled: false,
    status: ImageTransferStatus.NOT_INITIATED,
    blocks: [],
    received: 0,
    resent: 0,
    lost: 0,
  };
}

export function firmwareOf(m: MeterState): FirmwareState {
  m.firmware ??= defaultFirmware(m.profile);
  return m.firmware;
}

/** The 4-byte simple version info of a G-meter (SMR 5): its own, or derived from its M-Bus version and type. */
export function simpleVersionInfo(g: GMeterState): Buffer {
  return g.firmwareVersion ? Buffer.from(g.firmwareVersion, 'hex') : Buffer.from([0x00, g.version & 0xff, g.deviceType & 0xff, 0x01]);
}

/** What a connection does with the line for this answer (./connection.ts). */
export type LineFault = 'drop' | 'drop-after' | 'garbage';

export interface BlockOutcome {
  result: number;
  line?: LineFault;
}

function firstMissing(f: FirmwareState): number {
  const n = f.size === undefined ? 0 : blockCount(f.size, f.blockSize);
  for (let i = 0; i < n; i++) if (!f.blocks[i]) return i;
  return n;
}

function complete(f: FirmwareState): boolean {
  return f.size !== undefined && firstMissing(f) === blockCount(f.size, f.blockSize);
}

export const imageTransfer = {
  object: IMAGE_TRANSFER,
  blockSize: (m: MeterState) => firmwareOf(m).blockSize,
  blocksStatus: (m: MeterState): Buffer => {
    const f = firmwareOf(m);
    const n = f.size === undefined ? 0 : blockCount(f.size, f.blockSize);
    const bits = Buffer.alloc(Math.ceil(n / 8));
    for (let i = 0; i < n; i++) if (f.blocks[i]) bits[i >> 3]! |= 0x80 >> (i & 7);
    return bits;
  },
  firstNotTransferred: (m: MeterState) => firstMissing(firmwareOf(m)),
  enabled: (m: MeterState) => firmwareOf(m).enabled,
  setEnabled: (m: MeterState, v: boolean) => {
    firmwareOf(m).enabled = v;
    return DataAccessResult.SUCCESS;
  },
  /** Reading the status moves a pending verification or activation on (./firmware.ts header). */
  status: (m: MeterState): number => {
    const f = firmwareOf(m);
    const shown = f.status;
    if (f.status === ImageTransferStatus.VERIFICATION_INITIATED) f.status = complete(f) ? ImageTransferStatus.VERIFICATION_SUCCESSFUL : ImageTransferStatus.VERIFICATION_FAILED;
    else if (f.status === ImageTransferStatus.ACTIVATION_INITIATED) activateNow(m, f);
    return shown;
  },
  toActivateInfo: (m: MeterState) => {
    const f = firmwareOf(m);
    if (f.size === undefined || !f.identifier || f.status < ImageTransferStatus.VERIFICATION_SUCCESSFUL || f.status === ImageTransferStatus.VERIFICATION_FAILED) return [];
    return [{ size: f.size, identifier: f.identifier, signature: (f.blocks[0] ?? Buffer.alloc(0)).subarray(0, 4) }];
  },
  initiate: (m: MeterState, parameter: unknown): BlockOutcome => {
    const f = firmwareOf(m);
    if (!f.enabled) return { result: ActionResult.OTHER_REASON };
    let p;
    try {
      p = readInitiateParameter(parameter as never);
    } catch (e) {
      if (isMeterfabricError(e)) return { result: ActionResult.TYPE_UNMATCHED };
      throw e;
    }
    f.identifier = p.imageIdentifier;
    f.size = p.imageSize;
    f.blocks = [];
    f.lastReceived = undefined;
    f.status = ImageTransferStatus.INITIATED;
    return { result: ActionResult.SUCCESS };
  },
  block: (m: MeterState, parameter: unknown): BlockOutcome => {
    const f = firmwareOf(m);
    if (!f.enabled || f.size === undefined || f.status !== ImageTransferStatus.INITIATED) return { result: ActionResult.OTHER_REASON };
    let p;
    try {
      p = readBlockParameter(parameter as never);
    } catch (e) {
      if (isMeterfabricError(e)) return { result: ActionResult.TYPE_UNMATCHED };
      throw e;
    }
    const n = blockCount(f.size, f.blockSize);
    const expected = p.blockNumber === n - 1 ? f.size - (n - 1) * f.blockSize : f.blockSize;
    if (p.blockNumber >= n || p.block.length !== expected) return { result: ActionResult.OTHER_REASON };
    const fault = f.fault?.block === p.blockNumber ? f.fault.kind : undefined;
    if (fault) f.fault = undefined;
    if (fault === 'drop') return { result: ActionResult.SUCCESS, line: 'drop' };
    if (fault === 'crash') {
      if (f.lastReceived !== undefined && f.blocks[f.lastReceived]) {
        f.blocks[f.lastReceived] = undefined;
        f.lost++;
      }
      f.lastReceived = undefined;
      return { result: ActionResult.SUCCESS, line: 'drop' };
    }
    f.received++;
    if (f.blocks[p.blockNumber]) f.resent++;
    f.blocks[p.blockNumber] = Buffer.from(p.block);
    f.lastReceived = p.blockNumber;
    if (fault === 'drop-after') return { result: ActionResult.SUCCESS, line: 'drop-after' };
    if (fault === 'garbage') return { result: ActionResult.SUCCESS, line: 'garbage' };
    return { result: ActionResult.SUCCESS };
  },
  verify: (m: MeterState): BlockOutcome => {
    const f = firmwareOf(m);
    if (f.status === ImageTransferStatus.VERIFICATION_SUCCESSFUL || f.status >= ImageTransferStatus.ACTIVATION_INITIATED) return { result: ActionResult.SUCCESS };
    if (f.status !== ImageTransferStatus.INITIATED && f.status !== ImageTransferStatus.VERIFICATION_FAILED && f.status !== ImageTransferStatus.VERIFICATION_INITIATED) return { result: ActionResult.OTHER_REASON };
    f.status = ImageTransferStatus.VERIFICATION_INITIATED;
    return { result: ActionResult.TEMPORARY_FAILURE };
  },
  activate: (m: MeterState): BlockOutcome => {
    const f = firmwareOf(m);
    if (f.status === ImageTransferStatus.ACTIVATION_SUCCESSFUL || f.status === ImageTransferStatus.ACTIVATION_INITIATED) return { result: ActionResult.SUCCESS };
    // Without a verify before (an M-Bus device image), the meter checks that every block is there itself.
    const verified = f.status === ImageTransferStatus.VERIFICATION_SUCCESSFUL || (f.status === ImageTransferStatus.INITIATED && complete(f));
    if (!verified) return { result: ActionResult.OTHER_REASON };
    f.status = ImageTransferStatus.ACTIVATION_INITIATED;
    return { result: ActionResult.TEMPORARY_FAILURE };
  },
};

function activateNow(m: MeterState, f: FirmwareState): void {
  const image = Buffer.concat(f.blocks.filter((b): b is Buffer => b !== undefined));
  const identifier = f.identifier!.toString('latin1');
  f.active = { identifier, sha256: createHash('sha256').update(image).digest('hex') };
  f.status = ImageTransferStatus.ACTIVATION_SUCCESSFUL;
  // An M-Bus device image (identifier: manufacturer ‖ "MBUS" ‖ identification number LE ‖ …) goes to the G-meter of
  // that identification: its simple version info becomes the header's image version (bytes 7..10, MSB first).
  if (f.identifier!.length >= 11 && f.identifier!.subarray(3, 7).toString('latin1') === 'MBUS') {
    const identification = Buffer.from(f.identifier!.subarray(7, 11)).reverse().toString('hex');
    const g = m.channels.find((c) => c?.identification === identification);
    if (g && image.length >= 11) g.firmwareVersion = Buffer.from(image.subarray(7, 11)).reverse().toString('hex');
    return;
  }
  f.versions.ACTIVE_FIRMWARE = identifier;
}

export { FIRMWARE_VERSION_OBJECTS, mbusSimpleVersionInfo };
