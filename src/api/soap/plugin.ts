/**
 * The GXF-compatible SOAP interface as a fastify plugin: SOAP 1.1 document/literal at GXF's paths, dispatched on
 * the payload root QName (docs/gxf.md#soap-contract), headers read by local name (docs/gxf.md#soap-headers), bodies validated against GXF's
 * XSDs, faults as GXF renders them (docs/gxf.md#faults-and-codes). Register it with `app.register(soapPlugin, { platform })`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { XmlElement } from 'libxml2-wasm';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { logger } from '../../observability/logger.ts';
import { SOAP_MEDIA_TYPES } from '../security.ts';
import type { PlatformApi, StoredResponse } from '../rest/platform-api.ts';
import { answerEnvelope, soapHttpScope, XML_CONTENT_TYPE, type SoapAnswer } from './http.ts';
import type { SoapHeaders } from './envelope.ts';
import { faultForError, faultFromThrown, functionalFault, technicalFault, validationFault } from './faults.ts';
import {
  asyncResponse,
  correlationTypeMismatch,
  IncompleteResultError,
  OPERATIONS_BY_QNAME,
  responseElement,
  type PollOperation,
  type SoapOperation,
  type SubmitOperation,
  type SyncSoapOperation,
} from './operations.ts';
import type { Queryable } from '../../platform/db/db.ts';
import { validateElement, validateEnvelopeXml } from './schema.ts';
import { schemaFiles, SERVICES, SOAP_BASE_PATH, wsdlFor, wsdlOperations, type ServiceName } from './wsdl.ts';
import { childText, clark, el, NS } from './xml.ts';

export interface SoapPluginOptions {
  platform: PlatformApi;
  /** Public scheme://host[:port] put into the served WSDLs; default: taken from each WSDL request. */
  baseUrl?: string;
  /** Check every response against the XSDs before sending it (for development; costs one more validation). */
  validateResponses?: boolean;
}

const log = logger('api.soap');
/** The request elements of every operation in GXF's SmartMetering WSDLs. */
const GXF_OPERATIONS: ReadonlySet<string> = new Set(wsdlOperations().map((o) => clark(o.inputNamespace, o.input)));

function envelope(payload: string): string {
  return `<SOAP-ENV:Envelope xmlns:SOAP-ENV="${NS.soapEnv}"><SOAP-ENV:Header/><SOAP-ENV:Body>${payload}</SOAP-ENV:Body></SOAP-ENV:Envelope>`;
}

export async function soapPlugin(app: FastifyInstance, opts: SoapPluginOptions): Promise<void> {
  const { platform } = opts;

  soapHttpScope(app, faultFromThrown, log);

  async function submit(op: SubmitOperation, payloadEl: XmlElement, h: SoapHeaders): Promise<string> {
    const { deviceIdentification, payload } = op.read(payloadEl);
    const { correlationUid } = await platform.requests.submit({
      organisationIdentification: h.organisationIdentification,
      userName: h.userName,
      applicationName: h.applicationName,
      deviceIdentification,
      messageType: op.messageType,
      payload,
      priority: h.priority,
      ...(h.scheduleTime ? { scheduleTime: h.scheduleTime } : {}),
      ...(h.maxScheduleTime ? { maxScheduleTime: h.maxScheduleTime } : {}),
      bypassRetry: h.bypassRetry,
      ...(h.responseUrl ? { responseUrl: h.responseUrl } : {}),
      channel: 'SOAP',
    });
    log.info({ correlationUid, messageType: op.messageType, organisation: h.organisationIdentification }, 'soap request accepted');
    return asyncResponse(op, deviceIdentification, correlationUid);
  }

  async function pollResponse(op: PollOperation, payloadEl: XmlElement, h: SoapHeaders): Promise<string> {
    const correlationUid = childText(payloadEl, 'CorrelationUid', op.correlationUidNamespace)!;
    const stored: StoredResponse = await platform.requests.getResponse(correlationUid, h.organisationIdentification);
    if (stored.messageType !== op.messageType && stored.result !== 'NOT_OK') throw correlationTypeMismatch();
    if (op.family === 'strict' && stored.result === 'NOT_OK') {
      // GXF's throwExceptionIfResultNotOk (docs/gxf.md#result-families): the stored exception, a text, or a generic technical fault.
      if (stored.error) throw faultForError(stored.error);
      throw technicalFault({
        message: typeof stored.data === 'string' ? stored.data : `An exception occurred processing ${op.response}.`,
        component: 'WS_SMART_METERING',
        innerException: '',
        innerMessage: '',
      });
    }
    try {
      return responseElement(op.namespace, op.response, op.render(stored, 'ns'));
    } catch (e) {
      if (!(e instanceof IncompleteResultError)) throw e;
      log.error({ correlationUid, messageType: op.messageType, problem: e.message }, 'stored result does not fit the response');
      throw technicalFault({
        message: `The stored result of ${op.response} is incomplete.`,
        component: 'WS_SMART_METERING',
        innerException: '',
        innerMessage: '',
      });
    }
  }

  async function deleteResponseData(op: SoapOperation, payloadEl: XmlElement, h: SoapHeaders): Promise<string> {
    const correlationUid = childText(payloadEl, 'correlationUid', NS.smCommon)!;
    await platform.requests.deleteResponse(correlationUid, h.organisationIdentification);
    return responseElement(op.namespace, 'DeleteResponseDataResponse', el('common:Result', 'OK'));
  }

  async function sync(op: SyncSoapOperation, payloadEl: XmlElement, h: SoapHeaders): Promise<string> {
    const db = (platform as { db?: Queryable }).db;
    if (!db) throw new MeterfabricError(ErrorCode.CONFIGURATION_ERROR, `${op.element} is not available on this server`, { component: 'WS_SMART_METERING' });
    const result = await op.operation.run(db, h.organisationIdentification, op.operation.soap.read(payloadEl));
    return responseElement(op.namespace, op.response, op.operation.soap.render(result, 'ns'));
  }

  function handle(request: FastifyRequest): Promise<SoapAnswer> {
    return answerEnvelope(request, { faultOf: faultFromThrown, component: 'WS_SMART_METERING', log }, async (payloadEl, h) => {
      const qname = clark(payloadEl.namespaceUri, payloadEl.name);
      const op = OPERATIONS_BY_QNAME.get(qname);
      // An operation of GXF's WSDLs that the catalogue does not serve is answered as unsupported, whatever its body.
      if (op || !GXF_OPERATIONS.has(qname)) {
        const issues = validateElement(payloadEl);
        if (issues.length > 0) throw validationFault(issues.map((i) => i.message));
      }
      if (!op) {
        throw functionalFault({
          code: ErrorCode.UNSUPPORTED_DEVICE_ACTION,
          message: 'UNSUPPORTED_DEVICE_ACTION',
          component: 'WS_SMART_METERING',
          innerException: 'MeterfabricError',
          innerMessage: `The operation of ${payloadEl.name} is not supported by this platform`,
        });
      }
      let payload: string;
      if (op.kind === 'submit') payload = await submit(op, payloadEl, h);
      else if (op.kind === 'poll') payload = await pollResponse(op, payloadEl, h);
      else if (op.kind === 'sync') payload = await sync(op, payloadEl, h);
      else payload = await deleteResponseData(op, payloadEl, h);
      return { body: envelope(payload), fault: false };
    });
  }

  async function post(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const result = await handle(request);
    if (opts.validateResponses) {
      const issues = validateEnvelopeXml(result.body);
      if (issues.length > 0) {
        log.error({ issues }, 'response does not validate against the GXF schemas');
        const f = technicalFault({ message: 'The response could not be produced.', component: 'WS_SMART_METERING', innerException: '', innerMessage: '' });
        return reply.code(500).type(XML_CONTENT_TYPE).send(f.toEnvelope());
      }
    }
    return reply.code(result.fault ? 500 : 200).type(XML_CONTENT_TYPE).send(result.body);
  }

  function baseUrlOf(request: FastifyRequest): string {
    return opts.baseUrl ?? `${request.protocol}://${request.host}`;
  }

  for (const service of Object.keys(SERVICES) as ServiceName[]) {
    for (const path of [`${SOAP_BASE_PATH}/${service}/`, `${SOAP_BASE_PATH}/${service}`]) {
      app.post(path, { config: { mediaTypes: SOAP_MEDIA_TYPES } }, post);
      // The WSDL is public; a GET without ?wsdl is told to POST.
      app.get(path, { config: { public: true } }, async (request, reply) => {
        const query = request.query as Record<string, unknown>;
        if (!('wsdl' in query) && !('WSDL' in query)) {
          return reply.code(405).header('allow', 'POST').type('text/plain').send('POST a SOAP 1.1 envelope, or GET ?wsdl\n');
        }
        return reply.type(XML_CONTENT_TYPE).send(wsdlFor(service, baseUrlOf(request)));
      });
    }
    app.get(`${SOAP_BASE_PATH}/${service}/schemas/:file`, { config: { public: true } }, serveSchema);
  }
  app.get(`${SOAP_BASE_PATH}/schemas/:file`, { config: { public: true } }, serveSchema);

  async function serveSchema(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const file = schemaFiles.get((request.params as { file: string }).file);
    if (!file) return reply.code(404).type('text/plain').send('no such schema\n');
    return reply.type(XML_CONTENT_TYPE).send(file);
  }
}
