/**
 * The SOAP operations: request elements mapped to the platform's operation catalogue (src/platform/operations.ts)
 * and stored results mapped back to GXF's response elements.
 *
 * Naming (docs/gxf.md#names-and-namespaces): <Op>Request -> <Op>AsyncResponse; <Op>AsyncRequest -> <Op>Response. Children of the
 * Async elements are declared in the base schema and therefore in the common namespace (docs/gxf.md#asynchronous-pattern); so are Result,
 * exception and resultString of responses that extend common:Response (Couple*, DecoupleMbusDeviceByChannel,
 * DeleteResponseData). Result values carry a space: "NOT OK" (docs/gxf.md#result-families).
 */
import type { XmlElement } from 'libxml2-wasm';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import {
  MessageType,
  type AddDevicePayload,
  type ChannelElementValues,
  type GMeterSecretType,
  type MessageTypeName,
  type ResultType,
} from '../../platform/operations.ts';
import type { StoredResponse } from '../rest/platform-api.ts';
import { isEncryptionKeyStatusName } from '../../cosem/mbus.ts';
import { functionalFault } from './faults.ts';
import { schemaFiles } from './wsdl.ts';
import { child, childText, el, escapeXml, NS } from './xml.ts';

/** Message type of a stored pushed alarm (docs/push.md#what-happens-to-an-alarm; src/adapters/push-alarms.ts). */
export const PUSH_NOTIFICATION_ALARM = 'PUSH_NOTIFICATION_ALARM';

export type Family = 'lenient' | 'strict';

/** A request that becomes an asynchronous platform request (answered with <Op>AsyncResponse). */
export interface SubmitOperation {
  kind: 'submit';
  namespace: string;
  /** Local name of the request element, e.g. SetMbusUserKeyByChannelRequest. */
  element: string;
  asyncResponse: string;
  messageType: MessageTypeName;
  /** Reads the (already XSD-valid) request element; throws SoapFault or MeterfabricError to refuse it. */
  read(request: XmlElement): { deviceIdentification: string; payload: unknown };
}

/** A poll for the outcome (<Op>AsyncRequest -> <Op>Response). */
export interface PollOperation {
  kind: 'poll';
  namespace: string;
  element: string;
  response: string;
  /** The stored response's message type (a catalogue type, or PUSH_NOTIFICATION_ALARM for pushed alarms). */
  messageType: MessageTypeName | typeof PUSH_NOTIFICATION_ALARM;
  family: Family;
  /** Namespace of the CorrelationUid child: common for <Op>AsyncRequest, the operation's own otherwise. */
  correlationUidNamespace: string;
  /** Body of the response element for a stored response that is to be shown (not a strict NOT OK). */
  render(stored: StoredResponse, p: string): string;
}

/** DeleteResponseData, the one synchronous operation (docs/gxf.md#response-storage). */
export interface DeleteResponseDataOperation {
  kind: 'deleteResponseData';
  namespace: string;
  element: string;
  response: string;
}

export type SoapOperation = SubmitOperation | PollOperation | DeleteResponseDataOperation;

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

function text(parent: XmlElement, name: string): string {
  const v = childText(parent, name);
  if (v === undefined) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `${name} is missing`, { component: 'WS_SMART_METERING' });
  return v;
}

function sub(parent: XmlElement, name: string): XmlElement {
  const c = child(parent, name);
  if (!c) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `${name} is missing`, { component: 'WS_SMART_METERING' });
  return c;
}

function bool(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  return value === 'true' || value === '1';
}

function int(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  return Number(value);
}

/** Empty hexBinary elements mean "not given"; hex is normalised to lower case. */
function hex(value: string | undefined): string | undefined {
  return value ? value.toLowerCase() : undefined;
}

function validation(message: string): MeterfabricError {
  return new MeterfabricError(ErrorCode.VALIDATION_ERROR, message, { component: 'WS_SMART_METERING' });
}

const G_METER_SECRET_TYPES = new Set<string>([
  'G_METER_ENCRYPTION_KEY',
  'G_METER_FIRMWARE_UPDATE_AUTHENTICATION_KEY',
  'G_METER_OPTICAL_PORT_KEY',
]);
const DEVICE_TYPES = new Set<string>(['SMART_METER_E', 'SMART_METER_G', 'SMART_METER_W']);

function readAddDevice(request: XmlElement): { deviceIdentification: string; payload: AddDevicePayload } {
  const d = sub(request, 'Device');
  const deviceIdentification = childText(d, 'Device_Identification');
  // GXF accepts the request and fails later in the adapter (docs/gxf.md#adddevice); refusing it at once tells the client why.
  if (!deviceIdentification) throw validation('Device_Identification is required');
  const deviceType = childText(d, 'Device_type');
  if (!deviceType || !DEVICE_TYPES.has(deviceType)) {
    throw validation('Device_type must be SMART_METER_E, SMART_METER_G or SMART_METER_W');
  }
  const model = sub(request, 'DeviceModel');
  const payload: AddDevicePayload = {
    deviceIdentification,
    deviceType: deviceType as AddDevicePayload['deviceType'],
    protocolName: childText(d, 'protocolName'),
    protocolVersion: childText(d, 'protocolVersion'),
    protocolVariant: childText(d, 'protocolVariant'),
    timezone: childText(d, 'Timezone'),
    communicationMethod: childText(d, 'Communication_method'),
    communicationProvider: childText(d, 'Communication_provider'),
    iccId: childText(d, 'Icc_id'),
    supplier: childText(d, 'Supplier'),
    lls1Active: bool(childText(d, 'Lls1_active')),
    hls3Active: bool(childText(d, 'Hls3_active')),
    hls4Active: bool(childText(d, 'Hls4_active')),
    hls5Active: bool(childText(d, 'Hls5_active')),
    masterKey: hex(childText(d, 'Master_key')),
    globalEncryptionUnicastKey: hex(childText(d, 'Global_encryption_unicast_key')),
    authenticationKey: hex(childText(d, 'Authentication_key')),
    mbusIdentificationNumber: childText(d, 'Mbus_identification_number'),
    mbusManufacturerIdentification: childText(d, 'Mbus_manufacturer_identification'),
    mbusVersion: int(childText(d, 'Mbus_version')),
    mbusDeviceTypeIdentification: int(childText(d, 'Mbus_device_type_identification')),
    mbusDefaultKey: hex(childText(d, 'Mbus_default_key')),
    mbusUserKey: hex(childText(d, 'Mbus_user_key')),
    mbusFirmwareUpdateAuthenticationKey: hex(childText(d, 'Mbus_firmware_update_authentication_key')),
    mbusP0Key: hex(childText(d, 'Mbus_p0_key')),
    polyphase: bool(childText(d, 'Polyphase')),
    ipAddressIsStatic: bool(childText(d, 'IpAddressIsStatic')),
    deliveryDate: childText(d, 'Delivery_date'),
    withListMax: int(childText(d, 'WithListMax')),
    selectiveAccessSupported: bool(childText(d, 'SelectiveAccessSupported')),
    challengeLength: int(childText(d, 'ChallengeLength')),
    port: int(childText(d, 'Port')),
    deviceModel: { manufacturer: text(model, 'Manufacturer'), modelCode: childText(model, 'ModelCode') },
    overwrite: bool(childText(request, 'overwrite')) ?? false,
  };
  for (const k of Object.keys(payload) as (keyof AddDevicePayload)[]) if (payload[k] === undefined) delete payload[k];
  if (payload.deviceModel && payload.deviceModel.modelCode === undefined) delete payload.deviceModel.modelCode;
  return { deviceIdentification, payload };
}

// ---- rendering responses ----------------------------------------------------------------------------------

function record(data: unknown, what: string): Record<string, unknown> {
  if (data === null || typeof data !== 'object') throw new IncompleteResultError(what);
  return data as Record<string, unknown>;
}

function isByte(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 255;
}

function isChannel(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 4;
}

const DEVICE_ID = /^[a-zA-Z0-9 ]{16,}$/;

function deviceId(v: unknown, what: string): string {
  if (typeof v !== 'string' || !DEVICE_ID.test(v)) throw new IncompleteResultError(what);
  return v;
}

/** installation:ChannelElementValues (all six children required). */
function channelElementValues(v: unknown, p: string): string {
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
function nillable(qname: string, value: unknown, fits: (v: unknown) => boolean): string {
  return fits(value) ? el(qname, value as string | number) : `<${qname} xsi:nil="true"/>`;
}

/** adhoc:ChannelShortId with a common:MbusShortEquipmentIdentifier (docs/gxf.md#scanmbuschannels). */
function channelShortId(v: unknown, p: string): string {
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
function resultWithDescription(stored: StoredResponse, p: string): string {
  const description = typeof stored.data === 'string' ? el(`${p}:Description`, stored.data) : '';
  return el(`${p}:Result`, resultText(stored.result)) + description;
}

function encryptionKeyStatus(stored: StoredResponse, p: string): string {
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
function alarmTypes(stored: StoredResponse): string[] {
  const alarms = record(stored.data, 'data').alarms;
  if (!Array.isArray(alarms)) throw new IncompleteResultError('alarms');
  return alarms.filter((a): a is string => typeof a === 'string' && ALARM_TYPES.has(a));
}

/** RetrievePushNotificationAlarmResponse{DeviceIdentification, AlarmRegister{AlarmTypes*}} (docs/push.md#reading-a-stored-alarm). */
function retrievePushNotificationAlarm(stored: StoredResponse, p: string): string {
  const types = alarmTypes(stored);
  return (
    el(`${p}:DeviceIdentification`, deviceId(stored.deviceIdentification, 'deviceIdentification')) +
    `<${p}:AlarmRegister>${types.map((t) => el(`${p}:AlarmTypes`, t)).join('')}</${p}:AlarmRegister>`
  );
}

/** GetPushNotificationAlarmResponse{Result, decodedMessage, encodedMessage, alarm+} (docs/push.md#reading-a-stored-alarm). */
function getPushNotificationAlarm(stored: StoredResponse, p: string): string {
  const d = record(stored.data, 'data');
  if (typeof d.decodedMessage !== 'string') throw new IncompleteResultError('decodedMessage');
  if (typeof d.encodedMessage !== 'string' || !/^(?:[0-9A-Fa-f]{2})*$/.test(d.encodedMessage)) throw new IncompleteResultError('encodedMessage');
  const types = alarmTypes(stored);
  // The schema requires at least one alarm; a push with only unnamed bits cannot be shown here (REST shows it).
  if (types.length === 0) throw new IncompleteResultError('alarm');
  return (
    el(`${p}:Result`, resultText(stored.result)) +
    el(`${p}:decodedMessage`, d.decodedMessage) +
    el(`${p}:encodedMessage`, d.encodedMessage.toUpperCase()) +
    types.map((t) => el(`${p}:alarm`, t)).join('')
  );
}

// ---- the catalogue ----------------------------------------------------------------------------------------

function submit(namespace: string, op: string, messageType: MessageTypeName, read: SubmitOperation['read']): SubmitOperation {
  return { kind: 'submit', namespace, element: `${op}Request`, asyncResponse: `${op}AsyncResponse`, messageType, read };
}

function poll(namespace: string, op: string, messageType: PollOperation['messageType'], family: Family, render: PollOperation['render']): PollOperation {
  return { kind: 'poll', namespace, element: `${op}AsyncRequest`, response: `${op}Response`, messageType, family, render, correlationUidNamespace: NS.common };
}

const channelOf = (request: XmlElement, data: string): number => Number(text(sub(request, data), 'Channel'));

export const OPERATIONS: readonly SoapOperation[] = [
  // Configuration (docs/gxf.md#setmbususerkeybychannel, #setkeyongmeter, #encryption-key-status)
  submit(NS.configuration, 'SetMbusUserKeyByChannel', MessageType.SET_MBUS_USER_KEY_BY_CHANNEL, (r) => ({
    deviceIdentification: text(r, 'DeviceIdentification'),
    payload: { channel: channelOf(r, 'SetMbusUserKeyByChannelRequestData') },
  })),
  poll(NS.configuration, 'SetMbusUserKeyByChannel', MessageType.SET_MBUS_USER_KEY_BY_CHANNEL, 'lenient', resultWithDescription),

  submit(NS.configuration, 'SetKeyOnGMeter', MessageType.SET_KEY_ON_G_METER, (r) => {
    const deviceIdentification = text(r, 'DeviceIdentification');
    const data = sub(r, 'SetKeyOnGMeterRequestData');
    const mbusDeviceIdentification = text(data, 'MbusDeviceIdentification');
    // GXF mixes the two devices when the ids differ (docs/gxf.md#setkeyongmeter, #where-meterfabric-differs item 14): refuse instead.
    if (mbusDeviceIdentification !== deviceIdentification) {
      throw validation('DeviceIdentification and MbusDeviceIdentification must name the same M-Bus device');
    }
    const secretType = text(data, 'SecretType');
    // GXF fails these asynchronously in the adapter (docs/gxf.md#setkeyongmeter); only the three G-meter key types can be set on a G-meter.
    if (!G_METER_SECRET_TYPES.has(secretType)) throw validation(`SecretType ${secretType} cannot be set on a G-meter`);
    const closeOpticalPort = bool(childText(data, 'CloseOpticalPort'));
    return {
      deviceIdentification,
      payload: {
        mbusDeviceIdentification,
        secretType: secretType as GMeterSecretType,
        ...(closeOpticalPort === undefined ? {} : { closeOpticalPort }),
      },
    };
  }),
  poll(NS.configuration, 'SetKeyOnGMeter', MessageType.SET_KEY_ON_G_METER, 'lenient', resultWithDescription),

  submit(NS.configuration, 'GetMbusEncryptionKeyStatus', MessageType.GET_MBUS_ENCRYPTION_KEY_STATUS, (r) => ({
    deviceIdentification: text(r, 'DeviceIdentification'),
    payload: {},
  })),
  poll(NS.configuration, 'GetMbusEncryptionKeyStatus', MessageType.GET_MBUS_ENCRYPTION_KEY_STATUS, 'strict', encryptionKeyStatus),

  submit(NS.configuration, 'GetMbusEncryptionKeyStatusByChannel', MessageType.GET_MBUS_ENCRYPTION_KEY_STATUS_BY_CHANNEL, (r) => ({
    deviceIdentification: text(r, 'GatewayDeviceIdentification'),
    payload: { channel: channelOf(r, 'GetMbusEncryptionKeyStatusByChannelRequestData') },
  })),
  poll(NS.configuration, 'GetMbusEncryptionKeyStatusByChannel', MessageType.GET_MBUS_ENCRYPTION_KEY_STATUS_BY_CHANNEL, 'strict', encryptionKeyStatus),

  // Adhoc (docs/gxf.md#scanmbuschannels)
  submit(NS.adhoc, 'ScanMbusChannels', MessageType.SCAN_MBUS_CHANNELS, (r) => ({
    deviceIdentification: text(r, 'DeviceIdentification'),
    payload: {},
  })),
  poll(NS.adhoc, 'ScanMbusChannels', MessageType.SCAN_MBUS_CHANNELS, 'strict', (stored, p) => {
    let channels: unknown[] = [];
    if (stored.data !== undefined && stored.data !== null) {
      const c = record(stored.data, 'data').channels;
      if (!Array.isArray(c) || c.length > 4) throw new IncompleteResultError('channels');
      channels = c;
    }
    return el(`${p}:Result`, resultText(stored.result)) + channels.map((c) => channelShortId(c, p)).join('');
  }),

  // Installation (docs/gxf.md#coupling-and-decoupling, #adddevice)
  submit(NS.installation, 'AddDevice', MessageType.ADD_METER, readAddDevice),
  poll(NS.installation, 'AddDevice', MessageType.ADD_METER, 'strict', resultWithDescription),

  submit(NS.installation, 'CoupleMbusDevice', MessageType.COUPLE_MBUS_DEVICE, (r) => ({
    deviceIdentification: text(r, 'DeviceIdentification'),
    payload: { mbusDeviceIdentification: text(r, 'MbusDeviceIdentification'), force: bool(childText(r, 'Force')) ?? false },
  })),
  poll(NS.installation, 'CoupleMbusDevice', MessageType.COUPLE_MBUS_DEVICE, 'strict', (stored, p) => {
    const d = record(stored.data, 'data');
    return (
      el('common:Result', resultText(stored.result)) +
      el(`${p}:MbusDeviceIdentification`, deviceId(d.mbusDeviceIdentification, 'mbusDeviceIdentification')) +
      channelElementValues(d.channelElementValues, p)
    );
  }),

  submit(NS.installation, 'DecoupleMbusDevice', MessageType.DECOUPLE_MBUS_DEVICE, (r) => ({
    deviceIdentification: text(r, 'DeviceIdentification'),
    payload: { mbusDeviceIdentification: text(r, 'MbusDeviceIdentification') },
  })),
  poll(NS.installation, 'DecoupleMbusDevice', MessageType.DECOUPLE_MBUS_DEVICE, 'strict', resultWithDescription),

  submit(NS.installation, 'CoupleMbusDeviceByChannel', MessageType.COUPLE_MBUS_DEVICE_BY_CHANNEL, (r) => ({
    deviceIdentification: text(r, 'DeviceIdentification'),
    payload: { channel: channelOf(r, 'CoupleMbusDeviceByChannelRequestData') },
  })),
  poll(NS.installation, 'CoupleMbusDeviceByChannel', MessageType.COUPLE_MBUS_DEVICE_BY_CHANNEL, 'strict', (stored, p) => {
    const d = record(stored.data, 'data');
    return el('common:Result', resultText(stored.result)) + channelElementValues(d.channelElementValues, p);
  }),

  submit(NS.installation, 'DecoupleMbusDeviceByChannel', MessageType.DECOUPLE_MBUS_DEVICE_BY_CHANNEL, (r) => ({
    deviceIdentification: text(r, 'DeviceIdentification'),
    payload: { channel: channelOf(r, 'DecoupleMbusDeviceByChannelRequestData') },
  })),
  poll(NS.installation, 'DecoupleMbusDeviceByChannel', MessageType.DECOUPLE_MBUS_DEVICE_BY_CHANNEL, 'strict', (stored, p) => {
    const d = stored.data === undefined || stored.data === null ? {} : record(stored.data, 'data');
    const result = el('common:Result', resultText(stored.result)) + (typeof d.resultString === 'string' ? el('common:resultString', d.resultString) : '');
    // The schema makes (mbusDeviceIdentification, ChannelElementValues) one optional group: both or neither. GXF
    // sends ChannelElementValues alone when it knows no device for the channel; a WSDL client (zeep) refuses that,
    // so SOAP leaves the group out and REST shows the values (docs/gxf-compatibility.md).
    if (d.mbusDeviceIdentification === undefined || d.channelElementValues === undefined) return result;
    return (
      result +
      el(`${p}:mbusDeviceIdentification`, deviceId(d.mbusDeviceIdentification, 'mbusDeviceIdentification')) +
      channelElementValues(d.channelElementValues, p)
    );
  }),

  // Pushed alarms (docs/push.md#reading-a-stored-alarm): GXF reads the stored PushNotificationAlarm; a non-OK result is an exception.
  poll(NS.configuration, 'GetPushNotificationAlarm', PUSH_NOTIFICATION_ALARM, 'strict', getPushNotificationAlarm),
  {
    kind: 'poll',
    namespace: NS.monitoring,
    element: 'RetrievePushNotificationAlarmRequest',
    response: 'RetrievePushNotificationAlarmResponse',
    messageType: PUSH_NOTIFICATION_ALARM,
    family: 'strict',
    render: retrievePushNotificationAlarm,
    correlationUidNamespace: NS.monitoring,
  },

  // Common (docs/gxf.md#response-storage)
  { kind: 'deleteResponseData', namespace: NS.smCommon, element: 'DeleteResponseDataRequest', response: 'DeleteResponseDataResponse' },
];

export const OPERATIONS_BY_QNAME: ReadonlyMap<string, SoapOperation> = new Map(
  OPERATIONS.map((op) => [`{${op.namespace}}${op.element}`, op]),
);

/** Opening and closing of a response element in the operation's namespace (prefix `ns`), common as `common`. */
export function responseElement(namespace: string, local: string, inner: string): string {
  const xsi = inner.includes('xsi:nil') ? ` xmlns:xsi="${NS.xsi}"` : '';
  return `<ns:${local} xmlns:ns="${escapeXml(namespace)}" xmlns:common="${NS.common}"${xsi}>${inner}</ns:${local}>`;
}

/** <Op>AsyncResponse: the device and the correlation id, both in the common namespace (docs/gxf.md#asynchronous-pattern). */
export function asyncResponse(op: SubmitOperation, deviceIdentification: string, correlationUid: string): string {
  return responseElement(
    op.namespace,
    op.asyncResponse,
    el('common:DeviceIdentification', deviceIdentification) + el('common:CorrelationUid', correlationUid),
  );
}

/** The fault for a poll whose correlation id belongs to another operation (GXF's typed lookups, docs/gxf.md#unknown-correlation-uid). */
export function correlationTypeMismatch(): Error {
  return functionalFault({
    code: ErrorCode.VALIDATION_ERROR,
    message: 'CorrelationUid does not match any data of the requested type.',
    component: 'WS_SMART_METERING',
    innerException: '',
    innerMessage: '',
  });
}
