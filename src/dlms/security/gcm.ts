/**
 * AES-128-GCM (NIST SP 800-38D, 96-bit IVs) with the key schedule kept between messages.
 *
 * node:crypto builds a new GCM context — cipher lookup and key schedule included — for every message; with some 30
 * GCM operations per M-Bus key exchange that was a quarter of all DLMS work. Here the block cipher is one OpenSSL
 * AES-128-ECB context per key, reused for every message (J0, J0+1, … enciphered in one call), and GHASH is computed
 * in constant time: carry-less multiplication built from integer multiplications "with holes" (only every fourth bit
 * of each operand at a time, so no carry reaches a bit that is kept), Karatsuba over the 64- and 32-bit halves, and
 * no table lookups or branches that depend on H or on the data. Tags are compared with timingSafeEqual, and nothing
 * is deciphered before the tag verifies.
 *
 * Word layout: GCM numbers the bits of a block from the most significant bit of byte 0 (coefficient of x^0). A
 * block read as four big-endian 32-bit words therefore holds each 32-coefficient slice bit-reversed; `rev32` turns
 * a word into "normal" form (bit k = coefficient of x^k). The low half of a 32x32 carry-less product comes from the
 * normal forms, the high half from the reversed forms (clmul(rev a, rev b) = rev(clmul(a, b)) shifted by one).
 */
import { type Cipher, createCipheriv, timingSafeEqual } from 'node:crypto';
import { encodeError } from '../bytes.ts';

const IV_LENGTH = 12;
/** Tag lengths SP 800-38D allows (the same set node:crypto accepts). */
const TAG_LENGTHS = new Set([4, 8, 12, 13, 14, 15, 16]);
const ZERO_BLOCK = Buffer.alloc(16);

export class AesGcm128 {
  private readonly ecb: Cipher;
  /** H: words 0..3 in normal form, 4..7 as read (bit-reversed). */
  private readonly h = new Int32Array(8);
  /** The last AAD (up to 64 bytes) and the GHASH state after it. */
  private aad: Buffer | undefined;
  private readonly aadState = new Int32Array(4);

  constructor(key: Buffer) {
    if (key.length !== 16) throw encodeError('AES-128-GCM needs a 16-byte key');
    this.ecb = createCipheriv('aes-128-ecb', key, null);
    this.ecb.setAutoPadding(false);
    const h = this.ecb.update(ZERO_BLOCK);
    for (let j = 0; j < 4; j++) {
      const w = h.readInt32BE(4 * j);
      this.h[j] = rev32(w);
      this.h[4 + j] = w;
    }
    h.fill(0);
  }

  /** Enciphers `plaintext` and authenticates it with `aad`; the tag is the first `tagLength` bytes of GCM's. */
  encrypt(iv: Buffer, plaintext: Buffer, aad: Buffer, tagLength: number): { ciphertext: Buffer; tag: Buffer } {
    checkTagLength(tagLength);
    const n = plaintext.length;
    const ks = this.keystream(iv, n);
    for (let i = 0; i < n; i++) ks[16 + i] = ks[16 + i]! ^ plaintext[i]!;
    const tag = Buffer.allocUnsafe(tagLength);
    this.writeTag(ks, aad, ks, 16, 16 + n, tag, 0, tagLength);
    return { ciphertext: ks.subarray(16, 16 + n), tag };
  }

  /** As encrypt(), writing ciphertext ‖ tag into `out` at `offset` (an APDU is then built in one buffer). */
  encryptInto(iv: Buffer, plaintext: Buffer, aad: Buffer, tagLength: number, out: Buffer, offset: number): void {
    checkTagLength(tagLength);
    const n = plaintext.length;
    if (offset < 0 || offset + n + tagLength > out.length) throw encodeError('AES-GCM output does not fit');
    const ks = this.keystream(iv, n);
    for (let i = 0; i < n; i++) out[offset + i] = ks[16 + i]! ^ plaintext[i]!;
    this.writeTag(ks, aad, out, offset, offset + n, out, offset + n, tagLength);
  }

  /** The plaintext, or undefined when the tag does not verify or has a length GCM does not allow (nothing is deciphered then). */
  decrypt(iv: Buffer, ciphertext: Buffer, aad: Buffer, tag: Buffer): Buffer | undefined {
    if (!TAG_LENGTHS.has(tag.length)) return undefined;
    const n = ciphertext.length;
    const ks = this.keystream(iv, n);
    const expected = Buffer.allocUnsafe(tag.length);
    this.writeTag(ks, aad, ciphertext, 0, n, expected, 0, tag.length);
    if (!timingSafeEqual(expected, tag)) return undefined;
    for (let i = 0; i < n; i++) ks[16 + i] = ks[16 + i]! ^ ciphertext[i]!;
    return ks.subarray(16, 16 + n);
  }

  /** E(J0) ‖ E(J0+1) ‖ … covering `length` bytes, J0 = IV ‖ 00000001. */
  private keystream(iv: Buffer, length: number): Buffer {
    if (iv.length !== IV_LENGTH) throw encodeError(`AES-GCM IV must be ${IV_LENGTH} bytes, got ${iv.length}`);
    if (length > 0x0fffffff) throw encodeError('AES-GCM message too long');
    const size = 16 * (1 + ((length + 15) >>> 4));
    // The counter blocks are not secret and the cipher copies them: one growing scratch buffer serves every call.
    if (counters.length < size) counters = Buffer.alloc(Math.max(size, 2 * counters.length));
    for (let o = 0, b = 1; o < size; o += 16, b++) {
      iv.copy(counters, o);
      counters[o + 12] = b >>> 24;
      counters[o + 13] = (b >>> 16) & 0xff;
      counters[o + 14] = (b >>> 8) & 0xff;
      counters[o + 15] = b & 0xff;
    }
    return this.ecb.update(size === counters.length ? counters : counters.subarray(0, size));
  }

  /**
   * Writes GHASH(aad, data[start..end)) XOR E(J0), truncated to `tagLength`, at out[pos]; `ks` starts with E(J0),
   * which is wiped here: with a tag it would give away GHASH values, and so equations in H. Glo-ciphering sends the
   * same AAD (SC ‖ AK) in every APDU of an association, so the state after the last AAD is kept and reused while the
   * next AAD has the same bytes.
   */
  private writeTag(ks: Buffer, aad: Buffer, data: Buffer, start: number, end: number, out: Buffer, pos: number, tagLength: number): void {
    if (aad.length > 0x0fffffff) throw encodeError('AES-GCM additional data too long');
    const h = this.h;
    const aadState = this.aadState;
    if (this.aad !== undefined && sameBytes(this.aad, aad)) {
      Y.set(aadState);
    } else {
      Y.fill(0);
      absorb(h, aad, 0, aad.length);
      this.aad = aad.length <= 64 ? Buffer.from(aad) : undefined;
      aadState.set(Y);
    }
    absorb(h, data, start, end);
    // Lengths in bits, 64 bits each; both are below 2^32 bits here.
    Y[1] ^= rev32((aad.length * 8) | 0);
    Y[3] ^= rev32(((end - start) * 8) | 0);
    multiplyByH(h);
    for (let w = 0; w < 4; w++) {
      const word = rev32(Y[w]!);
      for (let b = 0; b < 4; b++) {
        const i = 4 * w + b;
        if (i < tagLength) out[pos + i] = ((word >>> (24 - 8 * b)) & 0xff) ^ ks[i]!;
        ks[i] = 0;
      }
    }
  }
}

let counters = Buffer.alloc(16 * 8);

// A key's context (the expanded key in OpenSSL, a copy of the key to notice changed bytes) lives as long as the key
// Buffer it was made for is reachable: a session's keys, read from the secret store per request, go with the session.
// A Buffer whose bytes changed (wiped, or reused for another key) gets a new context.
const contexts = new WeakMap<Buffer, { key: Buffer; gcm: AesGcm128 }>();

/** The AES-128-GCM context for `key`, kept per key Buffer. */
export function aesGcm128(key: Buffer): AesGcm128 {
  const known = contexts.get(key);
  if (known !== undefined && sameBytes(known.key, key)) return known.gcm;
  const gcm = new AesGcm128(key);
  contexts.set(key, { key: Buffer.from(key), gcm });
  return gcm;
}

/** Equality of two short byte strings without a native call (the key and AAD checks run for every APDU). */
function sameBytes(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function checkTagLength(n: number): void {
  if (!TAG_LENGTHS.has(n)) throw encodeError(`AES-GCM tag length ${n} is not one of 4, 8, 12..16`);
}

// ---------------------------------------------------------------------------------------------------------------
// GHASH over GF(2^128) mod x^128 + x^7 + x^2 + x + 1. State Y in normal form; scratch S for the three 64-bit
// products. Both are module-level: every use is synchronous.

const Y = new Int32Array(4);
const S = new Int32Array(12);

/** Y = (Y xor X_i) · H for every 16-byte block X_i of data[start..end), the last one padded with zeros. */
function absorb(h: Int32Array, data: Buffer, start: number, end: number): void {
  let o = start;
  for (; o + 16 <= end; o += 16) {
    Y[0] ^= rev32((data[o]! << 24) | (data[o + 1]! << 16) | (data[o + 2]! << 8) | data[o + 3]!);
    Y[1] ^= rev32((data[o + 4]! << 24) | (data[o + 5]! << 16) | (data[o + 6]! << 8) | data[o + 7]!);
    Y[2] ^= rev32((data[o + 8]! << 24) | (data[o + 9]! << 16) | (data[o + 10]! << 8) | data[o + 11]!);
    Y[3] ^= rev32((data[o + 12]! << 24) | (data[o + 13]! << 16) | (data[o + 14]! << 8) | data[o + 15]!);
    multiplyByH(h);
  }
  if (o < end) {
    for (let w = 0; w < 4; w++) {
      let word = 0;
      for (let b = 0; b < 4; b++) {
        const i = o + 4 * w + b;
        word = (word << 8) | (i < end ? data[i]! : 0);
      }
      Y[w] ^= rev32(word);
    }
    multiplyByH(h);
  }
}

function multiplyByH(h: Int32Array): void {
  const a0 = Y[0]!, a1 = Y[1]!, a2 = Y[2]!, a3 = Y[3]!;
  const r0 = rev32(a0), r1 = rev32(a1), r2 = rev32(a2), r3 = rev32(a3);
  const b0 = h[0]!, b1 = h[1]!, b2 = h[2]!, b3 = h[3]!;
  const s0 = h[4]!, s1 = h[5]!, s2 = h[6]!, s3 = h[7]!;
  // Karatsuba over the 64-bit halves: low·low, high·high, (low+high)·(low+high).
  mul64(a0, a1, r0, r1, b0, b1, s0, s1, 0);
  mul64(a2, a3, r2, r3, b2, b3, s2, s3, 4);
  mul64(a0 ^ a2, a1 ^ a3, r0 ^ r2, r1 ^ r3, b0 ^ b2, b1 ^ b3, s0 ^ s2, s1 ^ s3, 8);
  const m0 = S[8]! ^ S[0]! ^ S[4]!, m1 = S[9]! ^ S[1]! ^ S[5]!, m2 = S[10]! ^ S[2]! ^ S[6]!, m3 = S[11]! ^ S[3]! ^ S[7]!;
  // The 256-bit product: c0..c3 below x^128, u0..u3 above.
  const c0 = S[0]!, c1 = S[1]!, c2 = S[2]! ^ m0, c3 = S[3]! ^ m1;
  const u0 = S[4]! ^ m2, u1 = S[5]! ^ m3, u2 = S[6]!, u3 = S[7]!;
  // x^128 = x^7 + x^2 + x + 1: fold u·(1 + x + x^2 + x^7) into c; the bits it pushes past x^127 (t4) fold once more.
  const t0 = u0 ^ (u0 << 1) ^ (u0 << 2) ^ (u0 << 7);
  const t1 = u1 ^ (u1 << 1) ^ (u1 << 2) ^ (u1 << 7) ^ (u0 >>> 31) ^ (u0 >>> 30) ^ (u0 >>> 25);
  const t2 = u2 ^ (u2 << 1) ^ (u2 << 2) ^ (u2 << 7) ^ (u1 >>> 31) ^ (u1 >>> 30) ^ (u1 >>> 25);
  const t3 = u3 ^ (u3 << 1) ^ (u3 << 2) ^ (u3 << 7) ^ (u2 >>> 31) ^ (u2 >>> 30) ^ (u2 >>> 25);
  const t4 = (u3 >>> 31) ^ (u3 >>> 30) ^ (u3 >>> 25);
  Y[0] = c0 ^ t0 ^ t4 ^ (t4 << 1) ^ (t4 << 2) ^ (t4 << 7);
  Y[1] = c1 ^ t1;
  Y[2] = c2 ^ t2;
  Y[3] = c3 ^ t3;
}

/** (p0 + p1·x^32)(q0 + q1·x^32) into S[o..o+3], Karatsuba over the words; rp/rq are the bit-reversed words. */
function mul64(p0: number, p1: number, rp0: number, rp1: number, q0: number, q1: number, rq0: number, rq1: number, o: number): void {
  const l00 = clmulLow(p0, q0), h00 = rev32(clmulLow(rp0, rq0)) >>> 1;
  const l11 = clmulLow(p1, q1), h11 = rev32(clmulLow(rp1, rq1)) >>> 1;
  const lm = clmulLow(p0 ^ p1, q0 ^ q1) ^ l00 ^ l11;
  const hm = (rev32(clmulLow(rp0 ^ rp1, rq0 ^ rq1)) >>> 1) ^ h00 ^ h11;
  S[o] = l00;
  S[o + 1] = h00 ^ lm;
  S[o + 2] = l11 ^ hm;
  S[o + 3] = h11;
}

/**
 * The low 32 bits of the carry-less product of two 32-bit words. Each operand is split into four parts holding every
 * fourth bit; an integer product of two parts sums at most 8 ones per bit position, so its carries never reach the
 * next bit of the same residue class, which is the only one kept.
 */
function clmulLow(x: number, y: number): number {
  const x0 = x & 0x11111111, x1 = x & 0x22222222, x2 = x & 0x44444444, x3 = x & 0x88888888;
  const y0 = y & 0x11111111, y1 = y & 0x22222222, y2 = y & 0x44444444, y3 = y & 0x88888888;
  const z0 = Math.imul(x0, y0) ^ Math.imul(x1, y3) ^ Math.imul(x2, y2) ^ Math.imul(x3, y1);
  const z1 = Math.imul(x0, y1) ^ Math.imul(x1, y0) ^ Math.imul(x2, y3) ^ Math.imul(x3, y2);
  const z2 = Math.imul(x0, y2) ^ Math.imul(x1, y1) ^ Math.imul(x2, y0) ^ Math.imul(x3, y3);
  const z3 = Math.imul(x0, y3) ^ Math.imul(x1, y2) ^ Math.imul(x2, y1) ^ Math.imul(x3, y0);
  return (z0 & 0x11111111) | (z1 & 0x22222222) | (z2 & 0x44444444) | (z3 & 0x88888888);
}

function rev32(x: number): number {
  x = ((x >>> 1) & 0x55555555) | ((x & 0x55555555) << 1);
  x = ((x >>> 2) & 0x33333333) | ((x & 0x33333333) << 2);
  x = ((x >>> 4) & 0x0f0f0f0f) | ((x & 0x0f0f0f0f) << 4);
  x = ((x >>> 8) & 0x00ff00ff) | ((x & 0x00ff00ff) << 8);
  return (x >>> 16) | (x << 16);
}
