/**
 * A whole head-end in one test process: database (PGlite or PostgreSQL), secret store, platform with workers,
 * every executor, and helpers to register simulated gateways and gas meters. Real TCP to real simulators.
 */
import { freshDb, type Engine } from './db.ts';
import type { Db } from '../../src/platform/db/db.ts';
import { Platform, type PlatformOptions } from '../../src/platform/platform.ts';
import { addOrganisation, addDevice } from '../../src/platform/inventory.ts';
import { SecretStore } from '../../src/secrets/store.ts';
import { SoftwareKekProvider } from '../../src/secrets/kek.ts';
import { ClientKeyPair } from '../../src/secrets/client-keys.ts';
import { registerExecutors } from '../../src/operations/executors.ts';
import { SimulatedMeter, type SimulatedMeterOptions } from '../../src/simulator/simulator.ts';
import { TEST_KEYS, TEST_GMETER } from '../../src/simulator/meter.ts';

export interface Headend {
  db: Db;
  platform: Platform;
  secrets: SecretStore;
  clientKeys: ClientKeyPair;
  meters: SimulatedMeter[];
  addOrganisation(id: string, opts?: { notificationUrl?: string; autoRekeyOnAlarm?: boolean }): Promise<void>;
  /** Starts a simulated gateway and registers it (keys ACTIVE) with `owner` as OWNER. */
  addGateway(id: string, owner: string, opts?: { protocol?: string; sim?: Partial<SimulatedMeterOptions>; hdlc?: boolean; withListMax?: number }): Promise<SimulatedMeter>;
  /** Registers a G-meter with the test identity (or the given one) and its default key, not coupled. */
  addGMeter(id: string, owner: string, opts?: { identification?: string; manufacturer?: string; defaultKey?: string | null }): Promise<void>;
  stop(): Promise<void>;
}

const actor = { actor: 'test', reason: 'fixture' };

export async function startHeadend(engine: Engine, platformOptions: Partial<PlatformOptions> = {}): Promise<Headend> {
  const { db, dispose } = await freshDb(engine);
  const secrets = await SecretStore.open(db, SoftwareKekProvider.generate());
  const clientKeys = await ClientKeyPair.open(secrets, { modulusLength: 1024 });
  const platform = await Platform.start({
    db,
    retry: { maxRetries: 2, baseDelayMs: 50 },
    pollingIntervalSeconds: 0.5,
    lockRetryMs: 50,
    ...platformOptions,
  });
  await registerExecutors(platform, { secrets, clientKeys, link: { connectTimeoutMs: 2000, responseTimeoutMs: 2000 } });
  const meters: SimulatedMeter[] = [];
  const h: Headend = {
    db,
    platform,
    secrets,
    clientKeys,
    meters,
    async addOrganisation(id, opts = {}) {
      await addOrganisation(db, { identification: id, notificationUrl: opts.notificationUrl, autoRekeyOnAlarm: opts.autoRekeyOnAlarm });
    },
    async addGateway(id, owner, opts = {}) {
      const protocol = opts.protocol ?? 'SMR 5.0.0';
      const profile = /^DSMR/.test(protocol) || protocol === 'SMR 4.3' ? 'dsmr4' : 'smr5';
      const sim = await SimulatedMeter.start({ port: 0, profile, framing: opts.hdlc ? 'hdlc' : 'wrapper', ...opts.sim });
      meters.push(sim);
      const [protocolName, protocolVersion] = protocol.split(' ');
      await addDevice(db, {
        deviceIdentification: id,
        deviceType: 'SMART_METER_E',
        protocolName,
        protocolVersion,
        host: '127.0.0.1',
        port: sim.port,
        transport: opts.hdlc ? 'HDLC' : 'WRAPPER',
        hls5Active: true,
        withListMax: opts.withListMax ?? 32,
        ownerOrganisationIdentification: owner,
      });
      const hex = (s: string | Buffer | undefined, d: string) => (Buffer.isBuffer(s) ? s : Buffer.from(s ?? d, 'hex'));
      await secrets.storeActive(id, 'E_METER_AUTHENTICATION_KEY', hex(opts.sim?.ak, TEST_KEYS.ak), actor);
      await secrets.storeActive(id, 'E_METER_ENCRYPTION_KEY_UNICAST', hex(opts.sim?.ek, TEST_KEYS.ek), actor);
      await secrets.storeActive(id, 'E_METER_MASTER_KEY', hex(opts.sim?.mk, TEST_KEYS.mk), actor);
      return sim;
    },
    async addGMeter(id, owner, opts = {}) {
      await addDevice(db, {
        deviceIdentification: id,
        deviceType: 'SMART_METER_G',
        mbusIdentificationNumber: opts.identification ?? TEST_GMETER.identification,
        mbusManufacturerIdentification: opts.manufacturer ?? TEST_GMETER.manufacturer,
        mbusVersion: TEST_GMETER.version,
        mbusDeviceTypeIdentification: TEST_GMETER.deviceType,
        ownerOrganisationIdentification: owner,
      });
      if (opts.defaultKey !== null) await secrets.storeActive(id, 'G_METER_MASTER_KEY', Buffer.from(opts.defaultKey ?? TEST_KEYS.gMeterDefaultKey, 'hex'), actor);
    },
    async stop() {
      await platform.stop();
      await Promise.all(meters.map((m) => m.close()));
      await dispose();
    },
  };
  return h;
}
