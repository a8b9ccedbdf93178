/**
 * Randomised fault campaign for UpdateFirmware: real database (firmware files, transfer progress), real DLMS
 * associations over loopback TCP to simulated SMR 5 and DSMR 4.2.2 meters (wrapper and HDLC) and an SMR 5 gas
 * meter (its firmware personalised and sent through its gateway), class 18 image transfer. Each run requests an update and injects one fault at a random block or step:
 * - on the meter, at a random block: the line dropped when the block arrives (`block-drop`), after the meter kept
 *   it (`block-drop-after`), garbage answered after it was kept (`block-garbage`), or the meter restarting and
 *   losing the block before (`block-crash`: the meter then asks for it again);
 * - on the line, at a random APDU of the exchange (initiate, status reads, blocks, verify, activate):
 *   dropped when it arrives or after the meter processed it, on one connection or on every connection of the request;
 * - in the process, at a random progress write (before or after it commits): the work ends there, as a killed
 *   process's would.
 * Then it "restarts" (new ports on the same database) and sends the next request: the same image when the faulted
 * request did not end OK (a retry), the next image otherwise. Checks: every request reached a final result; after
 * the next request the meter has the requested image active (identifier and SHA-256); the meter never received a
 * block it already had (no block re-sent unless the meter reported it missing); a retry after a fault resumed
 * instead of starting from block 0 unless the meter reported block 0 missing.
 * Used by test/adapters/firmware-faults.test.ts (fewer runs) and bench/firmware-faults.ts (≥ 500 runs).
 */
import { createHash } from 'node:crypto';
import { freshDb, type Engine } from './db.ts';
import type { Db } from '../../src/platform/db/db.ts';
import { addDevice, addOrganisation } from '../../src/platform/inventory.ts';
import { SecretStore } from '../../src/secrets/store.ts';
import { SoftwareKekProvider } from '../../src/secrets/kek.ts';
import { SimulatedMeter } from '../../src/simulator/simulator.ts';
import { TEST_GMETER, TEST_KEYS } from '../../src/simulator/meter.ts';
import { personaliseMbusFirmware } from '../../src/cosem/mbus-firmware.ts';
import { defaultFirmware, type ImageBlockFault } from '../../src/simulator/firmware.ts';
import { firmwarePort, inventoryPort, linkFactory, secretPort } from '../../src/adapters/bindings.ts';
import { updateFirmware, type FirmwarePort, type UpdateFirmwareTrace } from '../../src/adapters/firmware.ts';
import { addFirmwareFile, getTransferProgress } from '../../src/platform/firmware.ts';
import { isMeterfabricError } from '../../src/errors.ts';
import type { FaultPlan } from '../../src/simulator/connection.ts';
import { rng } from './emeter-key-faults.ts';

export interface CampaignOptions {
  runs: number;
  seed?: number;
  engine?: Engine;
  log?: (line: string) => void;
}

export interface CampaignResult {
  runs: number;
  /** fault kind → count */
  faults: Map<string, number>;
  /** fault kind → "outcome → next" → count */
  outcomes: Map<string, Map<string, number>>;
  requests: number;
  unfinished: number;
  /** runs whose meter did not end with the requested image active */
  wrongImage: number;
  /** requests that continued a transfer (skipped initiate, or started past block 0) */
  resumes: number;
  blocksSent: number;
  /** blocks the meter received although it had them (sent without the meter asking): must be 0 */
  blocksResentUnasked: number;
  /** blocks sent again because the meter reported them missing (after it lost them) */
  blocksResentAsked: number;
  /** retries after a fault that sent block 0 although the meter had it: must be 0 */
  restartsFromZero: number;
  ms: number;
  cpuUserMs: number;
}

class Crash extends Error {
  constructor(step: string) {
    super(`process ended at ${step}`);
  }
}

/** The progress writes, ending the work at the n-th (before or after it commits). */
function crashingPort(port: FirmwarePort, at: number, after: boolean, seen: string[]): FirmwarePort {
  let n = 0;
  const wrap = <A extends unknown[]>(name: string, fn: (...a: A) => Promise<void>) => async (...a: A) => {
    n++;
    const here = n === at;
    const step = name === 'saveProgress' ? `save ${(a[1] as { step: string }).step}` : name;
    if (here) seen.push(step);
    if (here && !after) throw new Crash(step);
    await fn(...a);
    if (here && after) throw new Crash(step);
  };
  return { ...port, saveProgress: wrap('saveProgress', port.saveProgress), clearProgress: wrap('clearProgress', port.clearProgress) };
}

/** An image as stored, and as the meter receives it (an M-Bus image is personalised for its device). */
interface ImageSpec {
  identification: string;
  sent: Buffer;
  identifier: Buffer;
  /** An M-Bus image: the simple version info the gas meter on channel 1 shows once it is active. */
  simpleVersion?: string;
}

interface Meter {
  id: string;
  sim: SimulatedMeter;
  protocol: string;
  images: ImageSpec[];
  /** The gateway whose image transfer object is used (its own id for an E-meter). */
  gateway: string;
  /** The image last requested, and whether its request ended OK. */
  wanted?: number;
}

const BLOCK_SIZE = 64;

function image(n: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + n * 17 + (i >> 8)) & 0xff;
  return b;
}

export async function runFirmwareCampaign(o: CampaignOptions): Promise<CampaignResult> {
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const random = rng(o.seed ?? 1);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const { db, dispose } = await freshDb(o.engine ?? 'pglite');
  const kek = SoftwareKekProvider.generate();
  const store = await SecretStore.open(db, kek);
  const meters: Meter[] = [];
  const r: CampaignResult = {
    runs: 0, faults: new Map(), outcomes: new Map(), requests: 0, unfinished: 0, wrongImage: 0, resumes: 0, blocksSent: 0,
    blocksResentUnasked: 0, blocksResentAsked: 0, restartsFromZero: 0, ms: 0, cpuUserMs: 0,
  };
  // Four images of 10..25 blocks (the last block short), stored once.
  const images = [0, 1, 2, 3].map((n) => ({ identification: `FW-${n}`, content: image(n, BLOCK_SIZE * (10 + n * 5) - 7 * n - 3), imageIdentifier: Buffer.from(`MFS-IMG-${n}`).toString('hex') }));
  const eImages: ImageSpec[] = images.map((f) => ({ identification: f.identification, sent: f.content, identifier: Buffer.from(f.imageIdentifier, 'hex') }));
  // SMR 5 M-Bus firmware files for the gas meter on the first gateway: GXF's header layout, any identification.
  const gasKey = Buffer.from('F9AA0123456789012345D7AFCCD41BD1', 'hex');
  const gasFiles = [0, 1].map((n) => {
    const body = image(10 + n, BLOCK_SIZE * (8 + n * 4) - 5);
    const header = Buffer.from('534d523500230011004000000000001000020801e91effffffff500303000000000000', 'hex');
    header.writeUInt32LE(0x00400011 + n, 7);
    header.writeUInt32LE(body.length, 11);
    return { identification: `FW-GAS-${n}`, content: Buffer.concat([header, body, Buffer.alloc(16)]) };
  });
  const gasImages: ImageSpec[] = gasFiles.map((f) => {
    const p = personaliseMbusFirmware(f.content, TEST_GMETER.identification, gasKey);
    return { identification: f.identification, sent: p.image, identifier: p.imageIdentifier, simpleVersion: (0x00400011 + Number(f.identification.slice(-1))).toString(16).padStart(8, '0') };
  });
  try {
    await addOrganisation(db, { identification: 'fault-org' });
    for (const f of [...images, ...gasFiles]) await addFirmwareFile(db, f);
    const layout = [
      { protocol: 'SMR 5.0.0', profile: 'smr5' as const, framing: 'wrapper' as const },
      { protocol: 'SMR 5.5', profile: 'smr5' as const, framing: 'hdlc' as const },
      { protocol: 'DSMR 4.2.2', profile: 'dsmr4' as const, framing: 'wrapper' as const },
      { protocol: 'DSMR 4.2.2', profile: 'dsmr4' as const, framing: 'hdlc' as const },
    ];
    for (const [i, l] of layout.entries()) {
      const id = `E00510040000019${String(i).padStart(2, '0')}`;
      const sim = await SimulatedMeter.start({ port: 0, profile: l.profile, framing: l.framing, systemTitle: `4B464D10200019${String(i).padStart(2, '0')}` });
      sim.state.firmware = { ...defaultFirmware(l.profile), blockSize: BLOCK_SIZE };
      const [protocolName, protocolVersion] = l.protocol.split(' ');
      await addDevice(db, {
        deviceIdentification: id, deviceType: 'SMART_METER_E', protocolName, protocolVersion, host: '127.0.0.1', port: sim.port,
        transport: l.framing === 'hdlc' ? 'HDLC' : 'WRAPPER', hls5Active: true, ownerOrganisationIdentification: 'fault-org',
      });
      const ctx = { actor: 'test', reason: 'fixture' };
      await store.storeActive(id, 'E_METER_AUTHENTICATION_KEY', Buffer.from(TEST_KEYS.ak, 'hex'), ctx);
      await store.storeActive(id, 'E_METER_ENCRYPTION_KEY_UNICAST', Buffer.from(TEST_KEYS.ek, 'hex'), ctx);
      meters.push({ id, sim, protocol: l.protocol, images: eImages, gateway: id });
    }
    // The SMR 5.0.0 gateway's channel 1 holds the test gas meter: its firmware goes through that gateway.
    const gas = 'G0051004000001900';
    await addDevice(db, {
      deviceIdentification: gas, deviceType: 'SMART_METER_G', mbusIdentificationNumber: TEST_GMETER.identification, mbusManufacturerIdentification: TEST_GMETER.manufacturer,
      mbusVersion: TEST_GMETER.version, mbusDeviceTypeIdentification: TEST_GMETER.deviceType, gatewayDeviceIdentification: meters[0]!.id, channel: 1, ownerOrganisationIdentification: 'fault-org',
    });
    await store.storeActive(gas, 'G_METER_FIRMWARE_UPDATE_AUTHENTICATION_KEY', gasKey, { actor: 'test', reason: 'fixture' });
    meters.push({ id: gas, sim: meters[0]!.sim, protocol: 'SMR 5.0.0 M-Bus device', images: gasImages, gateway: meters[0]!.id });
    const ports = (db_: Db, fw: FirmwarePort) => ({
      links: linkFactory(db_, store, undefined, { connectTimeoutMs: 1000, responseTimeoutMs: 1000 }),
      secrets: secretPort(store),
      inventory: inventoryPort(db_),
      firmware: fw,
    });
    // Progress stored after every block: more moments for the process to end at.
    const basePort = () => firmwarePort(db, { attempts: 3, retryDelayMs: 2, pollIntervalMs: 0, progressEvery: 1 });
    const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
    const describe = (e: unknown) => (e instanceof Crash ? 'process ended' : isMeterfabricError(e) ? `NOT OK ${e.codeName}` : `NOT OK ${(e as Error).message}`);

    /** One request; returns its outcome and adds its transfer reports to the totals. */
    const request = async (m: Meter, fw: FirmwarePort, n: number, uid: string, retryAfterFault: boolean): Promise<string> => {
      r.requests++;
      const trace: UpdateFirmwareTrace = { attempts: 0, reports: [] };
      const f = m.sim.state.firmware!;
      const before = { resent: f.resent };
      // The meter holds part of this very image: a request that initiates again (and so starts from block 0) throws that away.
      const meterHad = f.status === 1 && f.identifier?.equals(m.images[n]!.identifier) && f.blocks.some(Boolean);
      let outcome: string;
      try {
        await updateFirmware(ports(db, fw), { correlationUid: uid, organisationIdentification: 'fault-org', deviceIdentification: m.id, messageType: 'UPDATE_FIRMWARE' }, m.images[n]!.identification, trace);
        outcome = 'OK';
      } catch (e) {
        outcome = describe(e);
      }
      for (const [i, rep] of trace.reports.entries()) {
        r.blocksSent += rep.blocksSent ?? 0;
        if (rep.resumed || (rep.startedAt ?? 0) > 0) r.resumes++;
        // Initiated again although the meter had blocks of this image: at the request's start, or on a later attempt
        // after an earlier attempt of it had sent blocks.
        const earlierSent = trace.reports.slice(0, i).some((x) => (x.blocksSent ?? 0) > 0);
        if (!rep.resumed && ((i === 0 && meterHad) || (i > 0 && earlierSent))) r.restartsFromZero++;
      }
      void retryAfterFault;
      r.blocksResentUnasked += m.sim.state.firmware!.resent - before.resent;
      return outcome;
    };

    for (let run = 1; run <= o.runs; run++) {
      r.runs++;
      const m = meters[(run - 1) % meters.length]!;
      const fwState = m.sim.state.firmware!;
      // The next image for this meter, unless a retry is pending.
      const n = ((m.wanted ?? -1) + 1) % m.images.length;
      const blocks = Math.ceil(m.images[n]!.sent.length / BLOCK_SIZE);
      const kind = pick(['block-drop', 'block-drop-after', 'block-garbage', 'block-crash', 'apdu-drop', 'apdu-drop-after', 'apdu-drop-every-connection', 'process-ends-before-write', 'process-ends-after-write'] as const);
      // APDUs of one connection: AARQ, HLS pass 3, then GETs/ACTIONs: status, enabled, (set enabled), initiate, status, block size, first-missing, blocks, ...
      const apdu = 3 + Math.floor(random() * (blocks + 12));
      const block = Math.floor(random() * blocks);
      let fw: FirmwarePort = basePort();
      const seen: string[] = [];
      let step: string = kind;
      let served: Promise<void> | undefined;
      if (kind.startsWith('block-')) {
        fwState.fault = { block, kind: kind.slice('block-'.length) as ImageBlockFault };
        step = `${kind} at block ${block}`;
      } else if (kind === 'apdu-drop' || kind === 'apdu-drop-after') {
        const plan: FaultPlan = kind === 'apdu-drop' ? { dropAfterApdus: apdu } : { dropAfterProcessing: apdu };
        served = m.sim.faultNextConnection(plan);
        step = `${kind} at APDU ${apdu}`;
      } else if (kind === 'apdu-drop-every-connection') {
        m.sim.faults = { dropAfterProcessing: apdu };
        step = `${kind} at APDU ${apdu}`;
      } else {
        fw = crashingPort(fw, 1 + Math.floor(random() * (blocks + 4)), kind === 'process-ends-after-write', seen);
      }
      const lostBefore = fwState.lost;
      const t0 = performance.now();
      const outcome = await request(m, fw, n, `fault-${run}`, false);
      m.sim.faults = {};
      fwState.fault = undefined;
      if (served) await Promise.race([served, new Promise((res) => setTimeout(res, 0))]);
      (m.sim as unknown as { nextConnectionPlans: unknown[] }).nextConnectionPlans.length = 0;
      if (kind.startsWith('process-ends')) step = `${kind} (${(seen[0] ?? 'none reached').replace(/^save /, '')})`;
      // Restart (new ports on the same database) and the next request: the same image again unless it ended OK.
      const nextImage = outcome === 'OK' ? (n + 1) % m.images.length : n;
      const next = await request(m, basePort(), nextImage, `next-${run}`, outcome !== 'OK');
      if (next !== 'OK' && !next.startsWith('NOT OK')) r.unfinished++;
      if (outcome !== 'OK' && !outcome.startsWith('NOT OK') && outcome !== 'process ended') r.unfinished++;
      m.wanted = next === 'OK' ? nextImage : nextImage - 1;
      r.blocksResentAsked += fwState.lost - lostBefore;
      const want = m.images[nextImage]!;
      const active = fwState.active;
      const right = next === 'OK' && active?.identifier === want.identifier.toString('latin1') && active.sha256 === createHash('sha256').update(want.sent).digest('hex') &&
        (want.simpleVersion === undefined || m.sim.state.channels[0]?.firmwareVersion === want.simpleVersion);
      if (!right) r.wrongImage++;
      const progress = await getTransferProgress(db, m.gateway);
      if (next === 'OK' && progress?.step !== 'activated') r.wrongImage++;
      bump(r.faults, kind);
      const row = r.outcomes.get(kind) ?? new Map<string, number>();
      bump(row, `${outcome} → next ${next}${right ? '' : ', WRONG IMAGE'}`);
      r.outcomes.set(kind, row);
      o.log?.(`${run} ${m.protocol} ${step}: ${outcome}; next ${next}${right ? ', new image active' : ', WRONG IMAGE'} (${Math.round(performance.now() - t0)} ms)`);
    }
  } finally {
    await Promise.all([...new Set(meters.map((m) => m.sim))].map((sim) => sim.close()));
    await dispose();
    r.ms = performance.now() - started;
    r.cpuUserMs = process.cpuUsage(cpu0).user / 1000;
  }
  return r;
}

export function formatFirmwareTable(r: CampaignResult): string {
  const lines = ['| fault | runs | outcome of the faulted request → next request |', '|---|---|---|'];
  for (const [kind, count] of [...r.faults.entries()].sort()) {
    lines.push(`| ${kind} | ${count} | ${[...(r.outcomes.get(kind) ?? new Map()).entries()].map(([k, v]) => `${v}× ${k}`).join('; ')} |`);
  }
  lines.push('');
  lines.push('| runs | requests | without final result | wrong image at the end | resumes | blocks sent | re-sent, meter asked | re-sent, meter had it | retries from block 0 the meter did not ask for |');
  lines.push('|---|---|---|---|---|---|---|---|---|');
  lines.push(`| ${r.runs} | ${r.requests} | ${r.unfinished} | ${r.wrongImage} | ${r.resumes} | ${r.blocksSent} | ${r.blocksResentAsked} | ${r.blocksResentUnasked} | ${r.restartsFromZero} |`);
  lines.push(`\n${(r.ms / 1000).toFixed(1)} s wall, ${(r.cpuUserMs / 1000).toFixed(1)} s user CPU (process.cpuUsage) for the whole campaign, simulators included`);
  return lines.join('\n');
}

export function campaignPassed(r: CampaignResult): boolean {
  return r.unfinished === 0 && r.wrongImage === 0 && r.blocksResentUnasked === 0 && r.restartsFromZero === 0;
}
