/**
 * SQL lives in src/platform and src/secrets only (repositories with names that say what they do); adapters, api,
 * console, runtime and the rest call them. This scan fails when a query call or an SQL statement appears elsewhere.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const SRC = join(import.meta.dirname, '..', '..', 'src');
const ALLOWED = ['platform', 'secrets'];

/** A call of the Db port's query method (or of a pg pool or client). */
const QUERY_CALL = /\.query\s*(<[^>]*>)?\s*\(/;
/** Statement shapes: SELECT … FROM, INSERT INTO, UPDATE x SET, DELETE FROM, and DDL. */
const SQL_STATEMENT = /\bSELECT\b[\s\S]{0,200}?\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b|\b(CREATE|ALTER|DROP)\s+(TABLE|INDEX)\b|\bSELECT\s+1\b/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : name.endsWith('.ts') ? [p] : [];
  });
}

/** Offending lines of one file's text: `file:line: text`. */
export function sqlOutsideRepositories(file: string, text: string): string[] {
  const out: string[] = [];
  text.split('\n').forEach((line, i) => {
    const code = line.replace(/^\s*(\*|\/\/).*$/, '');
    if (QUERY_CALL.test(code) || SQL_STATEMENT.test(code)) out.push(`${file}:${i + 1}: ${line.trim()}`);
  });
  return out;
}

test('the scan recognises SQL and query calls (so that the check below can fail)', () => {
  assert.equal(sqlOutsideRepositories('x.ts', `await db.query('SELECT 1');`).length, 1);
  assert.equal(sqlOutsideRepositories('x.ts', "const r = await q.query<{ id: string }>(\n  `INSERT INTO push_message (a) VALUES ($1)`,\n);").length, 2);
  assert.equal(sqlOutsideRepositories('x.ts', "  `SELECT d.device_identification FROM device d WHERE x`,").length, 1);
  assert.equal(sqlOutsideRepositories('x.ts', "await client.query('UPDATE device SET a = 1');").length, 1);
  assert.equal(sqlOutsideRepositories('x.ts', "sql: 'DELETE FROM console_session WHERE a = $1'").length, 1);
  // Words in comments and HTTP methods are not SQL.
  assert.equal(sqlOutsideRepositories('x.ts', " * DELETE removes it; SELECT the organisation from the list").length, 0);
  assert.equal(sqlOutsideRepositories('x.ts', "const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);").length, 0);
});

test('no SQL in src/ outside src/platform and src/secrets', () => {
  const offending = sourceFiles(SRC)
    .filter((f) => !ALLOWED.includes(relative(SRC, f).split(sep)[0]!))
    .flatMap((f) => sqlOutsideRepositories(relative(join(SRC, '..'), f), readFileSync(f, 'utf8')));
  assert.deepEqual(offending, [], `move these statements into a repository module of src/platform or src/secrets:\n${offending.join('\n')}`);
});
