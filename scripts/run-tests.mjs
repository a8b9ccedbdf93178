#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's own test runner.
//
// Server-backed tests (PostgreSQL, SoftHSM2, Chromium) run whenever their server is installed on this machine:
// this script starts a throw-away PostgreSQL cluster and a SoftHSM2 token in a temporary folder and passes their
// coordinates to the tests through the environment. When a server is missing the tests say so and skip; with
// CI=true a missing server is a failure instead (see test/support/servers.ts).
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync, mkdirSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import net from 'node:net';

const root = resolve(import.meta.dirname, '..');
const filters = process.argv.slice(2);

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

async function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

const cleanups = [];
const env = { ...process.env };
const isRoot = process.getuid?.() === 0;

async function startPostgres() {
  if (env.TEST_DATABASE_URL) return `PostgreSQL: using TEST_DATABASE_URL`;
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort().reverse() : [];
  const bin = versions.map((v) => `/usr/lib/postgresql/${v}/bin`).find((b) => existsSync(join(b, 'initdb')));
  if (!bin) return 'PostgreSQL: not installed, PostgreSQL-backed tests will be skipped';
  const dir = mkdtempSync(join(tmpdir(), 'meterfabric-pg-'));
  chmodSync(dir, 0o777);
  const asUser = (cmd, args) => (isRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]);
  const run = (cmd, args) => {
    const [c, a] = asUser(cmd, args);
    const r = spawnSync(c, a, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout}`);
  };
  const port = await freePort();
  run(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-U', 'meterfabric', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  run(join(bin, 'pg_ctl'), [
    '-D', join(dir, 'data'), '-l', join(dir, 'log'), '-w',
    '-o', `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c max_connections=300`, 'start',
  ]);
  cleanups.push(() => {
    try { run(join(bin, 'pg_ctl'), ['-D', join(dir, 'data'), '-m', 'immediate', 'stop']); } catch {}
    rmSync(dir, { recursive: true, force: true });
  });
  env.TEST_DATABASE_URL = `postgres://meterfabric@127.0.0.1:${port}/postgres`;
  env.TEST_PG_BIN = bin;
  return `PostgreSQL: temporary cluster on 127.0.0.1:${port}`;
}

function startSoftHsm() {
  if (env.TEST_PKCS11_LIB) return 'SoftHSM2: using TEST_PKCS11_LIB';
  const libs = ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so'];
  const lib = libs.find((l) => existsSync(l));
  if (!lib) return 'SoftHSM2: not installed, PKCS#11 tests will be skipped';
  const dir = mkdtempSync(join(tmpdir(), 'meterfabric-hsm-'));
  mkdirSync(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\n`);
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', 'meterfabric-test', '--so-pin', '5678', '--pin', '1234'], {
    env: { ...env, SOFTHSM2_CONF: conf }, stdio: 'ignore',
  });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  Object.assign(env, { SOFTHSM2_CONF: conf, TEST_PKCS11_LIB: lib, TEST_PKCS11_TOKEN: 'meterfabric-test', TEST_PKCS11_PIN: '1234' });
  return `SoftHSM2: temporary token in ${dir}`;
}

function findChromium() {
  if (env.TEST_CHROMIUM) return 'Chromium: using TEST_CHROMIUM';
  const c = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  if (!c) return 'Chromium: not installed, browser tests will be skipped';
  env.TEST_CHROMIUM = c;
  return `Chromium: ${c}`;
}

// An interrupted run (Ctrl-C, a CI time limit) still stops the servers it started.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    for (const c of cleanups.reverse()) c();
    process.exit(130);
  });
}

let code = 1;
try {
  for (const line of [await startPostgres(), startSoftHsm(), findChromium()]) console.log(`# servers: ${line}`);
  let files = findTests(join(root, 'test'));
  if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
  const args = ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...files];
  code = await new Promise((res) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: 'inherit' });
    child.on('exit', (c, sig) => res(c ?? (sig ? 1 : 0)));
  });
} catch (e) {
  console.error(e);
} finally {
  for (const c of cleanups.reverse()) c();
}
process.exit(code);
