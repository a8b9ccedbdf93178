/**
 * What a newcomer meets first, through the real bin (which runs the compiled dist/): the root and the REST base
 * answer, the WSDL names a version, a taken port names its option, mistakes are refused before anything is sent,
 * a closed pipe ends the output quietly, an unusable data folder and a foreign KEK fail at once with a clear
 * message, and nothing is left behind by a refused start. Also: the CLI loads no server code to print its help,
 * idle `serve` stays small, and no installed package needs a newer Node than the README promises.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { requires } from '../support/servers.ts';
import { freshDb } from '../support/db.ts';
import { SecretStore } from '../../src/secrets/store.ts';
import { SoftwareKekProvider } from '../../src/secrets/kek.ts';

const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'meterfabric.mjs');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
/** A port nothing listens on: a command that sent anything there would fail with "cannot reach". */
const NOWHERE = 'http://127.0.0.1:1';

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(process.execPath, [bin, ...args], { timeout: 60_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      res({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

async function serve(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [bin, 'serve', '--push-port', '0', '--log-level', 'warn', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  for await (const line of createInterface({ input: child.stdout! })) {
    lines.push(line);
    const url = /listening on (http:\/\/\S+)/.exec(line)?.[1];
    if (url) {
      child.stdout!.resume();
      return { child, url };
    }
  }
  throw new Error(`serve did not start: ${lines.join('\n')}`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

test('serve: / leads to the console, /api/v1/ answers, the WSDL carries the version, a taken port names --port, idle memory stays small', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mf-newcomer-'));
  const { child, url } = await serve(['--port', '0', '--data', join(dir, 'data')]);
  try {
    const home = await fetch(`${url}/`, { redirect: 'manual' });
    assert.equal(home.status, 302);
    assert.equal(home.headers.get('location'), '/console/');
    const consolePage = await fetch(`${url}/console/`);
    assert.equal(consolePage.status, 200, 'the console is served from dist/');
    await consolePage.text();

    const index = await fetch(`${url}/api/v1/`);
    assert.equal(index.status, 200);
    const body = (await index.json()) as { openapi: string; console: string };
    assert.equal(body.openapi, '/openapi.json');
    assert.equal(body.console, '/console/');
    const openapi = (await (await fetch(`${url}${body.openapi}`)).json()) as { paths: Record<string, unknown> };
    assert.ok(Object.keys(openapi.paths).some((p) => p.includes('/mbus/channels/') && p.endsWith('/user-key')), 'the REST operations are loaded from dist/');
    assert.ok(openapi.paths['/api/v1/fleet/devices'] && openapi.paths['/api/v1/bulk-jobs/{id}'], 'the fleet view and bulk jobs are described');

    const wsdl = await (await fetch(`${url}/osgp-adapter-ws-smartmetering/smartMetering/configurationService/?wsdl`)).text();
    assert.doesNotMatch(wsdl, /\$\{display\.version\}/);
    assert.match(wsdl, new RegExp(`Platform version: ${pkg.version.replaceAll('.', '\\.')}`));

    const port = new URL(url).port;
    const taken = await run(['serve', '--port', port, '--push-port', '0', '--data', join(dir, 'other')]);
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, new RegExp(`127\\.0\\.0\\.1:${port} is already in use.*--port`));
    assert.doesNotMatch(taken.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(existsSync(join(dir, 'other')), false, 'a start refused for its port creates no data folder, database or KEK');

    const unknown = await run(['key', 'list', 'UNKNOWN', '--url', url, '--data', join(dir, 'data')]);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /UNKNOWN_DEVICE/);
    assert.equal(unknown.stdout, '', 'no empty table');

    if (existsSync(`/proc/${child.pid}/status`)) {
      const rssKb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]);
      assert.ok(rssKb > 0 && rssKb < 400 * 1024, `serve on the embedded database holds ${Math.round(rssKb / 1024)} MB`);
    }
  } finally {
    await stop(child);
    await rm(dir, { recursive: true, force: true });
  }
});

test('channel and key mistakes are refused before anything is sent', async () => {
  const cases: [string[], RegExp][] = [
    [['key', 'encrypt', '0011', '--url', NOWHERE], /VALIDATION_ERROR: a key is 16 bytes, 32 hex digits; got 4 hex digits/],
    [['key', 'encrypt', 'zz112233445566778899AABBCCDDEEFF', '--url', NOWHERE], /VALIDATION_ERROR: a key is 16 bytes/],
    [['device', 'add', 'G1', '--type', 'G', '--channel', '5', '--url', NOWHERE], /VALIDATION_ERROR: an M-Bus channel is 1\.\.4, got 5/],
    [['request', 'submit', 'SET_MBUS_USER_KEY_BY_CHANNEL', 'E1', '--for', 'o', '--payload', '{"channel":5}', '--url', NOWHERE], /an M-Bus channel is 1\.\.4, got 5/],
    [['request', 'submit', 'SET_MBUS_USER_KEY_BY_CHANNEL', 'E1', '--for', 'o', '--payload', '{channel:1}', '--url', NOWHERE], /--payload must be JSON/],
  ];
  for (const [args, expected] of cases) {
    const r = await run(args);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, expected);
    assert.doesNotMatch(r.stderr, /cannot reach|fetch failed/, 'nothing was sent');
  }
  // The same commands with valid values and a token do try to send (so the refusals above come from the checks).
  const sent = await run(['device', 'add', 'G1', '--type', 'G', '--channel', '4', '--url', NOWHERE], { METERFABRIC_TOKEN: 'mft_unused' });
  assert.match(sent.stderr, /cannot reach/);
});

test('output into a pipe that closes early ends quietly (key audit | head)', async () => {
  const main = join(root, 'dist', 'cli', 'main.js');
  const script = `const { exitQuietlyOnClosedPipe } = await import(${JSON.stringify(new URL(`file://${main}`).href)});
exitQuietlyOnClosedPipe();
const line = 'x'.repeat(200) + '\\n';
for (;;) if (!process.stdout.write(line)) await new Promise((r) => process.stdout.once('drain', r));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  await once(child.stdout!, 'data');
  child.stdout!.destroy();
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(stderr, '');
  assert.equal(code, 0);
});

test('serve --data on an unusable path fails at once with a clear error', { skip: existsSync('/proc/self') ? undefined : 'needs /proc' }, async () => {
  const started = Date.now();
  const r = await run(['serve', '--data', '/proc/x/data', '--port', '0', '--push-port', '0']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /CONFIGURATION_ERROR: cannot use \/proc\/x\/data as the data folder \(--data\): cannot create \/proc\/x/);
  assert.ok(Date.now() - started < 30_000);
});

test('a worker with another data folder: the KEK refusal names the file and how to share a KEK, and leaves no KEK file', requires('postgres'), async () => {
  const { db, url, dispose } = await freshDb('postgres');
  const dir = await mkdtemp(join(tmpdir(), 'mf-kek-'));
  try {
    // The first process registered its KEK with the database.
    await SecretStore.open(db, SoftwareKekProvider.generate());
    const r = await run(['worker', '--data', join(dir, 'other')], { DATABASE_URL: url, METERFABRIC_KEK: '' });
    assert.equal(r.code, 1);
    const file = join(dir, 'other', 'secret-kek.hex');
    assert.match(r.stderr, /KEK_UNAVAILABLE/);
    assert.ok(r.stderr.includes(file), r.stderr);
    assert.match(r.stderr, /same --data folder/);
    assert.match(r.stderr, /METERFABRIC_KEK/);
    assert.equal(existsSync(file), false, 'the new random KEK file is removed again');
    assert.doesNotMatch(r.stderr, /[0-9a-fA-F]{64}/, 'no key material');
  } finally {
    await dispose();
    await rm(dir, { recursive: true, force: true });
  }
});

test('org cert that the platform does not sign leaves no key file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mf-cert-'));
  try {
    const r = await run(['org', 'cert', 'my-org', '--url', NOWHERE, '--out', join(dir, 'my-org')], { METERFABRIC_TOKEN: 'mft_unused' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot reach/);
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** Static imports (not `import type`, not dynamic import()) of a TypeScript source file. */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^import\s+(?!type\s)[^;]*?from\s+'([^']+)';/gms)].map((m) => m[1]!).concat(
    [...text.matchAll(/^import\s+'([^']+)';/gm)].map((m) => m[1]!),
  );
}

test('--help loads no server code: the command modules import only commander, node: built-ins and light helpers at start', async () => {
  const commands = join(root, 'src', 'cli', 'commands');
  const queue = [join(root, 'src', 'cli', 'main.ts'), ...readdirSync(commands).filter((f) => f.endsWith('.ts')).map((f) => join(commands, f))];
  const seen = new Set<string>();
  const packages = new Set<string>();
  while (queue.length) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of staticImports(file)) {
      if (spec.startsWith('.')) queue.push(resolve(dirname(file), spec));
      else if (!spec.startsWith('node:')) packages.add(spec);
    }
  }
  assert.deepEqual([...packages], ['commander']);
  const heavy = [...seen].map((f) => f.slice(root.length + 1)).filter((f) => /src\/(runtime|api|session|transport|platform\/db|platform\/platform|secrets\/store|observability|simulator\/simulator)/.test(f));
  assert.deepEqual(heavy, []);

  const help = await run(['--help']);
  assert.equal(help.code, 0);
  for (const group of ['demo', 'device', 'dlms', 'key', 'org', 'request', 'serve', 'simulate', 'worker']) assert.match(help.stdout, new RegExp(`\\n  ${group}\\b`));
});

/** Whether a package's engines.node range admits Node 20.19 (forms `>=A.B`, `^A.B`, `~A.B`, alternatives with ||). */
export function admitsNode2019(range: string): boolean {
  return range.split('||').some((alternative) => {
    const min = /(>=|\^|~)?\s*v?(\d+)(?:\.(\d+))?/.exec(alternative.trim());
    if (!min) return true; // '*' or a form this check does not read
    const [major, minor] = [Number(min[2]), Number(min[3] ?? 0)];
    if (min[1] === '>=') return major < 20 || (major === 20 && minor <= 19);
    return major === 20 && minor <= 19;
  });
}

test('no installed package needs a newer Node than the README promises (20.19)', () => {
  assert.equal(admitsNode2019('>=22'), false);
  assert.equal(admitsNode2019('^20.19.0 || >=22.12.0'), true);
  assert.equal(admitsNode2019('>= 18'), true);
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { engines?: { node?: string } | string[] }> };
  const tooNew = Object.entries(lock.packages)
    .filter(([, p]) => p.engines && !Array.isArray(p.engines) && p.engines.node && !admitsNode2019(p.engines.node))
    .map(([path, p]) => `${path}: ${(p.engines as { node: string }).node}`);
  assert.deepEqual(tooNew, []);
});
