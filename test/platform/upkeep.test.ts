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

    // A queue table keeps no statistics: taken between bursts they would say "empty" during the next one.
    await db.query(`INSERT INTO exchange_lock (lock_key, correlation_uid, expires_at) SELECT 'g' || g, 'c' || g, now() FROM generate_series(1, $1::int) g`, [500]);
    await db.exec('DELETE FROM exchange_lock');
    const queue = await upkeep.runOnce();
    assert.ok(!queue.vacuumed.includes('exchange_lock') && !queue.analyzed.includes('exchange_lock'), JSON.stringify(queue));
    const never = await db.query<{ reltuples: number }>(`SELECT reltuples FROM pg_class WHERE relname = 'exchange_lock'`);
    assert.equal(Number(never.rows[0]!.reltuples), -1, 'never analyzed: planned from its current size');

    const idle = await upkeep.runOnce();
    assert.deepEqual({ vacuumed: idle.vacuumed, analyzed: idle.analyzed }, { vacuumed: [], analyzed: [] });
    await upkeep.stop();
  } finally {
    await dispose();
  }
});
