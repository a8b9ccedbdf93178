/**
 * Who is calling: the organisation behind a request to the SOAP or REST interface.
 *
 * GXF binds a call to an organisation through two-way TLS: the organisation named by the caller must be the
 * subject CN of a certificate in the client's chain (GXF-SEMANTICS §9.4). meterfabric does the same with the
 * client's own certificate when the connection is TLS with a verified client certificate. On plain HTTP (the embedded default) the named
 * organisation is accepted only from the loopback interface, unless configured otherwise.
 */
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import { ErrorCode, MeterfabricError } from '../../errors.ts';

export type PlainHttpTrust = 'loopback' | 'any' | 'none';

export interface CallerPolicy {
  /** On a connection without a verified client certificate, from where a named organisation is believed. */
  plainHttp?: PlainHttpTrust;
}

/**
 * Subject CN of the verified client certificate, or undefined when the caller presented none. Only the client's
 * own (leaf) certificate names organisations: GXF also accepts the CN of any issuer in the chain (§9.4), which
 * would let every client act as an organisation named like its CA.
 */
export function certificateOrganisations(request: FastifyRequest): string[] | undefined {
  const socket = request.raw.socket as Partial<TLSSocket> | undefined;
  if (!socket || typeof socket.getPeerCertificate !== 'function' || socket.authorized !== true) return undefined;
  const cert = socket.getPeerCertificate(false);
  const cn = cert?.subject?.CN as string | string[] | undefined;
  const names = Array.isArray(cn) ? cn : cn ? [cn] : [];
  return names.length > 0 ? names : undefined;
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

export type CallerCheck = { ok: true } | { ok: false; reason: 'certificate' | 'untrusted-network' };

/** Whether the caller may act as `organisation` (GXF §9.4 when a certificate is present). */
export function checkCallerOrganisation(request: FastifyRequest, organisation: string, policy: CallerPolicy = {}): CallerCheck {
  const cns = certificateOrganisations(request);
  if (cns) return cns.includes(organisation) ? { ok: true } : { ok: false, reason: 'certificate' };
  const trust = policy.plainHttp ?? 'loopback';
  if (trust === 'any') return { ok: true };
  if (trust === 'loopback' && isLoopback(request.raw.socket?.remoteAddress)) return { ok: true };
  return { ok: false, reason: 'untrusted-network' };
}

export const ORGANISATION_HEADER = 'x-organisation-identification';

/**
 * The organisation a REST operation request acts for: the client certificate's CN (X-Organisation-Identification,
 * when given, must equal it), or on trusted plain HTTP the X-Organisation-Identification header, which is
 * then required. Throws MeterfabricError 224 (no usable identity) or 301 (header not in the certificate).
 */
export function restCallerOrganisation(request: FastifyRequest, policy: CallerPolicy = {}): string {
  const named = request.headers[ORGANISATION_HEADER];
  const claimed = typeof named === 'string' && named.trim() ? named.trim() : undefined;
  const cns = certificateOrganisations(request);
  if (cns) {
    const org = claimed ?? cns[0]!;
    if (!cns.includes(org)) {
      throw new MeterfabricError(ErrorCode.UNAUTHORIZED, `Client certificate is untrusted or invalid for organisation [${org}]`, {
        component: 'WS_SMART_METERING',
        retryable: false,
      });
    }
    return org;
  }
  const check = checkCallerOrganisation(request, claimed ?? '', policy);
  if (!check.ok) {
    throw new MeterfabricError(ErrorCode.AUTHENTICATION_REQUIRED, 'A client certificate issued by the platform CA is required', {
      component: 'WS_SMART_METERING',
      retryable: false,
    });
  }
  if (!claimed) {
    throw new MeterfabricError(ErrorCode.AUTHENTICATION_REQUIRED, 'The X-Organisation-Identification header is required', {
      component: 'WS_SMART_METERING',
      retryable: false,
    });
  }
  return claimed;
}
