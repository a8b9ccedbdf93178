/**
 * `meterfabric worker`: one more request-worker process on the shared PostgreSQL database (DATABASE_URL). Any
 * number of them may run on any number of machines; the queue leases each job to one of them (src/platform/queue.ts).
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { MeterfabricError, ErrorCode } from '../../errors.ts';
import { applyLogOptions, platformOptionsFromEnv, untilSignal, withLogOptions } from './serve.ts';

export function register(program: Command): void {
  withLogOptions(program
    .command('worker'))
    .description('run request workers against the shared PostgreSQL database named by DATABASE_URL')
    .option('--concurrency <n>', 'parallel executions in this process', (v) => Number(v))
    .option('--data <dir>', 'folder holding the KEK file (secret-kek.hex) unless METERFABRIC_KEK or PKCS#11 is configured', './data')
    .action(async (o: { concurrency?: number; data: string; logFile?: string; logLevel?: string }) => {
      await applyLogOptions(o);
      if (!process.env.DATABASE_URL) {
        // PGlite keeps its data in one process; extra workers need a database server to share.
        throw new MeterfabricError(ErrorCode.CONFIGURATION_ERROR, 'meterfabric worker needs DATABASE_URL (PostgreSQL); the embedded database serves one process, use `meterfabric serve`', { component: 'SHARED' });
      }
      const options = platformOptionsFromEnv();
      const { startHeadend } = await import('../../runtime/headend.ts');
      const h = await startHeadend({
        dataDir: resolve(o.data),
        databaseUrl: process.env.DATABASE_URL,
        http: false,
        push: false,
        workers: true,
        platform: { ...options, ...(o.concurrency ? { concurrency: o.concurrency } : {}) },
      });
      console.log(`meterfabric worker running on ${h.where}; executors: ${h.platform.executors.list().join(', ')}`);
      await untilSignal();
      await h.stop();
    });
}
