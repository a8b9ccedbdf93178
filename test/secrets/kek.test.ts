import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, readFileSync, chmodSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { createDecipheriv } from 'node:crypto';
import { ErrorCode } from '../../src/errors.ts';
import { SoftwareKekProvider, openDefaultKek, KEK_FILE_NAME, keyCheckValue } from '../../src/secrets/kek.ts';
import { seal, unseal, aesGcmEncrypt } from '../../src/secrets/envelope.ts';
import { assertNoKeyMaterial } from '../support/key-material.ts';
import { codeOf } from './helpers.ts';

const KEK_HEX = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';

test('the KEK file is created on first start with mode 0600 and read back on the next', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mf-kek-'));
  try {
    const a = openDefaultKek({ dataDir: join(dir, 'data'), env: {} });
    const path = join(dir, 'data', KEK_FILE_NAME);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.match(readFileSync(path, 'utf8'), /^[0-9a-f]{64}\n$/);
    const b = openDefaultKek({ dataDir: join(dir, 'data'), env: {} });
    assert.equal(a.reference, b.reference);
    assert.match(a.reference, /^software:kcv=[0-9a-f]{16}$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a KEK file readable by group or others is refused without revealing the key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mf-kek-'));
  try {
    writeFileSync(join(dir, KEK_FILE_NAME), KEK_HEX + '\n');
    chmodSync(join(dir, KEK_FILE_NAME), 0o644);
    try {
      SoftwareKekProvider.fromFile(dir);
      assert.fail('expected a refusal');
    } catch (e) {
      assert.equal((e as { code?: number }).code, ErrorCode.KEK_UNAVAILABLE);
      assert.match((e as Error).message, /chmod 600/);
      assertNoKeyMaterial(String((e as Error).stack) + inspect(e), [Buffer.from(KEK_HEX, 'hex')]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('METERFABRIC_KEK takes precedence over the file; malformed values are refused without echo', async () => {
  const p = openDefaultKek({ dataDir: '/nonexistent', env: { METERFABRIC_KEK: KEK_HEX } });
  assert.equal(p.reference, `software:kcv=${keyCheckValue(Buffer.from(KEK_HEX, 'hex'))}`);
  const bad = KEK_HEX.slice(0, 62) + 'zz';
  assert.equal(await codeOf(async () => openDefaultKek({ dataDir: '/nonexistent', env: { METERFABRIC_KEK: bad } })), ErrorCode.KEK_UNAVAILABLE);
  try {
    SoftwareKekProvider.fromHex(bad);
  } catch (e) {
    assert.ok(!(e as Error).message.includes(bad.slice(0, 20)));
  }
  // The provider does not print its key.
  assertNoKeyMaterial(inspect(p) + JSON.stringify(p), [Buffer.from(KEK_HEX, 'hex')]);
});

test('the software wrap format is nonce ‖ AES-256-GCM ciphertext ‖ 16-byte tag under the KEK', async () => {
  const kek = Buffer.from(KEK_HEX, 'hex');
  const p = new SoftwareKekProvider(kek);
  const dataKey = Buffer.alloc(32, 0xaa);
  const wrapped = await p.wrap(dataKey, Buffer.from('aad'));
  assert.equal(wrapped.length, 12 + 32 + 16);
  const d = createDecipheriv('aes-256-gcm', kek, wrapped.subarray(0, 12));
  d.setAAD(Buffer.from('aad'));
  d.setAuthTag(wrapped.subarray(44));
  assert.deepEqual(Buffer.concat([d.update(wrapped.subarray(12, 44)), d.final()]), dataKey);
  assert.equal(await codeOf(() => p.unwrap(wrapped, Buffer.from('other'))), ErrorCode.DECRYPTION_EXCEPTION);
  assert.equal(await codeOf(() => p.unwrap(wrapped.subarray(0, 20), Buffer.from('aad'))), ErrorCode.DECRYPTION_EXCEPTION);
});

test('AES-256-GCM matches the NIST GCM test case 16 (256-bit key, 60-byte plaintext, AAD)', () => {
  // McGrew & Viega, "The Galois/Counter Mode of Operation", test case 16.
  const key = Buffer.from('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308', 'hex');
  const iv = Buffer.from('cafebabefacedbaddecaf888', 'hex');
  const pt = Buffer.from(
    'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39',
    'hex',
  );
  const aad = Buffer.from('feedfacedeadbeeffeedfacedeadbeefabaddad2', 'hex');
  const out = aesGcmEncrypt(key, iv, pt, aad);
  assert.equal(
    out.toString('hex'),
    '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662' +
      '76fc6ece0f4e1768cddf8853bb2d551b',
  );
});

test('a sealed secret opens only with its own device, type and version, and only under its KEK', async () => {
  const kek = SoftwareKekProvider.generate();
  const other = SoftwareKekProvider.generate();
  const key = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  const s = await seal(kek, key, 'secret', 7, ['DEV1', 'E_METER_MASTER_KEY']);
  assert.equal(s.nonce.length, 12);
  assert.equal(s.ciphertext.length, 32);
  assert.deepEqual(await unseal(kek, s, 'secret', 7, ['DEV1', 'E_METER_MASTER_KEY']), key);
  for (const [version, bind] of [
    [8, ['DEV1', 'E_METER_MASTER_KEY']],
    [7, ['DEV2', 'E_METER_MASTER_KEY']],
    [7, ['DEV1', 'G_METER_MASTER_KEY']],
  ] as const) {
    assert.equal(await codeOf(() => unseal(kek, s, 'secret', version, [...bind])), ErrorCode.DECRYPTION_EXCEPTION);
  }
  assert.equal(await codeOf(() => unseal(other, s, 'secret', 7, ['DEV1', 'E_METER_MASTER_KEY'])), ErrorCode.DECRYPTION_EXCEPTION);
  const tampered = { ...s, ciphertext: Buffer.from(s.ciphertext) };
  tampered.ciphertext[0] ^= 1;
  assert.equal(await codeOf(() => unseal(kek, tampered, 'secret', 7, ['DEV1', 'E_METER_MASTER_KEY'])), ErrorCode.DECRYPTION_EXCEPTION);
  // Fresh nonce and data key every time: the same key seals differently.
  const s2 = await seal(kek, key, 'secret', 7, ['DEV1', 'E_METER_MASTER_KEY']);
  assert.notDeepEqual(s2.nonce, s.nonce);
  assert.notDeepEqual(s2.ciphertext, s.ciphertext);
  assertNoKeyMaterial(JSON.stringify(s) + inspect(s), [key]);
});
