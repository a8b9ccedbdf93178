/**
 * Many slow meter sessions at once (`npm run bench -- scale`): N simulated SMR 5 gateways, each answering after an
 * emulated round trip (`--rtt`, default 500 ms), one SetMbusUserKeyByChannel each through the REST API.
 *
 *   node --import tsx bench/scale.ts [--n 100] [--rtt 500] [--engine pglite|postgres|both] [--submitters 32] [--workers N] [--warmup W] [--bursts K]
 *
 * `--warmup W`: W requests (on W more gateways) run to completion before anything is measured, so the figures are
 * those of a head-end that has been running (its code compiled by V8's optimising compiler) rather than of a cold
 * process; 0 (the default) measures from a cold start.
 *
 * `--bursts K`: K bursts of N requests one after the other (each on N gateways of its own, the same head-end), each
 * printed as below, then their spread (lowest, median, highest): on a shared 2-core machine one burst varies from the
 * next by as much as a change of the code does, so a figure is the median of several.
 *
 * `--workers N` (PostgreSQL only): the head-end in this process serves the API only, and N `meterfabric worker`
 * processes (run from the sources, same environment, same data folder for the KEK) execute the requests; the CPU of
 * each worker process is printed separately, and per operation for all of them together.
 *
 * The head-end runs in this process with the settings of `meterfabric serve` (platform options from the environment:
 * METERFABRIC_MAX_OPEN_CONNECTIONS, METERFABRIC_NEW_CONNECTIONS_PER_SECOND, …), its log going to a file; the
 * gateways run in their own process (bench/_scale-fleet.ts). Provisioning is what an operator does: `meterfabric org
 * add`, `org token`, `device import` (gateways and G-meters from CSV) and `key import` (a key shipment) against the
 * running head-end. PostgreSQL: the server of TEST_DATABASE_URL (a fresh database per run).
 *
 * Prints per engine: wall time of the N requests (first submit until the client fetched the last result), the single-request
 * time (one request alone, measured first), the ratio of the wall time to the link bound (the single-request time:
 * every session in parallel) and to the throttle's bound (N / new-connections-per-second + single-request time),
 * platform CPU per operation — this process (Node; on the embedded database it includes PGlite), split by thread
 * (the main thread, the embedded database's own thread, the rest), and the PostgreSQL server's processes separately —
 * the peak RSS of this process, the event loop's delay during the burst, and when the client got its last notification.
 * The operator's client (bench/_scale-client.ts: N HTTP POSTs, then one fetch of
 * each result when its webhook notification arrives, as a GXF client does) runs in its own process: its CPU is not
 * the platform's and is printed separately, with the notifications and result fetches per operation and how long it
 * waited for each POST's 202 (p50, p90, max: with 32 submitters this sets how fast 1,000 requests get in); so is the CPU of
 * the simulated gateways' process, the rest of what the machine spends per operation.
 *
 * SCALE_STATEMENTS=1: statements per operation, most frequent first (PostgreSQL, from pg_stat_statements), or on the
 * embedded database the database thread's CPU per statement text during the burst, most CPU first.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { startHeadend } from '../src/runtime/headend.ts';
import { platformOptionsFromEnv } from '../src/cli/commands/serve.ts';
import { logFileDestination, setRootLogDestination } from '../src/observability/logger.ts';
import { TEST_KEYS, TEST_GMETER } from '../src/simulator/meter.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const N = Number(arg('n', '100'));
const RTT = Number(arg('rtt', '500'));
const ENGINE = arg('engine', process.env.TEST_DATABASE_URL ? 'both' : 'pglite');
const SUBMITTERS = Number(arg('submitters', '32'));
const WORKERS = Number(arg('workers', '0'));
const WARMUP = Number(arg('warmup', '0'));
const BURSTS = Math.max(1, Number(arg('bursts', '1')));
const ORG = 'scale-operator';
const root = join(import.meta.dirname, '..');
const cli = join(root, 'bin', 'meterfabric.mjs');

/** utime + stime in ms of a process (and its reaped children when `children`), from /proc. */
function procCpuMs(pid: number, children = false): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // fields after the comm: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14)
    const ticks = Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0);
    return ticks * 10; // USER_HZ 100
  } catch {
    return 0;
  }
}

/** CPU ms of the PostgreSQL server: the postmaster, its live processes and those that ended. */
function postgresCpuMs(postmaster: number): number {
  let total = procCpuMs(postmaster, true);
  for (const d of spawnSync('ps', ['-o', 'pid=', '--ppid', String(postmaster)], { encoding: 'utf8' }).stdout.split('\n')) {
    if (d.trim()) total += procCpuMs(Number(d.trim()));
  }
  return total;
}

/** CPU ms per thread name of this process (/proc/self/task), e.g. V8's helper threads apart from libuv's pool. */
function threadCpuByName(): Map<string, number> {
  const byName = new Map<string, number>();
  for (const t of readdirSync('/proc/self/task')) {
    try {
      const name = readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim();
      const f = readFileSync(`/proc/self/task/${t}/stat`, 'utf8').split(') ')[1]!.split(' ');
      byName.set(name, (byName.get(name) ?? 0) + (Number(f[11]) + Number(f[12])) * 10);
    } catch {
      // the thread ended meanwhile
    }
  }
  return byName;
}

/** CPU ms of the calling thread (Linux: ns on the CPU in /proc/thread-self/schedstat). */
function threadCpuMs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return NaN;
  }
}

/** The embedded database's own thread, when it runs in one (src/platform/db/pglite-thread.ts). */
type DbThread = {
  threadStats(): Promise<{ cpuMs: number | null }>;
  startProfile(): Promise<void>;
  stopProfile(): Promise<object>;
  startStatementStats(): Promise<void>;
  takeStatementStats(): Promise<{ text: string; calls: number; cpuMs: number }[]>;
};
const dbThread = (db: unknown): DbThread | undefined => (typeof (db as Partial<DbThread>).threadStats === 'function' ? (db as DbThread) : undefined);

function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** Runs the CLI (asynchronously: the head-end it talks to runs in this process). */
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

async function startFleet(n: number): Promise<{ child: ChildProcess; ports: number[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '_scale-fleet.ts'), '--n', String(n), '--rtt', String(RTT)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
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

/** A `meterfabric worker` process run from the sources; resolves once it says it is running. */
async function startWorker(dataDir: string, databaseUrl: string, logFile: string): Promise<ChildProcess> {
  const mainTs = join(root, 'src', 'cli', 'main.ts');
  const script = `const m = await import(${JSON.stringify(mainTs)}); await m.main(['node', 'meterfabric', ...process.argv.slice(1)]);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, 'worker', '--data', dataDir, '--log-file', logFile], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('meterfabric worker running')) resolve();
    });
  });
  child.removeAllListeners('exit');
  return child;
}

const gw = (i: number) => `E${String(9_000_000_000_000_000 + i).padStart(16, '0')}`;
const gm = (i: number) => `G${String(9_000_000_000_000_000 + i).padStart(16, '0')}`;

/** Gateways and G-meters as `device import` reads them, and their keys as a `key import` shipment. */
function provisioningFiles(dir: string, ports: number[]): { devices: string; keys: string } {
  const devices = ['deviceIdentification,deviceType,protocolName,protocolVersion,host,port,transport,hls5Active,withListMax,mbusIdentificationNumber,mbusManufacturerIdentification,mbusVersion,mbusDeviceTypeIdentification,gatewayDeviceIdentification,channel,ownerOrganisationIdentification'];
  const keys = ['device_identification,secret_type,key,status'];
  ports.forEach((port, i) => {
    devices.push(`${gw(i)},SMART_METER_E,SMR,5.0.0,127.0.0.1,${port},WRAPPER,true,32,,,,,,,${ORG}`);
    devices.push(`${gm(i)},SMART_METER_G,,,,,,,,${20_000_000 + i},${TEST_GMETER.manufacturer},${TEST_GMETER.version},${TEST_GMETER.deviceType},${gw(i)},1,${ORG}`);
    keys.push(`${gw(i)},E_METER_AUTHENTICATION_KEY,${TEST_KEYS.ak},ACTIVE`);
    keys.push(`${gw(i)},E_METER_ENCRYPTION_KEY_UNICAST,${TEST_KEYS.ek},ACTIVE`);
    keys.push(`${gw(i)},E_METER_MASTER_KEY,${TEST_KEYS.mk},ACTIVE`);
    keys.push(`${gm(i)},G_METER_MASTER_KEY,${TEST_KEYS.gMeterDefaultKey},ACTIVE`);
  });
  const d = join(dir, 'devices.csv');
  const k = join(dir, 'keys.csv');
  writeFileSync(d, devices.join('\n') + '\n');
  writeFileSync(k, keys.join('\n') + '\n', { mode: 0o600 });
  return { devices: d, keys: k };
}

/** What the client process answers to one run (bench/_scale-client.ts). */
interface ClientRun {
  wallMs: number; submittedMs: number; submitLatencyMs: { p50: number; p90: number; max: number }; results: Record<string, number>; notified: number; fetches: number; correlationUids: string[]; cpuMs: number;
  /** ms after the first submit when the last notification came; the slowest result fetch, ms. */
  lastNotifiedMs: number; slowestFetchMs: number;
}

/** The operator's REST client in its own process; `run` submits one request per gateway and resolves once every result was fetched. */
async function startClient(url: string, token: string): Promise<{ child: ChildProcess; webhook: string; run(gateways: string[]): Promise<ClientRun> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '_scale-client.ts'), '--url', url, '--token', token, '--org', ORG, '--submitters', String(SUBMITTERS)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const waiting: Array<(line: string) => void> = [];
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    for (let i = out.indexOf('\n'); i >= 0; i = out.indexOf('\n')) {
      const line = out.slice(0, i);
      out = out.slice(i + 1);
      waiting.shift()?.(line);
    }
  });
  const nextLine = () => new Promise<string>((resolve, reject) => {
    waiting.push(resolve);
    child.once('exit', (code) => reject(new Error(`client exited with ${code}`)));
  });
  const webhook = (JSON.parse(await nextLine()) as { webhook: string }).webhook;
  return {
    child,
    webhook,
    async run(gateways) {
      const answer = nextLine();
      child.stdin!.write(JSON.stringify({ run: gateways }) + '\n');
      return JSON.parse(await answer) as ClientRun;
    },
  };
}

/** Current RSS of this process in MB, and the highest seen by the burst's samples. */
const rssMb = () => process.memoryUsage.rss() / 1024 / 1024;
let burstPeakRss = 0;

/**
 * With SCALE_CPU_PROFILE=<folder>, a V8 CPU profile of this process during the burst only (provisioning and the
 * single request left out) is written there as <engine>-n<N>.cpuprofile (bench/cpuprofile-top.ts summarises it).
 * SCALE_CPU_INTERVAL=<µs> sets its sampling interval (default 200; the sampling itself costs CPU, less at 500–1000).
 * With SCALE_HEAP_PROFILE=<folder>, a sampling heap profile of the burst (what allocated, by call stack: the young
 * generation's collections are paid per byte allocated) is written there as <engine>-n<N>.heapprofile.
 */
async function startProfile(thread?: DbThread): Promise<{ stop(name: string): Promise<void> } | undefined> {
  const cpuOut = process.env.SCALE_CPU_PROFILE;
  const heapOut = process.env.SCALE_HEAP_PROFILE;
  if (!cpuOut && !heapOut) return undefined;
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  if (cpuOut) {
    await thread?.startProfile();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: Number(process.env.SCALE_CPU_INTERVAL ?? 200) });
    await session.post('Profiler.start');
  }
  if (heapOut) {
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  }
  return {
    async stop(name: string) {
      if (cpuOut) {
        const { profile } = await session.post('Profiler.stop');
        mkdirSync(cpuOut, { recursive: true });
        writeFileSync(join(cpuOut, `${name}.cpuprofile`), JSON.stringify(profile));
        // the database thread's own profile, next to it
        if (thread) writeFileSync(join(cpuOut, `${name}-db-thread.cpuprofile`), JSON.stringify(await thread.stopProfile()));
      }
      if (heapOut) {
        const { profile } = await session.post('HeapProfiler.stopSampling');
        mkdirSync(heapOut, { recursive: true });
        writeFileSync(join(heapOut, `${name}.heapprofile`), JSON.stringify(profile));
      }
      session.disconnect();
    },
  };
}

/**
 * Committed transactions (pg_stat_database) and, when the server loads pg_stat_statements (with the extension created
 * in its `postgres` database), statements executed in the bench's database, leaving out the bench's own
 * progress queries.
 */
/**
 * The counts once the head-end's backends have reported theirs: a backend that is busy or just went idle holds its
 * commit counts back for up to 10 s (PostgreSQL 15's statistics), so read until two reads a second apart differ by
 * no more than the head-end's idle polling.
 */
async function settledStatementCounts(databaseUrl: string): Promise<Awaited<ReturnType<typeof statementCounts>>> {
  let last = await statementCounts(databaseUrl);
  for (let i = 0; i < 12; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = await statementCounts(databaseUrl);
    if (now.commits - last.commits < 10 && (now.statements ?? 0) - (last.statements ?? 0) < 10) return now;
    last = now;
  }
  return last;
}

async function statementCounts(databaseUrl: string): Promise<{ commits: number; statements?: number; byQuery?: Map<string, { calls: number; query: string }> }> {
  const pg = (await import('pg')).default;
  const u = new URL(databaseUrl);
  const name = u.pathname.slice(1);
  u.pathname = '/postgres';
  const c = new pg.Client({ connectionString: u.toString() });
  await c.connect();
  try {
    await c.query('SELECT pg_stat_clear_snapshot()');
    // The statistics collector reports with a delay; force this backend's view to be fresh.
    await c.query("SELECT pg_stat_force_next_flush()").catch(() => undefined);
    const commits = Number((await c.query<{ n: string }>('SELECT xact_commit AS n FROM pg_stat_database WHERE datname = $1', [name])).rows[0]?.n ?? 0);
    let statements: number | undefined;
    try {
      statements = Number((await c.query<{ n: string }>(
        `SELECT coalesce(sum(calls), 0) AS n FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
          WHERE d.datname = $1`, [name])).rows[0]!.n);
    } catch {
      statements = undefined;
    }
    let byQuery: Map<string, { calls: number; query: string }> | undefined;
    if (statements !== undefined && process.env.SCALE_STATEMENTS) {
      const rows = (await c.query<{ id: string; calls: string; query: string }>(
        `SELECT s.queryid::text AS id, s.calls::text AS calls, s.query FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = $1`, [name])).rows;
      byQuery = new Map(rows.map((r) => [r.id, { calls: Number(r.calls), query: r.query }]));
    }
    return { commits, statements, byQuery };
  } finally {
    await c.end();
  }
}

async function run(engine: 'pglite' | 'postgres'): Promise<void> {
  const engineLine = (s: string) => console.log(`${engine} N=${N} rtt=${RTT}ms: ${s}`);
  const line = engineLine;
  const dir = mkdtempSync(join(tmpdir(), 'mf-scale-'));
  let databaseUrl: string | undefined;
  let postmaster = 0;
  if (engine === 'postgres') {
    const base = process.env.TEST_DATABASE_URL!;
    const name = `scale_${Date.now()}`;
    const pg = (await import('pg')).default;
    const c = new pg.Client({ connectionString: base });
    await c.connect();
    await c.query(`CREATE DATABASE ${name}`);
    const pid = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    postmaster = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
    await c.end();
    const u = new URL(base);
    u.pathname = `/${name}`;
    databaseUrl = u.toString();
  }
  setRootLogDestination(logFileDestination(join(dir, 'meterfabric.log')));
  // Gateways: burst b uses b*N … b*N+N-1, then the single request's, then the warm-up's.
  const gateways = N * BURSTS + 1 + WARMUP;
  const fleet = await startFleet(gateways);
  line(`${gateways} simulated gateways listening`);
  const options = platformOptionsFromEnv();
  const workers = engine === 'postgres' ? WORKERS : 0;
  const h = await startHeadend({ dataDir: join(dir, 'data'), databaseUrl, http: { host: '127.0.0.1', port: 0 }, push: false, platform: options, workers: workers === 0 });
  const workerProcesses: ChildProcess[] = [];
  let client: Awaited<ReturnType<typeof startClient>> | undefined;
  try {
    for (let w = 0; w < workers; w++) workerProcesses.push(await startWorker(join(dir, 'data'), databaseUrl!, join(dir, `worker-${w}.log`)));
    if (workers) line(`${workers} meterfabric worker processes; this process serves the API only`);
    const env = { METERFABRIC_URL: h.url!, METERFABRIC_TOKEN: readFileSync(h.adminTokenPath!, 'utf8').trim() };
    line(`head-end on ${h.url} (${h.where})`);
    await meterfabric(['org', 'add', ORG], env);
    const token = (await meterfabric(['org', 'token', ORG], env)).split('\n').pop()!;
    // The client's webhook is the organisation's notification target for REST requests (it joins its allowlist).
    client = await startClient(h.url!, token);
    await meterfabric(['org', 'set', ORG, '--webhook-url', client.webhook], env);
    const files = provisioningFiles(dir, fleet.ports);
    await meterfabric(['device', 'import', files.devices], env);
    await meterfabric(['key', 'import', files.keys], env);
    line(`provisioned ${gateways} gateways and G-meters through the CLI; throttle ${JSON.stringify(options.throttle ?? {})} (unset = defaults)`);

    if (WARMUP > 0) {
      const warm = await client.run(Array.from({ length: WARMUP }, (_, i) => gw(N * BURSTS + 1 + i)));
      line(`warm-up: ${WARMUP} requests on other gateways first (${JSON.stringify(warm.results)}, ${(warm.wallMs / 1000).toFixed(2)} s); the figures below leave them out`);
    }
    // The single-request time: one gateway alone.
    const single = (await client.run([gw(N * BURSTS)])).wallMs;
    const spreads: Array<{ ratio: number; nodeMs: number; pgMs: number; submittedMs: number; clientMs: number }> = [];

    for (let b = 0; b < BURSTS; b++) {
      const line = BURSTS > 1 ? (text: string) => engineLine(`burst ${b + 1}/${BURSTS}: ${text}`) : engineLine;
      if (b > 0) await new Promise((resolve) => setTimeout(resolve, 2000)); // the previous burst's stragglers (notifications, releases) settle

      const rssBefore = rssMb();
      burstPeakRss = rssBefore;
      const thread = dbThread(h.db);
      const profiler = await startProfile(thread);
      const stmt0 = postmaster ? await settledStatementCounts(databaseUrl!) : undefined;
      // The other processes' counters first: reading PostgreSQL's forks a `ps`, which is the bench's CPU, not the
      // head-end's.
      const workerCpu0 = workerProcesses.map((c) => procCpuMs(c.pid!));
      const pg0 = postmaster ? postgresCpuMs(postmaster) : 0;
      const fleet0 = procCpuMs(fleet.child.pid!);
      const threads0 = threadCpuByName();
      // SCALE_STATEMENTS=1 on the embedded database: the database thread's CPU per statement text during the burst.
      if (thread && process.env.SCALE_STATEMENTS) await thread.startStatementStats();
      const dbThread0 = (await thread?.threadStats())?.cpuMs ?? NaN;
      const cpu0 = process.cpuUsage();
      const main0 = threadCpuMs();
      // How long the head-end's event loop kept timers and sockets waiting during the burst.
      const loopDelay = monitorEventLoopDelay({ resolution: 10 });
      loopDelay.enable();
      const burstStart = new Date();
      const sampler = setInterval(() => (burstPeakRss = Math.max(burstPeakRss, rssMb())), 100);
      // The client submits with SUBMITTERS requests open at a time, as an operator's client would, and fetches each
      // result once its notification arrived.
      const burst = await client.run(Array.from({ length: N }, (_, i) => gw(b * N + i)));
      clearInterval(sampler);
      const wall = burst.wallMs;
      const uids = burst.correlationUids;
      const cpu = process.cpuUsage(cpu0);
      const mainMs = threadCpuMs() - main0;
      const dbThreadMs = thread ? ((await thread.threadStats()).cpuMs ?? NaN) - dbThread0 : NaN;
      const statementCpu = thread && process.env.SCALE_STATEMENTS ? await thread.takeStatementStats() : undefined;
      const workerCpu = workerProcesses.map((c, w) => procCpuMs(c.pid!) - workerCpu0[w]!);
      const pgMs = postmaster ? postgresCpuMs(postmaster) - pg0 : 0;
      const fleetMs = procCpuMs(fleet.child.pid!) - fleet0;
      loopDelay.disable();
      const threadsMs = [...threadCpuByName()].map(([name, ms]) => [name, ms - (threads0.get(name) ?? 0)] as const).filter(([, ms]) => ms > 0);
      await profiler?.stop(`${engine}-n${N}${BURSTS > 1 ? `-b${b + 1}` : ''}`);
      const stmt1 = stmt0 ? await settledStatementCounts(databaseUrl!) : undefined;
      const results = await h.db.query<{ result: string; n: number }>(
        'SELECT result, count(*)::int AS n FROM request WHERE correlation_uid = ANY($1::text[]) GROUP BY result', [uids],
      );
      const perSecond = options.throttle?.newPerSecond ?? 30;
      const maxOpen = options.throttle?.maxOpen ?? 1000;
      const throttleBound = (N / perSecond) * 1000 + single + (N > maxOpen ? Math.ceil(N / maxOpen - 1) * single : 0);
      const nodeMs = (cpu.user + cpu.system) / 1000;
      line(`results ${results.rows.map((r) => `${r.result} ${r.n}`).join(', ')}; as fetched by the client: ${JSON.stringify(burst.results)}`);
      line(`client process (not platform CPU): ${(burst.cpuMs / N).toFixed(2)} ms CPU per op; per op ${(burst.notified / N).toFixed(2)} notifications received,`
        + ` ${(burst.fetches / N).toFixed(2)} result fetches; all ${N} submitted after ${(burst.submittedMs / 1000).toFixed(2)} s`
        + ` by ${SUBMITTERS} submitters, each POST answered after p50 ${burst.submitLatencyMs.p50.toFixed(0)} ms, p90 ${burst.submitLatencyMs.p90.toFixed(0)} ms, max ${burst.submitLatencyMs.max.toFixed(0)} ms`);
      // The machine's whole budget: what the simulated meters cost beside the platform and the client.
      line(`simulator process (not platform CPU): ${(fleetMs / N).toFixed(2)} ms CPU per op`);
      // Where the time went: when the requests finished (seconds after the first submit) and how many ran more than once.
      const spread = await h.db.query<{ p50: number; p90: number; p100: number; again: number; audits: number }>(
        `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY e) AS p50, percentile_cont(0.9) WITHIN GROUP (ORDER BY e) AS p90, max(e) AS p100,
                count(*) FILTER (WHERE attempts > 1 OR retries > 0)::int AS again, 0 AS audits
           FROM (SELECT extract(epoch FROM completed_at - min(created_at) OVER ()) AS e, attempts, retries FROM request WHERE correlation_uid = ANY($1::text[])) t`,
        [uids],
      );
      const sp = spread.rows[0]!;
      line(`finished after p50 ${Number(sp.p50).toFixed(1)} s, p90 ${Number(sp.p90).toFixed(1)} s, last ${Number(sp.p100).toFixed(1)} s; ran more than once: ${sp.again}`
        + `; the client got the last notification after ${(burst.lastNotifiedMs / 1000).toFixed(2)} s, its slowest result fetch took ${burst.slowestFetchMs.toFixed(0)} ms`);
      line(
        `wall ${(wall / 1000).toFixed(2)} s | single request ${(single / 1000).toFixed(2)} s | wall/link bound ${(wall / single).toFixed(2)}`
        + ` | throttle bound ${(throttleBound / 1000).toFixed(2)} s, wall/throttle bound ${(wall / throttleBound).toFixed(2)}`
        + ` | CPU per op: Node ${(nodeMs / N).toFixed(2)} ms${engine === 'pglite' ? ' (PGlite included, all threads)' : ''}`
        + `${engine === 'postgres' ? `, PostgreSQL ${(pgMs / N).toFixed(2)} ms` : ''} | peak RSS ${peakRssMb().toFixed(0)} MB`,
      );
      // Node's process CPU above counts every thread; split it: the thread running sessions and HTTP, the embedded
      // database's thread (when PGlite runs in one), and the rest (garbage collection, compiler and I/O helper threads).
      line(`burst ${burstStart.toISOString()} – ${new Date().toISOString()}; event-loop delay p50 ${(loopDelay.percentile(50) / 1e6).toFixed(0)} ms,`
        + ` p99 ${(loopDelay.percentile(99) / 1e6).toFixed(0)} ms, max ${(loopDelay.max / 1e6).toFixed(0)} ms`);
      line(`CPU per op by thread: main ${(mainMs / N).toFixed(2)} ms`
        + (thread ? `, database thread ${(dbThreadMs / N).toFixed(2)} ms` : engine === 'pglite' ? ' (PGlite on the main thread)' : '')
        + `, other threads ${((nodeMs - mainMs - (thread ? dbThreadMs : 0)) / N).toFixed(2)} ms`
        + ` (by name, main included: ${threadsMs.sort((a, b) => b[1] - a[1]).map(([name, ms]) => `${name} ${(ms / N).toFixed(2)}`).join(', ')})`);
      if (workers) {
        const total = workerCpu.reduce((a, b) => a + b, 0);
        line(`workers ${workers}: throughput ${(N / (wall / 1000)).toFixed(1)} ops/s | CPU per op, all workers ${(total / N).toFixed(2)} ms`
          + ` | per process (ms of CPU in the burst): ${workerCpu.map((c) => c.toFixed(0)).join(', ')} | API process ${(nodeMs / N).toFixed(2)} ms/op`);
      }
      if (stmt0 && stmt1) {
        line(`per op: ${((stmt1.commits - stmt0.commits) / N).toFixed(1)} commits`
          + (stmt1.statements === undefined ? ' (statements: the server has no pg_stat_statements)' : `, ${((stmt1.statements - stmt0.statements!) / N).toFixed(1)} statements`)
          + ' (the bench makes no queries during the burst)');
        // SCALE_STATEMENTS=1: which statements, per operation, most frequent first.
        if (stmt0.byQuery && stmt1.byQuery) {
          const rows = [...stmt1.byQuery].map(([id, v]) => ({ calls: v.calls - (stmt0.byQuery!.get(id)?.calls ?? 0), query: v.query }))
            .filter((r) => r.calls > 0).sort((a, b) => b.calls - a.calls);
          for (const r of rows) line(`  ${(r.calls / N).toFixed(2)}/op  ${r.query.replace(/\s+/g, ' ').slice(0, 150)}`);
        }
      }
      if (statementCpu) {
        const calls = statementCpu.reduce((a, r) => a + r.calls, 0);
        const ms = statementCpu.reduce((a, r) => a + r.cpuMs, 0);
        line(`database thread, per op: ${(calls / N).toFixed(2)} statements, ${(ms / N).toFixed(2)} ms of its CPU inside them; by statement, most CPU first:`);
        for (const r of statementCpu.slice(0, 15)) {
          line(`  ${(r.cpuMs / N).toFixed(3)} ms/op  ${(r.calls / N).toFixed(2)}/op  ${r.text.replace(/\s+/g, ' ').slice(0, 130)}`);
        }
      }
      // Memory per session: RSS growth during the burst over the sessions in flight at most (N, or the throttle's maxOpen).
      line(`RSS before the burst ${rssBefore.toFixed(0)} MB, highest during it ${burstPeakRss.toFixed(0)} MB: ≈ ${(((burstPeakRss - rssBefore) * 1024) / Math.min(N, maxOpen)).toFixed(0)} kB per session in flight`);
      spreads.push({ ratio: wall / single, nodeMs: nodeMs / N, pgMs: pgMs / N, submittedMs: burst.submittedMs, clientMs: burst.cpuMs / N });
    }
    if (BURSTS > 1) {
      const spread = (values: number[], digits: number) => {
        const v = [...values].sort((x, y) => x - y);
        const median = v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
        return `${v[0]!.toFixed(digits)} / ${median.toFixed(digits)} / ${v[v.length - 1]!.toFixed(digits)}`;
      };
      line(`${BURSTS} bursts, lowest / median / highest: wall/link bound ${spread(spreads.map((x) => x.ratio), 2)}`
        + ` (≤ 1.25 in ${spreads.filter((x) => x.ratio <= 1.25).length} of ${BURSTS})`
        + ` | all submitted after ${spread(spreads.map((x) => x.submittedMs / 1000), 2)} s`
        + ` | CPU per op: Node ${spread(spreads.map((x) => x.nodeMs), 2)} ms${engine === 'postgres' ? `, PostgreSQL ${spread(spreads.map((x) => x.pgMs), 2)} ms` : ''}`
        // The client does the same work in every burst: its CPU per op shows how fast the machine was at the time.
        + ` | the client's ${spread(spreads.map((x) => x.clientMs), 2)} ms`);
    }
  } finally {
    await Promise.all(workerProcesses.map((c) => new Promise((resolve) => {
      c.once('exit', resolve);
      c.kill('SIGTERM');
    })));
    client?.child.kill('SIGTERM');
    await h.stop();
    fleet.child.kill('SIGTERM');
    // SCALE_LOG=<file>: keep the head-end's log of the run there.
    if (process.env.SCALE_LOG) copyFileSync(join(dir, 'meterfabric.log'), process.env.SCALE_LOG);
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const engine of ENGINE === 'both' ? (['pglite', 'postgres'] as const) : [ENGINE as 'pglite' | 'postgres']) await run(engine);
process.exit(0);
