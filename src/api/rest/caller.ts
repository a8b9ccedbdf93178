/**
 * Who is calling: the authenticated organisation behind a request to the SOAP, REST, admin or console API.
 *
 * An organisation authenticates with a client certificate from the platform CA whose subject carries exactly one
 * CN, equal to the organisation (the rule of GXF's mutual TLS; only the client's own certificate counts, never an
 * issuer in its chain), or with an API token (`Authorization: Bearer <token>`, src/platform/tokens.ts). Nothing
 * else identifies a caller: no network location, and no header naming an organisation. The checks run once, in
 * the security hook (src/api/security.ts), which puts the result on `request.caller`.
 */
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { ORGANISATION_CN } from '../../platform/ca.ts';

export interface Caller {
  organisationIdentification: string;
  via: 'certificate' | 'token' | 'session';
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller, set by the security hook (src/api/security.ts). */
    caller?: Caller;
  }
}

export const ORGANISATION_HEADER = 'x-organisation-identification';

const refused = (message: string) => new MeterfabricError(ErrorCode.AUTHENTICATION_ERROR, message, { component: 'WS_SMART_METERING', retryable: false });

/**
 * The organisation named by the verified client certificate, or undefined when the caller presented none that
 * chains to the platform CA. A verified certificate whose subject has more than one CN, or a CN that is not a
 * plain organisation identifier, is refused (AUTHENTICATION_ERROR): a CN such as `acme/CN=OSGP` must never be
 * read as a second name.
 */
export function certificateOrganisation(request: FastifyRequest): string | undefined {
  const socket = request.raw.socket as Partial<TLSSocket> | undefined;
  if (!socket || typeof socket.getPeerCertificate !== 'function' || socket.authorized !== true) return undefined;
  const cert = socket.getPeerCertificate(false);
  if (!cert || !cert.subject) return undefined;
  const cn = (cert.subject as unknown as Record<string, string | string[] | undefined>).CN;
  if (cn === undefined) throw refused('The client certificate names no organisation (no CN)');
  if (Array.isArray(cn)) throw refused('The client certificate must carry exactly one CN');
  if (!ORGANISATION_CN.test(cn)) throw refused('The client certificate CN is not an organisation identification');
  return cn;
}

const notAuthenticated = () =>
  new MeterfabricError(ErrorCode.AUTHENTICATION_REQUIRED, 'Authentication required: a client certificate from the platform CA or an API token (Authorization: Bearer)', {
    component: 'WS_SMART_METERING',
    retryable: false,
  });

/** The authenticated caller; 401 (AUTHENTICATION_REQUIRED) when the request carries no valid credentials. */
export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw notAuthenticated();
  return request.caller;
}

/**
 * The organisation a REST request acts for: the authenticated one. X-Organisation-Identification is optional;
 * when given it must name that same organisation, else 301 (UNAUTHORIZED).
 */
export function restCallerOrganisation(request: FastifyRequest): string {
  const caller = callerOf(request);
  const named = request.headers[ORGANISATION_HEADER];
  const claimed = typeof named === 'string' && named.trim() ? named.trim() : undefined;
  if (claimed !== undefined && claimed !== caller.organisationIdentification) {
    throw new MeterfabricError(ErrorCode.UNAUTHORIZED, `Organisation [${claimed}] is not the authenticated organisation`, {
      component: 'WS_SMART_METERING',
      retryable: false,
    });
  }
  return caller.organisationIdentification;
}
