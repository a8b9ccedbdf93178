/**
 * One error class for the whole platform (house style: zwave-js ZWaveError).
 *
 * Codes 1..999 are GXF's FunctionalExceptionType codes (docs/gxf.md#functional-codes) so that errors reaching a SOAP
 * client carry the numbers GXF clients already know. Codes >= 1000 are meterfabric's own, grouped by hundreds
 * per layer. Key material must never be put into a message or a cause.
 */
export const ErrorCode = {
  UNKNOWN_ORGANISATION: 101,
  EXISTING_ORGANISATION: 102,
  DISABLED_ORGANISATION: 104,
  UNKNOWN_DEVICE: 201,
  EXISTING_DEVICE: 204,
  PROTOCOL_UNKNOWN_FOR_DEVICE: 205,
  UNKNOWN_PROTOCOL_NAME_OR_VERSION_OR_VARIANT: 206,
  INACTIVE_DEVICE: 207,
  CONNECTION_ERROR: 211,
  INVALID_IP_ADDRESS: 212,
  CHALLENGE_LENGTH_OUT_OF_RANGE: 213,
  COMMUNICATION_TIMEOUT: 214,
  NO_MBUS_DEVICE_CHANNEL_FOUND: 215,
  GIVEN_MBUS_DEVICE_ALREADY_COUPLED: 216,
  ALL_MBUS_CHANNELS_OCCUPIED: 217,
  NO_MATCHING_MBUS_DEVICE_FOUND: 218,
  NO_DEVICE_FOUND_ON_CHANNEL: 219,
  GATEWAY_DEVICE_NOT_SET_FOR_MBUS_DEVICE: 220,
  GATEWAY_DEVICE_INVALID_FOR_MBUS_DEVICE: 221,
  MBUS_DEVICE_NOT_MOVED_TO_ANOTHER_EMETER: 222,
  AUTHENTICATION_ERROR: 223,
  AUTHENTICATION_REQUIRED: 224,
  CONNECTION_REFUSED: 225,
  CONNECTION_RESET: 226,
  CONNECTION_TIMED_OUT: 227,
  CONNECTION_ESTABLISH_ERROR: 228,
  SOCKET_CLOSED_BY_REMOTE: 229,
  UNABLE_TO_DECYPHER: 230,
  WRAPPER_HEADER_INVALID: 231,
  ILLEGAL_RESPONSE: 232,
  RESPONSE_TIMEOUT: 233,
  UNKNOWN_ASSOCIATION_RESULT: 234,
  UNAUTHORIZED: 301,
  EXISTING_DEVICE_AUTHORIZATIONS: 302,
  VALIDATION_ERROR: 401,
  ARGUMENT_NULL: 403,
  UNKNOWN_CORRELATION_UID: 405,
  UNSUPPORTED_DEVICE_ACTION: 407,
  ERROR_RETRIEVING_ATTRIBUTE_VALUE: 412,
  UNABLE_TO_PROCESS_REQUEST: 414,
  OPERATION_NOT_SUPPORTED_BY_PLATFORM_FOR_PROTOCOL: 416,
  MAX_SCHEDULE_TIME_EXCEEDED: 417,
  INVALID_DLMS_KEY_ENCRYPTION: 801,
  INVALID_DLMS_KEY_FORMAT: 802,
  ENCRYPTION_EXCEPTION: 803,
  DECRYPTION_EXCEPTION: 804,
  READING_KEY_EXCEPTION: 805,
  KEY_NOT_PRESENT: 806,
  INVALID_KEY_FORMAT: 807,
  ATTEMPT_TO_LOWER_INVOCATION_COUNTER: 808,
  UNKNOWN_DEVICEMODEL: 601,
  UNKNOWN_FIRMWARE: 701,
  EXISTING_FIRMWARE: 702,
  FIRMWARE_DOES_NOT_SUPPORT_DEVICE_MODEL: 704,

  // 1000..1099: DLMS codecs (sans-IO)
  DECODE_ERROR: 1000,
  ENCODE_ERROR: 1001,
  // 1100..1199: DLMS services answered with a non-success result by the meter
  DATA_ACCESS_RESULT: 1100,
  ACTION_RESULT: 1101,
  EXCEPTION_RESPONSE: 1102,
  CONFIRMED_SERVICE_ERROR: 1103,
  ASSOCIATION_REJECTED: 1104,
  // 1200..1299: secrets
  SECRET_INVARIANT: 1200,
  SECRET_STATE: 1201,
  KEK_UNAVAILABLE: 1202,
  // 1300..1399: platform
  CONFIGURATION_ERROR: 1300,
  QUEUE_ERROR: 1301,
  INTERNAL_ERROR: 1399,
  // 1400..1499: HTTP edge (requests refused before any organisation is looked at)
  MISDIRECTED_REQUEST: 1400,
  UNSUPPORTED_MEDIA_TYPE: 1401,
  FOREIGN_ORIGIN: 1402,
  // 1500..1519: firmware (image transfer, docs/firmware.md)
  IMAGE_TRANSFER_FAILED: 1500,
  // 1580..1599: fleet view and bulk jobs (src/platform/fleet.ts, src/platform/bulk-jobs.ts)
  UNKNOWN_BULK_JOB: 1580,
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;
export type ErrorCodeValue = (typeof ErrorCode)[ErrorCodeName];

/** GXF ComponentType names (docs/gxf.md#components) plus our own layers. */
export type Component =
  | 'WS_SMART_METERING'
  | 'WS_ADMIN'
  | 'DOMAIN_CORE'
  | 'DOMAIN_SMART_METERING'
  | 'OSGP_CORE'
  | 'PROTOCOL_DLMS'
  | 'SECRET_MANAGEMENT'
  | 'SHARED'
  | 'UNKNOWN';

const codeNames = new Map<number, string>(Object.entries(ErrorCode).map(([k, v]) => [v, k]));

/** Name of a code, e.g. 201 -> "UNKNOWN_DEVICE" (GXF puts this name into FunctionalFault/Message). */
export function errorCodeName(code: number): string {
  return codeNames.get(code) ?? `ERROR_${code}`;
}

export interface MeterfabricErrorOptions {
  component?: Component;
  cause?: unknown;
  /** Whether trying again later can succeed (connection problems yes, unknown devices no). */
  retryable?: boolean;
  /** Extra machine-readable facts; never key material. */
  details?: Record<string, unknown>;
}

/** Codes that describe a transient condition: a later attempt may succeed. */
const RETRYABLE_CODES = new Set<number>([
  ErrorCode.CONNECTION_ERROR,
  ErrorCode.COMMUNICATION_TIMEOUT,
  ErrorCode.CONNECTION_REFUSED,
  ErrorCode.CONNECTION_RESET,
  ErrorCode.CONNECTION_TIMED_OUT,
  ErrorCode.CONNECTION_ESTABLISH_ERROR,
  ErrorCode.SOCKET_CLOSED_BY_REMOTE,
  ErrorCode.RESPONSE_TIMEOUT,
  ErrorCode.ILLEGAL_RESPONSE,
  ErrorCode.WRAPPER_HEADER_INVALID,
  ErrorCode.UNKNOWN_ASSOCIATION_RESULT,
  ErrorCode.UNABLE_TO_DECYPHER,
  ErrorCode.DECODE_ERROR,
  ErrorCode.QUEUE_ERROR,
]);

export class MeterfabricError extends Error {
  readonly code: number;
  readonly component: Component;
  readonly retryable: boolean;
  readonly details?: Record<string, unknown>;

  constructor(code: number, message: string, options: MeterfabricErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MeterfabricError';
    this.code = code;
    this.component = options.component ?? 'PROTOCOL_DLMS';
    this.retryable = options.retryable ?? RETRYABLE_CODES.has(code);
    if (options.details) this.details = options.details;
  }

  /** GXF's FunctionalFault Message: the code's name (e.g. UNKNOWN_DEVICE). */
  get codeName(): string {
    return errorCodeName(this.code);
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, codeName: this.codeName, component: this.component, message: this.message };
  }
}

export function isMeterfabricError(e: unknown): e is MeterfabricError {
  return e instanceof Error && (e as { name?: string }).name === 'MeterfabricError' && typeof (e as { code?: unknown }).code === 'number';
}

export function isRetryable(e: unknown): boolean {
  return isMeterfabricError(e) && e.retryable;
}

/** Wraps anything thrown into a MeterfabricError without losing an existing one. */
export function toMeterfabricError(e: unknown, fallbackCode: number = ErrorCode.INTERNAL_ERROR, component: Component = 'SHARED'): MeterfabricError {
  if (isMeterfabricError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new MeterfabricError(fallbackCode, message, { component, cause: e });
}
