/**
 * The durable job queue: pg-boss 10 on the platform's own database (STACK-NOTES §1). On PGlite pg-boss talks to
 * the in-process engine through an executeSql adapter (statements without parameters go to exec(), which accepts
 * several statements); on PostgreSQL it shares the pg pool. `inTx(q)` lets a send join a business transaction, so
 * that writing a request and enqueueing it commit or roll back together.
 */
import PgBoss from 'pg-boss';
import type { Db, Queryable } from './db/db.ts';
import { ErrorCode, MeterfabricError } from '../errors.ts';

export const REQUEST_QUEUE = 'meterfabric.request';
export const DEAD_LETTER_QUEUE = 'meterfabric.request.dead';

interface PgliteLike {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[]; affectedRows?: number }>;
  exec(sql: string): Promise<Array<{ rows: unknown[]; affectedRows?: number }>>;
}
interface PoolLike {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

export function bossDbAdapter(db: Db): PgBoss.Db {
  if (db.engine === 'pglite') {
    const pglite = (db as unknown as { pglite: PgliteLike }).pglite;
    return {
      async executeSql(text: string, values: unknown[]) {
        if (values && values.length) return pglite.query(text, values);
        const results = await pglite.exec(text);
        return results[results.length - 1] ?? { rows: [] };
      },
    };
  }
  const pool = (db as unknown as { pool: PoolLike }).pool;
  return {
    async executeSql(text: string, values: unknown[]) {
      const r = await pool.query(text, values && values.length ? values : undefined);
      return Array.isArray(r) ? (r[r.length - 1] ?? { rows: [] }) : r;
    },
  };
}

/** A pg-boss Db that runs on a transaction's connection. */
export function inTx(q: Queryable): PgBoss.Db {
  return { executeSql: (text: string, values: unknown[]) => q.query(text, values) };
}

export interface QueueOptions {
  /** Run expiry/maintenance in this process (workers do; an API-only process need not). */
  supervise: boolean;
  maintenanceIntervalSeconds: number;
  /** How long a job may stay active before it counts as crashed and is retried (pg-boss expireIn). */
  expireInSeconds: number;
  /** Re-deliveries after a crash or an unexpected handler error before the job is dead-lettered. */
  crashRetries: number;
}

export async function startQueue(db: Db, o: QueueOptions): Promise<PgBoss> {
  const boss = new PgBoss({
    db: bossDbAdapter(db),
    schema: 'pgboss',
    supervise: o.supervise,
    schedule: false,
    migrate: true,
    maintenanceIntervalSeconds: o.maintenanceIntervalSeconds,
  } as PgBoss.ConstructorOptions);
  boss.on('error', () => {
    /* maintenance errors are transient (connection loss); pg-boss retries on its next interval */
  });
  try {
    await boss.start();
    await boss.createQueue(DEAD_LETTER_QUEUE, { name: DEAD_LETTER_QUEUE, policy: 'standard', retryLimit: 3, retryDelay: 1 } as PgBoss.Queue);
    await boss.createQueue(REQUEST_QUEUE, {
      name: REQUEST_QUEUE,
      policy: 'standard',
      retryLimit: o.crashRetries,
      retryDelay: 1,
      expireInSeconds: o.expireInSeconds,
      deadLetter: DEAD_LETTER_QUEUE,
    } as PgBoss.Queue);
    // createQueue keeps the settings of whoever created the queue first; workers bring the current ones.
    // Jobs take expiry and retry limits from the queue row when they are inserted.
    if (o.supervise) {
      await boss.updateQueue(REQUEST_QUEUE, {
        name: REQUEST_QUEUE, policy: 'standard', retryLimit: o.crashRetries, retryDelay: 1, expireInSeconds: o.expireInSeconds, deadLetter: DEAD_LETTER_QUEUE,
      } as PgBoss.Queue);
    }
  } catch (e) {
    throw new MeterfabricError(ErrorCode.QUEUE_ERROR, 'The job queue could not be started', { component: 'SHARED', cause: e, retryable: false });
  }
  return boss;
}
