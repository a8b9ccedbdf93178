import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PreparedNames, openDb, splitSql } from '../../src/platform/db/db.ts';
import { engines, engineOptions, freshDb } from '../support/db.ts';

test('splitSql keeps $$ bodies whole and drops comment-only chunks', () => {
  const parts = splitSql('CREATE TABLE a(x int);\n-- only a comment\nCREATE FUNCTION f() RETURNS int AS $$\nSELECT 1;\n$$ LANGUAGE sql;\n');
  assert.equal(parts.length, 2);
  assert.match(parts[1], /SELECT 1;/);
});

for (const engine of engines) {
  test(`migrations apply once and transactions roll back on ${engine}`, engineOptions(engine), async () => {
    const { db, dispose } = await freshDb(engine);
    try {
      const names = (await db.query<{ name: string }>('SELECT name FROM schema_migration ORDER BY name')).rows.map((r) => r.name);
      assert.ok(names.includes('0000_platform_base.sql'));
      await assert.rejects(
        db.tx(async (q) => {
          await q.query(`INSERT INTO platform_setting(key, value) VALUES ('a', '1'::jsonb)`);
          throw new Error('boom');
        }),
        /boom/,
      );
      const r = await db.query(`SELECT * FROM platform_setting WHERE key = 'a'`);
      assert.equal(r.rowCount, 0);
    } finally {
      await dispose();
    }
  });
}

test('PreparedNames: one name per text with parameters, none without, at most max, a new generation after DDL', () => {
  const n = new PreparedNames(2);
  assert.equal(n.of('SELECT 1', []), undefined);
  assert.equal(n.of('SELECT 1', undefined), undefined);
  const a = n.of('SELECT $1::int', [1]);
  assert.ok(a);
  assert.equal(n.of('SELECT $1::int', [2]), a);
  const b = n.of('SELECT $1::text', ['x']);
  assert.ok(b && b !== a);
  assert.equal(n.of('SELECT $1::bigint', [3]), undefined, 'beyond max: unnamed');
  n.invalidate();
  const a2 = n.of('SELECT $1::int', [1]);
  assert.ok(a2 && a2 !== a && a2 !== b);
});

test('PostgreSQL: statements are prepared once per connection and still right after DDL here or elsewhere', engineOptions('postgres'), async () => {
  const { db, url, dispose } = await freshDb('postgres');
  const other = await openDb({ url, poolSize: 1 });
  try {
    await db.exec('CREATE TABLE prep_t (id int PRIMARY KEY, a text)');
    await db.query('INSERT INTO prep_t VALUES ($1, $2)', [1, 'x']);
    const select = 'SELECT * FROM prep_t WHERE id = $1';
    for (let i = 0; i < 3; i++) assert.deepEqual((await db.query(select, [1])).rows, [{ id: 1, a: 'x' }]);
    await db.tx(async (q) => assert.equal((await q.query(select, [1])).rowCount, 1));
    // One connection: the statement is prepared there once, under one name.
    for (let i = 0; i < 3; i++) await other.query(select, [1]);
    const prepared = await other.query<{ name: string }>('SELECT name FROM pg_prepared_statements WHERE statement = $1', [select]);
    assert.equal(prepared.rowCount, 1);
    assert.match(prepared.rows[0]!.name, /^mf\d+_\d+$/);
    // DDL through this Db: new names, the new column is seen.
    await db.exec('ALTER TABLE prep_t ADD COLUMN b int DEFAULT 7');
    assert.deepEqual((await db.query(select, [1])).rows, [{ id: 1, a: 'x', b: 7 }]);
    // DDL through another process's connection: the refused statement is prepared again under a new name.
    await other.exec('ALTER TABLE prep_t ADD COLUMN c int DEFAULT 8');
    for (let i = 0; i < 3; i++) assert.deepEqual((await db.query(select, [1])).rows, [{ id: 1, a: 'x', b: 7, c: 8 }]);
  } finally {
    await other.close();
    await dispose();
  }
});

test('PostgreSQL: a statement picked as a deadlock victim runs again, one inside a transaction does not', engineOptions('postgres'), async () => {
  const { db, dispose } = await freshDb('postgres');
  try {
    // Refuses with deadlock_detected (40P01) whenever the sequence gives an odd number; nextval survives the rollback.
    await db.exec(`CREATE SEQUENCE victim_s;
      CREATE FUNCTION victim() RETURNS bigint LANGUAGE plpgsql AS $$
        DECLARE n bigint := nextval('victim_s');
        BEGIN IF n % 2 = 1 THEN RAISE EXCEPTION 'deadlock' USING ERRCODE = '40P01'; END IF; RETURN n; END $$;`);
    assert.deepEqual((await db.query<{ n: number }>('SELECT victim() AS n WHERE $1::int = 1', [1])).rows, [{ n: 2 }]);
    await assert.rejects(db.tx((q) => q.query('SELECT victim() AS n WHERE $1::int = 1', [1])), { code: '40P01' });
  } finally {
    await dispose();
  }
});
