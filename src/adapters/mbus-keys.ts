/**
 * The M-Bus key family: SetMbusUserKeyByChannel, SetKeyOnGMeter, GetMbusEncryptionKeyStatus(ByChannel).
 *
 * Guarantees beyond GXF (docs/gxf.md#failure-windows, #where-meterfabric-differs):
 * - the pending (NEW) user key is reused by every retry of the same operation, never regenerated (#3);
 * - the key is marked "sent" before transfer_key leaves, so a key whose fate is unknown (process died, line
 *   dropped) is never withdrawn; the next run sends the same key again, which is idempotent on the meter, and
 *   activates it when the meter accepted it, so store and meter end up agreeing (#2);
 * - functional errors (empty channel, unknown M-Bus device, unsupported protocol, no default key) are not
 *   retryable (#4); a missing default key is 806 KEY_NOT_PRESENT (#15);
 * - the SMR5 key change counter is persisted and strictly increasing per M-Bus device (#5);
 * - an uncoupled gas meter that the gateway reports on the channel is coupled there in the inventory (#13); a
 *   reported identity names only a device the caller may act on, uncoupled or coupled to that very channel
 *   (./mbus-identity.ts), so no report moves another device or files a key under it.
 * The executor does one association with at most: connect, AARQ, HLS pass 3/4, one get-with-list, transfer_key,
 * set_encryption_key (6 round trips, docs/dlms.md#round-trips).
 */
import { MeterfabricError, ErrorCode } from '../errors.ts';
import { keyChangeCounter } from '../dlms/security/mbus-transfer-key.ts';
import type { EncryptionKeyStatus, GMeterSecretType } from '../platform/operations.ts';
import { ENCRYPTION_KEY_STATUS_NAMES, channelElementValues } from '../cosem/mbus.ts';
import type { DlmsData } from '../dlms/axdr.ts';
import { coupledElsewhere, reportedMbusDevice } from './mbus-identity.ts';
import { transferKeyFormat, type ExecutorDeps, type GatewayLink, type MbusDeviceRecord, type ChannelElementValues } from './ports.ts';

export interface KeyBlobs {
  dsmr4TransferKey(defaultKey: Buffer, newKey: Buffer): Buffer;
  smr5TransferKey(defaultKey: Buffer, newKey: Buffer, p: { identificationNumber: string; manufacturerIdentification: string; keyChangeCounter: number; keyId: number }): Buffer;
  smr5DataSendParameter(blob: Buffer): DlmsData;
}

export interface RequestInfo {
  correlationUid: string;
  organisationIdentification: string;
  deviceIdentification: string;
  /** The operation's message type: the device function checked on devices found on the meter. */
  messageType: string;
  signal?: AbortSignal;
}


/** A functional (not retryable) error: trying again cannot change the outcome. */
export function functional(code: number, message: string, component: 'PROTOCOL_DLMS' | 'DOMAIN_SMART_METERING' = 'PROTOCOL_DLMS'): MeterfabricError {
  return new MeterfabricError(code, message, { component, retryable: false });
}

export function isEmptyChannel(c: ChannelElementValues): boolean {
  return (c.identificationNumber === '00000000' || c.identificationNumber === '') && !c.manufacturerIdentification && c.version === 0 && c.deviceTypeIdentification === 0;
}

/** Runs fn on one association with the gateway and always releases it. */
export async function withLink<T>(deps: ExecutorDeps, gateway: string, signal: AbortSignal | undefined, fn: (link: GatewayLink) => Promise<T>): Promise<T> {
  const link = await deps.links.open(gateway, signal);
  try {
    return await fn(link);
  } finally {
    // The release need not be awaited by the caller's result; errors while releasing change nothing.
    await link.release().catch(() => undefined);
  }
}

/** Sends a key to the G-meter on a channel: pending key reuse, write-ahead "sent", transfer, set, activate. */
async function sendUserKey(
  deps: ExecutorDeps,
  blobs: KeyBlobs,
  link: GatewayLink,
  req: RequestInfo,
  gatewayProtocol: string,
  mbus: MbusDeviceRecord,
  channel: number,
): Promise<void> {
  const format = transferKeyFormat(gatewayProtocol);
  if (!format) {
    throw functional(ErrorCode.OPERATION_NOT_SUPPORTED_BY_PLATFORM_FOR_PROTOCOL, `Unsupported combination of protocol ${gatewayProtocol} and key type G_METER_ENCRYPTION_KEY in request to set key on g-meter`);
  }
  const audit = { actor: req.organisationIdentification, reason: `${req.correlationUid}` };
  const defaultKey = await deps.secrets.getActive(mbus.deviceIdentification, 'G_METER_MASTER_KEY');
  if (!defaultKey) throw functional(ErrorCode.KEY_NOT_PRESENT, `No M-Bus default key (G_METER_MASTER_KEY) is known for M-Bus device ${mbus.deviceIdentification}`);
  const pending = await deps.secrets.getOrGeneratePending(mbus.deviceIdentification, 'G_METER_ENCRYPTION_KEY', audit);
  let blob: Buffer;
  if (format === 'DSMR4') {
    blob = blobs.dsmr4TransferKey(defaultKey.key, pending.key);
  } else {
    if (!mbus.identificationNumber || !mbus.manufacturerIdentification) {
      throw functional(ErrorCode.VALIDATION_ERROR, `M-Bus device ${mbus.deviceIdentification} has no identification number or manufacturer`);
    }
    const kcc = await deps.inventory.nextKeyChangeCounter(mbus.deviceIdentification, keyChangeCounter(deps.now?.() ?? new Date()));
    blob = blobs.smr5TransferKey(defaultKey.key, pending.key, {
      identificationNumber: mbus.identificationNumber,
      manufacturerIdentification: mbus.manufacturerIdentification,
      keyChangeCounter: kcc,
      keyId: 0,
    });
  }
  // Write-ahead: from here on the meter may hold this key, so it must never be thrown away.
  await deps.secrets.markSent(mbus.deviceIdentification, 'G_METER_ENCRYPTION_KEY', pending.secretId, audit);
  await link.transferKey(channel, blob);
  await link.setEncryptionKey(channel, pending.key);
  await deps.secrets.activate(mbus.deviceIdentification, 'G_METER_ENCRYPTION_KEY', pending.secretId, audit);
}

export async function setMbusUserKeyByChannel(deps: ExecutorDeps, blobs: KeyBlobs, req: RequestInfo, payload: { channel: number }): Promise<undefined> {
  const { channel } = payload;
  if (!Number.isInteger(channel) || channel < 1 || channel > 4) throw functional(ErrorCode.VALIDATION_ERROR, `Channel must be 1..4, got ${channel}`);
  const gateway = await deps.inventory.getGateway(req.deviceIdentification);
  if (!transferKeyFormat(gateway.protocol)) {
    // Decided before any meter contact: no association is opened for a request that cannot succeed.
    throw functional(ErrorCode.OPERATION_NOT_SUPPORTED_BY_PLATFORM_FOR_PROTOCOL, `Unsupported combination of protocol ${gateway.protocol} and key type G_METER_ENCRYPTION_KEY in request to set key on g-meter`);
  }
  await withLink(deps, gateway.deviceIdentification, req.signal, async (link) => {
    const values = channelElementValues(await link.readChannel(channel));
    // The reported identity names a device only within what the caller may use (./mbus-identity.ts): GXF's 201
    // text when it names none of the caller's devices, 216 when it names one coupled elsewhere; no key either way.
    const found = await reportedMbusDevice(deps, req.organisationIdentification, req.messageType, gateway.deviceIdentification, channel, values);
    if (found.kind === 'none') {
      throw functional(
        ErrorCode.UNKNOWN_DEVICE,
        `Unable to find M-Bus device for M-Bus identification number: ${values.identificationNumber} and manufacturer ID: ${values.manufacturerIdentification}`,
      );
    }
    if (found.kind === 'elsewhere') throw coupledElsewhere(found.mbus, gateway.deviceIdentification, channel);
    const mbus = found.mbus;
    if (mbus.gatewayDeviceIdentification !== gateway.deviceIdentification || mbus.channel !== channel) {
      await deps.inventory.setCoupling(mbus.deviceIdentification, gateway.deviceIdentification, channel, values.primaryAddress);
    }
    await sendUserKey(deps, blobs, link, req, gateway.protocol, mbus, channel);
  });
  return undefined;
}

/** Resolves an M-Bus device and the gateway channel it is coupled to (GXF: 220 when it has no gateway). */
export async function coupledMbusDevice(deps: ExecutorDeps, mbusId: string): Promise<{ mbus: MbusDeviceRecord; gateway: string; channel: number }> {
  const mbus = await deps.inventory.getMbusDevice(mbusId);
  if (!mbus) throw functional(ErrorCode.UNKNOWN_DEVICE, `M-Bus device ${mbusId} is unknown`, 'DOMAIN_SMART_METERING');
  if (!mbus.gatewayDeviceIdentification || !mbus.channel) {
    throw functional(ErrorCode.GATEWAY_DEVICE_NOT_SET_FOR_MBUS_DEVICE, 'Meter for gas reads should have an energy meter as gateway device.', 'DOMAIN_SMART_METERING');
  }
  return { mbus, gateway: mbus.gatewayDeviceIdentification, channel: mbus.channel };
}

export async function setKeyOnGMeter(
  deps: ExecutorDeps,
  blobs: KeyBlobs,
  req: RequestInfo,
  payload: { mbusDeviceIdentification: string; secretType: GMeterSecretType; closeOpticalPort?: boolean },
): Promise<undefined> {
  if (payload.mbusDeviceIdentification !== req.deviceIdentification) {
    throw functional(ErrorCode.VALIDATION_ERROR, 'DeviceIdentification and MbusDeviceIdentification must name the same M-Bus device', 'DOMAIN_SMART_METERING');
  }
  const { mbus, gateway: gatewayId, channel } = await coupledMbusDevice(deps, payload.mbusDeviceIdentification);
  const gateway = await deps.inventory.getGateway(gatewayId);
  const format = transferKeyFormat(gateway.protocol);
  if (payload.secretType === 'G_METER_ENCRYPTION_KEY') {
    if (!format) throw functional(ErrorCode.OPERATION_NOT_SUPPORTED_BY_PLATFORM_FOR_PROTOCOL, `Unsupported combination of protocol ${gateway.protocol} and key type G_METER_ENCRYPTION_KEY in request to set key on g-meter`);
    await withLink(deps, gatewayId, req.signal, (link) => sendUserKey(deps, blobs, link, req, gateway.protocol, mbus, channel));
    return undefined;
  }
  if (payload.secretType !== 'G_METER_OPTICAL_PORT_KEY' && payload.secretType !== 'G_METER_FIRMWARE_UPDATE_AUTHENTICATION_KEY') {
    throw functional(ErrorCode.VALIDATION_ERROR, `Invalid key type ${String(payload.secretType)} in request to set key on g-meter`);
  }
  if (format !== 'SMR5') {
    throw functional(ErrorCode.OPERATION_NOT_SUPPORTED_BY_PLATFORM_FOR_PROTOCOL, `Unsupported combination of protocol ${gateway.protocol} and key type ${payload.secretType} in request to set key on g-meter`);
  }
  if (!mbus.identificationNumber || !mbus.manufacturerIdentification) {
    throw functional(ErrorCode.VALIDATION_ERROR, `M-Bus device ${mbus.deviceIdentification} has no identification number or manufacturer`);
  }
  const audit = { actor: req.organisationIdentification, reason: req.correlationUid };
  const defaultKey = await deps.secrets.getActive(mbus.deviceIdentification, 'G_METER_MASTER_KEY');
  if (!defaultKey) throw functional(ErrorCode.KEY_NOT_PRESENT, `No M-Bus default key (G_METER_MASTER_KEY) is known for M-Bus device ${mbus.deviceIdentification}`);
  const keyId = payload.secretType === 'G_METER_OPTICAL_PORT_KEY' ? 2 : 1;
  const close = payload.secretType === 'G_METER_OPTICAL_PORT_KEY' && payload.closeOpticalPort === true;
  // CloseOpticalPort: a P0 key of 16 zero bytes, sent like a real key and never stored (docs/gxf.md#setkeyongmeter).
  const pending = close ? undefined : await deps.secrets.getOrGeneratePending(mbus.deviceIdentification, payload.secretType, audit);
  const key = pending?.key ?? Buffer.alloc(16);
  const kcc = await deps.inventory.nextKeyChangeCounter(mbus.deviceIdentification, keyChangeCounter(deps.now?.() ?? new Date()));
  const blob = blobs.smr5TransferKey(defaultKey.key, key, {
    identificationNumber: mbus.identificationNumber,
    manufacturerIdentification: mbus.manufacturerIdentification,
    keyChangeCounter: kcc,
    keyId,
  });
  await withLink(deps, gatewayId, req.signal, async (link) => {
    if (pending) await deps.secrets.markSent(mbus.deviceIdentification, payload.secretType, pending.secretId, audit);
    await link.dataSend(channel, blobs.smr5DataSendParameter(blob));
    if (pending) await deps.secrets.activate(mbus.deviceIdentification, payload.secretType, pending.secretId, audit);
  });
  return undefined;
}

export async function getMbusEncryptionKeyStatusByChannel(deps: ExecutorDeps, req: RequestInfo, payload: { channel: number }) {
  const gateway = await deps.inventory.getGateway(req.deviceIdentification);
  return withLink(deps, gateway.deviceIdentification, req.signal, async (link) => {
    const values = channelElementValues(await link.readChannel(payload.channel));
    // GXF (since 2024): nothing on the channel -> NO_ENCRYPTION_KEY without reading attribute 14.
    if (values.deviceTypeIdentification === 0 || !values.manufacturerIdentification) {
      return { channel: payload.channel, encryptionKeyStatus: 'NO_ENCRYPTION_KEY' as EncryptionKeyStatus };
    }
    const status = await link.readEncryptionKeyStatus(payload.channel);
    return { channel: payload.channel, encryptionKeyStatus: statusName(status) };
  });
}

export async function getMbusEncryptionKeyStatus(deps: ExecutorDeps, req: RequestInfo) {
  const { gateway, channel } = await coupledMbusDevice(deps, req.deviceIdentification);
  return withLink(deps, gateway, req.signal, async (link) => {
    const status = await link.readEncryptionKeyStatus(channel);
    return { mbusDeviceIdentification: req.deviceIdentification, encryptionKeyStatus: statusName(status) };
  });
}

function statusName(status: number): EncryptionKeyStatus {
  const name = ENCRYPTION_KEY_STATUS_NAMES[status];
  if (!name) throw new MeterfabricError(ErrorCode.ILLEGAL_RESPONSE, `Meter reported encryption_key_status ${status} (expects 0..4)`, { retryable: false });
  return name;
}
