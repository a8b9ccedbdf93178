/**
 * State of one simulated gateway E-meter (docs/dlms.md#simulator): its profile, system title, keys, invocation counters,
 * clock offset and four M-Bus channels. Plain data, so that thousands fit in one process and the whole fleet
 * can be written to a JSON state file.
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode, MeterfabricError } from '../errors.ts';
import type { FirmwareState } from './firmware.ts';
import type { DlmsData } from '../dlms/axdr.ts';
import type { CalendarState } from './calendar.ts';
import type { DefinableLoadProfileState } from './power-quality.ts';

export type MeterProfile = 'smr5' | 'dsmr4';

/** A G-meter on an M-Bus channel (docs/dlms.md#m-bus-client-class-72, #m-bus-key-transfer). */
export interface GMeterState {
  primaryAddress: number;
  /** 8 decimal digits, e.g. "12056731". */
  identification: string;
  /** Three letters, e.g. "FLO". */
  manufacturer: string;
  version: number;
  deviceType: number;
  /** The G-meter's M-Bus Default key (wraps transfer_key). */
  defaultKey: Buffer;
  /** The user key the G-meter took from the last good transfer_key. */
  transferredKey?: Buffer;
  /** The key the E-meter was given by set_encryption_key. */
  setKey?: Buffer;
  /** Simple version info (SMR 5, 4 bytes as hex); derived from version and device type when absent (./firmware.ts). */
  firmwareVersion?: string;
  /** The status bits the G-meter reported (0-<ch>:24.2.6.255); absent = 0. reset_alarm clears the masked bits. */
  mbusStatus?: number;
}

export interface MeterKeys {
  ek: Buffer;
  ak: Buffer;
  mk: Buffer;
}

export interface MeterState {
  profile: MeterProfile;
  systemTitle: Buffer;
  keys: MeterKeys;
  /** Last invocation counter accepted from the management client; the IC object publishes this + 1. */
  lastClientIc: number;
  /** The meter's own invocation counter: the next value it will use. */
  meterIc: number;
  /** Milliseconds added to the host clock. */
  clockOffsetMs: number;
  /** Channels 1..4 (index 0..3); undefined = empty. */
  channels: (GMeterState | undefined)[];
  /** Publish last-received + 1 (default) or the last received value in 0-0:43.1.0.255 (docs/dlms.md#invocation-counters). */
  icObjectPublishesNext: boolean;
  /** Equipment identifier (0-0:96.1.0.255). */
  equipmentId: string;
  /** Alarm registers written by the client, by register number; unset ones hold their derived value (./alarms.ts). */
  alarmRegisters?: Record<number, number>;
  /** Firmware versions and image transfer (./firmware.ts); created on first use. */
  firmware?: FirmwareState;
  /** Configuration attributes written by the client, A-XDR hex by "class/logical name/attribute" (./configuration.ts). */
  configuration?: Record<string, string>;
  /** Clear status mask per channel (0-<ch>:94.31.10.255) as last written; absent = 0. */
  mbusClearStatusMask?: Record<number, number>;
  /** The configuration object 0-1:94.31.3.255 attribute 2 as last written; unset: the profile's initial value (./configuration-object.ts). */
  configurationObject?: DlmsData;
  /** The definable load profile's capture objects and period as written (./power-quality.ts); unset: the defaults. */
  definableLoadProfile?: DefinableLoadProfileState;
  /** The special days table's entries (class 11 attribute 2; ./calendar.ts); unset: empty. */
  specialDays?: DlmsData[];
  /** The activity calendar (class 20; ./calendar.ts); unset: empty. */
  activityCalendar?: CalendarState;
}

/** The test keys and titles (docs/dlms.md#roles-addresses-and-keys) and the worked example's G-meter (docs/dlms.md#worked-example). */
export const TEST_KEYS = {
  ek: '000102030405060708090A0B0C0D0E0F',
  ak: 'D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF',
  mk: '00112233445566778899AABBCCDDEEFF',
  systemTitle: '4B464D1020000001',
  gMeterDefaultKey: '0F0E0D0C0B0A09080706050403020100',
} as const;

export const TEST_GMETER = {
  primaryAddress: 9,
  identification: '12056731',
  manufacturer: 'FLO',
  version: 80,
  deviceType: 3,
} as const;

export function testGMeter(): GMeterState {
  return { ...TEST_GMETER, defaultKey: Buffer.from(TEST_KEYS.gMeterDefaultKey, 'hex') };
}

/**
 * Encryption key status, attribute 14 (docs/dlms.md#m-bus-client-class-72, #simulator): 1 set only, 2 transferred only, 3 both,
 * 4 when the transferred key equals the set key (the G-meter accepted it).
 */
export function encryptionKeyStatus(g: GMeterState | undefined): number {
  if (!g) return 0;
  const { transferredKey: t, setKey: s } = g;
  if (t && s) return t.equals(s) ? 4 : 3;
  if (t) return 2;
  if (s) return 1;
  return 0;
}

function key(hex: string | Buffer, what: string): Buffer {
  const b = typeof hex === 'string' ? Buffer.from(hex, 'hex') : hex;
  if (b.length !== 16) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `${what} must be 16 bytes (32 hex digits)`);
  return b;
}

export interface MeterOptions {
  profile?: MeterProfile;
  systemTitle?: string | Buffer;
  ek?: string | Buffer;
  ak?: string | Buffer;
  mk?: string | Buffer;
  /** Channels 1..4; when omitted channel 1 holds the documented test G-meter. */
  channels?: (GMeterState | undefined)[];
  lastClientIc?: number;
  meterIc?: number;
}

export function createMeterState(options: MeterOptions = {}): MeterState {
  const systemTitle = typeof options.systemTitle === 'string' ? Buffer.from(options.systemTitle, 'hex') : options.systemTitle ?? Buffer.from(TEST_KEYS.systemTitle, 'hex');
  if (systemTitle.length !== 8) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, 'system title must be 8 bytes (16 hex digits)');
  const channels = options.channels ? [...options.channels] : [testGMeter()];
  while (channels.length < 4) channels.push(undefined);
  if (channels.length > 4) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, 'a gateway has at most 4 M-Bus channels');
  return {
    profile: options.profile ?? 'smr5',
    systemTitle,
    keys: { ek: key(options.ek ?? TEST_KEYS.ek, 'EK'), ak: key(options.ak ?? TEST_KEYS.ak, 'AK'), mk: key(options.mk ?? TEST_KEYS.mk, 'master key') },
    lastClientIc: options.lastClientIc ?? 0,
    meterIc: options.meterIc ?? 100,
    clockOffsetMs: 0,
    channels,
    icObjectPublishesNext: true,
    equipmentId: `E${systemTitle.toString('hex').toUpperCase()}`,
  };
}

/** Derives a distinct system title for meter `index` of a fleet: the last 4 bytes count up. */
export function fleetSystemTitle(base: Buffer, index: number): Buffer {
  const t = Buffer.from(base);
  t.writeUInt32BE((t.readUInt32BE(4) + index) >>> 0, 4);
  return t;
}

export function randomKey(): Buffer {
  return randomBytes(16);
}

// ---------------------------------------------------------------------------------------------------------------
// JSON state (the file holds simulated meter keys in clear: a simulator only)

type Json = Record<string, unknown>;

function b2h(b: Buffer | undefined): string | undefined {
  return b?.toString('hex').toUpperCase();
}

export function meterStateToJson(m: MeterState): Json {
  return {
    profile: m.profile,
    systemTitle: b2h(m.systemTitle),
    ek: b2h(m.keys.ek),
    ak: b2h(m.keys.ak),
    mk: b2h(m.keys.mk),
    lastClientIc: m.lastClientIc,
    meterIc: m.meterIc,
    clockOffsetMs: m.clockOffsetMs,
    icObjectPublishesNext: m.icObjectPublishesNext,
    equipmentId: m.equipmentId,
    ...(m.alarmRegisters ? { alarmRegisters: { ...m.alarmRegisters } } : {}),
    ...(m.configuration ? { configuration: { ...m.configuration } } : {}),
    ...(m.mbusClearStatusMask ? { mbusClearStatusMask: { ...m.mbusClearStatusMask } } : {}),
    channels: m.channels.map((g) =>
      g
        ? {
            primaryAddress: g.primaryAddress,
            identification: g.identification,
            manufacturer: g.manufacturer,
            version: g.version,
            deviceType: g.deviceType,
            defaultKey: b2h(g.defaultKey),
            transferredKey: b2h(g.transferredKey),
            setKey: b2h(g.setKey),
            ...(g.mbusStatus ? { mbusStatus: g.mbusStatus } : {}),
          }
        : null,
    ),
  };
}

export function meterStateFromJson(j: Json): MeterState {
  const s = (k: string) => {
    const v = j[k];
    if (typeof v !== 'string') throw new MeterfabricError(ErrorCode.CONFIGURATION_ERROR, `simulator state: ${k} missing`);
    return v;
  };
  const n = (k: string) => {
    const v = j[k];
    if (typeof v !== 'number') throw new MeterfabricError(ErrorCode.CONFIGURATION_ERROR, `simulator state: ${k} missing`);
    return v;
  };
  const channels = (Array.isArray(j.channels) ? j.channels : []).map((c: unknown) => {
    if (!c || typeof c !== 'object') return undefined;
    const g = c as Json;
    const opt = (k: string) => (typeof g[k] === 'string' ? Buffer.from(g[k] as string, 'hex') : undefined);
    return {
      primaryAddress: Number(g.primaryAddress ?? 0),
      identification: String(g.identification),
      manufacturer: String(g.manufacturer),
      version: Number(g.version),
      deviceType: Number(g.deviceType),
      defaultKey: Buffer.from(String(g.defaultKey), 'hex'),
      transferredKey: opt('transferredKey'),
      setKey: opt('setKey'),
      ...(typeof g.mbusStatus === 'number' ? { mbusStatus: g.mbusStatus } : {}),
    } satisfies GMeterState;
  });
  const m = createMeterState({
    profile: s('profile') === 'dsmr4' ? 'dsmr4' : 'smr5',
    systemTitle: s('systemTitle'),
    ek: s('ek'),
    ak: s('ak'),
    mk: s('mk'),
    channels,
    lastClientIc: n('lastClientIc'),
    meterIc: n('meterIc'),
  });
  m.clockOffsetMs = typeof j.clockOffsetMs === 'number' ? j.clockOffsetMs : 0;
  m.icObjectPublishesNext = j.icObjectPublishesNext !== false;
  if (typeof j.equipmentId === 'string') m.equipmentId = j.equipmentId;
  if (j.alarmRegisters && typeof j.alarmRegisters === 'object') {
    m.alarmRegisters = Object.fromEntries(Object.entries(j.alarmRegisters as Json).filter(([, v]) => typeof v === 'number')) as Record<number, number>;
  }
  if (j.configuration && typeof j.configuration === 'object') {
    m.configuration = Object.fromEntries(Object.entries(j.configuration as Json).filter(([, v]) => typeof v === 'string' && /^(?:[0-9A-F]{2})+$/.test(v))) as Record<string, string>;
  }
  if (j.mbusClearStatusMask && typeof j.mbusClearStatusMask === 'object') {
    m.mbusClearStatusMask = Object.fromEntries(Object.entries(j.mbusClearStatusMask as Json).filter(([, v]) => typeof v === 'number')) as Record<number, number>;
  }
  return m;
}
