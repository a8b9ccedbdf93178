/**
 * Randomised fault campaign for E-meter key changes (ReplaceKeys / GenerateAndReplaceKeys): real secret store on a
 * real database, real DLMS associations over loopback TCP to simulated SMR 5 (WRAPPER) and DSMR 4.2.2 (HDLC) meters.
 * Each run injects one fault at a random step — the line dropped when an APDU arrives, the line dropped after the
 * meter applied an APDU (response lost), the line dropped on every connection of the request, or the process's
 * work ended at a random key-store step (before or after that step committed) — and then "restarts" (new store,
 * link factory and ports on the same database) and sends the next request without faults. It checks after the
 * faulted request that the store still knows every key the meter may hold (ACTIVE, or NEW and marked sent), and
 * after the next request that every meter's keys equal the store's ACTIVE keys.
 * Used by test/adapters/emeter-key-faults.test.ts (fewer runs) and bench/emeter-key-faults.ts (≥ 500 runs).
 */
import { randomBytes } from 'node:crypto';
import { freshDb, type Engine } from './db.ts';
import type { Db } from '../../src/platform/db/db.ts';
import { addDevice, addOrganisation } from '../../src/platform/inventory.ts';
import { SecretStore } from '../../src/secrets/store.ts';
import { SoftwareKekProvider, type KekProvider } from '../../src/secrets/kek.ts';
import { SimulatedMeter } from '../../src/simulator/simulator.ts';
import { TEST_KEYS } from '../../src/simulator/meter.ts';
import { inventoryPort, linkFactory, secretPort } from '../../src/adapters/bindings.ts';
import { AK, EK, changeEMeterKeys, emeterKeyPort, type EMeterKeyStore, type KeyChange } from '../../src/adapters/emeter-keys.ts';
import { isMeterfabricError } from '../../src/errors.ts';
import type { FaultPlan } from '../../src/simulator/connection.ts';

export interface CampaignOptions {
  runs: number;
  seed?: number;
  engine?: Engine;
  /** Write one line per run. */
  log?: (line: string) => void;
}

export interface RunRecord {
  run: number;
  device: string;
  step: string;
  outcome: string;
  next: string;
}

export interface CampaignResult {
  runs: RunRecord[];
  /** step → outcome → count */
  table: Map<string, Map<string, number>>;
  keysLost: number;
  unfinished: number;
  ms: number;
}

/** A small seeded generator (mulberry32), so a failing run can be repeated with its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Crash extends Error {
  constructor(step: string) {
    super(`process ended at ${step}`);
  }
}

const MUTATIONS = ['getOrGeneratePending', 'storeNew', 'markSent', 'activate', 'withdraw'] as const;

/** The store as the key change sees it, ending the work at the n-th mutation (before or after it commits). */
function crashingStore(store: SecretStore, at: number, after: boolean, seen: string[]): EMeterKeyStore {
  let n = 0;
  const wrap = <K extends (typeof MUTATIONS)[number]>(name: K) =>
    (async (...args: unknown[]) => {
      n++;
      const here = n === at;
      if (here) seen.push(`${name}(${String(args[1]).replace('E_METER_', '').replace('_KEY', '').replace('_UNICAST', '')})`);
      if (here && !after) throw new Crash(name);
      const r = await (store[name] as (...a: unknown[]) => Promise<unknown>).apply(store, args);
      if (here && after) throw new Crash(name);
      return r;
    }) as SecretStore[K];
  return {
    getActive: store.getActive.bind(store),
    getNew: store.getNew.bind(store),
    list: store.list.bind(store),
    getOrGeneratePending: wrap('getOrGeneratePending'),
    storeNew: wrap('storeNew'),
    markSent: wrap('markSent'),
    activate: wrap('activate'),
    withdraw: wrap('withdraw'),
  };
}

interface Meter {
  id: string;
  sim: SimulatedMeter;
  protocol: string;
}

function ports(db: Db, store: SecretStore, keyStore: EMeterKeyStore = store) {
  return {
    links: linkFactory(db, store, undefined, { connectTimeoutMs: 1000, responseTimeoutMs: 1000 }),
    secrets: secretPort(store),
    inventory: inventoryPort(db),
    emeterKeys: emeterKeyPort(keyStore as SecretStore, async () => undefined, { attempts: 3, retryDelayMs: 2 }),
  };
}

/** Whether the store knows the key the meter holds for a type: it is the ACTIVE one or a NEW one marked sent. */
async function known(store: SecretStore, id: string, type: typeof AK, meterKey: Buffer): Promise<boolean> {
  if ((await store.getActive(id, type))?.key.equals(meterKey)) return true;
  const pending = await store.getNew(id, type);
  if (!pending?.key.equals(meterKey)) return false;
  return (await store.list(id)).some((m) => m.secretId === pending.secretId && m.sent);
}

export async function runCampaign(o: CampaignOptions): Promise<CampaignResult> {
  const started = performance.now();
  const random = rng(o.seed ?? 1);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const { db, dispose } = await freshDb(o.engine ?? 'pglite');
  const kek: KekProvider = SoftwareKekProvider.generate();
  let store = await SecretStore.open(db, kek);
  const meters: Meter[] = [];
  const result: CampaignResult = { runs: [], table: new Map(), keysLost: 0, unfinished: 0, ms: 0 };
  try {
    await addOrganisation(db, { identification: 'fault-org' });
    const layout = [
      { protocol: 'SMR 5.0.0', profile: 'smr5' as const, framing: 'wrapper' as const },
      { protocol: 'SMR 5.5', profile: 'smr5' as const, framing: 'hdlc' as const },
      { protocol: 'DSMR 4.2.2', profile: 'dsmr4' as const, framing: 'wrapper' as const },
      { protocol: 'DSMR 4.2.2', profile: 'dsmr4' as const, framing: 'hdlc' as const },
    ];
    for (const [i, l] of layout.entries()) {
      const id = `E00510040000009${String(i).padStart(2, '0')}`;
      const sim = await SimulatedMeter.start({ port: 0, profile: l.profile, framing: l.framing, systemTitle: `4B464D10200009${String(i).padStart(2, '0')}` });
      const [protocolName, protocolVersion] = l.protocol.split(' ');
      await addDevice(db, {
        deviceIdentification: id, deviceType: 'SMART_METER_E', protocolName, protocolVersion, host: '127.0.0.1', port: sim.port,
        transport: l.framing === 'hdlc' ? 'HDLC' : 'WRAPPER', hls5Active: true, ownerOrganisationIdentification: 'fault-org',
      });
      const ctx = { actor: 'test', reason: 'fixture' };
      await store.storeActive(id, AK, Buffer.from(TEST_KEYS.ak, 'hex'), ctx);
      await store.storeActive(id, EK, Buffer.from(TEST_KEYS.ek, 'hex'), ctx);
      await store.storeActive(id, 'E_METER_MASTER_KEY', Buffer.from(TEST_KEYS.mk, 'hex'), ctx);
      meters.push({ id, sim, protocol: l.protocol });
    }
    const count = (step: string, outcome: string) => {
      const row = result.table.get(step) ?? new Map<string, number>();
      row.set(outcome, (row.get(outcome) ?? 0) + 1);
      result.table.set(step, row);
    };
    const describe = (e: unknown) => (e instanceof Crash ? 'process ended' : isMeterfabricError(e) ? `NOT OK ${e.codeName}` : `NOT OK ${(e as Error).message}`);

    for (let run = 1; run <= o.runs; run++) {
      const m = meters[(run - 1) % meters.length]!;
      const change: KeyChange = random() < 0.5 ? { kind: 'generate' } : { kind: 'replace', ak: randomBytes(16), ek: randomBytes(16) };
      const kind = pick(['drop-on-arrival', 'drop-after-processing', 'drop-every-connection', 'process-ends-before-store-step', 'process-ends-after-store-step'] as const);
      // APDUs of a management association: 1 AARQ, 2 HLS pass 3, 3 AK transfer, 4 EK transfer, 5 RLRQ.
      const apdu = 1 + Math.floor(random() * 5);
      const storeStep = 1 + Math.floor(random() * 7);
      const seen: string[] = [];
      let keyStore: EMeterKeyStore = store;
      let served: Promise<void> | undefined;
      let step: string;
      if (kind === 'drop-on-arrival' || kind === 'drop-after-processing') {
        const plan: FaultPlan = kind === 'drop-on-arrival' ? { dropAfterApdus: apdu } : { dropAfterProcessing: apdu };
        served = m.sim.faultNextConnection(plan);
        step = `${kind} APDU ${apdu}`;
      } else if (kind === 'drop-every-connection') {
        m.sim.faults = { dropAfterProcessing: apdu };
        step = `${kind} APDU ${apdu}`;
      } else {
        keyStore = crashingStore(store, storeStep, kind === 'process-ends-after-store-step', seen);
        step = kind;
      }
      const t0 = performance.now();
      const req = { correlationUid: `fault-${run}`, organisationIdentification: 'fault-org', deviceIdentification: m.id, messageType: change.kind === 'generate' ? 'GENERATE_AND_REPLACE_KEYS' : 'REPLACE_KEYS' };
      let outcome: string;
      try {
        await changeEMeterKeys({ ...ports(db, store, keyStore) }, req, change);
        outcome = 'OK';
      } catch (e) {
        outcome = describe(e);
      }
      if (kind === 'process-ends-before-store-step' || kind === 'process-ends-after-store-step') step = `${kind} ${seen[0] ?? '(none reached)'}`;
      m.sim.faults = {};
      // A fault planned for a connection that never came (the run ended first) must not hit the next request.
      if (served) await Promise.race([served, new Promise((r) => setTimeout(r, 0))]);
      (m.sim as unknown as { nextConnectionPlans: unknown[] }).nextConnectionPlans.length = 0;
      // The store must know whatever the meter holds, whatever happened.
      for (const [type, key] of [[AK, m.sim.state.keys.ak], [EK, m.sim.state.keys.ek]] as const) {
        if (!(await known(store, m.id, type, key))) result.keysLost++;
      }
      // Restart: new store, link factory and ports on the same database; the next request, no faults.
      store = await SecretStore.open(db, kek);
      let next: string;
      try {
        await changeEMeterKeys(ports(db, store), { ...req, correlationUid: `next-${run}` }, { kind: 'generate' });
        next = 'OK';
      } catch (e) {
        next = describe(e);
        result.unfinished++;
      }
      const [ak, ek] = [await store.getActive(m.id, AK), await store.getActive(m.id, EK)];
      const equal = Boolean(ak?.key.equals(m.sim.state.keys.ak) && ek?.key.equals(m.sim.state.keys.ek));
      if (!equal) result.keysLost++;
      const rec = { run, device: `${m.protocol}`, step, outcome, next: `${next}${equal ? ', meter = ACTIVE' : ', KEYS DIFFER'}` };
      result.runs.push(rec);
      count(step.replace(/ APDU \d/, ''), `${outcome} → next ${rec.next}`);
      o.log?.(`${run} ${rec.device} ${step}: ${outcome}; next request ${rec.next} (${Math.round(performance.now() - t0)} ms)`);
    }
  } finally {
    await Promise.all(meters.map((m) => m.sim.close()));
    await dispose();
    result.ms = performance.now() - started;
  }
  return result;
}

/** The table as Markdown: step, count, outcomes. */
export function formatTable(r: CampaignResult): string {
  const lines = ['| fault (step) | runs | outcome of the faulted request → next request |', '|---|---|---|'];
  for (const [step, outcomes] of [...r.table.entries()].sort()) {
    const total = [...outcomes.values()].reduce((a, b) => a + b, 0);
    lines.push(`| ${step} | ${total} | ${[...outcomes.entries()].map(([k, v]) => `${v}× ${k}`).join('; ')} |`);
  }
  lines.push(`\n${r.runs.length} runs in ${(r.ms / 1000).toFixed(1)} s; keys lost: ${r.keysLost}; requests without a final result: ${r.unfinished}`);
  return lines.join('\n');
}
