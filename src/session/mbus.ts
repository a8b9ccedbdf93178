/**
 * DLMS-level M-Bus operations on class 72 `0-<ch>:24.1.0.255` (docs/dlms.md#m-bus-client-class-72, #m-bus-key-transfer, #worked-example), each on an open
 * management session. MbusGateway bundles them in the shape of the adapters' GatewayLink port.
 */
import { type DlmsData, Data, decodeDataExact } from '../dlms/axdr.ts';
import { ErrorCode, isMeterfabricError } from '../errors.ts';
import type { GetDataResult } from '../dlms/apdu/common.ts';
import { ActionResult } from '../dlms/apdu/common.ts';
import type { DlmsSession } from './client.ts';
import { illegalResponse, sessionError } from './errors.ts';
import { type ChannelElementValues, decodeIdentificationNumber, encodeIdentificationNumber, manufacturerIdToText, manufacturerTextToId } from '../cosem/mbus.ts';

export const MBUS_CLIENT_CLASS = 72;

export const MbusAttribute = {
  PRIMARY_ADDRESS: 5,
  IDENTIFICATION_NUMBER: 6,
  MANUFACTURER_ID: 7,
  VERSION: 8,
  DEVICE_TYPE: 9,
  ENCRYPTION_KEY_STATUS: 14,
} as const;

export const MbusMethod = {
  SLAVE_INSTALL: 1,
  SLAVE_DEINSTALL: 2,
  DATA_SEND: 6,
  SET_ENCRYPTION_KEY: 7,
  TRANSFER_KEY: 8,
} as const;

export function mbusClientObis(channel: number): string {
  if (!Number.isInteger(channel) || channel < 1 || channel > 4) throw sessionError(ErrorCode.VALIDATION_ERROR, `M-Bus channel must be 1..4, got ${channel}`, { retryable: false });
  return `0-${channel}:24.1.0.255`;
}

/** Identification number text (docs/dlms.md#m-bus-client-class-72): v0 BCD `%08X` (digits only), v1 binary `%08d`; GXF's text otherwise. */
export function identificationText(value: number, classVersion: 0 | 1): string {
  return decodeIdentificationNumber(value, classVersion).text;
}

/** Manufacturer id → three letters; 0 → ''. A value that is no three letters is an illegal response. */
export function manufacturerText(id: number): string {
  try {
    return manufacturerIdToText(id) ?? '';
  } catch (e) {
    throw illegalResponse(`manufacturer id ${id} is not three letters`, e);
  }
}

/** Three letters (any case) → manufacturer id; '' → 0 (docs/dlms.md#m-bus-client-class-72). */
export function manufacturerValue(letters: string): number {
  return letters === '' ? 0 : manufacturerTextToId(letters.toUpperCase());
}

function numeric(r: GetDataResult, what: string, channel: number): number {
  if (r.kind === 'error') throw sessionError(ErrorCode.DATA_ACCESS_RESULT, `channel ${channel} ${what}: data-access-result ${r.result}`, { retryable: false, details: { result: r.result } });
  const d = r.data;
  if (d.type === 'null-data') return 0; // GXF: null → 0
  if (typeof (d as { value?: unknown }).value === 'number') return (d as { value: number }).value;
  throw illegalResponse(`channel ${channel} ${what}: unexpected ${d.type}`);
}

/** Attributes 5..9 in one get-request-with-list when allowed, one GET each otherwise. */
export async function readMbusChannel(session: DlmsSession, channel: number, classVersion: 0 | 1): Promise<ChannelElementValues> {
  const obis = mbusClientObis(channel);
  const ids = [5, 6, 7, 8, 9];
  const r = await session.getMany(ids.map((attributeId) => ({ classId: MBUS_CLIENT_CLASS, obis, attributeId })));
  return {
    channel,
    primaryAddress: numeric(r[0], 'primary_address', channel),
    identificationNumber: identificationText(numeric(r[1], 'identification_number', channel), classVersion),
    manufacturerIdentification: manufacturerText(numeric(r[2], 'manufacturer_id', channel)),
    version: numeric(r[3], 'version', channel),
    deviceTypeIdentification: numeric(r[4], 'device_type', channel),
  };
}

/** All four channels (ScanMbusChannels). */
export async function scanMbusChannels(session: DlmsSession, classVersion: 0 | 1): Promise<ChannelElementValues[]> {
  const out: ChannelElementValues[] = [];
  for (let ch = 1; ch <= 4; ch++) out.push(await readMbusChannel(session, ch, classVersion));
  return out;
}

/** Method 8 with the wrapped key blob (16 bytes DSMR4, 30 bytes SMR5). */
export async function transferKey(session: DlmsSession, channel: number, blob: Buffer): Promise<void> {
  await session.action({ classId: MBUS_CLIENT_CLASS, obis: mbusClientObis(channel), methodId: MbusMethod.TRANSFER_KEY }, Data.octetString(blob));
}

/** Method 7 with the plain key, protected by the association's ciphering (docs/dlms.md#set-encryption-key). */
export async function setEncryptionKey(session: DlmsSession, channel: number, key: Buffer): Promise<void> {
  await session.action({ classId: MBUS_CLIENT_CLASS, obis: mbusClientObis(channel), methodId: MbusMethod.SET_ENCRYPTION_KEY }, Data.octetString(key));
}

/** Attribute 14: 0 none, 1 set, 2 transferred, 3 set and transferred, 4 in use. */
export async function readEncryptionKeyStatus(session: DlmsSession, channel: number): Promise<number> {
  const d = await session.get({ classId: MBUS_CLIENT_CLASS, obis: mbusClientObis(channel), attributeId: MbusAttribute.ENCRYPTION_KEY_STATUS });
  if (d.type !== 'enum') throw illegalResponse(`encryption_key_status is ${d.type}, expected enum`);
  return d.value;
}

/** Writes attributes 5..9 (coupling): identification as BCD for version 0, binary for version 1. */
export async function writeChannelIdentity(
  session: DlmsSession,
  channel: number,
  values: Omit<ChannelElementValues, 'channel'>,
  classVersion: 0 | 1,
): Promise<void> {
  const obis = mbusClientObis(channel);
  const writes: [number, DlmsData][] = [
    [MbusAttribute.PRIMARY_ADDRESS, Data.unsigned(values.primaryAddress)],
    [MbusAttribute.IDENTIFICATION_NUMBER, Data.doubleLongUnsigned(encodeIdentificationNumber(values.identificationNumber || '0', classVersion))],
    [MbusAttribute.MANUFACTURER_ID, Data.longUnsigned(manufacturerValue(values.manufacturerIdentification))],
    [MbusAttribute.VERSION, Data.unsigned(values.version)],
    [MbusAttribute.DEVICE_TYPE, Data.unsigned(values.deviceTypeIdentification)],
  ];
  for (const [attributeId, value] of writes) await session.set({ classId: MBUS_CLIENT_CLASS, obis, attributeId }, value);
}

/** Method 2 with integer(0); on type-unmatched retried with unsigned(0) as GXF does (docs/dlms.md#m-bus-client-class-72). */
export async function slaveDeinstall(session: DlmsSession, channel: number): Promise<void> {
  const ref = { classId: MBUS_CLIENT_CLASS, obis: mbusClientObis(channel), methodId: MbusMethod.SLAVE_DEINSTALL };
  try {
    await session.action(ref, Data.integer(0));
  } catch (e) {
    if (isMeterfabricError(e) && e.code === ErrorCode.ACTION_RESULT && e.details?.result === ActionResult.TYPE_UNMATCHED) {
      await session.action(ref, Data.unsigned(0));
      return;
    }
    throw e;
  }
}

/** Method 6; the parameter as Data or as its A-XDR encoding. */
export async function dataSend(session: DlmsSession, channel: number, parameter: DlmsData | Buffer): Promise<void> {
  const data = Buffer.isBuffer(parameter) ? decodeDataExact(parameter) : parameter;
  await session.action({ classId: MBUS_CLIENT_CLASS, obis: mbusClientObis(channel), methodId: MbusMethod.DATA_SEND }, data);
}

/** The M-Bus operations of one open session, in the shape of the adapters' GatewayLink port. */
export class MbusGateway {
  constructor(
    readonly session: DlmsSession,
    /** Class 72 version of the gateway's protocol: 0 DSMR 4.2.2 / SMR 4.3, 1 SMR 5.x. */
    readonly classVersion: 0 | 1,
  ) {}

  readChannel(channel: number): Promise<ChannelElementValues> {
    return readMbusChannel(this.session, channel, this.classVersion);
  }
  scanChannels(): Promise<ChannelElementValues[]> {
    return scanMbusChannels(this.session, this.classVersion);
  }
  transferKey(channel: number, blob: Buffer): Promise<void> {
    return transferKey(this.session, channel, blob);
  }
  setEncryptionKey(channel: number, key: Buffer): Promise<void> {
    return setEncryptionKey(this.session, channel, key);
  }
  dataSend(channel: number, parameter: Buffer): Promise<void> {
    return dataSend(this.session, channel, parameter);
  }
  readEncryptionKeyStatus(channel: number): Promise<number> {
    return readEncryptionKeyStatus(this.session, channel);
  }
  writeChannelIdentity(channel: number, values: Omit<ChannelElementValues, 'channel'>): Promise<void> {
    return writeChannelIdentity(this.session, channel, values, this.classVersion);
  }
  slaveDeinstall(channel: number): Promise<void> {
    return slaveDeinstall(this.session, channel);
  }
  release(): Promise<void> {
    return this.session.release();
  }
}
