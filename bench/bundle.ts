/**
 * Bundles at scale (`npm run bench -- bundle`): N simulated SMR 5 gateways answering every APDU after an emulated
 * round trip (`--rtt`, default 500 ms; bench/_scale-fleet.ts), one bundle each through the REST API with
 * GetActualMeterReads + FindEvents (the standard event log of the last day) + SynchronizeTime, all submitted at
 * once; then the same bundle again for the N gateways as one bulk job (POST /api/v1/bulk-jobs, operation `bundle`,
 * src/platform/bulk-jobs.ts), timed from the job's creation until its progress is complete.
 *
 *   node --import tsx bench/bundle.ts [--n 100] [--rtt 500] [--no-bulk]
 *
 * The head-end runs in this process on the embedded database with the settings of `meterfabric serve` (platform
 * options from the environment), its log going to a file. Every gateway first gets one SynchronizeTime, so that the
 * one-off reading of its invocation counter is not measured. Prints: the time of the same actions as separate
 * requests on one meter, of one bundle alone (the link bound: every bundle's session in parallel), the wall time of
 * the N bundles and its ratio to the link bound and to the throttle's bound (N / new connections per second + one
 * bundle), the associations per bundle (counted by the simulated gateways) and the platform's CPU per bundle.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHeadend, type RunningHeadend } from '../src/runtime/headend.ts';
import { platformOptionsFromEnv } from '../src/cli/commands/serve.ts';
import { logFileDestination, setRootLogDestination } from '../src/observability/logger.ts';
import { addDevice, addOrganisation } from '../src/platform/inventory.ts';
import { issueApiToken } from '../src/platform/tokens.ts';
import { TEST_KEYS } from '../src/simulator/meter.ts';
import { DEVICE_OPERATIONS } from '../src/operations/catalogue.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const N = Number(arg('n', '100'));
const RTT = Number(arg('rtt', '500'));
const ORG = 'bundle-operator';
const gw = (i: number) => `E${String(8_000_000_000_000_000 + i).padStart(16, '0')}`;

const BULK = !process.argv.includes('--no-bulk');
const WINDOW = { from: new Date(Date.now() - 86_400_000).toISOString(), until: new Date().toISOString() };
const ACTIONS: Record<string, unknown>[] = [
  { action: 'getActualMeterReads' },
  { action: 'FindEventsRequest', eventLogCategory: 'STANDARD_EVENT_LOG', ...WINDOW },
  { action: 'synchronizeTime', timeZone: 'Europe/Amsterdam' },
];
if (!DEVICE_OPERATIONS.some((o) => o.bundleAction === 'FindEventsRequest')) throw new Error('FindEvents is not bundleable in this catalogue');

async function startFleet(n: number): Promise<{ child: ChildProcess; ports: number[]; connections(): Promise<number> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '_scale-fleet.ts'), '--n', String(n), '--rtt', String(RTT)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  let waiting: ((n: number) => void) | undefined;
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const counted = out.split('\n').filter((l) => l.startsWith('{"acceptedConnections"')).pop();
    if (counted && waiting) {
      out = out.replace(counted, '');
      const w = waiting;
      waiting = undefined;
      w((JSON.parse(counted) as { acceptedConnections: number }).acceptedConnections);
    }
  });
  const ports = await new Promise<number[]>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`fleet exited with ${code}`)));
    const check = () => {
      const line = out.split('\n').find((l) => l.startsWith('{"ports"'));
      if (line && out.endsWith('\n')) resolve((JSON.parse(line) as { ports: number[] }).ports);
      else setTimeout(check, 20);
    };
    check();
  });
  child.removeAllListeners('exit');
  // The connections the gateways accepted so far (asked with SIGUSR2).
  const connections = () => new Promise<number>((resolve) => {
    waiting = resolve;
    child.kill('SIGUSR2');
  });
  return { child, ports, connections };
}

async function post(url: string, token: string, path: string, body: unknown): Promise<string> {
  const res = await fetch(`${url}/api/v1${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  const b = (await res.json()) as { correlationUid?: string };
  if (res.status !== 202 || !b.correlationUid) throw new Error(`${path}: ${res.status} ${JSON.stringify(b)}`);
  return b.correlationUid;
}

async function waitDone(h: RunningHeadend, uids: string[]): Promise<void> {
  for (;;) {
    const r = await h.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM request WHERE status = 'DONE' AND correlation_uid = ANY($1::text[])`, [uids]);
    if (r.rows[0]!.n === uids.length) return;
    await new Promise((res) => setTimeout(res, 50));
  }
}

const line = (s: string) => console.log(`bundle N=${N} rtt=${RTT}ms: ${s}`);
const dir = mkdtempSync(join(tmpdir(), 'mf-bundle-'));
setRootLogDestination(logFileDestination(join(dir, 'meterfabric.log')));
const fleet = await startFleet(N + 1);
const options = platformOptionsFromEnv();
const h = await startHeadend({ dataDir: join(dir, 'data'), http: { host: '127.0.0.1', port: 0 }, push: false, platform: options });
try {
  await addOrganisation(h.db, { identification: ORG });
  const { token } = await issueApiToken(h.db, ORG, 'bench');
  const audit = { actor: 'bench', reason: 'provisioning' };
  for (const [i, port] of fleet.ports.entries()) {
    await addDevice(h.db, {
      deviceIdentification: gw(i), deviceType: 'SMART_METER_E', protocolName: 'SMR', protocolVersion: '5.0.0', host: '127.0.0.1', port,
      transport: 'WRAPPER', hls5Active: true, withListMax: 32, ownerOrganisationIdentification: ORG,
    });
    await h.secrets.storeActive(gw(i), 'E_METER_AUTHENTICATION_KEY', Buffer.from(TEST_KEYS.ak, 'hex'), audit);
    await h.secrets.storeActive(gw(i), 'E_METER_ENCRYPTION_KEY_UNICAST', Buffer.from(TEST_KEYS.ek, 'hex'), audit);
  }
  line(`${N + 1} simulated gateways; actions ${ACTIONS.map((a) => a.action).join(' + ')}`);

  // Every gateway's invocation counter read once (a public association on first contact), in parallel.
  await waitDone(h, await Promise.all(fleet.ports.map((_, i) => post(h.url!, token, `/devices/${gw(i)}/clock/synchronize`, {}))));

  // The same actions as separate requests on gateway N, one after the other (one association each).
  let t = performance.now();
  await waitDone(h, [await post(h.url!, token, `/devices/${gw(N)}/meter-reads/actual`, {})]);
  await waitDone(h, [await post(h.url!, token, `/devices/${gw(N)}/events`, { eventLogCategory: 'STANDARD_EVENT_LOG', ...WINDOW })]);
  await waitDone(h, [await post(h.url!, token, `/devices/${gw(N)}/clock/synchronize`, { timeZone: 'Europe/Amsterdam' })]);
  const separate = performance.now() - t;

  // One bundle alone on gateway N: the link bound.
  t = performance.now();
  await waitDone(h, [await post(h.url!, token, `/devices/${gw(N)}/bundle`, { actions: ACTIONS })]);
  const single = performance.now() - t;

  // N bundles at once.
  const connections0 = await fleet.connections();
  const cpu0 = process.cpuUsage();
  t = performance.now();
  const uids = await Promise.all(Array.from({ length: N }, (_, i) => post(h.url!, token, `/devices/${gw(i)}/bundle`, { actions: ACTIONS })));
  const submitted = performance.now() - t;
  await waitDone(h, uids);
  const wall = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  const outcomes = await h.db.query<{ result: string; n: number }>(
    `SELECT r.result_type || '/' || coalesce((SELECT string_agg(x->>'result', ',') FROM jsonb_array_elements(r.message_data->'data'->'responses') x), '-') AS result, count(*)::int AS n
       FROM response_data r WHERE r.correlation_uid = ANY($1::text[]) GROUP BY 1`, [uids]);
  const perBundle = ((await fleet.connections()) - connections0) / N;
  // When the bundles finished, seconds after the first submit, and how many ran more than once.
  const spread = (await h.db.query<{ f50: number; f100: number; again: number }>(
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY f) AS f50, max(f) AS f100, count(*) FILTER (WHERE attempts > 1)::int AS again
       FROM (SELECT extract(epoch FROM completed_at - min(created_at) OVER ()) AS f, attempts FROM request WHERE correlation_uid = ANY($1::text[])) t`,
    [uids])).rows[0]!;
  line(`results ${outcomes.rows.map((r) => `${r.result} ${r.n}`).join(', ')}`);
  line(`all accepted after ${(submitted / 1000).toFixed(1)} s; finished after p50 ${Number(spread.f50).toFixed(1)} s, last ${Number(spread.f100).toFixed(1)} s; ran more than once: ${spread.again}`);
  line(`separate requests on one meter ${(separate / 1000).toFixed(2)} s | one bundle alone ${(single / 1000).toFixed(2)} s (link bound)`);
  // The throttle's bound: new connections per second (default 30) open the N associations, the last one then takes a bundle's time.
  const throttleBound = (N / (options.throttle?.newPerSecond ?? 30)) * 1000 + single;
  line(`${N} bundles: wall ${(wall / 1000).toFixed(2)} s | wall/link bound ${(wall / single).toFixed(2)} | throttle bound ${(throttleBound / 1000).toFixed(2)} s,`
    + ` wall/throttle bound ${(wall / throttleBound).toFixed(2)} | associations per bundle ${perBundle.toFixed(2)}`
    + ` | CPU per bundle (Node, PGlite included) ${((cpu.user + cpu.system) / 1000 / N).toFixed(2)} ms`);
  const load = loadavg();
  line(`machine: ${cpus().length} cores, load average ${load.map((l) => l.toFixed(1)).join(' ')} (shared and loaded: wall times are noisy, CPU is process.cpuUsage())`);

  if (BULK) {
    // The same bundle for the N gateways as one bulk job: one POST, the platform submits them (bulk-jobs.ts).
    const bulkConnections0 = await fleet.connections();
    const bulkCpu0 = process.cpuUsage();
    t = performance.now();
    const res = await fetch(`${h.url!}/api/v1/bulk-jobs`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ operation: 'bundle', body: { actions: ACTIONS }, devices: Array.from({ length: N }, (_, i) => gw(i)) }),
    });
    const job = (await res.json()) as { id: string };
    if (res.status !== 202) throw new Error(`bulk job: ${res.status} ${JSON.stringify(job)}`);
    let progress: { counts: Record<string, number>; complete: boolean };
    for (;;) {
      const r = await fetch(`${h.url!}/api/v1/bulk-jobs/${job.id}?limit=1`, { headers: { authorization: `Bearer ${token}` } });
      progress = ((await r.json()) as { progress: typeof progress }).progress;
      if (progress.complete) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const bulkWall = performance.now() - t;
    const bulkCpu = process.cpuUsage(bulkCpu0);
    const bulkPerBundle = ((await fleet.connections()) - bulkConnections0) / N;
    line(`${N} bundles as one bulk job: wall ${(bulkWall / 1000).toFixed(2)} s | wall/link bound ${(bulkWall / single).toFixed(2)} | OK ${progress.counts.OK}, NOT_OK ${progress.counts.NOT_OK}`
      + ` | associations per bundle ${bulkPerBundle.toFixed(2)} | CPU per bundle ${((bulkCpu.user + bulkCpu.system) / 1000 / N).toFixed(2)} ms`);
  }
} finally {
  await h.stop().catch(() => undefined);
  if (fleet.child.exitCode === null) fleet.child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
