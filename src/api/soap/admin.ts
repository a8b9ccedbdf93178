/**
 * GXF's Admin web service (AdminDeviceManagement.wsdl) as a fastify plugin, at GXF's path
 * /osgp-adapter-ws-admin/admin/deviceManagementService/: SOAP 1.1 document/literal, dispatched on the payload root
 * QName, headers read by local name, bodies validated against the admin XSDs, faults as GXF renders them with
 * component WS_ADMIN (docs/gxf-admin.md). Every operation is synchronous and calls the platform's administration
 * functions (src/platform/administration.ts), which carry GXF's authorisation rule of each operation.
 *
 * Callers authenticate as on every other route (API token or client certificate, src/api/security.ts), and the
 * OrganisationIdentification header must name the authenticated organisation (301), as on the SmartMetering services.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { XmlElement } from 'libxml2-wasm';
import { ErrorCode, isMeterfabricError } from '../../errors.ts';
import { logger } from '../../observability/logger.ts';
import type { Db } from '../../platform/db/db.ts';
import type { FunctionGroup, PlatformFunctionGroup } from '../../platform/inventory.ts';
import * as admin from '../../platform/administration.ts';
import { SOAP_MEDIA_TYPES } from '../security.ts';
import { ADMIN_BASE_PATH, ADMIN_NS, ADMIN_OPERATIONS, ADMIN_SERVICE, adminSchemaFiles, adminWsdl, validateAdminElement, validateAdminEnvelopeXml } from './admin-wsdl.ts';
import { answerEnvelope, soapHttpScope, XML_CONTENT_TYPE, type SoapAnswer } from './http.ts';
import { faultForError, SoapFault, technicalFault, validationFault } from './faults.ts';
import { child, childElements, childText, clark, el, NS } from './xml.ts';

export interface AdminSoapOptions {
  db: Db;
  /** Public scheme://host[:port] put into the served WSDL; default: taken from each WSDL request. */
  baseUrl?: string;
  /** Check every response against the admin XSDs before sending it (development and tests). */
  validateResponses?: boolean;
}

const log = logger('api.soap.admin');
const COMPONENT = 'WS_ADMIN';

interface Answer {
  /** The response payload element. */
  body: string;
  /**
   * GXF answers an empty list where its schema asks for at least one element (FindDevicesWhichHaveNoOwner without
   * ownerless devices, a FindMessageLogs page without entries); these answers are sent as GXF sends them.
   */
  emptyList?: boolean;
}

type Handler = (payload: XmlElement, caller: string) => Promise<Answer>;

// ---- reading requests (already XSD-valid; children in the admin namespace) ----------------------------------

const text = (parent: XmlElement, name: string): string => childText(parent, name, ADMIN_NS) ?? '';
const optional = (parent: XmlElement, name: string): string | undefined => childText(parent, name, ADMIN_NS);
const optionalInt = (parent: XmlElement, name: string): number | undefined => {
  const v = optional(parent, name);
  return v === undefined || v === '' ? undefined : Number(v);
};
const children = (parent: XmlElement, name: string): XmlElement[] => childElements(parent).filter((c) => c.name === name && c.namespaceUri === ADMIN_NS);
const bool = (v: string | undefined): boolean => v === 'true' || v === '1';
const dateOf = (v: string | undefined): Date | undefined => (v ? new Date(v) : undefined);

// ---- rendering ------------------------------------------------------------------------------------------------

function response(local: string, inner = ''): Answer {
  return { body: `<ns:${local} xmlns:ns="${ADMIN_NS}">${inner}</ns:${local}>` };
}

const IPV4 = /^((1?[0-9]?[0-9]|2[0-4][0-9]|25[0-5]).){3}(1?[0-9]?[0-9]|2[0-4][0-9]|25[0-5])$/;

function deviceAuthorisation(a: { deviceIdentification: string; organisationIdentification: string; functionGroup: string }): string {
  return `<ns:DeviceAuthorisations>${el('ns:deviceIdentification', a.deviceIdentification)}${el('ns:organisationIdentification', a.organisationIdentification)}` +
    `${el('ns:functionGroup', a.functionGroup)}</ns:DeviceAuthorisations>`;
}

function ownerlessDevice(d: admin.OwnerlessDevice): string {
  return `<ns:Devices>${el('ns:DeviceIdentification', d.deviceIdentification)}` +
    (d.host && IPV4.test(d.host) ? el('ns:NetworkAddress', d.host) : '') +
    `${el('ns:DeviceType', d.deviceType)}${el('ns:Activated', String(d.active))}${el('ns:PublicKeyPresent', String(d.publicKeyPresent))}` +
    d.organisations.map((o) => el('ns:Organisations', o)).join('') +
    '</ns:Devices>';
}

function messageLog(m: admin.MessageLogEntry): string {
  return `<ns:MessageLogs>${el('ns:Timestamp', m.timestamp.toISOString())}${el('ns:OrganisationIdentification', m.organisationIdentification)}` +
    `${el('ns:DeviceUid', m.deviceIdentification)}${el('ns:DeviceIdentification', m.deviceIdentification)}${el('ns:DecodedMessage', m.decodedMessage)}` +
    `${el('ns:EncodedMessage', m.encodedMessage)}${el('ns:Incoming', String(m.incoming))}${el('ns:Valid', String(m.valid))}</ns:MessageLogs>`;
}

// ---- the fifteen operations -----------------------------------------------------------------------------------

function handlers(db: Db): Map<string, Handler> {
  const h = new Map<string, Handler>();
  const on = (element: string, fn: Handler) => h.set(clark(ADMIN_NS, element), fn);

  on('CreateOrganisationRequest', async (p, caller) => {
    const o = child(p, 'Organisation', ADMIN_NS)!;
    await admin.createOrganisation(db, caller, {
      identification: text(o, 'OrganisationIdentification'),
      name: text(o, 'Name'),
      prefix: text(o, 'Prefix'),
      platformFunctionGroup: text(o, 'FunctionGroup') as PlatformFunctionGroup,
      enabled: bool(optional(o, 'Enabled')),
      domains: children(o, 'Domains').map((d) => d.content.trim()),
    });
    return response('CreateOrganisationResponse');
  });
  on('ChangeOrganisationRequest', async (p, caller) => {
    await admin.changeOrganisation(db, caller, text(p, 'OrganisationIdentification'), {
      name: text(p, 'NewOrganisationName'),
      platformFunctionGroup: text(p, 'NewOrganisationPlatformFunctionGroup') as PlatformFunctionGroup,
      domains: children(p, 'NewOrganisationPlatformDomains').map((d) => d.content.trim()),
    });
    return response('ChangeOrganisationResponse');
  });
  on('ActivateOrganisationRequest', async (p, caller) => {
    await admin.activateOrganisation(db, caller, text(p, 'OrganisationIdentification'));
    return response('ActivateOrganisationResponse');
  });
  on('RemoveOrganisationRequest', async (p, caller) => {
    await admin.removeOrganisation(db, caller, text(p, 'OrganisationIdentification'));
    return response('RemoveOrganisationResponse');
  });
  on('UpdateDeviceAuthorisationsRequest', async (p, caller) => {
    await admin.updateDeviceAuthorisations(db, caller, children(p, 'DeviceAuthorisations').map((a) => ({
      deviceIdentification: text(a, 'deviceIdentification'),
      organisationIdentification: text(a, 'organisationIdentification'),
      functionGroup: text(a, 'functionGroup') as FunctionGroup,
      revoked: bool(optional(a, 'revoked')),
    })));
    return response('UpdateDeviceAuthorisationsResponse');
  });
  on('FindDeviceAuthorisationsRequest', async (p, caller) => {
    const found = await admin.findDeviceAuthorisations(db, caller, text(p, 'DeviceIdentification'));
    return response('FindDeviceAuthorisationsResponse', found.map(deviceAuthorisation).join(''));
  });
  on('FindDevicesWhichHaveNoOwnerRequest', async (_p, caller) => {
    const devices = await admin.findDevicesWithoutOwner(db, caller);
    return { ...response('FindDevicesWhichHaveNoOwnerResponse', devices.map(ownerlessDevice).join('')), emptyList: devices.length === 0 };
  });
  on('SetOwnerRequest', async (p, caller) => {
    await admin.setOwner(db, caller, text(p, 'DeviceIdentification'), text(p, 'OrganisationIdentification'));
    return response('SetOwnerResponse');
  });
  on('RemoveDeviceRequest', async (p, caller) => {
    await admin.removeDevice(db, caller, text(p, 'DeviceIdentification'));
    return response('RemoveDeviceResponse');
  });
  on('UpdateKeyRequest', async (p, caller) => {
    await admin.updateKey(db, caller, text(p, 'DeviceIdentification'), text(p, 'PublicKey'));
    return response('UpdateKeyResponse');
  });
  on('RevokeKeyRequest', async (p, caller) => {
    await admin.revokeKey(db, caller, text(p, 'DeviceIdentification'));
    return response('RevokeKeyResponse');
  });
  on('GetProtocolInfosRequest', async (_p, caller) => {
    const infos = await admin.protocolInfos(db, caller);
    return response('GetProtocolInfosResponse', infos.map((i) =>
      `<ns:ProtocolInfos>${el('ns:Id', i.id)}${el('ns:Protocol', i.protocol)}${el('ns:ProtocolVersion', i.protocolVersion)}</ns:ProtocolInfos>`).join(''));
  });
  on('UpdateDeviceProtocolRequest', async (p, caller) => {
    const info = child(p, 'ProtocolInfo', ADMIN_NS)!;
    const variant = optional(info, 'ProtocolVariant');
    await admin.updateDeviceProtocol(db, caller, text(p, 'DeviceIdentification'), {
      protocol: text(info, 'Protocol'), protocolVersion: text(info, 'ProtocolVersion'), ...(variant !== undefined ? { protocolVariant: variant } : {}),
    });
    return response('UpdateDeviceProtocolResponse');
  });
  on('SetCommunicationNetworkInformationRequest', async (p, caller) => {
    const ip = optional(p, 'IpAddress');
    const btsId = optionalInt(p, 'BtsId');
    const cellId = optionalInt(p, 'CellId');
    const n = await admin.setCommunicationNetworkInformation(db, caller, text(p, 'DeviceIdentification'), {
      ...(ip ? { ipAddress: ip } : {}), ...(btsId !== undefined ? { btsId } : {}), ...(cellId !== undefined ? { cellId } : {}),
    });
    return response('SetCommunicationNetworkInformationResponse', el('ns:Result', 'OK') +
      (n.host !== null ? el('ns:IpAddress', n.host) : '') + (n.btsId !== null ? el('ns:BtsId', n.btsId) : '') + (n.cellId !== null ? el('ns:CellId', n.cellId) : ''));
  });
  on('FindMessageLogsRequest', async (p, caller) => {
    const f = child(p, 'MessageLogFilter', ADMIN_NS)!;
    const device = optional(f, 'DeviceIdentification');
    const org = optional(f, 'OrganisationIdentification');
    const start = dateOf(optional(f, 'StartTime'));
    const end = dateOf(optional(f, 'EndTime'));
    const page = await admin.findMessageLogs(db, caller, {
      page: Number(text(f, 'Page')),
      ...(device ? { deviceIdentification: device } : {}), ...(org ? { organisationIdentification: org } : {}),
      ...(start ? { startTime: start } : {}), ...(end ? { endTime: end } : {}),
    });
    return {
      ...response('FindMessageLogsResponse', `<ns:MessageLogPage>${el('ns:NextPageAvailable', String(page.nextPageAvailable))}${page.messageLogs.map(messageLog).join('')}</ns:MessageLogPage>`),
      emptyList: page.messageLogs.length === 0,
    };
  });
  return h;
}

function envelope(payload: string): string {
  return `<SOAP-ENV:Envelope xmlns:SOAP-ENV="${NS.soapEnv}"><SOAP-ENV:Header/><SOAP-ENV:Body>${payload}</SOAP-ENV:Body></SOAP-ENV:Envelope>`;
}

/** A fault for anything thrown by an operation: GXF's FunctionalFault for platform refusals, else a TechnicalFault. */
function faultOf(e: unknown): SoapFault {
  if (e instanceof SoapFault) return e;
  if (isMeterfabricError(e) && e.code < 1000) return faultForError({ code: e.code, codeName: e.codeName, component: e.component, message: e.message });
  return technicalFault({ message: 'An unexpected error occurred while handling the request.', component: COMPONENT, innerException: '', innerMessage: '' });
}

/** Every WSDL operation has a handler (checked when the plugin starts). */
export const ADMIN_REQUEST_ELEMENTS: readonly string[] = ADMIN_OPERATIONS.map((o) => o.input);

export async function adminSoapPlugin(app: FastifyInstance, opts: AdminSoapOptions): Promise<void> {
  const ops = handlers(opts.db);
  for (const o of ADMIN_OPERATIONS) {
    if (!ops.has(clark(ADMIN_NS, o.input))) throw new Error(`AdminDeviceManagement operation ${o.name} has no handler`);
  }

  soapHttpScope(app, faultOf, log);

  function handle(request: FastifyRequest): Promise<SoapAnswer> {
    // As on the SmartMetering services: headers, caller vs organisation, then XSD and the operation.
    return answerEnvelope(request, { faultOf, component: COMPONENT, log }, async (payload, h) => {
      const caller = h.organisationIdentification;
      const issues = validateAdminElement(payload);
      if (issues.length > 0) throw validationFault(issues.map((i) => i.message));
      const op = ops.get(clark(payload.namespaceUri, payload.name));
      if (!op) {
        // XSD-valid yet no operation: an element of the admin schema that is not a request.
        throw faultForError({ code: ErrorCode.UNSUPPORTED_DEVICE_ACTION, component: COMPONENT, message: `${payload.name} is not an operation of this service` });
      }
      const answer = await op(payload, caller);
      log.info({ element: payload.name, organisation: caller }, 'admin soap request done');
      return { body: envelope(answer.body), fault: false, ...(answer.emptyList ? { emptyList: true } : {}) };
    });
  }

  async function post(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const result = await handle(request);
    if (opts.validateResponses && !result.emptyList) {
      const issues = validateAdminEnvelopeXml(result.body);
      if (issues.length > 0) {
        log.error({ issues }, 'response does not validate against the admin schemas');
        const f = technicalFault({ message: 'The response could not be produced.', component: COMPONENT, innerException: '', innerMessage: '' });
        return reply.code(500).type(XML_CONTENT_TYPE).send(f.toEnvelope());
      }
    }
    return reply.code(result.fault ? 500 : 200).type(XML_CONTENT_TYPE).send(result.body);
  }

  const service = `${ADMIN_BASE_PATH}/${ADMIN_SERVICE}`;
  // GXF's own test clients post to <service>/DeviceManagement; the service answers there too.
  for (const path of [`${service}/`, service, `${service}/DeviceManagement`]) {
    app.post(path, { config: { mediaTypes: SOAP_MEDIA_TYPES } }, post);
    app.get(path, { config: { public: true } }, async (request, reply) => {
      const query = request.query as Record<string, unknown>;
      if (!('wsdl' in query) && !('WSDL' in query)) {
        return reply.code(405).header('allow', 'POST').type('text/plain').send('POST a SOAP 1.1 envelope, or GET ?wsdl\n');
      }
      return reply.type(XML_CONTENT_TYPE).send(adminWsdl(opts.baseUrl ?? `${request.protocol}://${request.host}`));
    });
  }
  const serveSchema = async (request: FastifyRequest, reply: FastifyReply) => {
    const file = adminSchemaFiles.get((request.params as { file: string }).file);
    if (!file) return reply.code(404).type('text/plain').send('no such schema\n');
    return reply.type(XML_CONTENT_TYPE).send(file);
  };
  app.get(`${ADMIN_BASE_PATH}/schemas/:file`, { config: { public: true } }, serveSchema);
  app.get(`${service}/schemas/:file`, { config: { public: true } }, serveSchema);
}
