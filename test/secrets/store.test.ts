import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.ts';
import { engines, engineOptions } from '../support/db.ts';
import { freshStore, ctx, codeOf } from './helpers.ts';

const D = 'E0051000000000001';
const G = 'G0051000000000001';
const K1 = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
const K2 = Buffer.from('101112131415161718191a1b1c1d1e1f', 'hex');
const K3 = Buffer.from('202122232425262728292a2b2c2d2e2f', 'hex');

for (const engine of engines) {
  test(`storeNew then activate moves NEW to ACTIVE and the old ACTIVE to EXPIRED (${engine})`, engineOptions(engine), async () => {
    const { store, dispose } = await freshStore(engine);
    try {
      const a = await store.storeNew(D, 'E_METER_AUTHENTICATION_KEY', K1, ctx);
      assert.deepEqual(await store.getNew(D, 'E_METER_AUTHENTICATION_KEY'), { secretId: a.secretId, key: K1 });
      assert.equal(await store.getActive(D, 'E_METER_AUTHENTICATION_KEY'), undefined);
      await store.activate(D, 'E_METER_AUTHENTICATION_KEY', a.secretId, ctx);
      assert.deepEqual(await store.getActive(D, 'E_METER_AUTHENTICATION_KEY'), { secretId: a.secretId, key: K1 });
      assert.equal(await store.getNew(D, 'E_METER_AUTHENTICATION_KEY'), undefined);

      const b = await store.storeNew(D, 'E_METER_AUTHENTICATION_KEY', K2, ctx);
      await store.activate(D, 'E_METER_AUTHENTICATION_KEY', b.secretId, ctx);
      assert.deepEqual(await store.getActive(D, 'E_METER_AUTHENTICATION_KEY'), { secretId: b.secretId, key: K2 });
      const meta = await store.list(D);
      assert.deepEqual(meta.map((m) => [m.secretId, m.status]), [[a.secretId, 'EXPIRED'], [b.secretId, 'ACTIVE']]);
      assert.ok(meta[0].expiredAt instanceof Date && meta[1].activatedAt instanceof Date);
      // Other types and devices are untouched.
      assert.equal(await store.getActive(D, 'E_METER_ENCRYPTION_KEY_UNICAST'), undefined);
      assert.equal(await store.getActive('OTHER', 'E_METER_AUTHENTICATION_KEY'), undefined);
    } finally {
      await dispose();
    }
  });

  test(`activate is idempotent on the ACTIVE key and refuses EXPIRED, WITHDRAWN and unknown ids (${engine})`, engineOptions(engine), async () => {
    const { store, dispose } = await freshStore(engine);
    try {
      const a = await store.storeNew(D, 'E_METER_MASTER_KEY', K1, ctx);
      await store.activate(D, 'E_METER_MASTER_KEY', a.secretId, ctx);
      await store.activate(D, 'E_METER_MASTER_KEY', a.secretId, ctx);
      const b = await store.storeNew(D, 'E_METER_MASTER_KEY', K2, ctx);
      await store.activate(D, 'E_METER_MASTER_KEY', b.secretId, ctx);
      assert.equal(await codeOf(() => store.activate(D, 'E_METER_MASTER_KEY', a.secretId, ctx)), ErrorCode.SECRET_STATE);
      const c = await store.storeNew(D, 'E_METER_MASTER_KEY', K3, ctx);
      await store.withdraw(D, 'E_METER_MASTER_KEY', c.secretId, ctx);
      assert.equal(await codeOf(() => store.activate(D, 'E_METER_MASTER_KEY', c.secretId, ctx)), ErrorCode.SECRET_STATE);
      assert.equal(await codeOf(() => store.activate(D, 'E_METER_MASTER_KEY', 999999, ctx)), ErrorCode.KEY_NOT_PRESENT);
      // An id of another device or type is not found either.
      assert.equal(await codeOf(() => store.activate('OTHER', 'E_METER_MASTER_KEY', b.secretId, ctx)), ErrorCode.KEY_NOT_PRESENT);
      assert.equal(await codeOf(() => store.activate(D, 'G_METER_MASTER_KEY', b.secretId, ctx)), ErrorCode.KEY_NOT_PRESENT);
      assert.deepEqual(await store.getActive(D, 'E_METER_MASTER_KEY'), { secretId: b.secretId, key: K2 });
    } finally {
      await dispose();
    }
  });

  test(`storing a second NEW withdraws the unsent first, as GXF storeSecrets does (${engine})`, engineOptions(engine), async () => {
    const { store, dispose } = await freshStore(engine);
    try {
      const a = await store.storeNew(G, 'G_METER_ENCRYPTION_KEY', K1, ctx);
      const b = await store.generateNew(G, 'G_METER_ENCRYPTION_KEY', ctx);
      assert.notEqual(a.secretId, b.secretId);
      const meta = await store.list(G);
      assert.deepEqual(meta.map((m) => m.status), ['WITHDRAWN', 'NEW']);
      const n = await store.getNew(G, 'G_METER_ENCRYPTION_KEY');
      assert.equal(n?.secretId, b.secretId);
      assert.equal(n?.key.length, 16);
      assert.notDeepEqual(n?.key, K1);
    } finally {
      await dispose();
    }
  });

  test(`getOrGeneratePending reuses the NEW key on every retry and generates only when none exists (${engine})`, engineOptions(engine), async () => {
    const { store, dispose } = await freshStore(engine);
    try {
      const first = await store.getOrGeneratePending(G, 'G_METER_ENCRYPTION_KEY', ctx);
      assert.equal(first.reused, false);
      assert.equal(first.key.length, 16);
      // Stored NEW before use.
      assert.deepEqual(await store.getNew(G, 'G_METER_ENCRYPTION_KEY'), { secretId: first.secretId, key: first.key });
      for (let i = 0; i < 3; i++) {
        const again = await store.getOrGeneratePending(G, 'G_METER_ENCRYPTION_KEY', ctx);
        assert.deepEqual(again, { secretId: first.secretId, key: first.key, reused: true });
      }
      await store.activate(G, 'G_METER_ENCRYPTION_KEY', first.secretId, ctx);
      const next = await store.getOrGeneratePending(G, 'G_METER_ENCRYPTION_KEY', ctx);
      assert.equal(next.reused, false);
      assert.notEqual(next.secretId, first.secretId);
      assert.notDeepEqual(next.key, first.key);
    } finally {
      await dispose();
    }
  });

  test(`a sent NEW key is never withdrawn or superseded until the device is known not to hold it (${engine})`, engineOptions(engine), async () => {
    const { store, db, dispose } = await freshStore(engine);
    try {
      const p = await store.getOrGeneratePending(G, 'G_METER_ENCRYPTION_KEY', ctx);
      await store.markSent(G, 'G_METER_ENCRYPTION_KEY', p.secretId, ctx);
      await store.markSent(G, 'G_METER_ENCRYPTION_KEY', p.secretId, ctx); // idempotent
      assert.equal(await codeOf(() => store.withdraw(G, 'G_METER_ENCRYPTION_KEY', p.secretId, ctx)), ErrorCode.SECRET_STATE);
      assert.equal(await codeOf(() => store.generateNew(G, 'G_METER_ENCRYPTION_KEY', ctx)), ErrorCode.SECRET_STATE);
      assert.equal(await codeOf(() => store.storeNew(G, 'G_METER_ENCRYPTION_KEY', K2, ctx)), ErrorCode.SECRET_STATE);
      assert.equal(await codeOf(() => store.storeActive(G, 'G_METER_ENCRYPTION_KEY', K2, ctx)), ErrorCode.SECRET_STATE);
      // The database refuses it too, below the store's code.
      await assert.rejects(db.query(`UPDATE secret SET status = 'WITHDRAWN' WHERE id = $1`, [p.secretId]));
      const again = await store.getOrGeneratePending(G, 'G_METER_ENCRYPTION_KEY', ctx);
      assert.deepEqual(again, { secretId: p.secretId, key: p.key, reused: true });
      const [meta] = await store.list(G);
      assert.equal(meta.sent, true);
      assert.ok(meta.sentAt instanceof Date);
      // Once the device is known not to hold it, it may go.
      await store.withdraw(G, 'G_METER_ENCRYPTION_KEY', p.secretId, { ...ctx, confirmedNotOnDevice: true });
      assert.equal(await store.getNew(G, 'G_METER_ENCRYPTION_KEY'), undefined);
      assert.equal((await store.getById(G, 'G_METER_ENCRYPTION_KEY', p.secretId)).status, 'WITHDRAWN');
    } finally {
      await dispose();
    }
  });

  test(`a sent NEW key activates normally (${engine})`, engineOptions(engine), async () => {
    const { store, dispose } = await freshStore(engine);
    try {
      const p = await store.getOrGeneratePending(G, 'G_METER_ENCRYPTION_KEY', ctx);
      await store.markSent(G, 'G_METER_ENCRYPTION_KEY', p.secretId, ctx);
      await store.activate(G, 'G_METER_ENCRYPTION_KEY', p.secretId, ctx);
      assert.deepEqual(await store.getActive(G, 'G_METER_ENCRYPTION_KEY'), { secretId: p.secretId, key: p.key });
      await store.markSent(G, 'G_METER_ENCRYPTION_KEY', p.secretId, ctx); // no-op on ACTIVE
    } finally {
      await dispose();
    }
  });

  test(`withdraw only applies to NEW keys and is idempotent (${engine})`, engineOptions(engine), async () => {
    const { store, dispose } = await freshStore(engine);
    try {
      const a = await store.storeActive(D, 'E_METER_ENCRYPTION_KEY_UNICAST', K1, ctx);
      assert.equal(await codeOf(() => store.withdraw(D, 'E_METER_ENCRYPTION_KEY_UNICAST', a.secretId, ctx)), ErrorCode.SECRET_STATE);
      const b = await store.storeNew(D, 'E_METER_ENCRYPTION_KEY_UNICAST', K2, ctx);
      await store.withdraw(D, 'E_METER_ENCRYPTION_KEY_UNICAST', b.secretId, ctx);
      await store.withdraw(D, 'E_METER_ENCRYPTION_KEY_UNICAST', b.secretId, ctx);
      assert.equal(await codeOf(() => store.markSent(D, 'E_METER_ENCRYPTION_KEY_UNICAST', b.secretId, ctx)), ErrorCode.SECRET_STATE);
      const c = await store.storeActive(D, 'E_METER_ENCRYPTION_KEY_UNICAST', K3, ctx);
      assert.equal(await codeOf(() => store.withdraw(D, 'E_METER_ENCRYPTION_KEY_UNICAST', a.secretId, ctx)), ErrorCode.SECRET_STATE);
      assert.deepEqual((await store.list(D)).map((m) => m.status), ['EXPIRED', 'WITHDRAWN', 'ACTIVE']);
      assert.deepEqual(await store.getActive(D, 'E_METER_ENCRYPTION_KEY_UNICAST'), { secretId: c.secretId, key: K3 });
    } finally {
      await dispose();
    }
  });

  test(`the database holds one ACTIVE and one NEW per device and type, and rows are never deleted (${engine})`, engineOptions(engine), async () => {
    const { store, db, dispose } = await freshStore(engine);
    try {
      const a = await store.storeActive(D, 'LLS_PASSWORD', Buffer.from('12345678'), ctx);
      const b = await store.storeNew(D, 'LLS_PASSWORD', Buffer.from('abcdefgh'), ctx);
      const copy = (status: string) =>
        db.query(
          `INSERT INTO secret (device_identification, secret_type, status, origin, ciphertext, nonce, wrapped_key, kek_id)
           SELECT device_identification, secret_type, $2, origin, ciphertext, nonce, wrapped_key, kek_id FROM secret WHERE id = $1`,
          [a.secretId, status],
        );
      await assert.rejects(copy('ACTIVE'), /secret_one_active|duplicate key/);
      await assert.rejects(copy('NEW'), /secret_one_new|duplicate key/);
      await assert.rejects(db.query('DELETE FROM secret WHERE id = $1', [b.secretId]), /never deleted/);
      await assert.rejects(db.query(`UPDATE secret SET status = 'NEW' WHERE id = $1`, [a.secretId]), /not allowed/);
      await assert.rejects(db.query(`UPDATE secret SET ciphertext = ciphertext || '\\x00'::bytea WHERE id = $1`, [a.secretId]), /immutable/);
      await assert.rejects(db.query('TRUNCATE secret CASCADE'), /append-only/);
    } finally {
      await dispose();
    }
  });

  test(`every transition is audited with who and why, and the audit log is append-only (${engine})`, engineOptions(engine), async () => {
    const { store, db, dispose } = await freshStore(engine);
    try {
      const who = { actor: 'org:test-org', reason: 'SetMbusUserKeyByChannel corr-1' };
      const a = await store.storeActive(G, 'G_METER_MASTER_KEY', K1, who);
      const p = await store.getOrGeneratePending(G, 'G_METER_ENCRYPTION_KEY', who);
      await store.getOrGeneratePending(G, 'G_METER_ENCRYPTION_KEY', who);
      await store.markSent(G, 'G_METER_ENCRYPTION_KEY', p.secretId, who);
      await store.activate(G, 'G_METER_ENCRYPTION_KEY', p.secretId, who);
      const rows = await store.audit(G);
      assert.deepEqual(
        rows.map((r) => [r.type, r.secretId, r.action, r.fromStatus, r.toStatus]),
        [
          ['G_METER_MASTER_KEY', a.secretId, 'STORE', null, 'NEW'],
          ['G_METER_MASTER_KEY', a.secretId, 'ACTIVATE', 'NEW', 'ACTIVE'],
          ['G_METER_ENCRYPTION_KEY', p.secretId, 'GENERATE', null, 'NEW'],
          ['G_METER_ENCRYPTION_KEY', p.secretId, 'REUSE', 'NEW', 'NEW'],
          ['G_METER_ENCRYPTION_KEY', p.secretId, 'MARK_SENT', 'NEW', 'NEW'],
          ['G_METER_ENCRYPTION_KEY', p.secretId, 'ACTIVATE', 'NEW', 'ACTIVE'],
        ],
      );
      assert.ok(rows.every((r) => r.actor === who.actor && r.reason === who.reason && r.at instanceof Date));
      assert.equal((await store.audit()).length, rows.length);
      await assert.rejects(db.query(`UPDATE secret_audit SET reason = 'x'`), /append-only/);
      await assert.rejects(db.query(`DELETE FROM secret_audit`), /append-only/);
      await assert.rejects(db.query(`TRUNCATE secret_audit`), /append-only/);
      assert.equal(await codeOf(() => store.storeNew(G, 'G_METER_MASTER_KEY', K2, { actor: '', reason: 'x' })), ErrorCode.ARGUMENT_NULL);
    } finally {
      await dispose();
    }
  });

  test(`list returns metadata only, never key bytes (${engine})`, engineOptions(engine), async () => {
    const { store, dispose } = await freshStore(engine);
    try {
      await store.storeActive(D, 'E_METER_MASTER_KEY', K1, ctx);
      const meta = await store.list(D);
      assert.equal(meta.length, 1);
      assert.deepEqual(Object.keys(meta[0]).sort(), ['activatedAt', 'createdAt', 'deviceId', 'kekReference', 'origin', 'secretId', 'sent', 'status', 'type']);
      const text = JSON.stringify(meta);
      assert.ok(!text.includes(K1.toString('hex')) && !text.includes(K1.toString('base64')));
    } finally {
      await dispose();
    }
  });

  test(`input checks: key lengths per type, unknown types, device ids (${engine})`, engineOptions(engine), async () => {
    const { store, dispose } = await freshStore(engine);
    try {
      assert.equal(await codeOf(() => store.storeNew(D, 'E_METER_MASTER_KEY', Buffer.alloc(15), ctx)), ErrorCode.INVALID_KEY_FORMAT);
      assert.equal(await codeOf(() => store.storeNew(D, 'PPP_PASSWORD', Buffer.alloc(0), ctx)), ErrorCode.INVALID_KEY_FORMAT);
      assert.equal(await codeOf(() => store.storeNew(D, 'NOPE' as never, K1, ctx)), ErrorCode.VALIDATION_ERROR);
      assert.equal(await codeOf(() => store.storeNew('', 'E_METER_MASTER_KEY', K1, ctx)), ErrorCode.VALIDATION_ERROR);
      // AES-256 (suite 2) keys are accepted.
      const k32 = Buffer.alloc(32, 7);
      const s = await store.storeNew(D, 'E_METER_MASTER_KEY', k32, ctx);
      assert.deepEqual((await store.getNew(D, 'E_METER_MASTER_KEY'))?.key, k32);
      const pw = await store.generateNew(D, 'LLS_PASSWORD', ctx);
      assert.match((await store.getNew(D, 'LLS_PASSWORD'))!.key.toString('ascii'), /^[A-Za-z0-9]{16}$/);
      assert.ok(s.secretId > 0 && pw.secretId > s.secretId);
    } finally {
      await dispose();
    }
  });
}
