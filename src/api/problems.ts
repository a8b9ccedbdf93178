/**
 * The one mapping of MeterfabricError codes to HTTP statuses, and the JSON error bodies built on it:
 * - problems of the REST operation API (RFC 9457 members plus GXF's code, code name and component):
 *   {type, title, status, code, codeName, component, detail};
 * - the error body of the admin API and the console: {status, code, codeName, component, message}.
 * SOAP renders its own faults (soap/faults.ts).
 */
import { ErrorCode, errorCodeName, isMeterfabricError, type MeterfabricError } from '../errors.ts';

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: number;
  codeName: string;
  component: string;
  detail: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const TITLES: Partial<Record<number, string>> = {
  [ErrorCode.UNKNOWN_ORGANISATION]: 'Unknown organisation',
  [ErrorCode.DISABLED_ORGANISATION]: 'Organisation disabled',
  [ErrorCode.UNKNOWN_DEVICE]: 'Unknown device',
  [ErrorCode.EXISTING_DEVICE]: 'Device exists',
  [ErrorCode.UNAUTHORIZED]: 'Not authorised',
  [ErrorCode.AUTHENTICATION_REQUIRED]: 'Authentication required',
  [ErrorCode.VALIDATION_ERROR]: 'Invalid request',
  [ErrorCode.UNKNOWN_CORRELATION_UID]: 'Unknown correlation id',
  [ErrorCode.INTERNAL_ERROR]: 'Internal error',
  [ErrorCode.MISDIRECTED_REQUEST]: 'Unknown host name',
  [ErrorCode.UNSUPPORTED_MEDIA_TYPE]: 'Unsupported content type',
  [ErrorCode.FOREIGN_ORIGIN]: 'Foreign origin',
};

/** HTTP status of an error code at the REST edges (operation API, admin API, console). */
export function statusOf(code: number): number {
  switch (code) {
    case ErrorCode.VALIDATION_ERROR:
    case ErrorCode.ARGUMENT_NULL:
    case ErrorCode.INVALID_IP_ADDRESS:
    case ErrorCode.CHALLENGE_LENGTH_OUT_OF_RANGE:
    case ErrorCode.UNKNOWN_PROTOCOL_NAME_OR_VERSION_OR_VARIANT:
    case ErrorCode.GATEWAY_DEVICE_INVALID_FOR_MBUS_DEVICE:
      return 400;
    case ErrorCode.AUTHENTICATION_REQUIRED:
    case ErrorCode.AUTHENTICATION_ERROR:
      return 401;
    case ErrorCode.UNAUTHORIZED:
    case ErrorCode.DISABLED_ORGANISATION:
      return 403;
    case ErrorCode.UNKNOWN_ORGANISATION:
    case ErrorCode.UNKNOWN_DEVICE:
    case ErrorCode.UNKNOWN_CORRELATION_UID:
      return 404;
    case ErrorCode.EXISTING_ORGANISATION:
    case ErrorCode.EXISTING_DEVICE:
    case ErrorCode.GIVEN_MBUS_DEVICE_ALREADY_COUPLED:
      return 409;
    case ErrorCode.CONFIGURATION_ERROR:
      return 501;
    case ErrorCode.MISDIRECTED_REQUEST:
      return 421;
    case ErrorCode.UNSUPPORTED_MEDIA_TYPE:
      return 415;
    case ErrorCode.FOREIGN_ORIGIN:
      return 403;
    default:
      return code >= 1000 ? 500 : 422;
  }
}

export function problemOf(code: number, component: string, detail: string): Problem {
  const codeName = errorCodeName(code);
  return {
    type: `urn:meterfabric:problem:${codeName}`,
    title: TITLES[code] ?? codeName,
    status: statusOf(code),
    code,
    codeName,
    component,
    detail,
  };
}

/** The problem for anything thrown; unexpected errors reveal nothing of themselves. */
export function problemFromThrown(e: unknown): Problem {
  if (isMeterfabricError(e)) return problemOf(e.code, e.component, e.message);
  return problemOf(ErrorCode.INTERNAL_ERROR, 'SHARED', 'An unexpected error occurred while handling the request.');
}

/** The admin API's and console's error body for an error; never a stack or a cause. */
export function errorBody(e: MeterfabricError): { status: number; code: number; codeName: string; component: string; message: string } {
  return { status: statusOf(e.code), code: e.code, codeName: e.codeName, component: e.component, message: e.message };
}
