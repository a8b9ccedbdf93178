/**
 * Who is calling: the organisation behind a request to the SOAP or REST interface.
 *
 * GXF binds a call to an organisation through two-way TLS: the organisation named by the caller must be the
 * subject CN of a certificate in the client's chain (GXF-SEMANTICS §9.4). meterfabric does the same when the
 * connection is TLS with a verified client certificate. On plain HTTP (the embedded default) the named
 * organisation is accepted only from the loopback interface, unless configured otherwise.
 */
import type { TLSSocket, DetailedPeerCertificate } from 'node:tls';
import type { FastifyRequest } from 'fastify';

export type PlainHttpTrust = 'loopback' | 'any' | 'none';

export interface CallerPolicy {
  /** On a connection without a verified client certificate, from where a named organisation is believed. */
  plainHttp?: PlainHttpTrust;
}

/** Subject CNs of the verified client certificate chain, or undefined when the caller presented none. */
export function certificateOrganisations(request: FastifyRequest): string[] | undefined {
  const socket = request.raw.socket as Partial<TLSSocket> | undefined;
  if (!socket || typeof socket.getPeerCertificate !== 'function' || socket.authorized !== true) return undefined;
  const names: string[] = [];
  let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  const seen = new Set<string>();
  while (cert && cert.subject && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    const cn = cert.subject.CN as string | string[] | undefined;
    if (Array.isArray(cn)) names.push(...cn);
    else if (cn) names.push(cn);
    cert = cert.issuerCertificate;
  }
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
