/**
 * Binds the executors' ports to the real components: DLMS sessions (src/session), the secret store
 * (src/secrets) and the device inventory (src/platform); the executors are the catalogue's (src/operations/executors.ts).
 */
import { MeterfabricError, ErrorCode } from '../errors.ts';
import type { Db, Queryable } from '../platform/db/db.ts';
import {
  decoupleOthersOnChannel, findDevice, findDeviceAndSystemTitle, findMbusDeviceByIdentity, getDevice, isAuthorised, listDevices, mayOverwriteDevice, replaceDevice,
  setCoupling as setDeviceCoupling, addDevice as addInventoryDevice, setMbusPrimaryAddress, recordMeterSystemTitle,
} from '../platform/inventory.ts';
import { nextMbusKeyChangeCounter } from '../platform/mbus-key-change-counters.ts';
import type { Device } from '../platform/inventory.ts';
import { getDeviceInstallation, saveDeviceInstallation, setDeviceTimezone, type DeviceInstallation } from '../platform/device-installation.ts';
import { setHlsActive } from '../platform/device-installation.ts';
import { DbInvocationCounterStore } from '../platform/invocation-counters.ts';
import type { ConnectionThrottle } from '../platform/throttle.ts';
import type { InstallationPort, ManagementPort } from '../operations/define.ts';
import { communicationMethod, setCommunicationSettings, setLifecycleStatus, updateProtocol } from '../platform/device-management.ts';
import { findMessageLogs, messageLogWriter, setDebugMode, type MessageLogContext } from '../platform/message-log.ts';
import { DlmsSession, type ConnectionOptions } from '../session/client.ts';
import { MbusGateway } from '../session/mbus.ts';
import { readProfile, type ProfileReadRequest } from '../session/profiles.ts';
import { getResults, readEventLog, setResult } from '../session/event-logs.ts';
import { actionResult } from '../session/image-transfer.ts';
import type { FirmwarePort } from './firmware.ts';
import { clearTransferProgress, findFirmwareFile, firmwareHash, getTransferProgress, saveTransferProgress } from '../platform/firmware.ts';
import type { EventLogDefinition } from '../cosem/index.ts';
import type { DlmsData } from '../dlms/axdr.ts';
import { manufacturerValue } from '../cosem/mbus.ts';
import { buildDsmr4TransferKey, buildSmr5TransferKey, mbusKeyDataSendParameter } from '../dlms/security/mbus-transfer-key.ts';
import type { SecretStore } from '../secrets/store.ts';
import type { ClientKeyPair } from '../secrets/client-keys.ts';
import type { SecretType } from '../secrets/types.ts';
import { mbusClassVersion, type AttributeAddress, type MethodAddress, type GatewayLink, type InventoryPort, type LinkFactory, type MbusDeviceRecord, type SecretPort } from './ports.ts';
import type { KeyBlobs } from './mbus-keys.ts';
import { inSpan } from '../observability/tracing.ts';
import { recordContact } from '../platform/fleet.ts';
import { associateRecovering } from './emeter-keys.ts';
import { SecuritySetupClass, WellKnownObis } from '../cosem/index.ts';

/** The M-Bus key blobs of docs/dlms.md#m-bus-key-transfer, from the dlms security layer. */
export const dlmsKeyBlobs: KeyBlobs = {
  dsmr4TransferKey: (defaultKey, newKey) => buildDsmr4TransferKey(defaultKey, newKey),
  smr5TransferKey: (defaultKey, newKey, p) =>
    buildSmr5TransferKey({
      defaultKey,
      newKey,
      identificationNumber: p.identificationNumber,
      manufacturerId: manufacturerValue(p.manufacturerIdentification),
      kcc: p.keyChangeCounter,
      keyId: p.keyId,
    }),
  smr5DataSendParameter: (blob) => mbusKeyDataSendParameter(blob),
};

/** GXF's client system title: 20 20 20 + 5-byte number from the gateway id after its 5th character (docs/dlms.md#roles-addresses-and-keys). */
export function clientSystemTitle(gatewayDeviceIdentification: string): Buffer {
  const digits = gatewayDeviceIdentification.substring(5).replace(/\D/g, '');
  const n = digits ? BigInt(digits.slice(-12)) % 2n ** 40n : 0n;
  const title = Buffer.alloc(8, 0x20);
  for (let i = 0; i < 5; i++) title[7 - i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return title;
}

function toMbusRecord(d: Device): MbusDeviceRecord {
  return {
    deviceIdentification: d.deviceIdentification,
    identificationNumber: d.mbusIdentificationNumber ?? undefined,
    manufacturerIdentification: d.mbusManufacturerIdentification ?? undefined,
    version: d.mbusVersion ?? undefined,
    deviceTypeIdentification: d.mbusDeviceTypeIdentification ?? undefined,
    primaryAddress: d.mbusPrimaryAddress ?? undefined,
    gatewayDeviceIdentification: d.gatewayDeviceIdentification ?? undefined,
    channel: d.channel ?? undefined,
  };
}

function protocolOf(d: Device): string {
  return `${d.protocolName ?? ''} ${d.protocolVersion ?? ''}`.trim();
}

/**
 * Device rows read during one request's execution, each read once: the operation reads its gateway and the link
 * reads it again to connect. Any inventory write through the request's ports forgets them.
 */
export interface DeviceReads {
  find(id: string): Promise<(Device & { meterSystemTitle?: string | null }) | undefined>;
  /** The device's installation row (time zone, read flags), read once as well. */
  installation?(id: string): Promise<DeviceInstallation | undefined>;
  forget(): void;
}

export function deviceReads(db: Db): DeviceReads {
  const rows = new Map<string, Promise<(Device & { meterSystemTitle: string | null }) | undefined>>();
  const installations = new Map<string, Promise<DeviceInstallation | undefined>>();
  return {
    find(id) {
      let p = rows.get(id);
      if (!p) {
        p = findDeviceAndSystemTitle(db, id);
        rows.set(id, p);
        p.catch(() => rows.delete(id));
      }
      return p;
    },
    installation(id) {
      let p = installations.get(id);
      if (!p) {
        p = getDeviceInstallation(db, id);
        installations.set(id, p);
        p.catch(() => installations.delete(id));
      }
      return p;
    },
    forget: () => {
      rows.clear();
      installations.clear();
    },
  };
}

export function inventoryPort(db: Db, reads: DeviceReads = deviceReads(db)): InventoryPort {
  return {
    async getGateway(id) {
      const d = await reads.find(id);
      if (!d || d.deviceType !== 'SMART_METER_E') {
        throw new MeterfabricError(ErrorCode.UNKNOWN_DEVICE, `SmartMeter with id "${id}" could not be found.`, { component: 'DOMAIN_SMART_METERING', retryable: false });
      }
      return { deviceIdentification: d.deviceIdentification, protocol: protocolOf(d) };
    },
    async getMbusDevice(id) {
      const d = await reads.find(id);
      return d && d.deviceType === 'SMART_METER_G' ? toMbusRecord(d) : undefined;
    },
    async findMbusDeviceByIdentity(identificationNumber, manufacturer) {
      const d = await findMbusDeviceByIdentity(db, identificationNumber, manufacturer);
      return d ? toMbusRecord(d) : undefined;
    },
    mayActOn: (organisation, deviceIdentification, deviceFunction) => isAuthorised(db, organisation, deviceIdentification, deviceFunction),
    async setCoupling(mbusId, gateway, channel, primaryAddress) {
      reads.forget();
      await db.tx(async (q) => {
        // Callers record what the meter reports on that channel, so any other device the inventory still has
        // there is stale (a replaced gas meter): it is decoupled, as DecoupleMbusDevice would leave it.
        if (gateway !== null && channel !== null) await decoupleOthersOnChannel(q, gateway, channel, mbusId);
        await setDeviceCoupling(q, mbusId, gateway, channel);
        if (primaryAddress !== undefined) await setMbusPrimaryAddress(q, mbusId, primaryAddress);
      });
    },
    async mbusDevicesOnGateway(gateway) {
      return (await listDevices(db, { gatewayDeviceIdentification: gateway })).map(toMbusRecord);
    },
    nextKeyChangeCounter: (mbusId, atLeast) => nextMbusKeyChangeCounter(db, mbusId, atLeast),
    getTimezone: async (id) => (await (reads.installation ? reads.installation(id) : getDeviceInstallation(db, id)))?.timezone,
    async getReadFlags(id) {
      const d = await (reads.installation ? reads.installation(id) : getDeviceInstallation(db, id));
      return { periodicColumnSelection: d?.selectiveAccessPeriodicMeterReadsSupported ?? true, selectiveAccess: d?.selectiveAccessSupported ?? false };
    },
    setTimezone: (id, timezone) => {
      reads.forget();
      return setDeviceTimezone(db, id, timezone);
    },
    isPolyphase: async (id) => (await (reads.installation ? reads.installation(id) : getDeviceInstallation(db, id)))?.polyphase ?? false,
    async setHlsActive(id, flags, audit) {
      reads.forget();
      await db.tx((q) => setHlsActive(q, id, flags, audit));
    },
  };
}

export function secretPort(store: SecretStore): SecretPort {
  return {
    getActive: (id, type) => store.getActive(id, type as SecretType),
    getOrGeneratePending: (id, type, ctx) => store.getOrGeneratePending(id, type as SecretType, ctx),
    markSent: (id, type, secretId, ctx) => store.markSent(id, type as SecretType, secretId, ctx),
    activate: (id, type, secretId, ctx) => store.activate(id, type as SecretType, secretId, ctx),
  };
}

export interface LinkOptions {
  connectTimeoutMs?: number;
  responseTimeoutMs?: number;
}

/**
 * Opens throttled, authenticated associations with gateways, using their stored keys and invocation counters. A
 * gateway in debug mode (EnableDebugging) gets an APDU observer that writes its message log, with `context`.
 * With `reads`, the factory serves one request (src/operations/executors.ts), under its gateway's exchange lock.
 */
export function linkFactory(
  db: Db, store: SecretStore, throttle: ConnectionThrottle | undefined, options: LinkOptions = {}, context: MessageLogContext = {}, reads?: DeviceReads,
): LinkFactory {
  // One request's link (under its gateway's exchange lock): the counter read reserves the session's first block of 8.
  const counters = new DbInvocationCounterStore(db as Queryable, { remember: reads !== undefined, prefetch: 8 });
  return {
    async open(gatewayId, signal) {
      const d: (Device & { meterSystemTitle?: string | null }) | undefined = reads ? await reads.find(gatewayId) : await getDevice(db, gatewayId);
      if (!d) throw new MeterfabricError(ErrorCode.UNKNOWN_DEVICE, `Device ${gatewayId} is unknown`, { component: 'DOMAIN_CORE' });
      if (!d.host || !d.port) {
        throw new MeterfabricError(ErrorCode.INVALID_IP_ADDRESS, `Device ${gatewayId} has no network address`, { retryable: false });
      }
      const release = throttle ? await throttle.acquire(signal, { device: gatewayId }) : () => undefined;
      const messageLog = d.inDebugMode ? messageLogWriter(db) : undefined;
      try {
        const connection: ConnectionOptions = {
          host: d.host,
          port: d.port,
          framing: d.transport === 'HDLC' ? 'hdlc' : 'wrapper',
          connectTimeoutMs: options.connectTimeoutMs,
          responseTimeoutMs: options.responseTimeoutMs,
          withListMax: d.withListMax ?? 32,
          ...(messageLog ? { apduObserver: messageLog.observer(gatewayId, context) } : {}),
        };
        // The ACTIVE keys, then keys a cut-off key change may have left on the meter (./emeter-keys.ts).
        const session = await associateRecovering(store, gatewayId, (keys) => inSpan('dlms.associate', { 'meterfabric.device': gatewayId, 'meterfabric.transport': connection.framing }, () => DlmsSession.openManagement({
          ...connection,
          deviceId: gatewayId,
          clientSystemTitle: clientSystemTitle(gatewayId),
          ak: keys.ak,
          ek: keys.ek,
          invocationCounters: counters,
          challengeLength: d.challengeLength ?? 16,
        })), { actor: 'meterfabric', reason: `key recovery at an association with ${gatewayId}` });
        // Learned from the AARE: lets ciphered pushes of this meter be deciphered (src/adapters/push-alarms.ts).
        const title = session.meterSystemTitle?.toString('hex').toUpperCase();
        // Written only when it changed (the row read for this request already holds it).
        if (title && title !== d.meterSystemTitle) {
          await recordMeterSystemTitle(db, gatewayId, title).catch(() => undefined);
        }
        // The fleet view's last contact (src/platform/fleet.ts); not awaited: the exchange does not wait for it.
        void recordContact(db, gatewayId).catch(() => undefined);
        // An abort during the association (time limit reached) must not let the exchange go on.
        if (signal?.aborted) {
          session.destroy();
          throw signal.reason;
        }
        const abort = () => session.destroy();
        signal?.addEventListener('abort', abort, { once: true });
        const gateway = new MbusGateway(session, mbusClassVersion(protocolOf(d)));
        // Each meter operation is a span (child of the executor's span, which carries the correlation uid).
        const traced = <A extends unknown[], R>(name: string, f: (...a: A) => Promise<R>) => (...a: A) =>
          inSpan(`dlms.${name}`, { 'meterfabric.device': gatewayId, ...(typeof a[0] === 'number' ? { 'meterfabric.channel': a[0] } : {}) }, () => f.apply(gateway, a));
        const link: GatewayLink = {
          readChannel: traced('readChannel', gateway.readChannelReading),
          scanChannels: traced('scanChannels', gateway.scanChannelReadings),
          transferKey: traced('transferKey', gateway.transferKey),
          setEncryptionKey: traced('setEncryptionKey', gateway.setEncryptionKey),
          dataSend: traced('dataSend', gateway.dataSend),
          readEncryptionKeyStatus: traced('readEncryptionKeyStatus', gateway.readEncryptionKeyStatus),
          writeChannelIdentity: traced('writeChannelIdentity', gateway.writeIdentity),
          slaveDeinstall: traced('slaveDeinstall', gateway.slaveDeinstall),
          resetMbusAlarm: traced('resetMbusAlarm', gateway.resetAlarm),
          setClock: traced('setClock', gateway.setClock),
          readObjectList: traced('readObjectList', gateway.readObjectList),
          readMeterValues: traced('readMeterValues', gateway.readMeterValues),
          readProfile: traced('readProfile', (request: ProfileReadRequest) => readProfile(session, request)),
          readEventLog: traced('readEventLog', (log: EventLogDefinition, window: { from: Date; to: Date; zone?: string }) => readEventLog(session, log, window)),
          getAttributes: traced('getAttributes', (refs: AttributeAddress[]) => getResults(session, refs)),
          setAttribute: traced('setAttribute', (ref: AttributeAddress, value: DlmsData) => setResult(session, ref, value)),
          setAttributes: traced('setAttributes', (writes: { ref: AttributeAddress; value: DlmsData }[]) => session.setMany(writes)),
          action: traced('action', (ref: MethodAddress, parameter: DlmsData) => actionResult(session, ref, parameter)),
          globalKeyTransfer: traced('globalKeyTransfer', async (parameter: DlmsData) => {
            if (parameter.type !== 'array') throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, 'global_key_transfer takes an array', { retryable: false });
            await session.invoke(SecuritySetupClass, WellKnownObis.SECURITY_SETUP, 'global_key_transfer', parameter.value);
          }),
          switchKeys: (keys) => session.switchKeys(keys),
          readGsmDiagnostic: traced('readGsmDiagnostic', gateway.readGsmDiagnostic),
          release: async () => {
            signal?.removeEventListener('abort', abort);
            try {
              await gateway.release();
            } finally {
              // The permit is back before the result is stored: a caller who sees the result and asks again at once
              // is not denied by the permit of the request that has just finished.
              await release();
              await messageLog?.flush();
            }
          },
        };
        return link;
      } catch (e) {
        await release();
        void messageLog?.flush();
        throw e;
      }
    },
  };
}

export interface ExecutorComponents {
  db: Db;
  secrets: SecretStore;
  clientKeys: ClientKeyPair;
  /** Replaces the platform's in-process throttle (mode `shared` or `disabled`, src/platform/permits.ts). */
  throttle?: ConnectionThrottle;
  link?: LinkOptions;
  /** Attempts and pause of one E-meter key change within one execution (./emeter-keys.ts). */
  emeterKeys?: { attempts?: number; retryDelayMs?: number };
  /** Retries and pacing of UpdateFirmware within one execution (./firmware.ts). */
  firmware?: FirmwareOptions;
}

/** AddDevice's inventory writes and key store (src/operations/installation/add-device.ts). */
export function installationPort(db: Db, secrets: SecretStore, clientKeys: ClientKeyPair): InstallationPort {
  return {
    deviceExists: async (id) => Boolean(await findDevice(db, id)),
    mayOverwrite: (organisation, id) => mayOverwriteDevice(db, organisation, id),
    decryptClientKey: (hex) => clientKeys.decryptClientKey(hex),
    async saveDevice(description, installation, o) {
      return db.tx(async (q) => {
        const now = await findDevice(q, description.deviceIdentification);
        if (!now) {
          await addInventoryDevice(q, { ...description, ownerOrganisationIdentification: o.owner });
        } else {
          if (!o.overwrite) return 'exists' as const;
          if (!(await mayOverwriteDevice(q, o.owner, description.deviceIdentification))) return 'not-owner' as const;
          await replaceDevice(q, description);
        }
        await saveDeviceInstallation(q, description.deviceIdentification, installation as DeviceInstallation);
        return 'saved' as const;
      });
    },
    async storeActiveKey(id, type, key, ctx) {
      await secrets.storeActive(id, type as SecretType, key, ctx);
    },
  };
}

/** The Management operations' inventory writes and the message log (src/operations/management). */
/** The Management service's device writes; `onWrite` runs before each (a request's cached device rows are dropped). */
export function managementPort(db: Db, onWrite: () => void = () => {}): ManagementPort {
  return {
    async setDebugMode(id, enabled) {
      onWrite();
      if (!(await setDebugMode(db, id, enabled))) {
        throw new MeterfabricError(ErrorCode.UNKNOWN_DEVICE, `Device ${id} is unknown`, { component: 'DOMAIN_CORE', retryable: false });
      }
    },
    findMessageLogs: (id, page) => findMessageLogs(db, { deviceIdentification: id, page }),
    setCommunicationSettings: (id, settings) => { onWrite(); return db.tx((q) => setCommunicationSettings(q, id, settings)); },
    updateProtocol: (id, p) => { onWrite(); return db.tx((q) => updateProtocol(q, id, p)); },
    setLifecycleStatus: (id, status) => { onWrite(); return setLifecycleStatus(db, id, status); },
    communicationMethod: (id) => communicationMethod(db, id),
  };
}

export type FirmwareOptions = Pick<FirmwarePort, 'attempts' | 'retryDelayMs' | 'pollIntervalMs' | 'progressEvery'>;

/** The firmware file store and transfer progress (src/platform/firmware.ts) as UpdateFirmware's port (./firmware.ts). */
export function firmwarePort(db: Db, o: FirmwareOptions = {}): FirmwarePort {
  return {
    ...o,
    findFile: async (identification) => findFirmwareFile(db, identification),
    async deviceModel(id) {
      const d = await getDeviceInstallation(db, id);
      return d?.deviceModel ? { manufacturer: d.deviceModel.manufacturer, ...(d.deviceModel.modelCode ? { modelCode: d.deviceModel.modelCode } : {}) } : undefined;
    },
    getProgress: (id) => getTransferProgress(db, id),
    saveProgress: (id, p) => saveTransferProgress(db, { deviceIdentification: id, ...p }),
    clearProgress: (id) => clearTransferProgress(db, id),
    hashOf: firmwareHash,
  };
}
