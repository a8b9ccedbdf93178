/**
 * The one place where every HTTP request is checked before any route sees it (an `onRequest` hook on the root
 * instance, so it covers SOAP, REST, admin, console and whatever is registered later):
 *
 * 1. Host: the Host header must be one of the platform's names (default: the listen address, localhost,
 *    127.0.0.1 and [::1], on the listening port; more with `--public-host`). Anything else is 421: a page on
 *    another name that DNS-rebinds to this address gets nothing.
 * 2. State-changing requests (POST, PUT, PATCH, DELETE) carry their real content type — SOAP `text/xml` or
 *    `application/soap+xml`, everything else `application/json` — a POST without a body included (415
 *    otherwise); and an Origin header, when present, must be the platform's own origin (403 otherwise). Together
 *    these refuse what a web page in an operator's browser can send (HTML forms, `no-cors` fetches).
 * 3. Authentication: a route is public only when it says so (`config: { public: true }`); every other route needs
 *    a client certificate from the platform CA or an API token (`Authorization: Bearer`). A request without valid
 *    credentials is refused with 401 and never gets a default identity. Console routes (`config: { session: true }`)
 *    may instead present the console's session cookie, which the console checks itself.
 *
 * Errors are thrown as MeterfabricError and rendered by the error handler of the route's scope (REST problem,
 * SOAP fault, console JSON).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ErrorCode, MeterfabricError } from '../errors.ts';
import { certificateOrganisation, type Caller } from './rest/caller.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without credentials (health, metrics, WSDL and XSDs, OpenAPI, the console's static files and sign-in). */
    public?: boolean;
    /** Content types accepted on a state-changing request (default application/json). */
    mediaTypes?: readonly string[];
    /** A console route: the console's session cookie authenticates too (checked by the console). */
    session?: boolean;
  }
}

export const JSON_MEDIA_TYPES = ['application/json'] as const;
export const SOAP_MEDIA_TYPES = ['text/xml', 'application/soap+xml'] as const;

export interface SecurityOptions {
  /** The organisation of a valid API token; throws (AUTHENTICATION_ERROR) otherwise. */
  verifyToken(token: string): Promise<string>;
  /**
   * Host names (optionally `name:port`) the platform answers to. A name without a port matches the listening port
   * (or no port). Undefined: no Host check (a bare plugin in a unit test).
   */
  hosts?: readonly string[];
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const edgeError = (code: number, message: string) => new MeterfabricError(code, message, { component: 'WS_SMART_METERING', retryable: false });

/** The default host names for a listen address: that address, localhost, 127.0.0.1 and [::1]. */
export function defaultHosts(listenHost?: string, publicHosts: readonly string[] = []): string[] {
  const names = ['localhost', '127.0.0.1', '[::1]'];
  if (listenHost) names.push(listenHost.includes(':') && !listenHost.startsWith('[') ? `[${listenHost}]` : listenHost);
  return [...new Set([...names, ...publicHosts].map((h) => h.trim().toLowerCase()).filter(Boolean))];
}

const HOST = /^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::(\d{1,5}))?$/;

/** Whether a Host header value names this platform. */
export function hostAllowed(host: string | undefined, allowed: readonly string[], localPort?: number): boolean {
  if (!host) return false;
  const m = HOST.exec(host.trim().toLowerCase());
  if (!m) return false;
  const [, name, port] = m;
  for (const entry of allowed) {
    const e = HOST.exec(entry);
    if (!e || e[1] !== name) continue;
    if (e[2] !== undefined) {
      if (port === e[2]) return true;
      continue;
    }
    if (port === undefined || localPort === undefined || Number(port) === localPort) return true;
  }
  return false;
}

function mediaType(request: FastifyRequest): string | undefined {
  const ct = request.headers['content-type'];
  return typeof ct === 'string' && ct.trim() ? ct.split(';')[0]!.trim().toLowerCase() : undefined;
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (!m) throw edgeError(ErrorCode.AUTHENTICATION_ERROR, 'The Authorization header must be "Bearer <token>"');
  return m[1];
}

/** Installs the checks above on `app` (call it on the root instance before registering routes). */
export function installSecurity(app: FastifyInstance, o: SecurityOptions): void {
  app.decorateRequest('caller', undefined);

  // An empty body with Content-Type: application/json is an absent body (a POST that needs none still has to
  // say application/json); everything else goes to fastify's own JSON parser (prototype-poisoning safe).
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '' || (typeof body === 'string' && body.trim() === '')) return done(null, undefined);
    return json(request, body as string, done);
  });

  app.addHook('onRequest', async (request) => {
    // 1. Host
    if (o.hosts && !hostAllowed(request.headers.host, o.hosts, request.raw.socket?.localPort)) {
      throw edgeError(ErrorCode.MISDIRECTED_REQUEST, 'This server does not answer to that host name');
    }
    const config = request.routeOptions.config ?? {};

    // 2. Content type and origin of state-changing requests
    if (STATE_CHANGING.has(request.method)) {
      const type = mediaType(request);
      if (request.method === 'POST' || type !== undefined || hasBody(request)) {
        const accepted = config.mediaTypes ?? JSON_MEDIA_TYPES;
        if (!type || !accepted.includes(type)) {
          throw edgeError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, `Content-Type must be ${accepted.join(' or ')}`);
        }
      }
      const origin = request.headers.origin;
      if (origin !== undefined && origin !== `${request.protocol}://${request.headers.host}`) {
        throw edgeError(ErrorCode.FOREIGN_ORIGIN, 'Requests from another origin are refused');
      }
    }

    // 3. Authentication
    if (config.public) return;
    const token = bearerToken(request);
    const fromCertificate = certificateOrganisation(request);
    let caller: Caller | undefined;
    if (token !== undefined) {
      const org = await o.verifyToken(token);
      if (fromCertificate !== undefined && fromCertificate !== org) {
        throw edgeError(ErrorCode.AUTHENTICATION_ERROR, 'The client certificate and the token name different organisations');
      }
      caller = { organisationIdentification: org, via: 'token' };
    } else if (fromCertificate !== undefined) {
      caller = { organisationIdentification: fromCertificate, via: 'certificate' };
    }
    if (caller) {
      request.caller = caller;
      return;
    }
    if (config.session) return; // the console looks for its session cookie
    // Unknown paths answer 404 whoever asks; that discloses nothing.
    if (request.is404) return;
    throw edgeError(ErrorCode.AUTHENTICATION_REQUIRED, 'Authentication required: a client certificate from the platform CA or an API token (Authorization: Bearer)');
  });
}
