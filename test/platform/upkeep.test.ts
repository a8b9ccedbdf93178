/**
 * The embedded database's upkeep (src/platform/db/upkeep.ts): PGlite runs no autovacuum, so the head-end analyzes
 * and vacuums its tables itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EmbeddedUpkeep } from '../../src/platform/db/upkeep.ts';
import { engineOptions, freshDb } from '../support/db.ts';

const DEVICE_ROWS = 'SELECT * FROM device WHERE device_identification = ANY($1::text[])';

test('a pass analyzes a table that grew, so a statement prepared while it was empty stops reading all of it', engineOptions('pglite'), async () => {
  const { db, dispose } = await freshDb('pglite');
  try {
    await db.exec('ANALYZE device');
    const ids = ['E0000000000000007', 'E0000000000000011'];
    // Prepared while the table is empty: after five custom plans the cached generic plan is a sequential scan.
    for (let i = 0; i < 8; i++) await db.query(DEVICE_ROWS, [ids]);
    await db.exec(`INSERT INTO device (device_identification, device_type)
      SELECT 'E' || lpad(g::text, 16, '0'), 'SMART_METER_E' FROM generate_series(1, 3000) g`);
    const plan = async () => {
      const name = (await db.query<{ name: string }>('SELECT name FROM pg_prepared_statements WHERE statement = $1', [DEVICE_ROWS])).rows[0]?.name;
      assert.ok(name, 'the statement is prepared on the connection');
      const r = await db.query<Record<string, string>>(`EXPLAIN EXECUTE ${name}('{${ids.join(',')}}')`);
      return r.rows.map((row) => Object.values(row)[0]).join('\n');
    };
    assert.match(await plan(), /Seq Scan on device/, 'the stale plan: what the upkeep is for');

    const pass = await new EmbeddedUpkeep(db).runOnce();
    assert.ok(pass.analyzed.includes('device'), JSON.stringify(pass));
    const after = await plan();
    assert.doesNotMatch(after, /Seq Scan on device/, after);
    assert.match(after, /device_pkey|device_identification_prefix/, after);
    const rows = await db.query<{ device_identification: string }>(DEVICE_ROWS, [ids]);
    assert.deepEqual(rows.rows.map((r) => r.device_identification).sort(), ids);
  } finally {
    await dispose();
  }
});

test('a pass vacuums a table with dead rows, and a pass with nothing due does nothing', engineOptions('pglite'), async () => {
  const { db, dispose } = await freshDb('pglite');
  try {
    const upkeep = new EmbeddedUpkeep(db);
    await upkeep.runOnce(); // what the migrations left
    await db.query(`INSERT INTO platform_setting (key, value) SELECT 'k' || g, to_jsonb(g) FROM generate_series(1, $1::int) g`, [2000]);
    await db.exec(`DELETE FROM platform_setting WHERE key LIKE 'k%'`);
    const pass = await upkeep.runOnce();
    assert.ok(pass.vacuumed.includes('platform_setting'), JSON.stringify(pass));
    await db.query('SELECT pg_stat_force_next_flush()');
    const stats = await db.query<{ n_dead_tup: string; last_vacuum: Date | null }>(
      `SELECT n_dead_tup, last_vacuum FROM pg_stat_user_tables WHERE relname = 'platform_setting'`,
    );
    assert.equal(Number(stats.rows[0]!.n_dead_tup), 0);
    assert.ok(stats.rows[0]!.last_vacuum);

    // A queue table that is empty again is truncated, not vacuumed: its space comes back and it keeps no statistics
    // (taken between bursts they would say "empty" during the next one).
    await db.query(`INSERT INTO exchange_lock (lock_key, correlation_uid, expires_at) SELECT 'g' || g, 'c' || g, now() FROM generate_series(1, $1::int) g`, [500]);
    await db.exec('DELETE FROM exchange_lock');
    const queue = await upkeep.runOnce();
    assert.deepEqual(queue.truncated, ['exchange_lock'], JSON.stringify(queue));
    assert.ok(!queue.vacuumed.includes('exchange_lock') && !queue.analyzed.includes('exchange_lock'), JSON.stringify(queue));
    const never = await db.query<{ reltuples: number; pages: number }>(
      `SELECT reltuples, pg_relation_size(oid) / 8192 AS pages FROM pg_class WHERE relname = 'exchange_lock'`,
    );
    assert.deepEqual({ reltuples: Number(never.rows[0]!.reltuples), pages: Number(never.rows[0]!.pages) }, { reltuples: -1, pages: 0 }, 'as new: planned from its current size');

    const idle = await upkeep.runOnce();
    assert.deepEqual({ vacuumed: idle.vacuumed, analyzed: idle.analyzed, truncated: idle.truncated }, { vacuumed: [], analyzed: [], truncated: [] });
    await upkeep.stop();
  } finally {
    await dispose();
  }
});

test('the work queue stays the same size over bursts: emptied, it is truncated; never empty, it is vacuumed after a while, without statistics', engineOptions('pglite'), async () => {
  const { db, dispose } = await freshDb('pglite');
  try {
    const pages = async () => Number((await db.query<{ n: string }>(
      `SELECT (pg_relation_size('request_job') + (SELECT sum(pg_relation_size(indexrelid)) FROM pg_index WHERE indrelid = 'request_job'::regclass)) / 8192 AS n`,
    )).rows[0]!.n);
    const burst = async (n: number, from: number) => {
      await db.query(`INSERT INTO request_job (id, correlation_uid, lock_key, priority, submitted_at, run_after)
        SELECT gen_random_uuid(), 'c' || g, 'g' || g, 4, now(), now() FROM generate_series($1::int, $2::int) g`, [from, from + n - 1]);
      await db.query(`UPDATE request_job SET lease_owner = 'w', lease_expires_at = now() WHERE correlation_uid LIKE 'c%'`);
      await db.query(`DELETE FROM request_job WHERE correlation_uid LIKE 'c%'`);
    };
    // Without upkeep: every burst adds pages (PostgreSQL reuses space only where VACUUM recorded it).
    const growing = [await pages()];
    for (let i = 0; i < 3; i++) {
      await burst(2000, i * 2000);
      growing.push(await pages());
    }
    assert.ok(growing[3]! > growing[1]! + 40, `grows without upkeep: ${growing}`);

    const upkeep = new EmbeddedUpkeep(db, { queueVacuumAfterMs: 60_000 });
    const kept: number[] = [];
    for (let i = 0; i < 4; i++) {
      await burst(2000, 10_000 + i * 2000);
      const pass = await upkeep.runOnce();
      assert.ok(pass.truncated.includes('request_job'), JSON.stringify(pass));
      kept.push(await pages());
    }
    // Truncated, the table has no page left; its indexes keep their first page each.
    assert.ok(kept.every((n) => n <= 8), `bounded with upkeep: ${kept}`);

    // A queue that is never empty (a request scheduled for next week): not vacuumed while it may be a burst, then
    // vacuumed without ANALYZE once it has not been empty for queueVacuumAfterMs.
    await db.query(`INSERT INTO request_job (id, correlation_uid, lock_key, priority, submitted_at, run_after)
      VALUES (gen_random_uuid(), 'scheduled', 'g-s', 4, now(), now() + interval '7 days')`);
    await burst(2000, 20_000);
    const waiting = await upkeep.runOnce();
    assert.ok(!waiting.truncated.includes('request_job') && !waiting.vacuumed.includes('request_job'), JSON.stringify(waiting));
    const steady = new EmbeddedUpkeep(db, { queueVacuumAfterMs: 0 });
    const vacuumed = await steady.runOnce();
    assert.ok(vacuumed.vacuumed.includes('request_job') && !vacuumed.analyzed.includes('request_job'), JSON.stringify(vacuumed));
    const left = await db.query<{ correlation_uid: string }>('SELECT correlation_uid FROM request_job');
    assert.deepEqual(left.rows.map((r) => r.correlation_uid), ['scheduled'], 'nothing lost');
    const stats = await db.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stats WHERE tablename = 'request_job'`);
    assert.equal(Number(stats.rows[0]!.n), 0, 'no column statistics');
    await upkeep.stop();
    await steady.stop();
  } finally {
    await dispose();
  }
});
