/**
 * Bundle (GXF's SmartMeteringBundle: BundleRequest -> BundleAsyncResponse, BundleAsyncRequest -> BundleResponse;
 * message type HANDLE_BUNDLED_ACTIONS), derived from the operation catalogue: an action element of GXF's bundle
 * schema runs the catalogue operation that declares it as its `bundleAction`, with that operation's own reading,
 * execute() and rendering. Behaviour (docs/gxf.md#bundle; OSGP/open-smart-grid-platform
 * osgp-adapter-protocol-dlms BundleService and BundleMessageProcessor):
 * - one DLMS association for the whole bundle: every action's withLink() gets the same open link, released once
 *   at the end;
 * - actions run in request order; an action that fails gets its own FaultResponse and the next actions still run;
 *   an action whose operation is not implemented gets a FaultResponse (407, "Unable to handle request");
 * - a connection problem (a retryable error: the association is gone) stops the bundle: the actions done so far
 *   keep their outcomes (stored with the request, src/platform/bundles.ts) and the platform's retry runs only the
 *   rest (GXF's RetryBundle);
 * - MaxScheduleTime passed before the bundle runs or before a retry: 417 for the whole bundle (src/platform);
 * - a bundle addressed to a gas meter is refused (401).
 * Per-action outcomes are stored as the bundle's result, under the bundle's CorrelationUid.
 */
import { XmlDocument, type XmlElement } from 'libxml2-wasm';
import { z } from 'zod';
import { ErrorCode, errorCodeName, isMeterfabricError, MeterfabricError } from '../../errors.ts';
import { inSpan, CORRELATION_UID } from '../../observability/tracing.ts';
import { logger } from '../../observability/logger.ts';
import { publicText } from '../../api/problems.ts';
import { IncompleteResultError, record, sub, text } from '../../api/soap/mapping.ts';
import { validateElement } from '../../api/soap/schema.ts';
import { childElements, el, escapeXml, NS } from '../../api/soap/xml.ts';
import { gatewayParams, pathDevice, requestOptions } from '../../api/rest/schemas.ts';
import type { GatewayLink, LinkFactory } from '../../adapters/ports.ts';
import type { StoredResponse } from '../../platform/operations.ts';
import { define, type DeviceOperation, type GxfService, type OperationContext, type OperationPorts } from '../define.ts';
import { actionDataType, BUNDLE_ACTIONS, bundleResponseElement, elementParticles, responseFields, typeParticles } from './schema.ts';
import { serializeElement } from './xml.ts';

export const HANDLE_BUNDLED_ACTIONS = 'HANDLE_BUNDLED_ACTIONS';

const log = logger('operations.bundle');

/** The target namespace of each service's schema (as src/api/soap/operations.ts, which reads the catalogue). */
const SERVICE_NS: Record<GxfService, string> = {
  SmartMeteringAdhoc: NS.adhoc,
  SmartMeteringBundle: NS.bundle,
  SmartMeteringCommon: NS.smCommon,
  SmartMeteringConfiguration: NS.configuration,
  SmartMeteringInstallation: NS.installation,
  SmartMeteringManagement: NS.management,
  SmartMeteringMonitoring: NS.monitoring,
  SmartMeteringNotification: NS.notification,
};

const refusal = z.object({ code: z.number().int(), message: z.string() });

/** One action as stored with the request. */
const bundledAction = z.object({
  /** GXF's action element (bundle-ws-smartmetering.xsd). */
  action: z.string(),
  /** The catalogue operation that runs it; null when none is implemented. */
  messageType: z.string().nullable(),
  /** The device the action is about (the bundle's device, or the M-Bus device it names). */
  deviceIdentification: z.string(),
  payload: z.unknown().optional(),
  /** Why the action could not be read (its fault). */
  refused: refusal.optional(),
});
export type BundledAction = z.infer<typeof bundledAction>;

export interface ActionFault {
  code: number;
  codeName: string;
  component: string;
  message: string;
  retryable: boolean;
}

/** The outcome of one action, in request order. */
export interface ActionOutcome {
  action: string;
  messageType: string | null;
  deviceIdentification: string;
  result: 'OK' | 'NOT_OK';
  data?: unknown;
  fault?: ActionFault;
}

export interface BundleResult {
  responses: ActionOutcome[];
}

/** Where a bundle keeps the outcomes of its actions between attempts (bound to src/platform/bundles.ts). */
export interface BundleProgressPort {
  load(correlationUid: string): Promise<(ActionOutcome | null)[] | undefined>;
  save(correlationUid: string, outcomes: (ActionOutcome | null)[]): Promise<void>;
}

/** GXF's resultString of an ActionResponse, for the actions whose text GXF's bundle sets. */
const RESULT_TEXTS: Record<string, (device: string) => string> = {
  SynchronizeTimeRequest: () => 'Synchronizing time was successful',
  SetMbusUserKeyByChannelRequest: () => 'Setting M-Bus User key by channel was successful',
  ClearAlarmRegisterRequest: () => 'Clear alarm register was successful',
  ClearMBusStatusOnAllChannelsRequest: () => 'Clear M-Bus status on all channels was successful',
  SetKeysRequest: (d) => `Replace keys for device ${d} was successful`,
  GenerateAndReplaceKeysRequest: (d) => `Replace keys for device ${d} was successful`,
};

const UNABLE = 'Unable to handle request';

function unsupported(action: string): MeterfabricError {
  return new MeterfabricError(ErrorCode.UNSUPPORTED_DEVICE_ACTION, UNABLE, {
    component: 'PROTOCOL_DLMS', retryable: false, details: { innerMessage: `The operation of ${action} is not supported by this platform` },
  });
}

/**
 * The association of a bundle: opened by the first action that talks to the meter, handed to every later one
 * (their release() does nothing), released by close(). Only the bundle's own gateway is reachable.
 */
class SharedLink implements LinkFactory {
  #link: GatewayLink | undefined;
  #view: GatewayLink | undefined;
  opened = 0;

  constructor(private readonly inner: LinkFactory, private readonly gateway: string) {}

  async open(gateway: string, signal?: AbortSignal): Promise<GatewayLink> {
    if (gateway !== this.gateway) {
      throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `The action needs gateway ${gateway}, not the bundle's device ${this.gateway}`, { retryable: false });
    }
    if (!this.#link) {
      this.#link = await this.inner.open(gateway, signal);
      this.opened++;
      const link = this.#link;
      this.#view = new Proxy(link, {
        get(target, prop) {
          if (prop === 'release') return async () => undefined;
          const v = Reflect.get(target, prop, target) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
    }
    return this.#view!;
  }

  /** Releases the association (after the last action, or when it broke). */
  async close(): Promise<void> {
    const link = this.#link;
    this.#link = undefined;
    this.#view = undefined;
    await link?.release().catch(() => undefined);
  }
}

function faultOf(e: unknown): ActionFault {
  if (isMeterfabricError(e)) {
    return { code: e.code, codeName: e.codeName, component: e.component, message: publicText(e.code, e.message), retryable: e.retryable };
  }
  const code = ErrorCode.INTERNAL_ERROR;
  return { code, codeName: errorCodeName(code), component: 'PROTOCOL_DLMS', message: 'An unexpected error occurred while executing the action', retryable: false };
}

/** Turns an action element into the request element its operation reads, and reads it (docs/gxf.md#bundle). */
function readAction(op: DeviceOperation<unknown, unknown>, action: XmlElement, bundleDevice: string): BundledAction {
  const children = childElements(action);
  const named = (n: string) => children.find((c) => c.name === n);
  const actionDevice = named('DeviceIdentification')?.content.trim() || named('MbusDeviceIdentification')?.content.trim() || bundleDevice;
  const base = { action: action.name, messageType: op.messageType, deviceIdentification: actionDevice };
  const ns = SERVICE_NS[op.service];
  const dataType = actionDataType(action.name);
  const actionParticles = dataType ? typeParticles(dataType) : [];
  const parts = elementParticles(ns, op.soap.request).map((p) => {
    if (dataType && p.type?.ns === dataType.ns && p.type.name === dataType.name) {
      return `<r:${p.name}>${children.map((c) => serializeElement(c)).join('')}</r:${p.name}>`;
    }
    const c = named(p.name);
    if (c) return serializeElement(c, ns);
    // The action may name a simple value differently from the request (SetAdministrativeStatus: AdministrativeStatusType
    // for Enabled): the action's element of the same simple type stands in for it.
    const same = p.type && actionParticles.find((a) => a.type?.ns === p.type!.ns && a.type.name === p.type!.name && a.name !== p.name);
    const stand = same ? named(same.name) : undefined;
    if (stand && childElements(stand).length === 0) return el(`r:${p.name}`, stand.content.trim());
    if (p.name === 'GatewayDeviceIdentification') return el(`r:${p.name}`, bundleDevice);
    if (p.name === 'DeviceIdentification') return el(`r:${p.name}`, actionDevice);
    return '';
  });
  let doc: XmlDocument | undefined;
  try {
    doc = XmlDocument.fromString(`<r:${op.soap.request} xmlns:r="${escapeXml(ns)}">${parts.join('')}</r:${op.soap.request}>`);
    const issues = validateElement(doc.root);
    if (issues.length > 0) return { ...base, refused: { code: ErrorCode.VALIDATION_ERROR, message: `${action.name} does not give what ${op.soap.request} needs: ${issues[0]!.message}` } };
    const { deviceIdentification, payload } = op.soap.read(doc.root);
    return { ...base, deviceIdentification, payload };
  } catch (e) {
    const code = isMeterfabricError(e) ? e.code : ErrorCode.VALIDATION_ERROR;
    return { ...base, refused: { code, message: e instanceof Error ? e.message : String(e) } };
  } finally {
    doc?.dispose();
  }
}

/** The REST form of the actions: `{action: <messageType | operationId | action element>, ...the operation's fields}`. */
const restAction = z.object({
  action: z.string().min(1).max(100).describe("The operation: its message type (SYNCHRONIZE_TIME), REST operationId (synchronizeTime) or GXF's bundle action element (SynchronizeTimeRequest)"),
}).catchall(z.unknown()).describe("One action; its other fields are the operation's REST path parameters (other than the bundle's device) and body fields");

function readRestAction(ops: readonly DeviceOperation<unknown, unknown>[], entry: Record<string, unknown>, i: number, bundleDevice: string): BundledAction {
  const { action, ...fields } = entry as { action: string } & Record<string, unknown>;
  const op = ops.find((o) => o.bundleAction !== undefined && (o.messageType === action || o.rest.operationId === action || o.bundleAction === action));
  if (!op) {
    if (BUNDLE_ACTIONS.includes(action)) return { action, messageType: null, deviceIdentification: bundleDevice };
    throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `actions[${i}]: ${action} is no bundleable operation`, { component: 'WS_SMART_METERING' });
  }
  const invalid = (issues: z.core.$ZodIssue[]) =>
    new MeterfabricError(ErrorCode.VALIDATION_ERROR, `actions[${i}] (${action}): ${issues.map((x) => `${x.path.join('.') || 'body'}: ${x.message}`).join('; ')}`, { component: 'WS_SMART_METERING' });
  const paramKeys = op.rest.params ? Object.keys(op.rest.params.shape) : [];
  const params = op.rest.params ? op.rest.params.safeParse({ deviceIdentification: bundleDevice, ...fields }) : { success: true as const, data: {} };
  if (!params.success) throw invalid(params.error.issues);
  const body = op.rest.body.safeParse(Object.fromEntries(Object.entries(fields).filter(([k]) => !paramKeys.includes(k))));
  if (!body.success) throw invalid(body.error.issues);
  const r = op.rest.toRequest(params.data as Record<string, unknown>, body.data as Record<string, unknown>);
  return { action: op.bundleAction!, messageType: op.messageType, deviceIdentification: r.deviceIdentification, payload: r.payload };
}

// ---- rendering ---------------------------------------------------------------------------------------------

function faultResponse(p: string, o: ActionOutcome): string {
  const f = o.fault ?? { code: ErrorCode.INTERNAL_ERROR, codeName: errorCodeName(ErrorCode.INTERNAL_ERROR), component: 'PROTOCOL_DLMS', message: 'No outcome', retryable: false };
  const inner = f.code === ErrorCode.UNSUPPORTED_DEVICE_ACTION && f.message === UNABLE ? `The operation of ${o.action} is not supported by this platform` : f.message;
  return (
    `<${p}:FaultResponse>${el('common:Result', 'NOT OK')}${el('common:Code', f.code)}` +
    `${el('common:Message', f.code === ErrorCode.UNSUPPORTED_DEVICE_ACTION ? UNABLE : f.codeName)}${el('common:Component', f.component)}` +
    `${el('common:InnerException', 'MeterfabricError')}${el('common:InnerMessage', publicText(f.code, inner))}` +
    `<common:Parameters><common:Parameter>${el('common:Key', 'deviceIdentification')}${el('common:Value', o.deviceIdentification)}</common:Parameter></common:Parameters>` +
    `</${p}:FaultResponse>`
  );
}

function actionResponse(p: string, o: ActionOutcome): string {
  const text = RESULT_TEXTS[o.action]?.(o.deviceIdentification) ?? (typeof o.data === 'string' ? o.data : undefined);
  return `<${p}:ActionResponse>${el('common:Result', 'OK')}${text === undefined ? '' : el('common:resultString', text)}</${p}:ActionResponse>`;
}

/**
 * A typed response (e.g. ActualMeterReadsResponse): the fields of its data type taken from what the operation
 * renders for its own response, a field it does not render from the outcome's data (a camelCase key) or the
 * bundle's gateway; undefined when that does not make a schema-valid element.
 */
function typedResponse(op: DeviceOperation<unknown, unknown>, element: string, p: string, o: ActionOutcome, stored: StoredResponse): string | undefined {
  const model = responseFields(element);
  if (!model) return undefined;
  let inner: string;
  try {
    inner = (op.soap.bundleRender ?? op.soap.render)({ ...stored, messageType: op.messageType, deviceIdentification: o.deviceIdentification, result: 'OK', data: o.data }, 'd');
  } catch (e) {
    if (e instanceof IncompleteResultError) return undefined;
    throw e;
  }
  const doc = XmlDocument.fromString(`<d:${op.soap.response} xmlns:d="${SERVICE_NS[op.service]}" xmlns:common="${NS.common}" xmlns:xsi="${NS.xsi}">${inner}</d:${op.soap.response}>`);
  let fields = '';
  try {
    const rendered = childElements(doc.root);
    const data = o.data !== null && typeof o.data === 'object' ? (o.data as Record<string, unknown>) : {};
    for (const f of model.fields) {
      const found = rendered.filter((k) => k.name === f.name);
      if (found.length > 0) {
        fields += found.map((k) => serializeElement(k, model.type.ns)).join('');
        continue;
      }
      const value = f.name === 'GatewayDeviceIdentification' ? stored.deviceIdentification : data[f.name[0]!.toLowerCase() + f.name.slice(1)];
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
        fields += `<x:${f.name} xmlns:x="${escapeXml(model.type.ns)}">${escapeXml(String(value))}</x:${f.name}>`;
      }
    }
  } finally {
    doc.dispose();
  }
  const check = XmlDocument.fromString(`<b:${element} xmlns:b="${NS.bundle}" xmlns:common="${NS.common}">${el('common:Result', 'OK')}${fields}</b:${element}>`);
  try {
    const issues = validateElement(check.root);
    if (issues.length > 0) {
      log.warn({ action: o.action, element, problem: issues[0]!.message }, 'the outcome does not fit the typed bundle response');
      return undefined;
    }
  } finally {
    check.dispose();
  }
  return `<${p}:${element}>${el('common:Result', 'OK')}${fields}</${p}:${element}>`;
}

function renderOutcome(ops: readonly DeviceOperation<unknown, unknown>[], o: ActionOutcome, p: string, stored: StoredResponse): string {
  if (o.result !== 'OK') return faultResponse(p, o);
  const element = bundleResponseElement(o.action);
  const op = ops.find((x) => x.messageType === o.messageType);
  if (element !== 'ActionResponse' && op) {
    const typed = typedResponse(op, element, p, o, stored);
    if (typed !== undefined) return typed;
  }
  return actionResponse(p, o);
}

// ---- the operation -----------------------------------------------------------------------------------------

/** In-memory progress, for executions without a database (unit tests with fake ports). */
function memoryProgress(): BundleProgressPort {
  const m = new Map<string, (ActionOutcome | null)[]>();
  return { load: async (uid) => m.get(uid), save: async (uid, o) => void m.set(uid, [...o]) };
}
const fallbackProgress = memoryProgress();

async function runAction(ops: readonly DeviceOperation<unknown, unknown>[], ports: OperationPorts, a: BundledAction, ctx: OperationContext): Promise<unknown> {
  if (a.refused) throw new MeterfabricError(a.refused.code, a.refused.message, { component: 'WS_SMART_METERING', retryable: false });
  const op = a.messageType === null ? undefined : ops.find((o) => o.messageType === a.messageType && o.bundleAction !== undefined);
  if (!op) throw unsupported(a.action);
  if (a.deviceIdentification !== ctx.deviceIdentification && !(await ports.inventory.mayActOn(ctx.organisationIdentification, a.deviceIdentification, op.messageType))) {
    throw new MeterfabricError(ErrorCode.UNAUTHORIZED, `Organisation [${ctx.organisationIdentification}] is not authorized for action`, { component: 'WS_SMART_METERING', retryable: false });
  }
  const payload = op.payload.safeParse(a.payload ?? {});
  if (!payload.success) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `${a.action}: ${payload.error.issues[0]?.message ?? 'invalid'}`, { component: 'WS_SMART_METERING', retryable: false });
  return inSpan(`execute ${op.messageType}`, { [CORRELATION_UID]: ctx.correlationUid, 'meterfabric.device': a.deviceIdentification, 'meterfabric.bundle_action': a.action }, () =>
    op.execute(ports, payload.data, { ...ctx, deviceIdentification: a.deviceIdentification, messageType: op.messageType }),
  );
}

/** The Bundle operation over the catalogue's operations (given lazily: the catalogue lists this operation too). */
export function bundleOperation(operations: () => readonly DeviceOperation<any, any>[]): DeviceOperation<{ actions: BundledAction[] }, BundleResult> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return define({
    messageType: HANDLE_BUNDLED_ACTIONS,
    service: 'SmartMeteringBundle',
    functionGroup: 'OWNER',
    contactsDevice: true,
    payload: z.object({ actions: z.array(bundledAction).min(1) }),
    soap: {
      request: 'BundleRequest',
      asyncResponse: 'BundleAsyncResponse',
      asyncRequest: 'BundleAsyncRequest',
      response: 'BundleResponse',
      wsdlOperations: ['Bundle', 'GetBundleResponse'],
      family: 'strict',
      read: (r) => {
        const device = text(r, 'DeviceIdentification');
        const ops = operations();
        const actions = childElements(sub(r, 'Actions')).map((a) => {
          const op = ops.find((o) => o.bundleAction === a.name);
          return op ? readAction(op, a, device) : { action: a.name, messageType: null, deviceIdentification: device };
        });
        return { deviceIdentification: device, payload: { actions } };
      },
      render: (stored, p) => {
        const responses = record(stored.data, 'data').responses;
        if (!Array.isArray(responses) || responses.length === 0) throw new IncompleteResultError('responses');
        const ops = operations();
        return `<${p}:AllResponses>${(responses as ActionOutcome[]).map((o) => renderOutcome(ops, o, p, stored)).join('')}</${p}:AllResponses>`;
      },
    },
    rest: {
      url: '/devices/:deviceIdentification/bundle',
      operationId: 'bundle',
      summary: 'Run several operations on one gateway over one DLMS association, in order, each with its own outcome (GXF Bundle)',
      tag: 'devices',
      params: gatewayParams,
      body: z.object({ actions: z.array(restAction).min(1).max(100), ...requestOptions }).strict(),
      toRequest: (params, body) => {
        const device = pathDevice(params);
        const ops = operations();
        const actions = (body.actions as Record<string, unknown>[]).map((a, i) => readRestAction(ops, a, i, device));
        return { deviceIdentification: device, payload: { actions } };
      },
    },
    async execute(ports, payload, ctx): Promise<BundleResult> {
      if (await ports.inventory.getMbusDevice(ctx.deviceIdentification)) {
        throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `Bundle request is not allowed for gas meter ${ctx.deviceIdentification}`, { component: 'DOMAIN_SMART_METERING', retryable: false });
      }
      const ops = operations();
      const progress = ports.bundleProgress ?? fallbackProgress;
      const outcomes: (ActionOutcome | null)[] = (await progress.load(ctx.correlationUid)) ?? [];
      const link = new SharedLink(ports.links, ctx.deviceIdentification);
      const shared: OperationPorts = { ...ports, links: link };
      try {
        for (let i = 0; i < payload.actions.length; i++) {
          if (outcomes[i]) continue; // done in an earlier attempt (GXF's RetryBundle)
          const a = payload.actions[i]!;
          const base = { action: a.action, messageType: a.messageType, deviceIdentification: a.deviceIdentification };
          let outcome: ActionOutcome;
          try {
            const data = await runAction(ops, shared, a, ctx);
            outcome = { ...base, result: 'OK', ...(data === undefined ? {} : { data }) };
          } catch (e) {
            if (isMeterfabricError(e) && e.retryable) {
              // The association is gone (or never came): the bundle fails as a whole and is retried from here.
              await link.close();
              await progress.save(ctx.correlationUid, outcomes);
              throw e;
            }
            outcome = { ...base, result: 'NOT_OK', fault: faultOf(e) };
          }
          outcomes[i] = outcome;
          await progress.save(ctx.correlationUid, outcomes);
        }
      } finally {
        await link.close();
      }
      return { responses: outcomes as ActionOutcome[] };
    },
  });
}
