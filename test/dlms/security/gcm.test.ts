import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { AesGcm128, aesGcm128 } from '../../../src/dlms/security/gcm.ts';

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// Test cases 1-4 of "The Galois/Counter Mode of Operation (GCM)", McGrew & Viega (AES-128).
const K3 = h('feffe9928665731c6d6a8f9467308308');
const IV3 = h('cafebabefacedbaddecaf888');
const P3 = h(`d9313225f88406e5a55909c5aff5269a 86a7a9531534f7da2e4c303d8a318a72 1c3c0c95956809532fcf0e2449a6b525
  b16aedf5aa0de657ba637b391aafd255`);
const C3 = h(`42831ec2217774244b7221b784d0d49c e3aa212f2c02a4e035c17e2329aca12e 21d514b25466931c7d8f6a5aac84aa05
  1ba30b396a0aac973d58e091473f5985`);
const vectors = [
  { name: 'test case 1 (empty)', key: Buffer.alloc(16), iv: Buffer.alloc(12), p: Buffer.alloc(0), a: Buffer.alloc(0), c: Buffer.alloc(0), t: h('58e2fccefa7e3061367f1d57a4e7455a') },
  { name: 'test case 2 (one zero block)', key: Buffer.alloc(16), iv: Buffer.alloc(12), p: Buffer.alloc(16), a: Buffer.alloc(0), c: h('0388dace60b6a392f328c2b971b2fe78'), t: h('ab6e47d42cec13bdf53a67b21257bddf') },
  { name: 'test case 3 (four blocks)', key: K3, iv: IV3, p: P3, a: Buffer.alloc(0), c: C3, t: h('4d5c2af327cd64a62cf35abd2ba6fab4') },
  { name: 'test case 4 (partial block, AAD)', key: K3, iv: IV3, p: P3.subarray(0, 60), a: h('feedfacedeadbeeffeedfacedeadbeefabaddad2'), c: C3.subarray(0, 60), t: h('5bc94fbc3221a5db94fae95ae7121a47') },
];

for (const v of vectors) {
  test(`AES-128-GCM ${v.name}`, () => {
    const gcm = new AesGcm128(v.key);
    const { ciphertext, tag } = gcm.encrypt(v.iv, v.p, v.a, 16);
    assert.deepEqual(ciphertext, v.c);
    assert.deepEqual(tag, v.t);
    assert.deepEqual(gcm.decrypt(v.iv, v.c, v.a, v.t), v.p);
    // Truncated tags are the leading bytes (DLMS uses 12 for glo-ciphering and 8 for the SMR 5 transfer_key).
    assert.deepEqual(gcm.encrypt(v.iv, v.p, v.a, 12).tag, v.t.subarray(0, 12));
    assert.deepEqual(gcm.decrypt(v.iv, v.c, v.a, v.t.subarray(0, 8)), v.p);
  });
}

/** xorshift32: reproducible inputs without a dependency. */
function random(seed: number): (n: number) => Buffer {
  let s = seed >>> 0 || 1;
  return (n) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      b[i] = s & 0xff;
    }
    return b;
  };
}

test('agrees with node:crypto AES-128-GCM on 3,000 random keys, IVs, lengths 0..300 and every tag length', () => {
  const bytes = random(0x5eed);
  const tagLengths = [4, 8, 12, 13, 14, 15, 16];
  for (let i = 0; i < 3000; i++) {
    const key = bytes(16);
    const iv = bytes(12);
    const p = bytes(bytes(2).readUInt16BE(0) % 301);
    const a = bytes(bytes(1)[0]! % 70);
    const tagLength = tagLengths[i % tagLengths.length]!;
    const c = createCipheriv('aes-128-gcm', key, iv, { authTagLength: tagLength });
    c.setAAD(a);
    const expected = Buffer.concat([c.update(p), c.final()]);
    const expectedTag = c.getAuthTag();
    const mine = aesGcm128(key).encrypt(iv, p, a, tagLength);
    assert.deepEqual(mine.ciphertext, expected, `ciphertext #${i}`);
    assert.deepEqual(mine.tag, expectedTag, `tag #${i}`);
    assert.deepEqual(aesGcm128(key).decrypt(iv, expected, a, expectedTag), p, `decrypt #${i}`);
    const into = Buffer.alloc(3 + p.length + tagLength + 2, 0xee);
    aesGcm128(key).encryptInto(iv, p, a, tagLength, into, 3);
    assert.deepEqual(into, Buffer.concat([Buffer.alloc(3, 0xee), expected, expectedTag, Buffer.alloc(2, 0xee)]), `encryptInto #${i}`);
    const d = createDecipheriv('aes-128-gcm', key, iv, { authTagLength: tagLength });
    d.setAAD(a);
    d.setAuthTag(mine.tag);
    assert.deepEqual(Buffer.concat([d.update(mine.ciphertext), d.final()]), p, `node decrypts #${i}`);
  }
});

test('any changed bit of ciphertext, AAD, tag or IV, a tag of a length GCM does not allow: nothing deciphered', () => {
  const gcm = new AesGcm128(K3);
  const a = h('feedfacedeadbeef');
  const { ciphertext, tag } = gcm.encrypt(IV3, P3, a, 12);
  const flips = (b: Buffer) => Array.from({ length: b.length * 8 }, (_, bit) => {
    const c = Buffer.from(b);
    c[bit >>> 3]! ^= 1 << (bit & 7);
    return c;
  });
  for (const c of flips(ciphertext)) assert.equal(gcm.decrypt(IV3, c, a, tag), undefined);
  for (const x of flips(a)) assert.equal(gcm.decrypt(IV3, ciphertext, x, tag), undefined);
  for (const t of flips(tag)) assert.equal(gcm.decrypt(IV3, ciphertext, a, t), undefined);
  for (const iv of flips(IV3)) assert.equal(gcm.decrypt(iv, ciphertext, a, tag), undefined);
  assert.equal(gcm.decrypt(IV3, ciphertext, a, tag.subarray(0, 11)), undefined);
  assert.equal(gcm.decrypt(IV3, ciphertext, a, Buffer.alloc(0)), undefined);
  assert.deepEqual(gcm.decrypt(IV3, ciphertext, a, tag), P3);
});

test('a key Buffer whose bytes change gets a context for its new bytes; IV and tag lengths are checked', () => {
  const key = Buffer.alloc(16);
  const iv = Buffer.alloc(12);
  assert.deepEqual(aesGcm128(key).encrypt(iv, Buffer.alloc(0), Buffer.alloc(0), 16).tag, h('58e2fccefa7e3061367f1d57a4e7455a'));
  K3.copy(key);
  assert.deepEqual(aesGcm128(key).encrypt(IV3, P3, Buffer.alloc(0), 16).tag, h('4d5c2af327cd64a62cf35abd2ba6fab4'));
  assert.throws(() => aesGcm128(key).encrypt(Buffer.alloc(16), P3, Buffer.alloc(0), 16), /IV must be 12 bytes/);
  assert.throws(() => aesGcm128(key).encrypt(iv, P3, Buffer.alloc(0), 11), /tag length 11/);
  assert.throws(() => new AesGcm128(Buffer.alloc(32)), /16-byte key/);
  assert.throws(() => aesGcm128(key).encryptInto(IV3, P3, Buffer.alloc(0), 16, Buffer.alloc(P3.length + 15), 0), /does not fit/);
});
