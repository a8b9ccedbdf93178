/**
 * The COSEM objects of the simulated gateway E-meter (docs/dlms.md#simulator) and what GET, SET and ACTION do to them.
 * Pure functions over MeterState; the association (ACSE, HLS, ciphering) lives in connection.ts.
 *
 * Class 72 behaviour follows the simulation convention of docs/dlms.md#simulator: transfer_key is really unwrapped with
 * the G-meter's Default key (bad blob → other-reason), set_encryption_key stores the key, attribute 14 follows
 * set / transferred / in use, an action on an empty channel is other-reason, a wrong parameter type is
 * type-unmatched.
 */
import { type DlmsData, Data, dateToCosemDateTime } from '../dlms/axdr.ts';
import { Obis } from '../dlms/obis.ts';
import { ActionResult, DataAccessResult, type AttributeDescriptor, type GetDataResult, type MethodDescriptor } from '../dlms/apdu/common.ts';
import { unwrapDsmr4TransferKey, unwrapSmr5TransferKey } from '../dlms/security/mbus-transfer-key.ts';
import { unwrapGlobalKeyTransfer, GlobalKeyId } from '../dlms/security/global-key-transfer.ts';
import { isMeterfabricError } from '../errors.ts';
import { decodeIdentificationNumber, encodeIdentificationNumber, manufacturerIdToText, manufacturerTextToId } from '../cosem/mbus.ts';
import { encryptionKeyStatus, type GMeterState, type MeterState } from './meter.ts';

export const OBIS = {
  invocationCounter: '0-0:43.1.0.255',
  clock: '0-0:1.0.0.255',
  logicalDeviceName: '0-0:42.0.0.255',
  equipmentId: '0-0:96.1.0.255',
  associationLn: '0-0:40.0.0.255',
  securitySetup: '0-0:43.0.0.255',
} as const;

/** Objects the public client (SAP 16) may read (docs/dlms.md#simulator). */
const PUBLIC_OBJECTS = new Set<string>([OBIS.invocationCounter, OBIS.clock, OBIS.logicalDeviceName, OBIS.equipmentId, OBIS.associationLn]);

export interface ObjectContext {
  meter: MeterState;
  clientSap: number;
  now: () => Date;
}

export interface ActionOutcome {
  result: number;
  returnData?: DlmsData;
  /** Runs after the response went out (security setup key switch: the response still uses the old key). */
  afterResponse?: () => void;
}

function manufacturerToId(letters: string): number {
  return letters ? manufacturerTextToId(letters) : 0;
}

export function mbusClassVersion(meter: MeterState): 0 | 1 {
  return meter.profile === 'smr5' ? 1 : 0;
}

/** Channel 1..4 of an object 0-<ch>:24.1.0.255, or undefined for other objects. */
function mbusChannel(obis: Obis): number | undefined {
  const [a, b, c, d, e, f] = obis.values;
  return a === 0 && b >= 1 && b <= 4 && c === 24 && d === 1 && e === 0 && f === 255 ? b : undefined;
}

const ok = (data: DlmsData): GetDataResult => ({ kind: 'data', data });
const err = (result: number): GetDataResult => ({ kind: 'error', result });

export function getAttribute(ctx: ObjectContext, a: AttributeDescriptor): GetDataResult {
  const obis = a.instance.toString();
  if (ctx.clientSap !== 1 && !PUBLIC_OBJECTS.has(obis)) return err(DataAccessResult.READ_WRITE_DENIED);
  const m = ctx.meter;
  if (a.attributeId === 1) {
    if (objectClass(a.instance) !== a.classId) return err(DataAccessResult.OBJECT_UNDEFINED);
    return ok(Data.octetString(a.instance.bytes));
  }
  const key = `${a.classId}/${obis}`;
  switch (key) {
    case `1/${OBIS.invocationCounter}`:
      if (a.attributeId === 2) return ok(Data.doubleLongUnsigned(m.icObjectPublishesNext ? m.lastClientIc + 1 : m.lastClientIc));
      break;
    case `8/${OBIS.clock}`: {
      // DSMR meters send local time with deviation −60 (winter) / −120 (summer) (docs/dlms.md#a-xdr-data).
      const at = new Date(ctx.now().getTime() + m.clockOffsetMs);
      if (a.attributeId === 2) return ok(Data.octetString(dateToCosemDateTime(at, { deviation: 0, clockStatus: 0 })));
      if (a.attributeId === 3) return ok(Data.long(0));
      if (a.attributeId === 4) return ok(Data.unsigned(0));
      break;
    }
    case `1/${OBIS.logicalDeviceName}`:
      if (a.attributeId === 2) return ok(Data.octetString(Buffer.from(`MFS${m.systemTitle.toString('hex').toUpperCase()}`, 'ascii')));
      break;
    case `1/${OBIS.equipmentId}`:
      if (a.attributeId === 2) return ok(Data.octetString(Buffer.from(m.equipmentId, 'ascii')));
      break;
    case `64/${OBIS.securitySetup}`:
      if (a.attributeId === 2) return ok(Data.enum(3));
      if (a.attributeId === 3) return ok(Data.enum(0));
      if (a.attributeId === 5) return ok(Data.octetString(m.systemTitle));
      break;
    default: {
      const ch = mbusChannel(a.instance);
      if (ch !== undefined && a.classId === 72) return getMbus(m, ch, a.attributeId);
      return err(DataAccessResult.OBJECT_UNDEFINED);
    }
  }
  return err(DataAccessResult.OBJECT_UNDEFINED);
}

function objectClass(obis: Obis): number | undefined {
  const s = obis.toString();
  if (s === OBIS.invocationCounter || s === OBIS.logicalDeviceName || s === OBIS.equipmentId) return 1;
  if (s === OBIS.clock) return 8;
  if (s === OBIS.associationLn) return 15;
  if (s === OBIS.securitySetup) return 64;
  return mbusChannel(obis) !== undefined ? 72 : undefined;
}

function getMbus(m: MeterState, ch: number, attributeId: number): GetDataResult {
  const g = m.channels[ch - 1];
  const v = mbusClassVersion(m);
  switch (attributeId) {
    case 2:
      return ok(Data.octetString(Obis.parse('0-0:24.6.0.255').bytes));
    case 3:
      return ok(Data.array([]));
    case 4:
      return ok(Data.doubleLongUnsigned(3600));
    case 5:
      return ok(Data.unsigned(g?.primaryAddress ?? 0));
    case 6:
      // A class version 0 meter may hold a "BCD" value with a nibble above 9 (e.g. 'A2056731'): served as is.
      return ok(Data.doubleLongUnsigned(!g ? 0 : v === 0 && /^[0-9A-F]{8}$/.test(g.identification) ? Number.parseInt(g.identification, 16) : encodeIdentificationNumber(g.identification, v)));
    case 7:
      return ok(Data.longUnsigned(g ? manufacturerToId(g.manufacturer) : 0));
    case 8:
      return ok(Data.unsigned(g?.version ?? 0));
    case 9:
      return ok(Data.unsigned(g?.deviceType ?? 0));
    case 10:
    case 11:
    case 12:
      return ok(Data.unsigned(0));
    case 13:
      return v === 1 ? ok(Data.longUnsigned(0)) : err(DataAccessResult.OBJECT_UNDEFINED);
    case 14:
      return ok(Data.enum(encryptionKeyStatus(g)));
    default:
      return err(DataAccessResult.OBJECT_UNDEFINED);
  }
}

export function setAttribute(ctx: ObjectContext, a: AttributeDescriptor, value: DlmsData): number {
  if (ctx.clientSap !== 1) return DataAccessResult.READ_WRITE_DENIED;
  const m = ctx.meter;
  const obis = a.instance.toString();
  if (a.classId === 8 && obis === OBIS.clock && a.attributeId === 2) {
    if (value.type !== 'octet-string' || value.value.length !== 12) return DataAccessResult.TYPE_UNMATCHED;
    const y = value.value.readUInt16BE(0);
    const at = Date.UTC(y, value.value[2] - 1, value.value[3], value.value[5], value.value[6], value.value[7]);
    if (!Number.isFinite(at)) return DataAccessResult.OTHER_REASON;
    m.clockOffsetMs = at - ctx.now().getTime();
    return DataAccessResult.SUCCESS;
  }
  const ch = mbusChannel(a.instance);
  if (ch === undefined || a.classId !== 72) return DataAccessResult.OBJECT_UNDEFINED;
  if (a.attributeId < 5 || a.attributeId > 9) return DataAccessResult.READ_WRITE_DENIED;
  const expected = { 5: 'unsigned', 6: 'double-long-unsigned', 7: 'long-unsigned', 8: 'unsigned', 9: 'unsigned' }[a.attributeId as 5];
  if (value.type !== expected) return DataAccessResult.TYPE_UNMATCHED;
  const n = (value as { value: number }).value;
  // Writing an identity couples a device to the channel (docs/dlms.md#m-bus-client-class-72); its Default key is not known here.
  const g: GMeterState = m.channels[ch - 1] ?? { primaryAddress: 0, identification: '00000000', manufacturer: '', version: 0, deviceType: 0, defaultKey: Buffer.alloc(16) };
  if (a.attributeId === 5) g.primaryAddress = n;
  if (a.attributeId === 6) {
    const ident = decodeIdentificationNumber(n, mbusClassVersion(m));
    if (!ident.valid) return DataAccessResult.OTHER_REASON;
    g.identification = ident.text;
  }
  if (a.attributeId === 7) {
    try {
      g.manufacturer = manufacturerIdToText(n) ?? '';
    } catch {
      return DataAccessResult.OTHER_REASON;
    }
  }
  if (a.attributeId === 8) g.version = n;
  if (a.attributeId === 9) g.deviceType = n;
  m.channels[ch - 1] = g;
  return DataAccessResult.SUCCESS;
}

export function invokeMethod(ctx: ObjectContext, md: MethodDescriptor, params: DlmsData | undefined): ActionOutcome {
  if (ctx.clientSap !== 1) return { result: ActionResult.READ_WRITE_DENIED };
  const m = ctx.meter;
  const obis = md.instance.toString();
  if (md.classId === 64 && obis === OBIS.securitySetup && md.methodId === 2) return globalKeyTransfer(m, params);
  const ch = mbusChannel(md.instance);
  if (ch === undefined || md.classId !== 72) return { result: ActionResult.OBJECT_UNDEFINED };
  const g = m.channels[ch - 1];
  switch (md.methodId) {
    case 1: // slave_install
    case 3: // capture
    case 4: // reset_alarm
    case 5: // synchronize_clock
      return { result: g ? ActionResult.SUCCESS : ActionResult.OTHER_REASON };
    case 2: // slave_deinstall: integer(0), or unsigned(0) on GXF's retry (docs/dlms.md#m-bus-client-class-72)
      if (!params || (params.type !== 'integer' && params.type !== 'unsigned')) return { result: ActionResult.TYPE_UNMATCHED };
      m.channels[ch - 1] = undefined;
      return { result: ActionResult.SUCCESS };
    case 6: // data_send
      if (!g) return { result: ActionResult.OTHER_REASON };
      if (!params || params.type !== 'array') return { result: ActionResult.TYPE_UNMATCHED };
      return { result: ActionResult.SUCCESS };
    case 7: // set_encryption_key: octet-string(16); empty disables encryption
      if (!g) return { result: ActionResult.OTHER_REASON };
      if (!params || params.type !== 'octet-string') return { result: ActionResult.TYPE_UNMATCHED };
      if (params.value.length === 0) {
        g.setKey = undefined;
        return { result: ActionResult.SUCCESS };
      }
      if (params.value.length !== 16) return { result: ActionResult.OTHER_REASON };
      g.setKey = Buffer.from(params.value);
      return { result: ActionResult.SUCCESS };
    case 8: // transfer_key
      if (!g) return { result: ActionResult.OTHER_REASON };
      if (!params || params.type !== 'octet-string') return { result: ActionResult.TYPE_UNMATCHED };
      return transferKey(m, g, params.value);
    default:
      return { result: ActionResult.OBJECT_UNDEFINED };
  }
}

/** Unwraps the blob with the G-meter's Default key in the gateway profile's format (docs/dlms.md#transfer-key-blob). */
function transferKey(m: MeterState, g: GMeterState, blob: Buffer): ActionOutcome {
  try {
    if (m.profile === 'dsmr4') {
      if (blob.length !== 16) return { result: ActionResult.OTHER_REASON };
      g.transferredKey = unwrapDsmr4TransferKey(g.defaultKey, blob);
    } else {
      if (blob.length !== 30) return { result: ActionResult.OTHER_REASON };
      const r = unwrapSmr5TransferKey({ defaultKey: g.defaultKey, blob, identificationNumber: g.identification, manufacturerId: manufacturerToId(g.manufacturer) });
      if (r.keyId !== 0) return { result: ActionResult.OTHER_REASON };
      g.transferredKey = r.key;
    }
    return { result: ActionResult.SUCCESS };
  } catch (e) {
    if (isMeterfabricError(e)) return { result: ActionResult.OTHER_REASON };
    throw e;
  }
}

/** Class 64 method 2: unwrap under the master key; the new keys apply after the response (docs/dlms.md#global-key-transfer-class-64). */
function globalKeyTransfer(m: MeterState, params: DlmsData | undefined): ActionOutcome {
  if (!params) return { result: ActionResult.TYPE_UNMATCHED };
  let keys: { keyId: number; key: Buffer }[];
  try {
    keys = unwrapGlobalKeyTransfer(m.keys.mk, params);
  } catch {
    return { result: ActionResult.OTHER_REASON };
  }
  if (keys.some((k) => k.keyId === GlobalKeyId.GLOBAL_BROADCAST_ENCRYPTION_KEY)) return { result: ActionResult.OTHER_REASON };
  return {
    result: ActionResult.SUCCESS,
    afterResponse: () => {
      for (const k of keys) {
        if (k.keyId === GlobalKeyId.GLOBAL_UNICAST_ENCRYPTION_KEY) m.keys.ek = k.key;
        else if (k.keyId === GlobalKeyId.AUTHENTICATION_KEY) m.keys.ak = k.key;
        else if (k.keyId === GlobalKeyId.MASTER_KEY) m.keys.mk = k.key;
      }
    },
  };
}
