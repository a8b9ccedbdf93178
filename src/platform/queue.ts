/**
 * The durable job queue: pg-boss 10 on the platform's own database, so the same SQL and jobs run embedded and on a server. On PGlite pg-boss talks to
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

/**
 * pg-boss 10 fetches with `ORDER BY priority desc, created_on, id` but indexes queued jobs by (name, start_after)
 * only, so every fetch sorts the whole backlog (1.6 s per fetch with 110 000 queued requests on PostgreSQL). This
 * index serves the fetch order directly; pg-boss keeps it on every partition of pgboss.job.
 */
const FETCH_INDEX = `CREATE INDEX IF NOT EXISTS meterfabric_job_fetch ON pgboss.job (name, priority DESC, created_on, id) WHERE state < 'active'`;

async function ensureFetchIndex(db: Db): Promise<void> {
  if (db.engine === 'postgres') {
    // Several processes may start at once; CREATE INDEX IF NOT EXISTS is not safe against itself.
    await db.tx(async (q) => {
      await q.query('SELECT pg_advisory_xact_lock(7431002)');
      await q.query(FETCH_INDEX);
    });
  } else {
    await db.exec(FETCH_INDEX);
  }
}

/**
 * `INSERT … SELECT` of request jobs, for use as one step of a larger statement so that the request rows and their
 * jobs are written by one statement (one round trip, atomic). `source` is a relation with columns job_id uuid,
 * correlation_uid text, priority int and schedule_time timestamptz (null: now). Column values follow what pg-boss
 * 10.4 `insert()` writes for a job of REQUEST_QUEUE with no per-job options (the queue's expiry, retry limit and
 * delay, dead letter and policy; keep_until 14 days after the start); test/platform/queue.test.ts holds both side by
 * side. A missing queue row makes `name` null, which fails the statement instead of dropping the job.
 */
export function insertRequestJobsSql(source: string): string {
  return `INSERT INTO pgboss.job (id, name, data, priority, start_after, dead_letter, expire_in, keep_until, retry_limit, retry_delay, retry_backoff, policy)
    SELECT s.job_id, q.name, jsonb_build_object('correlationUid', s.correlation_uid), s.priority, COALESCE(s.schedule_time, now()), q.dead_letter,
      COALESCE(q.expire_seconds * interval '1s', interval '15 minutes'),
      COALESCE(s.schedule_time, now()) + CAST(COALESCE((q.retention_minutes * 60)::text, '14 days') AS interval),
      COALESCE(q.retry_limit, 2),
      CASE WHEN COALESCE(q.retry_backoff, false) THEN GREATEST(q.retry_delay, 1) ELSE COALESCE(q.retry_delay, 0) END,
      COALESCE(q.retry_backoff, false), q.policy
      FROM ${source} s LEFT JOIN pgboss.queue q ON q.name = '${REQUEST_QUEUE}'`;
}

/** What pg-boss 10.4 complete() does to active jobs of REQUEST_QUEUE whose ids `ids` (an SQL uuid set) yields. */
export function completeRequestJobsSql(ids: string): string {
  return `UPDATE pgboss.job SET completed_on = now(), state = 'completed'
    WHERE name = '${REQUEST_QUEUE}' AND id IN ${ids} AND state = 'active'`;
}

/** Completes request jobs on q, so that a transaction can complete the job that led to its writes. */
export async function completeRequestJobs(q: Queryable, ids: string[]): Promise<void> {
  await q.query(completeRequestJobsSql('(SELECT unnest($1::uuid[]))'), [ids]);
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
    await ensureFetchIndex(db);
  } catch (e) {
    throw new MeterfabricError(ErrorCode.QUEUE_ERROR, 'The job queue could not be started', { component: 'SHARED', cause: e, retryable: false });
  }
  return boss;
}
