/**
 * Meter answers that are not success, as MeterfabricError with the 1100..1104 codes (src/errors.ts). The session
 * decides what to do with them (retry, GXF mapping); details carry the numeric result for callers.
 */
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import type { Aare } from './acse.ts';
import { actionResultName, dataAccessResultName } from './common.ts';
import type { ConfirmedServiceError, ExceptionResponse } from './services.ts';

export function dataAccessResultError(result: number, context: string): MeterfabricError {
  return new MeterfabricError(ErrorCode.DATA_ACCESS_RESULT, `${context}: ${dataAccessResultName(result)} (${result})`, {
    component: 'PROTOCOL_DLMS',
    details: { result, resultName: dataAccessResultName(result) },
  });
}

export function actionResultError(result: number, context: string): MeterfabricError {
  return new MeterfabricError(ErrorCode.ACTION_RESULT, `${context}: ${actionResultName(result)} (${result})`, {
    component: 'PROTOCOL_DLMS',
    details: { result, resultName: actionResultName(result) },
  });
}

export function exceptionResponseError(e: ExceptionResponse, context: string): MeterfabricError {
  return new MeterfabricError(ErrorCode.EXCEPTION_RESPONSE, `${context}: exception-response ${e.description}`, {
    component: 'PROTOCOL_DLMS',
    details: { stateError: e.stateError, serviceError: e.serviceError, invocationCounter: e.invocationCounter },
  });
}

export function confirmedServiceErrorError(e: ConfirmedServiceError, context: string): MeterfabricError {
  return new MeterfabricError(ErrorCode.CONFIRMED_SERVICE_ERROR, `${context}: confirmed-service-error ${e.description}`, {
    component: 'PROTOCOL_DLMS',
    details: { service: e.service, errorClass: e.errorClass, value: e.value },
  });
}

/** e.g. "association rejected: REJECTED_PERMANENT (acse-service-user NO_REASON_GIVEN)". */
export function associationRejectedError(aare: Aare): MeterfabricError {
  return new MeterfabricError(ErrorCode.ASSOCIATION_REJECTED, `association rejected: ${aare.description}`, {
    component: 'PROTOCOL_DLMS',
    details: { result: aare.result, diagnosticSource: aare.resultSourceDiagnostic.source, diagnostic: aare.resultSourceDiagnostic.value },
  });
}
