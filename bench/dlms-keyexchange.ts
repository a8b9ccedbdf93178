/**
 * Complete M-Bus key-exchange sequences per second, client <-> simulator on loopback TCP (issue 2): TCP connect
 * (+ SNRM/UA for HDLC), AARQ/AARE with HLS5-GMAC, HLS pass 3/4, get-with-list of attributes 5..9, transfer_key,
 * set_encryption_key, status read (must be 4), RLRQ/RLRE (+ DISC/UA for HDLC), close.
 *
 *   node --import tsx bench/dlms-keyexchange.ts [seconds per run, default 5] [concurrent sessions, default 32] [filter]
 *   npm run bench -- dlms
 *
 * `filter` keeps only the runs whose label contains it, e.g. "one process", "separate wrapper" or "floor".
 *
 * Two set-ups per framing/profile:
 *   one process  client and simulator in this process: one core does both sides;
 *   separate     the simulator in a child process: this process (the client's core) does only the client.
 * CPU microseconds per sequence are user + system time of the process named, including the kernel's loopback TCP
 * work. The target of 2,000 sequences/s on one core means at most 500 µs of CPU per sequence on that core; the
 * summary says which set-up meets it.
 *
 * The "TCP floor" lines run the same socket pattern with no DLMS at all (connect, 7 request/response round trips
 * of 64 bytes, close; the server echoes): what Node and the kernel cost before any protocol work. CPU time on a
 * shared or virtualised machine also varies with load; the reference-loop line before and after shows how much.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { echoServers } from './_echo-servers.ts';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { DlmsSession } from '../src/session/client.ts';
import { MemoryInvocationCounterStore } from '../src/session/invocation-counter.ts';
import { MbusGateway } from '../src/session/mbus.ts';
import { Fleet } from '../src/simulator/simulator.ts';
import { TEST_KEYS } from '../src/simulator/meter.ts';
import { buildDsmr4TransferKey, buildSmr5TransferKey } from '../src/dlms/security/index.ts';
import type { FramingKind } from '../src/transport/transport.ts';

const seconds = Number(process.argv[2] ?? 5);
const concurrency = Number(process.argv[3] ?? 32);
const filter = process.argv[4];
const TARGET_PER_SECOND = 2000;
const BUDGET_US = 1e6 / TARGET_PER_SECOND;
const FLOOR_ROUND_TRIPS = 7;
const hex = (s: string) => Buffer.from(s, 'hex');

interface Servers {
  ports: number[];
  /** Checks the G-meter's key where the simulator is in-process. */
  holds(i: number, key: Buffer): boolean;
  mark(): Promise<void>;
  /** CPU of the server process since mark(); undefined when it is this process. */
  cpuUs(): Promise<number | undefined>;
  close(): Promise<void>;
}

async function inProcessFleet(framing: FramingKind, profile: 'smr5' | 'dsmr4'): Promise<Servers> {
  const fleet = await Fleet.start({ basePort: 0, count: concurrency, framing, profile });
  return {
    ports: fleet.meters.map((m) => m.port),
    holds: (i, key) => fleet.meters[i]!.gMeterKey(1)?.equals(key) === true,
    mark: async () => {},
    cpuUs: async () => undefined,
    close: () => fleet.close(),
  };
}

async function inProcessEcho(): Promise<Servers> {
  const echo = await echoServers(concurrency);
  return { ports: echo.ports, holds: () => true, mark: async () => {}, cpuUs: async () => undefined, close: () => echo.close() };
}

async function childProcess(kind: FramingKind | 'echo', profile: 'smr5' | 'dsmr4'): Promise<Servers> {
  const child = spawn(process.execPath, ['--import', 'tsx', `${import.meta.dirname}/_dlms-simulator.ts`, String(concurrency), kind, profile], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => JSON.parse(String((await lines.next()).value)) as Record<string, unknown>;
  const { ports } = (await next()) as { ports: number[] };
  return {
    ports,
    holds: () => true, // status 4 already proves the simulator's G-meter took the key that was set
    mark: async () => {
      child.stdin!.write('mark\n');
      await next();
    },
    cpuUs: async () => {
      child.stdin!.write('cpu\n');
      return (await next()).cpuUs as number;
    },
    close: async () => {
      child.stdin!.end('stop\n');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** One sequence against server i; throws when it does not complete as expected. */
type Sequence = (i: number, n: number) => Promise<void>;

function keyExchange(framing: FramingKind, profile: 'smr5' | 'dsmr4', servers: Servers): Sequence {
  const store = new MemoryInvocationCounterStore();
  const defaultKey = hex(TEST_KEYS.gMeterDefaultKey);
  let kcc = 1;
  return async (i, n) => {
    const newKey = Buffer.alloc(16, (n + i) & 0xff);
    // Keys are prepared before the association is opened (DLMS-NOTES §14).
    const blob = profile === 'dsmr4'
      ? buildDsmr4TransferKey(defaultKey, newKey)
      : buildSmr5TransferKey({ defaultKey, newKey, keyId: 0, kcc: kcc++, identificationNumber: '12056731', manufacturerId: 0x198f });
    const s = await DlmsSession.openManagement({
      host: '127.0.0.1',
      port: servers.ports[i]!,
      framing,
      deviceId: `E${i}`,
      clientSystemTitle: hex('2020200000000001'),
      ek: hex(TEST_KEYS.ek),
      ak: hex(TEST_KEYS.ak),
      invocationCounters: store,
      responseTimeoutMs: 5000,
    });
    const gw = new MbusGateway(s, profile === 'smr5' ? 1 : 0);
    await gw.readChannel(1);
    await gw.transferKey(1, blob);
    await gw.setEncryptionKey(1, newKey);
    const status = await gw.readEncryptionKeyStatus(1);
    await gw.release();
    if (status !== 4 || !servers.holds(i, newKey)) throw new Error(`status ${status}`);
  };
}

/** The socket pattern of a sequence without DLMS: connect, round trips of 64 bytes through an echo server, close. */
function tcpFloor(servers: Servers): Sequence {
  const message = Buffer.alloc(64, 0x5a);
  return (i) =>
    new Promise<void>((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port: servers.ports[i]! });
      socket.setNoDelay(true);
      let trips = 0;
      let got = 0;
      socket.on('error', reject);
      socket.on('connect', () => socket.write(message));
      socket.on('data', (b: Buffer) => {
        got += b.length;
        if (got < message.length) return;
        got = 0;
        if (++trips < FLOOR_ROUND_TRIPS) socket.write(message);
        else socket.end();
      });
      socket.on('close', () => (trips === FLOOR_ROUND_TRIPS ? resolve() : reject(new Error('closed early'))));
    });
}

interface Result {
  label: string;
  split: boolean;
  floor: boolean;
  perSecond: number;
  /** CPU per sequence of this process (client+simulator in one process, client alone when split). */
  ownUs: number;
  serverUs: number | undefined;
}

let firstRun = true;

async function run(label: string, split: boolean, floor: boolean, servers: Servers, sequence: Sequence): Promise<Result> {
  let done = 0;
  let failures = 0;
  const worker = async (i: number, until: number) => {
    while (Date.now() < until) {
      try {
        await sequence(i, done);
        done++;
      } catch (e) {
        failures++;
        if (failures <= 3) console.error(`   failure: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  };
  // Warm-up: learn the invocation counters (public client reads) and let the JIT settle (longer on the first run).
  await Promise.all(servers.ports.map((_, i) => worker(i, Date.now() + (firstRun ? 2000 : 500))));
  firstRun = false;
  done = 0;
  failures = 0;
  await servers.mark();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await Promise.all(servers.ports.map((_, i) => worker(i, Date.now() + seconds * 1000)));
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const serverCpu = await servers.cpuUs();
  await servers.close();
  const n = Math.max(1, done);
  const r: Result = { label, split, floor, perSecond: done / elapsed, ownUs: (cpu.user + cpu.system) / n, serverUs: serverCpu === undefined ? undefined : serverCpu / n };
  const cpuText = split
    ? `client ${r.ownUs.toFixed(0).padStart(4)} µs + ${floor ? 'echo server' : 'simulator'} ${r.serverUs!.toFixed(0).padStart(4)} µs CPU/sequence`
    : `${floor ? 'client+echo server' : 'client+simulator'} ${r.ownUs.toFixed(0).padStart(4)} µs CPU/sequence`;
  console.log(`   ${label.padEnd(28)} ${r.perSecond.toFixed(0).padStart(6)} sequences/s  ${cpuText}  (${done} done, ${failures} failed, ${concurrency} concurrent, ${elapsed.toFixed(1)} s)`);
  return r;
}

/** CPU milliseconds of a fixed pure-JS loop: the same on a quiet machine every time; more when cores are shared. */
function referenceLoopMs(): number {
  const c0 = process.cpuUsage();
  let x = 0;
  for (let i = 0; i < 1e8; i++) x = (x + i * 7) | 0;
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 + (x === 0.5 ? 1 : 0);
}

const machine = () => `load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}, reference loop ${referenceLoopMs().toFixed(0)} ms CPU`;

console.log(`DLMS M-Bus key exchange, client <-> simulator on loopback TCP (Node ${process.version}; ${machine()})`);
const results: Result[] = [];
const wanted = (label: string) => !filter || label.includes(filter);
for (const split of [false, true]) {
  const setup = split ? 'separate' : 'one process';
  for (const framing of ['wrapper', 'hdlc'] as FramingKind[]) {
    for (const profile of ['smr5', 'dsmr4'] as const) {
      const label = `${setup} ${framing} ${profile}`;
      if (!wanted(label)) continue;
      const servers = split ? await childProcess(framing, profile) : await inProcessFleet(framing, profile);
      results.push(await run(label, split, false, servers, keyExchange(framing, profile, servers)));
    }
  }
  const floorLabel = `${setup} TCP floor`;
  if (wanted(floorLabel)) {
    const servers = split ? await childProcess('echo', 'smr5') : await inProcessEcho();
    results.push(await run(floorLabel, split, true, servers, tcpFloor(servers)));
  }
}

console.log(`\n   ${machine()}`);
console.log(`   Target: ${TARGET_PER_SECOND.toLocaleString('en')} sequences/s on one core = at most ${BUDGET_US} µs CPU per sequence on that core.`);
for (const split of [false, true]) {
  const runs = results.filter((r) => r.split === split && !r.floor);
  if (runs.length === 0) continue;
  const worst = Math.max(...runs.map((r) => r.ownUs));
  const best = Math.min(...runs.map((r) => r.ownUs));
  const floor = results.find((r) => r.split === split && r.floor);
  const who = split ? 'client alone (simulator in its own process)' : 'client and simulator sharing one core';
  const verdict = worst <= BUDGET_US ? 'MET by every run' : best <= BUDGET_US ? 'met by some runs only' : 'NOT met';
  console.log(
    `   ${split ? 'separate   ' : 'one process'}: ${who}: ${best.toFixed(0)}..${worst.toFixed(0)} µs/sequence = ${(1e6 / worst).toFixed(0)}..${(1e6 / best).toFixed(0)} sequences/s per core -> target ${verdict}` +
      (floor ? ` (TCP floor without DLMS: ${floor.ownUs.toFixed(0)} µs)` : ''),
  );
}
