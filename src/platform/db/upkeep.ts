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
 * The queue tables are left alone (QUEUE_TABLES): they are empty between bursts and hold thousands of rows during
 * one, so statistics taken between bursts (VACUUM records the live row count too) made the planner expect an empty
 * queue in the next burst: the claim statement took 4–8 times the CPU. Never analyzed, a table is estimated from its
 * current size, which is what a queue needs. Their dead rows are pruned page by page by PostgreSQL as before.
 */
import type { Db } from './db.ts';
import { logger } from '../../observability/logger.ts';

export interface UpkeepPass {
  vacuumed: string[];
  analyzed: string[];
  ms: number;
}

/** Tables whose row count swings with the load (the work queue, gateway locks, connection permits). */
export const QUEUE_TABLES: readonly string[] = ['request_job', 'exchange_lock', 'connection_permit'];

export interface EmbeddedUpkeepOptions {
  /** Time between two passes (default 5 s); the first pass runs one interval after start. */
  intervalMs?: number;
  /** Tables never analyzed nor vacuumed (default QUEUE_TABLES). */
  skip?: readonly string[];
}

/** Tables of the public schema that are due, with autovacuum's default thresholds. */
const DUE_SQL = `SELECT name, v AS vacuum, a AS analyze FROM (
    SELECT s.relname, quote_ident(s.relname) AS name,
      (s.n_dead_tup > 50 + 0.2 * greatest(c.reltuples, 0) OR s.n_ins_since_vacuum > 1000 + 0.2 * greatest(c.reltuples, 0)) AS v,
      (s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0)) AS a
      FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
     WHERE s.schemaname = 'public' AND s.relname <> ALL($1::text[])
  ) t
 WHERE v OR a
 ORDER BY relname`;

export class EmbeddedUpkeep {
  readonly #db: Db;
  readonly #intervalMs: number;
  readonly #skip: string[];
  readonly #log = logger('db');
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<UpkeepPass> | undefined;
  #stopped = false;

  constructor(db: Db, options: EmbeddedUpkeepOptions = {}) {
    this.#db = db;
    this.#intervalMs = options.intervalMs ?? 5_000;
    this.#skip = [...(options.skip ?? QUEUE_TABLES)];
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
    const due = (await this.#db.query<{ name: string; vacuum: boolean; analyze: boolean }>(DUE_SQL, [this.#skip])).rows;
    const pass: UpkeepPass = { vacuumed: [], analyzed: [], ms: 0 };
    for (const t of due) {
      if (this.#stopped) break;
      if (t.vacuum) {
        await this.#db.exec(`VACUUM (ANALYZE ${t.analyze ? 'true' : 'false'}) ${t.name}`);
        pass.vacuumed.push(t.name);
      } else {
        await this.#db.exec(`ANALYZE ${t.name}`);
      }
      if (t.analyze) pass.analyzed.push(t.name);
    }
    pass.ms = performance.now() - started;
    if (due.length > 0) this.#log.debug({ vacuumed: pass.vacuumed, analyzed: pass.analyzed, ms: Math.round(pass.ms) }, 'embedded database upkeep');
    return pass;
  }

  /** Stops the timer and waits for a pass that is running. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }
}
