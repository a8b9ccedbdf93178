/**
 * The embedded database (PGlite) behind the Db port, running in its own thread (`pglite-worker.ts`, a
 * node:worker_threads Worker). The thread that runs meter sessions and HTTP only sends statements and receives rows:
 * PostgreSQL's work in WASM (parse, plan, execute, WAL, encoding and decoding rows) happens on the other thread.
 *
 * Why not PGlite's own `PGliteWorker` (`@electric-sql/pglite/worker`): it is made for browser Web Workers (it
 * needs `navigator.locks` and `BroadcastChannel`, which Node 20 does not have, and the browser Worker interface), and
 * it serialises statements and parses their results on the calling thread, which is the work to move away.
 *
 * The protocol (`ThreadRequest` / `ThreadReply` in pglite-worker.ts, both ways in batches: the calls of one turn of the
 * event loop in one message, the replies ready before the database thread runs out of work in one): `query` (with `tx` for a statement of a
 * transaction; its first statement carries the `begin` text, so opening a transaction costs no message of its own),
 * `end` (commit or roll back), `exec`, `close`, and `stats` / `profile` for the benchmark. Database errors come back
 * with PostgreSQL's fields (SQLSTATE `code`, `constraint`, `detail`, …) as a `DatabaseError`, so callers that check
 * codes work as on PostgreSQL. The data folder, the durability and the single connection are PGlite's, as before.
 *
 * A thread that dies (an abort inside WASM, out of memory) fails every pending and later call with a
 * MeterfabricError INTERNAL_ERROR that says so; the process must be restarted to reopen the database. The worker keeps
 * the process alive only while calls are pending, as a database connection in the same thread would.
 */
import { Worker } from 'node:worker_threads';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import type { Db, Queryable, QueryResult, TxOptions } from './db.ts';
import type { PostgresErrorFields, StatementCpu, ThreadError, ThreadInit, ThreadReply } from './pglite-worker.ts';

/** Statement texts numbered for the database thread at most (src/platform/README.md). */
const MAX_TEXTS = 2000;

/** A PostgreSQL error raised by the embedded database, with the fields pg's DatabaseError has. */
// The fields are declared once (PostgresErrorFields) and copied in by the constructor.
export interface DatabaseError extends PostgresErrorFields {}
export class DatabaseError extends Error {
  constructor(e: ThreadError) {
    super(e.message);
    this.name = 'DatabaseError';
    const { message: _m, name: _n, ...fields } = e;
    Object.assign(this, fields);
  }
}

/** CPU and event-loop use of the database thread (for benchmarks). */
export interface ThreadStats {
  /** CPU time of the database thread in ms since it started (null where the OS does not tell). */
  cpuMs: number | null;
  /** performance.eventLoopUtilization() of the database thread. */
  elu: { idle: number; active: number };
}

export interface PgliteThreadDb extends Db {
  readonly engine: 'pglite';
  /** CPU use of the database thread. */
  threadStats(): Promise<ThreadStats>;
  /** Starts a V8 CPU profile of the database thread; `stopProfile` returns it (a .cpuprofile object). */
  startProfile(): Promise<void>;
  stopProfile(): Promise<object>;
  /** Counts the database thread's CPU per statement text from now (benchmarks); `takeStatementStats` returns it, most first. */
  startStatementStats(): Promise<void>;
  takeStatementStats(): Promise<StatementCpu[]>;
  /** The thread itself (tests terminate it to check what callers see when it dies). */
  readonly worker: Worker;
}

type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void };

export async function openPgliteThread(dataDir: string | undefined, startParams: string[]): Promise<PgliteThreadDb> {
  const workerData = { dataDir, startParams } satisfies ThreadInit;
  // The package runs dist/ (.js). Tests and benchmarks run the sources through tsx (.ts), whose loader a worker
  // thread does not inherit on Node 20: the thread registers it before importing the script.
  const typescript = extname(fileURLToPath(import.meta.url)) === '.ts';
  const script = new URL(`./pglite-worker${typescript ? '.ts' : '.js'}`, import.meta.url);
  const worker = typescript
    ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(script.href)}); });`, { eval: true, workerData })
    : new Worker(script, { workerData });
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let nextTx = 0;
  let dead: MeterfabricError | undefined;
  let closing = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));

  const die = (why: string, cause?: unknown) => {
    if (dead) return;
    dead = new MeterfabricError(ErrorCode.INTERNAL_ERROR, `The embedded database thread stopped (${why}); restart the process to reopen the database.`, { cause });
    for (const p of pending.values()) p.reject(dead);
    pending.clear();
  };

  await new Promise<void>((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`cannot start the embedded database (thread exited with code ${code})`));
    worker.once('exit', onExit);
    worker.once('error', reject);
    worker.once('message', (m: { ready: boolean; error?: ThreadError }) => {
      worker.off('exit', onExit);
      worker.off('error', reject);
      if (m.ready) resolve();
      else reject(new DatabaseError({ ...m.error!, message: `cannot open the embedded database${dataDir ? ` in ${dataDir}` : ''}: ${m.error!.message}` }));
    });
  }).catch(async (e: unknown) => {
    await worker.terminate();
    throw e;
  });

  worker.on('message', (batch: ThreadReply[]) => {
    for (const m of batch) {
      const p = pending.get(m.id);
      if (!p) continue;
      pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(new DatabaseError(m.error));
    }
    if (pending.size === 0 && !closing) worker.unref();
  });
  worker.on('error', (e) => die(`error: ${e instanceof Error ? e.message : String(e)}`, e));
  worker.on('exit', (code) => die(closing ? 'closed' : `exit code ${code}`));
  worker.unref();

  // Calls made in one turn of this thread go over in one message (one wake-up of the database thread, one
  // structured clone), sent from a microtask after the turn's synchronous work.
  let outbox: Record<string, unknown>[] = [];
  const flush = () => {
    const batch = outbox;
    outbox = [];
    if (dead) return;
    try {
      worker.postMessage(batch);
    } catch {
      // A value that cannot be cloned: send one by one, so that only its own call fails (each with its text, as the
      // call that was to introduce a text's number may be the one that fails).
      for (const request of batch) {
        if (typeof request.sid === 'number') request.sql = sqlOf[request.sid];
        try {
          worker.postMessage([request]);
        } catch (e) {
          const p = pending.get(request.id as number);
          pending.delete(request.id as number);
          p?.reject(e);
        }
      }
      if (pending.size === 0 && !closing) worker.unref();
    }
  };
  const call = <T>(request: Record<string, unknown>): Promise<T> => {
    if (dead) return Promise.reject(dead);
    const id = ++nextId;
    return new Promise<T>((resolve, reject) => {
      if (pending.size === 0) worker.ref();
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      outbox.push({ ...request, id });
      if (outbox.length === 1) queueMicrotask(flush);
    });
  };

  // Statement texts cross to the database thread once: the first call of a text sends it with a number, later
  // calls only the number (up to MAX_TEXTS texts; later ones always go as text).
  const sids = new Map<string, number>();
  const sqlOf: string[] = [];
  const statementOf = (sql: string): { sql?: string; sid?: number } => {
    const sid = sids.get(sql);
    if (sid !== undefined) return { sid };
    if (sqlOf.length >= MAX_TEXTS) return { sql };
    sids.set(sql, sqlOf.length);
    sqlOf.push(sql);
    return { sql, sid: sqlOf.length - 1 };
  };
  const db: PgliteThreadDb = {
    engine: 'pglite',
    query<R>(sql: string, params?: unknown[]) {
      return call<QueryResult<R>>({ t: 'query', ...statementOf(sql), params });
    },
    async tx<T>(fn: (q: Queryable) => Promise<T>, options?: TxOptions) {
      const tx = ++nextTx;
      let begun = false;
      const q: Queryable = {
        query<R>(sql: string, params?: unknown[]) {
          const begin = begun ? undefined : options?.isolation ? `BEGIN ISOLATION LEVEL ${options.isolation}` : 'BEGIN';
          begun = true;
          return call<QueryResult<R>>({ t: 'query', ...statementOf(sql), params, tx, begin });
        },
      };
      let result: T;
      try {
        result = await fn(q);
      } catch (e) {
        if (begun) await call({ t: 'end', tx, commit: false }).catch(() => undefined);
        throw e;
      }
      if (begun) await call({ t: 'end', tx, commit: true });
      return result;
    },
    async exec(sql: string) {
      await call({ t: 'exec', sql });
    },
    async close() {
      if (dead) return;
      closing = true;
      worker.ref(); // until the thread has exited
      await call({ t: 'close' });
      await exited;
    },
    threadStats: () => call<ThreadStats>({ t: 'stats' }),
    startProfile: () => call<void>({ t: 'profile', start: true }),
    stopProfile: () => call<object>({ t: 'profile', start: false }),
    startStatementStats: () => call<void>({ t: 'statementStats', action: 'start' }),
    takeStatementStats: () => call<StatementCpu[]>({ t: 'statementStats', action: 'take' }),
    worker,
  };
  return db;
}
