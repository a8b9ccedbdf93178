// Shared throttling (docs/gxf.md#throttling, mode `shared`): permits in the database, counted across processes. Each
// "process" is its own SharedThrottle; on PostgreSQL each also has its own connection pool, as separate worker
// processes would (PGlite serves one process, so there both share the one embedded database).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engines, engineOptions, freshDb, type Engine } from '../support/db.ts';
import { openDb, type Db } from '../../src/platform/db/db.ts';
import { SharedThrottle, type SharedThrottleOptions } from '../../src/platform/permits.ts';
import { forRequest } from '../../src/platform/throttle.ts';
import { MeterfabricError } from '../../src/errors.ts';
import { sleep } from './helpers.ts';

interface Processes {
  db: Db;
  make(opts: SharedThrottleOptions): { a: SharedThrottle; b: SharedThrottle };
  dispose(): Promise<void>;
}

async function twoProcesses(engine: Engine): Promise<Processes> {
  const fresh = await freshDb(engine);
  // The second process's sessions default to REPEATABLE READ: acquiring must stay atomic whatever the server's default.
  if (fresh.url) await fresh.db.exec(`ALTER DATABASE ${new URL(fresh.url).pathname.slice(1)} SET default_transaction_isolation TO 'repeatable read'`);
  const second = fresh.url ? await openDb({ url: fresh.url, poolSize: 10 }) : fresh.db;
  const made: SharedThrottle[] = [];
  return {
    db: fresh.db,
    make(opts) {
      const a = new SharedThrottle(fresh.db, { holder: 'process-a', ...opts });
      const b = new SharedThrottle(second, { holder: 'process-b', ...opts });
      made.push(a, b);
      return { a, b };
    },
    async dispose() {
      for (const t of made) await t.close();
      if (second !== fresh.db) await second.close();
      await fresh.dispose();
    },
  };
}

const denied = (reason: 'open' | 'rate') => (e: unknown) =>
  e instanceof MeterfabricError && e.code === 211 && e.retryable && e.details?.throttled === reason;

async function openPermits(db: Db): Promise<number> {
  const r = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM connection_permit WHERE released_at IS NULL AND expires_at > clock_timestamp()');
  return r.rows[0]!.n;
}

for (const engine of engines) {
  test(`shared throttle on ${engine}: two processes together never hold more than maxOpen`, engineOptions(engine), async () => {
    const p = await twoProcesses(engine);
    try {
      const { a, b } = p.make({ maxOpen: 3, newPerSecond: 1000, maxWaitMs: 0 });
      const a1 = await a.acquire(undefined, { device: 'E1' });
      await a.acquire(undefined, { device: 'E2' });
      const b1 = await b.acquire(undefined, { device: 'E3' });
      // A full pool denies a caller of priority <= 4 at once, in either process.
      await assert.rejects(b.acquire(), denied('open'));
      await assert.rejects(a.acquire(undefined, { priority: 4 }), denied('open'));
      assert.equal(await openPermits(p.db), 3);
      await a1();
      await b.acquire();
      await assert.rejects(a.acquire(), denied('open'));
      assert.deepEqual([a.open, b.open], [1, 2]);
      const holders = await p.db.query<{ holder: string; n: number }>(
        'SELECT holder, count(*)::int AS n FROM connection_permit WHERE released_at IS NULL GROUP BY holder ORDER BY holder',
      );
      assert.deepEqual(holders.rows, [{ holder: 'process-a', n: 1 }, { holder: 'process-b', n: 2 }]);
      await b1();
      assert.equal(await openPermits(p.db), 2);
    } finally {
      await p.dispose();
    }
  });

  test(`shared throttle on ${engine}: many parallel acquires in two processes get exactly maxOpen permits`, engineOptions(engine), async () => {
    const p = await twoProcesses(engine);
    try {
      const { a, b } = p.make({ maxOpen: 7, newPerSecond: 10_000, maxWaitMs: 0 });
      const results = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).acquire(undefined, { device: `E${i}` })));
      const granted = results.filter((r) => r.status === 'fulfilled');
      assert.equal(granted.length, 7);
      for (const r of results) if (r.status === 'rejected') assert.ok(denied('open')(r.reason), String(r.reason));
      assert.equal(await openPermits(p.db), 7);
      assert.equal(a.open + b.open, 7);
      for (const r of granted) await (r as PromiseFulfilledResult<() => Promise<void>>).value();
      assert.equal(await openPermits(p.db), 0);
    } finally {
      await p.dispose();
    }
  });

  test(`shared throttle on ${engine}: the waiting callers of a process are asked for together, high priority first`, engineOptions(engine), async () => {
    const fresh = await freshDb(engine);
    let statements = 0;
    const counted = new Proxy(fresh.db, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target) as unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          if (prop === 'query' && String(args[0]).includes('connection_permit_attempt_many')) statements++;
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const t = new SharedThrottle(counted, { holder: 'one', maxOpen: 60, newPerSecond: 10_000, maxWaitMs: 0 });
    try {
      // 100 callers at once: the first is asked for alone, the rest join the next statement (or the one after).
      const results = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => t.acquire(undefined, { device: `E${i}`, priority: i % 10 === 9 ? 8 : 4 })));
      assert.ok(statements <= 3, `${statements} statements for 100 callers`);
      const granted = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      assert.equal(granted.length, 60);
      for (const r of results) if (r.status === 'rejected') assert.ok(denied('open')(r.reason), String(r.reason));
      // Every high-priority caller waiting in the same batch is served before any normal one.
      for (let i = 19; i < 100; i += 10) assert.ok(granted.includes(i), `high-priority caller ${i} granted`);
      assert.equal(await openPermits(fresh.db), 60);
    } finally {
      await t.close();
      await fresh.dispose();
    }
  });

  test(`shared throttle on ${engine}: parallel high-priority callers wait their turn and never exceed maxOpen together`, engineOptions(engine), async () => {
    const p = await twoProcesses(engine);
    try {
      const { a, b } = p.make({ maxOpen: 3, newPerSecond: 10_000, highPriorityWaitMs: 30_000, pollMs: 20 });
      let holding = 0;
      let most = 0;
      const overlaps: number[] = [];
      await Promise.all(Array.from({ length: 18 }, async (_, i) => {
        const release = await (i % 2 ? a : b).acquire(undefined, { priority: 6 });
        holding++;
        most = Math.max(most, holding);
        // What the database counts while this permit is held: never more than maxOpen.
        overlaps.push(await openPermits(p.db));
        await sleep(10);
        holding--;
        await release();
      }));
      assert.ok(most <= 3, `at most 3 connections at once, saw ${most}`);
      assert.ok(Math.max(...overlaps) <= 3, `the database never counted more than 3 open permits, saw ${Math.max(...overlaps)}`);
      assert.equal(overlaps.length, 18);
      assert.equal(await openPermits(p.db), 0);
    } finally {
      await p.dispose();
    }
  });

  test(`shared throttle on ${engine}: newPerSecond holds across both processes`, engineOptions(engine), async () => {
    const p = await twoProcesses(engine);
    try {
      const { a, b } = p.make({ maxOpen: 100, newPerSecond: 4, maxWaitMs: 10_000 });
      for (const t of [a, b, a, b]) assert.equal((await t.tryAcquire()).granted, true);
      const fifth = await b.tryAcquire();
      assert.equal(fifth.granted, false);
      assert.ok(!fifth.granted && fifth.reason === 'rate' && fifth.recent === 4 && fifth.rateFreeInMs <= 1000);
      // With maxWaitMs the rate limit paces instead of denying: four more, alternating processes.
      await Promise.all([a, b, a, b].map((t) => t.acquire()));
      const starts = (await p.db.query<{ t: Date }>('SELECT acquired_at AS t FROM connection_permit ORDER BY acquired_at')).rows.map((r) => new Date(r.t).getTime());
      assert.equal(starts.length, 8);
      for (let i = 0; i + 4 < starts.length; i++) {
        assert.ok(starts[i + 4]! - starts[i]! >= 1000, `acquisitions ${i} and ${i + 4} are ${starts[i + 4]! - starts[i]!} ms apart`);
      }
      const { a: hasty } = p.make({ maxOpen: 100, newPerSecond: 4, maxWaitMs: 0 });
      await assert.rejects(hasty.acquire(), denied('rate'));
    } finally {
      await p.dispose();
    }
  });

  test(`shared throttle on ${engine}: an expired lease is reclaimed, a renewed one is not`, engineOptions(engine), async () => {
    const p = await twoProcesses(engine);
    try {
      // Process A stops renewing (as a SIGKILLed process would) with the pool full.
      const dead = new SharedThrottle(p.db, { holder: 'killed', maxOpen: 2, leaseMs: 300, renewMs: 3_600_000 });
      await dead.acquire();
      await dead.acquire();
      const { b } = p.make({ maxOpen: 2, leaseMs: 300, highPriorityWaitMs: 5000, pollMs: 50 });
      await assert.rejects(b.acquire(), denied('open'));
      const t0 = Date.now();
      const reclaimed = await b.acquire(undefined, { priority: 7 });
      assert.ok(Date.now() - t0 >= 100, 'the high-priority caller had to wait for the lease to run out');
      // The killed holder's second permit may have been taken a little later (a busy machine), so its lease may
      // lapse a moment after the first: wait (bounded) until it has, then only the reclaimed permit is open.
      let open = await openPermits(p.db);
      for (let i = 0; i < 40 && open > 1; i++) {
        await new Promise((res) => setTimeout(res, 50));
        open = await openPermits(p.db);
      }
      assert.equal(open, 1);
      await dead.close();
      await reclaimed();

      // A live holder renews (every leaseMs / 3): its permit stays taken long after one lease.
      const { a: live, b: other } = p.make({ maxOpen: 1, leaseMs: 300 });
      const held = await live.acquire();
      // Wait until renewals have carried the lease past three lease lengths after it was taken (a positive sign
      // that it is renewed, not a fixed pause): without them it would have expired twice over by now.
      for (let i = 0; ; i++) {
        const r = await p.db.query<{ renewed: boolean }>(
          `SELECT expires_at > acquired_at + interval '900 milliseconds' AS renewed FROM connection_permit WHERE holder = $1 AND released_at IS NULL`, [live.holder]);
        if (r.rows[0]?.renewed) break;
        assert.ok(i < 200, 'the live holder renewed its lease');
        await sleep(25);
      }
      await assert.rejects(other.acquire(), denied('open'));
      await held();
      assert.equal((await other.tryAcquire()).granted, true);
    } finally {
      await p.dispose();
    }
  });

  test(`shared throttle on ${engine}: release is idempotent and close releases what is left`, engineOptions(engine), async () => {
    const p = await twoProcesses(engine);
    try {
      const { a, b } = p.make({ maxOpen: 2, newPerSecond: 1000, maxWaitMs: 0 });
      const r1 = await a.acquire();
      await a.acquire();
      await r1();
      const releasedAt = (await p.db.query<{ t: Date }>('SELECT released_at AS t FROM connection_permit WHERE released_at IS NOT NULL')).rows;
      await r1();
      r1();
      assert.deepEqual((await p.db.query<{ t: Date }>('SELECT released_at AS t FROM connection_permit WHERE released_at IS NOT NULL')).rows, releasedAt);
      assert.equal(a.open, 1);
      await b.acquire();
      await assert.rejects(b.acquire(), denied('open'), 'releasing twice freed one permit only');
      await a.close();
      assert.equal(await openPermits(p.db), 1);
      await b.acquire();
      await assert.rejects(a.acquire(), (e: MeterfabricError) => e.code === 211);
    } finally {
      await p.dispose();
    }
  });

  test(`shared throttle on ${engine}: the request's priority decides between waiting and being denied`, engineOptions(engine), async () => {
    const p = await twoProcesses(engine);
    try {
      const { a, b } = p.make({ maxOpen: 1, newPerSecond: 1000, highPriorityWaitMs: 5000, pollMs: 20 });
      const first = await a.acquire();
      await assert.rejects(forRequest(b, 2).acquire(undefined, { device: 'E1' }), denied('open'));
      const waiting = forRequest(b, 7).acquire(undefined, { device: 'E1' });
      await sleep(200);
      await first();
      const second = await waiting;
      const row = await p.db.query<{ priority: number; device_identification: string }>('SELECT priority, device_identification FROM connection_permit WHERE released_at IS NULL');
      assert.deepEqual(row.rows, [{ priority: 7, device_identification: 'E1' }]);
      await second();
      // An abort ends the wait.
      const again = await a.acquire();
      const abort = new AbortController();
      const aborted = b.acquire(abort.signal, { priority: 9 });
      abort.abort(new Error('stop'));
      await assert.rejects(aborted, /stop/);
      await again();
    } finally {
      await p.dispose();
    }
  });
}

test('throttle mode: shared by default on PostgreSQL, local on the embedded database; METERFABRIC_THROTTLE_MODE chooses', async () => {
  const { throttleMode, openConnectionThrottle } = await import('../../src/platform/permits.ts');
  const { platformOptionsFromEnv } = await import('../../src/cli/commands/serve.ts');
  assert.equal(throttleMode({ engine: 'postgres' }), 'shared');
  assert.equal(throttleMode({ engine: 'pglite' }), 'local');
  assert.equal(throttleMode({ engine: 'pglite' }, 'shared'), 'shared');
  const fake = { engine: 'postgres' } as Db;
  assert.ok(openConnectionThrottle(fake) instanceof SharedThrottle);
  assert.equal(openConnectionThrottle(fake, { mode: 'local' }), undefined);
  const none = openConnectionThrottle(fake, { mode: 'disabled' })!;
  for (let i = 0; i < 3; i++) await none.acquire();
  await none.close();
  assert.deepEqual(platformOptionsFromEnv({ METERFABRIC_THROTTLE_MODE: 'shared', METERFABRIC_MAX_OPEN_CONNECTIONS: '50' }).throttle, { mode: 'shared', maxOpen: 50 });
  assert.equal(platformOptionsFromEnv({}).throttle, undefined);
  assert.throws(() => platformOptionsFromEnv({ METERFABRIC_THROTTLE_MODE: 'global' }), (e: MeterfabricError) => e.code === 1300);
});

test('shared throttle: a permit taken while leases are being renewed is not mistaken for a lost one', async () => {
  const { db, dispose } = await freshDb('pglite');
  let openGate!: () => void;
  const gate = new Promise<void>((r) => (openGate = r));
  // The renewal's answer arrives only after another permit was taken in the meantime.
  const slow: Db = {
    ...db,
    tx: (fn) => db.tx(fn),
    query: async (sql, params) => {
      const r = await db.query(sql, params);
      if (/SET expires_at/.test(sql)) await gate;
      return r as never;
    },
  };
  const t = new SharedThrottle(slow, { maxOpen: 5, newPerSecond: 1000, renewMs: 3_600_000 });
  try {
    await t.acquire();
    const renewing = t.renew();
    await t.acquire();
    openGate();
    await renewing;
    assert.equal(t.open, 2);
    await t.renew();
    assert.equal(t.open, 2);
  } finally {
    await t.close();
    await dispose();
  }
});

test('shared throttle: releases while the pump waits for the next rate slot do not make it ask early', async () => {
  const { db, dispose } = await freshDb('pglite');
  // When each attempt was sent and what it answered.
  const asks: { at: number; freeAt?: number; granted: number }[] = [];
  const counted: Db = {
    ...db,
    tx: (fn, o) => db.tx(fn, o),
    query: async (sql, params, o) => {
      const at = Date.now();
      const r = await db.query(sql, params, o);
      if (sql.includes('connection_permit_attempt_many')) {
        const row = r.rows[0] as { granted: number; rate_free_in_ms: number | null };
        asks.push({ at, granted: Number(row.granted), freeAt: row.rate_free_in_ms === null ? undefined : at + Number(row.rate_free_in_ms) });
      }
      return r as never;
    },
  };
  const t = new SharedThrottle(counted, { holder: 'one', maxOpen: 100, newPerSecond: 4, maxWaitMs: 10_000 });
  try {
    const first = await Promise.all(Array.from({ length: 4 }, () => t.acquire()));
    // The fifth caller waits for the rate's next slot, about a second away.
    const fifth = t.acquire();
    const asked = asks.length;
    while (asks.length === asked) await new Promise((r) => setImmediate(r));
    const refused = asks[asked]!;
    assert.equal(refused.granted, 0);
    assert.ok(refused.freeAt! - Date.now() > 500, 'the next slot is far enough away to see an early ask');
    // Four releases while it waits: each frees a place in the pool, none a slot of the rate.
    const releasedAt = Date.now();
    await Promise.all(first.map((release) => release()));
    await (await fifth)();
    const early = asks.filter((a) => a.at > releasedAt && a.at < refused.freeAt! - 100);
    assert.deepEqual(early, [], 'no ask between the releases and the free slot');
    assert.ok(asks.length - asked <= 3, `${asks.length - asked} asks for the fifth caller`);
  } finally {
    await t.close();
    await dispose();
  }
});

test('shared throttle: a database that does not answer denies retryably', async () => {
  const broken = {
    engine: 'postgres',
    query: async () => {
      throw new Error('connection refused');
    },
    tx: async () => {
      throw new Error('connection refused');
    },
  } as unknown as Db;
  const t = new SharedThrottle(broken, {});
  await assert.rejects(t.acquire(), (e: MeterfabricError) => e.code === 211 && e.retryable && e.details?.throttled === 'unavailable');
  await assert.rejects(t.acquire(undefined, { priority: 6, device: 'x' }), (e: MeterfabricError) => e.code === 211 && e.retryable);
  await t.close();
});
