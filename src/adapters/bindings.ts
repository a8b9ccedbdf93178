/**
 * Binds the executors' ports to the real components: DLMS sessions (src/session), the secret store
 * (src/secrets), the device inventory (src/platform), and registers one executor per operation on the platform.
 */
import { MeterfabricError, ErrorCode } from '../errors.ts';
import type { Db, Queryable } from '../platform/db/db.ts';
import {
  decoupleOthersOnChannel, findDevice, findMbusDeviceByIdentity, getDevice, isAuthorised, listDevices, mayOverwriteDevice, replaceDevice,
  setCoupling as setDeviceCoupling, addDevice as addInventoryDevice, setMbusPrimaryAddress, recordMeterSystemTitle,
} from '../platform/inventory.ts';
import { nextMbusKeyChangeCounter } from '../platform/mbus-key-change-counters.ts';
import type { Device } from '../platform/inventory.ts';
import { getDeviceInstallation, saveDeviceInstallation, setDeviceTimezone, type DeviceInstallation } from '../platform/device-installation.ts';
import { DbInvocationCounterStore } from '../platform/invocation-counters.ts';
import type { Platform, OperationContext, OperationExecutor } from '../platform/platform.ts';
import { forRequest, type ConnectionThrottle } from '../platform/throttle.ts';
import { MessageType, type AddDevicePayload, type Payloads } from '../platform/operations.ts';
import { DlmsSession, type ConnectionOptions } from '../session/client.ts';
import { MbusGateway, manufacturerValue } from '../session/mbus.ts';
import { buildDsmr4TransferKey, buildSmr5TransferKey, mbusKeyDataSendParameter } from '../dlms/security/mbus-transfer-key.ts';
import { encodeData } from '../dlms/axdr.ts';
import type { SecretStore } from '../secrets/store.ts';
import type { ClientKeyPair } from '../secrets/client-keys.ts';
import type { SecretType } from '../secrets/types.ts';
import { mbusClassVersion, type ExecutorDeps, type GatewayLink, type InventoryPort, type LinkFactory, type MbusDeviceRecord, type SecretPort } from './ports.ts';
import * as keys from './mbus-keys.ts';
import * as channels from './mbus-channels.ts';
import type { KeyBlobs, RequestInfo } from './mbus-keys.ts';
import { inSpan, CORRELATION_UID } from '../observability/tracing.ts';

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
  smr5DataSendParameter: (blob) => encodeData(mbusKeyDataSendParameter(blob)),
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

export function inventoryPort(db: Db): InventoryPort {
  return {
    async getGateway(id) {
      const d = await findDevice(db, id);
      if (!d || d.deviceType !== 'SMART_METER_E') {
        throw new MeterfabricError(ErrorCode.UNKNOWN_DEVICE, `SmartMeter with id "${id}" could not be found.`, { component: 'DOMAIN_SMART_METERING', retryable: false });
      }
      return { deviceIdentification: d.deviceIdentification, protocol: protocolOf(d) };
    },
    async getMbusDevice(id) {
      const d = await findDevice(db, id);
      return d && d.deviceType === 'SMART_METER_G' ? toMbusRecord(d) : undefined;
    },
    async findMbusDeviceByIdentity(identificationNumber, manufacturer) {
      const d = await findMbusDeviceByIdentity(db, identificationNumber, manufacturer);
      return d ? toMbusRecord(d) : undefined;
    },
    mayActOn: (organisation, deviceIdentification, deviceFunction) => isAuthorised(db, organisation, deviceIdentification, deviceFunction),
    async setCoupling(mbusId, gateway, channel, primaryAddress) {
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
    getTimezone: async (id) => (await getDeviceInstallation(db, id))?.timezone,
    setTimezone: (id, timezone) => setDeviceTimezone(db, id, timezone),
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

/** Opens throttled, authenticated associations with gateways, using their stored keys and invocation counters. */
export function linkFactory(db: Db, store: SecretStore, throttle: ConnectionThrottle | undefined, options: LinkOptions = {}): LinkFactory {
  const counters = new DbInvocationCounterStore(db as Queryable);
  return {
    async open(gatewayId, signal) {
      const d = await getDevice(db, gatewayId);
      if (!d.host || !d.port) {
        throw new MeterfabricError(ErrorCode.INVALID_IP_ADDRESS, `Device ${gatewayId} has no network address`, { retryable: false });
      }
      const [ak, ek] = await Promise.all([store.getActive(gatewayId, 'E_METER_AUTHENTICATION_KEY'), store.getActive(gatewayId, 'E_METER_ENCRYPTION_KEY_UNICAST')]);
      if (!ak || !ek) throw new MeterfabricError(ErrorCode.KEY_NOT_PRESENT, `No active authentication and encryption keys for ${gatewayId}`, { retryable: false });
      const release = throttle ? await throttle.acquire(signal, { device: gatewayId }) : () => undefined;
      try {
        const connection: ConnectionOptions = {
          host: d.host,
          port: d.port,
          framing: d.transport === 'HDLC' ? 'hdlc' : 'wrapper',
          connectTimeoutMs: options.connectTimeoutMs,
          responseTimeoutMs: options.responseTimeoutMs,
          withListMax: d.withListMax ?? 32,
        };
        const session = await inSpan('dlms.associate', { 'meterfabric.device': gatewayId, 'meterfabric.transport': connection.framing }, () => DlmsSession.openManagement({
          ...connection,
          deviceId: gatewayId,
          clientSystemTitle: clientSystemTitle(gatewayId),
          ak: ak.key,
          ek: ek.key,
          invocationCounters: counters,
          challengeLength: d.challengeLength ?? 16,
        }));
        // Learned from the AARE: lets ciphered pushes of this meter be deciphered (src/adapters/push-alarms.ts).
        const title = session.meterSystemTitle?.toString('hex').toUpperCase();
        if (title) {
          await recordMeterSystemTitle(db, gatewayId, title).catch(() => undefined);
        }
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
        const link: GatewayLink = Object.assign(Object.create(gateway) as GatewayLink, {
          readChannel: traced('readChannel', gateway.readChannel),
          scanChannels: traced('scanChannels', gateway.scanChannels),
          transferKey: traced('transferKey', gateway.transferKey),
          setEncryptionKey: traced('setEncryptionKey', gateway.setEncryptionKey),
          dataSend: traced('dataSend', gateway.dataSend),
          readEncryptionKeyStatus: traced('readEncryptionKeyStatus', gateway.readEncryptionKeyStatus),
          writeChannelIdentity: traced('writeChannelIdentity', gateway.writeChannelIdentity),
          slaveDeinstall: traced('slaveDeinstall', gateway.slaveDeinstall),
          setClock: traced('setClock', notYet),
          readObjectList: traced('readObjectList', notYet),
          release: async () => {
            signal?.removeEventListener('abort', abort);
            try {
              await gateway.release();
            } finally {
              release();
            }
          },
        });
        return link;
      } catch (e) {
        release();
        throw e;
      }
    },
  };
}

// Clock and object list reach the meter through the COSEM class declarations (src/cosem), not yet wired.
async function notYet(): Promise<never> {
  throw new MeterfabricError(ErrorCode.UNSUPPORTED_DEVICE_ACTION, 'not yet implemented', { retryable: false });
}

function requestInfo(ctx: OperationContext): RequestInfo {
  return { correlationUid: ctx.correlationUid, organisationIdentification: ctx.organisationIdentification, deviceIdentification: ctx.deviceIdentification, signal: ctx.signal };
}

export interface ExecutorComponents {
  db: Db;
  secrets: SecretStore;
  clientKeys: ClientKeyPair;
  /** Replaces the platform's in-process throttle (mode `shared` or `disabled`, src/platform/permits.ts). */
  throttle?: ConnectionThrottle;
  link?: LinkOptions;
}

/** What AddDevice states about the device beyond what reaching the meter needs: kept as GXF keeps it. */
function installationOf(p: AddDevicePayload): DeviceInstallation {
  const { deviceModel, protocolVariant, timezone, supplier, communicationMethod, communicationProvider, iccId, lls1Active, hls3Active, hls4Active, polyphase, ipAddressIsStatic, selectiveAccessSupported, deliveryDate } = p;
  return { deviceModel, protocolVariant, timezone, supplier, communicationMethod, communicationProvider, iccId, lls1Active, hls3Active, hls4Active, polyphase, ipAddressIsStatic, selectiveAccessSupported, deliveryDate };
}

/**
 * AddDevice: inventory and keys, no device contact (docs/gxf.md#adddevice). A device that exists already ends with 204
 * EXISTING_DEVICE unless overwrite is set; overwrite is for the device's OWNER (or an ADMIN organisation) and
 * replaces the device's description and keys in place: it never moves ownership, couplings or authorisations.
 */
async function addDevice(c: ExecutorComponents, ctx: OperationContext): Promise<undefined> {
  const p = ctx.payload as AddDevicePayload;
  const invalid = (message: string) => new MeterfabricError(ErrorCode.VALIDATION_ERROR, message, { component: 'PROTOCOL_DLMS', retryable: false });
  const exists = () => new MeterfabricError(ErrorCode.EXISTING_DEVICE, `Device ${p.deviceIdentification} already exists`, { component: 'DOMAIN_SMART_METERING', retryable: false });
  const notOwner = () => new MeterfabricError(ErrorCode.UNAUTHORIZED, `Organisation [${ctx.organisationIdentification}] is not authorized for action`, { component: 'DOMAIN_SMART_METERING', retryable: false });
  if (!p.deviceIdentification) throw invalid('Device identification is required');
  // Checked before any key is decrypted, and again inside the transaction that writes.
  const existing = await findDevice(c.db, p.deviceIdentification);
  if (existing && !p.overwrite) throw exists();
  if (existing && !(await mayOverwriteDevice(c.db, ctx.organisationIdentification, p.deviceIdentification))) throw notOwner();
  const isG = p.deviceType === 'SMART_METER_G' || Boolean(p.mbusDefaultKey);
  const keyFields: [keyof AddDevicePayload, SecretType][] = isG
    ? [
        ['mbusDefaultKey', 'G_METER_MASTER_KEY'],
        ['mbusUserKey', 'G_METER_ENCRYPTION_KEY'],
        ['mbusFirmwareUpdateAuthenticationKey', 'G_METER_FIRMWARE_UPDATE_AUTHENTICATION_KEY'],
        ['mbusP0Key', 'G_METER_OPTICAL_PORT_KEY'],
      ]
    : [
        ['masterKey', 'E_METER_MASTER_KEY'],
        ['authenticationKey', 'E_METER_AUTHENTICATION_KEY'],
        ['globalEncryptionUnicastKey', 'E_METER_ENCRYPTION_KEY_UNICAST'],
      ];
  if (isG && (p.masterKey || p.authenticationKey || p.globalEncryptionUnicastKey)) throw invalid('An M-Bus device carries no E-meter keys');
  // Keys are decrypted (and so checked) before anything is written: a bad key leaves nothing behind.
  const decrypted: [SecretType, Buffer][] = [];
  for (const [field, type] of keyFields) {
    const hex = p[field] as string | undefined;
    if (!hex) {
      // GXF requires every key of the device's kind; the G-meter default key is the one that matters most.
      if (!isG || field === 'mbusDefaultKey') throw new MeterfabricError(ErrorCode.KEY_NOT_PRESENT, `${String(field)} is required for ${isG ? 'an M-Bus device' : 'an E-meter'}`, { component: 'PROTOCOL_DLMS', retryable: false });
      continue;
    }
    decrypted.push([type, c.clientKeys.decryptClientKey(hex)]);
  }
  const protocol = p.protocolName && p.protocolVersion ? { protocolName: p.protocolName, protocolVersion: p.protocolVersion } : {};
  const description = {
    deviceIdentification: p.deviceIdentification,
    deviceType: (isG ? 'SMART_METER_G' : 'SMART_METER_E') as Device['deviceType'],
    ...protocol,
    port: p.port ?? null,
    hls5Active: p.hls5Active ?? true,
    challengeLength: p.challengeLength ?? null,
    withListMax: p.withListMax ?? null,
    mbusIdentificationNumber: p.mbusIdentificationNumber ?? null,
    mbusManufacturerIdentification: p.mbusManufacturerIdentification ?? null,
    mbusVersion: p.mbusVersion ?? null,
    mbusDeviceTypeIdentification: p.mbusDeviceTypeIdentification ?? null,
  };
  await c.db.tx(async (q) => {
    const now = await findDevice(q, p.deviceIdentification);
    if (!now) {
      await addInventoryDevice(q, { ...description, ownerOrganisationIdentification: ctx.organisationIdentification });
    } else {
      if (!p.overwrite) throw exists();
      if (!(await mayOverwriteDevice(q, ctx.organisationIdentification, p.deviceIdentification))) throw notOwner();
      await replaceDevice(q, description);
    }
    await saveDeviceInstallation(q, p.deviceIdentification, installationOf(p));
  });
  for (const [type, key] of decrypted) {
    await c.secrets.storeActive(p.deviceIdentification, type, key, { actor: ctx.organisationIdentification, reason: `AddDevice ${ctx.correlationUid}` });
  }
  return undefined;
}

/** Every operation of src/platform/operations.ts as a platform executor. */
export function createExecutors(c: ExecutorComponents): OperationExecutor[] {
  const deps = (ctx: OperationContext): ExecutorDeps => ({
    links: linkFactory(c.db, c.secrets, forRequest(c.throttle ?? ctx.throttle, ctx.priority), c.link),
    secrets: secretPort(c.secrets),
    inventory: inventoryPort(c.db),
  });
  const op = <K extends keyof Payloads>(messageType: K, run: (d: ExecutorDeps, r: RequestInfo, payload: Payloads[K], ctx: OperationContext) => Promise<unknown>): OperationExecutor => ({
    messageType,
    execute: (ctx) =>
      inSpan(`execute ${messageType}`, { [CORRELATION_UID]: ctx.correlationUid, 'meterfabric.device': ctx.deviceIdentification, 'meterfabric.attempt': ctx.attempt }, () =>
        run(deps(ctx), requestInfo(ctx), ctx.payload as Payloads[K], ctx),
      ),
  });
  return [
    op(MessageType.SET_MBUS_USER_KEY_BY_CHANNEL, (d, r, p) => keys.setMbusUserKeyByChannel(d, dlmsKeyBlobs, r, p)),
    op(MessageType.SET_KEY_ON_G_METER, (d, r, p) => keys.setKeyOnGMeter(d, dlmsKeyBlobs, r, p)),
    op(MessageType.GET_MBUS_ENCRYPTION_KEY_STATUS, (d, r) => keys.getMbusEncryptionKeyStatus(d, r)),
    op(MessageType.GET_MBUS_ENCRYPTION_KEY_STATUS_BY_CHANNEL, (d, r, p) => keys.getMbusEncryptionKeyStatusByChannel(d, r, p)),
    op(MessageType.SCAN_MBUS_CHANNELS, (d, r) => channels.scanMbusChannels(d, r)),
    op(MessageType.COUPLE_MBUS_DEVICE, (d, r, p) => channels.coupleMbusDevice(d, r, p)),
    op(MessageType.DECOUPLE_MBUS_DEVICE, (d, r, p) => channels.decoupleMbusDevice(d, r, p)),
    op(MessageType.COUPLE_MBUS_DEVICE_BY_CHANNEL, (d, r, p) => channels.coupleMbusDeviceByChannel(d, r, p)),
    op(MessageType.DECOUPLE_MBUS_DEVICE_BY_CHANNEL, (d, r, p) => channels.decoupleMbusDeviceByChannel(d, r, p)),
    { messageType: MessageType.ADD_METER, execute: (ctx) => addDevice(c, ctx) },
  ];
}

export function registerExecutors(platform: Platform, c: Omit<ExecutorComponents, 'db'>): void {
  for (const e of createExecutors({ ...c, db: platform.db })) platform.executors.register(e);
}
