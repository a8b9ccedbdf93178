/**
 * A worker process updating firmware killed with SIGKILL at random moments (test/adapters/fixtures/firmware-worker.ts):
 * after each kill this process restarts the work with the next request — the interrupted image again when the
 * stored progress says it was not active yet — and it must continue from the meter's first missing block (no
 * initiate while the meter holds part of the image), never send a block the meter had, and end with the image active.
 * Needs PostgreSQL (TEST_DATABASE_URL): two processes share the database.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { freshDb } from '../support/db.ts';
import { requires } from '../support/servers.ts';
import { rng } from '../support/emeter-key-faults.ts';
import { addDevice, addOrganisation } from '../../src/platform/inventory.ts';
import { addFirmwareFile, getTransferProgress } from '../../src/platform/firmware.ts';
import { SecretStore } from '../../src/secrets/store.ts';
import { SoftwareKekProvider } from '../../src/secrets/kek.ts';
import { SimulatedMeter } from '../../src/simulator/simulator.ts';
import { TEST_KEYS } from '../../src/simulator/meter.ts';
import { defaultFirmware, type FirmwareState } from '../../src/simulator/firmware.ts';
import { firmwarePort, inventoryPort, linkFactory, secretPort } from '../../src/adapters/bindings.ts';
import { updateFirmware, type UpdateFirmwareTrace } from '../../src/adapters/firmware.ts';

const fixture = join(import.meta.dirname, 'fixtures', 'firmware-worker.ts');

function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

const KILLS = Number(process.env.FIRMWARE_KILLS ?? 5);

test('a worker updating firmware killed with SIGKILL at random moments: the next request resumes, the image ends active', { ...requires('postgres'), timeout: 60_000 + KILLS * 10_000 }, async (t) => {
  const { db, url, dispose } = await freshDb('postgres');
  const kekHex = randomBytes(32).toString('hex');
  const children: ChildProcess[] = [];
  const sim = await SimulatedMeter.start({ port: 0, profile: 'smr5', framing: 'wrapper', faults: { latencyMs: 2 } });
  t.after(async () => {
    for (const c of children) await kill9(c);
    await sim.close();
    await dispose();
  });
  sim.state.firmware = { ...defaultFirmware('smr5'), blockSize: 64 };
  const id = 'E0051004000000991';
  await addOrganisation(db, { identification: 'fault-org' });
  await addDevice(db, { deviceIdentification: id, deviceType: 'SMART_METER_E', protocolName: 'SMR', protocolVersion: '5.0.0', host: '127.0.0.1', port: sim.port, transport: 'WRAPPER', hls5Active: true, ownerOrganisationIdentification: 'fault-org' });
  const store = await SecretStore.open(db, SoftwareKekProvider.fromHex(kekHex), { cache: false });
  const ctx = { actor: 'test', reason: 'fixture' };
  await store.storeActive(id, 'E_METER_AUTHENTICATION_KEY', Buffer.from(TEST_KEYS.ak, 'hex'), ctx);
  await store.storeActive(id, 'E_METER_ENCRYPTION_KEY_UNICAST', Buffer.from(TEST_KEYS.ek, 'hex'), ctx);
  const images = [0, 1].map((n) => ({ identification: `FW-K-${n}`, content: Buffer.from(Array.from({ length: 64 * 40 - 5 }, (_, i) => (i * 11 + n * 97) & 0xff)), imageIdentifier: Buffer.from(`MFS-K-${n}`).toString('hex') }));
  for (const f of images) await addFirmwareFile(db, f);
  const ports = {
    links: linkFactory(db, store, undefined, { connectTimeoutMs: 1000, responseTimeoutMs: 1000 }),
    secrets: secretPort(store),
    inventory: inventoryPort(db),
    firmware: firmwarePort(db, { attempts: 3, retryDelayMs: 2, pollIntervalMs: 0 }),
  };
  const random = rng(17);
  const kills = KILLS;
  let midTransfer = 0;
  for (let k = 0; k < kills; k++) {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], { env: { ...process.env, DATABASE_URL: url!, KEK_HEX: kekHex, DEVICE: id, METERFABRIC_LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
      child.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) {
          child.removeAllListeners('exit');
          resolve();
        }
      });
    });
    await new Promise((res) => setTimeout(res, 100 + Math.floor(random() * 1500)));
    await kill9(child);
    // Restart: the interrupted image again when it was not active yet, else the other one.
    const p = await getTransferProgress(db, id);
    const n = p && p.step !== 'activated' ? Number(p.firmwareIdentification.slice(-1)) : p ? 1 - Number(p.firmwareIdentification.slice(-1)) : 0;
    const f: FirmwareState = sim.state.firmware!;
    const meterHad = f.status === 1 && f.identifier?.equals(Buffer.from(images[n]!.imageIdentifier, 'hex')) && f.blocks.some(Boolean);
    if (meterHad) midTransfer++;
    const resentBefore: number = f.resent;
    const trace: UpdateFirmwareTrace = { attempts: 0, reports: [] };
    await updateFirmware(ports, { correlationUid: `after-kill-${k}`, organisationIdentification: 'fault-org', deviceIdentification: id, messageType: 'UPDATE_FIRMWARE' }, images[n]!.identification, trace);
    if (meterHad) assert.equal(trace.reports[0]!.resumed, true, `kill ${k}: the meter held part of the image: continued, not initiated again`);
    assert.equal(sim.state.firmware!.resent - resentBefore, 0, `kill ${k}: no block sent that the meter had`);
    assert.deepEqual(sim.state.firmware!.active, { identifier: `MFS-K-${n}`, sha256: createHash('sha256').update(images[n]!.content).digest('hex') });
    console.log(`kill ${k + 1}: progress ${p ? `${p.firmwareIdentification} ${p.step} next block ${p.nextBlock}` : 'none'}; next request ${trace.reports[0]!.resumed ? `continued (from block ${trace.reports[0]!.startedAt})` : "initiated"}, ${trace.reports[0]!.blocksSent} blocks sent, image active`);
  }
  assert.equal(sim.state.firmware!.resent, 0);
  console.log(`${kills} SIGKILLs, ${midTransfer} of them in the middle of an image`);
});
