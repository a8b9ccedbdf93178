/**
 * DLMS-level operations of a gateway E-meter on an open management session, addressed through the COSEM class
 * declarations (src/cosem): class 72 `0-<ch>:24.1.0.255` (docs/dlms.md#m-bus-client-class-72, #m-bus-key-transfer,
 * #worked-example), the clock (class 8) and the current association's object_list (class 15). Values stay as the
 * meter sends them; GXF's texts are made by the executors (src/cosem/mbus.ts channelElementValues).
 */
import type { DlmsData } from '../dlms/axdr.ts';
import { ErrorCode, isMeterfabricError } from '../errors.ts';
import { ActionResult } from '../dlms/apdu/common.ts';
import type { DlmsSession } from './client.ts';
import { illegalResponse, sessionError } from './errors.ts';
import {
  AssociationLnClass,
  ClockClass,
  WellKnownObis,
  channelElementValues,
  channelIdentity,
  decodeObjectList,
  mbusClientClass,
  mbusClientSetupObis,
  type ChannelElementValues,
  type MbusChannelIdentity,
  type MbusChannelReading,
  type ObjectListElement,
} from '../cosem/index.ts';
import type { Obis } from '../dlms/obis.ts';
import { readMeterValues, type MeterValues, type RegisterRef } from './registers.ts';
import { readGsmDiagnostic, type GsmDiagnosticReading } from './diagnostics.ts';
import { GsmDiagnosticObis, type CommunicationMethod } from '../cosem/index.ts';

/** Class 72 is declared identically for versions 0 and 1 (ids, types); the version only codes attribute 6. */
const MbusClient = mbusClientClass(1);

function channelObis(channel: number): Obis {
  if (!Number.isInteger(channel) || channel < 1 || channel > 4) throw sessionError(ErrorCode.VALIDATION_ERROR, `M-Bus channel must be 1..4, got ${channel}`, { retryable: false });
  return mbusClientSetupObis(channel);
}

const IDENTITY = ['primary_address', 'identification_number', 'manufacturer_id', 'version', 'device_type'] as const;

/** Attributes 5..9 in one get-request-with-list when allowed, one GET each otherwise; null-data reads as 0 (GXF). */
export async function readMbusChannel(session: DlmsSession, channel: number, classVersion: 0 | 1): Promise<MbusChannelReading> {
  const r = await session.readList(MbusClient, channelObis(channel), IDENTITY);
  const n = (i: number): number => {
    const x = r[i]!;
    if (x.kind === 'error') throw sessionError(ErrorCode.DATA_ACCESS_RESULT, `channel ${channel} ${IDENTITY[i]}: data-access-result ${x.result}`, { retryable: false, details: { result: x.result } });
    return x.value ?? 0;
  };
  return { channel, classVersion, primaryAddress: n(0), identificationNumber: n(1), manufacturerId: n(2), version: n(3), deviceType: n(4) };
}

/** All four channels (ScanMbusChannels). */
export async function scanMbusChannels(session: DlmsSession, classVersion: 0 | 1): Promise<MbusChannelReading[]> {
  const out: MbusChannelReading[] = [];
  for (let ch = 1; ch <= 4; ch++) out.push(await readMbusChannel(session, ch, classVersion));
  return out;
}

/** Method 8 with the wrapped key blob (16 bytes DSMR4, 30 bytes SMR5). */
export async function transferKey(session: DlmsSession, channel: number, blob: Buffer): Promise<void> {
  await session.invoke(MbusClient, channelObis(channel), 'transfer_key', blob);
}

/** Method 7 with the plain key, protected by the association's ciphering (docs/dlms.md#set-encryption-key). */
export async function setEncryptionKey(session: DlmsSession, channel: number, key: Buffer): Promise<void> {
  await session.invoke(MbusClient, channelObis(channel), 'set_encryption_key', key);
}

/** Attribute 14: 0 none, 1 set, 2 transferred, 3 set and transferred, 4 in use. */
export async function readEncryptionKeyStatus(session: DlmsSession, channel: number): Promise<number> {
  return session.read(MbusClient, channelObis(channel), 'encryption_key_status');
}

/** Writes attributes 5..9 (coupling), as the gateway's class version codes them. */
export async function writeChannelIdentity(session: DlmsSession, channel: number, identity: MbusChannelIdentity): Promise<void> {
  const obis = channelObis(channel);
  await session.write(MbusClient, obis, 'primary_address', identity.primaryAddress);
  await session.write(MbusClient, obis, 'identification_number', identity.identificationNumber);
  await session.write(MbusClient, obis, 'manufacturer_id', identity.manufacturerId);
  await session.write(MbusClient, obis, 'version', identity.version);
  await session.write(MbusClient, obis, 'device_type', identity.deviceType);
}

/** Method 2 with integer(0); on type-unmatched retried with unsigned(0) as GXF does (docs/dlms.md#m-bus-client-class-72). */
export async function slaveDeinstall(session: DlmsSession, channel: number): Promise<void> {
  const obis = channelObis(channel);
  try {
    await session.invoke(MbusClient, obis, 'slave_deinstall', { type: 'integer', value: 0 });
  } catch (e) {
    if (isMeterfabricError(e) && e.code === ErrorCode.ACTION_RESULT && e.details?.result === ActionResult.TYPE_UNMATCHED) {
      await session.invoke(MbusClient, obis, 'slave_deinstall', { type: 'unsigned', value: 0 });
      return;
    }
    throw e;
  }
}

/** Method 4 (reset_alarm) with integer(0), as GXF calls it (ClearMBusStatusOnAllChannels); non-success throws ACTION_RESULT. */
export async function resetMbusAlarm(session: DlmsSession, channel: number): Promise<void> {
  await session.invoke(MbusClient, channelObis(channel), 'reset_alarm', { type: 'integer', value: 0 });
}

/** Method 6 with its parameter (array of structure{DIB, VIB, data}, docs/dlms.md#data-send), built once by the caller. */
export async function dataSend(session: DlmsSession, channel: number, parameter: DlmsData): Promise<void> {
  if (parameter.type !== 'array') throw sessionError(ErrorCode.ENCODE_ERROR, `data_send takes an array, got ${parameter.type}`, { retryable: false });
  await session.invoke(MbusClient, channelObis(channel), 'data_send', parameter.value);
}

/** Class 8 attribute 2 of 0-0:1.0.0.255 (SET) with a 12-byte COSEM date-time; non-success throws DATA_ACCESS_RESULT. */
export async function setClock(session: DlmsSession, dateTime: Buffer): Promise<void> {
  if (dateTime.length !== 12) throw sessionError(ErrorCode.VALIDATION_ERROR, `a COSEM date-time is 12 bytes, got ${dateTime.length}`, { retryable: false });
  await session.write(ClockClass, WellKnownObis.CLOCK, 'time', dateTime);
}

/** Class 8 attribute 2 of 0-0:1.0.0.255: the meter's time as its 12-byte COSEM date-time. */
export async function readClock(session: DlmsSession): Promise<Buffer> {
  return session.read(ClockClass, WellKnownObis.CLOCK, 'time');
}

/** Class 15 attribute 2 of the current association 0-0:40.0.0.255 (block transfer when long), decoded for class 15 v0 and v1+. */
export async function readObjectList(session: DlmsSession): Promise<ObjectListElement[]> {
  const list = await session.read(AssociationLnClass, WellKnownObis.CURRENT_ASSOCIATION, 'object_list');
  try {
    return decodeObjectList({ type: 'array', value: list });
  } catch (e) {
    throw illegalResponse(`object_list: ${(e as Error).message}`, e);
  }
}

/** The operations of one open session, DLMS-native, in the shape of the adapters' GatewayLink port. */
export class MbusGateway {
  constructor(
    readonly session: DlmsSession,
    /** Class 72 version of the gateway's protocol: 0 DSMR 4.2.2 / SMR 4.3, 1 SMR 5.x. */
    readonly classVersion: 0 | 1,
  ) {}

  readChannelReading(channel: number): Promise<MbusChannelReading> {
    return readMbusChannel(this.session, channel, this.classVersion);
  }
  scanChannelReadings(): Promise<MbusChannelReading[]> {
    return scanMbusChannels(this.session, this.classVersion);
  }
  /** A channel in GXF's texts (diagnostics and tests; executors convert readChannelReading themselves). */
  async readChannel(channel: number): Promise<ChannelElementValues> {
    return channelElementValues(await this.readChannelReading(channel));
  }
  async scanChannels(): Promise<ChannelElementValues[]> {
    return (await this.scanChannelReadings()).map(channelElementValues);
  }
  transferKey(channel: number, blob: Buffer): Promise<void> {
    return transferKey(this.session, channel, blob);
  }
  setEncryptionKey(channel: number, key: Buffer): Promise<void> {
    return setEncryptionKey(this.session, channel, key);
  }
  dataSend(channel: number, parameter: DlmsData): Promise<void> {
    return dataSend(this.session, channel, parameter);
  }
  readEncryptionKeyStatus(channel: number): Promise<number> {
    return readEncryptionKeyStatus(this.session, channel);
  }
  writeIdentity(channel: number, identity: MbusChannelIdentity): Promise<void> {
    return writeChannelIdentity(this.session, channel, identity);
  }
  /** Writes a channel identity given in GXF's texts (diagnostics and tests). */
  writeChannelIdentity(channel: number, values: Omit<ChannelElementValues, 'channel'>): Promise<void> {
    return writeChannelIdentity(this.session, channel, channelIdentity(values, this.classVersion));
  }
  slaveDeinstall(channel: number): Promise<void> {
    return slaveDeinstall(this.session, channel);
  }
  resetAlarm(channel: number): Promise<void> {
    return resetMbusAlarm(this.session, channel);
  }
  setClock(dateTime: Buffer): Promise<void> {
    return setClock(this.session, dateTime);
  }
  readClock(): Promise<Buffer> {
    return readClock(this.session);
  }
  readObjectList(): Promise<ObjectListElement[]> {
    return readObjectList(this.session);
  }
  readMeterValues(request: { clock: boolean; registers: readonly RegisterRef[] }): Promise<MeterValues> {
    return readMeterValues(this.session, request);
  }
  readGsmDiagnostic(method: CommunicationMethod): Promise<GsmDiagnosticReading> {
    return readGsmDiagnostic(this.session, GsmDiagnosticObis[method]);
  }
  release(): Promise<void> {
    return this.session.release();
  }
}
