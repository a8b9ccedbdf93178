/**
 * Pieces shared by the xDLMS services (docs/dlms.md#xdlms-services): invoke-id-and-priority, attribute and method descriptors,
 * Data-Access-Result and Action-Result codes, Get-Data-Result.
 */
import { type DlmsData, encodeData, readData } from '../axdr.ts';
import { ByteReader, checkUint, decodeError } from '../bytes.ts';
import { Obis } from '../obis.ts';

// ---------------------------------------------------------------------------------------------------------------
// Invoke-id-and-priority: bits 0-3 invoke id, bit 6 service class (1 = confirmed), bit 7 priority (1 = high).

export interface InvokeIdAndPriority {
  invokeId: number;
  confirmed: boolean;
  highPriority: boolean;
}

/** 0xC1: invoke id 1, confirmed, high priority — what most clients send (jDLMS/GXF send 0x40 | id). */
export const DEFAULT_INVOKE_ID_AND_PRIORITY = 0xc1;

export function encodeInvokeIdAndPriority(p: InvokeIdAndPriority): number {
  checkUint(p.invokeId, 15, 'invoke id');
  return p.invokeId | (p.confirmed ? 0x40 : 0) | (p.highPriority ? 0x80 : 0);
}

export function decodeInvokeIdAndPriority(byte: number): InvokeIdAndPriority {
  return { invokeId: byte & 0x0f, confirmed: (byte & 0x40) !== 0, highPriority: (byte & 0x80) !== 0 };
}

/** Invoke id of an invoke-id-and-priority byte; responses must echo the request's. */
export function invokeIdOf(byte: number): number {
  return byte & 0x0f;
}

// ---------------------------------------------------------------------------------------------------------------
// Descriptors

export interface AttributeDescriptor {
  classId: number;
  instance: Obis;
  attributeId: number;
}

export interface MethodDescriptor {
  classId: number;
  instance: Obis;
  methodId: number;
}

/** Selective access (access-selector + access-parameters) of a get/set request. */
export interface AccessSelection {
  selector: number;
  parameters: DlmsData;
}

export function attributeDescriptor(classId: number, instance: Obis | string, attributeId: number): AttributeDescriptor {
  return { classId, instance: typeof instance === 'string' ? Obis.parse(instance) : instance, attributeId };
}

export function methodDescriptor(classId: number, instance: Obis | string, methodId: number): MethodDescriptor {
  return { classId, instance: typeof instance === 'string' ? Obis.parse(instance) : instance, methodId };
}

/** class-id (2) ‖ instance-id (6) ‖ attribute-id / method-id (1, signed in the Blue Book but 0..127 in practice). */
export function encodeDescriptor(classId: number, instance: Obis, id: number): Buffer {
  checkUint(classId, 0xffff, 'class id');
  checkUint(id, 0xff, 'attribute/method id');
  const out = Buffer.allocUnsafe(9);
  out.writeUInt16BE(classId, 0);
  instance.bytes.copy(out, 2, 0, 6);
  out[8] = id;
  return out;
}

/** No selective access: the presence byte 00 (only ever copied into a larger APDU). */
const NO_ACCESS_SELECTION = Buffer.from([0x00]);

export function readAttributeDescriptor(r: ByteReader): AttributeDescriptor {
  const classId = r.u16('class id');
  const instance = Obis.fromBytes(r.view(6, 'instance id'));
  const attributeId = r.u8('attribute id');
  return { classId, instance, attributeId };
}

export function readMethodDescriptor(r: ByteReader): MethodDescriptor {
  const classId = r.u16('class id');
  const instance = Obis.fromBytes(r.view(6, 'instance id'));
  const methodId = r.u8('method id');
  return { classId, instance, methodId };
}

export function encodeAccessSelection(a: AccessSelection | undefined): Buffer {
  if (!a) return NO_ACCESS_SELECTION;
  return Buffer.concat([Buffer.from([0x01, checkUint(a.selector, 0xff, 'access selector')]), encodeData(a.parameters)]);
}

export function readAccessSelection(r: ByteReader): AccessSelection | undefined {
  return readOptional(r, 'access-selection', () => ({ selector: r.u8('access selector'), parameters: readData(r) }));
}

/** OPTIONAL fields are a presence byte 00/01 (docs/dlms.md#xdlms-services). */
export function readOptional<T>(r: ByteReader, field: string, read: () => T): T | undefined {
  const present = r.u8(`${field} presence`);
  if (present === 0) return undefined;
  if (present === 1) return read();
  throw decodeError(`${r.what}: ${field} presence byte must be 00 or 01, got 0x${present.toString(16).padStart(2, '0')}`);
}

export function sameAttribute(a: AttributeDescriptor, b: AttributeDescriptor): boolean {
  return a.classId === b.classId && a.attributeId === b.attributeId && a.instance.equals(b.instance);
}

// ---------------------------------------------------------------------------------------------------------------
// Result codes (docs/dlms.md#result-codes). Values missing here are still carried as numbers.

export const DataAccessResult = {
  SUCCESS: 0,
  HARDWARE_FAULT: 1,
  TEMPORARY_FAILURE: 2,
  READ_WRITE_DENIED: 3,
  OBJECT_UNDEFINED: 4,
  OBJECT_CLASS_INCONSISTENT: 9,
  OBJECT_UNAVAILABLE: 11,
  TYPE_UNMATCHED: 12,
  SCOPE_OF_ACCESS_VIOLATED: 13,
  DATA_BLOCK_UNAVAILABLE: 14,
  LONG_GET_ABORTED: 15,
  NO_LONG_GET_IN_PROGRESS: 16,
  LONG_SET_ABORTED: 17,
  NO_LONG_SET_IN_PROGRESS: 18,
  DATA_BLOCK_NUMBER_INVALID: 19,
  OTHER_REASON: 250,
} as const;

export const ActionResult = {
  SUCCESS: 0,
  HARDWARE_FAULT: 1,
  TEMPORARY_FAILURE: 2,
  READ_WRITE_DENIED: 3,
  OBJECT_UNDEFINED: 4,
  OBJECT_CLASS_INCONSISTENT: 9,
  OBJECT_UNAVAILABLE: 11,
  TYPE_UNMATCHED: 12,
  SCOPE_OF_ACCESS_VIOLATED: 13,
  DATA_BLOCK_UNAVAILABLE: 14,
  LONG_ACTION_ABORTED: 15,
  NO_LONG_ACTION_IN_PROGRESS: 16,
  OTHER_REASON: 250,
} as const;

const dataAccessNames = new Map<number, string>(Object.entries(DataAccessResult).map(([k, v]) => [v, k]));
const actionNames = new Map<number, string>(Object.entries(ActionResult).map(([k, v]) => [v, k]));

/** e.g. 12 → "TYPE_UNMATCHED"; unknown codes → "RESULT_<n>". */
export function dataAccessResultName(code: number): string {
  return dataAccessNames.get(code) ?? `RESULT_${code}`;
}

export function actionResultName(code: number): string {
  return actionNames.get(code) ?? `RESULT_${code}`;
}

/** Get-Data-Result: CHOICE { data [0] Data, data-access-result [1] Data-Access-Result }. */
export type GetDataResult = { kind: 'data'; data: DlmsData } | { kind: 'error'; result: number };

export const GetDataResult = {
  data: (data: DlmsData): GetDataResult => ({ kind: 'data', data }),
  error: (result: number): GetDataResult => ({ kind: 'error', result }),
};

export function encodeGetDataResult(g: GetDataResult): Buffer {
  if (g.kind === 'data') return Buffer.concat([Buffer.from([0x00]), encodeData(g.data)]);
  return Buffer.from([0x01, checkUint(g.result, 0xff, 'data-access-result')]);
}

export function readGetDataResult(r: ByteReader): GetDataResult {
  const choice = r.u8('Get-Data-Result choice');
  if (choice === 0) return { kind: 'data', data: readData(r) };
  if (choice === 1) return { kind: 'error', result: r.u8('data-access-result') };
  throw decodeError(`${r.what}: Get-Data-Result choice must be 00 or 01, got 0x${choice.toString(16).padStart(2, '0')}`);
}
