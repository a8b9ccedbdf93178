/**
 * Bounds-checked byte reading shared by every DLMS decoder (CONVENTIONS: decoders check every length against the
 * bytes present before reading or allocating, and throw only MeterfabricError DECODE_ERROR).
 */
import { ErrorCode, MeterfabricError } from '../errors.ts';

export function decodeError(message: string, details?: Record<string, unknown>): MeterfabricError {
  return new MeterfabricError(ErrorCode.DECODE_ERROR, message, { component: 'PROTOCOL_DLMS', details });
}

export function encodeError(message: string): MeterfabricError {
  return new MeterfabricError(ErrorCode.ENCODE_ERROR, message, { component: 'PROTOCOL_DLMS' });
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex').toUpperCase();
}

/** Reads a buffer front to back; every read checks the remaining length first. */
export class ByteReader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;
  /** Names the structure being decoded in error messages, e.g. "get-response". */
  readonly what: string;

  constructor(buf: Buffer, what: string, offset = 0, end = buf.length) {
    this.buf = buf;
    this.what = what;
    this.pos = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  get atEnd(): boolean {
    return this.pos >= this.end;
  }

  need(n: number, field: string): void {
    if (n < 0 || n > this.remaining) {
      throw decodeError(`${this.what}: ${field} needs ${n} byte(s) at offset ${this.pos}, only ${Math.max(0, this.remaining)} left`);
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.buf[this.pos++]!;
  }

  peek(field: string): number {
    this.need(1, field);
    return this.buf[this.pos]!;
  }

  i8(field: string): number {
    this.need(1, field);
    const v = this.buf.readInt8(this.pos);
    this.pos += 1;
    return v;
  }

  u16(field: string): number {
    this.need(2, field);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  i16(field: string): number {
    this.need(2, field);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(field: string): number {
    this.need(4, field);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  i32(field: string): number {
    this.need(4, field);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** A view (no copy) of the next n bytes. */
  view(n: number, field: string): Buffer {
    this.need(n, field);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** A copy of the next n bytes, allocated only after the length was checked. */
  bytes(n: number, field: string): Buffer {
    return Buffer.from(this.view(n, field));
  }

  rest(): Buffer {
    return this.bytes(this.remaining, 'rest');
  }

  /** A-XDR length: < 0x80 one byte; 0x81..0x84 followed by 1..4 big-endian bytes (docs/dlms.md#ciphering, #a-xdr-data). */
  axdrLength(field: string): number {
    const first = this.u8(`${field} length`);
    if (first < 0x80) return first;
    const n = first & 0x7f;
    if (n === 0 || n > 4) throw decodeError(`${this.what}: ${field} has an unsupported length form 0x${first.toString(16)}`);
    let len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + this.u8(`${field} length`);
    return len;
  }

  expectEnd(): void {
    if (this.pos !== this.end) {
      throw decodeError(`${this.what}: ${this.end - this.pos} unexpected trailing byte(s) at offset ${this.pos}`);
    }
  }
}

/** A-XDR length encoding (docs/dlms.md#ciphering). */
export function encodeAxdrLength(len: number): Buffer {
  if (!Number.isInteger(len) || len < 0 || len > 0xffffffff) throw encodeError(`invalid A-XDR length ${len}`);
  if (len < 0x80) return Buffer.from([len]);
  if (len <= 0xff) return Buffer.from([0x81, len]);
  if (len <= 0xffff) return Buffer.from([0x82, len >> 8, len & 0xff]);
  if (len <= 0xffffff) return Buffer.from([0x83, len >> 16, (len >> 8) & 0xff, len & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = 0x84;
  b.writeUInt32BE(len, 1);
  return b;
}

/** Bytes that encodeAxdrLength(len) takes. */
export function axdrLengthSize(len: number): number {
  if (!Number.isInteger(len) || len < 0 || len > 0xffffffff) throw encodeError(`invalid A-XDR length ${len}`);
  return len < 0x80 ? 1 : len <= 0xff ? 2 : len <= 0xffff ? 3 : len <= 0xffffff ? 4 : 5;
}

/** Writes the A-XDR length at offset (as encodeAxdrLength) and returns the offset after it. */
export function writeAxdrLength(out: Buffer, offset: number, len: number): number {
  const n = axdrLengthSize(len);
  if (n === 1) {
    out[offset] = len;
    return offset + 1;
  }
  out[offset] = 0x80 | (n - 1);
  out.writeUIntBE(len, offset + 1, n - 1);
  return offset + n;
}

/** Decodes an A-XDR length at offset; returns the length and the offset after it. */
export function decodeAxdrLength(buf: Buffer, offset = 0): { length: number; next: number } {
  const r = new ByteReader(buf, 'A-XDR length', offset);
  const length = r.axdrLength('value');
  return { length, next: r.pos };
}

export function u16be(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v);
  return b;
}

export function u32be(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}

export function checkUint(v: number, max: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > max) throw encodeError(`${what} must be an integer in 0..${max}, got ${v}`);
  return v;
}
