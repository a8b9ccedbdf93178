import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitSql } from '../../src/platform/db/db.ts';
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
