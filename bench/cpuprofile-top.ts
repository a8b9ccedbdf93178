/**
 * Summarises a V8 .cpuprofile (from `SCALE_CPU_PROFILE=<folder> node --import tsx bench/scale.ts …` or
 * `node --cpu-prof`): the top functions by self time (function url:line) and by inclusive time, in ms and % of the
 * samples.
 *
 *   node --import tsx bench/cpuprofile-top.ts <file.cpuprofile> [--top 25] [--ops N]
 *
 * With --ops N the figures are also given per operation (ms / N).
 */
import { readFileSync } from 'node:fs';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

const file = process.argv[2];
if (!file) throw new Error('usage: cpuprofile-top.ts <file.cpuprofile> [--top 25] [--ops N]');
const opt = (name: string, d: number) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : d; };
const TOP = opt('top', 25);
const OPS = opt('ops', 0);
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const selfUs = new Map<number, number>();
p.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const key = (n: Node) => {
  const f = n.callFrame;
  const url = f.url.replace(/^file:\/\/.*?\/(node_modules|src|bench)\//, '$1/');
  return `${f.functionName || '(anonymous)'} ${url}:${f.lineNumber + 1}`;
};
const self = new Map<string, number>();
const incl = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id)!;
  self.set(key(n), (self.get(key(n)) ?? 0) + us);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const k = key(byId.get(cur)!);
    if (seen.has(k)) continue;
    seen.add(k);
    incl.set(k, (incl.get(k) ?? 0) + us);
  }
}
const fmt = (us: number) => `${(us / 1000).toFixed(1).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %${OPS ? ` ${(us / 1000 / OPS).toFixed(3).padStart(7)} ms/op` : ''}`;
console.log(`samples ${p.samples.length}, sampled time ${(total / 1000).toFixed(0)} ms`);
console.log(`\ntop ${TOP} by self time`);
for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${fmt(us)}  ${k}`);
console.log(`\ntop ${TOP} by inclusive time`);
for (const [k, us] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${fmt(us)}  ${k}`);
