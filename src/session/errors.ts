/** Typed session errors with GXF codes (issue 2, scope 3) and readable messages. */
import { ErrorCode, MeterfabricError, type MeterfabricErrorOptions } from '../errors.ts';

export function sessionError(code: number, message: string, options: MeterfabricErrorOptions = {}): MeterfabricError {
  return new MeterfabricError(code, message, { component: 'PROTOCOL_DLMS', ...options });
}

export const illegalResponse = (message: string, cause?: unknown) => sessionError(ErrorCode.ILLEGAL_RESPONSE, message, { cause });
export const unableToDecipher = (message: string, cause?: unknown) => sessionError(ErrorCode.UNABLE_TO_DECYPHER, message, { cause });
export const authenticationError = (message: string, cause?: unknown) => sessionError(ErrorCode.AUTHENTICATION_ERROR, message, { cause, retryable: false });
