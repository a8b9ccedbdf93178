/**
 * The request counts behind /metrics (migration 0410, readRequestCounts): they match the request table after
 * inserts, state changes, deletes and a truncate, and reading them issues the same statements, none touching the
 * request table, whatever the number of requests kept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Db, Queryable } from '../../src/platform/db/db.ts';
import { readRequestCounts, type RequestCount } from '../../src/platform/requests.ts';
import { engines, engineOptions, freshDb } from '../support/db.ts';

/** Inserts n requests of one message type, in one statement, as QUEUED. */
async function insertRequests(db: Queryable, n: number, messageType: string, prefix: string): Promise<void> {
  await db.query(
    `INSERT INTO request (correlation_uid, organisation_identification, user_name, application_name, device_identification, message_type,
                          payload, priority, channel, lock_key)
     SELECT $3 || g, 'org', 'u', 'a', 'E' || g, $2, '{}', 4, 'REST', 'E' || g FROM generate_series(1, $1::int) g`,
    [n, messageType, prefix],
  );
}

/** The truth: counted from the request table itself. */
async function counted(db: Queryable): Promise<RequestCount[]> {
  const r = await db.query<{ message_type: string; status: string; result: string | null; error_code: number | null; n: number }>(
    `SELECT message_type, status, result, error_code, count(*)::int AS n FROM request GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
  );
  return r.rows.map((x) => ({ messageType: x.message_type, status: x.status, result: x.result, errorCode: x.error_code, n: Number(x.n) }));
}

/** The db, recording the text of every statement run through it (also inside transactions). */
function recording(db: Db): { db: Db; statements: string[] } {
  const statements: string[] = [];
  const wrap = (q: Queryable): Queryable => ({
    query: (sql, params, options) => {
      statements.push(sql.replace(/\s+/g, ' ').trim());
      return q.query(sql, params, options);
    },
  });
  const proxy: Db = {
    engine: db.engine,
    query: (sql, params, options) => wrap(db).query(sql, params, options),
    tx: (fn) => db.tx((q) => fn(wrap(q))),
    exec: (sql) => db.exec(sql),
    close: () => db.close(),
  };
  return { db: proxy, statements };
}

for (const engine of engines) {
  test(`request counts follow inserts, state changes, deletes and truncation (${engine})`, engineOptions(engine), async () => {
    const { db, dispose } = await freshDb(engine);
    try {
      assert.deepEqual(await readRequestCounts(db), []);
      await insertRequests(db, 30, 'SCAN_MBUS_CHANNELS', 'a');
      await insertRequests(db, 5, 'SET_MBUS_USER_KEY_BY_CHANNEL', 'b');
      await db.query(`UPDATE request SET status = 'RUNNING', attempts = 1 WHERE correlation_uid IN ('a1', 'a2', 'a3', 'b1')`);
      await db.query(`UPDATE request SET status = 'DONE', result = 'OK', completed_at = now() WHERE correlation_uid IN ('a1', 'a2')`);
      await db.query(`UPDATE request SET status = 'DONE', result = 'NOT_OK', error_code = 201, completed_at = now() WHERE correlation_uid = 'b1'`);
      // A change that leaves the counted columns alone counts nothing.
      await db.query(`UPDATE request SET updated_at = now() WHERE correlation_uid LIKE 'a%'`);
      assert.deepEqual(await readRequestCounts(db), await counted(db));
      // Changes committed after a fold are folded by the next read, and a rolled back change never counts.
      await db.query(`DELETE FROM request WHERE correlation_uid IN ('a1', 'a4')`);
      await assert.rejects(db.tx(async (q) => {
        await q.query(`UPDATE request SET status = 'DONE', result = 'OK' WHERE correlation_uid LIKE 'b%'`);
        throw new Error('rolled back');
      }), /rolled back/);
      const after = await readRequestCounts(db);
      assert.deepEqual(after, await counted(db));
      assert.deepEqual(after.find((c) => c.messageType === 'SET_MBUS_USER_KEY_BY_CHANNEL' && c.errorCode === 201), {
        messageType: 'SET_MBUS_USER_KEY_BY_CHANNEL', status: 'DONE', result: 'NOT_OK', errorCode: 201, n: 1,
      });
      assert.equal(after.filter((c) => c.status !== 'DONE').reduce((a, c) => a + c.n, 0), 30 - 2 - 1 + 5 - 1);
      await db.query('TRUNCATE request');
      assert.deepEqual(await readRequestCounts(db), []);
    } finally {
      await dispose();
    }
  });

  test(`reading the request counts costs the same statements for 10 and for 5,000 requests, none reading the request table (${engine})`, engineOptions(engine), async () => {
    const { db, dispose } = await freshDb(engine);
    try {
      const statementsFor = async (n: number, prefix: string) => {
        await insertRequests(db, n, 'SCAN_MBUS_CHANNELS', prefix);
        await db.query(`UPDATE request SET status = 'DONE', result = 'OK', completed_at = now() WHERE correlation_uid LIKE $1`, [`${prefix}%`]);
        await readRequestCounts(db); // folds what the writes above appended
        await insertRequests(db, 3, 'SCAN_MBUS_CHANNELS', `${prefix}-late`);
        const r = recording(db);
        const counts = await readRequestCounts(r.db);
        assert.deepEqual(counts, await counted(db));
        return r.statements;
      };
      const small = await statementsFor(10, 's');
      const large = await statementsFor(5000, 'l');
      assert.deepEqual(large, small, 'the same statements whatever the history');
      assert.ok(small.length > 0 && small.length <= 5, `a handful of statements per read (${small.length})`);
      for (const sql of small) assert.doesNotMatch(sql, /\bFROM request\b(?!_)|\bJOIN request\b(?!_)/, `reads no request rows: ${sql}`);
    } finally {
      await dispose();
    }
  });
}
