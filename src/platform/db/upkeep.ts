/**
 * Upkeep of the embedded database: the VACUUM and ANALYZE that PostgreSQL's autovacuum does on a server. PGlite runs
 * PostgreSQL in single-user mode, which starts no autovacuum, so without this the embedded database would never
 * update its planner statistics nor reclaim dead rows (src/platform/README.md "Upkeep of the embedded database"):
 *
 * - Statistics: a statement prepared while a table was small keeps its plan until the table's statistics change.
 *   After an import of 2,000 G-meters the device lookups kept reading the whole table (2.5–8 ms a statement instead
 *   of under 0.1); ANALYZE invalidates those plans, so they are planned again on the next execution.
 * - Dead rows: every request updates and deletes rows (queue, request, notifications, secrets, retention); without
 *   VACUUM the tables and their indexes only grow.
 *
 * The rules are autovacuum's defaults: VACUUM a table with more than 50 + 20 % dead rows, or 1,000 + 20 % rows
 * inserted since its last vacuum; ANALYZE one with more than 50 + 10 % rows changed since its last analyze. Each
 * table is its own statement, so other statements run between them; a pass with nothing to do costs two queries.
 *
 * The queue tables (QUEUE_TABLES) are never analyzed and are not vacuumed while a burst may be running. They are empty
 * between bursts and hold thousands of rows during one; a VACUUM or ANALYZE records what the table held at that
 * moment, and the claim statement took 3–4 times its CPU in the next burst (0.08–0.09 → 0.23–0.33 ms of the database
 * thread per operation, bench/scale.ts). Never vacuumed, a table is estimated from its current size, which is what a
 * queue needs. Without VACUUM their space is never reused either: every 2,000 requests add 40 pages to `request_job`
 * and more to its indexes, without end. So a queue table with dead rows is TRUNCATEd
 * once it is empty (under a lock, in one transaction: nothing is lost, and the table is as new, with no statistics);
 * one that has not been empty for `queueVacuumAfterMs` (default 10 minutes: under steady load, or holding requests
 * scheduled for later) is vacuumed without ANALYZE, so that it cannot grow without bound.
 */
import type { Db } from './db.ts';
import { logger } from '../../observability/logger.ts';

export interface UpkeepPass {
  vacuumed: string[];
  analyzed: string[];
  /** Queue tables that were empty, with dead rows: truncated. */
  truncated: string[];
  ms: number;
}

/** Tables whose row count swings with the load (the work queue, gateway locks, connection permits). */
export const QUEUE_TABLES: readonly string[] = ['request_job', 'exchange_lock', 'connection_permit'];

export interface EmbeddedUpkeepOptions {
  /** Time between two passes (default 5 s); the first pass runs one interval after start. */
  intervalMs?: number;
  /** Tables never analyzed, truncated when empty (default QUEUE_TABLES). */
  queueTables?: readonly string[];
  /** A queue table with dead rows that has not been empty for this long is vacuumed (default 10 minutes). */
  queueVacuumAfterMs?: number;
}

/**
 * Tables of the public schema that are due, with autovacuum's default thresholds; a queue table ($1) only by its dead
 * rows (its inserts are all deleted again) and never for ANALYZE.
 */
const DUE_SQL = `SELECT relname, quote_ident(relname) AS name, queue, v AS vacuum, a AS analyze FROM (
    SELECT relname, queue,
      (dead > 50 + 0.2 * n OR (NOT queue AND inserted > 1000 + 0.2 * n)) AS v,
      (NOT queue AND changed > 50 + 0.1 * n) AS a
      FROM (
        SELECT s.relname, s.relname = ANY($1::text[]) AS queue, greatest(c.reltuples, 0) AS n,
               s.n_dead_tup AS dead, s.n_ins_since_vacuum AS inserted, s.n_mod_since_analyze AS changed
          FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
         WHERE s.schemaname = 'public'
      ) counts
  ) t
 WHERE v OR a
 ORDER BY relname`;

export class EmbeddedUpkeep {
  readonly #db: Db;
  readonly #intervalMs: number;
  readonly #queueTables: string[];
  readonly #queueVacuumAfterMs: number;
  /** When each queue table was last seen empty or vacuumed (from start: a fresh head-end has not waited yet). */
  readonly #queueClean = new Map<string, number>();
  readonly #log = logger('db');
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<UpkeepPass> | undefined;
  #stopped = false;

  constructor(db: Db, options: EmbeddedUpkeepOptions = {}) {
    this.#db = db;
    this.#intervalMs = options.intervalMs ?? 5_000;
    this.#queueTables = [...(options.queueTables ?? QUEUE_TABLES)];
    this.#queueVacuumAfterMs = options.queueVacuumAfterMs ?? 600_000;
    for (const t of this.#queueTables) this.#queueClean.set(t, Date.now());
  }

  start(): void {
    if (this.#timer || this.#stopped) return;
    this.#timer = setInterval(() => {
      if (this.#running) return;
      void this.runOnce().catch((e: unknown) => this.#log.warn({ err: e }, 'embedded database upkeep failed; the next pass tries again'));
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /** One pass: vacuums and analyzes the tables that are due. Passes never overlap. */
  runOnce(): Promise<UpkeepPass> {
    this.#running ??= this.#pass().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #pass(): Promise<UpkeepPass> {
    const started = performance.now();
    // This connection's table counters reach pg_stat_user_tables when it next goes idle; ask for it now.
    await this.#db.query('SELECT pg_stat_force_next_flush()');
    const due = (await this.#db.query<{ relname: string; name: string; queue: boolean; vacuum: boolean; analyze: boolean }>(DUE_SQL, [this.#queueTables])).rows;
    const pass: UpkeepPass = { vacuumed: [], analyzed: [], truncated: [], ms: 0 };
    for (const t of due) {
      if (this.#stopped) break;
      if (t.queue) {
        if (await this.#truncateIfEmpty(t.name)) {
          pass.truncated.push(t.name);
          this.#queueClean.set(t.relname, Date.now());
        } else if (Date.now() - (this.#queueClean.get(t.relname) ?? 0) >= this.#queueVacuumAfterMs) {
          await this.#db.exec(`VACUUM (ANALYZE false) ${t.name}`);
          pass.vacuumed.push(t.name);
          this.#queueClean.set(t.relname, Date.now());
        }
      } else if (t.vacuum) {
        await this.#db.exec(`VACUUM (ANALYZE ${t.analyze ? 'true' : 'false'}) ${t.name}`);
        pass.vacuumed.push(t.name);
      } else {
        await this.#db.exec(`ANALYZE ${t.name}`);
      }
      if (t.analyze) pass.analyzed.push(t.name);
    }
    pass.ms = performance.now() - started;
    if (due.length > 0) this.#log.debug({ vacuumed: pass.vacuumed, analyzed: pass.analyzed, truncated: pass.truncated, ms: Math.round(pass.ms) }, 'embedded database upkeep');
    return pass;
  }

  /**
   * TRUNCATE of a queue table that holds no live row, checked under an exclusive lock in the same transaction (on the
   * embedded database nothing else runs meanwhile, so no row can arrive in between). Returns whether it truncated.
   */
  #truncateIfEmpty(name: string): Promise<boolean> {
    return this.#db.tx(async (q) => {
      await q.query(`LOCK TABLE ${name} IN ACCESS EXCLUSIVE MODE`);
      const busy = (await q.query<{ busy: boolean }>(`SELECT EXISTS (SELECT FROM ${name}) AS busy`)).rows[0]!.busy;
      if (!busy) await q.query(`TRUNCATE ${name}`);
      return !busy;
    });
  }

  /** Stops the timer and waits for a pass that is running. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }
}
