import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { ErrorCode } from '../../src/errors.ts';
import { ClientKeyPair, encryptKeyForOrganisation } from '../../src/secrets/client-keys.ts';
import { SecretStore } from '../../src/secrets/store.ts';
import { engines, engineOptions } from '../support/db.ts';
import { freshStore, codeOf } from './helpers.ts';

const KEY = Buffer.from('5a5a5a5a0123456789abcdef5a5a5a5a', 'hex');

for (const engine of engines) {
  test(`the client key pair is created once, enveloped under the KEK, and decrypts an openssl RSA-OAEP-SHA1 vector (${engine})`, engineOptions(engine), async () => {
    const { db, store, kek, dispose } = await freshStore(engine);
    const dir = mkdtempSync(join(tmpdir(), 'mf-oaep-'));
    try {
      const pair = await ClientKeyPair.open(store);
      const pem = pair.publicKeyPem();
      assert.match(pem, /^-----BEGIN PUBLIC KEY-----/);
      // The private key is not stored in the clear.
      const row = (await db.query<{ ciphertext: Uint8Array }>('SELECT ciphertext FROM secret_platform_keypair')).rows[0];
      assert.ok(!Buffer.from(row.ciphertext).toString('latin1').includes('PRIVATE KEY'));
      // Same pair on the next start, also through a second store on the same database.
      const second = await ClientKeyPair.open(await SecretStore.open(db, kek, { cache: false }));
      assert.equal(second.publicKeyPem(), pem);

      // A client encrypts like Java's RSA/ECB/OAEPPadding: OAEP, SHA-1, MGF1-SHA-1.
      writeFileSync(join(dir, 'pub.pem'), pem);
      writeFileSync(join(dir, 'key.bin'), KEY);
      execFileSync('openssl', [
        'pkeyutl', '-encrypt', '-pubin', '-inkey', join(dir, 'pub.pem'), '-in', join(dir, 'key.bin'), '-out', join(dir, 'enc.bin'),
        '-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', 'rsa_oaep_md:sha1', '-pkeyopt', 'rsa_mgf1_md:sha1',
      ]);
      const hex = readFileSync(join(dir, 'enc.bin')).toString('hex').toUpperCase();
      assert.deepEqual(pair.decryptClientKey(hex), KEY);
      assert.deepEqual(second.decryptClientKey(hex.toLowerCase()), KEY);

      // Errors: 806 empty, 807 not hex / wrong length, 804 does not decrypt.
      assert.equal(await codeOf(async () => pair.decryptClientKey('')), ErrorCode.KEY_NOT_PRESENT);
      assert.equal(await codeOf(async () => pair.decryptClientKey('xyz0')), ErrorCode.INVALID_KEY_FORMAT);
      assert.equal(await codeOf(async () => pair.decryptClientKey('00ff')), ErrorCode.INVALID_KEY_FORMAT);
      const bad = Buffer.from(hex, 'hex');
      bad[10] ^= 0xff;
      assert.equal(await codeOf(async () => pair.decryptClientKey(bad.toString('hex'))), ErrorCode.DECRYPTION_EXCEPTION);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await dispose();
    }
  });
}

test('GetKeys export: a key encrypted to an organisation public key decrypts with openssl RSA-OAEP-SHA1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mf-oaep-'));
  try {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'priv.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const hex = encryptKeyForOrganisation(KEY, publicKey.export({ type: 'spki', format: 'pem' }) as string);
    assert.equal(hex.length, 512);
    writeFileSync(join(dir, 'enc.bin'), Buffer.from(hex, 'hex'));
    const out = execFileSync('openssl', [
      'pkeyutl', '-decrypt', '-inkey', join(dir, 'priv.pem'), '-in', join(dir, 'enc.bin'),
      '-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', 'rsa_oaep_md:sha1', '-pkeyopt', 'rsa_mgf1_md:sha1',
    ]);
    assert.deepEqual(out, KEY);
    assert.throws(() => encryptKeyForOrganisation(KEY, 'not a pem'), (e: { code?: number }) => e.code === ErrorCode.INVALID_KEY_FORMAT);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
    assert.throws(() => encryptKeyForOrganisation(KEY, ec), (e: { code?: number }) => e.code === ErrorCode.INVALID_KEY_FORMAT);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
