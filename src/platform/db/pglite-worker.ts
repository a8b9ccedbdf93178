/**
 * The embedded database's thread: PGlite (PostgreSQL in WASM) runs here, in a node:worker_threads Worker, so that
 * parsing, planning, executing and decoding results never take time from the thread that runs meter sessions.
 * `pglite-thread.ts` is the other end; the messages are `ThreadRequest` / `ThreadReply` there.
 *
 * PGlite has one connection. The thread owns it and schedules the work itself: statements outside a transaction
 * and new transactions run in arrival order; an open transaction pins the connection, so only its own statements
 * run until its end arrives (as PGlite's `transaction()` does).
 *
 * Statements go to PGlite through its public wire-protocol API (`execProtocolStream`, `protocol.serialize`,
 * `parse.parseResults`, the instance's `serializers`/`parsers`), not through `query()`: `query()` enters the WASM
 * backend six times per statement (parse, describe, bind, describe, execute, sync) and parses and plans the text every
 * time. Here each statement text is parsed once as a named prepared statement (its parameter types and row
 * description kept), and each execution is one entry: Bind + Execute + Sync. The cache is bounded (least recently
 * used statements are closed) and emptied after any DDL, so a changed table is never read with an old description.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { PGlite, protocol, parse, type messages } from '@electric-sql/pglite';

export interface ThreadInit {
  dataDir?: string;
  startParams: string[];
}

type BackendMessage = messages.BackendMessage;
type RowDescriptionMessage = messages.RowDescriptionMessage;

const { serialize } = protocol;
const port = parentPort!;
const init = workerData as ThreadInit;

/** Most statement texts kept prepared at once; beyond it the least recently used is closed. */
const STATEMENT_CACHE_SIZE = 500;

interface Prepared {
  name: string;
  paramTypes: number[];
  rowDescription?: RowDescriptionMessage;
}

let pg: PGlite;
const statements = new Map<string, Prepared>();
let statementSeq = 0;
/** Close messages for statements evicted from the cache, sent in front of the next batch. */
let closing: Uint8Array[] = [];

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Runs protocol messages in one entry into the backend. Closes of evicted statements ride along with extended batches. */
async function run(parts: Uint8Array[], syncToFs: boolean, extended = true): Promise<BackendMessage[]> {
  if (extended && closing.length > 0) {
    parts = [...closing, ...parts];
    closing = [];
  }
  return pg.execProtocolStream(concat(parts), { syncToFs });
}

async function prepare(sql: string, inTx: boolean): Promise<Prepared> {
  const cached = statements.get(sql);
  if (cached) {
    // least recently used order: a hit moves to the end
    statements.delete(sql);
    statements.set(sql, cached);
    return cached;
  }
  const name = `mf${++statementSeq}`;
  const result = await run([serialize.parse({ name, text: sql }), serialize.describe({ type: 'S', name }), serialize.sync()], !inTx);
  const prepared: Prepared = {
    name,
    paramTypes: parse.parseDescribeStatementResults(result),
    rowDescription: result.find((m): m is RowDescriptionMessage => m.name === 'rowDescription'),
  };
  statements.set(sql, prepared);
  if (statements.size > STATEMENT_CACHE_SIZE) {
    const [oldest, old] = statements.entries().next().value as [string, Prepared];
    statements.delete(oldest);
    closing.push(serialize.close({ type: 'S', name: old.name }));
  }
  return prepared;
}

function serializeParams(p: Prepared, params: unknown[]): (string | Uint8Array | null)[] {
  return params.map((param, i) => {
    if (param === null || param === undefined) return null;
    const serializer = pg.serializers[p.paramTypes[i]!];
    return serializer ? (serializer(param) as string | Uint8Array) : String(param);
  });
}

const DDL = /^(CREATE|ALTER|DROP)\b/;

interface Rows {
  rows: unknown[];
  rowCount: number;
}

/** CPU time of this thread in ms (Linux: /proc/thread-self/schedstat, ns on the CPU); null where the OS does not tell. */
function threadCpuMs(): number | null {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return null;
  }
}

/**
 * The database thread's CPU per statement text while a benchmark asks for it (`statementStats`): what
 * pg_stat_statements tells on a server. Off by default; on, each statement costs one more read of schedstat.
 */
let statementCpu: Map<string, StatementCpu> | undefined;

export interface StatementCpu {
  text: string;
  calls: number;
  cpuMs: number;
}

/** Runs `work`, adding the thread's CPU during it to `text`'s count (the map taken at the start: a `take` may come meanwhile). */
async function counted<T>(stats: Map<string, StatementCpu>, text: string, work: () => Promise<T>): Promise<T> {
  const started = threadCpuMs() ?? 0;
  try {
    return await work();
  } finally {
    const entry = stats.get(text) ?? { text, calls: 0, cpuMs: 0 };
    entry.calls += 1;
    entry.cpuMs += (threadCpuMs() ?? 0) - started;
    stats.set(text, entry);
  }
}

function statement(sql: string, params: unknown[], inTx: boolean): Promise<Rows> {
  return statementCpu ? counted(statementCpu, sql, () => runStatement(sql, params, inTx)) : runStatement(sql, params, inTx);
}

async function runStatement(sql: string, params: unknown[], inTx: boolean, retried = false): Promise<Rows> {
  const p = await prepare(sql, inTx);
  let result: BackendMessage[];
  try {
    result = await run([serialize.bind({ statement: p.name, values: serializeParams(p, params) }), serialize.execute({}), serialize.sync()], !inTx);
  } catch (e) {
    // A table changed under a cached statement ("cached plan must not change result type"): prepare it again.
    if ((e as { code?: string }).code === '0A000') {
      forgetStatements();
      if (!inTx && !retried) return runStatement(sql, params, inTx, true);
    }
    throw e;
  }
  const messages = p.rowDescription ? [p.rowDescription, ...result] : result;
  const r = parse.parseResults(messages, pg.parsers)[0]!;
  if (r.command && DDL.test(r.command)) forgetStatements();
  // PGlite reports affectedRows 0 for SELECT, so a query's row count is whichever is larger.
  return { rows: r.rows, rowCount: Math.max(r.affectedRows ?? 0, r.rows.length) };
}

/**
 * Drops every prepared statement (after DDL: a cached row description may be stale). Protocol Close messages, not
 * DEALLOCATE: they also work inside a transaction that has failed.
 */
function forgetStatements(): void {
  for (const p of statements.values()) closing.push(serialize.close({ type: 'S', name: p.name }));
  statements.clear();
}

async function simple(sql: string, syncToFs: boolean): Promise<{ command?: string }[]> {
  const send = () => run([serialize.query(sql)], syncToFs, false);
  const result = await (statementCpu ? counted(statementCpu, sql, send) : send());
  return parse.parseResults(result, pg.parsers);
}

// ---------------------------------------------------------------- scheduling

export type ThreadRequest =
  /** `sql` with `sid`: the text, numbered for later calls; `sid` alone: a text sent before under that number. */
  | { t: 'query'; id: number; sql?: string; sid?: number; params?: unknown[]; tx?: number; begin?: string }
  | { t: 'end'; id: number; tx: number; commit: boolean }
  | { t: 'exec'; id: number; sql: string }
  | { t: 'stats'; id: number }
  | { t: 'profile'; id: number; start: boolean }
  /** `start` clears and counts CPU per statement text from now; `take` returns the counts and stops. */
  | { t: 'statementStats'; id: number; action: 'start' | 'take' }
  | { t: 'close'; id: number };

export type ThreadReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: ThreadError };

const ERROR_FIELDS = ['code', 'severity', 'detail', 'hint', 'position', 'where', 'schema', 'table', 'column', 'dataType', 'constraint', 'routine'] as const;

/** PostgreSQL's error fields, as pg's DatabaseError has them (the SQLSTATE in `code`, the constraint, …). */
export type PostgresErrorFields = Partial<Record<(typeof ERROR_FIELDS)[number], string>>;

/** A database error as it crosses the thread: PostgreSQL's fields, so callers can check the SQLSTATE and constraint. */
export interface ThreadError extends PostgresErrorFields {
  message: string;
  name?: string;
}


function toThreadError(e: unknown): ThreadError {
  const src = (e ?? {}) as Record<string, unknown>;
  const out: ThreadError = { message: e instanceof Error ? e.message : String(e), name: e instanceof Error ? e.name : undefined };
  for (const f of ERROR_FIELDS) if (typeof src[f] === 'string') out[f] = src[f] as string;
  return out;
}

interface Job {
  tx?: number;
  /** The job opens transaction `tx` (its first statement). */
  opens: boolean;
  /** The job ends transaction `tx`. */
  ends: boolean;
  work: () => Promise<unknown>;
  id: number;
}

const jobs: Job[] = [];
/** The transaction holding the connection, if any. */
let owner: number | undefined;
let running = false;

function eligible(job: Job): boolean {
  if (owner === undefined) return job.tx === undefined || job.opens;
  return job.tx === owner;
}

/**
 * Replies go back in batches: one message (one wake-up of the other thread, one structured clone) for every reply
 * ready before this thread runs out of work, or for every REPLY_BATCH replies while it still has work.
 */
const REPLY_BATCH = 32;
let replies: ThreadReply[] = [];

function reply(r: ThreadReply, now = false): void {
  replies.push(r);
  if (now || replies.length >= REPLY_BATCH || !jobs.some(eligible)) flushReplies();
}

function flushReplies(): void {
  if (replies.length === 0) return;
  const batch = replies;
  replies = [];
  port.postMessage(batch);
}

function pump(): void {
  if (running) return;
  const i = jobs.findIndex(eligible);
  if (i < 0) {
    flushReplies();
    return;
  }
  const job = jobs.splice(i, 1)[0]!;
  running = true;
  if (job.opens) owner = job.tx;
  void job
    .work()
    .then(
      (value): ThreadReply => ({ id: job.id, ok: true, value }),
      (e: unknown): ThreadReply => ({ id: job.id, ok: false, error: toThreadError(e) }),
    )
    .then((r) => {
      if (job.ends && owner === job.tx) owner = undefined;
      running = false;
      reply(r);
      pump();
    });
}

async function endTx(commit: boolean): Promise<void> {
  if (!commit) {
    await simple('ROLLBACK', true);
    return;
  }
  const [r] = await simple('COMMIT', true);
  // COMMIT of a failed transaction block answers ROLLBACK (as PGlite's transaction() reports it).
  if (r?.command === 'ROLLBACK') throw Object.assign(new Error('Transaction was rolled back instead of committed'), { code: '25P02', severity: 'ERROR' });
}

let profiler: import('node:inspector/promises').Session | undefined;

/** CPU time of this thread in ms, and its event loop use. */
function threadStats(): { cpuMs: number | null; elu: { idle: number; active: number } } {
  const { idle, active } = performance.eventLoopUtilization();
  return { cpuMs: threadCpuMs(), elu: { idle, active } };
}

/** Requests arrive in batches (all the calls the other thread made in one turn). */
function handleBatch(batch: ThreadRequest[]): void {
  for (const m of batch) handle(m);
  pump();
}

/** Statement texts by the number the other thread gave them. */
const texts: string[] = [];

function handle(m: ThreadRequest): void {
  switch (m.t) {
    case 'query': {
      const inTx = m.tx !== undefined;
      if (m.sid !== undefined && m.sql !== undefined) texts[m.sid] = m.sql;
      const sql = m.sql ?? (m.sid !== undefined ? texts[m.sid] : undefined);
      jobs.push({
        id: m.id,
        tx: m.tx,
        opens: m.begin !== undefined,
        ends: false,
        work: async () => {
          if (sql === undefined) throw new Error(`statement number ${m.sid} was never sent to the database thread`);
          if (m.begin !== undefined) await simple(m.begin, false);
          return statement(sql, m.params ?? [], inTx);
        },
      });
      break;
    }
    case 'end':
      jobs.push({ id: m.id, tx: m.tx, opens: false, ends: true, work: () => endTx(m.commit) });
      break;
    case 'exec':
      jobs.push({
        id: m.id,
        opens: false,
        ends: false,
        work: async () => {
          await simple(m.sql, true);
          if (DDL.test(m.sql.trimStart().toUpperCase())) forgetStatements();
        },
      });
      break;
    case 'stats':
      reply({ id: m.id, ok: true, value: threadStats() }, true);
      return;
    case 'statementStats': {
      const taken = statementCpu ? [...statementCpu.values()].sort((a, b) => b.cpuMs - a.cpuMs) : [];
      statementCpu = m.action === 'start' ? new Map() : undefined;
      reply({ id: m.id, ok: true, value: m.action === 'start' ? null : taken }, true);
      return;
    }
    case 'profile':
      void (async () => {
        const { Session } = await import('node:inspector/promises');
        if (m.start) {
          profiler = new Session();
          profiler.connect();
          await profiler.post('Profiler.enable');
          await profiler.post('Profiler.setSamplingInterval', { interval: 200 });
          await profiler.post('Profiler.start');
          return null;
        }
        const { profile } = await profiler!.post('Profiler.stop');
        profiler!.disconnect();
        return profile;
      })().then(
        (value) => reply({ id: m.id, ok: true, value }, true),
        (e: unknown) => reply({ id: m.id, ok: false, error: toThreadError(e) }, true),
      );
      return;
    case 'close':
      jobs.push({
        id: m.id,
        opens: false,
        ends: false,
        work: async () => {
          await pg.close();
          // after the reply has been posted
          setImmediate(() => {
            flushReplies();
            port.close();
          });
        },
      });
      break;
  }
}

pg = new PGlite(init.dataDir, { startParams: init.startParams });
try {
  await pg.waitReady;
  port.on('message', handleBatch);
  port.postMessage({ ready: true });
} catch (e) {
  port.postMessage({ ready: false, error: toThreadError(e) });
}
