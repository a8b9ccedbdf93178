/**
 * The durable job queue, in meterfabric's own schema (table `request_job`, migration 0430), the same SQL on PGlite
 * and PostgreSQL. A job is one request's turn to run; the request row names the job that owns it (`job_id`).
 *
 * - Jobs are written by the statement that writes the request (accept, retry, re-queue), so a request and its job
 *   commit or roll back together, with the audit row, in one round trip.
 * - A worker takes jobs with `SELECT … FOR UPDATE SKIP LOCKED` and marks them with a lease: its worker id and an
 *   expiry. It renews the leases of every job it runs in one statement every `leaseMs / 3`; a job whose lease has
 *   run out (its worker died or lost the database) is made available again by the sweep of any live worker, so a
 *   killed worker's jobs run again within `leaseMs` + the sweep interval.
 * - Order: highest priority first, then the request's acceptance time (a re-queued request keeps its place), and
 *   never a job of a gateway (lock key) while an earlier job of that gateway that is due waits or runs: the requests
 *   of one gateway start one at a time in submission order within their priority.
 * - A job due more than WAIT_AHEAD_MS ahead (a ScheduleTime, a long retry delay) is written `waiting`: out of the
 *   ready index that a claim walks (migration 0997). Every process's queue clears the mark of the jobs that come due
 *   within WAIT_AHEAD_MS, every quarter of it, so they are back in the ready index seconds before they are due.
 * - Completing a job deletes its row (the request row keeps the history).
 * - On PostgreSQL, where other processes take jobs too, a process that committed new jobs says so on the channel
 *   QUEUE_CHANNEL, and every process that takes jobs listens there: another process's idle dispatcher starts them at
 *   once instead of at its next poll. The poll stays, for what a notification cannot carry (a lost listening
 *   connection, a job coming due).
 *
 * Errors of the queue's own work (fetch, renewal, sweep, release, admitting waiting jobs, announcing and listening)
 * are logged and counted in `meterfabric_queue_errors_total{operation}`.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { Counter } from 'prom-client';
import type { Db, Listener, Queryable } from './db/db.ts';
import type { Logger } from '../observability/logger.ts';
import { registry } from '../observability/metrics.ts';

export const queueErrors = new Counter({
  name: 'meterfabric_queue_errors_total',
  help: 'Errors of the request queue (fetch, lease renewal, lease sweep, release, admitting waiting jobs, announcing and listening), by operation',
  labelNames: ['operation'] as const,
  registers: [registry],
});

export interface QueueJob {
  id: string;
  correlationUid: string;
  /** How many times this job has been leased, this time included (1 on first delivery). */
  deliveries: number;
}

/**
 * A job due further ahead than this when it is written waits outside the ready index (migration 0997): a claim
 * never reads it. Its mark is cleared when it comes due within this time.
 */
export const WAIT_AHEAD_MS = 10_000;

/** The PostgreSQL channel on which a process announces jobs it committed; the payload is its worker id. */
export const QUEUE_CHANNEL = 'meterfabric_queue';

/** The shortest time between two announcements of one process: what a listening process waits at most for more. */
const ANNOUNCE_GAP_MS = 25;

/** Waiting jobs coming due whose mark one statement clears at most (it runs again at once while there are more). */
const COMING_DUE_BATCH = 5_000;

/**
 * `INSERT … SELECT` of jobs, for use as one step of a larger statement so that a request and its job are written
 * together. `source` is a relation with columns job_id uuid, correlation_uid text, lock_key text, priority int,
 * submitted_at timestamptz (the order within a priority) and run_after timestamptz.
 */
export function insertJobsSql(source: string): string {
  return `INSERT INTO request_job (id, correlation_uid, lock_key, priority, submitted_at, run_after, waiting)
    SELECT job_id, correlation_uid, lock_key, priority, submitted_at, run_after,
           run_after > now() + ${WAIT_AHEAD_MS} * interval '1 millisecond' FROM ${source} AS s`;
}

/**
 * Clears the mark of waiting jobs that come due within WAIT_AHEAD_MS, soonest first; SKIP LOCKED so that the
 * processes doing it at the same time take different jobs and never wait for each other.
 */
export const COMING_DUE_SQL = `WITH due AS (
    SELECT id FROM request_job WHERE waiting AND run_after <= now() + ${WAIT_AHEAD_MS} * interval '1 millisecond'
     ORDER BY run_after LIMIT ${COMING_DUE_BATCH} FOR UPDATE SKIP LOCKED
  )
  UPDATE request_job j SET waiting = false WHERE j.id = ANY (ARRAY(SELECT id FROM due))`;

/** Deletes (completes) the jobs whose ids `ids` (an SQL uuid set) yields. */
export function completeJobsSql(ids: string): string {
  return `DELETE FROM request_job WHERE id IN ${ids}`;
}

/**
 * A query (the main query of a statement that completes the jobs `ids`, an SQL uuid set) that answers one row,
 * `later`: whether a gateway of those jobs has another job that is due. The claim held that job back while its
 * gateway's earlier job ran, so the process that completes them claims again at once instead of at its next poll.
 * It reads the snapshot before the statement, where the completed jobs are still there; both are probes by index
 * (the array of ids, then request_job_gateway), whatever the queue's size.
 */
export function laterJobsSql(ids: string): string {
  return `SELECT EXISTS (
    SELECT 1 FROM request_job f
     WHERE f.id = ANY (ARRAY(SELECT * FROM ${ids} AS done))
       AND EXISTS (
         SELECT 1 FROM request_job j
          WHERE j.lock_key = f.lock_key AND j.id <> ALL (ARRAY(SELECT * FROM ${ids} AS done))
            AND NOT j.waiting AND j.run_after <= now()
         OFFSET 0)) AS later`;
}

export async function completeJobs(q: Queryable, ids: string[]): Promise<void> {
  if (ids.length > 0) await q.query(completeJobsSql('(SELECT unnest($1::uuid[]))'), [ids], { prepareAs: 'meterfabric_job_complete' });
}

export interface WorkQueueOptions {
  /** Lease length; renewed every third of it while a job runs. */
  leaseMs: number;
  /** How often this process returns expired leases to the queue. */
  sweepMs: number;
  log: Logger;
}

/**
 * The claim. Its plan must not depend on statistics (a queue table has none that last on the embedded database):
 * `NOT j.leased` (migration 0996) is estimated at half the rows without statistics, so the planner walks
 * request_job_ready in queue order and stops at the LIMIT; OFFSET 0 keeps the gateway check a probe of
 * request_job_gateway per candidate rather than a join over the whole queue; and the leases are written through an
 * array of ids, a probe of the primary key per job rather than a hash join that reads the table. Together they make a
 * claim cost what it takes, not what is queued: 50,000 queued jobs, 10 claimed, 8 ms instead of 1 s on the embedded
 * database (test/platform/queue-claim-plan.test.ts counts the rows read). Jobs due far ahead are `waiting` and not in
 * the ready index at all; the gateway check still sees them by run_after, so a job that came due keeps its place.
 */
export const FETCH_SQL = `WITH candidate AS (
    SELECT j.id, j.lock_key, j.priority, j.submitted_at FROM request_job j
     WHERE NOT j.leased AND NOT j.waiting AND j.run_after <= now()
       AND NOT EXISTS (
         SELECT 1 FROM request_job e
          WHERE e.lock_key = j.lock_key AND e.id <> j.id
            AND (e.lease_owner IS NOT NULL
              OR (e.run_after <= now() AND (e.priority > j.priority OR (e.priority = j.priority AND (e.submitted_at, e.id) < (j.submitted_at, j.id)))))
         OFFSET 0)
     ORDER BY j.priority DESC, j.submitted_at, j.id
     LIMIT $2
     FOR UPDATE SKIP LOCKED
  ), first AS (
    SELECT DISTINCT ON (lock_key) id FROM candidate ORDER BY lock_key, priority DESC, submitted_at, id
  )
  UPDATE request_job j SET lease_owner = $1, lease_expires_at = now() + $3 * interval '1 millisecond', deliveries = j.deliveries + 1
    WHERE j.id = ANY (ARRAY(SELECT id FROM first))
  RETURNING j.id, j.correlation_uid, j.deliveries, j.priority, j.submitted_at`;

/** One process's side of the queue: fetching with leases, renewing them, returning expired ones. */
export class WorkQueue {
  readonly workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  /** Jobs leased by this process and not yet completed or released. */
  readonly #held = new Set<string>();
  #renewTimer: NodeJS.Timeout | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;
  #admitTimer: NodeJS.Timeout | undefined;
  #lastRenewed = Date.now();
  #onLeaseLost: (() => void) | undefined;
  #listener: Promise<Listener> | undefined;
  #announcing = false;
  #announceAgain = false;

  constructor(private readonly db: Db, private readonly o: WorkQueueOptions) {}

  /**
   * Starts renewing this process's leases and sweeping expired ones; onLeaseLost runs when renewal keeps failing.
   * onJobs runs when another process announced new jobs (PostgreSQL), or when they may have been missed.
   */
  start(onLeaseLost: () => void, onJobs?: () => void): void {
    this.#onLeaseLost = onLeaseLost;
    this.#renewTimer = setInterval(() => void this.#renew(), Math.max(50, Math.floor(this.o.leaseMs / 3)));
    this.#renewTimer.unref();
    this.#sweepTimer = setInterval(() => void this.sweep(), Math.max(50, this.o.sweepMs));
    this.#sweepTimer.unref();
    void this.admitDue();
    this.#admitTimer = setInterval(() => void this.admitDue(), WAIT_AHEAD_MS / 4);
    this.#admitTimer.unref();
    if (onJobs && this.db.listen) {
      this.#listener = this.db.listen(QUEUE_CHANNEL, (from) => {
        if (from !== this.workerId) onJobs();
      }, (e) => this.#error('listen', e));
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#renewTimer);
    clearInterval(this.#sweepTimer);
    clearInterval(this.#admitTimer);
    const listener = this.#listener;
    this.#listener = undefined;
    await (await listener)?.close();
  }

  /**
   * This process committed new jobs: tell the processes listening on QUEUE_CHANNEL (PostgreSQL only). One
   * notification at a time, and the next no sooner than ANNOUNCE_GAP_MS after it: jobs committed meanwhile are all
   * announced by that next one, so a burst of accepts costs a few statements, not one per batch.
   */
  announce(): void {
    if (!this.db.listen) return;
    if (this.#announcing) {
      this.#announceAgain = true;
      return;
    }
    this.#announcing = true;
    void this.db.query('SELECT pg_notify($1, $2)', [QUEUE_CHANNEL, this.workerId], { prepareAs: 'meterfabric_job_announce' })
      .catch((e: unknown) => this.#error('announce', e))
      .finally(() => {
        setTimeout(() => {
          this.#announcing = false;
          if (this.#announceAgain) {
            this.#announceAgain = false;
            this.announce();
          }
        }, ANNOUNCE_GAP_MS).unref();
      });
  }

  /** Leases up to n due jobs (one per gateway), in queue order. */
  async fetch(n: number): Promise<QueueJob[]> {
    try {
      const r = await this.db.query<{ id: string; correlation_uid: string; deliveries: number; priority: number; submitted_at: Date }>(
        FETCH_SQL, [this.workerId, n, this.o.leaseMs], { prepareAs: 'meterfabric_job_fetch' },
      );
      // UPDATE … RETURNING keeps no order: back to queue order.
      const rows = r.rows.sort((a, b) => b.priority - a.priority || new Date(a.submitted_at).getTime() - new Date(b.submitted_at).getTime());
      for (const x of rows) this.#held.add(x.id);
      return rows.map((x) => ({ id: x.id, correlationUid: x.correlation_uid, deliveries: x.deliveries }));
    } catch (e) {
      this.#error('fetch', e);
      return [];
    }
  }

  /** The jobs are done with in this process (completed by the statement that wrote their outcome, or released). */
  forget(ids: string[]): void {
    for (const id of ids) this.#held.delete(id);
  }

  /** Gives jobs back to the queue (handling failed, or shutting down): due again after delayMs. */
  async release(ids: string[], delayMs: number): Promise<void> {
    this.forget(ids);
    if (ids.length === 0) return;
    try {
      await this.db.query(
        `UPDATE request_job SET lease_owner = NULL, lease_expires_at = NULL, run_after = now() + $3 * interval '1 millisecond',
                waiting = $3 * interval '1 millisecond' > ${WAIT_AHEAD_MS} * interval '1 millisecond'
          WHERE id = ANY($1::uuid[]) AND lease_owner = $2`,
        [ids, this.workerId, delayMs],
      );
    } catch (e) {
      // The leases run out and the sweep returns the jobs.
      this.#error('release', e);
    }
  }

  /** Returns jobs whose lease has run out to the queue; the number returned. */
  async sweep(): Promise<number> {
    try {
      const r = await this.db.query(
        `UPDATE request_job SET lease_owner = NULL, lease_expires_at = NULL
          WHERE lease_owner IS NOT NULL AND lease_expires_at < now()`,
        [],
        { prepareAs: 'meterfabric_job_sweep' },
      );
      if (r.rowCount > 0) this.o.log.warn({ jobs: r.rowCount }, 'job leases ran out (a worker stopped without finishing them); the jobs run again');
      return r.rowCount;
    } catch (e) {
      this.#error('sweep', e);
      return 0;
    }
  }

  /**
   * Puts the waiting jobs that come due within WAIT_AHEAD_MS back in the ready index (every WAIT_AHEAD_MS / 4 while
   * started); the number admitted.
   */
  async admitDue(): Promise<number> {
    let admitted = 0;
    try {
      for (;;) {
        const r = await this.db.query(COMING_DUE_SQL, [], { prepareAs: 'meterfabric_job_admit' });
        admitted += r.rowCount;
        if (r.rowCount < COMING_DUE_BATCH) return admitted;
      }
    } catch (e) {
      this.#error('admit', e);
      return admitted;
    }
  }

  async #renew(): Promise<void> {
    if (this.#held.size === 0) {
      this.#lastRenewed = Date.now();
      return;
    }
    try {
      await this.db.query(
        `UPDATE request_job SET lease_expires_at = now() + $2 * interval '1 millisecond' WHERE lease_owner = $1`,
        [this.workerId, this.o.leaseMs],
        { prepareAs: 'meterfabric_job_renew' },
      );
      this.#lastRenewed = Date.now();
    } catch (e) {
      this.#error('renew', e);
      // Before the leases can run out, stop the executions: another worker may take their jobs then.
      if (Date.now() - this.#lastRenewed > (this.o.leaseMs * 2) / 3) this.#onLeaseLost?.();
    }
  }

  #error(operation: string, e: unknown): void {
    queueErrors.inc({ operation });
    this.o.log.warn({ err: e, operation }, 'queue operation failed');
  }
}
