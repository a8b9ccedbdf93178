/**
 * HDLC frame codec for DLMS over TCP (IEC 62056-46, frame format type 3; docs/dlms.md#hdlc). Sans-IO: bytes in,
 * immutable frame objects out and back.
 *
 *   7E | format (2) | dest addr (1,2,4) | src addr (1,2,4) | control | [HCS (2) | information] | FCS (2) | 7E
 */
import { ErrorCode, MeterfabricError } from '../errors.ts';
import { crc16x25 } from './crc16.ts';

export const HDLC_FLAG = 0x7e;
/** LLC header in front of every APDU (docs/dlms.md#hdlc). */
export const LLC_REQUEST = Buffer.from([0xe6, 0xe6, 0x00]);
export const LLC_RESPONSE = Buffer.from([0xe6, 0xe7, 0x00]);
/** Shared by every frame without an information field and every drained reader (a zero-length Buffer cannot change). */
const EMPTY = Buffer.alloc(0);

export const HdlcControl = {
  SNRM: 0x93,
  DISC: 0x53,
  UA: 0x73,
  DM: 0x1f,
  FRMR: 0x97,
} as const;

const POLL_FINAL = 0x10;
/** The longest frame the 11-bit length field can describe. */
export const HDLC_MAX_FRAME_LENGTH = 0x7ff;

function decodeError(message: string): MeterfabricError {
  return new MeterfabricError(ErrorCode.DECODE_ERROR, `HDLC: ${message}`);
}

/**
 * An HDLC address: one byte (upper only), two bytes (upper + lower, 7 bits each) or four bytes (upper + lower,
 * 14 bits each). Each byte carries 7 bits shifted left by one; LSB = 1 marks the last byte.
 */
export class HdlcAddress {
  constructor(
    readonly upper: number,
    readonly lower: number | undefined = undefined,
    readonly size: 1 | 2 | 4 = lower === undefined ? 1 : 2,
  ) {
    const max = size === 4 ? 0x3fff : 0x7f;
    if (!Number.isInteger(upper) || upper < 0 || upper > max) throw new MeterfabricError(ErrorCode.ENCODE_ERROR, `HDLC: upper address ${upper} does not fit ${size} byte(s)`);
    if (size > 1 && (lower === undefined || !Number.isInteger(lower) || lower < 0 || lower > max)) {
      throw new MeterfabricError(ErrorCode.ENCODE_ERROR, `HDLC: lower address ${lower} does not fit ${size} byte(s)`);
    }
  }

  encode(): Buffer {
    const out = Buffer.allocUnsafe(this.size);
    this.writeTo(out, 0);
    return out;
  }

  /** Writes the address at `p` and returns the offset after it (frames are encoded in one allocation). */
  writeTo(out: Buffer, p: number): number {
    if (this.size === 1) {
      out[p] = ((this.upper << 1) | 1) & 0xff;
      return p + 1;
    }
    const lower = this.lower!;
    if (this.size === 2) {
      out[p] = (this.upper << 1) & 0xfe;
      out[p + 1] = ((lower << 1) | 1) & 0xff;
      return p + 2;
    }
    out[p] = (this.upper >> 7) << 1;
    out[p + 1] = (this.upper & 0x7f) << 1;
    out[p + 2] = (lower >> 7) << 1;
    out[p + 3] = (((lower & 0x7f) << 1) | 1) & 0xff;
    return p + 4;
  }

  /** Reads an address at `offset`; returns it and the number of bytes consumed. */
  static decodeAt(bytes: Uint8Array, offset: number, end: number): { address: HdlcAddress; length: number } {
    let n = 0;
    while (true) {
      if (offset + n >= end) throw decodeError('address runs past the frame');
      const last = bytes[offset + n] & 1;
      n++;
      if (last) break;
      if (n >= 4) throw decodeError('address longer than 4 bytes');
    }
    // Each byte carries 7 address bits above the end-of-address bit (no closure here: this runs for every frame).
    const b0 = bytes[offset] >> 1;
    if (n === 1) return { address: new HdlcAddress(b0), length: 1 };
    const b1 = bytes[offset + 1] >> 1;
    if (n === 2) return { address: new HdlcAddress(b0, b1, 2), length: 2 };
    if (n === 4) return { address: new HdlcAddress((b0 << 7) | b1, ((bytes[offset + 2] >> 1) << 7) | (bytes[offset + 3] >> 1), 4), length: 4 };
    throw decodeError('address of 3 bytes');
  }

  equals(other: HdlcAddress): boolean {
    return this.upper === other.upper && (this.lower ?? 0) === (other.lower ?? 0);
  }

  toString(): string {
    return this.lower === undefined ? `${this.upper}` : `${this.upper}/${this.lower}`;
  }
}

export type HdlcFrameKind = 'I' | 'RR' | 'RNR' | 'SNRM' | 'DISC' | 'UA' | 'DM' | 'FRMR' | 'UI' | 'unknown';

/** One HDLC frame, without the opening and closing flags. */
export class HdlcFrame {
  constructor(
    readonly destination: HdlcAddress,
    readonly source: HdlcAddress,
    readonly control: number,
    readonly information: Buffer = EMPTY,
    /** Segmentation bit: more segments of the same APDU follow. */
    readonly segmented = false,
  ) {}

  get kind(): HdlcFrameKind {
    const c = this.control;
    if ((c & 1) === 0) return 'I';
    if ((c & 0x0f) === 0x01) return 'RR';
    if ((c & 0x0f) === 0x05) return 'RNR';
    switch (c & ~POLL_FINAL & 0xff) {
      case HdlcControl.SNRM & ~POLL_FINAL: return 'SNRM';
      case HdlcControl.DISC & ~POLL_FINAL: return 'DISC';
      case HdlcControl.UA & ~POLL_FINAL: return 'UA';
      case HdlcControl.DM & ~POLL_FINAL: return 'DM';
      case HdlcControl.FRMR & ~POLL_FINAL: return 'FRMR';
      case 0x03: return 'UI';
      default: return 'unknown';
    }
  }

  /** N(S) of an I-frame. */
  get sendSequence(): number {
    return (this.control >> 1) & 7;
  }

  /** N(R) of an I- or RR-frame. */
  get receiveSequence(): number {
    return (this.control >> 5) & 7;
  }

  get pollFinal(): boolean {
    return (this.control & POLL_FINAL) !== 0;
  }

  static iControl(ns: number, nr: number, poll = true): number {
    return ((nr & 7) << 5) | (poll ? POLL_FINAL : 0) | ((ns & 7) << 1);
  }

  static rrControl(nr: number, poll = true): number {
    return ((nr & 7) << 5) | (poll ? POLL_FINAL : 0) | 0x01;
  }

  /** Encodes the frame including both flags. */
  encode(): Buffer {
    const hasInfo = this.information.length > 0;
    const headerLen = 2 + this.destination.size + this.source.size + 1;
    const length = headerLen + (hasInfo ? 2 + this.information.length : 0) + 2;
    if (length > HDLC_MAX_FRAME_LENGTH) throw new MeterfabricError(ErrorCode.ENCODE_ERROR, `HDLC: frame of ${length} bytes exceeds the 11-bit length`);
    const out = Buffer.allocUnsafe(length + 2);
    out[0] = HDLC_FLAG;
    out[1] = 0xa0 | (this.segmented ? 0x08 : 0) | ((length >> 8) & 0x07);
    out[2] = length & 0xff;
    let p = 3;
    p = this.destination.writeTo(out, p);
    p = this.source.writeTo(out, p);
    out[p++] = this.control;
    if (hasInfo) {
      const hcs = crc16x25(out, 1, p);
      out[p++] = hcs & 0xff;
      out[p++] = hcs >> 8;
      p += this.information.copy(out, p);
    }
    const fcs = crc16x25(out, 1, p);
    out[p++] = fcs & 0xff;
    out[p++] = fcs >> 8;
    out[p] = HDLC_FLAG;
    return out;
  }

  /**
   * Decodes one frame. `bytes` may include or omit the flags; the length field must match the bytes present and
   * both checksums must be right.
   */
  static decode(input: Uint8Array): HdlcFrame {
    let start = 0;
    let end = input.length;
    if (end > 0 && input[0] === HDLC_FLAG) start++;
    if (end > start && input[end - 1] === HDLC_FLAG) end--;
    const bytes = input;
    if (end - start < 2) throw decodeError('frame shorter than its format field');
    const format = (bytes[start] << 8) | bytes[start + 1];
    if ((format & 0xf000) !== 0xa000) throw decodeError(`frame format type ${(format >> 12).toString(16)} is not 3`);
    const length = format & 0x07ff;
    if (length !== end - start) throw decodeError(`length field ${length} but ${end - start} bytes present`);
    const segmented = (format & 0x0800) !== 0;
    let p = start + 2;
    const dst = HdlcAddress.decodeAt(bytes, p, end);
    p += dst.length;
    const src = HdlcAddress.decodeAt(bytes, p, end);
    p += src.length;
    if (p + 1 + 2 > end) throw decodeError('frame too short for control and FCS');
    const control = bytes[p++];
    const fcs = bytes[end - 2] | (bytes[end - 1] << 8);
    if (crc16x25(bytes, start, end - 2) !== fcs) throw decodeError('FCS mismatch');
    let information = EMPTY;
    if (end - 2 > p) {
      if (p + 2 > end - 2) throw decodeError('frame too short for HCS');
      const hcs = bytes[p] | (bytes[p + 1] << 8);
      if (crc16x25(bytes, start, p) !== hcs) throw decodeError('HCS mismatch');
      p += 2;
      information = Buffer.from(bytes.subarray(p, end - 2));
    }
    return new HdlcFrame(dst.address, src.address, control, information, segmented);
  }
}

/**
 * Splits a byte stream into frames. Frames are delimited by 0x7E flags; the length field tells where a frame
 * ends, so a flag byte inside the information field does not cut a frame short. Bytes between frames that are not
 * a frame start (line noise) are skipped.
 */
export class HdlcFrameReader {
  private buffer: Buffer = EMPTY;

  /** Appends bytes; returns the raw frames (flags included) that are now complete. */
  push(chunk: Buffer): Buffer[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const frames: Buffer[] = [];
    let p = 0;
    const b = this.buffer;
    while (p < b.length) {
      if (b[p] !== HDLC_FLAG) {
        p++;
        continue;
      }
      // Consecutive flags (a closing flag followed by an opening one) are allowed.
      if (p + 1 < b.length && b[p + 1] === HDLC_FLAG) {
        p++;
        continue;
      }
      if (p + 3 > b.length) break;
      if ((b[p + 1] & 0xf0) !== 0xa0) {
        p++;
        continue;
      }
      const length = ((b[p + 1] & 0x07) << 8) | b[p + 2];
      if (length < 7) {
        p++;
        continue;
      }
      if (p + length + 2 > b.length) break;
      if (b[p + length + 1] !== HDLC_FLAG) {
        p++;
        continue;
      }
      frames.push(b.subarray(p, p + length + 2));
      p += length + 1; // the closing flag may also open the next frame
    }
    this.buffer = p >= b.length ? EMPTY : Buffer.from(b.subarray(p));
    if (this.buffer.length > 4 * HDLC_MAX_FRAME_LENGTH) throw decodeError('no frame found in the received bytes');
    return frames;
  }

  get pending(): number {
    return this.buffer.length;
  }
}

/** Link parameters exchanged in SNRM/UA (docs/dlms.md#hdlc). */
export interface HdlcParameters {
  maxInfoTx: number;
  maxInfoRx: number;
  windowTx: number;
  windowRx: number;
}

export const DEFAULT_HDLC_PARAMETERS: HdlcParameters = { maxInfoTx: 128, maxInfoRx: 128, windowTx: 1, windowRx: 1 };

function minimalUnsigned(value: number): Buffer {
  if (value <= 0xff) return Buffer.from([value]);
  if (value <= 0xffff) return Buffer.from([value >> 8, value & 0xff]);
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0);
  return b;
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v);
  return b;
}

/** `81 80 <len> 05 <n> <max info tx> 06 <n> <max info rx> 07 04 <window tx> 08 04 <window rx>` */
export function encodeHdlcParameters(p: HdlcParameters): Buffer {
  const items: Buffer[] = [];
  for (const [id, value] of [
    [0x05, minimalUnsigned(p.maxInfoTx)],
    [0x06, minimalUnsigned(p.maxInfoRx)],
    [0x07, u32(p.windowTx)],
    [0x08, u32(p.windowRx)],
  ] as const) {
    items.push(Buffer.from([id, value.length]), value);
  }
  const body = Buffer.concat(items);
  return Buffer.concat([Buffer.from([0x81, 0x80, body.length]), body]);
}

/** Parses an SNRM/UA information field; absent parameters keep their defaults. */
export function decodeHdlcParameters(info: Uint8Array): HdlcParameters {
  const p = { ...DEFAULT_HDLC_PARAMETERS };
  if (info.length === 0) return p;
  if (info.length < 3 || info[0] !== 0x81 || info[1] !== 0x80) throw decodeError('parameter field does not start with 81 80');
  const len = info[2];
  if (3 + len > info.length) throw decodeError('parameter field shorter than its length');
  let i = 3;
  const end = 3 + len;
  while (i < end) {
    if (i + 2 > end) throw decodeError('truncated parameter');
    const id = info[i];
    const n = info[i + 1];
    if (i + 2 + n > end) throw decodeError('parameter value runs past the field');
    if (n > 4) throw decodeError(`parameter ${id} of ${n} bytes`);
    let v = 0;
    for (let k = 0; k < n; k++) v = v * 256 + info[i + 2 + k];
    if (id === 0x05) p.maxInfoTx = v;
    else if (id === 0x06) p.maxInfoRx = v;
    else if (id === 0x07) p.windowTx = v;
    else if (id === 0x08) p.windowRx = v;
    i += 2 + n;
  }
  return p;
}
