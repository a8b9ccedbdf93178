/**
 * "Must show" of the E-meter key changes: a randomised fault campaign (test/support/emeter-key-faults.ts) — the line
 * dropped at a random APDU (before or after the meter applied it, or on every connection of the request) or the
 * work ended at a random key-store step, each followed by a restart and the next request — loses no key, and every
 * request reaches a final result. Here with 20 runs (about a minute); `node --import tsx bench/emeter-key-faults.ts 500` runs 500.
 * Then a worker process changing keys is killed with SIGKILL at random moments (PostgreSQL, as the platform's crash
 * test): after each kill the next request, in this process, ends OK with the meter's keys equal to the store's ACTIVE ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { requires } from '../support/servers.ts';
import { freshDb } from '../support/db.ts';
import { formatTable, rng, runCampaign } from '../support/emeter-key-faults.ts';
import { addDevice, addOrganisation } from '../../src/platform/inventory.ts';
import { SecretStore } from '../../src/secrets/store.ts';
import { SoftwareKekProvider } from '../../src/secrets/kek.ts';
import { SimulatedMeter } from '../../src/simulator/simulator.ts';
import { TEST_KEYS } from '../../src/simulator/meter.ts';
import { inventoryPort, linkFactory, secretPort } from '../../src/adapters/bindings.ts';
import { AK, EK, changeEMeterKeys, emeterKeyPort } from '../../src/adapters/emeter-keys.ts';

test('randomised faults during E-meter key changes: no key lost, every request final', async () => {
  const r = await runCampaign({ runs: 20, seed: Number(process.env.EMETER_KEY_FAULT_SEED ?? 3) });
  console.log(formatTable(r));
  assert.equal(r.runs.length, 20);
  assert.equal(r.keysLost, 0, formatTable(r));
  assert.equal(r.unfinished, 0, formatTable(r));
  // The campaign reached the windows that matter: a drop after the meter applied a key, and ends of the work after
  // a key was marked sent.
  const steps = [...r.table.keys()];
  assert.ok(steps.some((s) => s.startsWith('drop-after-processing')), steps.join(', '));
  assert.ok(steps.some((s) => s.includes('markSent') || s.includes('activate')), steps.join(', '));
});

const fixture = join(import.meta.dirname, 'fixtures', 'emeter-key-worker.ts');

function startWorker(env: Record<string, string>): { child: ChildProcess; ready: Promise<void>; done: () => number } {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], { env: { ...process.env, ...env, METERFABRIC_LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'inherit'] });
  let done = 0;
  const ready = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
    child.stdout!.on('data', (d: Buffer) => {
      const s = d.toString();
      done += s.split('done').length - 1;
      if (s.includes('ready')) {
        child.removeAllListeners('exit');
        resolve();
      }
    });
  });
  return { child, ready, done: () => done };
}

function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

test('a worker changing E-meter keys killed with SIGKILL at random moments: the next request recovers, no key lost', requires('postgres'), async (t) => {
  const { db, url, dispose } = await freshDb('postgres');
  const kekHex = randomBytes(32).toString('hex');
  const sims: SimulatedMeter[] = [];
  const children: ChildProcess[] = [];
  t.after(async () => {
    for (const c of children) await kill9(c);
    await Promise.all(sims.map((s) => s.close()));
    await dispose();
  });
  await addOrganisation(db, { identification: 'fault-org' });
  const ctx = { actor: 'test', reason: 'fixture' };
  let store = await SecretStore.open(db, SoftwareKekProvider.fromHex(kekHex), { cache: false });
  const devices = [
    { id: 'E0051004000000981', protocol: 'SMR 5.0.0', profile: 'smr5' as const, framing: 'wrapper' as const },
    { id: 'E0051004000000982', protocol: 'DSMR 4.2.2', profile: 'dsmr4' as const, framing: 'hdlc' as const },
  ];
  for (const d of devices) {
    const sim = await SimulatedMeter.start({ port: 0, profile: d.profile, framing: d.framing, faults: { latencyMs: 3 } });
    sims.push(sim);
    const [protocolName, protocolVersion] = d.protocol.split(' ');
    await addDevice(db, { deviceIdentification: d.id, deviceType: 'SMART_METER_E', protocolName, protocolVersion, host: '127.0.0.1', port: sim.port, transport: d.framing === 'hdlc' ? 'HDLC' : 'WRAPPER', hls5Active: true, ownerOrganisationIdentification: 'fault-org' });
    await store.storeActive(d.id, AK, Buffer.from(TEST_KEYS.ak, 'hex'), ctx);
    await store.storeActive(d.id, EK, Buffer.from(TEST_KEYS.ek, 'hex'), ctx);
    await store.storeActive(d.id, 'E_METER_MASTER_KEY', Buffer.from(TEST_KEYS.mk, 'hex'), ctx);
  }
  const random = rng(11);
  const kills = Number(process.env.EMETER_KEY_KILLS ?? 6);
  let killedMidChange = 0;
  for (let k = 0; k < kills; k++) {
    const d = devices[k % devices.length]!;
    const sim = sims[k % devices.length]!;
    const w = startWorker({ DATABASE_URL: url!, KEK_HEX: kekHex, DEVICE: d.id });
    children.push(w.child);
    await w.ready;
    // A random moment within the first few key changes (each is a handful of APDUs and store steps).
    await new Promise((res) => setTimeout(res, 50 + Math.floor(random() * 1500)));
    await kill9(w.child);
    const pendingAfterKill = (await store.list(d.id)).some((m) => m.status === 'NEW' && m.sent);
    if (pendingAfterKill) killedMidChange++;
    // Restart: this process, a new store instance, the next request.
    store = await SecretStore.open(db, SoftwareKekProvider.fromHex(kekHex), { cache: false });
    const ports = {
      links: linkFactory(db, store, undefined, { connectTimeoutMs: 1000, responseTimeoutMs: 1000 }),
      secrets: secretPort(store),
      inventory: inventoryPort(db),
      emeterKeys: emeterKeyPort(store, async () => undefined, { attempts: 3, retryDelayMs: 2 }),
    };
    await changeEMeterKeys(ports, { correlationUid: `after-kill-${k}`, organisationIdentification: 'fault-org', deviceIdentification: d.id, messageType: 'GENERATE_AND_REPLACE_KEYS' }, { kind: 'generate' });
    assert.deepEqual([(await store.getActive(d.id, AK))!.key, (await store.getActive(d.id, EK))!.key], [sim.state.keys.ak, sim.state.keys.ek], `kill ${k}: meter = store ACTIVE`);
    assert.deepEqual((await store.list(d.id)).filter((m) => m.status === 'NEW'), [], `kill ${k}: nothing pending`);
    console.log(`kill ${k + 1} (${d.protocol}): after ${w.done()} finished changes, ${pendingAfterKill ? 'a key marked sent was pending' : 'no key pending'}; next request OK, meter = ACTIVE`);
  }
  console.log(`${kills} SIGKILLs, ${killedMidChange} of them with a key marked sent but not activated`);
});
