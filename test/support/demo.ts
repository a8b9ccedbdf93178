/**
 * `meterfabric demo` as an operator starts it (the real bin from dist/, simulated gateways over TCP) and the CLI
 * against it. The demo prints its REST URL, its organisation's token and its gateways; they are read from its output.
 */
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const bin = join(import.meta.dirname, '..', '..', 'bin', 'meterfabric.mjs');

/** Runs the CLI to its end (no token from the environment). */
export function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { timeout: 90_000, env: { ...process.env, METERFABRIC_TOKEN: '' } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

export interface Demo {
  /** The REST base (http://127.0.0.1:PORT). */
  url: string;
  /** The demo organisation's API token. */
  token: string;
  /** The simulated gateways (E-meters with a gas meter). */
  gateways: string[];
  /** The demo's data folder (the ADMIN token is in it). */
  data: string;
}

/** Starts the demo with `meters` gateways; it is stopped and its folder removed when the test ends. */
export async function startDemo(t: TestContext, meters: number): Promise<Demo> {
  const dir = await mkdtemp(join(tmpdir(), 'mf-demo-'));
  const data = join(dir, 'demo');
  const simBase = 21000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, [bin, 'demo', '--port', '0', '--push-port', '0', '--meters', String(meters), '--sim-base-port', String(simBase), '--no-exercise', '--data', data],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    await rm(dir, { recursive: true, force: true });
  });
  const out: string[] = [];
  let url: string | undefined;
  let token: string | undefined;
  const gateways: string[] = [];
  for await (const line of createInterface({ input: child.stdout! })) {
    out.push(line);
    url ??= /REST\s+(http:\/\/\S+)\/api\/v1\//.exec(line)?.[1];
    const gw = /^\s+(E\S+)\s+\S+/.exec(line);
    if (gw && /gas meter/.test(line)) gateways.push(gw[1]!);
    token ??= /TOKEN=(\S+)/.exec(line)?.[1];
    if (/Stop with Ctrl-C/.test(line)) break;
  }
  assert.ok(url && token && gateways.length === meters, out.join('\n'));
  return { url, token, gateways, data };
}
