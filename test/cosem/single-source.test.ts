// The class declarations in src/cosem are the only place that writes a COSEM class id, attribute or method id, or
// a logical name of the objects meterfabric addresses: everything else derives them from there. Comments and the
// CLI's help examples may mention them; code may not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const SRC = join(import.meta.dirname, '..', '..', 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The code of a file without its comments (string contents stay: a literal OBIS in a string is code). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

const RULES: [string, RegExp][] = [
  ['an M-Bus client setup logical name', /24\.1\.0\.255|\b0,\s*\w+,\s*24,\s*1,\s*0,\s*255\b/],
  ['a well-known logical name (clock, association, security setup, invocation counter)', /0-0:(1\.0\.0|40\.0\.0|43\.0\.0|43\.1\.0|42\.0\.0|96\.1\.0)\.255/],
  ['a literal class id', /\bclassId\s*:\s*\d/],
  ['a literal attribute or method id', /\b(attributeId|methodId)\s*:\s*\d/],
];

test('no class id, attribute/method id or logical name of a declared object is written outside src/cosem', () => {
  const found: string[] = [];
  for (const f of files(SRC)) {
    const rel = relative(SRC, f);
    if (rel.startsWith('cosem/') || rel.startsWith('cli/')) continue;
    const lines = code(readFileSync(f, 'utf8')).split('\n');
    lines.forEach((line, i) => {
      for (const [what, re] of RULES) if (re.test(line)) found.push(`src/${rel}:${i + 1}: ${what}: ${line.trim()}`);
    });
  }
  assert.deepEqual(found, []);
});

test('the rules see what they look for', () => {
  assert.ok(RULES[0]![1].test("const o = '0-1:24.1.0.255';"));
  assert.ok(RULES[0]![1].test('Obis.of(0, ch, 24, 1, 0, 255)'));
  assert.ok(RULES[2]![1].test('{ classId: 72, obis, attributeId }'));
  assert.ok(RULES[3]![1].test('{ classId, obis, attributeId: 6 }'));
  assert.equal(code('/** 0-1:24.1.0.255 */ x // 0-0:1.0.0.255').includes('24.1'), false);
});
