import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.ts';
import { SecretStore } from '../../src/secrets/store.ts';
import { SoftwareKekProvider } from '../../src/secrets/kek.ts';
import { engines, engineOptions } from '../support/db.ts';
import { freshStore, ctx } from './helpers.ts';

const G = 'G0051000000000007';

for (const engine of engines) {
  test(`concurrent getOrGeneratePending on one device yields one key, stored once (${engine})`, engineOptions(engine), async () => {
    const { store, dispose } = await freshStore(engine);
    try {
      const results = await Promise.all(Array.from({ length: 20 }, () => store.getOrGeneratePending(G, 'G_METER_ENCRYPTION_KEY', ctx)));
      const ids = new Set(results.map((r) => r.secretId));
      assert.equal(ids.size, 1);
      assert.equal(results.filter((r) => !r.reused).length, 1);
      assert.ok(results.every((r) => r.key.equals(results[0].key)));
      assert.equal((await store.list(G)).length, 1);
    } finally {
      await dispose();
    }
  });

  test(`concurrent generate and activate on one device keep one ACTIVE and at most one NEW (${engine})`, engineOptions(engine), async () => {
    const { store, db, dispose } = await freshStore(engine);
    try {
      // Several workers each run generate -> activate; racing activations of a superseded key fail with
      // SECRET_STATE, never with a broken invariant.
      const outcomes = await Promise.allSettled(
        Array.from({ length: 12 }, async () => {
          const { secretId } = await store.generateNew(G, 'G_METER_ENCRYPTION_KEY', ctx);
          await store.activate(G, 'G_METER_ENCRYPTION_KEY', secretId, ctx);
          return secretId;
        }),
      );
      for (const o of outcomes) if (o.status === 'rejected') assert.equal((o.reason as { code?: number }).code, ErrorCode.SECRET_STATE);
      const activated = outcomes.filter((o) => o.status === 'fulfilled').map((o) => (o as PromiseFulfilledResult<number>).value);
      assert.ok(activated.length >= 1);
      const counts = (
        await db.query<{ status: string; n: number }>(
          `SELECT status, count(*)::int AS n FROM secret WHERE device_identification = $1 GROUP BY status`,
          [G],
        )
      ).rows;
      const by = Object.fromEntries(counts.map((c) => [c.status, c.n]));
      assert.equal(by.ACTIVE, 1);
      assert.ok((by.NEW ?? 0) <= 1);
      assert.equal((by.ACTIVE ?? 0) + (by.NEW ?? 0) + (by.EXPIRED ?? 0) + (by.WITHDRAWN ?? 0), 12);
      assert.equal(by.EXPIRED ?? 0, activated.length - 1);
      const active = await store.getActive(G, 'G_METER_ENCRYPTION_KEY');
      assert.ok(active && activated.includes(active.secretId));
    } finally {
      await dispose();
    }
  });

  test(`concurrent activate of the same NEW key succeeds once and is idempotent for the rest (${engine})`, engineOptions(engine), async () => {
    const { store, dispose } = await freshStore(engine);
    try {
      const old = await store.storeActive(G, 'G_METER_MASTER_KEY', Buffer.alloc(16, 1), ctx);
      const { secretId } = await store.storeNew(G, 'G_METER_MASTER_KEY', Buffer.alloc(16, 2), ctx);
      await Promise.all(Array.from({ length: 10 }, () => store.activate(G, 'G_METER_MASTER_KEY', secretId, ctx)));
      const statuses = (await store.list(G)).map((m) => [m.secretId, m.status]);
      assert.deepEqual(statuses, [[old.secretId, 'EXPIRED'], [secretId, 'ACTIVE']]);
      assert.equal((await store.audit(G)).filter((r) => r.action === 'ACTIVATE' && r.secretId === secretId).length, 1);
    } finally {
      await dispose();
    }
  });

  test(`KEK rotation re-wraps every secret while readers and writers keep going (${engine})`, engineOptions(engine), async () => {
    const { store, db, kek, dispose } = await freshStore(engine);
    const next = SoftwareKekProvider.generate();
    try {
      const devices = Array.from({ length: 60 }, (_, i) => `E${String(i).padStart(16, '0')}`);
      const expected = new Map<string, Buffer>();
      for (const d of devices) {
        const key = Buffer.alloc(16, devices.indexOf(d));
        await store.storeActive(d, 'E_METER_AUTHENTICATION_KEY', key, ctx);
        expected.set(d, key);
      }
      let stop = false;
      let reads = 0;
      let writes = 0;
      const readers = Array.from({ length: 4 }, async () => {
        while (!stop) {
          const d = devices[reads % devices.length];
          const got = await store.getActive(d, 'E_METER_AUTHENTICATION_KEY');
          assert.ok(got?.key.equals(expected.get(d)!), `read of ${d} during rotation`);
          reads++;
          // PGlite answers through microtasks only; yield so that timers and the other tasks run.
          await new Promise((r) => setImmediate(r));
        }
      });
      const writer = (async () => {
        while (!stop) {
          const d = devices[writes % devices.length];
          const p = await store.getOrGeneratePending(d, 'E_METER_ENCRYPTION_KEY_UNICAST', ctx);
          await store.activate(d, 'E_METER_ENCRYPTION_KEY_UNICAST', p.secretId, ctx);
          writes++;
          await new Promise((r) => setImmediate(r));
        }
      })();
      const result = await store.rotateKek(next, { actor: 'ops', reason: 'annual KEK rotation' }, { batchSize: 7 });
      // Let the load run on a little under the new KEK, then stop.
      const [r0, w0] = [reads, writes];
      while (reads < r0 + 10 || writes < w0 + 3) await new Promise((r) => setTimeout(r, 5));
      stop = true;
      await Promise.all([...readers, writer]);
      assert.ok(reads > 0 && writes > 0);
      assert.ok(result.rewrapped >= devices.length);
      assert.deepEqual(result.retired, [kek.reference]);
      assert.equal(store.kekReference, next.reference);
      const left = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM secret s JOIN secret_kek k ON k.id = s.kek_id WHERE k.reference <> $1`, [next.reference])).rows[0].n;
      assert.equal(left, 0);
      // A store opened with only the new KEK reads everything; the old KEK no longer opens it.
      const reopened = await SecretStore.open(db, next);
      for (const d of devices) assert.ok((await reopened.getActive(d, 'E_METER_AUTHENTICATION_KEY'))?.key.equals(expected.get(d)!));
      await assert.rejects(SecretStore.open(db, kek), (e: { code?: number }) => e.code === ErrorCode.KEK_UNAVAILABLE);
      assert.ok((await store.audit()).some((r) => r.action === 'KEK_ROTATE' && r.actor === 'ops'));
    } finally {
      await next.close();
      await dispose();
    }
  });
}

for (const engine of engines) {
  test(`an interrupted KEK rotation needs the old KEK to open and resumes with rotateKek (${engine})`, engineOptions(engine), async () => {
    const { store, db, kek, dispose } = await freshStore(engine);
    const next = SoftwareKekProvider.generate();
    try {
      const a = await store.storeActive('E1', 'E_METER_MASTER_KEY', Buffer.alloc(16, 1), ctx);
      // The state a rotation leaves when the process dies after step 1: new KEK CURRENT, old RETIRING, rows
      // still wrapped under the old one.
      await db.query(`UPDATE secret_kek SET status = 'RETIRING' WHERE reference = $1`, [kek.reference]);
      await db.query(`INSERT INTO secret_kek (provider, reference, status) VALUES ('software', $1, 'CURRENT')`, [next.reference]);
      await assert.rejects(SecretStore.open(db, kek), (e: { code?: number }) => e.code === ErrorCode.KEK_UNAVAILABLE);
      await assert.rejects(SecretStore.open(db, next), (e: { code?: number; message?: string }) => e.code === ErrorCode.KEK_UNAVAILABLE && /interrupted/.test(e.message!));
      const resumed = await SecretStore.open(db, next, { previous: [kek] });
      assert.deepEqual((await resumed.getActive('E1', 'E_METER_MASTER_KEY'))?.key, Buffer.alloc(16, 1));
      // New secrets go under the new KEK straight away.
      await resumed.storeNew('E1', 'E_METER_MASTER_KEY', Buffer.alloc(16, 2), ctx);
      assert.deepEqual((await resumed.list('E1')).map((m) => m.kekReference), [kek.reference, next.reference]);
      const r = await resumed.rotateKek(next, ctx);
      assert.equal(r.rewrapped, 1);
      assert.deepEqual(r.retired, [kek.reference]);
      const plain = await SecretStore.open(db, next, { cache: false });
      assert.equal((await plain.getActive('E1', 'E_METER_MASTER_KEY'))?.secretId, a.secretId);
    } finally {
      await next.close();
      await dispose();
    }
  });
}
