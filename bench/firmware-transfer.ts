/**
 * CPU of one UpdateFirmware: an image of SIZE bytes (default 102400) to a simulated SMR 5 meter over loopback TCP
 * (wrapper, block size 216), real database (PGlite) for file and progress, progress stored every N blocks:
 *   node --import tsx bench/firmware-transfer.ts [SIZE=102400] [EVERY=1,16]
 * Prints wall time and user+system CPU (process.cpuUsage, head-end and simulator in this one process) per update
 * and per block.
 */
import { freshDb } from '../test/support/db.ts';
import { addDevice, addOrganisation } from '../src/platform/inventory.ts';
import { SecretStore } from '../src/secrets/store.ts';
import { SoftwareKekProvider } from '../src/secrets/kek.ts';
import { SimulatedMeter } from '../src/simulator/simulator.ts';
import { TEST_KEYS } from '../src/simulator/meter.ts';
import { firmwarePort, inventoryPort, linkFactory, secretPort } from '../src/adapters/bindings.ts';
import { updateFirmware, type UpdateFirmwareTrace } from '../src/adapters/firmware.ts';
import { addFirmwareFile } from '../src/platform/firmware.ts';

const size = Number(process.argv[2] ?? 102400);
const everies = (process.argv[3] ?? '1,16').split(',').map(Number);
const { db, dispose } = await freshDb('pglite');
const store = await SecretStore.open(db, SoftwareKekProvider.generate());
const sim = await SimulatedMeter.start({ port: 0, profile: 'smr5', framing: 'wrapper' });
try {
  const id = 'E0051004000002001';
  await addOrganisation(db, { identification: 'bench-org' });
  await addDevice(db, { deviceIdentification: id, deviceType: 'SMART_METER_E', protocolName: 'SMR', protocolVersion: '5.0.0', host: '127.0.0.1', port: sim.port, transport: 'WRAPPER', hls5Active: true, ownerOrganisationIdentification: 'bench-org' });
  const ctx = { actor: 'bench', reason: 'fixture' };
  await store.storeActive(id, 'E_METER_AUTHENTICATION_KEY', Buffer.from(TEST_KEYS.ak, 'hex'), ctx);
  await store.storeActive(id, 'E_METER_ENCRYPTION_KEY_UNICAST', Buffer.from(TEST_KEYS.ek, 'hex'), ctx);
  for (const [i, every] of everies.entries()) {
    const content = Buffer.alloc(size, i + 1);
    await addFirmwareFile(db, { identification: `BENCH-${i}`, content, imageIdentifier: Buffer.from(`BENCH-${i}`).toString('hex') });
    const ports = {
      links: linkFactory(db, store, undefined, { connectTimeoutMs: 2000, responseTimeoutMs: 5000 }),
      secrets: secretPort(store),
      inventory: inventoryPort(db),
      firmware: firmwarePort(db, { pollIntervalMs: 0, progressEvery: every }),
    };
    const trace: UpdateFirmwareTrace = { attempts: 0, reports: [] };
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    await updateFirmware(ports, { correlationUid: `bench-${i}`, organisationIdentification: 'bench-org', deviceIdentification: id, messageType: 'UPDATE_FIRMWARE' }, `BENCH-${i}`, trace);
    const ms = performance.now() - t0;
    const used = process.cpuUsage(cpu);
    const blocks = trace.reports[0]!.blocks;
    const cpuMs = (used.user + used.system) / 1000;
    console.log(`${size} bytes, ${blocks} blocks of ${trace.reports[0]!.blockSize}, progress every ${every}: ${ms.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms CPU (${(cpuMs / blocks).toFixed(2)} ms per block)`);
  }
} finally {
  await sim.close();
  await dispose();
}
