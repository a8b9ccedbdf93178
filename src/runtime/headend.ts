/**
 * The assembled head-end process: database, secret store (with its KEK provider), the platform's client key
 * pair, the request platform with every executor, the HTTP APIs, and the push listener. `meterfabric serve`,
 * `meterfabric worker` and `meterfabric demo` start it; the end-to-end tests start it too.
 */
import { join, resolve } from 'node:path';
import { accessSync, constants, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { createServer as createNetServer } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { openDb, migrate, type Db } from '../platform/db/db.ts';
import { EmbeddedUpkeep } from '../platform/db/upkeep.ts';
import { Platform, type PlatformOptions } from '../platform/platform.ts';
import { openConnectionThrottle } from '../platform/permits.ts';
import { pingDatabase } from '../platform/health.ts';
import { retentionPolicyFromEnv } from '../platform/retention.ts';
import { SECRET_RETENTION_STEPS } from '../secrets/retention.ts';
import { PlatformCa } from '../platform/ca.ts';
import { buildServer } from '../api/server.ts';
import { keyAdminRoutes } from '../api/rest/keys.ts';
import { consoleAdminRoutes } from '../console/admin.ts';
import { fleetOpenApiPaths } from '../console/fleet.ts';
import { API_PREFIX } from '../api/rest/schemas.ts';
import { requestAdminRoutes } from '../api/rest/admin-requests.ts';
import { SecretStore } from '../secrets/store.ts';
import { openDefaultKek, SoftwareKekProvider, KEK_FILE_NAME, type KekProvider } from '../secrets/kek.ts';
import { ErrorCode, MeterfabricError, isMeterfabricError } from '../errors.ts';
import { Pkcs11KekProvider } from '../secrets/pkcs11-kek.ts';
import { ClientKeyPair } from '../secrets/client-keys.ts';
import type { LinkOptions } from '../adapters/bindings.ts';
import { registerExecutors } from '../operations/executors.ts';
import { PushAlarmService, pushDecipher } from '../adapters/push-alarms.ts';
import { PushListener } from '../push/listener.ts';
import { registry, enableDefaultMetrics } from '../observability/metrics.ts';
import { installRequestMetrics } from './request-metrics.ts';
import { startTracing, traceHttp } from '../observability/tracing.ts';
import { logger } from '../observability/logger.ts';
import { ensureTokenFile } from '../platform/tokens.ts';

/** File in the data folder holding the built-in ADMIN organisation's API token (mode 0600). */
export const ADMIN_TOKEN_FILE = 'admin.token';
/** The built-in ADMIN organisation (created by the first migration). */
export const ADMIN_ORGANISATION = 'OSGP';

export interface HeadendOptions {
  /** Folder of the embedded database, the KEK file and the platform CA. */
  dataDir: string;
  /** PostgreSQL server; replaces the embedded database. */
  databaseUrl?: string;
  /** An already open database (tests). */
  db?: Db;
  /**
   * HTTP listener; false = no HTTP (a pure worker). publicHosts: more host names (optionally name:port) the server
   * answers to besides the listen address, localhost, 127.0.0.1 and [::1].
   */
  http?: { host: string; port: number; tls?: boolean; publicHosts?: readonly string[] } | false;
  /** DLMS push listener (TCP and UDP, on host, default 127.0.0.1); false = none. */
  push?: { host?: string; port: number } | false;
  workers?: boolean;
  platform?: Omit<PlatformOptions, 'db' | 'workers'>;
  link?: LinkOptions;
  /** KEK provider; default: METERFABRIC_PKCS11_* when set, else METERFABRIC_KEK, else the KEK file in dataDir. */
  kek?: KekProvider;
  /** RSA modulus of a newly created client key pair (default 2048). */
  clientKeyBits?: number;
}

export interface RunningHeadend {
  db: Db;
  platform: Platform;
  secrets: SecretStore;
  clientKeys: ClientKeyPair;
  app?: FastifyInstance;
  push?: PushListener;
  alarms: PushAlarmService;
  /** Base URL of the HTTP listener. */
  url?: string;
  /** DATA/admin.token: the built-in ADMIN organisation's API token (made with the HTTP listener on first start). */
  adminTokenPath?: string;
  /** Whether this start wrote admin.token (first start, or its token had been revoked). */
  adminTokenCreated?: boolean;
  where: string;
  stop(): Promise<void>;
}

/** GET /api/v1/: where the documentation and the interfaces are (public: it names only documented paths). */
export const API_INDEX = {
  name: 'meterfabric',
  openapi: '/openapi.json',
  rest: { operations: '/api/v1/devices/{deviceIdentification}/…', responses: '/api/v1/responses/{correlationUid}', admin: '/api/v1/admin/' },
  soap: '/osgp-adapter-ws-smartmetering/smartMetering/{service}/?wsdl',
  soapAdmin: '/osgp-adapter-ws-admin/admin/deviceManagementService/?wsdl',
  console: '/console/',
  health: '/health',
  metrics: '/metrics',
} as const;

/** KEK provider from the environment (README "Configuration"). */
export async function kekFromEnvironment(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<KekProvider> {
  if (env.METERFABRIC_PKCS11_LIBRARY) {
    return Pkcs11KekProvider.open({
      library: env.METERFABRIC_PKCS11_LIBRARY,
      token: env.METERFABRIC_PKCS11_TOKEN ?? 'meterfabric',
      pin: env.METERFABRIC_PKCS11_PIN ?? '',
      keyLabel: env.METERFABRIC_PKCS11_KEY_LABEL ?? 'meterfabric-kek',
    });
  }
  return openDefaultKek({ dataDir, env });
}

/**
 * Creates the data folder (mode 0700) or checks that it is a writable folder, failing at once with a clear error.
 * The folders are made one by one: Node's recursive mkdir never returns on some paths (e.g. under /proc).
 */
export function prepareDataDir(dir: string): string {
  const dataDir = resolve(dir);
  const fail = (why: string) => new MeterfabricError(ErrorCode.CONFIGURATION_ERROR, `cannot use ${dataDir} as the data folder (--data): ${why}`, { component: 'SHARED' });
  const missing: string[] = [];
  let d = dataDir;
  while (!existsSync(d) && dirname(d) !== d) {
    missing.unshift(d);
    d = dirname(d);
  }
  if (!statSync(d).isDirectory()) throw fail(`${d} is not a folder`);
  for (const m of missing) {
    try {
      mkdirSync(m, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fail(`cannot create ${m} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
  }
  if (!statSync(dataDir).isDirectory()) throw fail('it is not a folder');
  try {
    accessSync(dataDir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (e) {
    throw fail(`not writable (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return dataDir;
}

/**
 * Opens the secret store. When the database refuses this process's KEK (it belongs to another one), the error
 * says where this KEK came from and how processes share one; a KEK file this start created is removed again, so a
 * refused start leaves nothing behind.
 */
async function openSecretStore(db: Db, kek: KekProvider): Promise<SecretStore> {
  try {
    return await SecretStore.open(db, kek);
  } catch (e) {
    const file = kek instanceof SoftwareKekProvider ? kek.source : undefined;
    if (file?.created) rmSync(file.path, { force: true });
    if (!isMeterfabricError(e) || e.code !== ErrorCode.KEK_UNAVAILABLE) throw e;
    const source = file
      ? `This process's KEK is the file ${file.path}${file.created ? ' (a new random KEK, created by this start and removed again)' : ''}`
      : kek.kind === 'pkcs11' ? "This process's KEK is in the PKCS#11 token (METERFABRIC_PKCS11_*)" : "This process's KEK is METERFABRIC_KEK";
    throw new MeterfabricError(
      ErrorCode.KEK_UNAVAILABLE,
      `${e.message}. ${source}. Every process on one database needs the same KEK: start it with the same --data folder as the first process, or set METERFABRIC_KEK to the 64 hex digits of that folder's ${KEK_FILE_NAME} on every process (or use the same PKCS#11 token)`,
      { component: 'SECRET_MANAGEMENT', cause: e },
    );
  }
}

/** Fails with the listener's own EADDRINUSE error when a fixed TCP port is taken, before anything is created. */
async function checkPortFree(host: string, port: number): Promise<void> {
  if (!port) return;
  await new Promise<void>((resolvePromise, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolvePromise()));
  });
}

export async function startHeadend(o: HeadendOptions): Promise<RunningHeadend> {
  // A taken port refuses the start before a database, a KEK or a CA is created for it.
  if (o.http) await checkPortFree(o.http.host, o.http.port);
  if (o.push) await checkPortFree(o.push.host ?? '0.0.0.0', o.push.port);
  const dataDir = prepareDataDir(o.dataDir);
  const ownDb = !o.db;
  const db = o.db ?? (o.databaseUrl ? await openDb({ url: o.databaseUrl }) : await openDb({ dataDir: join(dataDir, 'db') }));
  const where = o.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : o.db ? `${db.engine} database` : `embedded database in ${join(dataDir, 'db')}`;
  const stops: (() => Promise<unknown>)[] = [];
  try {
    await migrate(db);
    // The embedded database has no autovacuum: the head-end keeps its statistics and dead rows (src/platform/db/upkeep.ts).
    if (db.engine === 'pglite') {
      const upkeep = new EmbeddedUpkeep(db);
      upkeep.start();
      stops.push(() => upkeep.stop());
    }
    const secrets = await openSecretStore(db, o.kek ?? (await kekFromEnvironment(dataDir)));
    const clientKeys = await ClientKeyPair.open(secrets, { modulusLength: o.clientKeyBits ?? 2048 });
    // Mode shared: permits counted across every process on the database (closed after the platform stops).
    const throttle = openConnectionThrottle(db, o.platform?.throttle);
    if (throttle) stops.push(() => throttle.close());
    // Retention (README "Configuration"): the platform's rows and the secret store's, periods from the environment.
    const retention = { policy: { ...retentionPolicyFromEnv(), ...o.platform?.retention?.policy }, steps: [...SECRET_RETENTION_STEPS, ...(o.platform?.retention?.steps ?? [])] };
    const platform = await Platform.start({ db, workers: o.workers ?? true, ...o.platform, retention });
    stops.push(() => platform.stop());
    await registerExecutors(platform, { secrets, clientKeys, link: o.link, ...(throttle ? { throttle } : {}) });
    const alarms = new PushAlarmService(platform);
    enableDefaultMetrics();
    installRequestMetrics(db);
    await startTracing();

    let app: FastifyInstance | undefined;
    let url: string | undefined;
    let adminTokenPath: string | undefined;
    let adminTokenCreated: boolean | undefined;
    if (o.http) {
      // The built-in ADMIN organisation's token lives in the data folder: who can read that folder administers.
      adminTokenPath = join(dataDir, ADMIN_TOKEN_FILE);
      adminTokenCreated = (await ensureTokenFile(db, adminTokenPath, ADMIN_ORGANISATION, 'serve: admin.token')).created;
      logger('runtime').info({ path: adminTokenPath, created: adminTokenCreated }, 'admin token of the built-in ADMIN organisation');
      const ca = await PlatformCa.open(join(dataDir, 'pki'));
      const tls = o.http.tls ? await ca.serverTls(['localhost', o.http.host]) : undefined;
      app = await buildServer({ platform, ca, listenHost: o.http.host, publicHosts: o.http.publicHosts ?? [], adminExtraRoutes: (a) => {
          keyAdminRoutes(secrets, clientKeys)(a);
          consoleAdminRoutes(db)(a);
          requestAdminRoutes(platform)(a);
        }, openApiPaths: () => fleetOpenApiPaths(API_PREFIX), ...(tls ? { tls } : {}) });
      await app.register((await import('../console/plugin.ts')).consolePlugin, { platform, secrets });
      traceHttp(app);
      // A newcomer's first clicks, public because they disclose nothing: the root leads to the console, the REST
      // base names what is there.
      app.get('/', { config: { public: true } }, async (_req, reply) => reply.redirect('/console/'));
      app.get('/api/v1/', { config: { public: true } }, async () => API_INDEX);
      // Public, as a public key is: GXF clients encrypt the keys they send in AddDevice to it.
      app.get('/api/v1/platform/public-key', { config: { public: true } }, async (_req, reply) => reply.type('application/x-pem-file').send(clientKeys.publicKeyPem()));
      // Public: counts and gauges only, no organisation or device names (README "Security model").
      app.get('/metrics', { config: { public: true } }, async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
      // Readiness: the database answers (liveness is /health, which needs nothing).
      app.get('/ready', { config: { public: true } }, async (_req, reply) => {
        try {
          await pingDatabase(db);
          return { ready: true };
        } catch {
          return reply.code(503).send({ ready: false, reason: 'database unavailable' });
        }
      });
      await app.listen({ host: o.http.host, port: o.http.port });
      const address = app.server.address();
      const port = address && typeof address === 'object' ? address.port : o.http.port;
      url = `${tls ? 'https' : 'http'}://${o.http.host}:${port}`;
      stops.push(() => app!.close());
    }

    let push: PushListener | undefined;
    if (o.push) {
      const log = logger('push');
      push = new PushListener({
        host: o.push.host ?? '127.0.0.1',
        port: o.push.port,
        decipher: pushDecipher(db, secrets),
        onPush: async (p, source) => {
          await alarms.received(p, source).catch((e) => log.warn({ err: e }, 'push could not be handled'));
        },
        onError: (e, raw, source) => {
          log.info({ source: source.address, err: e.message }, 'push rejected');
          void alarms.rejected(e, raw, source).catch(() => undefined);
        },
      });
      await push.start();
      stops.push(() => push!.stop());
    }

    return {
      db, platform, secrets, clientKeys, app, push, alarms, url, where,
      ...(adminTokenPath ? { adminTokenPath, adminTokenCreated: Boolean(adminTokenCreated) } : {}),
      async stop() {
        for (const s of stops.reverse()) await s().catch(() => undefined);
        if (ownDb) await db.close();
      },
    };
  } catch (e) {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    if (ownDb) await db.close().catch(() => undefined);
    throw e;
  }
}
