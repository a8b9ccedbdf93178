/**
 * Helpers for an operation's SOAP mapping (src/operations): reading request elements and rendering response
 * bodies. Result values carry a space: "NOT OK" (docs/gxf.md#result-families). Children of GXF's Async elements and
 * of responses that extend common:Response are in the common namespace (docs/gxf.md#asynchronous-pattern).
 */
import type { XmlElement } from 'libxml2-wasm';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import type { ChannelElementValues, ResultType, StoredResponse } from '../../platform/operations.ts';
import { isEncryptionKeyStatusName } from '../../cosem/mbus.ts';
import { schemaFiles } from './wsdl.ts';
import { child, childText, el } from './xml.ts';

export { el };

/** Thrown by a renderer when the stored data cannot fill the response the schema requires. */
export class IncompleteResultError extends Error {
  constructor(what: string) {
    super(`stored result lacks ${what}`);
    this.name = 'IncompleteResultError';
  }
}

const RESULT_TEXT: Record<ResultType, string> = { OK: 'OK', NOT_OK: 'NOT OK', NOT_FOUND: 'NOT FOUND' };

export function resultText(result: ResultType): string {
  return RESULT_TEXT[result] ?? 'NOT OK';
}

// ---- reading requests -------------------------------------------------------------------------------------

export function text(parent: XmlElement, name: string): string {
  const v = childText(parent, name);
  if (v === undefined) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `${name} is missing`, { component: 'WS_SMART_METERING' });
  return v;
}

export function sub(parent: XmlElement, name: string): XmlElement {
  const c = child(parent, name);
  if (!c) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `${name} is missing`, { component: 'WS_SMART_METERING' });
  return c;
}

export function bool(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  return value === 'true' || value === '1';
}

export function int(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  return Number(value);
}

/** Empty hexBinary elements mean "not given"; hex is normalised to lower case. */
export function hex(value: string | undefined): string | undefined {
  return value ? value.toLowerCase() : undefined;
}

export function validation(message: string): MeterfabricError {
  return new MeterfabricError(ErrorCode.VALIDATION_ERROR, message, { component: 'WS_SMART_METERING' });
}

// ---- rendering responses ----------------------------------------------------------------------------------

export function record(data: unknown, what: string): Record<string, unknown> {
  if (data === null || typeof data !== 'object') throw new IncompleteResultError(what);
  return data as Record<string, unknown>;
}

export function isByte(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 255;
}

export function isChannel(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 4;
}

const DEVICE_ID = /^[a-zA-Z0-9 ]{16,}$/;

export function deviceId(v: unknown, what: string): string {
  if (typeof v !== 'string' || !DEVICE_ID.test(v)) throw new IncompleteResultError(what);
  return v;
}

/** installation:ChannelElementValues (all six children required). */
export function channelElementValues(v: unknown, p: string): string {
  const c = record(v, 'channelElementValues') as Partial<ChannelElementValues>;
  const primaryOk = Number.isInteger(c.primaryAddress) && c.primaryAddress! >= -32768 && c.primaryAddress! <= 32767;
  if (!isChannel(c.channel) || !primaryOk || typeof c.identificationNumber !== 'string' ||
      typeof c.manufacturerIdentification !== 'string' || !isByte(c.version) || !isByte(c.deviceTypeIdentification)) {
    throw new IncompleteResultError('channelElementValues');
  }
  return (
    `<${p}:ChannelElementValues>${el(`${p}:Channel`, c.channel)}${el(`${p}:PrimaryAddress`, c.primaryAddress!)}` +
    `${el(`${p}:IdentificationNumber`, c.identificationNumber)}${el(`${p}:ManufacturerIdentification`, c.manufacturerIdentification)}` +
    `${el(`${p}:Version`, c.version)}${el(`${p}:DeviceTypeIdentification`, c.deviceTypeIdentification)}</${p}:ChannelElementValues>`
  );
}

/** A nillable element: the value when it fits the schema type, else xsi:nil (GXF's undecodable texts do not fit). */
export function nillable(qname: string, value: unknown, fits: (v: unknown) => boolean): string {
  return fits(value) ? el(qname, value as string | number) : `<${qname} xsi:nil="true"/>`;
}

/** adhoc:ChannelShortId with a common:MbusShortEquipmentIdentifier (docs/gxf.md#scanmbuschannels). */
export function channelShortId(v: unknown, p: string): string {
  const c = record(v, 'channels[]') as Partial<ChannelElementValues>;
  if (!isChannel(c.channel)) throw new IncompleteResultError('channels[].channel');
  return (
    `<${p}:ChannelShortId>${el(`${p}:Channel`, c.channel)}<${p}:ShortId>` +
    nillable('common:IdentificationNumber', c.identificationNumber, (x) => typeof x === 'string' && /^[0-9]{8}$/.test(x)) +
    nillable('common:ManufacturerIdentification', c.manufacturerIdentification, (x) => typeof x === 'string' && /^[A-Z]{3}$/.test(x)) +
    nillable('common:VersionIdentification', c.version, isByte) +
    nillable('common:DeviceTypeIdentification', c.deviceTypeIdentification, isByte) +
    `</${p}:ShortId></${p}:ChannelShortId>`
  );
}

/** Result in the operation's own namespace, plus Description only when the stored data is plain text (docs/gxf.md#result-families). */
export function resultWithDescription(stored: StoredResponse, p: string): string {
  const description = typeof stored.data === 'string' ? el(`${p}:Description`, stored.data) : '';
  return el(`${p}:Result`, resultText(stored.result)) + description;
}

export function encryptionKeyStatus(stored: StoredResponse, p: string): string {
  const status = stored.data === undefined || stored.data === null ? undefined : record(stored.data, 'data').encryptionKeyStatus;
  if (status !== undefined && !isEncryptionKeyStatusName(status)) throw new IncompleteResultError('encryptionKeyStatus');
  return el(`${p}:Result`, resultText(stored.result)) + (status === undefined ? '' : el(`${p}:EncryptionKeyStatus`, status as string));
}

/** The names of common:AlarmType (base-ws-smartmetering.xsd), read from the schema that validates the output. */
export const ALARM_TYPES: ReadonlySet<string> = (() => {
  const xsd = schemaFiles.get('base-ws-smartmetering.xsd')?.toString('utf8') ?? '';
  const type = /<xsd:simpleType name="AlarmType">([\s\S]*?)<\/xsd:simpleType>/.exec(xsd)?.[1] ?? '';
  return new Set([...type.matchAll(/<xsd:enumeration value="([A-Z0-9_]+)"/g)].map((m) => m[1]!));
})();

/**
 * The stored alarm's names that are GXF AlarmTypes. Bits without a name (unknownBits) are not AlarmTypes and
 * are left out of SOAP; REST shows them (issue 5 point 5).
 */
export function alarmTypes(stored: StoredResponse): string[] {
  const alarms = record(stored.data, 'data').alarms;
  if (!Array.isArray(alarms)) throw new IncompleteResultError('alarms');
  return alarms.filter((a): a is string => typeof a === 'string' && ALARM_TYPES.has(a));
}

/** The Channel child of an operation's request data element. */
export const channelOf = (request: XmlElement, data: string): number => Number(text(sub(request, data), 'Channel'));
