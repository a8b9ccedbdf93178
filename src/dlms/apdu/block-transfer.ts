/**
 * GET block transfer (docs/dlms.md#block-transfer): concatenate raw-data of all blocks, then decode; acknowledge block n with
 * get-request-next(n). Sans-IO: the client feeds responses in and gets the next request out.
 */
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { ByteReader, checkUint, decodeError } from '../bytes.ts';
import { type GetDataResult, readGetDataResult } from './common.ts';
import { GetRequestNext, GetResponseWithDataBlock } from './services.ts';

/** Default ceiling for one reassembled value; a meter that keeps sending blocks is stopped here. */
export const DEFAULT_MAX_BLOCK_TRANSFER_BYTES = 1 << 20;

export type BlockStep =
  | { done: false; next: GetRequestNext }
  | { done: true; raw: Buffer }
  | { done: true; error: number };

function illegal(message: string): MeterfabricError {
  return new MeterfabricError(ErrorCode.ILLEGAL_RESPONSE, message, { component: 'PROTOCOL_DLMS' });
}

/** Client side of one GET block transfer. */
export class DataBlockAssembler {
  private readonly parts: Buffer[] = [];
  private size = 0;
  private expected = 1;
  private finished = false;
  readonly invokeIdAndPriority: number;
  readonly maxBytes: number;

  constructor(invokeIdAndPriority: number, maxBytes = DEFAULT_MAX_BLOCK_TRANSFER_BYTES) {
    this.invokeIdAndPriority = invokeIdAndPriority;
    this.maxBytes = maxBytes;
  }

  /** Throws ILLEGAL_RESPONSE for out-of-order blocks or a different invoke id, DECODE_ERROR beyond maxBytes. */
  push(resp: GetResponseWithDataBlock): BlockStep {
    if (this.finished) throw illegal('block transfer already finished');
    if ((resp.invokeIdAndPriority & 0x0f) !== (this.invokeIdAndPriority & 0x0f)) {
      throw illegal(`block ${resp.blockNumber} carries invoke id ${resp.invokeIdAndPriority & 0x0f}, expected ${this.invokeIdAndPriority & 0x0f}`);
    }
    if (resp.result.kind === 'error') {
      this.finished = true;
      return { done: true, error: resp.result.result };
    }
    if (resp.blockNumber !== this.expected) throw illegal(`expected data block ${this.expected}, got ${resp.blockNumber}`);
    this.size += resp.result.data.length;
    if (this.size > this.maxBytes) throw decodeError(`block transfer exceeds ${this.maxBytes} bytes`);
    this.parts.push(resp.result.data);
    if (resp.lastBlock) {
      this.finished = true;
      return { done: true, raw: Buffer.concat(this.parts, this.size) };
    }
    this.expected++;
    return { done: false, next: new GetRequestNext({ invokeIdAndPriority: this.invokeIdAndPriority, blockNumber: resp.blockNumber }) };
  }
}

/** Raw data of a block-transferred get-request-with-list: SEQUENCE OF Get-Data-Result (count, results). */
export function decodeGetDataResultList(raw: Buffer): GetDataResult[] {
  const r = new ByteReader(raw, 'block-transferred result list');
  const n = r.axdrLength('result count');
  if (n * 2 > r.remaining) throw decodeError(`block-transferred result list: ${n} results declared but only ${r.remaining} byte(s) remain`);
  const out: GetDataResult[] = [];
  for (let i = 0; i < n; i++) out.push(readGetDataResult(r));
  r.expectEnd();
  return out;
}

/** Server side: the responses for an encoded value that does not fit one APDU, blocks numbered from 1. */
export function splitIntoDataBlocks(p: { invokeIdAndPriority: number; raw: Buffer; maxBlockSize: number }): GetResponseWithDataBlock[] {
  checkUint(p.maxBlockSize, 0xffff, 'max block size');
  if (p.maxBlockSize < 1) throw decodeError('max block size must be at least 1');
  const out: GetResponseWithDataBlock[] = [];
  for (let off = 0, n = 1; off < p.raw.length || n === 1; off += p.maxBlockSize, n++) {
    const data = p.raw.subarray(off, off + p.maxBlockSize);
    out.push(new GetResponseWithDataBlock({ invokeIdAndPriority: p.invokeIdAndPriority, lastBlock: off + p.maxBlockSize >= p.raw.length, blockNumber: n, result: { kind: 'raw', data } }));
  }
  return out;
}
