/**
 * Image transfer with class 18 (IEC 62056-6-2 "Image transfer"; DSMR 4.2.2 / SMR 5.0 "Firmware upgrade";
 * docs/firmware.md#image-transfer): enable, initiate, read the meter's block size, send the blocks the meter lacks
 * from image_first_not_transferred_block_number on, verify, activate, polling image_transfer_status while the meter
 * works. Resumes where the meter stands: a transfer the meter reports INITIATED for the same image continues from
 * the first block the meter reports missing; block 0 is sent again only when the meter reports it missing.
 *
 * Works over any link that can GET, SET and ACT (the gateway link of src/adapters, or a DlmsSession through
 * `sessionLink`).
 */
import type { DlmsData } from '../dlms/axdr.ts';
import type { GetDataResult } from '../dlms/apdu/index.ts';
import type { Obis } from '../dlms/obis.ts';
import { ActionResult } from '../dlms/apdu/common.ts';
import {
  IMAGE_TRANSFER,
  ImageTransferClass,
  ImageTransferStatus,
  activateParameter,
  blockCount,
  blockParameter,
  imageBlock,
  initiateParameter,
  verifyParameter,
} from '../cosem/index.ts';
import { ErrorCode, MeterfabricError, isMeterfabricError } from '../errors.ts';
import type { DlmsSession } from './client.ts';
import { setResult, getResults } from './event-logs.ts';

export interface ImageTransferLink {
  getAttributes(refs: { classId: number; obis: Obis; attributeId: number }[]): Promise<GetDataResult[]>;
  setAttribute(ref: { classId: number; obis: Obis; attributeId: number }, value: DlmsData): Promise<number>;
  /** ACTION; resolves with the Action-Result as the meter sent it (0 = success). */
  action(ref: { classId: number; obis: Obis; methodId: number }, parameter: DlmsData): Promise<number>;
}

/** ACTION that resolves with the meter's Action-Result instead of throwing on a non-success one. */
export async function actionResult(session: DlmsSession, ref: { classId: number; obis: Obis; methodId: number }, parameter: DlmsData): Promise<number> {
  try {
    await session.action(ref, parameter);
    return ActionResult.SUCCESS;
  } catch (e) {
    const result = isMeterfabricError(e) && e.code === ErrorCode.ACTION_RESULT ? (e.details as { result?: number } | undefined)?.result : undefined;
    if (typeof result === 'number') return result;
    throw e;
  }
}

export function sessionLink(session: DlmsSession): ImageTransferLink {
  return {
    getAttributes: (refs) => getResults(session, refs),
    setAttribute: (ref, value) => setResult(session, ref, value),
    action: (ref, parameter) => actionResult(session, ref, parameter),
  };
}

/** The step an image transfer is at, as it is stored for a resume. */
export type ImageTransferStep = 'initiating' | 'transferring' | 'verifying' | 'activating' | 'activated';

export interface ImageTransferProgress {
  step: ImageTransferStep;
  blockSize?: number;
  blocks?: number;
  nextBlock: number;
}

export interface ImageTransferOptions {
  image: Buffer;
  imageIdentifier: Buffer;
  /**
   * The stored step of an earlier transfer of this same image, when there is one: the transfer continues when the
   * meter's status fits that step (RESUMABLE), and starts over otherwise.
   */
  resumeFrom?: ImageTransferStep;
  /** Called at every step and after every block the meter confirmed (the caller stores it). */
  progress?(p: ImageTransferProgress): Promise<void>;
  /** Store the progress every n blocks (default 1). */
  progressEvery?: number;
  /** Pause between two reads of image_transfer_status while the meter works (default 1000 ms). */
  pollIntervalMs?: number;
  /** Reads of image_transfer_status before giving up (default 60). */
  maxPolls?: number;
  sleep?(ms: number): Promise<void>;
  /** Filled as the transfer goes (so that a caller sees what was sent even when the line drops). */
  report?: ImageTransferReport;
  /** Send image_verify before activating (default true; an M-Bus device's image is activated without, as GXF does). */
  verify?: boolean;
}

export interface ImageTransferReport {
  blockSize: number;
  blocks: number;
  /** The block the transfer (re)started from: the meter's first missing one. */
  startedAt: number;
  /** Whether initiate was skipped because the meter already had the transfer started. */
  resumed: boolean;
  blocksSent: number;
  /** Blocks sent more than once within this call (each because the meter reported it missing). */
  blocksResent: number;
  /** Sends of block 0 (each one because the meter reported block 0 missing). */
  block0Sends: number;
  statusPolls: number;
}

const A = ImageTransferClass.attribute;
const M = ImageTransferClass.method;
const ref = (attributeId: number) => ({ classId: IMAGE_TRANSFER.cls.classId, obis: IMAGE_TRANSFER.obis, attributeId });
const mref = (methodId: number) => ({ classId: IMAGE_TRANSFER.cls.classId, obis: IMAGE_TRANSFER.obis, methodId });

function failed(message: string, details?: Record<string, unknown>): MeterfabricError {
  return new MeterfabricError(ErrorCode.IMAGE_TRANSFER_FAILED, message, { component: 'PROTOCOL_DLMS', retryable: false, ...(details ? { details } : {}) });
}

async function readNumber(link: ImageTransferLink, attributeId: number, what: string): Promise<number> {
  const [r] = await link.getAttributes([ref(attributeId)]);
  if (!r || r.kind !== 'data') throw new MeterfabricError(ErrorCode.DATA_ACCESS_RESULT, `GET image transfer ${what}: ${r?.kind === 'error' ? r.result : 'no result'}`, { retryable: false, details: { result: r?.kind === 'error' ? r.result : undefined } });
  const d = r.data;
  if (d.type === 'boolean') return d.value ? 1 : 0;
  if (d.type === 'enum' || d.type === 'double-long-unsigned' || d.type === 'unsigned' || d.type === 'long-unsigned') return d.value;
  throw new MeterfabricError(ErrorCode.ILLEGAL_RESPONSE, `GET image transfer ${what}: unexpected ${d.type}`, { retryable: true });
}

const S = ImageTransferStatus;
/**
 * The meter statuses that can belong to our own earlier transfer at each stored step: before verify was sent the
 * meter can only be INITIATED for it; a status further on belongs to another image and the transfer starts over.
 */
export const RESUMABLE: Record<ImageTransferStep, ReadonlySet<number>> = {
  initiating: new Set([S.INITIATED]),
  transferring: new Set([S.INITIATED]),
  verifying: new Set([S.INITIATED, S.VERIFICATION_INITIATED, S.VERIFICATION_SUCCESSFUL, S.VERIFICATION_FAILED]),
  activating: new Set([S.INITIATED, S.VERIFICATION_SUCCESSFUL, S.ACTIVATION_INITIATED, S.ACTIVATION_SUCCESSFUL, S.ACTIVATION_FAILED]),
  // The image is active already (the answer was lost): nothing to send.
  activated: new Set([S.ACTIVATION_SUCCESSFUL]),
};

/** Runs (or continues) the transfer of one image up to its activation. */
export async function transferImage(link: ImageTransferLink, o: ImageTransferOptions): Promise<ImageTransferReport> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const interval = o.pollIntervalMs ?? 1000;
  const maxPolls = o.maxPolls ?? 60;
  const every = Math.max(1, o.progressEvery ?? 1);
  const report: ImageTransferReport = Object.assign(o.report ?? {}, { blockSize: 0, blocks: 0, startedAt: 0, resumed: false, blocksSent: 0, blocksResent: 0, block0Sends: 0, statusPolls: 0 });
  const status = async () => {
    report.statusPolls++;
    return readNumber(link, A.image_transfer_status.id, 'image_transfer_status');
  };
  /** Reads the status while it is `busy`, pausing between reads; the first status that is not. */
  const pollWhile = async (busy: number, first: number): Promise<number> => {
    let s = first;
    for (let i = 0; s === busy; i++) {
      if (i >= maxPolls) throw new MeterfabricError(ErrorCode.COMMUNICATION_TIMEOUT, `image_transfer_status stayed ${busy} for ${maxPolls} reads`, { retryable: true });
      if (interval > 0) await sleep(interval);
      s = await status();
    }
    return s;
  };

  let s = await status();
  const continuing = o.resumeFrom !== undefined && RESUMABLE[o.resumeFrom].has(s);
  report.resumed = continuing;
  if (!continuing) {
    await o.progress?.({ step: 'initiating', nextBlock: 0 });
    if ((await readNumber(link, A.image_transfer_enabled.id, 'image_transfer_enabled')) === 0) {
      const r = await link.setAttribute(ref(A.image_transfer_enabled.id), { type: 'boolean', value: true });
      if (r !== 0) throw failed(`The meter refused to enable image transfer (Data-Access-Result ${r})`, { result: r });
    }
    const r = await link.action(mref(M.image_transfer_initiate.id), initiateParameter(o.imageIdentifier, o.image.length));
    if (r !== ActionResult.SUCCESS && r !== ActionResult.TEMPORARY_FAILURE) throw failed(`image_transfer_initiate was not SUCCESS: ${r}`, { result: r });
    s = await pollWhile(ImageTransferStatus.NOT_INITIATED, await status());
    if (s !== ImageTransferStatus.INITIATED) throw failed(`Image transfer has not been initiated (status ${s})`, { status: s });
  }

  if (s === ImageTransferStatus.INITIATED) {
    const blockSize = await readNumber(link, A.image_block_size.id, 'image_block_size');
    if (blockSize <= 0) throw failed(`The meter reports image_block_size ${blockSize}`);
    const blocks = blockCount(o.image.length, blockSize);
    report.blockSize = blockSize;
    report.blocks = blocks;
    let next = await readNumber(link, A.image_first_not_transferred_block_number.id, 'image_first_not_transferred_block_number');
    report.startedAt = next;
    await o.progress?.({ step: 'transferring', blockSize, blocks, nextBlock: next });
    const sent = new Set<number>();
    // Send from the meter's first missing block; then ask the meter again, until it has them all.
    for (let rounds = 0; next < blocks; rounds++) {
      if (rounds > blocks + 8) throw failed(`The meter keeps reporting block ${next} missing`, { nextBlock: next });
      for (let i = next; i < blocks; i++) {
        const r = await link.action(mref(M.image_block_transfer.id), blockParameter(i, imageBlock(o.image, blockSize, i)));
        if (r !== ActionResult.SUCCESS) throw failed(`image_block_transfer of block ${i} was not SUCCESS: ${r}`, { result: r, block: i });
        report.blocksSent++;
        if (sent.has(i)) report.blocksResent++;
        if (i === 0) report.block0Sends++;
        sent.add(i);
        if ((i + 1) % every === 0 || i + 1 === blocks) await o.progress?.({ step: 'transferring', blockSize, blocks, nextBlock: i + 1 });
      }
      next = await readNumber(link, A.image_first_not_transferred_block_number.id, 'image_first_not_transferred_block_number');
      if (next < blocks) await o.progress?.({ step: 'transferring', blockSize, blocks, nextBlock: next });
    }
    if (o.verify === false) {
      // Straight to activation: the meter checks the image itself (M-Bus device images carry their own MAC).
      await o.progress?.({ step: 'activating', blockSize, blocks, nextBlock: blocks });
      const r = await link.action(mref(M.image_activate.id), activateParameter());
      if (r !== ActionResult.SUCCESS && r !== ActionResult.TEMPORARY_FAILURE) throw failed(`image_activate was not SUCCESS: ${r}`, { result: r });
      s = await status();
    } else {
      await o.progress?.({ step: 'verifying', blockSize, blocks, nextBlock: blocks });
      const r = await link.action(mref(M.image_verify.id), verifyParameter());
      if (r !== ActionResult.SUCCESS && r !== ActionResult.TEMPORARY_FAILURE) throw failed(`The image could not be verified: image_verify was ${r}`, { result: r });
      s = await status();
    }
  }
  if (s === ImageTransferStatus.VERIFICATION_INITIATED) s = await pollWhile(ImageTransferStatus.VERIFICATION_INITIATED, s);
  if (s === ImageTransferStatus.VERIFICATION_FAILED) throw failed('The image could not be verified (VERIFICATION_FAILED)', { status: s });
  if (s === ImageTransferStatus.VERIFICATION_SUCCESSFUL) {
    await o.progress?.({ step: 'activating', nextBlock: report.blocks });
    const r = await link.action(mref(M.image_activate.id), activateParameter());
    if (r !== ActionResult.SUCCESS && r !== ActionResult.TEMPORARY_FAILURE) throw failed(`image_activate was not SUCCESS: ${r}`, { result: r });
    s = await status();
  }
  if (s === ImageTransferStatus.ACTIVATION_INITIATED) s = await pollWhile(ImageTransferStatus.ACTIVATION_INITIATED, s);
  if (s !== ImageTransferStatus.ACTIVATION_SUCCESSFUL) throw failed(`The image was not activated (image_transfer_status ${s})`, { status: s });
  await o.progress?.({ step: 'activated', blockSize: report.blockSize || undefined, blocks: report.blocks || undefined, nextBlock: report.blocks });
  return report;
}
