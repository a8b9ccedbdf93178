/**
 * The one HTTP server: REST admin API, GXF SOAP interface, and the REST operation API when that module is present.
 * Every request passes the security hook first (src/api/security.ts: Host, content type, Origin, authentication).
 * Errors reaching the REST routes are mapped once, here, to JSON problems; the SOAP plugin renders its own faults.
 */
import Fastify, { type FastifyInstance, type FastifyError } from 'fastify';
import type { MeterfabricError } from '../errors.ts';
import { errorAnswer } from './problems.ts';
import type { Platform } from '../platform/platform.ts';
import type { PlatformCa, TlsMaterial } from '../platform/ca.ts';
import { soapPlugin } from './soap/plugin.ts';
import { adminSoapPlugin } from './soap/admin.ts';
import { adminRoutes, ADMIN_PREFIX } from './rest/admin.ts';
import { defaultHosts, installSecurity } from './security.ts';
import { organisationOfToken } from '../platform/tokens.ts';

export interface ServerOptions {
  platform: Platform;
  /** Serve HTTPS and ask for client certificates that chain to tls.ca (mutual TLS). */
  tls?: TlsMaterial;
  /** Lets the admin API issue organisation certificates. */
  ca?: PlatformCa;
  /** The address the server listens on; with localhost, 127.0.0.1 and [::1] the host names it answers to. */
  listenHost?: string;
  /** More host names (optionally name:port) the server answers to, e.g. its public DNS name (`--public-host`). */
  publicHosts?: readonly string[];
  /** Public base URL written into served WSDLs. */
  baseUrl?: string;
  /** More ADMIN-only routes under /api/v1/admin (key status and audit from the secret store). */
  adminExtraRoutes?: (app: FastifyInstance) => void | Promise<void>;
  /** OpenAPI paths of REST routes registered outside this server's REST scope (the fleet view and bulk jobs). */
  openApiPaths?: () => Record<string, Record<string, unknown>>;
  logger?: boolean;
}

/** The status mapping and error body live in problems.ts, shared with the REST operation API; kept exported here for the console. */
export { statusOf as httpStatus, errorBody as problem } from './problems.ts';

export async function buildServer(o: ServerOptions): Promise<FastifyInstance> {
  const app = (o.tls
    ? Fastify({
        logger: o.logger ?? false,
        // Certificates are requested but checked per route, so a caller without one gets a JSON 401, not a reset.
        https: { key: o.tls.key, cert: o.tls.cert, ca: o.tls.ca, requestCert: true, rejectUnauthorized: false },
      })
    : Fastify({ logger: o.logger ?? false })) as unknown as FastifyInstance;
  installSecurity(app, {
    verifyToken: (token) => organisationOfToken(o.platform.db, token),
    hosts: defaultHosts(o.listenHost, o.publicHosts),
  });
  // Routes outside the REST and SOAP scopes (health, metrics, 404s, refusals of the security hook).
  app.setErrorHandler((error: FastifyError | MeterfabricError, _request, reply) => {
    const p = errorAnswer(error, (e) => o.platform.log.error({ err: e }, 'unexpected error in HTTP route'));
    return reply.code(p.status).type('application/json').send(p);
  });

  app.get('/health', { config: { public: true } }, async () => ({ status: 'ok', workers: o.platform.workersRunning }));

  await app.register(async (scope) => {
    scope.setErrorHandler((error: FastifyError | MeterfabricError, _request, reply) => {
      const p = errorAnswer(error, (e) => o.platform.log.error({ err: e }, 'unexpected error in REST route'));
      return reply.code(p.status).type('application/json').send(p);
    });
    await scope.register(adminRoutes, {
      prefix: ADMIN_PREFIX, platform: o.platform,
      ...(o.ca ? { ca: o.ca } : {}),
      ...(o.adminExtraRoutes ? { extraRoutes: o.adminExtraRoutes } : {}),
    });
    const { restOperationsPlugin } = await import('./rest/operations.ts');
    await scope.register(restOperationsPlugin, { platform: o.platform, ...(o.openApiPaths ? { extraPaths: o.openApiPaths } : {}) });
  });

  await app.register(soapPlugin, { platform: o.platform, ...(o.baseUrl ? { baseUrl: o.baseUrl } : {}) });
  // GXF's Admin web service (docs/gxf-admin.md).
  await app.register(adminSoapPlugin, { db: o.platform.db, ...(o.baseUrl ? { baseUrl: o.baseUrl } : {}) });
  return app;
}
