/**
 * Reading a SOAP 1.1 request: the envelope, its headers (by local name only) and the body payload element.
 */
import { XmlDocument, XmlElement, XmlParseError } from 'libxml2-wasm';
import { ErrorCode } from '../../errors.ts';
import { functionalFault, headerFault, SoapFault } from './faults.ts';
import { SAFE_PARSE } from './schema.ts';
import { child, childElements, NS } from './xml.ts';

const SOAP12_ENV = 'http://www.w3.org/2003/05/soap-envelope';

export interface ParsedEnvelope {
  /** Owns the parsed tree; dispose() when done. */
  doc: XmlDocument;
  /** Header element texts by local name (first occurrence wins). */
  headers: Map<string, string>;
  /** The payload root element, whose QName selects the operation. */
  payload: XmlElement;
}

/** Parses a request envelope; throws a Client SoapFault for anything that is not a SOAP 1.1 envelope. */
export function parseEnvelope(body: Uint8Array): ParsedEnvelope {
  let doc: XmlDocument;
  try {
    doc = XmlDocument.fromBuffer(body, { option: SAFE_PARSE });
  } catch (e) {
    const first = e instanceof XmlParseError ? (e.details[0]?.message ?? e.message) : 'unreadable input';
    throw new SoapFault('Client', `Malformed XML: ${first.trim()}`);
  }
  try {
    // Entity declarations in a request serve no purpose in these contracts and open the door to expansion attacks.
    if (doc.dtd !== null) throw new SoapFault('Client', 'Malformed XML: a DOCTYPE is not allowed');
    const root = doc.root;
    if (root.namespaceUri === SOAP12_ENV) throw new SoapFault('VersionMismatch', 'Only SOAP 1.1 is supported');
    if (root.namespaceUri !== NS.soapEnv || root.name !== 'Envelope') {
      throw new SoapFault('Client', 'Malformed request: the root element is not a SOAP 1.1 Envelope');
    }
    const headers = new Map<string, string>();
    const header = child(root, 'Header', NS.soapEnv);
    if (header) {
      for (const h of childElements(header)) if (!headers.has(h.name)) headers.set(h.name, h.content.trim());
    }
    const soapBody = child(root, 'Body', NS.soapEnv);
    const payload = soapBody ? childElements(soapBody)[0] : undefined;
    if (!payload) throw new SoapFault('Client', 'Malformed request: the SOAP Body has no payload element');
    return { doc, headers, payload };
  } catch (e) {
    doc.dispose();
    throw e;
  }
}

/** Request metadata from the SOAP headers (docs/gxf.md#soap-headers). */
export interface SoapHeaders {
  organisationIdentification: string;
  userName: string;
  applicationName: string;
  priority: number;
  scheduleTime?: Date;
  maxScheduleTime?: Date;
  bypassRetry: boolean;
  responseUrl?: string;
}

export const DEFAULT_PRIORITY = 4;
const MANDATORY = ['OrganisationIdentification', 'UserName', 'ApplicationName'] as const;

function invalidHeader(name: string, why: string): SoapFault {
  // GXF throws an unmapped exception here (docs/gxf.md#where-meterfabric-differs item 18); a FunctionalFault VALIDATION_ERROR tells the client why.
  return functionalFault({
    code: ErrorCode.VALIDATION_ERROR,
    message: 'VALIDATION_ERROR',
    component: 'WS_SMART_METERING',
    innerException: 'MeterfabricError',
    innerMessage: `${name} Soap Header ${why}`,
  });
}

function epochMillis(name: string, value: string | undefined): Date | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^[+-]?\d{1,16}$/.test(value)) throw invalidHeader(name, 'must be milliseconds since 1970-01-01T00:00:00Z');
  const d = new Date(Number(value));
  if (Number.isNaN(d.getTime())) throw invalidHeader(name, 'is out of range');
  return d;
}

/** Reads and checks the headers; throws the fault GXF sends for a missing mandatory header. */
export function readHeaders(headers: Map<string, string>): SoapHeaders {
  for (const name of MANDATORY) {
    if (!headers.get(name)) throw headerFault(`${name} Soap Header is ""`);
  }
  let priority = DEFAULT_PRIORITY;
  const rawPriority = headers.get('MessagePriority');
  if (rawPriority !== undefined && rawPriority !== '') {
    if (!/^[+-]?\d{1,10}$/.test(rawPriority)) throw invalidHeader('MessagePriority', 'must be an integer');
    priority = Math.min(9, Math.max(0, Number(rawPriority)));
  }
  const responseUrl = headers.get('ResponseUrl') || undefined;
  if (responseUrl !== undefined && !/^https?:\/\/.+/.test(responseUrl)) {
    throw invalidHeader('ResponseUrl', 'must be an http(s) URL');
  }
  return {
    organisationIdentification: headers.get('OrganisationIdentification')!,
    userName: headers.get('UserName')!,
    applicationName: headers.get('ApplicationName')!,
    priority,
    scheduleTime: epochMillis('ScheduleTime', headers.get('ScheduleTime')),
    maxScheduleTime: epochMillis('MaxScheduleTime', headers.get('MaxScheduleTime')),
    bypassRetry: (headers.get('BypassRetry') ?? '').toLowerCase() === 'true',
    responseUrl,
  };
}
