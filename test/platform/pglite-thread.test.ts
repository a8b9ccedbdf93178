/**
 * The embedded database in its own thread (src/platform/db/pglite-thread.ts): values cross the thread intact,
 * transactions pin the one connection, errors keep PostgreSQL's SQLSTATE and constraint, the statement cache follows
 * DDL, committed data survives the thread dying, and a dead thread gives a clear error.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, pgliteThreadFromEnv, type Db } from '../../src/platform/db/db.ts';
import type { PgliteThreadDb } from '../../src/platform/db/pglite-thread.ts';
import { isMeterfabricError, ErrorCode } from '../../src/errors.ts';

// One database for the tests below (opening one takes a while on a loaded machine); each test starts with a new table t.
let shared: PgliteThreadDb;
before(async () => {
  shared = (await openDb({ dataDir: 'memory://', pgliteThread: 'worker' })) as PgliteThreadDb;
});
after(() => shared.close());

async function withDb(fn: (db: PgliteThreadDb) => Promise<void>): Promise<void> {
  assert.equal(typeof shared.threadStats, 'function', 'the embedded database runs in its own thread');
  await shared.exec('DROP TABLE IF EXISTS t; CREATE TABLE t (id int PRIMARY KEY, name text NOT NULL, CONSTRAINT t_name_key UNIQUE (name))');
  await fn(shared);
}

const count = async (db: Db) => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM t')).rows[0]!.n;

test('values cross the thread with their types; the row count is the rows or the rows changed', async () => {
  await withDb(async (db) => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    const r = await db.query<Record<string, unknown>>(
      'SELECT $1::bytea AS b, $2::jsonb AS j, $3::timestamptz AS ts, $4::bigint AS big, $5::text[] AS arr, $6::boolean AS yes, $7::text AS nothing, $8::int AS n',
      [Buffer.from([0, 1, 0xfe]), { a: [1, 'x'] }, at, 9_007_199_254_740_991n, ['a', 'b,c'], true, null, 42],
    );
    const row = r.rows[0]!;
    assert.deepEqual([...(row.b as Uint8Array)], [0, 1, 0xfe]);
    assert.deepEqual(row.j, { a: [1, 'x'] });
    assert.equal((row.ts as Date).toISOString(), at.toISOString());
    assert.equal(String(row.big), '9007199254740991');
    assert.deepEqual(row.arr, ['a', 'b,c']);
    assert.equal(row.yes, true);
    assert.equal(row.nothing, null);
    assert.equal(row.n, 42);
    const ins = await db.query('INSERT INTO t VALUES (1, $1), (2, $2)', ['one', 'two']);
    assert.equal(ins.rowCount, 2);
    // the same text again (now a prepared statement) with other parameters
    assert.equal((await db.query('INSERT INTO t VALUES (3, $1), (4, $2)', ['three', 'four'])).rowCount, 2);
    assert.equal((await db.query('SELECT * FROM t WHERE id > $1', [1])).rowCount, 3);
  });
});

test('a transaction commits, rolls back when its function throws, and holds the connection while it runs', async () => {
  await withDb(async (db) => {
    await db.tx(async (q) => {
      await q.query('INSERT INTO t VALUES (1, $1)', ['a']);
      await q.query('INSERT INTO t VALUES (2, $1)', ['b']);
    });
    assert.equal(await count(db), 2);

    await assert.rejects(
      db.tx(async (q) => {
        await q.query('INSERT INTO t VALUES (3, $1)', ['c']);
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(await count(db), 2);

    // A statement outside the transaction waits for it: it sees the transaction's rows only once committed.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let inserted!: () => void;
    const didInsert = new Promise<void>((r) => (inserted = r));
    const tx = db.tx(async (q) => {
      await q.query('INSERT INTO t VALUES (4, $1)', ['d']);
      inserted();
      await gate;
      await q.query('INSERT INTO t VALUES (5, $1)', ['e']);
    });
    await didInsert;
    const outside = count(db);
    const other = db.tx(async (q) => (await q.query<{ n: number }>('SELECT count(*)::int AS n FROM t')).rows[0]!.n);
    release();
    await tx;
    assert.equal(await outside, 4, 'the outside statement ran after the commit');
    assert.equal(await other, 4);

    // isolation is set in the BEGIN
    const level = await db.tx(async (q) => (await q.query<{ l: string }>("SELECT current_setting('transaction_isolation') AS l")).rows[0]!.l, { isolation: 'READ COMMITTED' });
    assert.equal(level, 'read committed');
  });
});

test('database errors keep their SQLSTATE and constraint, inside and outside transactions', async () => {
  await withDb(async (db) => {
    await db.query('INSERT INTO t VALUES (1, $1)', ['a']);
    const dup = await db.query('INSERT INTO t VALUES (2, $1)', ['a']).catch((e: unknown) => e);
    assert.equal((dup as { code?: string }).code, '23505');
    assert.equal((dup as { constraint?: string }).constraint, 't_name_key');
    assert.match((dup as Error).message, /duplicate key value/);

    const inTx = await db.tx(async (q) => {
      await q.query('INSERT INTO t VALUES (3, $1)', ['c']);
      await q.query('INSERT INTO t VALUES (1, $1)', ['x']);
    }).catch((e: unknown) => e);
    assert.equal((inTx as { code?: string }).code, '23505');
    assert.equal((inTx as { constraint?: string }).constraint, 't_pkey');
    assert.equal(await count(db), 1, 'the failed transaction was rolled back');

    // A transaction whose function swallows a failed statement cannot commit.
    const swallowed = await db.tx(async (q) => {
      await q.query('INSERT INTO t VALUES (1, $1)', ['y']).catch(() => undefined);
    }).catch((e: unknown) => e);
    assert.equal((swallowed as { code?: string }).code, '25P02');

    const syntax = await db.query('SELEC 1').catch((e: unknown) => e);
    assert.equal((syntax as { code?: string }).code, '42601');
    // the connection is usable after every error
    assert.equal(await count(db), 1);
  });
});

test('the statement cache follows DDL and its bound', async () => {
  await withDb(async (db) => {
    await db.query('INSERT INTO t VALUES (1, $1)', ['a']);
    assert.deepEqual(Object.keys((await db.query('SELECT * FROM t')).rows[0]!), ['id', 'name']);
    await db.query('ALTER TABLE t ADD COLUMN extra int DEFAULT 7');
    assert.deepEqual((await db.query('SELECT * FROM t')).rows[0], { id: 1, name: 'a', extra: 7 });
    await db.exec('ALTER TABLE t DROP COLUMN extra');
    assert.deepEqual((await db.query('SELECT * FROM t')).rows[0], { id: 1, name: 'a' });
    // more distinct texts than the cache holds: evicted statements are closed, and prepared again when used
    for (let i = 0; i < 520; i++) assert.equal((await db.query(`SELECT ${i}::int AS v`)).rows[0]!.v, i);
    assert.equal((await db.query('SELECT 0::int AS v')).rows[0]!.v, 0);
    assert.deepEqual((await db.query('SELECT * FROM t')).rows[0], { id: 1, name: 'a' });
  });
});

test('statement statistics count calls and CPU per text while asked for, and nothing after', async () => {
  await withDb(async (db) => {
    await db.query('INSERT INTO t VALUES (1, $1)', ['a']); // before: not counted
    await db.startStatementStats();
    for (let i = 2; i <= 4; i++) await db.query('INSERT INTO t VALUES ($1, $2)', [i, `n${i}`]);
    await db.tx(async (q) => q.query('SELECT count(*) FROM t'));
    const taken = await db.takeStatementStats();
    const insert = taken.find((r) => r.text === 'INSERT INTO t VALUES ($1, $2)');
    assert.equal(insert?.calls, 3);
    assert.ok(insert.cpuMs >= 0 && Number.isFinite(insert.cpuMs));
    assert.equal(taken.find((r) => r.text === 'SELECT count(*) FROM t')?.calls, 1);
    assert.ok(!taken.some((r) => r.text === 'INSERT INTO t VALUES (1, $1)'));
    await db.query('INSERT INTO t VALUES (5, $1)', ['e']);
    assert.deepEqual(await db.takeStatementStats(), [], 'counting stopped when taken');
  });
});

test('a statement text crosses once; a call that cannot be sent fails alone, and its text still reaches later calls', async () => {
  await withDb(async (db) => {
    const insert = 'INSERT INTO t VALUES ($1, $2)';
    const select = 'SELECT name FROM t WHERE id = $1';
    // In one turn: the first use of `insert` carries a value that cannot be cloned, the second is fine.
    const [bad, good] = await Promise.allSettled([db.query(insert, [1, () => 'x']), db.query(insert, [2, 'b'])]);
    assert.equal(bad.status, 'rejected');
    assert.equal(good.status, 'fulfilled');
    for (let i = 0; i < 3; i++) assert.deepEqual((await db.query(select, [2])).rows, [{ name: 'b' }]);
    await db.query(insert, [3, 'c']);
    assert.equal(await count(db), 2);
    await db.tx(async (q) => assert.deepEqual((await q.query(select, [3])).rows, [{ name: 'c' }]));
  });
});

test('committed rows survive the thread dying; a dead thread fails every call with a clear error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mf-pglite-thread-'));
  try {
    const db = (await openDb({ dataDir: join(dir, 'db'), pgliteThread: 'worker' })) as PgliteThreadDb;
    await db.exec('CREATE TABLE t (id int PRIMARY KEY, name text NOT NULL)');
    await db.tx(async (q) => q.query('INSERT INTO t VALUES (1, $1)', ['kept']));
    const stats = await db.threadStats();
    assert.ok(stats.cpuMs === null || stats.cpuMs > 0);

    const inFlight = db.query('SELECT pg_sleep(0.2), 1 AS one');
    await db.worker.terminate();
    for (const call of [inFlight, db.query('SELECT 1'), db.tx(async (q) => q.query('SELECT 1'))]) {
      const e = await call.then(() => undefined, (err: unknown) => err);
      assert.ok(isMeterfabricError(e), `a MeterfabricError, not ${String(e)}`);
      assert.equal(e.code, ErrorCode.INTERNAL_ERROR);
      assert.match(e.message, /embedded database thread stopped \(exit code 1\); restart the process/);
    }
    await db.close(); // closing a dead database is a no-op

    const again = await openDb({ dataDir: join(dir, 'db'), pgliteThread: 'worker' });
    try {
      assert.deepEqual((await again.query('SELECT * FROM t')).rows, [{ id: 1, name: 'kept' }]);
    } finally {
      await again.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('METERFABRIC_PGLITE_THREAD chooses the thread: worker by default, main on request, anything else refused', () => {
  assert.equal(pgliteThreadFromEnv({}), 'worker');
  assert.equal(pgliteThreadFromEnv({ METERFABRIC_PGLITE_THREAD: 'worker' }), 'worker');
  assert.equal(pgliteThreadFromEnv({ METERFABRIC_PGLITE_THREAD: 'main' }), 'main');
  assert.throws(() => pgliteThreadFromEnv({ METERFABRIC_PGLITE_THREAD: 'both' }), /METERFABRIC_PGLITE_THREAD must be worker or main/);
});
