import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aesGcmDecrypt, aesGcmEncrypt, aesGcmEncryptInto } from '../../../src/dlms/security/gcm.ts';

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
    const { ciphertext, tag } = aesGcmEncrypt(v.key, v.iv, v.p, v.a, 16);
    assert.deepEqual(ciphertext, v.c);
    assert.deepEqual(tag, v.t);
    assert.deepEqual(aesGcmDecrypt(v.key, v.iv, v.c, v.a, v.t), v.p);
    // Truncated tags are the leading bytes (DLMS uses 12 for glo-ciphering and 8 for the SMR 5 transfer_key).
    assert.deepEqual(aesGcmEncrypt(v.key, v.iv, v.p, v.a, 12).tag, v.t.subarray(0, 12));
    assert.deepEqual(aesGcmDecrypt(v.key, v.iv, v.c, v.a, v.t.subarray(0, 8)), v.p);
    // Into a larger buffer at an offset: the bytes around it stay as they were.
    const into = Buffer.alloc(3 + v.p.length + 12 + 2, 0xee);
    aesGcmEncryptInto(v.key, v.iv, v.p, v.a, 12, into, 3);
    assert.deepEqual(into, Buffer.concat([Buffer.alloc(3, 0xee), v.c, v.t.subarray(0, 12), Buffer.alloc(2, 0xee)]));
  });
}

test('any changed bit of ciphertext, AAD, tag or IV, a tag of a length GCM does not allow: nothing deciphered', () => {
  const a = h('feedfacedeadbeef');
  const { ciphertext, tag } = aesGcmEncrypt(K3, IV3, P3, a, 12);
  const open = (iv: Buffer, c: Buffer, aad: Buffer, t: Buffer) => aesGcmDecrypt(K3, iv, c, aad, t);
  const flips = (b: Buffer) => Array.from({ length: b.length * 8 }, (_, bit) => {
    const c = Buffer.from(b);
    c[bit >>> 3]! ^= 1 << (bit & 7);
    return c;
  });
  for (const c of flips(ciphertext)) assert.equal(open(IV3, c, a, tag), undefined);
  for (const x of flips(a)) assert.equal(open(IV3, ciphertext, x, tag), undefined);
  for (const t of flips(tag)) assert.equal(open(IV3, ciphertext, a, t), undefined);
  for (const iv of flips(IV3)) assert.equal(open(iv, ciphertext, a, tag), undefined);
  assert.equal(open(IV3, ciphertext, a, tag.subarray(0, 11)), undefined);
  assert.equal(open(IV3, ciphertext, a, Buffer.alloc(0)), undefined);
  assert.deepEqual(open(IV3, ciphertext, a, tag), P3);
});

test('key, IV and tag lengths are checked before anything is enciphered', () => {
  const iv = Buffer.alloc(12);
  assert.throws(() => aesGcmEncrypt(K3, Buffer.alloc(16), P3, Buffer.alloc(0), 16), /IV must be 12 bytes/);
  assert.throws(() => aesGcmDecrypt(K3, Buffer.alloc(8), P3, Buffer.alloc(0), Buffer.alloc(16)), /IV must be 12 bytes/);
  for (const n of [0, 1, 3, 5, 7, 9, 10, 11, 17]) assert.throws(() => aesGcmEncrypt(K3, iv, P3, Buffer.alloc(0), n), new RegExp(`tag length ${n} `));
  for (const n of [4, 8, 12, 13, 14, 15, 16]) assert.equal(aesGcmEncrypt(K3, iv, P3, Buffer.alloc(0), n).tag.length, n);
  assert.throws(() => aesGcmEncrypt(Buffer.alloc(32), iv, P3, Buffer.alloc(0), 16), /16-byte key/);
  assert.throws(() => aesGcmEncryptInto(K3, IV3, P3, Buffer.alloc(0), 16, Buffer.alloc(P3.length + 15), 0), /does not fit/);
});
