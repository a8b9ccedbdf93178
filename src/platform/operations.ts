/**
 * The contract between the APIs (SOAP, REST) and the platform's request pipeline: what a submitted request and a
 * stored response carry. The operations themselves (message types, payloads, results) are declared in the operation
 * catalogue, src/operations/catalogue.ts.
 *
 * messageType = GXF's DeviceFunction name (docs/gxf.md#device-functions); it is also the notification type.
 * Payloads and results are plain JSON objects, stored with the request and the response.
 */
import type { ChannelElementValues, EncryptionKeyStatusName } from '../cosem/mbus.ts';

/** GXF's EncryptionKeyStatus names, declared once with their attribute values in src/cosem/mbus.ts. */
export type EncryptionKeyStatus = EncryptionKeyStatusName;

export type GMeterSecretType =
  | 'G_METER_ENCRYPTION_KEY'
  | 'G_METER_FIRMWARE_UPDATE_AUTHENTICATION_KEY'
  | 'G_METER_OPTICAL_PORT_KEY';

export type { ChannelElementValues };

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
