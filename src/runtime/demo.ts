/**
 * The demo head-end behind `npm start`: the platform on the embedded database plus a fleet of simulated gateway
 * E-meters with gas meters, registered for a demo organisation, keys in the secret store. Every start is
 * idempotent: existing devices keep their keys, the simulators keep their state in the data folder.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startHeadend, type RunningHeadend, type HeadendOptions } from './headend.ts';
import { SimulatedMeter } from '../simulator/simulator.ts';
import { createMeterState, fleetSystemTitle, meterStateFromJson, meterStateToJson, type MeterState, type GMeterState } from '../simulator/meter.ts';
import { addDevice, addOrganisation, findDevice, findOrganisation, setNetworkAddress } from '../platform/inventory.ts';
import setMbusUserKeyByChannel from '../operations/configuration/set-mbus-user-key-by-channel.ts';
import type { StoredResponse } from '../platform/platform.ts';
import { ensureTokenFile, issueSignInToken } from '../platform/tokens.ts';

export const DEMO_ORGANISATION = 'demo-org';

export interface DemoOptions {
  dataDir: string;
  host: string;
  port: number;
  pushPort: number | false;
  meters: number;
  simBasePort: number;
  /** Run one SetMbusUserKeyByChannel per gateway at start (default true). */
  exercise?: boolean;
  headend?: Partial<HeadendOptions>;
  log?: (line: string) => void;
}

export interface RunningDemo {
  headend: RunningHeadend;
  meters: SimulatedMeter[];
  gateways: { deviceIdentification: string; gasMeter: string; protocol: string; port: number; framing: string }[];
  results: StoredResponse[];
  /** The demo organisation's API token (kept in DATA/demo-org.token, mode 0600). */
  token: string;
  tokenPath: string;
  /** A one-time console sign-in link for the demo organisation. */
  signInUrl: string;
  stop(): Promise<void>;
}

const BASE_TITLE = Buffer.from('4D46424D00000001', 'hex'); // "MFBM" + counter

function meterPlan(i: number): { protocolName: string; protocolVersion: string; profile: 'smr5' | 'dsmr4'; hdlc: boolean } {
  if (i % 3 === 2) return { protocolName: 'DSMR', protocolVersion: '4.2.2', profile: 'dsmr4', hdlc: false };
  return { protocolName: 'SMR', protocolVersion: i % 3 === 1 ? '5.5' : '5.0.0', profile: 'smr5', hdlc: i % 6 === 4 };
}

function gasMeterFor(i: number): GMeterState {
  return { primaryAddress: 1, identification: String(20000001 + i).padStart(8, '0'), manufacturer: 'FLO', version: 80, deviceType: 3, defaultKey: randomBytes(16) };
}

function loadStates(path: string): MeterState[] {
  if (!existsSync(path)) return [];
  const j = JSON.parse(readFileSync(path, 'utf8')) as { meters?: Record<string, unknown>[] };
  return (j.meters ?? []).map((m) => meterStateFromJson(m));
}

function saveStates(path: string, meters: SimulatedMeter[]): void {
  const tmp = `${path}.tmp`;
  // The simulators' own keys, in clear: this file belongs to the simulated meters, not to the platform.
  writeFileSync(tmp, JSON.stringify({ meters: meters.map((m) => meterStateToJson(m.state)) }, null, 1), { mode: 0o600 });
  renameSync(tmp, path);
}

export async function startDemo(o: DemoOptions): Promise<RunningDemo> {
  const log = o.log ?? ((l: string) => console.log(l));
  const statePath = join(o.dataDir, 'simulators.json');
  const headend = await startHeadend({
    dataDir: o.dataDir,
    http: { host: o.host, port: o.port },
    push: o.pushPort === false ? false : { host: '127.0.0.1', port: o.pushPort },
    ...o.headend,
  });
  const meters: SimulatedMeter[] = [];
  const gateways: RunningDemo['gateways'] = [];
  let saveTimer: NodeJS.Timeout | undefined;
  const scheduleSave = () => {
    saveTimer ??= setTimeout(() => {
      saveTimer = undefined;
      saveStates(statePath, meters);
    }, 200);
  };
  try {
    const saved = loadStates(statePath);
    const actor = { actor: DEMO_ORGANISATION, reason: 'demo fleet' };
    const db = headend.db;
    if (!(await findOrganisation(db, DEMO_ORGANISATION))) {
      await addOrganisation(db, { identification: DEMO_ORGANISATION, name: 'Demo grid operator', autoRekeyOnAlarm: true });
    }
    for (let i = 0; i < o.meters; i++) {
      const plan = meterPlan(i);
      const state =
        saved[i] ??
        createMeterState({
          profile: plan.profile,
          systemTitle: fleetSystemTitle(BASE_TITLE, i),
          ek: randomBytes(16),
          ak: randomBytes(16),
          mk: randomBytes(16),
          channels: [gasMeterFor(i)],
        });
      const sim = await SimulatedMeter.start({ port: o.simBasePort + i, host: '127.0.0.1', framing: plan.hdlc ? 'hdlc' : 'wrapper', state, onChange: scheduleSave });
      meters.push(sim);
      const gatewayId = state.equipmentId;
      const g = state.channels[0]!;
      const gasId = `G${g.identification.padStart(16, '0')}`;
      if (!(await findDevice(db, gatewayId))) {
        await addDevice(db, {
          deviceIdentification: gatewayId, deviceType: 'SMART_METER_E', protocolName: plan.protocolName, protocolVersion: plan.protocolVersion,
          host: '127.0.0.1', port: sim.port, transport: plan.hdlc ? 'HDLC' : 'WRAPPER', hls5Active: true, withListMax: 32,
          ownerOrganisationIdentification: DEMO_ORGANISATION,
        });
        await headend.secrets.storeActive(gatewayId, 'E_METER_AUTHENTICATION_KEY', state.keys.ak, actor);
        await headend.secrets.storeActive(gatewayId, 'E_METER_ENCRYPTION_KEY_UNICAST', state.keys.ek, actor);
        await headend.secrets.storeActive(gatewayId, 'E_METER_MASTER_KEY', state.keys.mk, actor);
      } else {
        await setNetworkAddress(db, gatewayId, '127.0.0.1', sim.port);
      }
      if (!(await findDevice(db, gasId))) {
        await addDevice(db, {
          deviceIdentification: gasId, deviceType: 'SMART_METER_G', mbusIdentificationNumber: g.identification,
          mbusManufacturerIdentification: g.manufacturer, mbusVersion: g.version, mbusDeviceTypeIdentification: g.deviceType,
          mbusPrimaryAddress: g.primaryAddress, gatewayDeviceIdentification: gatewayId, channel: 1,
          ownerOrganisationIdentification: DEMO_ORGANISATION,
        });
        await headend.secrets.storeActive(gasId, 'G_METER_MASTER_KEY', g.defaultKey, actor);
      }
      gateways.push({ deviceIdentification: gatewayId, gasMeter: gasId, protocol: `${plan.protocolName} ${plan.protocolVersion}`, port: sim.port, framing: plan.hdlc ? 'HDLC' : 'WRAPPER' });
    }
    saveStates(statePath, meters);
    const tokenPath = join(o.dataDir, `${DEMO_ORGANISATION}.token`);
    const { token } = await ensureTokenFile(db, tokenPath, DEMO_ORGANISATION, 'demo');
    const signInUrl = `${headend.url}/console/#sign-in=${await issueSignInToken(db, DEMO_ORGANISATION, 'demo')}`;

    const results: StoredResponse[] = [];
    if (o.exercise !== false) {
      log(`demo: setting a new M-Bus user key on channel 1 of each of the ${gateways.length} simulated gateways ...`);
      const submitted = await Promise.all(
        gateways.map((g) =>
          headend.platform.requests.submit({
            organisationIdentification: DEMO_ORGANISATION, userName: 'demo', applicationName: 'meterfabric-demo', deviceIdentification: g.deviceIdentification,
            messageType: setMbusUserKeyByChannel.messageType, payload: { channel: 1 }, channel: 'REST',
          }),
        ),
      );
      for (const [i, s] of submitted.entries()) {
        const r = await headend.platform.requests.waitForResponse(s.correlationUid, DEMO_ORGANISATION, 60_000);
        results.push(r);
        const g = gateways[i]!;
        const held = meters[i]!.encryptionKeyStatus(1) === 4 ? 'the gas meter uses the new key' : 'the gas meter does not hold it';
        log(`  ${g.deviceIdentification} (${g.protocol}, ${g.framing}) channel 1 -> ${r.result}${r.error ? ` ${r.error.code} ${r.error.message}` : `: ${held}`}`);
      }
    }
    return {
      headend, meters, gateways, results, token, tokenPath, signInUrl,
      async stop() {
        clearTimeout(saveTimer);
        await headend.stop();
        await Promise.all(meters.map((m) => m.close()));
        saveStates(statePath, meters);
      },
    };
  } catch (e) {
    clearTimeout(saveTimer);
    await headend.stop();
    await Promise.all(meters.map((m) => m.close()));
    throw e;
  }
}
