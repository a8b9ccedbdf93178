/**
 * The shape of one operation of the catalogue (./catalogue.ts): everything the SOAP and REST interfaces, the
 * OpenAPI document, the authorisation check, the console and the platform's executors need to know about it,
 * declared once in the operation's own file. See src/README.md "How to add an operation".
 *
 * Three kinds:
 * - `device`: a request the platform queues and executes (GXF's <Op>Request -> <Op>AsyncResponse, then
 *   <Op>AsyncRequest -> <Op>Response with the stored outcome);
 * - `read`: a read of a stored outcome that no request of the caller produced (pushed alarms);
 * - `responseData`: GXF's synchronous DeleteResponseData.
 */
import type { XmlElement } from 'libxml2-wasm';
import type { z } from 'zod';
import type { ExecutorDeps } from '../adapters/ports.ts';
import type { KeyBlobs, RequestInfo } from '../adapters/mbus-keys.ts';
import type { EMeterKeyPort } from '../adapters/emeter-keys.ts';
import type { StoredResponse } from '../platform/operations.ts';
import type { BundleProgressPort } from './bundle/bundle.ts';
import type { Queryable } from '../platform/db/db.ts';
import type { MessageLogPage } from '../platform/message-log.ts';

/** GXF's SmartMetering web services, by WSDL file name (src/api/soap/wsdl). */
export type GxfService =
  | 'SmartMeteringAdhoc'
  | 'SmartMeteringBundle'
  | 'SmartMeteringCommon'
  | 'SmartMeteringConfiguration'
  | 'SmartMeteringInstallation'
  | 'SmartMeteringManagement'
  | 'SmartMeteringMonitoring'
  | 'SmartMeteringNotification';

/** GXF's device function groups (docs/gxf.md#function-groups); OWNER holds every function. */
export type FunctionGroup =
  | 'OWNER' | 'INSTALLATION' | 'AD_HOC' | 'MANAGEMENT' | 'FIRMWARE' | 'SCHEDULING' | 'TARIFF_SCHEDULING'
  | 'CONFIGURATION' | 'MONITORING' | 'METADATA_MANAGEMENT';

/** How a poll answers a NOT OK outcome (docs/gxf.md#result-families): lenient shows it, strict raises the stored fault. */
export type ResultFamily = 'lenient' | 'strict';

/** What AddDevice needs beyond the executors' ports: the inventory writes and the key store (bound in src/adapters/bindings.ts). */
export interface InstallationPort {
  deviceExists(deviceIdentification: string): Promise<boolean>;
  /** The organisation owns the device or is an ADMIN organisation. */
  mayOverwrite(organisationIdentification: string, deviceIdentification: string): Promise<boolean>;
  /** A key as GXF clients send it: hex of RSA-OAEP(SHA-1) under the platform's public key. */
  decryptClientKey(hex: string): Buffer;
  /**
   * Adds the device (owned by `owner`) or, with `overwrite`, replaces its description in place, in one
   * transaction that checks again: 'exists' when it exists and overwrite is not set, 'not-owner' when the owner
   * check fails.
   */
  saveDevice(description: DeviceDescription, installation: Record<string, unknown>, o: { owner: string; overwrite: boolean }): Promise<'saved' | 'exists' | 'not-owner'>;
  storeActiveKey(deviceIdentification: string, type: string, key: Buffer, ctx: { actor: string; reason: string }): Promise<void>;
}

export interface DeviceDescription {
  deviceIdentification: string;
  deviceType: 'SMART_METER_E' | 'SMART_METER_G';
  protocolName?: string;
  protocolVersion?: string;
  port: number | null;
  hls5Active: boolean;
  challengeLength: number | null;
  withListMax: number | null;
  mbusIdentificationNumber: string | null;
  mbusManufacturerIdentification: string | null;
  mbusVersion: number | null;
  mbusDeviceTypeIdentification: number | null;
}

/** GXF's DLMS device settings that SetDeviceCommunicationSettings replaces (all seven, as GXF copies them). */
export interface CommunicationSettings {
  challengeLength: number;
  withListMax: number;
  selectiveAccessSupported: boolean;
  ipAddressIsStatic: boolean;
  useSn: boolean;
  useHdlc: boolean;
  polyphase: boolean;
}

/** What the Management operations change in the inventory (bound in src/adapters/bindings.ts). */
export interface ManagementPort {
  /** EnableDebugging / DisableDebugging: the device's debug flag (its connections are logged while it is set). */
  setDebugMode(deviceIdentification: string, enabled: boolean): Promise<void>;
  /** One page (from 0) of the device's DLMS message log, newest first. */
  findMessageLogs(deviceIdentification: string, page: number): Promise<MessageLogPage>;
  setCommunicationSettings(deviceIdentification: string, settings: CommunicationSettings): Promise<void>;
  /** 'unknown' when the platform does not know the protocol (nothing changes), 'unchanged' when it is the current one. */
  updateProtocol(deviceIdentification: string, p: { protocol: string; protocolVersion: string; protocolVariant?: string }): Promise<'updated' | 'unchanged' | 'unknown'>;
  setLifecycleStatus(deviceIdentification: string, status: string): Promise<void>;
  /** The device's communication method as AddDevice stated it (GPRS, CDMA, LTE), if any. */
  communicationMethod(deviceIdentification: string): Promise<string | undefined>;
}

/** What an operation's execute() reaches the world through. */
export interface OperationPorts extends ExecutorDeps {
  keyBlobs: KeyBlobs;
  installation: InstallationPort;
  /** E-meter key changes and GetKeys (src/adapters/emeter-keys.ts). */
  emeterKeys: EMeterKeyPort;
  /** Where a bundle keeps its actions' outcomes between attempts (./bundle/bundle.ts); in memory when absent. */
  bundleProgress?: BundleProgressPort;
  management: ManagementPort;
}

/** The request being executed. */
export interface OperationContext extends RequestInfo {
  messageType: string;
  attempt: number;
}

export interface SoapMapping<P> {
  /** Element names exactly as GXF's XSD declares them. */
  request: string;
  asyncResponse: string;
  asyncRequest: string;
  response: string;
  /** GXF's WSDL operation names: the request, then the poll (typos included). */
  wsdlOperations: readonly [string, string];
  /**
   * True when GXF's WSDL declares the messages but no operation for them (its XSD, endpoint and bundle schema have
   * it): served all the same, and bundleable; `wsdlOperations` then names what the operations would be.
   */
  notInWsdl?: true;
  family: ResultFamily;
  /** Reads the (already XSD-valid) request element; throws SoapFault or MeterfabricError to refuse it. */
  read(request: XmlElement): { deviceIdentification: string; payload: P };
  /** Body of the response element (prefix `p` = the operation's namespace, `common` = GXF's common namespace). */
  render(stored: StoredResponse, p: string): string;
}

export interface RestMapping<P> {
  /** Path under /api/v1 (fastify syntax). */
  url: string;
  operationId: string;
  summary: string;
  tag: 'mbus' | 'devices' | 'adhoc' | 'monitoring' | 'management';
  params?: z.ZodObject;
  body: z.ZodObject;
  /** The device checked for authorisation and the payload. */
  toRequest(params: Record<string, unknown>, body: Record<string, unknown>): { deviceIdentification: string; payload: P };
}

/** An action the web console offers on a gateway channel. */
export interface ConsoleAction {
  /** The action name the console posts. */
  action: string;
  payload(channel: number): unknown;
}

export interface DeviceOperation<P = unknown, R = unknown> {
  kind: 'device';
  /** GXF's DeviceFunction name: stored with requests and responses, the notification type, the authorised function. */
  messageType: string;
  service: GxfService;
  /** The function group that may call it besides OWNER (OWNER when no other may). */
  functionGroup: FunctionGroup;
  contactsDevice: boolean;
  /**
   * The action element in GXF's bundle schema (bundle-ws-smartmetering.xsd), when GXF lets it be bundled: the
   * Bundle operation (./bundle/bundle.ts) then runs it, reading the action through `soap.read` and answering with
   * `soap.render`'s fields in the bundle's typed response (or an ActionResponse).
   */
  bundleAction?: string;
  payload: z.ZodType<P>;
  soap: SoapMapping<P>;
  rest: RestMapping<P>;
  console?: ConsoleAction;
  execute(ports: OperationPorts, payload: P, context: OperationContext): Promise<R>;
}

export interface ReadOperation {
  kind: 'read';
  /** The stored outcome's message type. */
  messageType: string;
  service: GxfService;
  functionGroup: FunctionGroup;
  soap: {
    request: string;
    response: string;
    wsdlOperation: string;
    family: ResultFamily;
    /** Where the CorrelationUid child is: GXF's common namespace (AsyncRequest) or the operation's own. */
    correlationUid: 'common' | 'own';
    render(stored: StoredResponse, p: string): string;
  };
  /** The REST route that serves the same read (documentation; the route is in src/api/rest/operations.ts). */
  restRoute: string;
}

export interface ResponseDataOperation {
  kind: 'responseData';
  service: GxfService;
  soap: { request: string; response: string; wsdlOperation: string };
  restRoute: string;
}

/**
 * A synchronous operation that reads the platform's own data (GXF's GetDevices): answered at once, on SOAP with
 * its response element, on REST with JSON from a GET route.
 */
export interface SyncOperation<I = any, R = any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  kind: 'sync';
  /** The platform function it is, for `meterfabric operations`. */
  name: string;
  service: GxfService;
  soap: {
    request: string;
    response: string;
    wsdlOperation: string;
    read(request: XmlElement): I;
    /** Body of the response element (prefix `p` = the operation's namespace). */
    render(result: R, p: string): string;
  };
  rest: {
    /** GET route under /api/v1 (fastify syntax). */
    url: string;
    operationId: string;
    summary: string;
    tag: RestMapping<unknown>['tag'];
    querystring: z.ZodObject;
    response: z.ZodType;
    toInput(query: Record<string, unknown>): I;
  };
  run(db: Queryable, organisationIdentification: string, input: I): Promise<R>;
}

export type CatalogueEntry = DeviceOperation<any, any> | ReadOperation | ResponseDataOperation | SyncOperation; // eslint-disable-line @typescript-eslint/no-explicit-any

export function define<P, R>(op: Omit<DeviceOperation<P, R>, 'kind'>): DeviceOperation<P, R> {
  return { kind: 'device', ...op };
}

export function defineRead(op: Omit<ReadOperation, 'kind'>): ReadOperation {
  return { kind: 'read', ...op };
}

export function defineResponseData(op: Omit<ResponseDataOperation, 'kind'>): ResponseDataOperation {
  return { kind: 'responseData', ...op };
}

export function defineSync<I, R>(op: Omit<SyncOperation<I, R>, 'kind'>): SyncOperation<I, R> {
  return { kind: 'sync', ...op };
}
