/**
 * `meterfabric serve`: the platform in one process — REST admin API, SOAP interface and, unless --no-workers,
 * the request workers. The embedded database (PGlite) lives in --data; DATABASE_URL (PostgreSQL) replaces it.
 */
import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import type { PlatformOptions } from '../../platform/platform.ts';
import { THROTTLE_MODES, type ThrottleMode, type ThrottleOptions } from '../../platform/throttle.ts';
import { ErrorCode, MeterfabricError } from '../../errors.ts';

export interface RuntimeOptions {
  data?: string;
  concurrency?: number;
}

/** Platform tuning from the environment (README "Configuration"). */
export function platformOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): Omit<PlatformOptions, 'db'> {
  const num = (name: string) => (env[name] !== undefined && env[name] !== '' ? Number(env[name]) : undefined);
  const o: Omit<PlatformOptions, 'db'> = {};
  const set = <K extends keyof typeof o>(k: K, v: (typeof o)[K] | undefined) => {
    if (v !== undefined && !(typeof v === 'number' && Number.isNaN(v))) o[k] = v;
  };
  set('concurrency', num('METERFABRIC_CONCURRENCY'));
  set('jobExpireSeconds', num('METERFABRIC_JOB_EXPIRE_SECONDS'));
  set('pollingIntervalSeconds', num('METERFABRIC_POLL_SECONDS'));
  set('maintenanceIntervalSeconds', num('METERFABRIC_MAINTENANCE_SECONDS'));
  const retries = num('METERFABRIC_RETRIES');
  const retryDelay = num('METERFABRIC_RETRY_DELAY_MS');
  if (retries !== undefined || retryDelay !== undefined) o.retry = { ...(retries !== undefined ? { maxRetries: retries } : {}), ...(retryDelay !== undefined ? { baseDelayMs: retryDelay } : {}) };
  const maxOpen = num('METERFABRIC_MAX_OPEN_CONNECTIONS');
  const perSecond = num('METERFABRIC_NEW_CONNECTIONS_PER_SECOND');
  const mode = env.METERFABRIC_THROTTLE_MODE || undefined;
  if (mode !== undefined && !THROTTLE_MODES.includes(mode as ThrottleMode)) {
    throw new MeterfabricError(ErrorCode.CONFIGURATION_ERROR, `METERFABRIC_THROTTLE_MODE must be one of ${THROTTLE_MODES.join(', ')}`, { component: 'SHARED' });
  }
  const throttle: ThrottleOptions = { ...(mode !== undefined ? { mode: mode as ThrottleMode } : {}), ...(maxOpen !== undefined ? { maxOpen } : {}), ...(perSecond !== undefined ? { newPerSecond: perSecond } : {}) };
  if (Object.keys(throttle).length > 0) o.throttle = throttle;
  if (env.METERFABRIC_NOTIFICATION_RESEND_MS) o.notifications = { resendOffsetsMs: env.METERFABRIC_NOTIFICATION_RESEND_MS.split(',').map(Number) };
  return o;
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Adds --log-file and --log-level (serve and worker). */
export function withLogOptions(command: Command): Command {
  return command
    .option('--log-file <path>', 'append the JSON log lines to this file instead of standard output')
    .option('--log-level <level>', `log level: ${LOG_LEVELS.join(', ')} (default METERFABRIC_LOG_LEVEL or info)`);
}

/** Applies --log-file and --log-level before anything logs, so every component logger follows them. */
export async function applyLogOptions(o: { logFile?: string; logLevel?: string }): Promise<void> {
  const { logFileDestination, setRootLogDestination, setRootLogLevel } = await import('../../observability/logger.ts');
  if (o.logLevel !== undefined) {
    if (!LOG_LEVELS.includes(o.logLevel)) {
      throw new MeterfabricError(ErrorCode.CONFIGURATION_ERROR, `--log-level must be one of ${LOG_LEVELS.join(', ')}`, { component: 'SHARED' });
    }
    setRootLogLevel(o.logLevel);
  }
  if (o.logFile) setRootLogDestination(logFileDestination(resolve(o.logFile)));
}

export function register(program: Command): void {
  withLogOptions(program
    .command('serve'))
    .description('run the platform: REST admin API, GXF SOAP interface, DLMS push listener and (by default) the request workers')
    .option('--host <host>', 'address the HTTP APIs listen on', '127.0.0.1')
    .option('--port <port>', 'TCP port', (v) => Number(v), 8080)
    .option('--public-host <name>', 'another host name (or name:port) clients use to reach the APIs; repeatable (METERFABRIC_PUBLIC_HOSTS, comma-separated)', collect, [])
    .option('--push-port <port>', 'DLMS push listener port, TCP and UDP (0 = none)', (v) => Number(v), 9598)
    .option('--push-host <host>', 'address the DLMS push listener binds (TCP and UDP)', '127.0.0.1')
    .option('--data <dir>', 'folder of the embedded database, the KEK file and the platform CA (DATABASE_URL replaces the database)', './data')
    .option('--no-workers', 'only the APIs; run `meterfabric worker` processes for the requests')
    .option('--tls', 'serve HTTPS with mutual TLS: callers need a certificate from the platform CA (`meterfabric org cert`)')
    .action(async (o: { host: string; port: number; publicHost: string[]; pushPort: number; pushHost: string; data: string; workers: boolean; tls?: boolean; logFile?: string; logLevel?: string }) => {
      await applyLogOptions(o);
      const { startHeadend } = await import('../../runtime/headend.ts');
      const h = await startHeadend({
        dataDir: resolve(o.data),
        databaseUrl: process.env.DATABASE_URL || undefined,
        http: { host: o.host, port: o.port, tls: Boolean(o.tls), publicHosts: publicHosts(o.publicHost) },
        push: o.pushPort ? { host: o.pushHost, port: o.pushPort } : false,
        workers: o.workers,
        platform: platformOptionsFromEnv(),
      });
      console.log(`meterfabric listening on ${h.url} (${h.where}; workers ${o.workers ? 'on' : 'off'})`);
      if (h.push) console.log(`DLMS push listener on tcp+udp ${o.pushHost}:${o.pushPort}`);
      console.log(`executors: ${h.platform.executors.list().join(', ')}`);
      console.log(`admin token (built-in ADMIN organisation OSGP) ${h.adminTokenCreated ? 'written to' : 'in'} ${h.adminTokenPath} (mode 0600); admin commands read it from --data`);
      console.log('every API call needs credentials: `Authorization: Bearer <token>` (meterfabric org token ORG) or a client certificate');
      if (o.tls) console.log(`mutual TLS: client certificates must chain to the platform CA in ${join(resolve(o.data), 'pki')} and carry exactly one CN = the organisation`);
      await untilSignal();
      await h.stop();
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** --public-host values plus METERFABRIC_PUBLIC_HOSTS (comma-separated). */
export function publicHosts(fromOptions: string[] = [], env: NodeJS.ProcessEnv = process.env): string[] {
  const fromEnv = (env.METERFABRIC_PUBLIC_HOSTS ?? '').split(',').map((h) => h.trim()).filter(Boolean);
  return [...fromOptions, ...fromEnv];
}

/** Resolves on SIGINT or SIGTERM. */
export function untilSignal(): Promise<void> {
  return new Promise((res) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      res();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}
