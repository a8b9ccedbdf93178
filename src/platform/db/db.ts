/**
 * The database port. The same SQL (PostgreSQL 15 level, `$n` parameters) runs on two engines:
 * - PGlite, PostgreSQL compiled to WASM running in-process, in a thread of its own (the embedded default: nothing to
 *   install; pglite-thread.ts);
 * - a PostgreSQL server named by a connection URL (production).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface QueryOptions {
  /**
   * Prepares the statement under this name on each PostgreSQL connection and reuses it (no parse and plan per call):
   * for hot statements whose text never changes. On PGlite (in its thread) every statement text is kept prepared.
   */
  prepareAs?: string;
}

export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[], options?: QueryOptions): Promise<QueryResult<R>>;
}

export interface TxOptions {
  isolation?: 'READ COMMITTED';
}

export interface Db extends Queryable {
  readonly engine: 'pglite' | 'postgres';
  /**
   * Runs fn in one transaction; commits when it resolves, rolls back when it throws. `isolation` sets the level
   * whatever the server's default (on PostgreSQL in the BEGIN itself: no statement of its own).
   */
  tx<T>(fn: (q: Queryable) => Promise<T>, options?: TxOptions): Promise<T>;
  /** Runs several statements without parameters (DDL). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
  /**
   * PostgreSQL only (other processes share the database): LISTEN on `channel` over a connection of its own, outside
   * the pool. `onNotify` gets each notification's payload, and '' once after the connection was lost and made again
   * (a notification sent meanwhile was missed). A lost connection (or one that cannot be made at first) is made again
   * after 1 s, then up to every 30 s; `onError` hears of each failure.
   */
  listen?(channel: string, onNotify: (payload: string) => void, onError?: (e: unknown) => void): Promise<Listener>;
}

export interface Listener {
  close(): Promise<void>;
}

/** The name of the listening connection in pg_stat_activity. */
export const LISTENER_APPLICATION_NAME = 'meterfabric-listen';

export interface OpenDbOptions {
  /** postgres://… URL of a PostgreSQL server. When set, `dataDir` is ignored. */
  url?: string;
  /** Folder of the embedded database; `memory://` (or undefined) keeps it in memory. */
  dataDir?: string;
  /** Pool size for PostgreSQL. */
  poolSize?: number;
  /** Where the embedded database runs (default: METERFABRIC_PGLITE_THREAD, else `worker`). */
  pgliteThread?: PgliteThread;
}

export async function openDb(options: OpenDbOptions = {}): Promise<Db> {
  if (options.url) return openPostgres(options.url, options.poolSize ?? 10);
  return openPglite(options.dataDir, options.pgliteThread);
}

/** How often a statement outside a transaction runs when PostgreSQL picks it as a deadlock's victim. */
const DEADLOCK_ATTEMPTS = 3;

async function openPostgres(url: string, max: number): Promise<Db> {
  const pg = (await import('pg')).default;
  // bigint (int8) as JS number is safe for our counters (< 2^53); timestamps stay Date.
  pg.types.setTypeParser(20, (v: string) => Number(v));
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', () => {
    /* an idle client lost its connection; the pool replaces it */
  });
  const names = new PreparedNames();
  /**
   * One statement, prepared by name on the connection (see PreparedNames). Outside a transaction it runs once more
   * under a new name when another process's DDL made the server refuse its plan, and again when it was a deadlock's
   * victim.
   */
  const run = async (c: { query: (config: { name?: string; text: string; values?: unknown[] }) => Promise<{ rows: unknown[]; rowCount: number | null }> },
    sql: string, params: unknown[] | undefined, explicit: string | undefined, inTx: boolean) => {
    let replanned = false;
    let deadlocks = 0;
    for (;;) {
      const name = explicit ?? names.of(sql, params);
      try {
        return await (name ? c.query({ name, text: sql, values: params }) : c.query({ text: sql, values: params }));
      } catch (e) {
        const code = (e as { code?: string }).code;
        // Not retried inside a transaction: it is aborted, and only its caller can run it again from the start.
        if (inTx) throw e;
        // Changed by DDL of another process since it was prepared.
        if (code === '0A000' && name && !replanned) {
          replanned = true;
          names.invalidate();
          explicit = undefined;
          continue;
        }
        // Chosen as a deadlock's victim: the statement was rolled back whole, so running it again is safe.
        if (code === '40P01' && ++deadlocks < DEADLOCK_ATTEMPTS) continue;
        throw e;
      }
    }
  };
  const db: Db & { pool: unknown } = {
    engine: 'postgres',
    pool,
    async query<R>(sql: string, params?: unknown[], options?: QueryOptions) {
      const r = await run(pool, sql, params, options?.prepareAs, false);
      return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
    },
    async tx<T>(fn: (q: Queryable) => Promise<T>, options?: TxOptions) {
      const client = await pool.connect();
      try {
        await client.query(options?.isolation ? `BEGIN ISOLATION LEVEL ${options.isolation}` : 'BEGIN');
        const q: Queryable = {
          async query<R>(sql: string, params?: unknown[], qo?: QueryOptions) {
            const r = await run(client, sql, params, qo?.prepareAs, true);
            return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
          },
        };
        const result = await fn(q);
        await client.query('COMMIT');
        return result;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        client.release();
      }
    },
    async exec(sql: string) {
      names.invalidate();
      await pool.query(sql);
    },
    async close() {
      await pool.end();
    },
    listen: (channel, onNotify, onError) => listenPostgres(pg.Client, url, channel, onNotify, onError ?? (() => undefined)),
  };
  return db;
}

type PgClient = import('pg').Client;

async function listenPostgres(Client: typeof import('pg').Client, url: string, channel: string, onNotify: (payload: string) => void,
  onError: (e: unknown) => void): Promise<Listener> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
  let client: PgClient | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let backoffMs = 1000;
  const connect = async (): Promise<void> => {
    // Bounded connect (a process stopping waits for it), and TCP keepalive: an idle listening connection that a
    // network device dropped silently is noticed and made again instead of leaving its process to polls only.
    const c = new Client({ connectionString: url, application_name: LISTENER_APPLICATION_NAME, connectionTimeoutMillis: 10_000, keepAlive: true, keepAliveInitialDelayMillis: 30_000 });
    c.on('notification', (m) => {
      if (m.channel === channel) onNotify(m.payload ?? '');
    });
    // 'error' and 'end' both come when the connection is lost: make it again once.
    const lost = (e?: unknown) => {
      if (client !== c) return;
      onError(e ?? new Error('the listening connection ended'));
      client = undefined;
      reconnect();
    };
    c.on('error', lost);
    c.on('end', lost);
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
    } catch (e) {
      c.removeAllListeners('end');
      await c.end().catch(() => undefined);
      throw e;
    }
    if (closed) {
      await c.end().catch(() => undefined);
      return;
    }
    client = c;
    backoffMs = 1000;
  };
  const reconnect = (): void => {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      connect().then(() => {
        if (!closed) onNotify('');
      }, (e: unknown) => {
        onError(e);
        backoffMs = Math.min(30_000, backoffMs * 2);
        reconnect();
      });
    }, backoffMs);
    timer.unref();
  };
  await connect().catch((e: unknown) => {
    onError(e);
    reconnect();
  });
  return {
    async close() {
      closed = true;
      clearTimeout(timer);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}

/**
 * Names for statements with parameters, so that each pooled PostgreSQL connection parses and plans a statement text
 * once and later only binds and executes it (the pg driver sends Parse only for a name it has not prepared on that
 * connection). Statements without parameters stay unnamed (they may hold several commands). At most `max` texts
 * are named; later texts run unnamed, so SQL built with varying text cannot fill the connections' memory.
 * DDL through `exec` starts a new generation of names: a table changed since is never executed with an old plan's
 * row description (PostgreSQL would refuse it with 0A000).
 */
export class PreparedNames {
  readonly #names = new Map<string, string>();
  #generation = 0;
  constructor(private readonly max = 1000) {}

  of(sql: string, params: unknown[] | undefined): string | undefined {
    if (!params || params.length === 0) return undefined;
    let name = this.#names.get(sql);
    if (name === undefined && this.#names.size < this.max) {
      name = `mf${this.#generation}_${this.#names.size}`;
      this.#names.set(sql, name);
    }
    return name;
  }

  invalidate(): void {
    this.#names.clear();
    this.#generation++;
  }
}

/**
 * PostgreSQL settings of the embedded database. PGlite's WASM heap holds PostgreSQL's shared buffers (default
 * 128 MB) and never gives memory back, so they are kept small: the embedded database serves one process and the
 * operating system's file cache sits below it anyway.
 */
export const PGLITE_SETTINGS = ['-c', 'shared_buffers=32MB', '-c', 'temp_buffers=2MB'];

/**
 * Creates the embedded database in dataDir (PostgreSQL's initdb) in a short-lived child process. PGlite runs
 * initdb in a second WASM instance whose memory (several hundred MB) this process would otherwise keep for good.
 */
async function createPgliteDatabase(dataDir: string, startParams: string[]): Promise<void> {
  const script = [
    'const { PGlite } = await import(process.argv[1]);',
    'const db = new PGlite(process.argv[2], { startParams: JSON.parse(process.argv[3]) });',
    'await db.waitReady;',
    'await db.close();',
  ].join('\n');
  const args = ['--input-type=module', '-e', script, import.meta.resolve('@electric-sql/pglite'), dataDir, JSON.stringify(startParams)];
  await new Promise<void>((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolvePromise();
      else reject(new Error(`cannot create the embedded database in ${dataDir} (${signal ?? `exit ${code}`}): ${stderr.trim().split('\n').slice(-3).join(' ')}`));
    });
  });
}

/**
 * Where the embedded database runs: `worker` (default) in its own thread (pglite-thread.ts), so that its CPU is not
 * taken from the thread that runs meter sessions; `main` in the calling thread (PGlite's own query API), for
 * comparison and as a fallback. Environment: METERFABRIC_PGLITE_THREAD.
 */
export type PgliteThread = 'worker' | 'main';

export function pgliteThreadFromEnv(env: NodeJS.ProcessEnv = process.env): PgliteThread {
  const v = env.METERFABRIC_PGLITE_THREAD;
  if (v === undefined || v === '' || v === 'worker') return 'worker';
  if (v === 'main') return 'main';
  throw new Error(`METERFABRIC_PGLITE_THREAD must be worker or main, not ${JSON.stringify(v)}`);
}

async function openPglite(dataDir?: string, thread: PgliteThread = pgliteThreadFromEnv()): Promise<Db> {
  const { PGlite } = await import('@electric-sql/pglite');
  const onDisk = dataDir && dataDir !== 'memory://' ? dataDir : undefined;
  const startParams = [...PGlite.defaultStartParams, ...PGLITE_SETTINGS];
  if (onDisk && !existsSync(join(onDisk, 'PG_VERSION'))) await createPgliteDatabase(onDisk, startParams);
  if (thread === 'worker') {
    const { openPgliteThread } = await import('./pglite-thread.ts');
    return openPgliteThread(onDisk, startParams);
  }
  const pglite = new PGlite(onDisk, { startParams });
  await pglite.waitReady;
  // PGlite reports affectedRows 0 for SELECT, so a query's row count is whichever is larger.
  const wrap = (r: { rows: unknown[]; affectedRows?: number }) => ({ rows: r.rows, rowCount: Math.max(r.affectedRows ?? 0, r.rows.length) });
  const db: Db & { pglite: unknown } = {
    engine: 'pglite',
    pglite,
    async query<R>(sql: string, params?: unknown[]) {
      const r = await pglite.query(sql, params);
      return wrap(r) as QueryResult<R>;
    },
    async tx<T>(fn: (q: Queryable) => Promise<T>, options?: TxOptions) {
      return pglite.transaction(async (t) => {
        if (options?.isolation) await t.query(`SET TRANSACTION ISOLATION LEVEL ${options.isolation}`);
        const q: Queryable = {
          async query<R>(sql: string, params?: unknown[]) {
            const r = await t.query(sql, params);
            return wrap(r) as QueryResult<R>;
          },
        };
        return fn(q);
      });
    },
    async exec(sql: string) {
      await pglite.exec(sql);
    },
    async close() {
      await pglite.close();
    },
  };
  return db;
}

const migrationsDir = join(import.meta.dirname, 'migrations');

/**
 * Applies the numbered SQL files of ./migrations in name order, each once, each in its own transaction.
 * Files are named `NNNN_area_what.sql`; areas own number ranges (0000-0099 platform, 0100-0199 secrets,
 * 0200-0299 M-Bus keys and adapters, 0300-0399 api) so that areas never collide.
 */
export async function migrate(db: Db): Promise<string[]> {
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migration (
    name text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const applied = new Set((await db.query<{ name: string }>('SELECT name FROM schema_migration')).rows.map((r) => r.name));
  const files = readdirSync(migrationsDir).filter((f) => f.endsWith('.sql')).sort();
  const done: string[] = [];
  for (const file of files) {
    if (applied.has(file)) continue;
    const sql = readFileSync(join(migrationsDir, file), 'utf8');
    await db.tx(async (q) => {
      // Serialise concurrent migrators (several workers starting at once) on PostgreSQL.
      if (db.engine === 'postgres') await q.query('SELECT pg_advisory_xact_lock(7431001)');
      const again = await q.query('SELECT 1 FROM schema_migration WHERE name = $1', [file]);
      if (again.rowCount > 0) return;
      for (const statement of splitSql(sql)) await q.query(statement);
      await q.query('INSERT INTO schema_migration(name) VALUES ($1)', [file]);
    });
    done.push(file);
  }
  return done;
}

/** Splits a migration file on semicolons at line ends, keeping $$-quoted bodies whole. */
export function splitSql(sql: string): string[] {
  const out: string[] = [];
  let current = '';
  let inDollar = false;
  for (const line of sql.split('\n')) {
    const dollars = (line.match(/\$\$/g) ?? []).length;
    if (dollars % 2 === 1) inDollar = !inDollar;
    current += line + '\n';
    if (!inDollar && /;\s*(--.*)?$/.test(line)) {
      const s = current.trim();
      if (s.replace(/--.*$/gm, '').trim()) out.push(s);
      current = '';
    }
  }
  const rest = current.trim();
  if (rest.replace(/--.*$/gm, '').trim()) out.push(rest);
  return out;
}
