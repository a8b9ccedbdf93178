/**
 * The production composition (src/runtime/headend.ts) for end-to-end tests: a fresh PGlite database, HTTP on a
 * free loopback port, short retries and timeouts, and helpers that register simulated gateways and gas meters.
 * Everything it started is stopped and removed when `fn` ends.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDb } from './db.ts';
import type { Db } from '../../src/platform/db/db.ts';
import { startHeadend, type RunningHeadend } from '../../src/runtime/headend.ts';
import { SoftwareKekProvider } from '../../src/secrets/kek.ts';
import { addDevice } from '../../src/platform/inventory.ts';
import { issueApiToken } from '../../src/platform/tokens.ts';
import { SimulatedMeter } from '../../src/simulator/simulator.ts';
import { TEST_KEYS, TEST_GMETER, type GMeterState } from '../../src/simulator/meter.ts';

const audit = { actor: 'test', reason: 'fixture' };

export interface GatewayOptions {
  /** Protocol name and version, e.g. 'SMR 5.0.0' (default) or 'DSMR 4.2.2'; DSMR and SMR 4.3 simulate a DSMR4 meter. */
  protocol?: string;
  hdlc?: boolean;
  /** The G-meters the simulated gateway starts with (default: the test G-meter on channel 1). */
  channels?: (GMeterState | undefined)[];
}

export interface GMeterOptions {
  identification?: string;
  manufacturer?: string;
  version?: number;
  deviceType?: number;
  primaryAddress?: number | null;
  coupled?: { gateway: string; channel: number };
  /** Hex M-Bus default key (default: the test key); null stores none. */
  defaultKey?: string | null;
}

export interface HttpHeadend {
  h: RunningHeadend;
  db: Db;
  url: string;
  sims: SimulatedMeter[];
  /** The built-in ADMIN organisation's token (DATA/admin.token, made by the head-end). */
  adminToken: string;
  /** A new API token for an organisation. */
  token(org: string): Promise<string>;
  /** Authorization header with a new API token of `org` (the ADMIN token for 'OSGP'). */
  auth(org: string): Promise<Record<string, string>>;
  /** Starts a simulated gateway and registers it with `owner` as OWNER and the test keys ACTIVE. */
  gateway(id: string, owner: string, opts?: GatewayOptions): Promise<SimulatedMeter>;
  /** Registers a G-meter (the test identity unless given) with `owner` as OWNER. */
  gMeter(id: string, owner: string, opts?: GMeterOptions): Promise<void>;
}

/** `opts.push`: also listen for meter pushes (TCP and UDP on free ports; `h.push`). */
export async function withHttpHeadend(fn: (f: HttpHeadend) => Promise<void>, opts: { push?: boolean } = {}): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mf-e2e-'));
  const { db, dispose } = await freshDb('pglite');
  const sims: SimulatedMeter[] = [];
  let h: RunningHeadend | undefined;
  try {
    h = await startHeadend({
      dataDir, db, kek: SoftwareKekProvider.generate(), clientKeyBits: 1024, http: { host: '127.0.0.1', port: 0 }, push: opts.push ? { host: '127.0.0.1', port: 0 } : false,
      platform: { retry: { maxRetries: 1, baseDelayMs: 100 }, pollingIntervalSeconds: 0.5, lockRetryMs: 50 },
      link: { connectTimeoutMs: 2000, responseTimeoutMs: 2000 },
    });
    const running = h;
    const adminToken = readFileSync(running.adminTokenPath!, 'utf8').trim();
    const token = async (org: string) => (org === 'OSGP' ? adminToken : (await issueApiToken(db, org, 'test')).token);
    await fn({
      h: running,
      db,
      url: running.url!,
      sims,
      adminToken,
      token,
      auth: async (org) => ({ authorization: `Bearer ${await token(org)}` }),
      async gateway(id, owner, opts = {}) {
        const protocol = opts.protocol ?? 'SMR 5.0.0';
        const profile = /^DSMR/.test(protocol) || protocol === 'SMR 4.3' ? 'dsmr4' : 'smr5';
        const sim = await SimulatedMeter.start({ port: 0, profile, framing: opts.hdlc ? 'hdlc' : 'wrapper', ...(opts.channels ? { channels: opts.channels } : {}) });
        sims.push(sim);
        const [protocolName, protocolVersion] = protocol.split(' ');
        await addDevice(db, {
          deviceIdentification: id, deviceType: 'SMART_METER_E', protocolName, protocolVersion, host: '127.0.0.1', port: sim.port,
          transport: opts.hdlc ? 'HDLC' : 'WRAPPER', hls5Active: true, withListMax: 32, ownerOrganisationIdentification: owner,
        });
        await running.secrets.storeActive(id, 'E_METER_AUTHENTICATION_KEY', Buffer.from(TEST_KEYS.ak, 'hex'), audit);
        await running.secrets.storeActive(id, 'E_METER_ENCRYPTION_KEY_UNICAST', Buffer.from(TEST_KEYS.ek, 'hex'), audit);
        await running.secrets.storeActive(id, 'E_METER_MASTER_KEY', Buffer.from(TEST_KEYS.mk, 'hex'), audit);
        return sim;
      },
      async gMeter(id, owner, opts = {}) {
        await addDevice(db, {
          deviceIdentification: id, deviceType: 'SMART_METER_G',
          mbusIdentificationNumber: opts.identification ?? TEST_GMETER.identification,
          mbusManufacturerIdentification: opts.manufacturer ?? TEST_GMETER.manufacturer,
          mbusVersion: opts.version ?? TEST_GMETER.version,
          mbusDeviceTypeIdentification: opts.deviceType ?? TEST_GMETER.deviceType,
          mbusPrimaryAddress: opts.primaryAddress ?? null,
          ...(opts.coupled ? { gatewayDeviceIdentification: opts.coupled.gateway, channel: opts.coupled.channel } : {}),
          ownerOrganisationIdentification: owner,
        });
        if (opts.defaultKey !== null) await running.secrets.storeActive(id, 'G_METER_MASTER_KEY', Buffer.from(opts.defaultKey ?? TEST_KEYS.gMeterDefaultKey, 'hex'), audit);
      },
    });
  } finally {
    await h?.stop();
    await Promise.all(sims.map((s) => s.close()));
    await dispose();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
