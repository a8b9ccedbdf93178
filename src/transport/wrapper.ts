/**
 * WRAPPER framing for DLMS over TCP (IEC 62056-47; docs/dlms.md#wrapper). Sans-IO.
 *
 *   version 0x0001 (2) | source wPort (2) | destination wPort (2) | APDU length (2) | APDU
 *
 * One APDU per frame; frames split or merge across TCP segments, so the reader collects exactly `length` bytes.
 */
import { ErrorCode, MeterfabricError } from '../errors.ts';

export const WRAPPER_VERSION = 0x0001;
export const WRAPPER_HEADER_LENGTH = 8;

export class WrapperFrame {
  constructor(
    readonly source: number,
    readonly destination: number,
    readonly apdu: Buffer,
  ) {}

  encode(): Buffer {
    if (this.apdu.length > 0xffff) throw new MeterfabricError(ErrorCode.ENCODE_ERROR, `WRAPPER: APDU of ${this.apdu.length} bytes exceeds 65535`);
    const out = Buffer.allocUnsafe(WRAPPER_HEADER_LENGTH + this.apdu.length);
    out.writeUInt16BE(WRAPPER_VERSION, 0);
    out.writeUInt16BE(this.source, 2);
    out.writeUInt16BE(this.destination, 4);
    out.writeUInt16BE(this.apdu.length, 6);
    this.apdu.copy(out, WRAPPER_HEADER_LENGTH);
    return out;
  }

  /** Decodes exactly one frame; the bytes must hold the header and exactly `length` APDU bytes. */
  static decode(bytes: Uint8Array): WrapperFrame {
    const header = WrapperHeader.decode(bytes);
    if (bytes.length !== WRAPPER_HEADER_LENGTH + header.length) {
      throw new MeterfabricError(ErrorCode.DECODE_ERROR, `WRAPPER: length field ${header.length} but ${bytes.length - WRAPPER_HEADER_LENGTH} APDU bytes present`);
    }
    return new WrapperFrame(header.source, header.destination, Buffer.from(bytes.subarray(WRAPPER_HEADER_LENGTH)));
  }
}

export class WrapperHeader {
  constructor(
    readonly source: number,
    readonly destination: number,
    readonly length: number,
  ) {}

  /** Reads the 8-byte header; a version other than 1 is WRAPPER_HEADER_INVALID (231). */
  static decode(bytes: Uint8Array): WrapperHeader {
    if (bytes.length < WRAPPER_HEADER_LENGTH) throw new MeterfabricError(ErrorCode.DECODE_ERROR, `WRAPPER: header needs 8 bytes, ${bytes.length} present`);
    const version = (bytes[0] << 8) | bytes[1];
    if (version !== WRAPPER_VERSION) {
      throw new MeterfabricError(ErrorCode.WRAPPER_HEADER_INVALID, `WRAPPER: version ${version} in header, expected 1`);
    }
    return new WrapperHeader((bytes[2] << 8) | bytes[3], (bytes[4] << 8) | bytes[5], (bytes[6] << 8) | bytes[7]);
  }
}

/** Collects stream bytes into whole frames. */
export class WrapperFrameReader {
  private chunks: Buffer[] = [];
  private size = 0;
  private header: WrapperHeader | undefined;

  /** Appends bytes; returns the frames that are now complete. Throws 231 on a bad header. */
  push(chunk: Buffer): WrapperFrame[] {
    // Common case: nothing pending and the chunk is exactly one frame. The APDU is then a view of the chunk, which
    // holds nothing else, so no copy is needed to avoid pinning a larger buffer.
    if (this.size === 0 && !this.header && chunk.length >= WRAPPER_HEADER_LENGTH) {
      const h = WrapperHeader.decode(chunk);
      if (chunk.length === WRAPPER_HEADER_LENGTH + h.length) return [new WrapperFrame(h.source, h.destination, chunk.subarray(WRAPPER_HEADER_LENGTH))];
    }
    if (chunk.length) {
      this.chunks.push(chunk);
      this.size += chunk.length;
    }
    const frames: WrapperFrame[] = [];
    while (true) {
      if (!this.header) {
        if (this.size < WRAPPER_HEADER_LENGTH) break;
        this.header = WrapperHeader.decode(this.take(WRAPPER_HEADER_LENGTH));
      }
      if (this.size < this.header.length) break;
      const apdu = this.take(this.header.length);
      frames.push(new WrapperFrame(this.header.source, this.header.destination, apdu));
      this.header = undefined;
    }
    return frames;
  }

  get pending(): number {
    return this.size + (this.header ? WRAPPER_HEADER_LENGTH : 0);
  }

  private take(n: number): Buffer {
    const first = this.chunks[0];
    let out: Buffer;
    if (first && first.length >= n) {
      // Copy so that a returned APDU does not pin the socket's larger read buffer.
      out = Buffer.from(first.subarray(0, n));
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      const all = Buffer.concat(this.chunks, this.size);
      out = Buffer.from(all.subarray(0, n));
      this.chunks = all.length > n ? [all.subarray(n)] : [];
    }
    this.size -= n;
    return out;
  }
}
