/**
 * Retention: deletes what grows with every request once it is old enough, in small batches, in one process at a
 * time (src/platform/README.md "Retention and metrics").
 *
 * - A pass runs each step in turn; a step deletes at most `batchSize` rows per statement (its own short
 *   transaction) and is called again, after a pause of `pauseMs`, until a batch comes back short. Nothing is held
 *   between batches, so requests, sessions and scrapes go on while a large backlog is worked off.
 * - Only the holder of the `retention` lease (table maintenance_lease, migration 0411) runs a pass; the lease is
 *   renewed between batches and given back at the end. Every worker process starts the task; on a shared
 *   PostgreSQL one of them works at a time, and a killed holder's lease runs out after `leaseMs`.
 * - Periods come from `METERFABRIC_RETENTION_…` (retentionPolicyFromEnv); 0 keeps that kind of row for ever.
 *   Rows that are still current (a request not DONE, an open permit, a live session) are never deleted, whatever
 *   the period. Keys and the secret audit have their own rules in src/secrets/retention.ts.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Db, Queryable } from './db/db.ts';
import { ErrorCode, MeterfabricError } from '../errors.ts';
import { foldRequestCounts } from './requests.ts';

const DAY_MS = 24 * 3600_000;

export interface RetentionPolicy {
  /** DONE requests (by completion), responses, ResponseUrls, notifications and console fleet rekeys (default 7 days). */
  requestsMs: number;
  /** Platform audit rows (audit_log, default 90 days). */
  auditMs: number;
  /** Secret audit rows of keys that are no longer kept (default 365 days; src/secrets/retention.ts). */
  secretAuditMs: number;
  /** EXPIRED and WITHDRAWN keys since their retirement (default 365 days; src/secrets/retention.ts). */
  retiredSecretsMs: number;
  /** Pushes received from meters (push_message, default 30 days). */
  pushMessagesMs: number;
  /** The devices' DLMS message log (dlms_message_log, default 7 days; src/platform/message-log.ts). */
  messageLogMs: number;
  /** Rows per delete statement (default 1000). */
  batchSize: number;
  /** Pause between two batches (default 50 ms). */
  pauseMs: number;
  /** Time between passes (default 60 s). */
  intervalMs: number;
}

export const DEFAULT_RETENTION: Readonly<RetentionPolicy> = {
  requestsMs: 7 * DAY_MS,
  auditMs: 90 * DAY_MS,
  secretAuditMs: 365 * DAY_MS,
  retiredSecretsMs: 365 * DAY_MS,
  pushMessagesMs: 30 * DAY_MS,
  messageLogMs: 7 * DAY_MS,
  batchSize: 1000,
  pauseMs: 50,
  intervalMs: 60_000,
};

/** The environment variables of the policy (README "Configuration"). */
export const RETENTION_ENV = {
  requestsMs: 'METERFABRIC_RETENTION_REQUESTS_DAYS',
  auditMs: 'METERFABRIC_RETENTION_AUDIT_DAYS',
  secretAuditMs: 'METERFABRIC_RETENTION_SECRET_AUDIT_DAYS',
  retiredSecretsMs: 'METERFABRIC_RETENTION_RETIRED_KEYS_DAYS',
  pushMessagesMs: 'METERFABRIC_RETENTION_PUSH_MESSAGES_DAYS',
  messageLogMs: 'METERFABRIC_RETENTION_MESSAGE_LOG_DAYS',
  batchSize: 'METERFABRIC_RETENTION_BATCH_SIZE',
  pauseMs: 'METERFABRIC_RETENTION_PAUSE_MS',
  intervalMs: 'METERFABRIC_RETENTION_INTERVAL_SECONDS',
} as const satisfies Record<keyof RetentionPolicy, string>;

/** The policy parts set in the environment: periods in days (fractions allowed, 0 = keep for ever). */
export function retentionPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<RetentionPolicy> {
  const out: Partial<RetentionPolicy> = {};
  for (const [key, name] of Object.entries(RETENTION_ENV) as [keyof RetentionPolicy, string][]) {
    const text = env[name];
    if (text === undefined || text.trim() === '') continue;
    const v = Number(text);
    const positive = key === 'batchSize' || key === 'intervalMs';
    if (!Number.isFinite(v) || v < 0 || (positive && v <= 0) || (key === 'batchSize' && !Number.isInteger(v))) {
      throw new MeterfabricError(ErrorCode.CONFIGURATION_ERROR, `${name} must be a ${positive ? 'positive' : 'non-negative'} number`, { component: 'SHARED' });
    }
    out[key] = key === 'batchSize' || key === 'pauseMs' ? v : key === 'intervalMs' ? v * 1000 : v * DAY_MS;
  }
  return out;
}

/** What a step gets: the pass's clock and policy. */
export interface RetentionContext {
  now: Date;
  policy: RetentionPolicy;
}

/** One kind of row. `purge` deletes at most `policy.batchSize` rows in one statement and returns how many. */
export interface RetentionStep {
  name: string;
  purge(db: Db, ctx: RetentionContext): Promise<number>;
}

/** now − period, or undefined when the period is 0 (keep for ever). */
export function cutoff(ctx: RetentionContext, periodMs: number): Date | undefined {
  return periodMs > 0 ? new Date(ctx.now.getTime() - periodMs) : undefined;
}

/** A step deleting up to one batch of `table` rows whose `key` is chosen by `select` ($1 = cutoff, $2 = batch size). */
function batchStep(name: string, period: (p: RetentionPolicy) => number, sql: string): RetentionStep {
  return {
    name,
    async purge(db, ctx) {
      const before = cutoff(ctx, period(ctx.policy));
      if (!before) return 0;
      return (await db.query(sql, [before, ctx.policy.batchSize])).rowCount;
    },
  };
}

/** The platform's own rows. Responses and their companions go by the requests period (GXF keeps responses 7 days). */
export const PLATFORM_RETENTION_STEPS: readonly RetentionStep[] = [
  batchStep('requests', (p) => p.requestsMs,
    `DELETE FROM request WHERE correlation_uid IN (
       SELECT correlation_uid FROM request WHERE status = 'DONE' AND completed_at < $1 ORDER BY completed_at LIMIT $2)`),
  batchStep('responses', (p) => p.requestsMs,
    `DELETE FROM response_data WHERE correlation_uid IN (SELECT correlation_uid FROM response_data WHERE created_at < $1 ORDER BY created_at LIMIT $2)`),
  batchStep('response urls', (p) => p.requestsMs,
    `DELETE FROM response_url WHERE correlation_uid IN (SELECT correlation_uid FROM response_url WHERE created_at < $1 ORDER BY created_at LIMIT $2)`),
  batchStep('notifications', (p) => p.requestsMs,
    `DELETE FROM notification WHERE id IN (SELECT id FROM notification WHERE created_at < $1 ORDER BY created_at LIMIT $2)`),
  batchStep('console rekeys', (p) => p.requestsMs,
    `DELETE FROM console_rekey WHERE id IN (SELECT id FROM console_rekey WHERE created_at < $1 ORDER BY created_at LIMIT $2)`),
  batchStep('request attempts', (p) => p.requestsMs,
    `DELETE FROM request_attempt WHERE (correlation_uid, attempt) IN (
       SELECT correlation_uid, attempt FROM request_attempt WHERE started_at < $1 ORDER BY started_at LIMIT $2)`),
  // A job still submitting stays, however old (it is resumed at the next start); its items go with it.
  batchStep('bulk jobs', (p) => p.requestsMs,
    `DELETE FROM bulk_job WHERE id IN (SELECT id FROM bulk_job WHERE created_at < $1 AND state <> 'SUBMITTING' ORDER BY created_at LIMIT $2)`),
  batchStep('audit', (p) => p.auditMs, `DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < $1 ORDER BY at LIMIT $2)`),
  batchStep('push messages', (p) => p.pushMessagesMs,
    `DELETE FROM push_message WHERE id IN (SELECT id FROM push_message WHERE received_at < $1 ORDER BY received_at LIMIT $2)`),
  batchStep('message log', (p) => p.messageLogMs,
    `DELETE FROM dlms_message_log WHERE id IN (SELECT id FROM dlms_message_log WHERE logged_at < $1 ORDER BY logged_at LIMIT $2)`),
  // Leftovers that count for nothing any more, whatever the periods: permits released or past their lease and
  // outside the one-second rate window (src/platform/permits.ts sweeps the same rows when it next acquires),
  // exchange locks past their expiry, console sessions past theirs, console sign-in links past theirs (used or
  // not, an expired link never signs in again: src/platform/tokens.ts).
  {
    name: 'connection permits',
    async purge(db, ctx) {
      const r = await db.query(
        `DELETE FROM connection_permit WHERE permit_id IN (
           SELECT permit_id FROM connection_permit
            WHERE (released_at IS NOT NULL OR expires_at <= now()) AND acquired_at <= now() - interval '1 minute' LIMIT $1)`,
        [ctx.policy.batchSize],
      );
      return r.rowCount;
    },
  },
  {
    name: 'exchange locks',
    async purge(db, ctx) {
      return (await db.query('DELETE FROM exchange_lock WHERE lock_key IN (SELECT lock_key FROM exchange_lock WHERE expires_at < now() LIMIT $1)', [ctx.policy.batchSize])).rowCount;
    },
  },
  {
    name: 'console sessions',
    async purge(db, ctx) {
      return (await db.query('DELETE FROM console_session WHERE session_hash IN (SELECT session_hash FROM console_session WHERE expires_at < now() LIMIT $1)', [ctx.policy.batchSize])).rowCount;
    },
  },
  {
    name: 'sign-in links',
    async purge(db, ctx) {
      const r = await db.query(
        `DELETE FROM api_token WHERE token_hash IN (SELECT token_hash FROM api_token WHERE purpose = 'SIGN_IN' AND expires_at < now() LIMIT $1)`,
        [ctx.policy.batchSize],
      );
      return r.rowCount;
    },
  },
];

export type RetentionResult = Record<string, number>;

export interface RetentionRunOptions {
  now?: Date;
  /** Stops between batches (the pass ends early, what was deleted stays deleted). */
  signal?: AbortSignal;
  /** Called between batches; a false answer ends the pass (the lease was lost). */
  between?: () => Promise<boolean>;
}

/**
 * One pass of every step, batch after batch, each until a short batch. Returns the rows deleted per step. A step
 * that fails does not stop the others; the first failure is thrown at the end of the pass.
 */
export async function runRetention(db: Db, steps: readonly RetentionStep[], policy: RetentionPolicy, o: RetentionRunOptions = {}): Promise<RetentionResult> {
  const ctx: RetentionContext = { now: o.now ?? new Date(), policy };
  const result: RetentionResult = {};
  const failures: unknown[] = [];
  steps: for (const step of steps) {
    result[step.name] = 0;
    for (;;) {
      if (o.signal?.aborted) return result;
      let n: number;
      try {
        n = await step.purge(db, ctx);
      } catch (e) {
        failures.push(e);
        continue steps;
      }
      result[step.name] += n;
      if (n < policy.batchSize) break;
      await pause(policy.pauseMs, o.signal);
      if (o.between && !(await o.between())) return result;
    }
  }
  // The request counts of /metrics: fold the deltas of the pass (and of everything since the last scrape).
  await db.tx((q) => foldRequestCounts(q));
  if (failures.length > 0) throw failures[0];
  return result;
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    // Even with no pause, a macrotask turn lets the embedded database serve everything else between batches.
    let timer: NodeJS.Timeout | undefined;
    if (ms > 0) timer = setTimeout(done, ms);
    else setImmediate(done);
    signal?.addEventListener('abort', done, { once: true });
  });
}

// ---------------------------------------------------------------- one process at a time

/** Takes or renews the named lease for `holder`; true when it holds it now. */
export async function takeLease(q: Queryable, name: string, holder: string, ttlMs: number): Promise<boolean> {
  const r = await q.query(
    `INSERT INTO maintenance_lease (name, holder, expires_at) VALUES ($1, $2, clock_timestamp() + $3::float8 * interval '1 millisecond')
     ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
       WHERE maintenance_lease.expires_at < clock_timestamp() OR maintenance_lease.holder = EXCLUDED.holder
     RETURNING holder`,
    [name, holder, ttlMs],
  );
  return r.rowCount > 0;
}

/**
 * Gives the lease back if `holder` has it. Set well in the past, not to "now": a clock with millisecond resolution
 * (the embedded engine) would otherwise let a taker in the same millisecond see the lease as still held.
 */
export async function releaseLease(q: Queryable, name: string, holder: string): Promise<void> {
  await q.query(`UPDATE maintenance_lease SET expires_at = clock_timestamp() - interval '1 hour' WHERE name = $1 AND holder = $2`, [name, holder]);
}

export interface RetentionTaskOptions {
  db: Db;
  steps: readonly RetentionStep[];
  policy: RetentionPolicy;
  /** How long a pass may go without renewing its lease before another process may take over (default 5 min). */
  leaseMs?: number;
  holder?: string;
  onError?: (e: unknown) => void;
  onPass?: (r: RetentionResult) => void;
}

/** Runs a pass every `policy.intervalMs`, when it holds the `retention` lease. */
export class RetentionTask {
  static readonly LEASE = 'retention';
  readonly holder: string;
  readonly #o: RetentionTaskOptions;
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<RetentionResult | undefined> | undefined;

  constructor(o: RetentionTaskOptions) {
    this.#o = o;
    this.holder = o.holder ?? `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  }

  /** One pass if this process gets the lease (undefined when another holds it). A pass already running is shared. */
  runOnce(now?: Date): Promise<RetentionResult | undefined> {
    this.#running ??= (async () => {
      const { db, policy } = this.#o;
      const leaseMs = this.#o.leaseMs ?? 5 * 60_000;
      if (!(await takeLease(db, RetentionTask.LEASE, this.holder, leaseMs))) return undefined;
      try {
        return await runRetention(db, this.#o.steps, policy, {
          ...(now ? { now } : {}),
          signal: this.#abort.signal,
          between: () => takeLease(db, RetentionTask.LEASE, this.holder, leaseMs),
        });
      } finally {
        await releaseLease(db, RetentionTask.LEASE, this.holder).catch(() => undefined);
      }
    })().finally(() => (this.#running = undefined));
    return this.#running;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      this.runOnce().then((r) => r && this.#o.onPass?.(r), (e) => this.#o.onError?.(e));
    }, this.#o.policy.intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and ends a running pass at its next batch. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#abort.abort();
    await this.#running?.catch(() => undefined);
  }
}
