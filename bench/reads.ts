/**
 * Periodic reads end to end (`npm run bench -- reads`): GetPeriodicMeterReads through the REST API, the platform's
 * queue and a DLMS association to simulated SMR 5 gateways (bench/_scale-fleet.ts), on the embedded database.
 *
 *   node --import tsx bench/reads.ts [--reads 30] [--n 100] [--rtt 500] [--submitters 32]
 *
 * 1. Platform CPU per read: `--reads` INTERVAL reads of one day (96 entries of 15 minutes, one class 7 GET with a
 *    range descriptor, the buffer in GET data blocks when it exceeds the PDU size) one after another against one
 *    gateway that answers at once; CPU of this process (HTTP API, queue, executor, DLMS session, PGlite, and the
 *    bench's own HTTP client) per read, and the same for DAILY reads.
 * 2. `--n` gateways answering every APDU after `--rtt` ms, one DAILY read each, submitted together: the wall time
 *    against the link bound (one read alone on the same link) and Node CPU per read. The throttle is raised as
 *    bench/scale.ts does for large N: METERFABRIC_NEW_CONNECTIONS_PER_SECOND (default here: N, so that connecting
 *    is not what bounds the run) and METERFABRIC_MAX_OPEN_CONNECTIONS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHeadend, type RunningHeadend } from '../src/runtime/headend.ts';
import { platformOptionsFromEnv } from '../src/cli/commands/serve.ts';
import { logFileDestination, setRootLogDestination } from '../src/observability/logger.ts';
import { TEST_KEYS } from '../src/simulator/meter.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const READS = Number(arg('reads', '30'));
const N = Number(arg('n', '100'));
const RTT = Number(arg('rtt', '500'));
const SUBMITTERS = Number(arg('submitters', '32'));
const ORG = 'reads-operator';
const cli = join(import.meta.dirname, '..', 'bin', 'meterfabric.mjs');
process.env.METERFABRIC_NEW_CONNECTIONS_PER_SECOND ??= String(Math.max(30, N));

function meterfabric(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`meterfabric ${args.slice(0, 2).join(' ')} failed: ${err}`))));
  });
}

async function startFleet(n: number, rtt: number): Promise<{ child: ChildProcess; ports: number[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '_scale-fleet.ts'), '--n', String(n), '--rtt', String(rtt)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ports = await new Promise<number[]>((resolve, reject) => {
    let out = '';
    child.once('exit', (code) => reject(new Error(`fleet exited with ${code}`)));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line && out.includes('\n')) resolve((JSON.parse(line) as { ports: number[] }).ports);
    });
  });
  child.removeAllListeners('exit');
  return { child, ports };
}

const gw = (prefix: number, i: number) => `E${String(prefix * 1_000_000_000_000_000 + i).padStart(16, '0')}`;

async function provision(dir: string, prefix: number, ports: number[], env: NodeJS.ProcessEnv): Promise<void> {
  const devices = ['deviceIdentification,deviceType,protocolName,protocolVersion,host,port,transport,hls5Active,withListMax,mbusIdentificationNumber,mbusManufacturerIdentification,mbusVersion,mbusDeviceTypeIdentification,gatewayDeviceIdentification,channel,ownerOrganisationIdentification'];
  const keys = ['device_identification,secret_type,key,status'];
  ports.forEach((port, i) => {
    devices.push(`${gw(prefix, i)},SMART_METER_E,SMR,5.0.0,127.0.0.1,${port},WRAPPER,true,32,,,,,,,${ORG}`);
    keys.push(`${gw(prefix, i)},E_METER_AUTHENTICATION_KEY,${TEST_KEYS.ak},ACTIVE`);
    keys.push(`${gw(prefix, i)},E_METER_ENCRYPTION_KEY_UNICAST,${TEST_KEYS.ek},ACTIVE`);
    keys.push(`${gw(prefix, i)},E_METER_MASTER_KEY,${TEST_KEYS.mk},ACTIVE`);
  });
  const d = join(dir, `devices-${prefix}.csv`);
  const k = join(dir, `keys-${prefix}.csv`);
  writeFileSync(d, devices.join('\n') + '\n');
  writeFileSync(k, keys.join('\n') + '\n', { mode: 0o600 });
  await meterfabric(['device', 'import', d], env);
  await meterfabric(['key', 'import', k], env);
}

const DAY_MS = 86_400_000;
const yesterday = Math.floor(Date.now() / DAY_MS) * DAY_MS - DAY_MS;

async function submit(url: string, token: string, device: string, periodType: 'INTERVAL' | 'DAILY'): Promise<string> {
  const body = periodType === 'INTERVAL'
    ? { periodType, beginDate: new Date(yesterday).toISOString(), endDate: new Date(yesterday + DAY_MS - 1000).toISOString() }
    : { periodType, beginDate: new Date(yesterday - 7 * DAY_MS).toISOString(), endDate: new Date(yesterday + DAY_MS).toISOString() };
  const res = await fetch(`${url}/api/v1/devices/${device}/meter-reads/periodic`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-organisation-identification': ORG, authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const r = (await res.json()) as { correlationUid?: string };
  if (res.status !== 202 || !r.correlationUid) throw new Error(`submit ${device}: ${res.status} ${JSON.stringify(r)}`);
  return r.correlationUid;
}

async function waitDone(h: RunningHeadend, uids: string[]): Promise<void> {
  for (;;) {
    const r = await h.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM request WHERE status = 'DONE' AND correlation_uid = ANY($1::text[])`, [uids]);
    if (r.rows[0]!.n === uids.length) return;
    await new Promise((res) => setTimeout(res, 20));
  }
}

async function outcome(h: RunningHeadend, uids: string[]): Promise<string> {
  const r = await h.db.query<{ result: string; n: number }>('SELECT result, count(*)::int AS n FROM request WHERE correlation_uid = ANY($1::text[]) GROUP BY result', [uids]);
  return r.rows.map((x) => `${x.result} ${x.n}`).join(', ');
}

const dir = mkdtempSync(join(tmpdir(), 'mf-reads-'));
setRootLogDestination(logFileDestination(join(dir, 'meterfabric.log')));
const fast = await startFleet(1, 0);
const slow = await startFleet(N + 1, RTT);
const options = platformOptionsFromEnv();
const h = await startHeadend({ dataDir: join(dir, 'data'), http: { host: '127.0.0.1', port: 0 }, push: false, platform: options });
try {
  const env = { METERFABRIC_URL: h.url!, METERFABRIC_TOKEN: readFileSync(h.adminTokenPath!, 'utf8').trim() };
  await meterfabric(['org', 'add', ORG], env);
  const token = (await meterfabric(['org', 'token', ORG], env)).split('\n').pop()!;
  await provision(dir, 7, fast.ports, env);
  await provision(dir, 8, slow.ports, env);
  console.log(`head-end on ${h.url} (${h.where}); throttle ${JSON.stringify(options.throttle ?? {})}`);

  // 1. CPU per read, one gateway without latency, reads one after another (two warm-up reads first).
  for (const periodType of ['INTERVAL', 'DAILY'] as const) {
    for (let i = 0; i < 2; i++) await waitDone(h, [await submit(h.url!, token, gw(7, 0), periodType)]);
    const uids: string[] = [];
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < READS; i++) {
      const uid = await submit(h.url!, token, gw(7, 0), periodType);
      await waitDone(h, [uid]);
      uids.push(uid);
    }
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const sample = (await (await fetch(`${h.url}/api/v1/responses/${encodeURIComponent(uids[0]!)}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { data?: { periodicMeterReads?: unknown[] } };
    const entries = sample.data?.periodicMeterReads?.length;
    console.log(
      `${periodType} read${entries !== undefined ? ` of ${entries} entries` : ''}, rtt 0: ${READS} reads (${await outcome(h, uids)}), `
      + `${(wall / READS).toFixed(1)} ms each, platform CPU per read ${((cpu.user + cpu.system) / 1000 / READS).toFixed(2)} ms (Node incl. PGlite and the bench's HTTP client)`,
    );
  }

  // 2. N gateways at RTT, one DAILY read each.
  const t1 = performance.now();
  const one = await submit(h.url!, token, gw(8, N), 'DAILY');
  await waitDone(h, [one]);
  const single = performance.now() - t1;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const uids: string[] = new Array(N);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(SUBMITTERS, N) }, async () => {
    while (next < N) {
      const i = next++;
      uids[i] = await submit(h.url!, token, gw(8, i), 'DAILY');
    }
  }));
  await waitDone(h, uids);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  console.log(
    `N=${N} gateways, rtt ${RTT} ms, one DAILY read each (${await outcome(h, uids)}): wall ${(wall / 1000).toFixed(2)} s | single read ${(single / 1000).toFixed(2)} s`
    + ` | wall/link bound ${(wall / single).toFixed(2)} | Node CPU per read ${((cpu.user + cpu.system) / 1000 / N).toFixed(2)} ms`,
  );
} finally {
  await h.stop();
  fast.child.kill('SIGTERM');
  slow.child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
