/**
 * `meterfabric serve`: the platform in one process — REST admin API, SOAP interface and, unless --no-workers,
 * the request workers. The embedded database (PGlite) lives in --data; DATABASE_URL (PostgreSQL) replaces it.
 */
import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { existsSync } from 'node:fs';
import { openDb, migrate, type Db } from '../../platform/db/db.ts';
import { Platform, type PlatformOptions } from '../../platform/platform.ts';
import { PlatformCa } from '../../platform/ca.ts';
import { buildServer } from '../../api/server.ts';

export interface RuntimeOptions {
  data?: string;
  concurrency?: number;
}

/** Opens (and migrates) the database named by DATABASE_URL, else the embedded one in dataDir. */
export async function openRuntimeDb(dataDir: string): Promise<{ db: Db; where: string }> {
  const url = process.env.DATABASE_URL;
  const db = url ? await openDb({ url }) : await openDb({ dataDir });
  await migrate(db);
  return { db, where: url ? 'PostgreSQL (DATABASE_URL)' : `embedded database in ${dataDir}` };
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
  if (maxOpen !== undefined || perSecond !== undefined) o.throttle = { ...(maxOpen !== undefined ? { maxOpen } : {}), ...(perSecond !== undefined ? { newPerSecond: perSecond } : {}) };
  if (env.METERFABRIC_NOTIFICATION_RESEND_MS) o.notifications = { resendOffsetsMs: env.METERFABRIC_NOTIFICATION_RESEND_MS.split(',').map(Number) };
  return o;
}

/** Registers the command executors of src/adapters when that module provides `registerExecutors(platform)`. */
export async function registerAdapters(platform: Platform): Promise<string[]> {
  const index = resolve(import.meta.dirname, '../../adapters/index.ts');
  if (!existsSync(index)) return [];
  const mod = (await import(pathToFileURL(index).href)) as { registerExecutors?: (p: Platform) => unknown };
  await mod.registerExecutors?.(platform);
  return platform.executors.list();
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('run the platform: REST admin API, GXF SOAP interface and (by default) the request workers')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'TCP port', (v) => Number(v), 8080)
    .option('--data <dir>', 'folder of the embedded database and the platform CA (DATABASE_URL replaces the database)', './data')
    .option('--no-workers', 'only the APIs; run `meterfabric worker` processes for the requests')
    .option('--tls', 'serve HTTPS with mutual TLS: callers need a certificate from the platform CA (`meterfabric org cert`)')
    .action(async (o: { host: string; port: number; data: string; workers: boolean; tls?: boolean }) => {
      const dataDir = resolve(o.data);
      const { db, where } = await openRuntimeDb(dataDir);
      const platform = await Platform.start({ db, workers: o.workers, ...platformOptionsFromEnv() });
      const executors = await registerAdapters(platform);
      const ca = await PlatformCa.open(join(dataDir, 'pki'));
      const tls = o.tls ? await ca.serverTls(['localhost', o.host]) : undefined;
      const app = await buildServer({ platform, ca, ...(tls ? { tls } : {}) });
      await app.listen({ host: o.host, port: o.port });
      const scheme = tls ? 'https' : 'http';
      console.log(`meterfabric listening on ${scheme}://${o.host}:${o.port} (${where}; workers ${o.workers ? 'on' : 'off'})`);
      console.log(`executors: ${executors.length ? executors.join(', ') : 'none registered'}`);
      if (!tls) {
        console.log('embedded default: callers are not authenticated by certificate. Loopback callers may name their organisation');
        console.log('(SOAP OrganisationIdentification header, REST X-Organisation-Identification) and a loopback caller without one');
        console.log('is the built-in ADMIN organisation OSGP. Use --tls for mutual TLS in production.');
      } else {
        console.log(`mutual TLS: client certificates must chain to ${ca.caCertPath} and carry CN = OrganisationIdentification`);
      }
      await untilSignal();
      await app.close();
      await platform.stop();
      await db.close();
    });
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
