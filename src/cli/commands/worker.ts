/**
 * `meterfabric worker`: one more request-worker process on the shared PostgreSQL database (DATABASE_URL). Any
 * number of them may run on any number of machines; pg-boss hands each job to one of them.
 */
import type { Command } from 'commander';
import { Platform } from '../../platform/platform.ts';
import { MeterfabricError, ErrorCode } from '../../errors.ts';
import { openRuntimeDb, platformOptionsFromEnv, registerAdapters, untilSignal } from './serve.ts';

export function register(program: Command): void {
  program
    .command('worker')
    .description('run request workers against the shared PostgreSQL database named by DATABASE_URL')
    .option('--concurrency <n>', 'parallel executions in this process', (v) => Number(v))
    .action(async (o: { concurrency?: number }) => {
      if (!process.env.DATABASE_URL) {
        // PGlite keeps its data in one process; extra workers need a database server to share.
        throw new MeterfabricError(ErrorCode.CONFIGURATION_ERROR, 'meterfabric worker needs DATABASE_URL (PostgreSQL); the embedded database serves one process, use `meterfabric serve`', { component: 'SHARED' });
      }
      const { db, where } = await openRuntimeDb('');
      const platform = await Platform.start({ db, workers: true, ...platformOptionsFromEnv(), ...(o.concurrency ? { concurrency: o.concurrency } : {}) });
      const executors = await registerAdapters(platform);
      console.log(`meterfabric worker running on ${where}; executors: ${executors.length ? executors.join(', ') : 'none registered'}`);
      await untilSignal();
      await platform.stop();
      await db.close();
    });
}
