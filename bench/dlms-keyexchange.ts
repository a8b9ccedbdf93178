/**
 * Complete M-Bus key-exchange sequences per second, client <-> simulator on loopback TCP: TCP connect (+ SNRM/UA
 * for HDLC), AARQ/AARE with HLS5-GMAC, HLS pass 3/4, get-with-list of attributes 5..9, transfer_key,
 * set_encryption_key, status read (must be 4), RLRQ/RLRE, close.
 *
 *   node --import tsx bench/dlms-keyexchange.ts [seconds per run, default 5] [concurrent sessions, default 32]
 *
 * Two set-ups per framing/profile: client and simulator in this one process (one core does both), and the
 * simulator in a child process (the client's core does only the client). CPU microseconds per sequence are
 * user + system time of the process(es) named, including the kernel's loopback TCP work.
 */
import { spawn } from 'node:child_process';
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
const hex = (s: string) => Buffer.from(s, 'hex');

interface Simulators {
  ports: number[];
  /** Checks the G-meter's key where the simulator is in-process. */
  holds(i: number, key: Buffer): boolean;
  mark(): Promise<void>;
  cpuUs(): Promise<number | undefined>;
  close(): Promise<void>;
}

async function inProcess(framing: FramingKind, profile: 'smr5' | 'dsmr4'): Promise<Simulators> {
  const fleet = await Fleet.start({ basePort: 0, count: concurrency, framing, profile });
  return {
    ports: fleet.meters.map((m) => m.port),
    holds: (i, key) => fleet.meters[i]!.gMeterKey(1)?.equals(key) === true,
    mark: async () => {},
    cpuUs: async () => undefined,
    close: () => fleet.close(),
  };
}

async function childProcess(framing: FramingKind, profile: 'smr5' | 'dsmr4'): Promise<Simulators> {
  const child = spawn(process.execPath, ['--import', 'tsx', `${import.meta.dirname}/_dlms-simulator.ts`, String(concurrency), framing, profile], { stdio: ['pipe', 'pipe', 'inherit'] });
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

let firstRun = true;

async function run(framing: FramingKind, profile: 'smr5' | 'dsmr4', split: boolean): Promise<void> {
  const sims = split ? await childProcess(framing, profile) : await inProcess(framing, profile);
  const store = new MemoryInvocationCounterStore();
  const defaultKey = hex(TEST_KEYS.gMeterDefaultKey);
  let done = 0;
  let failures = 0;
  let kcc = 1;
  const worker = async (i: number, until: number) => {
    const port = sims.ports[i]!;
    while (Date.now() < until) {
      const newKey = Buffer.alloc(16, (done + i) & 0xff);
      // Keys are prepared before the association is opened (DLMS-NOTES §14).
      const blob = profile === 'dsmr4'
        ? buildDsmr4TransferKey(defaultKey, newKey)
        : buildSmr5TransferKey({ defaultKey, newKey, keyId: 0, kcc: kcc++, identificationNumber: '12056731', manufacturerId: 0x198f });
      try {
        const s = await DlmsSession.openManagement({
          host: '127.0.0.1',
          port,
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
        if (status !== 4 || !sims.holds(i, newKey)) throw new Error(`status ${status}`);
        done++;
      } catch (e) {
        failures++;
        if (failures <= 3) console.error(`   failure: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  };
  // Warm-up: learn the invocation counters (public client reads) and let the JIT settle (longer on the first run).
  await Promise.all(sims.ports.map((_, i) => worker(i, Date.now() + (firstRun ? 2000 : 500))));
  firstRun = false;
  done = 0;
  failures = 0;
  await sims.mark();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await Promise.all(sims.ports.map((_, i) => worker(i, Date.now() + seconds * 1000)));
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const simCpu = await sims.cpuUs();
  await sims.close();
  const n = Math.max(1, done);
  const own = (cpu.user + cpu.system) / n;
  const cpuText = split
    ? `client ${own.toFixed(0).padStart(4)} µs + simulator ${((simCpu ?? 0) / n).toFixed(0).padStart(4)} µs CPU/sequence`
    : `client+simulator ${own.toFixed(0).padStart(4)} µs CPU/sequence`;
  console.log(
    `   ${(split ? 'separate' : 'one process').padEnd(11)} ${framing.padEnd(7)} ${profile.padEnd(5)} ${(done / elapsed).toFixed(0).padStart(6)} sequences/s  ${cpuText}  (${done} done, ${failures} failed, ${concurrency} concurrent, ${elapsed.toFixed(1)} s)`,
  );
}

console.log(`DLMS M-Bus key exchange, client <-> simulator on loopback, one process (Node ${process.version})`);
for (const split of [false, true]) {
  for (const framing of ['wrapper', 'hdlc'] as FramingKind[]) {
    for (const profile of ['smr5', 'dsmr4'] as const) await run(framing, profile, split);
  }
}
