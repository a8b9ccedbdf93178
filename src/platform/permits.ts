/**
 * Meter connection permits shared by every process on one database: GXF's throttling mode `shared`
 * (docs/gxf.md#throttling), with the permit service replaced by the `connection_permit` table (migration 0004).
 *
 * - A permit is a row, held by one process (`holder`), with a lease (`expires_at`) that the holder renews while the
 *   connection stays open; a process killed with its connections open frees its permits when the leases run out.
 * - Acquiring locks the single `connection_permit_lock` row, then counts and inserts (one function call). The lock
 *   serialises acquirers of all processes, so two of them can never both take the last permit; releases and
 *   renewals do not take it (they only ever lower the count, and a count that is a moment too high only denies).
 *   A process asks for all of its callers that wait at that moment in one call (up to `batchMax`), high priority
 *   first, then in arrival order: one statement per batch, not per connection (migration 0995).
 * - Limits (`maxOpen` open permits, `newPerSecond` acquisitions in any sliding second) are counted on the
 *   database clock, so the processes' own clocks do not matter. Every process should be given the same limits:
 *   each one enforces the limits it was given.
 * - Priority (docs/gxf.md#priority: above 4 is high): a full pool denies a caller of priority <= 4 at once and lets a caller of
 *   priority > 4 poll it for up to `highPriorityWaitMs` (GXF's permit service: 409 at once, high priority
 *   busy-waits <= 10 s). The rate limit paces instead of denying: a caller held back only by it waits for the
 *   next free slot, up to `maxWaitMs`. A denial is a retryable 211 (`permitDenied`), as in mode `local`.
 *
 * The same SQL runs on PostgreSQL and on PGlite; on the embedded database (one process) mode `local` is the default
 * because there is no other process to share the limits with.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Db } from './db/db.ts';
import { Batcher } from './batch.ts';
import { ErrorCode, MeterfabricError } from '../errors.ts';
import { logger as componentLogger, type Logger } from '../observability/logger.ts';
import { noThrottle, permitDenied, type ConnectionThrottle, type PermitRequest, type ThrottleMode, type ThrottleOptions } from './throttle.ts';

export interface SharedThrottleOptions extends ThrottleOptions {
  /** Names this process in `connection_permit.holder` (default host/pid/random, unique per instance). */
  holder?: string;
  /** How often the leases of open permits are renewed (default a third of the lease). */
  renewMs?: number;
  /** How often a high-priority caller polls a full pool (default 200 ms, jittered). */
  pollMs?: number;
  /** Most permits asked for in one call (default 256). */
  batchMax?: number;
  logger?: Logger;
}

/** One atomic attempt: granted, or why not and (for the rate limit) when the next slot frees. */
export type PermitAttempt =
  | { granted: true; permitId: string }
  | { granted: false; reason: 'open' | 'rate'; open: number; recent: number; rateFreeInMs: number };

// Lock, sweep, count and insert, as one call of the function of migration 0501. Under READ COMMITTED each statement
// inside the function takes a new snapshot, so the count after the lock sees every permit committed by earlier lock
// holders; the function refuses (SQLSTATE 25001) under any other isolation level.
const ATTEMPT_SQL = 'SELECT * FROM connection_permit_attempt_many($1::uuid[], $2, $3::text[], $4::smallint[], $5::float8, $6::int, $7::int)';

interface BatchRow {
  open: number;
  recent: number;
  rate_free_in_ms: number | null;
  granted: number;
}

/** A caller of acquire() waiting in this process for the pump to ask on its behalf. */
interface Waiter {
  request: PermitRequest;
  high: boolean;
  start: number;
  signal?: AbortSignal;
  done(result: { permitId: string } | { error: unknown }): void;
}

/** A rate refusal whose slot frees within this many ms means the ask came early, not that another process took it. */
const EARLY_MS = 50;

export class SharedThrottle implements ConnectionThrottle {
  readonly maxOpen: number;
  readonly newPerSecond: number;
  readonly maxWaitMs: number;
  readonly highPriorityWaitMs: number;
  readonly leaseMs: number;
  readonly holder: string;
  readonly #db: Db;
  readonly #renewMs: number;
  readonly #pollMs: number;
  readonly #log: Logger;
  /** Permits of this instance whose release has not been called. */
  readonly #held = new Set<string>();
  readonly #pending = new Set<Promise<unknown>>();
  /** Every sleep of the pump, for close() to end. */
  readonly #wakers = new Set<() => void>();
  readonly #batchMax: number;
  /** Callers waiting for a permit, high priority first, then in arrival order (see #pump). */
  readonly #waiting: Waiter[] = [];
  #pumping = false;
  /** Ends the pump's pause early (a new caller, a release): set while it polls a full pool for high-priority callers, not while rate-limited. */
  #wakePump: (() => void) | undefined;
  #renewTimer: NodeJS.Timeout | undefined;
  #renewing: Promise<void> | undefined;
  #closed = false;
  /** false once the server refused the one-statement attempt (isolation level other than READ COMMITTED). */
  #oneStatement = true;
  /** Releases of concurrent callers, one statement per batch. */
  readonly #releases: Batcher<string, undefined>;

  constructor(db: Db, opts: SharedThrottleOptions = {}) {
    this.#db = db;
    this.maxOpen = opts.maxOpen ?? 1000;
    this.newPerSecond = opts.newPerSecond ?? 30;
    this.maxWaitMs = opts.maxWaitMs ?? 60_000;
    this.highPriorityWaitMs = opts.highPriorityWaitMs ?? 10_000;
    this.leaseMs = opts.leaseMs ?? 30_000;
    this.#renewMs = opts.renewMs ?? Math.max(10, Math.floor(this.leaseMs / 3));
    this.#pollMs = opts.pollMs ?? 200;
    this.#batchMax = Math.max(1, opts.batchMax ?? 256);
    this.holder = opts.holder ?? `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
    this.#log = opts.logger ?? componentLogger('throttle');
    this.#releases = new Batcher<string, undefined>(async (ids) => {
      await this.#db.query('UPDATE connection_permit SET released_at = clock_timestamp() WHERE permit_id = ANY($1::uuid[]) AND released_at IS NULL', [ids], {
        prepareAs: 'connection_permit_release',
      });
      return ids.map(() => undefined);
    }, { maxInFlight: 2 });
  }

  /** Permits taken through this instance and not released yet. */
  get open(): number {
    return this.#held.size;
  }

  /** One atomic attempt, without waiting. */
  async tryAcquire(request: PermitRequest = {}): Promise<PermitAttempt> {
    return (await this.#attemptMany([request]))[0]!;
  }

  /**
   * One atomic attempt for several requests: a prefix of them is granted, as far as both limits leave room; the
   * others get the reason and counts of the same moment.
   */
  async #attemptMany(requests: PermitRequest[]): Promise<PermitAttempt[]> {
    this.#checkOpen();
    const ids = requests.map(() => randomUUID());
    const priorities = requests.map((r) => (r.priority === undefined ? null : Math.min(9, Math.max(0, Math.trunc(r.priority)))));
    const params = [ids, this.holder, requests.map((r) => r.device ?? null), priorities, this.leaseMs, this.maxOpen, this.newPerSecond];
    let row: BatchRow | undefined;
    if (this.#oneStatement) {
      // One statement, when the server's default isolation is READ COMMITTED.
      try {
        row = (await this.#db.query<BatchRow>(ATTEMPT_SQL, params, { prepareAs: 'connection_permit_attempt_many' })).rows[0]!;
      } catch (e) {
        if ((e as { code?: unknown }).code !== '25001') throw e;
        this.#oneStatement = false;
      }
    }
    // Otherwise the same call in a transaction that asks for READ COMMITTED whatever the server's default.
    row ??= await this.#db.tx(async (q) => (await q.query<BatchRow>(ATTEMPT_SQL, params)).rows[0]!, { isolation: 'READ COMMITTED' });
    const granted = Number(row.granted);
    const open = Number(row.open) + granted;
    const recent = Number(row.recent) + granted;
    const refused: PermitAttempt = { granted: false, reason: open >= this.maxOpen ? 'open' : 'rate', open, recent, rateFreeInMs: Math.max(0, Number(row.rate_free_in_ms ?? 0)) };
    if (granted > 0) this.#startRenewing();
    return ids.map((permitId, i) => {
      if (i >= granted) return refused;
      this.#held.add(permitId);
      return { granted: true, permitId };
    });
  }

  /** As ConnectionThrottle.acquire; the release also resolves once the database has the permit back. */
  async acquire(signal?: AbortSignal, request: PermitRequest = {}): Promise<() => Promise<void>> {
    signal?.throwIfAborted();
    this.#checkOpen();
    const high = (request.priority ?? 4) > 4;
    const permitId = await new Promise<string>((resolve, reject) => {
      const waiter: Waiter = {
        request,
        high,
        start: Date.now(),
        signal,
        done: (r) => {
          signal?.removeEventListener('abort', onAbort);
          if ('permitId' in r) resolve(r.permitId);
          else reject(r.error);
        },
      };
      const onAbort = () => {
        const i = this.#waiting.indexOf(waiter);
        if (i < 0) return; // being asked for right now: the pump hands a granted permit back
        this.#waiting.splice(i, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const at = high ? this.#waiting.findIndex((w) => !w.high) : -1;
      if (at < 0) this.#waiting.push(waiter);
      else this.#waiting.splice(at, 0, waiter);
      // A caller that may be denied at once should not wait out a high-priority caller's poll of a full pool.
      this.#wakePump?.();
      void this.#pump();
    });
    return this.#releaser(permitId);
  }

  /**
   * Asks the database for the waiting callers, a batch per statement, until none waits. Granted callers go; when the
   * pool is full, normal priority is denied at once and high priority is asked for again every `pollMs` (up to
   * `highPriorityWaitMs`); when only the rate limit holds them back, the pump waits for the next free slot (up to each
   * caller's `maxWaitMs`), so a process asks once per free slot however many of its sessions wait.
   */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    let rateMisses = 0;
    try {
      while (this.#waiting.length > 0 && !this.#closed) {
        const batch = this.#waiting.slice(0, this.#batchMax);
        const askedAt = Date.now();
        let attempts: PermitAttempt[];
        try {
          attempts = await this.#unavailableAsRetryable(() => this.#attemptMany(batch.map((w) => w.request)));
        } catch (e) {
          for (const w of batch) this.#finish(w, { error: e });
          continue;
        }
        let refused: PermitAttempt | undefined;
        let grantedAny = false;
        batch.forEach((w, i) => {
          const a = attempts[i]!;
          grantedAny ||= a.granted;
          if (a.granted) {
            // A caller that gave up meanwhile does not take the permit: it goes straight back.
            if (w.signal?.aborted) {
              this.#finish(w, { error: w.signal.reason });
              void this.#releaser(a.permitId)();
            } else this.#finish(w, { permitId: a.permitId });
          } else refused = a;
        });
        if (!refused || refused.granted) {
          rateMisses = 0;
          continue;
        }
        const now = Date.now();
        if (refused.reason === 'open') {
          for (const w of batch) {
            if (this.#waiting.includes(w) && (!w.high || now - w.start >= this.highPriorityWaitMs)) this.#finish(w, { error: permitDenied('open', w.request.priority) });
          }
          if (this.#waiting.length === 0) break;
          const left = Math.min(...this.#waiting.map((w) => this.highPriorityWaitMs - (now - w.start)));
          await this.#sleep(Math.max(1, Math.min(this.#pollMs * (0.5 + Math.random()), left)), true);
          continue;
        }
        for (const w of batch) {
          if (this.#waiting.includes(w) && now - w.start >= this.maxWaitMs) this.#finish(w, { error: permitDenied('rate', w.request.priority) });
        }
        if (this.#waiting.length === 0) break;
        // Other processes see the same next free slot; a random spread that grows while this process gets nothing
        // keeps them from all asking at that moment again and again. There is none once this process was granted
        // some: alone on the database, every millisecond of spread is a slot of the rate left unused.
        // High priority spreads less, so it tends to get the slot first. An ask that came a few milliseconds early
        // (see below) was not beaten by another process: it is asked again without spread.
        if (grantedAny) rateMisses = 0;
        const early = !grantedAny && refused.rateFreeInMs < EARLY_MS;
        const high = this.#waiting[0]!.high;
        const spread = rateMisses === 0 || early ? 0 : Math.min(high ? 250 : 1000, (high ? 10 : 50) * 2 ** (rateMisses - 1));
        if (!early) rateMisses++;
        // The slot frees rateFreeInMs after the database's clock read it, which was after askedAt: waiting from askedAt
        // rather than from the answer keeps the time the statement took (pool, lock, round trip) out of every
        // second's window; at worst the next ask is that much early and is answered with the few ms still to wait.
        const wait = refused.rateFreeInMs + 2 + Math.random() * spread - (Date.now() - askedAt);
        const left = Math.min(...this.#waiting.map((w) => this.maxWaitMs - (now - w.start)));
        await this.#sleep(Math.max(1, Math.min(wait, left)), false);
      }
    } finally {
      this.#pumping = false;
      if (this.#closed) for (const w of [...this.#waiting]) this.#finish(w, { error: this.#closedError() });
    }
  }

  #finish(w: Waiter, result: { permitId: string } | { error: unknown }): void {
    const i = this.#waiting.indexOf(w);
    if (i >= 0) this.#waiting.splice(i, 1);
    w.done(result);
  }

  /** Renews the leases of this instance's open permits now (a timer does it every `renewMs` while any is held). */
  async renew(): Promise<void> {
    if (this.#renewing) return this.#renewing;
    this.#renewing = (async () => {
      // Only permits held before the UPDATE can be judged by it; one taken meanwhile is renewed next time.
      const before = [...this.#held];
      if (before.length === 0) return;
      try {
        // A lease that already ran out is not brought back: another process may have been given its place.
        const r = await this.#db.query<{ permit_id: string }>(
          `UPDATE connection_permit SET expires_at = clock_timestamp() + $2::float8 * interval '1 millisecond'
            WHERE holder = $1 AND released_at IS NULL AND expires_at > clock_timestamp()
            RETURNING permit_id::text`,
          [this.holder, this.leaseMs],
        );
        const renewed = new Set(r.rows.map((x) => x.permit_id));
        for (const id of before) {
          if (renewed.has(id) || !this.#held.has(id)) continue;
          this.#held.delete(id);
          this.#log.warn({ permitId: id }, 'connection permit lease ran out before it was renewed; its connection is no longer counted');
        }
        if (this.#held.size === 0) this.#stopRenewing();
      } catch (e) {
        this.#log.warn({ err: e }, 'connection permit leases could not be renewed');
      }
    })().finally(() => {
      this.#renewing = undefined;
    });
    return this.#renewing;
  }

  /** Stops renewing and releases every permit of this instance (process shutdown). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopRenewing();
    for (const wake of this.#wakers) wake();
    await this.#renewing;
    await Promise.all(this.#pending);
    this.#held.clear();
    await this.#db
      .query('UPDATE connection_permit SET released_at = clock_timestamp() WHERE holder = $1 AND released_at IS NULL', [this.holder])
      .catch((e) => this.#log.warn({ err: e }, 'connection permits could not be released at close; their leases will run out'));
  }

  #releaser(permitId: string): () => Promise<void> {
    let done: Promise<void> | undefined;
    return () => {
      if (done) return done;
      this.#held.delete(permitId);
      if (this.#held.size === 0) this.#stopRenewing();
      const p: Promise<void> = this.#releases
        .submit(permitId)
        .then(
          () => undefined,
          (e: unknown) => void this.#log.warn({ err: e, permitId }, 'connection permit could not be released; its lease will run out'),
        )
        .finally(() => {
          this.#pending.delete(p);
          this.#wakePump?.();
        });
      this.#pending.add(p);
      done = p;
      return p;
    };
  }

  /** A database that does not answer is a passing condition: the request is tried again later, as when denied. */
  async #unavailableAsRetryable<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof MeterfabricError) throw e;
      throw new MeterfabricError(ErrorCode.CONNECTION_ERROR, 'Connection permits are unavailable (database)', { component: 'OSGP_CORE', retryable: true, cause: e, details: { throttled: 'unavailable' } });
    }
  }

  /**
   * Sleeps up to ms; close() ends it early. A sleep `forOpenSlot` (the pool was full) also ends when a permit of this
   * process is released or a new caller arrives. A sleep for the rate limit does not: a release frees no slot of the
   * rate, and an ask before the slot frees is only refused and counted as a miss, which spreads the next asks.
   */
  #sleep(ms: number, forOpenSlot: boolean): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.#wakers.delete(done);
        if (this.#wakePump === done) this.#wakePump = undefined;
        resolve();
      };
      if (forOpenSlot) this.#wakePump = done;
      const t = setTimeout(done, ms);
      this.#wakers.add(done);
    });
  }

  #startRenewing(): void {
    if (this.#renewTimer || this.#closed) return;
    this.#renewTimer = setInterval(() => void this.renew(), this.#renewMs);
    this.#renewTimer.unref();
  }

  #stopRenewing(): void {
    clearInterval(this.#renewTimer);
    this.#renewTimer = undefined;
  }

  #checkOpen(): void {
    if (this.#closed) throw this.#closedError();
  }

  #closedError(): MeterfabricError {
    return new MeterfabricError(ErrorCode.CONNECTION_ERROR, 'The connection throttle is closed', { component: 'OSGP_CORE', retryable: true });
  }
}

/** The mode in effect: the configured one, else `shared` on PostgreSQL and `local` on the embedded database. */
export function throttleMode(db: Pick<Db, 'engine'>, mode?: ThrottleMode): ThrottleMode {
  return mode ?? (db.engine === 'postgres' ? 'shared' : 'local');
}

/**
 * The executors' throttle when it is not the platform's in-process one: `shared` → a SharedThrottle on db,
 * `disabled` → none; `local` → undefined (executors use the platform's `Throttle`). Close it after the platform.
 */
export function openConnectionThrottle(db: Db, opts: SharedThrottleOptions = {}): (ConnectionThrottle & { close(): Promise<void> }) | undefined {
  const mode = throttleMode(db, opts.mode);
  if (mode === 'shared') return new SharedThrottle(db, opts);
  if (mode === 'disabled') return { acquire: noThrottle.acquire, close: async () => undefined };
  return undefined;
}
