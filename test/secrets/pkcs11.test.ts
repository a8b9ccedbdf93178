import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { ErrorCode } from '../../src/errors.ts';
import { Pkcs11KekProvider } from '../../src/secrets/pkcs11-kek.ts';
import { SoftwareKekProvider } from '../../src/secrets/kek.ts';
import { SecretStore } from '../../src/secrets/store.ts';
import { requires, pkcs11Config } from '../support/servers.ts';
import { freshDb } from '../support/db.ts';
import { ctx, codeOf } from './helpers.ts';

function label(): string {
  return `mf-kek-${randomBytes(4).toString('hex')}`;
}

test('PKCS#11: the KEK is generated inside the token as sensitive and non-extractable, and wraps data keys there', requires('pkcs11'), async () => {
  const keyLabel = label();
  const p = await Pkcs11KekProvider.open({ ...pkcs11Config(), keyLabel });
  try {
    assert.equal(p.keyIsProtected(), true);
    assert.equal(p.reference, `pkcs11:token=${pkcs11Config().token};object=${keyLabel}`);
    const dataKey = randomBytes(32);
    const aad = Buffer.from('bind');
    const wrapped = await p.wrap(dataKey, aad);
    assert.equal(wrapped.length, 12 + 32 + 16);
    assert.deepEqual(await p.unwrap(wrapped, aad), dataKey);
    assert.equal(await codeOf(() => p.unwrap(wrapped, Buffer.from('other'))), ErrorCode.DECRYPTION_EXCEPTION);
    const t = Buffer.from(wrapped);
    t[20] ^= 1;
    assert.equal(await codeOf(() => p.unwrap(t, aad)), ErrorCode.DECRYPTION_EXCEPTION);
    assert.equal((await p.randomBytes(16)).length, 16);
    assert.equal(inspect(p), `Pkcs11KekProvider(${p.reference})`);
    // A second open finds the same key object instead of generating another.
    const again = await Pkcs11KekProvider.open({ ...pkcs11Config(), keyLabel, generate: false });
    try {
      assert.deepEqual(await again.unwrap(wrapped, aad), dataKey);
    } finally {
      await again.close();
    }
  } finally {
    await p.close();
  }
});

test('PKCS#11: a missing key with generate:false, an unknown token and a wrong PIN are KEK_UNAVAILABLE', requires('pkcs11'), async () => {
  const cfg = pkcs11Config();
  assert.equal(await codeOf(() => Pkcs11KekProvider.open({ ...cfg, keyLabel: label(), generate: false })), ErrorCode.KEK_UNAVAILABLE);
  assert.equal(await codeOf(() => Pkcs11KekProvider.open({ ...cfg, token: 'no-such-token', keyLabel: label() })), ErrorCode.KEK_UNAVAILABLE);
  assert.equal(await codeOf(() => Pkcs11KekProvider.open({ ...cfg, pin: '0000', keyLabel: label() })), ErrorCode.KEK_UNAVAILABLE);
});

test('PKCS#11: the secret store generates keys with the token RNG and rotates from a software KEK into the token', requires('pkcs11'), async () => {
  const { db, dispose } = await freshDb('pglite');
  const soft = SoftwareKekProvider.generate();
  const hsm = await Pkcs11KekProvider.open({ ...pkcs11Config(), keyLabel: label() });
  try {
    const store = await SecretStore.open(db, soft);
    const a = await store.storeActive('E1', 'E_METER_MASTER_KEY', Buffer.alloc(16, 3), ctx);
    const r = await store.rotateKek(hsm, ctx);
    assert.equal(r.rewrapped, 1);
    assert.deepEqual(r.retired, [soft.reference]);
    assert.deepEqual((await store.getActive('E1', 'E_METER_MASTER_KEY'))?.key, Buffer.alloc(16, 3));
    const p = await store.getOrGeneratePending('G1', 'G_METER_ENCRYPTION_KEY', ctx);
    assert.equal(p.key.length, 16);
    const meta = await store.list('G1');
    assert.equal(meta[0].origin, 'HSM_RANDOM');
    assert.equal(meta[0].kekReference, hsm.reference);
    // Reopen with only the token KEK: everything reads.
    const reopened = await SecretStore.open(db, hsm, { cache: false });
    assert.deepEqual((await reopened.getActive('E1', 'E_METER_MASTER_KEY'))?.secretId, a.secretId);
    assert.deepEqual((await reopened.getNew('G1', 'G_METER_ENCRYPTION_KEY'))?.key, p.key);
  } finally {
    await hsm.close();
    await soft.close();
    await dispose();
  }
});
