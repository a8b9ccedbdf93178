/**
 * The SOAP dispatch table, derived from the operation catalogue (src/operations/catalogue.ts): each request
 * element's qualified name -> what to do with it. Naming (docs/gxf.md#names-and-namespaces): <Op>Request ->
 * <Op>AsyncResponse; <Op>AsyncRequest -> <Op>Response. Children of the Async elements are declared in the base
 * schema and therefore in the common namespace (docs/gxf.md#asynchronous-pattern).
 */
import type { XmlElement } from 'libxml2-wasm';
import { ErrorCode } from '../../errors.ts';
import type { StoredResponse } from '../rest/platform-api.ts';
import { CATALOGUE } from '../../operations/catalogue.ts';
import type { GxfService, ResultFamily, SyncOperation } from '../../operations/define.ts';
import { functionalFault } from './faults.ts';
import { el, escapeXml, NS } from './xml.ts';

export { ALARM_TYPES, IncompleteResultError, resultText } from './mapping.ts';
export { PUSH_NOTIFICATION_ALARM } from '../../operations/configuration/get-push-notification-alarm.ts';

export type Family = ResultFamily;

/** A request that becomes an asynchronous platform request (answered with <Op>AsyncResponse). */
export interface SubmitOperation {
  kind: 'submit';
  namespace: string;
  /** Local name of the request element, e.g. SetMbusUserKeyByChannelRequest. */
  element: string;
  asyncResponse: string;
  messageType: string;
  /** Reads the (already XSD-valid) request element; throws SoapFault or MeterfabricError to refuse it. */
  read(request: XmlElement): { deviceIdentification: string; payload: unknown };
}

/** A poll for the outcome (<Op>AsyncRequest -> <Op>Response). */
export interface PollOperation {
  kind: 'poll';
  namespace: string;
  element: string;
  response: string;
  /** The stored response's message type. */
  messageType: string;
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

/** A synchronous read of the platform's own data (GetDevices), answered at once. */
export interface SyncSoapOperation {
  kind: 'sync';
  namespace: string;
  element: string;
  response: string;
  operation: SyncOperation;
}

export type SoapOperation = SubmitOperation | PollOperation | DeleteResponseDataOperation | SyncSoapOperation;

/** The target namespace of each service's schema. */
export const SERVICE_NAMESPACE: Record<GxfService, string> = {
  SmartMeteringAdhoc: NS.adhoc,
  SmartMeteringBundle: NS.bundle,
  SmartMeteringCommon: NS.smCommon,
  SmartMeteringConfiguration: NS.configuration,
  SmartMeteringInstallation: NS.installation,
  SmartMeteringManagement: NS.management,
  SmartMeteringMonitoring: NS.monitoring,
  SmartMeteringNotification: NS.notification,
};

export const OPERATIONS: readonly SoapOperation[] = CATALOGUE.flatMap((op): SoapOperation[] => {
  const namespace = SERVICE_NAMESPACE[op.service];
  if (op.kind === 'device') {
    return [
      { kind: 'submit', namespace, element: op.soap.request, asyncResponse: op.soap.asyncResponse, messageType: op.messageType, read: op.soap.read },
      {
        kind: 'poll', namespace, element: op.soap.asyncRequest, response: op.soap.response, messageType: op.messageType,
        family: op.soap.family, render: op.soap.render, correlationUidNamespace: NS.common,
      },
    ];
  }
  if (op.kind === 'read') {
    return [{
      kind: 'poll', namespace, element: op.soap.request, response: op.soap.response, messageType: op.messageType, family: op.soap.family,
      render: op.soap.render, correlationUidNamespace: op.soap.correlationUid === 'common' ? NS.common : namespace,
    }];
  }
  if (op.kind === 'sync') return [{ kind: 'sync', namespace, element: op.soap.request, response: op.soap.response, operation: op }];
  return [{ kind: 'deleteResponseData', namespace, element: op.soap.request, response: op.soap.response }];
});

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
