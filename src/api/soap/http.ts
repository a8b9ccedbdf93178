/**
 * What every SOAP endpoint (SmartMetering services, Admin service) sets up on its fastify scope: bodies reach the
 * handler as bytes, and refusals before the handler (the security hook, a body too large) are answered as SOAP
 * faults with the HTTP status of the refusal.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { XmlElement } from 'libxml2-wasm';
import { ErrorCode, isMeterfabricError, type Component } from '../../errors.ts';
import type { logger } from '../../observability/logger.ts';
import { statusOf } from '../problems.ts';
import { callerOf } from '../rest/caller.ts';
import { parseEnvelope, readHeaders, type SoapHeaders } from './envelope.ts';
import { faultForError, SoapFault } from './faults.ts';

export const XML_CONTENT_TYPE = 'text/xml; charset=utf-8';

export function soapHttpScope(app: FastifyInstance, faultOf: (e: unknown) => SoapFault, log: ReturnType<typeof logger>): void {
  app.setErrorHandler((error, _request, reply) => {
    let status = 500;
    let fault: SoapFault;
    if (isMeterfabricError(error)) {
      status = statusOf(error.code);
      if (status >= 500 || status === 422 || status === 404) status = 500;
      // A refusal of the caller: a Client fault saying why, with GXF's FunctionalFault detail (code) as usual.
      fault = status === 500 ? faultOf(error) : new SoapFault('Client', error.message, faultOf(error).detailXml);
    } else {
      const code = (error as { statusCode?: number }).statusCode ?? 500;
      if (code >= 400 && code < 500) {
        status = code;
        fault = new SoapFault('Client', (error as Error).message);
      } else {
        log.error({ err: error }, 'unexpected error in SOAP route');
        fault = faultOf(error);
      }
    }
    return reply.code(status).type(XML_CONTENT_TYPE).send(fault.toEnvelope());
  });
  // The security hook admits only SOAP media types (a SOAP fault with 415 otherwise); the body arrives as bytes.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.addContentTypeParser(['text/xml', 'application/xml', 'application/soap+xml'], { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
}

/** A SOAP answer: the envelope and whether it is a fault (HTTP 500); `emptyList` marks a body the XSD cannot hold. */
export interface SoapAnswer {
  body: string;
  fault: boolean;
  emptyList?: boolean;
}

export interface EnvelopeScope {
  faultOf: (e: unknown) => SoapFault;
  component: Component;
  log: ReturnType<typeof logger>;
}

/**
 * One SOAP request from bytes to answer, the same on every endpoint (docs/gxf.md#soap-headers): the envelope parsed,
 * the headers read, the header's organisation held to the authenticated caller (certificate CN or API token, GXF's
 * 301 otherwise), then `dispatch` with the body's payload element. Any error becomes a fault; unexpected ones are
 * logged as errors. The parsed document is freed when the answer is ready.
 */
export async function answerEnvelope(
  request: FastifyRequest,
  scope: EnvelopeScope,
  dispatch: (payload: XmlElement, headers: SoapHeaders) => Promise<SoapAnswer>,
): Promise<SoapAnswer> {
  const raw = typeof request.body === 'string' ? Buffer.from(request.body) : request.body;
  if (!Buffer.isBuffer(raw) || raw.length === 0) {
    return { body: new SoapFault('Client', 'Malformed request: expected a SOAP 1.1 envelope as text/xml').toEnvelope(), fault: true };
  }
  let parsed;
  try {
    parsed = parseEnvelope(raw);
  } catch (e) {
    return { body: scope.faultOf(e).toEnvelope(), fault: true };
  }
  try {
    const h = readHeaders(parsed.headers);
    if (callerOf(request).organisationIdentification !== h.organisationIdentification) {
      throw faultForError({ code: ErrorCode.UNAUTHORIZED, component: scope.component, message: `Organisation [${h.organisationIdentification}] is not the authenticated organisation` });
    }
    return await dispatch(parsed.payload, h);
  } catch (e) {
    const fault = scope.faultOf(e);
    if (!(e instanceof SoapFault) && !isMeterfabricError(e)) scope.log.error({ err: e, element: parsed.payload.name }, 'unexpected error in SOAP handler');
    else scope.log.info({ element: parsed.payload.name, fault: fault.faultstring }, 'soap fault');
    return { body: fault.toEnvelope(), fault: true };
  } finally {
    parsed.doc.dispose();
  }
}
