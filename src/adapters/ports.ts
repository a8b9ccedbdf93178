/**
 * What the command executors need from the rest of the platform, as narrow interfaces. The executors hold the
 * operation logic (which steps, in which order, what to store when); these ports are bound to the real DLMS
 * session, secret store and device inventory in ./bindings.ts.
 */
import type { ChannelElementValues, GMeterSecretType } from '../platform/operations.ts';
import type { DlmsData } from '../dlms/axdr.ts';
import type { MbusChannelIdentity, MbusChannelReading, ObjectListElement } from '../cosem/index.ts';
import type { MeterValues, RegisterRef, RegisterReading } from '../session/registers.ts';
import type { ProfileRead, ProfileReadRequest } from '../session/profiles.ts';
import type { EventLogDefinition } from '../cosem/index.ts';
import type { ProfileEntry } from '../dlms/profile.ts';
import type { GetDataResult } from '../dlms/apdu/index.ts';
import type { Obis } from '../dlms/obis.ts';

/** A COSEM attribute by class, logical name and attribute id. */
export interface AttributeAddress {
  classId: number;
  obis: Obis;
  attributeId: number;
}
/** A COSEM method by class, logical name and method id. */
export interface MethodAddress {
  classId: number;
  obis: Obis;
  methodId: number;
}
import type { GsmDiagnosticReading } from '../session/diagnostics.ts';
import type { CommunicationMethod } from '../cosem/index.ts';


/** The M-Bus transfer_key format a gateway protocol uses (docs/dlms.md#transfer-key-blob), or undefined when unsupported. */
export function transferKeyFormat(protocol: string): 'DSMR4' | 'SMR5' | undefined {
  if (protocol === 'DSMR 4.2.2') return 'DSMR4';
  if (/^SMR 5(\.\d+)*$/.test(protocol)) return 'SMR5';
  return undefined;
}

/** Class 72 version a gateway protocol uses (docs/dlms.md#m-bus-client-class-72). */
export function mbusClassVersion(protocol: string): 0 | 1 {
  return /^SMR 5/.test(protocol) ? 1 : 0;
}

export interface GatewayRecord {
  deviceIdentification: string;
  protocol: string;
}

export interface MbusDeviceRecord {
  deviceIdentification: string;
  identificationNumber?: string;
  manufacturerIdentification?: string;
  version?: number;
  deviceTypeIdentification?: number;
  primaryAddress?: number;
  gatewayDeviceIdentification?: string;
  channel?: number;
}

/**
 * One open, authenticated association with a gateway E-meter. Values are DLMS-native (as the meter sends and takes
 * them); the executors make GXF's texts once, where they build the operation's result (src/cosem/mbus.ts
 * channelElementValues / channelIdentity).
 */
export interface GatewayLink {
  /** class 72 attributes 5..9 */
  readChannel(channel: number): Promise<MbusChannelReading>;
  scanChannels(): Promise<MbusChannelReading[]>;
  /** class 72 method 8; throws when the meter answers anything but success */
  transferKey(channel: number, blob: Buffer): Promise<void>;
  /** class 72 method 7, the plain key inside the ciphered association */
  setEncryptionKey(channel: number, key: Buffer): Promise<void>;
  /** class 72 method 6 with its array parameter (docs/dlms.md#data-send) */
  dataSend(channel: number, parameter: DlmsData): Promise<void>;
  /** class 72 attribute 14 (0..4) */
  readEncryptionKeyStatus(channel: number): Promise<number>;
  /** class 72 attributes 5..9 (SET), coded for the gateway's class 72 version */
  writeChannelIdentity(channel: number, identity: MbusChannelIdentity): Promise<void>;
  slaveDeinstall(channel: number): Promise<void>;
  /** class 72 method 4 (reset_alarm) with integer(0); throws ACTION_RESULT when the meter refuses */
  resetMbusAlarm(channel: number): Promise<void>;
  /** class 8 attribute 2 of 0-0:1.0.0.255 (SET) with a 12-byte COSEM date-time; throws when the meter answers anything but success */
  setClock(dateTime: Buffer): Promise<void>;
  /** class 15 attribute 2 (object_list) of the current association 0-0:40.0.0.255, as the meter sends it */
  readObjectList(): Promise<ObjectListElement[]>;
  /**
   * The clock time (class 8 attribute 2, when `clock`) and each register's value and scaler_unit (and class 4's
   * capture_time) as the meter sends them, in one get-request-with-list where the meter allows it, one GET each
   * otherwise; any non-success result throws DATA_ACCESS_RESULT.
   */
  readMeterValues(request: { clock: boolean; registers: readonly RegisterRef[] }): Promise<MeterValues>;
  /**
   * A profile generic (class 7): capture_objects when asked for, the buffer with selective access, then the
   * scaler_unit of the given registers (src/session/profiles.ts); any non-success result throws DATA_ACCESS_RESULT.
   */
  readProfile?(request: ProfileReadRequest): Promise<ProfileRead>;
  /** An event log's entries from..to: class 7 attribute 2 by a range on the clock's time, all columns (src/session/event-logs.ts). */
  readEventLog(log: EventLogDefinition, window: { from: Date; to: Date; zone?: string }): Promise<ProfileEntry[]>;
  /** GET of attributes; each result as the meter sent it (data or Data-Access-Result). */
  getAttributes(refs: AttributeAddress[]): Promise<GetDataResult[]>;
  /** SET of one attribute; the Data-Access-Result as the meter sent it (0 = success). */
  setAttribute(ref: AttributeAddress, value: DlmsData): Promise<number>;
  /**
   * SET of several attributes, in set-request-with-list chunks where the meter allows it (one SET each otherwise); one
   * Data-Access-Result per attribute, in order (0 = success).
   */
  setAttributes(writes: { ref: AttributeAddress; value: DlmsData }[]): Promise<number[]>;
  /** class 64 method 2 (global_key_transfer) of 0-0:43.0.0.255 with its parameter; throws ACTION_RESULT when the meter refuses */
  globalKeyTransfer(parameter: DlmsData): Promise<void>;
  /** The open association uses these keys from its next APDU on (after a successful global_key_transfer). */
  switchKeys(keys: { ak?: Buffer; ek?: Buffer }): void;
  /** ACTION of a method with its parameter; the Action-Result as the meter sent it (0 = success). */
  action(ref: MethodAddress, parameter: DlmsData): Promise<number>;
  /** Class 47 attributes 2..8 of the GSM diagnostic object of a communication method; any non-success throws DATA_ACCESS_RESULT. */
  readGsmDiagnostic(method: CommunicationMethod): Promise<GsmDiagnosticReading>;
  release(): Promise<void>;
}

export interface SecretPort {
  getActive(deviceId: string, type: string): Promise<{ secretId: number; key: Buffer } | undefined>;
  getOrGeneratePending(deviceId: string, type: string, ctx: AuditContext): Promise<{ secretId: number; key: Buffer; reused: boolean }>;
  markSent(deviceId: string, type: string, secretId: number, ctx: AuditContext): Promise<void>;
  activate(deviceId: string, type: string, secretId: number, ctx: AuditContext): Promise<void>;
}

export interface AuditContext {
  actor: string;
  reason: string;
}

export interface InventoryPort {
  getGateway(deviceIdentification: string): Promise<GatewayRecord>;
  getMbusDevice(deviceIdentification: string): Promise<MbusDeviceRecord | undefined>;
  /** The gas meter with this M-Bus identity (unique in the inventory), whoever owns it: check mayActOn before use. */
  findMbusDeviceByIdentity(identificationNumber: string, manufacturerIdentification: string): Promise<MbusDeviceRecord | undefined>;
  /** Whether the organisation may perform deviceFunction on the device (its authorisations, OWNER holds all). */
  mayActOn(organisationIdentification: string, deviceIdentification: string, deviceFunction: string): Promise<boolean>;
  /**
   * Records that the M-Bus device sits on this gateway channel, as the meter reports it: any other device the
   * inventory still has on that channel is decoupled (repairs stale couplings). Callers that found the device by
   * a reported identity check it first (./mbus-identity.ts).
   */
  setCoupling(mbusDeviceIdentification: string, gatewayDeviceIdentification: string | null, channel: number | null, primaryAddress?: number | null): Promise<void>;
  mbusDevicesOnGateway(gatewayDeviceIdentification: string): Promise<MbusDeviceRecord[]>;
  /** Next SMR5 key change counter for an M-Bus device: strictly increasing, persisted before it is returned. */
  nextKeyChangeCounter(mbusDeviceIdentification: string, atLeast: number): Promise<number>;
  /** The device's time zone (IANA id) as SynchronizeTime records it (GXF keeps it on the DLMS device), or undefined. */
  getTimezone(deviceIdentification: string): Promise<string | undefined>;
  setTimezone(deviceIdentification: string, timezone: string): Promise<void>;
  /**
   * GXF's selective-access flags of a device (docs/gxf.md#selective-access-flags): `periodicColumnSelection`
   * (selective_access_periodic_meter_reads_supported, default true) and `selectiveAccess` (selective_access_supported,
   * default false). Absent = the defaults.
   */
  getReadFlags?(deviceIdentification: string): Promise<{ periodicColumnSelection: boolean; selectiveAccess: boolean }>;
  /** Whether the device is polyphase (GXF's dlms_device.polyphase, default false); absent = false. */
  isPolyphase?(deviceIdentification: string): Promise<boolean>;
  /**
   * Records the HLS3/4/5 flags read from the meter's configuration object (GXF's dlms_device hls*_active), with an
   * audit row when one changed; a flag left undefined stays as stored. Absent = not recorded.
   */
  setHlsActive?(deviceIdentification: string, flags: { hls3Active?: boolean; hls4Active?: boolean; hls5Active?: boolean }, audit: { correlationUid?: string; organisationIdentification?: string; messageType?: string }): Promise<void>;
}

export interface LinkFactory {
  /** Opens an association with the gateway (throttled, with its keys and invocation counter). */
  open(gatewayDeviceIdentification: string, signal?: AbortSignal): Promise<GatewayLink>;
}

export interface ExecutorDeps {
  links: LinkFactory;
  secrets: SecretPort;
  inventory: InventoryPort;
  now?: () => Date;
}

export type { MeterValues, RegisterRef, RegisterReading, ProfileRead, ProfileReadRequest, GsmDiagnosticReading, CommunicationMethod };
export type { ChannelElementValues, GMeterSecretType, MbusChannelIdentity, MbusChannelReading, ObjectListElement };
