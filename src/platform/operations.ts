/**
 * The catalogue of device operations: the contract between the APIs (SOAP, REST), the platform's request
 * pipeline and the command executors in src/adapters.
 *
 * messageType = GXF's DeviceFunction name (docs/gxf.md#device-functions); it is also the notification type.
 * Payloads and results are plain JSON objects, stored with the request and the response.
 */
import type { ChannelElementValues, EncryptionKeyStatusName } from '../cosem/mbus.ts';

export const MessageType = {
  SET_MBUS_USER_KEY_BY_CHANNEL: 'SET_MBUS_USER_KEY_BY_CHANNEL',
  SET_KEY_ON_G_METER: 'SET_KEY_ON_G_METER',
  GET_MBUS_ENCRYPTION_KEY_STATUS: 'GET_MBUS_ENCRYPTION_KEY_STATUS',
  GET_MBUS_ENCRYPTION_KEY_STATUS_BY_CHANNEL: 'GET_MBUS_ENCRYPTION_KEY_STATUS_BY_CHANNEL',
  SCAN_MBUS_CHANNELS: 'SCAN_MBUS_CHANNELS',
  COUPLE_MBUS_DEVICE: 'COUPLE_MBUS_DEVICE',
  DECOUPLE_MBUS_DEVICE: 'DECOUPLE_MBUS_DEVICE',
  COUPLE_MBUS_DEVICE_BY_CHANNEL: 'COUPLE_MBUS_DEVICE_BY_CHANNEL',
  DECOUPLE_MBUS_DEVICE_BY_CHANNEL: 'DECOUPLE_MBUS_DEVICE_BY_CHANNEL',
  ADD_METER: 'ADD_METER',
} as const;
export type MessageTypeName = (typeof MessageType)[keyof typeof MessageType];

/** GXF's EncryptionKeyStatus names, declared once with their attribute values in src/cosem/mbus.ts. */
export type EncryptionKeyStatus = EncryptionKeyStatusName;

export type GMeterSecretType =
  | 'G_METER_ENCRYPTION_KEY'
  | 'G_METER_FIRMWARE_UPDATE_AUTHENTICATION_KEY'
  | 'G_METER_OPTICAL_PORT_KEY';

export type { ChannelElementValues };

/** Request payloads by message type. deviceIdentification of the request is the device authorisation is checked on. */
export interface Payloads {
  SET_MBUS_USER_KEY_BY_CHANNEL: { channel: number };
  SET_KEY_ON_G_METER: { mbusDeviceIdentification: string; secretType: GMeterSecretType; closeOpticalPort?: boolean };
  GET_MBUS_ENCRYPTION_KEY_STATUS: Record<string, never>; // request device = the M-Bus device
  GET_MBUS_ENCRYPTION_KEY_STATUS_BY_CHANNEL: { channel: number };
  SCAN_MBUS_CHANNELS: Record<string, never>;
  COUPLE_MBUS_DEVICE: { mbusDeviceIdentification: string; force?: boolean };
  DECOUPLE_MBUS_DEVICE: { mbusDeviceIdentification: string };
  COUPLE_MBUS_DEVICE_BY_CHANNEL: { channel: number };
  DECOUPLE_MBUS_DEVICE_BY_CHANNEL: { channel: number };
  /** Keys are hex of RSA-OAEP(SHA-1) ciphertexts under the platform's public key, as GXF clients send them. */
  ADD_METER: AddDevicePayload;
}

export interface AddDevicePayload {
  deviceIdentification: string;
  deviceType: 'SMART_METER_E' | 'SMART_METER_G' | 'SMART_METER_W';
  protocolName?: string; // e.g. 'DSMR' | 'SMR'
  protocolVersion?: string; // e.g. '2.2' | '4.2.2' | '4.3' | '5.0.0' | '5.1' | '5.2' | '5.5'
  protocolVariant?: string;
  timezone?: string;
  communicationMethod?: string;
  communicationProvider?: string;
  iccId?: string;
  supplier?: string;
  lls1Active?: boolean;
  hls3Active?: boolean;
  hls4Active?: boolean;
  hls5Active?: boolean;
  masterKey?: string;
  globalEncryptionUnicastKey?: string;
  authenticationKey?: string;
  mbusIdentificationNumber?: string;
  mbusManufacturerIdentification?: string;
  mbusVersion?: number;
  mbusDeviceTypeIdentification?: number;
  mbusDefaultKey?: string;
  mbusUserKey?: string;
  mbusFirmwareUpdateAuthenticationKey?: string;
  mbusP0Key?: string;
  polyphase?: boolean;
  ipAddressIsStatic?: boolean;
  /** ISO 8601 date-time (GXF's Delivery_date). */
  deliveryDate?: string;
  withListMax?: number;
  selectiveAccessSupported?: boolean;
  challengeLength?: number;
  port?: number;
  deviceModel?: { manufacturer: string; modelCode?: string };
  overwrite?: boolean;
}

/** Result data by message type (absent = no data beyond OK / NOT OK). */
export interface Results {
  SET_MBUS_USER_KEY_BY_CHANNEL: undefined;
  SET_KEY_ON_G_METER: undefined;
  GET_MBUS_ENCRYPTION_KEY_STATUS: { mbusDeviceIdentification: string; encryptionKeyStatus: EncryptionKeyStatus };
  GET_MBUS_ENCRYPTION_KEY_STATUS_BY_CHANNEL: { channel: number; encryptionKeyStatus: EncryptionKeyStatus };
  SCAN_MBUS_CHANNELS: { channels: ChannelElementValues[] };
  COUPLE_MBUS_DEVICE: { mbusDeviceIdentification: string; channelElementValues: ChannelElementValues };
  DECOUPLE_MBUS_DEVICE: { mbusDeviceIdentification: string; channel?: number };
  COUPLE_MBUS_DEVICE_BY_CHANNEL: { mbusDeviceIdentification: string; channelElementValues: ChannelElementValues };
  /** resultString: GXF's text ("Decouple Mbus Device was successful", or that the channel could not be interpreted). */
  DECOUPLE_MBUS_DEVICE_BY_CHANNEL: { resultString: string; mbusDeviceIdentification?: string; channelElementValues: ChannelElementValues };
  ADD_METER: undefined;
}

/** Result values as stored and notified (enum names, with underscore; SOAP shows them with a space). */
export type ResultType = 'OK' | 'NOT_OK' | 'NOT_FOUND';

/** The API a request arrived through (decides the notification: SOAP SendNotification or a JSON webhook). */
export type RequestChannel = 'SOAP' | 'REST';

/** A device operation as the SOAP and REST interfaces hand it to the platform. */
export interface SubmitRequest {
  organisationIdentification: string;
  userName: string;
  applicationName: string;
  /** The device the authorisation is checked on. */
  deviceIdentification: string;
  messageType: string;
  payload: unknown;
  /** 0..9, absent 4, clamped (GXF's MessagePriority). */
  priority?: number;
  /** Not before (GXF ScheduleTime). */
  scheduleTime?: Date;
  /** A retry that would start after this time ends the request with 417 instead. */
  maxScheduleTime?: Date;
  bypassRetry?: boolean;
  responseUrl?: string;
  channel: RequestChannel;
}

/** The error of a NOT OK result, as stored and shown (never key material). */
export interface StoredError {
  code: number;
  codeName: string;
  component: string;
  message: string;
}

/** A stored result, as polled over SOAP and REST. */
export interface StoredResponse {
  correlationUid: string;
  organisationIdentification: string;
  deviceIdentification: string;
  messageType: string;
  result: ResultType;
  data?: unknown;
  error?: StoredError;
  createdAt: Date;
}
