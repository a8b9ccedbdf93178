/**
 * The secret store's group commit (src/secrets/store.ts, migration 0500): the lifecycle writes and key reads of
 * concurrent callers go to the database as one statement, and still each caller gets its own result — its own
 * key, its own refusal, its own database error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/errors.ts';
import type { Db } from '../../src/platform/db/db.ts';
import { SecretStore } from '../../src/secrets/store.ts';
import { SoftwareKekProvider } from '../../src/secrets/kek.ts';
import { Batcher } from '../../src/platform/batch.ts';
import { engines, engineOptions, freshDb, type Engine } from '../support/db.ts';
import { ctx, codeOf } from './helpers.ts';

const T = 'G_METER_ENCRYPTION_KEY' as const;
const gmeter = (i: number) => `G00520000000000${String(i).padStart(2, '0')}`;

/** A store on a database whose statements are recorded (text only). */
async function countedStore(engine: Engine): Promise<{ db: Db; store: SecretStore; statements: string[]; dispose: () => Promise<void> }> {
  const { db, dispose } = await freshDb(engine);
  const statements: string[] = [];
  const counted: Db = Object.assign(Object.create(Object.getPrototypeOf(db) as object) as Db, db, {
    query: ((sql: string, params?: unknown[], options?: unknown) => {
      statements.push(sql);
      return (db.query as (...a: unknown[]) => Promise<unknown>)(sql, params, options);
    }) as Db['query'],
  });
  const kek = SoftwareKekProvider.generate();
  const store = await SecretStore.open(counted, kek);
  return { db, store, statements, dispose: async () => { await kek.close(); await dispose(); } };
}

for (const engine of engines) {
  test(`concurrent callers share one statement per write and each gets its own key and result (${engine})`, engineOptions(engine), async () => {
    const { store, statements, dispose } = await countedStore(engine);
    try {
      const n = 12;
      const devices = Array.from({ length: n }, (_, i) => gmeter(i));
      statements.length = 0;
      const pending = await Promise.all(devices.map((d) => store.getOrGeneratePending(d, T, ctx)));
      // One statement for the ids, one for the writes of all twelve callers.
      assert.equal(statements.filter((s) => s.includes('secret_write')).length, 1);
      assert.equal(statements.filter((s) => s.includes('nextval')).length, 1);
      assert.equal(new Set(pending.map((p) => p.secretId)).size, n);
      assert.ok(pending.every((p) => !p.reused));
      // That draw took ids ahead of need: the next keys are sealed without a statement for their ids, all distinct.
      statements.length = 0;
      const more = await Promise.all(Array.from({ length: n }, (_, i) => store.getOrGeneratePending(gmeter(100 + i), T, ctx)));
      assert.equal(statements.filter((s) => s.includes('nextval')).length, 0);
      assert.equal(new Set([...pending, ...more].map((p) => p.secretId)).size, 2 * n);
      // Each caller's key is the one stored under its own device.
      const stored = await Promise.all(devices.map((d) => store.getNew(d, T)));
      stored.forEach((s, i) => {
        assert.equal(s?.secretId, pending[i]!.secretId);
        assert.ok(s?.key.equals(pending[i]!.key));
      });

      statements.length = 0;
      await Promise.all(devices.map((d, i) => store.markSent(d, T, pending[i]!.secretId, ctx)));
      assert.equal(statements.filter((s) => s.includes('secret_write')).length, 1);
      statements.length = 0;
      await Promise.all(devices.map((d, i) => store.activate(d, T, pending[i]!.secretId, ctx)));
      assert.equal(statements.filter((s) => s.includes('secret_write')).length, 1);
      // Reads of concurrent callers: one statement too.
      statements.length = 0;
      const active = await Promise.all(devices.map((d) => store.getActive(d, T)));
      assert.equal(statements.length, 1);
      active.forEach((a, i) => assert.equal(a?.secretId, pending[i]!.secretId));
      for (const d of devices) {
        const actions = (await store.audit(d)).map((a) => a.action);
        assert.deepEqual(actions, ['GENERATE', 'MARK_SENT', 'ACTIVATE']);
      }
    } finally {
      await dispose();
    }
  });

  test(`in one batch a refused write fails only its caller (${engine})`, engineOptions(engine), async () => {
    const { store, dispose } = await countedStore(engine);
    try {
      const a = await store.getOrGeneratePending(gmeter(20), T, ctx);
      const b = await store.getOrGeneratePending(gmeter(21), T, ctx);
      const c = await store.getOrGeneratePending(gmeter(22), T, ctx);
      await store.withdraw(gmeter(22), T, c.secretId, ctx);
      const outcomes = await Promise.allSettled([
        store.markSent(gmeter(20), T, a.secretId, ctx),
        store.markSent(gmeter(21), T, 999_999, ctx), // no such key
        store.markSent(gmeter(22), T, c.secretId, ctx), // WITHDRAWN: cannot be sent
        store.markSent(gmeter(21), T, b.secretId, ctx),
      ]);
      assert.equal(outcomes[0].status, 'fulfilled');
      assert.equal(outcomes[3].status, 'fulfilled');
      assert.equal(outcomes[1].status === 'rejected' && (outcomes[1].reason as { code?: number }).code, ErrorCode.KEY_NOT_PRESENT);
      assert.equal(outcomes[2].status === 'rejected' && (outcomes[2].reason as { code?: number }).code, ErrorCode.SECRET_STATE);
      assert.equal((await store.list(gmeter(20)))[0]!.sent, true);
      assert.equal((await store.list(gmeter(21)))[0]!.sent, true);
    } finally {
      await dispose();
    }
  });

  test(`a database error inside a batch reaches only the caller whose write caused it (${engine})`, engineOptions(engine), async () => {
    const { db, store, statements, dispose } = await countedStore(engine);
    try {
      const keys = await Promise.all([30, 31, 32].map((i) => store.getOrGeneratePending(gmeter(i), T, ctx)));
      // A guard that refuses one write: the batch statement fails as a whole and is run item by item.
      await db.exec(`CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.reason = 'refuse me' THEN RAISE EXCEPTION 'refused by test'; END IF; RETURN NEW; END $$;
        CREATE TRIGGER test_refuse BEFORE INSERT ON secret_audit FOR EACH ROW EXECUTE FUNCTION test_refuse();`);
      statements.length = 0;
      const outcomes = await Promise.allSettled([
        store.markSent(gmeter(30), T, keys[0]!.secretId, ctx),
        store.markSent(gmeter(31), T, keys[1]!.secretId, { actor: 'test', reason: 'refuse me' }),
        store.markSent(gmeter(32), T, keys[2]!.secretId, ctx),
      ]);
      assert.ok(statements.some((s) => s.includes('secret_write(e.item)')), 'the three writes went out as one batch first');
      assert.equal(outcomes[0].status, 'fulfilled');
      assert.equal(outcomes[2].status, 'fulfilled');
      assert.equal(outcomes[1].status === 'rejected' && (outcomes[1].reason as { code?: number }).code, ErrorCode.INTERNAL_ERROR);
      const sent = await Promise.all([30, 31, 32].map(async (i) => (await store.list(gmeter(i)))[0]!.sent));
      assert.deepEqual(sent, [true, false, true]);
      // The refused caller's key is still NEW and unsent: it may be withdrawn; the others may not.
      assert.equal(await codeOf(() => store.withdraw(gmeter(30), T, keys[0]!.secretId, ctx)), ErrorCode.SECRET_STATE);
      await store.withdraw(gmeter(31), T, keys[1]!.secretId, ctx);
    } finally {
      await dispose();
    }
  });

  test(`two callers of one pending key in one batch: the first generates, the second reuses it (${engine})`, engineOptions(engine), async () => {
    const { store, statements, dispose } = await countedStore(engine);
    try {
      statements.length = 0;
      const [x, y] = await Promise.all([store.getOrGeneratePending(gmeter(40), T, ctx), store.getOrGeneratePending(gmeter(40), T, ctx)]);
      assert.equal(statements.filter((s) => s.includes('secret_write')).length, 1);
      assert.equal(x.secretId, y.secretId);
      assert.ok(x.key.equals(y.key));
      assert.deepEqual([x.reused, y.reused], [false, true]);
      assert.equal((await store.list(gmeter(40))).length, 1);
    } finally {
      await dispose();
    }
  });
}

test('Batcher: items of one turn go out together; each caller gets its own value or error', async () => {
  const batches: number[][] = [];
  const b = new Batcher<number, number>(async (items) => {
    batches.push(items);
    return items.map((i) => (i < 0 ? new Error(`negative ${i}`) : i * 2));
  });
  const out = await Promise.allSettled([1, -2, 3].map((i) => b.submit(i)));
  assert.deepEqual(batches, [[1, -2, 3]]);
  assert.deepEqual(out.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message)), [2, 'negative -2', 6]);
  // Items arriving while a batch is in flight form the next batch.
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const slow = new Batcher<number, number>(async (items) => {
    batches.push(items);
    if (items[0] === 10) await gate;
    return items;
  });
  batches.length = 0;
  const first = slow.submit(10);
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  const later = [11, 12].map((i) => slow.submit(i));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(batches, [[10]]);
  release();
  assert.deepEqual(await Promise.all([first, ...later]), [10, 11, 12]);
  assert.deepEqual(batches, [[10], [11, 12]]);
  // A batch whose run throws rejects each of its callers.
  const failing = new Batcher<number, number>(async () => {
    throw new Error('down');
  });
  const f = await Promise.allSettled([failing.submit(1), failing.submit(2)]);
  assert.deepEqual(f.map((o) => o.status), ['rejected', 'rejected']);
});
