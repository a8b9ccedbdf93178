/**
 * What every SOAP endpoint (SmartMetering services, Admin service) sets up on its fastify scope: bodies reach the
 * handler as bytes, and refusals before the handler (the security hook, a body too large) are answered as SOAP
 * faults with the HTTP status of the refusal.
 */
import type { FastifyInstance } from 'fastify';
import { isMeterfabricError } from '../../errors.ts';
import type { logger } from '../../observability/logger.ts';
import { statusOf } from '../problems.ts';
import { SoapFault } from './faults.ts';

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
