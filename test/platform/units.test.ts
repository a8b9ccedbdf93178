import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engines, engineOptions, freshDb } from '../support/db.ts';
import { DbInvocationCounterStore } from '../../src/platform/invocation-counters.ts';
import { Throttle } from '../../src/platform/throttle.ts';
import { correlationTimestamp, makeCorrelationUid } from '../../src/platform/correlation.ts';
import { MeterfabricError } from '../../src/errors.ts';
import { GATEWAY, ORG, seededPlatform } from './helpers.ts';
import { updateOrganisation } from '../../src/platform/inventory.ts';

test('CorrelationUid: org|||device|||yyyyMMddkkmmssSSS|||uuid, midnight is hour 24 (docs/gxf.md#correlation-uid)', () => {
  assert.equal(correlationTimestamp(new Date(2024, 9, 17, 0, 6, 34, 123)), '20241017240634123');
  assert.equal(correlationTimestamp(new Date(2024, 0, 2, 21, 6, 4, 5)), '20240102210604005');
  assert.equal(makeCorrelationUid('org-a', 'E1', new Date(2024, 9, 17, 21, 6, 34, 123), 'u-u'), 'org-a|||E1|||20241017210634123|||u-u');
});

test('throttle: at most maxOpen open and newPerSecond new connections', async () => {
  const throttle = new Throttle({ maxOpen: 2, newPerSecond: 100, maxWaitMs: 50 });
  const a = await throttle.acquire();
  const b = await throttle.acquire();
  await assert.rejects(throttle.acquire(), (e: MeterfabricError) => e.code === 211 && e.retryable);
  a();
  a(); // releasing twice frees one permit only
  const c = await throttle.acquire();
  assert.equal(throttle.open, 2);
  b();
  c();
  const rate = new Throttle({ maxOpen: 10, newPerSecond: 2, maxWaitMs: 2000 });
  const t0 = Date.now();
  for (let i = 0; i < 3; i++) (await rate.acquire())();
  assert.ok(Date.now() - t0 >= 900, 'the third new connection in a second had to wait');
  const aborted = new AbortController();
  aborted.abort();
  await assert.rejects(rate.acquire(aborted.signal));
});

for (const engine of engines) {
  test(`invocation counters are reserved in disjoint blocks and never lowered on ${engine}`, engineOptions(engine), async () => {
    const { db, dispose } = await freshDb(engine);
    try {
      const store = new DbInvocationCounterStore(db);
      assert.equal(await store.get('E1/1'), undefined);
      assert.deepEqual(await store.reserve('E1/1', 100), { first: 0, end: 100 });
      assert.deepEqual(await store.reserve('E1/1', 100), { first: 100, end: 200 });
      // The meter reported a higher counter: the next block starts above it.
      assert.deepEqual(await store.reserve('E1/1', 10, 5000), { first: 5000, end: 5010 });
      const blocks = await Promise.all(Array.from({ length: 10 }, () => store.reserve('E1/1', 10)));
      const firsts = blocks.map((b) => b.first).sort((x, y) => x - y);
      assert.deepEqual(firsts, Array.from({ length: 10 }, (_, i) => 5010 + i * 10));
      await store.raise('E1/1', 6000);
      await store.raise('E1/1', 6000);
      await assert.rejects(store.raise('E1/1', 5999), (e: MeterfabricError) => e.code === 808);
      assert.equal(await store.get('E1/1'), 6000);
    } finally {
      await dispose();
    }
  });

  test(`one request's counter store: the read reserves the first block, a raise goes with the next reservation on ${engine}`, engineOptions(engine), async () => {
    const { db, dispose } = await freshDb(engine);
    const stored = async (key: string) => (await db.query<{ v: number }>('SELECT reserved_until::int AS v FROM invocation_counter WHERE counter_key = $1', [key])).rows[0]?.v;
    try {
      // First contact: nothing stored; the meter's counter (raise) is written by the reservation, not on its own.
      const first = new DbInvocationCounterStore(db, { remember: true, prefetch: 8 });
      assert.equal(await first.get('E2/1'), undefined);
      await first.raise('E2/1', 1000);
      assert.equal(await stored('E2/1'), undefined, 'the raise alone writes nothing');
      await assert.rejects(first.raise('E2/1', 999), (e: MeterfabricError) => e.code === 808);
      assert.deepEqual(await first.reserve('E2/1', 8), { first: 1000, end: 1008 });
      assert.equal(await stored('E2/1'), 1008);
      // Next request: the read moves the stored mark by a block before anything is used, the reservation takes it.
      const next = new DbInvocationCounterStore(db, { remember: true, prefetch: 8 });
      assert.equal(await next.get('E2/1'), 1008);
      assert.equal(await stored('E2/1'), 1016, 'persisted before use');
      assert.deepEqual(await next.reserve('E2/1', 8), { first: 1008, end: 1016 });
      assert.deepEqual(await next.reserve('E2/1', 8), { first: 1016, end: 1024 }, 'later blocks from the database');
      assert.equal(await stored('E2/1'), 1024);
      // A meter counter above the prefetched block: that block is skipped, never handed out.
      const third = new DbInvocationCounterStore(db, { remember: true, prefetch: 8 });
      assert.equal(await third.get('E2/1'), 1024);
      await third.raise('E2/1', 1028);
      assert.deepEqual(await third.reserve('E2/1', 8), { first: 1032, end: 1040 });
      // A block of another size is not taken from the prefetch either.
      const fourth = new DbInvocationCounterStore(db, { remember: true, prefetch: 8 });
      assert.equal(await fourth.get('E2/1'), 1040);
      assert.deepEqual(await fourth.reserve('E2/1', 3), { first: 1048, end: 1051 });
    } finally {
      await dispose();
    }
  });

  test(`responses past retention are purged on ${engine}`, engineOptions(engine), async (t) => {
    const { db, platform } = await seededPlatform(t, engine, { pollingIntervalSeconds: 0.5 });
    platform.executors.register({ messageType: 'SCAN_MBUS_CHANNELS', execute: async () => ({ channels: [] }) });
    await updateOrganisation(db, ORG, { allowUrls: ['http://127.0.0.1:9/'] });
    const { correlationUid } = await platform.requests.submit({
      organisationIdentification: ORG, userName: 'u', applicationName: 'a', deviceIdentification: GATEWAY, messageType: 'SCAN_MBUS_CHANNELS', payload: {}, channel: 'SOAP',
      responseUrl: 'http://127.0.0.1:9/x',
    });
    await platform.requests.waitForResponse(correlationUid, ORG, 10_000);
    assert.equal(await platform.purgeExpired(new Date(Date.now() + 6 * 24 * 3600_000)), 0);
    assert.equal(await platform.purgeExpired(new Date(Date.now() + 7 * 24 * 3600_000 + 1000)), 1);
    await assert.rejects(platform.requests.getResponse(correlationUid, ORG), (e: MeterfabricError) => e.code === 405);
    const urls = await db.query('SELECT 1 FROM response_url WHERE correlation_uid = $1', [correlationUid]);
    assert.equal(urls.rows.length, 0);
  });
}
