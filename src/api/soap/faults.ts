/**
 * SOAP 1.1 faults as GXF renders them (docs/gxf.md#fault-shapes):
 * - MeterfabricError -> faultcode Server, detail common:FunctionalFault {Code, Message = code name, Component,
 *   InnerException, InnerMessage}; 405 carries "CorrelationUid is unknown." as Message (docs/gxf.md#unknown-correlation-uid);
 * - header problems (missing mandatory header, certificate) -> faultcode Server, the message as faultstring, no detail;
 * - XSD violations and unreadable XML -> faultcode Client "Validation error" with one spring-ws:ValidationError per
 *   problem, the way Spring-WS (GXF's SOAP stack) reports them;
 * - anything unexpected -> faultcode Server with common:TechnicalFault, no internals.
 * Every fault is sent with HTTP 500 (SOAP 1.1 over HTTP).
 */
import { ErrorCode, errorCodeName, isMeterfabricError } from '../../errors.ts';
import { scrubText } from '../../observability/logger.ts';
import { publicText } from '../problems.ts';
import { escapeXml, NS } from './xml.ts';

export const UNKNOWN_CORRELATION_UID_MESSAGE = 'CorrelationUid is unknown.';
export const CORRELATION_TYPE_MISMATCH_MESSAGE = 'CorrelationUid does not match any data of the requested type.';
const SPRING_WS_NS = 'http://springframework.org/spring-ws';
const MAX_VALIDATION_ERRORS = 20;

export interface FunctionalFaultFields {
  code: number;
  message: string;
  component: string;
  innerException: string;
  innerMessage: string;
}

export interface TechnicalFaultFields {
  message: string;
  component: string;
  innerException: string;
  innerMessage: string;
}

/** A fault to send instead of a response; thrown inside the SOAP handler and rendered once at its edge. */
export class SoapFault extends Error {
  readonly faultcode: 'Client' | 'Server' | 'VersionMismatch';
  readonly faultstring: string;
  readonly detailXml: string;

  constructor(faultcode: 'Client' | 'Server' | 'VersionMismatch', faultstring: string, detailXml = '') {
    super(faultstring);
    this.name = 'SoapFault';
    this.faultcode = faultcode;
    this.faultstring = faultstring;
    this.detailXml = detailXml;
  }

  /** Fault strings and details pass the API edge's scrubber (../problems.ts) whatever built them. */
  toEnvelope(): string {
    const detail = this.detailXml ? `<detail>${scrubText(this.detailXml)}</detail>` : '';
    return (
      `<SOAP-ENV:Envelope xmlns:SOAP-ENV="${NS.soapEnv}"><SOAP-ENV:Header/><SOAP-ENV:Body><SOAP-ENV:Fault>` +
      `<faultcode>SOAP-ENV:${this.faultcode}</faultcode><faultstring xml:lang="en">${escapeXml(publicText(ErrorCode.VALIDATION_ERROR, this.faultstring))}</faultstring>` +
      `${detail}</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>`
    );
  }
}

export function functionalFault(f: FunctionalFaultFields): SoapFault {
  const detail =
    `<ns2:FunctionalFault xmlns:ns2="${NS.common}"><ns2:Code>${f.code}</ns2:Code>` +
    `<ns2:Message>${escapeXml(f.message)}</ns2:Message><ns2:Component>${escapeXml(f.component)}</ns2:Component>` +
    `<ns2:InnerException>${escapeXml(f.innerException)}</ns2:InnerException>` +
    `<ns2:InnerMessage>${escapeXml(f.innerMessage)}</ns2:InnerMessage></ns2:FunctionalFault>`;
  return new SoapFault('Server', f.message, detail);
}

export function technicalFault(f: TechnicalFaultFields): SoapFault {
  const detail =
    `<ns2:TechnicalFault xmlns:ns2="${NS.common}"><ns2:Message>${escapeXml(f.message)}</ns2:Message>` +
    `<ns2:Component>${escapeXml(f.component)}</ns2:Component>` +
    `<ns2:InnerException>${escapeXml(f.innerException)}</ns2:InnerException>` +
    `<ns2:InnerMessage>${escapeXml(f.innerMessage)}</ns2:InnerMessage></ns2:TechnicalFault>`;
  return new SoapFault('Server', f.message, detail);
}

/** Plain Server fault without detail, as GXF's interceptors raise (docs/gxf.md#fault-shapes), e.g. `UserName Soap Header is ""`. */
export function headerFault(message: string): SoapFault {
  return new SoapFault('Server', message);
}

/** Client fault "Validation error" with the problems found (XSD violations, unreadable XML). */
export function validationFault(problems: string[]): SoapFault {
  const shown = problems.slice(0, MAX_VALIDATION_ERRORS);
  const detail = shown
    .map((p) => `<spring-ws:ValidationError xmlns:spring-ws="${SPRING_WS_NS}">${escapeXml(withholdLongValues(p))}</spring-ws:ValidationError>`)
    .join('');
  return new SoapFault('Client', 'Validation error', detail);
}

/**
 * Values echoed by the validator may be (encrypted) keys, as in AddDevice: any quoted value of 32 characters or
 * more is replaced by its length, and hex runs are scrubbed as in the logs.
 */
function withholdLongValues(message: string): string {
  return scrubText(message.replace(/'([^'{}\s]{32,})'/g, (_m, v: string) => `'[${v.length} characters withheld]'`));
}

/** The error fields that are stored with a NOT OK response (StoredResponse.error) or carried by a MeterfabricError. */
export interface ErrorFields {
  code: number;
  codeName?: string;
  component: string;
  message: string;
}

/**
 * FunctionalFault for an error code: Message is the code name (GXF's FunctionalExceptionType), except 405 whose
 * Message is fixed (docs/gxf.md#unknown-correlation-uid); the readable text goes to InnerMessage, as GXF puts the cause's message there.
 */
export function faultForError(e: ErrorFields): SoapFault {
  if (e.code === ErrorCode.UNKNOWN_CORRELATION_UID) {
    return functionalFault({
      code: e.code,
      message: UNKNOWN_CORRELATION_UID_MESSAGE,
      component: e.component,
      innerException: '',
      innerMessage: '',
    });
  }
  const text = e.message ?? '';
  return functionalFault({
    code: e.code,
    message: e.codeName ?? errorCodeName(e.code),
    component: e.component,
    innerException: text ? 'MeterfabricError' : '',
    innerMessage: publicText(e.code, text),
  });
}

/** Fault for anything thrown while handling a request. Unknown exceptions reveal nothing of themselves. */
export function faultFromThrown(e: unknown): SoapFault {
  if (e instanceof SoapFault) return e;
  if (isMeterfabricError(e)) {
    return faultForError({ code: e.code, codeName: e.codeName, component: e.component, message: e.message });
  }
  return technicalFault({
    message: 'An unexpected error occurred while handling the request.',
    component: 'WS_SMART_METERING',
    innerException: '',
    innerMessage: '',
  });
}
