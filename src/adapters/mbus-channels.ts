/**
 * M-Bus channel operations: ScanMbusChannels, Couple/Decouple (by device and by channel), following GXF's
 * matching rules (docs/gxf.md#scanmbuschannels, #coupling-and-decoupling).
 */
import { ErrorCode } from '../errors.ts';
import type { ChannelElementValues } from '../platform/operations.ts';
import { mbusClassVersion, type ExecutorDeps, type MbusDeviceRecord } from './ports.ts';
import { channelElementValues, channelIdentity, isUninterpretableIdentification, stripUninterpretableSuffix, type MbusChannelIdentity } from '../cosem/mbus.ts';
import { isEmptyChannel, withLink, functional as functionalError, type RequestInfo } from './mbus-keys.ts';
import { coupledElsewhere, reportedMbusDevice } from './mbus-identity.ts';

const functional = (code: number, message: string, component: 'PROTOCOL_DLMS' | 'DOMAIN_SMART_METERING' = 'DOMAIN_SMART_METERING') => functionalError(code, message, component);

export async function scanMbusChannels(deps: ExecutorDeps, req: RequestInfo) {
  const gateway = await deps.inventory.getGateway(req.deviceIdentification);
  const readings = await withLink(deps, gateway.deviceIdentification, req.signal, (link) => link.scanChannels());
  return { channels: readings.map(channelElementValues) };
}

/** GXF full match: all four identity attributes known and equal (or the primary address and every known one). */
function fullMatch(dev: MbusDeviceRecord, ch: ChannelElementValues): boolean {
  const same = (a: unknown, b: unknown) => a === undefined || a === null || a === b;
  if (dev.primaryAddress && dev.primaryAddress > 0) {
    return (
      ch.primaryAddress === dev.primaryAddress &&
      same(dev.identificationNumber, ch.identificationNumber) &&
      same(dev.manufacturerIdentification, ch.manufacturerIdentification) &&
      same(dev.version, ch.version) &&
      same(dev.deviceTypeIdentification, ch.deviceTypeIdentification)
    );
  }
  return (
    dev.identificationNumber !== undefined &&
    dev.manufacturerIdentification !== undefined &&
    dev.version !== undefined &&
    dev.deviceTypeIdentification !== undefined &&
    dev.identificationNumber === ch.identificationNumber &&
    dev.manufacturerIdentification === ch.manufacturerIdentification &&
    dev.version === ch.version &&
    dev.deviceTypeIdentification === ch.deviceTypeIdentification
  );
}

/** GXF partial match score: channel primary address > 0 and no attribute known on both sides differs. */
function partialScore(dev: MbusDeviceRecord, ch: ChannelElementValues): number {
  if (!(ch.primaryAddress > 0)) return 0;
  const pairs: [unknown, unknown, number][] = [
    [dev.identificationNumber, ch.identificationNumber === '00000000' ? undefined : ch.identificationNumber, 5],
    [dev.manufacturerIdentification, ch.manufacturerIdentification || undefined, 1],
    [dev.version, ch.version || undefined, 1],
    [dev.deviceTypeIdentification, ch.deviceTypeIdentification || undefined, 1],
  ];
  let score = 0;
  for (const [a, b, w] of pairs) {
    if (a === undefined || a === null || b === undefined) continue;
    if (a !== b) return 0;
    score += w;
  }
  return score;
}

export async function coupleMbusDevice(deps: ExecutorDeps, req: RequestInfo, payload: { mbusDeviceIdentification: string; force?: boolean }) {
  const gateway = await deps.inventory.getGateway(req.deviceIdentification);
  const mbus = await mbusDeviceOfCaller(deps, req, payload.mbusDeviceIdentification, req.messageType);
  if (!payload.force) {
    // Coupled to any gateway, this one included, is 216 without Force, before any device contact (GXF
    // MBusGatewayService.checkAndHandleIfGivenMBusAlreadyCoupled; docs/gxf-compatibility.md).
    if (mbus.gatewayDeviceIdentification) {
      throw functional(ErrorCode.GIVEN_MBUS_DEVICE_ALREADY_COUPLED, `M-Bus device ${mbus.deviceIdentification} is already coupled to ${mbus.gatewayDeviceIdentification}`);
    }
    const coupled = await deps.inventory.mbusDevicesOnGateway(gateway.deviceIdentification);
    if (coupled.filter((d) => d.deviceIdentification !== mbus.deviceIdentification).length >= 4) {
      throw functional(ErrorCode.ALL_MBUS_CHANNELS_OCCUPIED, `All M-Bus channels of ${gateway.deviceIdentification} are occupied`);
    }
  }
  const result = await withLink(deps, gateway.deviceIdentification, req.signal, async (link) => {
    const channels: ChannelElementValues[] = [];
    for (let ch = 1; ch <= 4; ch++) {
      const values = channelElementValues(await link.readChannel(ch));
      if (fullMatch(mbus, values)) return values;
      channels.push(values);
    }
    let best: ChannelElementValues | undefined;
    let bestScore = 0;
    for (const c of channels) {
      const s = partialScore(mbus, c);
      if (s > bestScore) {
        best = c;
        bestScore = s;
      }
    }
    if (best) return best;
    const empty = channels.find((c) => isEmptyChannel(c) && c.primaryAddress === 0);
    if (!empty) throw functional(ErrorCode.NO_MBUS_DEVICE_CHANNEL_FOUND, `No free M-Bus channel found on ${gateway.deviceIdentification}`, 'PROTOCOL_DLMS');
    const written: ChannelElementValues = {
      channel: empty.channel,
      primaryAddress: mbus.primaryAddress ?? 0,
      identificationNumber: mbus.identificationNumber ?? '00000000',
      manufacturerIdentification: mbus.manufacturerIdentification ?? '',
      version: mbus.version ?? 0,
      deviceTypeIdentification: mbus.deviceTypeIdentification ?? 0,
    };
    await link.writeChannelIdentity(empty.channel, channelIdentity(written, mbusClassVersion(gateway.protocol)));
    return written;
  });
  await deps.inventory.setCoupling(mbus.deviceIdentification, gateway.deviceIdentification, result.channel, result.primaryAddress);
  return { mbusDeviceIdentification: mbus.deviceIdentification, channelElementValues: result };
}

export async function coupleMbusDeviceByChannel(deps: ExecutorDeps, req: RequestInfo, payload: { channel: number }) {
  const gateway = await deps.inventory.getGateway(req.deviceIdentification);
  const values = channelElementValues(await withLink(deps, gateway.deviceIdentification, req.signal, (link) => link.readChannel(payload.channel)));
  if (isEmptyChannel(values)) throw functional(ErrorCode.NO_DEVICE_FOUND_ON_CHANNEL, `No M-Bus device found on channel ${payload.channel} of ${gateway.deviceIdentification}`);
  // The reported identity names a device only within what the caller may use (./mbus-identity.ts): 218 when it
  // names none of the caller's devices, 216 when it names one coupled elsewhere.
  const found = await reportedMbusDevice(deps, req.organisationIdentification, req.messageType, gateway.deviceIdentification, payload.channel, values);
  if (found.kind === 'none') {
    throw functional(ErrorCode.NO_MATCHING_MBUS_DEVICE_FOUND, `No M-Bus device known with identification number ${values.identificationNumber} and manufacturer ${values.manufacturerIdentification}`);
  }
  if (found.kind === 'elsewhere') throw coupledElsewhere(found.mbus, gateway.deviceIdentification, payload.channel);
  const mbus = found.mbus;
  await deps.inventory.setCoupling(mbus.deviceIdentification, gateway.deviceIdentification, payload.channel, values.primaryAddress);
  return { mbusDeviceIdentification: mbus.deviceIdentification, channelElementValues: values };
}

/** What an emptied channel holds (attributes 5..9 all 0, whatever the class version). */
const EMPTY_IDENTITY: MbusChannelIdentity = { primaryAddress: 0, identificationNumber: 0, manufacturerId: 0, version: 0, deviceType: 0 };

export async function decoupleMbusDevice(deps: ExecutorDeps, req: RequestInfo, payload: { mbusDeviceIdentification: string }) {
  const gateway = await deps.inventory.getGateway(req.deviceIdentification);
  const mbus = await mbusDeviceOfCaller(deps, req, payload.mbusDeviceIdentification, req.messageType);
  // Not coupled: OK without device contact (docs/gxf.md#coupling-and-decoupling).
  if (!mbus.gatewayDeviceIdentification || !mbus.channel) return { mbusDeviceIdentification: mbus.deviceIdentification };
  if (mbus.gatewayDeviceIdentification !== gateway.deviceIdentification) {
    throw functional(ErrorCode.GATEWAY_DEVICE_INVALID_FOR_MBUS_DEVICE, `M-Bus device ${mbus.deviceIdentification} is coupled to ${mbus.gatewayDeviceIdentification}, not to ${gateway.deviceIdentification}`);
  }
  const channel = mbus.channel;
  await withLink(deps, gateway.deviceIdentification, req.signal, async (link) => {
    await link.slaveDeinstall(channel).catch(() => undefined); // GXF: a failing slave_deinstall is only logged
    await link.writeChannelIdentity(channel, EMPTY_IDENTITY);
  });
  await deps.inventory.setCoupling(mbus.deviceIdentification, null, null, null);
  return { mbusDeviceIdentification: mbus.deviceIdentification, channel };
}

/** GXF's resultString of DecoupleMbusDeviceByChannel (DecoupleMbusDeviceResponseDto in OSGP/open-smart-grid-platform). */
export const DECOUPLE_SUCCESSFUL = 'Decouple Mbus Device was successful';
export const DECOUPLE_UNINTERPRETABLE = 'Channel information could not be correctly interpreted. Mbus Device was successful decoupled anyway.';

/**
 * GXF's DecoupleMbusDeviceByChannel: read the channel, slave_deinstall, reset its identity, whatever it held. The
 * answer names the M-Bus device the inventory knows by the identity read from the channel; the inventory decouples
 * the device it had on that gateway channel (which may be another one, or none).
 */
export async function decoupleMbusDeviceByChannel(deps: ExecutorDeps, req: RequestInfo, payload: { channel: number }) {
  const gateway = await deps.inventory.getGateway(req.deviceIdentification);
  const read = await withLink(deps, gateway.deviceIdentification, req.signal, async (link) => {
    const v = channelElementValues(await link.readChannel(payload.channel));
    await link.slaveDeinstall(payload.channel).catch(() => undefined);
    await link.writeChannelIdentity(payload.channel, EMPTY_IDENTITY);
    return v;
  });
  // An identification GXF cannot interpret is answered with the raw value's text, without ScanMbusChannels' suffix.
  const interpreted = !isUninterpretableIdentification(read.identificationNumber);
  const values = interpreted ? read : { ...read, identificationNumber: stripUninterpretableSuffix(read.identificationNumber) };
  const coupled = (await deps.inventory.mbusDevicesOnGateway(gateway.deviceIdentification)).find((d) => d.channel === payload.channel);
  // The channel of the caller's own gateway is emptied on the meter either way; the inventory device on that channel
  // is decoupled. The answer names the device the meter reported when it is one the caller may act on
  // (./mbus-identity.ts); one coupled elsewhere is named as GXF names it but stays coupled there, and another
  // organisation's device is neither decoupled nor named.
  const reported = interpreted
    ? await reportedMbusDevice(deps, req.organisationIdentification, req.messageType, gateway.deviceIdentification, payload.channel, values)
    : undefined;
  const named = reported && reported.kind !== 'none' ? reported.mbus : undefined;
  const released = coupled ?? (reported?.kind === 'usable' ? reported.mbus : undefined);
  if (released) await deps.inventory.setCoupling(released.deviceIdentification, null, null, null);
  return {
    resultString: interpreted ? DECOUPLE_SUCCESSFUL : DECOUPLE_UNINTERPRETABLE,
    ...(named ? { mbusDeviceIdentification: named.deviceIdentification } : {}),
    channelElementValues: values,
  };
}

/** An M-Bus device named by the caller: 201 when unknown or not the caller's to use (the two look the same). */
async function mbusDeviceOfCaller(deps: ExecutorDeps, req: RequestInfo, mbusId: string, deviceFunction: string): Promise<MbusDeviceRecord> {
  const mbus = await deps.inventory.getMbusDevice(mbusId);
  if (!mbus || !(await deps.inventory.mayActOn(req.organisationIdentification, mbus.deviceIdentification, deviceFunction))) {
    throw functional(ErrorCode.UNKNOWN_DEVICE, `M-Bus device ${mbusId} is unknown`);
  }
  return mbus;
}
