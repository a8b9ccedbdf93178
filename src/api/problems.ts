/**
 * The one mapping of MeterfabricError codes to HTTP statuses, and the JSON error bodies built on it:
 * - problems of the REST operation API (RFC 9457 members plus GXF's code, code name and component):
 *   {type, title, status, code, codeName, component, detail};
 * - the error body of the admin API and the console: {status, code, codeName, component, message}.
 * SOAP renders its own faults (soap/faults.ts) with the same texts.
 *
 * Every error text that leaves through an API passes publicText here: key-like hex runs are removed (the logger's
 * scrubber, src/observability/logger.ts) and a text that reads like a database or driver error (SQL, constraint,
 * relation or column names) is replaced by the error code's own description. Anything that is not a
 * MeterfabricError answers as an internal error and says nothing of itself.
 */
import { ErrorCode, errorCodeName, isMeterfabricError, type MeterfabricError } from '../errors.ts';
import { scrubText } from '../observability/logger.ts';

/** Wording of database and driver errors (PostgreSQL, PGlite, pg): such a text names tables and constraints. */
const INTERNAL_TEXT = new RegExp(
  [
    'violates (?:unique|foreign key|check|not-null|exclusion) constraint', 'duplicate key value', '\\bconstraint "', '\\brelation "',
    '\\bcolumn "', 'syntax error at or near', 'current transaction is aborted', 'deadlock detected', 'could not serialize access',
    'null value in column', 'invalid input syntax for', 'value too long for type', 'out of range for type', 'SQLSTATE',
    'Connection terminated', 'remaining connection slots', 'terminating connection',
  ].join('|'),
  'i',
);

/** What an error code means, for a caller, when its own text may not be shown. */
function codeDescription(code: number): string {
  return code === ErrorCode.INTERNAL_ERROR || code >= 1000
    ? 'An unexpected error occurred while handling the request.'
    : `The request could not be completed: ${errorCodeName(code)}.`;
}

/** An error text as it may leave the platform (see the file header). */
export function publicText(code: number, text: string): string {
  if (INTERNAL_TEXT.test(text)) return codeDescription(code);
  return scrubText(text);
}

export interface PublicError {
  code: number;
  codeName: string;
  component: string;
  message: string;
}

/** Any thrown value as a caller may see it. */
export function publicError(e: unknown): PublicError {
  if (isMeterfabricError(e)) return { code: e.code, codeName: e.codeName, component: e.component, message: publicText(e.code, e.message) };
  return { code: ErrorCode.INTERNAL_ERROR, codeName: errorCodeName(ErrorCode.INTERNAL_ERROR), component: 'SHARED', message: codeDescription(ErrorCode.INTERNAL_ERROR) };
}

/**
 * The text of a client error raised by the HTTP framework (unreadable body, wrong content type, body too large).
 * A JSON parser's message quotes the body around the error, which may be key material: never shown.
 */
export function clientErrorText(e: unknown): string {
  const err = e as { code?: unknown; message?: unknown; name?: unknown };
  const message = typeof err.message === 'string' ? err.message : '';
  if (err.name === 'SyntaxError' || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || /JSON/.test(message)) return 'The request body is not valid JSON.';
  return publicText(ErrorCode.VALIDATION_ERROR, message);
}

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
    case ErrorCode.UNKNOWN_FIRMWARE:
    case ErrorCode.UNKNOWN_BULK_JOB:
      return 404;
    case ErrorCode.EXISTING_ORGANISATION:
    case ErrorCode.EXISTING_DEVICE:
    case ErrorCode.GIVEN_MBUS_DEVICE_ALREADY_COUPLED:
    case ErrorCode.EXISTING_DEVICE_AUTHORIZATIONS:
    case ErrorCode.EXISTING_FIRMWARE:
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
    detail: publicText(code, detail),
  };
}

/** The problem for anything thrown; unexpected errors reveal nothing of themselves. */
export function problemFromThrown(e: unknown): Problem {
  const p = publicError(e);
  return problemOf(p.code, p.component, p.message);
}

export interface ErrorBody {
  status: number;
  code: number;
  codeName: string;
  component: string;
  message: string;
}

/** The admin API's and console's error body for an error; never a stack or a cause. */
export function errorBody(e: MeterfabricError): ErrorBody {
  const p = publicError(e);
  return { status: statusOf(p.code), ...p };
}

/**
 * The admin API's and console's answer to anything thrown in a route: a MeterfabricError as its body, a client
 * error of the framework as 4xx VALIDATION_ERROR, anything else as a plain 500 (`unexpected` is then called, to log it).
 */
export function errorAnswer(e: unknown, unexpected: (e: unknown) => void): ErrorBody {
  if (isMeterfabricError(e)) return errorBody(e);
  const status = (e as { statusCode?: number }).statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return { status, code: ErrorCode.VALIDATION_ERROR, codeName: errorCodeName(ErrorCode.VALIDATION_ERROR), component: 'SHARED', message: clientErrorText(e) };
  }
  unexpected(e);
  return { status: 500, ...publicError(e) };
}
