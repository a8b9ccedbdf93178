/**
 * The meter simulator: gateway E-meters listening on 127.0.0.1, one listener per meter/port, with cheap per-meter
 * state so that thousands fit in one process (fleet mode). State can persist to a JSON file across restarts; that
 * file holds the simulated meters' keys in clear — acceptable for a simulator, never for real meters.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { ErrorCode, MeterfabricError } from '../errors.ts';
import { listenTransport, type TransportServer } from '../transport/tcp.ts';
import type { FramingKind } from '../transport/transport.ts';
import { serveConnection, type FaultPlan } from './connection.ts';
import {
  createMeterState,
  encryptionKeyStatus,
  fleetSystemTitle,
  meterStateFromJson,
  meterStateToJson,
  type GMeterState,
  type MeterOptions,
  type MeterState,
} from './meter.ts';

export interface SimulatedMeterOptions extends MeterOptions {
  port: number;
  host?: string;
  framing?: FramingKind;
  faults?: FaultPlan;
  /** Called after each state change (the fleet writes its state file). */
  onChange?: () => void;
  /** Clock source (tests). */
  now?: () => Date;
  /** Start from this state instead of building one from the options. */
  state?: MeterState;
  /** Answer every ciphered request with general-glo-ciphering, whatever was negotiated (a test of clients). */
  generalGloResponses?: boolean;
}

export class SimulatedMeter {
  /** Mutable at run time: the next APDUs see the new plan. */
  faults: FaultPlan;
  /** Connections accepted since the start (each carries at most one association): for tests and benchmarks. */
  acceptedConnections = 0;
  /** Plans for the next connections, one each, taken in order when a connection is accepted. */
  private readonly nextConnectionPlans: { plan: FaultPlan; served: (v: void) => void }[] = [];

  private constructor(
    readonly state: MeterState,
    readonly framing: FramingKind,
    private readonly server: TransportServer,
    faults: FaultPlan,
  ) {
    this.faults = faults;
  }

  static async start(options: SimulatedMeterOptions): Promise<SimulatedMeter> {
    const state = options.state ?? createMeterState(options);
    const framing = options.framing ?? 'wrapper';
    const holder: { meter?: SimulatedMeter } = {};
    const server = await listenTransport({
      port: options.port,
      host: options.host ?? '127.0.0.1',
      framing,
      onConnection: (t) => {
        if (holder.meter) holder.meter.acceptedConnections++;
        const hooks = { changed: options.onChange, now: options.now, generalGloResponses: options.generalGloResponses };
        const once = holder.meter?.nextConnectionPlans.shift();
        if (once) void serveConnection(t, state, once.plan, hooks).then(once.served);
        else void serveConnection(t, state, () => holder.meter?.faults ?? options.faults ?? {}, hooks);
      },
    });
    const meter = new SimulatedMeter(state, framing, server, options.faults ?? {});
    holder.meter = meter;
    return meter;
  }

  get port(): number {
    return this.server.port;
  }

  /**
   * Applies `plan` to exactly the next accepted connection (later ones see `faults` again), however fast that
   * connection comes and goes. Resolves when that connection has ended.
   */
  faultNextConnection(plan: FaultPlan): Promise<void> {
    return new Promise((served) => this.nextConnectionPlans.push({ plan, served }));
  }

  get openConnections(): number {
    return this.server.connections;
  }

  /** Puts a G-meter on channel 1..4 (or empties it). */
  installGMeter(channel: number, g: GMeterState | undefined): void {
    checkChannel(channel);
    this.state.channels[channel - 1] = g ? { ...g, defaultKey: Buffer.from(g.defaultKey) } : undefined;
  }

  gMeter(channel: number): GMeterState | undefined {
    checkChannel(channel);
    return this.state.channels[channel - 1];
  }

  /** The user key the G-meter on `channel` holds (from the last good transfer_key), for tests. */
  gMeterKey(channel: number): Buffer | undefined {
    return this.gMeter(channel)?.transferredKey;
  }

  encryptionKeyStatus(channel: number): number {
    return encryptionKeyStatus(this.gMeter(channel));
  }

  /** One line for the console: port and identity (no keys). */
  describe(): string {
    const s = this.state;
    const ch = s.channels.map((g, i) => (g ? `${i + 1}:${g.identification}/${g.manufacturer}` : `${i + 1}:-`)).join(' ');
    return `port ${this.port} ${this.framing} ${s.profile} system-title ${s.systemTitle.toString('hex').toUpperCase()} mbus ${ch}`;
  }

  async close(): Promise<void> {
    await this.server.close();
  }
}

function checkChannel(channel: number): void {
  if (!Number.isInteger(channel) || channel < 1 || channel > 4) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `M-Bus channel must be 1..4, got ${channel}`);
}

export interface FleetOptions extends Omit<SimulatedMeterOptions, 'port' | 'state' | 'onChange'> {
  /** First port; meter i listens on basePort + i (basePort 0: every meter on a free port). */
  basePort: number;
  count?: number;
  /** JSON state file: loaded when present, written after changes and on close. */
  statePath?: string;
}

/** Many meters in one process; meter i gets the base system title with its last 4 bytes + i. */
export class Fleet {
  private writeTimer: NodeJS.Timeout | undefined;
  private dirty = false;

  private constructor(
    readonly meters: SimulatedMeter[],
    private readonly statePath: string | undefined,
  ) {}

  static async start(options: FleetOptions): Promise<Fleet> {
    const count = options.count ?? 1;
    const saved = options.statePath && existsSync(options.statePath) ? loadStateFile(options.statePath) : [];
    const fleet = new Fleet([], options.statePath);
    const base = createMeterState(options).systemTitle;
    try {
      for (let i = 0; i < count; i++) {
        const state =
          saved[i] ??
          createMeterState({ ...options, systemTitle: fleetSystemTitle(base, i), channels: options.channels?.map((g) => (g ? { ...g, defaultKey: Buffer.from(g.defaultKey) } : undefined)) });
        const m = await SimulatedMeter.start({
          ...options,
          port: options.basePort === 0 ? 0 : options.basePort + i,
          state,
          onChange: () => fleet.scheduleWrite(),
        });
        fleet.meters.push(m);
      }
    } catch (e) {
      await fleet.close();
      throw e;
    }
    if (options.statePath) fleet.writeNow();
    return fleet;
  }

  private scheduleWrite(): void {
    if (!this.statePath) return;
    this.dirty = true;
    if (this.writeTimer) return;
    this.writeTimer = setTimeout(() => {
      this.writeTimer = undefined;
      this.writeNow();
    }, 200);
  }

  /** Writes the state file atomically (temp file + rename). */
  writeNow(): void {
    if (!this.statePath) return;
    this.dirty = false;
    const tmp = `${this.statePath}.tmp`;
    writeFileSync(tmp, JSON.stringify({ meters: this.meters.map((m) => meterStateToJson(m.state)) }, null, 1), { mode: 0o600 });
    renameSync(tmp, this.statePath);
  }

  async close(): Promise<void> {
    if (this.writeTimer) clearTimeout(this.writeTimer);
    this.writeTimer = undefined;
    await Promise.all(this.meters.map((m) => m.close()));
    if (this.dirty || this.statePath) this.writeNow();
  }
}

export function loadStateFile(path: string): MeterState[] {
  let j: unknown;
  try {
    j = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new MeterfabricError(ErrorCode.CONFIGURATION_ERROR, `simulator state file ${path} is not valid JSON`, { cause: e });
  }
  const meters = (j as { meters?: unknown }).meters;
  if (!Array.isArray(meters)) throw new MeterfabricError(ErrorCode.CONFIGURATION_ERROR, `simulator state file ${path} has no meters array`);
  return meters.map((m) => meterStateFromJson(m as Record<string, unknown>));
}
