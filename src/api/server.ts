/**
 * The one HTTP server: REST admin API, GXF SOAP interface, and the REST operation API when that module is present.
 * Errors reaching the REST routes are mapped once, here, to JSON problems; the SOAP plugin renders its own faults.
 */
import Fastify, { type FastifyInstance, type FastifyError } from 'fastify';
import { ErrorCode, isMeterfabricError, type MeterfabricError } from '../errors.ts';
import { errorBody } from './problems.ts';
import type { Platform } from '../platform/platform.ts';
import type { PlatformCa, TlsMaterial } from '../platform/ca.ts';
import { soapPlugin } from './soap/plugin.ts';
import { adminRoutes, ADMIN_PREFIX } from './rest/admin.ts';
import type { PlainHttpTrust } from './rest/caller.ts';

export interface ServerOptions {
  platform: Platform;
  /** Serve HTTPS and ask for client certificates that chain to tls.ca (mutual TLS). */
  tls?: TlsMaterial;
  /** Lets the admin API issue organisation certificates. */
  ca?: PlatformCa;
  /** On plain HTTP, from where a named organisation is believed (default loopback). */
  plainHttp?: PlainHttpTrust;
  /** The organisation a trusted loopback caller without header acts as (default OSGP, the built-in ADMIN). */
  adminOrganisation?: string;
  /** Public base URL written into served WSDLs. */
  baseUrl?: string;
  /** More ADMIN-only routes under /api/v1/admin (key status and audit from the secret store). */
  adminExtraRoutes?: (app: FastifyInstance) => void | Promise<void>;
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
  const callerPolicy = { plainHttp: o.tls ? ('none' as const) : (o.plainHttp ?? 'loopback') };

  app.get('/health', async () => ({ status: 'ok', workers: o.platform.workersRunning }));

  await app.register(async (scope) => {
    scope.setErrorHandler((error: FastifyError | MeterfabricError, _request, reply) => {
      if (isMeterfabricError(error)) {
        const p = errorBody(error);
        return reply.code(p.status).type('application/json').send(p);
      }
      const status = (error as FastifyError).statusCode ?? 500;
      if (status < 500) {
        return reply.code(status).send({ status, code: ErrorCode.VALIDATION_ERROR, codeName: 'VALIDATION_ERROR', component: 'SHARED', message: error.message });
      }
      o.platform.log.error({ err: error }, 'unexpected error in REST route');
      return reply.code(500).send({ status: 500, code: ErrorCode.INTERNAL_ERROR, codeName: 'INTERNAL_ERROR', component: 'SHARED', message: 'Internal error' });
    });
    await scope.register(adminRoutes, {
      prefix: ADMIN_PREFIX, platform: o.platform, mutualTls: Boolean(o.tls), plainHttp: callerPolicy.plainHttp,
      ...(o.ca ? { ca: o.ca } : {}), ...(o.adminOrganisation ? { adminOrganisation: o.adminOrganisation } : {}),
      ...(o.adminExtraRoutes ? { extraRoutes: o.adminExtraRoutes } : {}),
    });
    const { restOperationsPlugin } = await import('./rest/operations.ts');
    await scope.register(restOperationsPlugin, { platform: o.platform, callerPolicy });
  });

  await app.register(soapPlugin, { platform: o.platform, callerPolicy, ...(o.baseUrl ? { baseUrl: o.baseUrl } : {}) });
  return app;
}
