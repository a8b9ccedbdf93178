/**
 * Runs every benchmark in this folder one after another and prints their figures.
 * `npm run bench` (all) or `npm run bench -- secrets` (those whose file name contains "secrets").
 * Each benchmark is a plain script that prints its own lines; they run as separate processes so that one's
 * heap and timers do not disturb the next.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const dir = import.meta.dirname;
const filters = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
let failed = 0;
for (const f of files) {
  console.log(`\n== ${f}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(dir, f)], { stdio: 'inherit', env: process.env });
  if (r.status !== 0) {
    failed++;
    console.log(`   (${f} exited with ${r.status})`);
  }
}
process.exit(failed ? 1 : 0);
