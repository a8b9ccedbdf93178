/**
 * Persistent DLMS invocation counters (docs/gxf.md#where-meterfabric-differs item 19; docs/dlms.md). A session reserves a block of
 * counter values that is written to the database BEFORE any value in it is used, so a crash can only skip
 * values, never reuse one. The stored value never goes down: an attempt to lower it is error 808.
 */
import type { Queryable } from './db/db.ts';
import { ErrorCode, MeterfabricError } from '../errors.ts';
import { batcherOf } from './batch.ts';

/**
 * Runs `all` once for the whole batch; `one` per item when a key repeats in the batch (one statement must not
 * change a row twice) or when the batch's statement failed (so one item's error is only its caller's).
 */
export async function perKey<I extends { key: string }, R>(items: I[], all: (items: I[]) => Promise<R[]>, one: (item: I) => Promise<R>): Promise<Array<R | Error>> {
  if (new Set(items.map((i) => i.key)).size === items.length) {
    try {
      return await all(items);
    } catch (e) {
      if (items.length === 1) return [e instanceof Error ? e : new Error(String(e))];
    }
  }
  const out: Array<R | Error> = [];
  for (const i of items) out.push(await one(i).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e)))));
  return out;
}

export interface InvocationCounterBlock {
  /** First value the caller may use. */
  first: number;
  /** One past the last value the caller may use (the new persisted high-water mark). */
  end: number;
}

/**
 * Reserves `size` values for `key` (e.g. `<deviceIdentification>/<client>`), starting no lower than `atLeast`
 * (the counter the meter reported, + 1). Atomic; concurrent reservers get disjoint blocks.
 */
export async function reserveInvocationCounters(q: Queryable, key: string, size: number, atLeast = 0): Promise<InvocationCounterBlock> {
  if (!Number.isSafeInteger(size) || size < 1) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, 'block size must be a positive integer', { component: 'SHARED' });
  // Reservations of the same size made at the same time (concurrent sessions) are written by one statement, which
  // commits before any of them is handed out.
  const sql = `INSERT INTO invocation_counter (counter_key, reserved_until) SELECT k, a + $3::bigint FROM unnest($1::text[], $2::bigint[]) AS x(k, a)
     ON CONFLICT (counter_key) DO UPDATE
       SET reserved_until = GREATEST(invocation_counter.reserved_until + $3::bigint, EXCLUDED.reserved_until), updated_at = now()
     RETURNING counter_key, reserved_until`;
  const run = async (items: Array<{ key: string; atLeast: number }>) => {
    const r = await q.query<{ counter_key: string; reserved_until: number | string }>(sql, [items.map((i) => i.key), items.map((i) => String(i.atLeast)), size]);
    const byKey = new Map(r.rows.map((row) => [row.counter_key, Number(row.reserved_until)]));
    return items.map((i) => byKey.get(i.key)!);
  };
  const end = await batcherOf<{ key: string; atLeast: number }, number>(q, `counter.reserve.${size}`, (items) =>
    perKey(items, run, async (i) => (await run([i]))[0]!)).submit({ key, atLeast });
  return { first: end - size, end };
}

/** The persisted high-water mark (the next value a new reservation starts from), or undefined when none. */
export async function getInvocationCounter(q: Queryable, key: string): Promise<number | undefined> {
  const r = await q.query<{ reserved_until: number | string }>('SELECT reserved_until FROM invocation_counter WHERE counter_key = $1', [key]);
  return r.rows[0] ? Number(r.rows[0].reserved_until) : undefined;
}

/** Raises the mark to `value`; equal is a no-op; lower throws 808 ATTEMPT_TO_LOWER_INVOCATION_COUNTER. */
export async function raiseInvocationCounter(q: Queryable, key: string, value: number): Promise<void> {
  if (!Number.isSafeInteger(value) || value < 0) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, 'invocation counter must be a non-negative integer', { component: 'SHARED' });
  const r = await q.query<{ reserved_until: number | string }>(
    `INSERT INTO invocation_counter (counter_key, reserved_until) VALUES ($1, $2)
     ON CONFLICT (counter_key) DO UPDATE SET reserved_until = $2, updated_at = now()
       WHERE invocation_counter.reserved_until <= $2
     RETURNING reserved_until`,
    [key, value],
  );
  if (r.rows.length === 0) {
    throw new MeterfabricError(ErrorCode.ATTEMPT_TO_LOWER_INVOCATION_COUNTER, `Invocation counter of ${key} cannot be lowered`, { component: 'PROTOCOL_DLMS' });
  }
}

/**
 * The same operations bound to one database, for the session layer's InvocationCounterStore. With `remember`, the
 * value last read or written through this instance answers `get` without a query: for an instance that lives as
 * long as one request, whose gateway's exchange lock keeps every other writer of that counter out meanwhile
 * (reserve still goes to the database, which alone decides whether a value may be used). Two more savings then:
 * - `prefetch: n`: the first `get` of a key reserves the next n values in the same statement (an UPDATE returning
 *   the new mark instead of a SELECT), and the next `reserve` of n values takes that block without a statement. A
 *   block not taken is skipped, never reused: values are still persisted before they are used.
 * - `raise` is not written on its own: the value is remembered and the next reservation starts no lower than it
 *   (GREATEST in the same statement). A raise lost to a crash only means the meter's counter is read again.
 *   Lowering below the value this instance knows is still refused with 808.
 */
export class DbInvocationCounterStore {
  readonly #known: Map<string, number | undefined> | undefined;
  readonly #prefetch: number;
  /** Blocks reserved by `get`, not yet handed out. */
  readonly #blocks = new Map<string, InvocationCounterBlock>();
  /** Raised values not yet written (the next reservation writes them). */
  readonly #raised = new Map<string, number>();
  constructor(private readonly q: Queryable, options: { remember?: boolean; prefetch?: number } = {}) {
    if (options.remember) this.#known = new Map();
    this.#prefetch = options.remember && options.prefetch && Number.isSafeInteger(options.prefetch) && options.prefetch > 0 ? options.prefetch : 0;
  }
  async reserve(key: string, size: number, atLeast = 0): Promise<InvocationCounterBlock> {
    const need = Math.max(atLeast, this.#raised.get(key) ?? 0);
    const ready = this.#blocks.get(key);
    this.#blocks.delete(key);
    if (ready && ready.end - ready.first === size && ready.first >= need) {
      this.#known?.set(key, ready.end);
      return ready;
    }
    const block = await reserveInvocationCounters(this.q, key, size, need);
    this.#raised.delete(key);
    this.#known?.set(key, block.end);
    return block;
  }
  async get(key: string): Promise<number | undefined> {
    if (this.#known?.has(key)) return this.#known.get(key);
    let value: number | undefined;
    if (this.#prefetch > 0) {
      // Reads of concurrent sessions share one statement (committed before any block is handed out).
      const q = this.q;
      const size = this.#prefetch;
      const run = async (items: Array<{ key: string }>) => {
        const r = await q.query<{ counter_key: string; reserved_until: number | string }>(
          `UPDATE invocation_counter SET reserved_until = reserved_until + $2::bigint, updated_at = now() WHERE counter_key = ANY($1::text[])
           RETURNING counter_key, reserved_until`,
          [items.map((i) => i.key), size],
        );
        const byKey = new Map(r.rows.map((row) => [row.counter_key, Number(row.reserved_until)]));
        return items.map((i) => byKey.get(i.key));
      };
      const found = await batcherOf<{ key: string }, number | undefined>(q, `counter.prefetch.${size}`, (items) =>
        perKey(items, run, async (i) => (await run([i]))[0])).submit({ key });
      if (found !== undefined) {
        const end = found;
        this.#blocks.set(key, { first: end - this.#prefetch, end });
        value = end - this.#prefetch;
      }
    } else {
      value = await getInvocationCounter(this.q, key);
    }
    this.#known?.set(key, value);
    return value;
  }
  async raise(key: string, value: number): Promise<void> {
    if (this.#known) {
      if (!Number.isSafeInteger(value) || value < 0) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, 'invocation counter must be a non-negative integer', { component: 'SHARED' });
      const known = this.#known.get(key);
      if (known !== undefined && value < known) {
        throw new MeterfabricError(ErrorCode.ATTEMPT_TO_LOWER_INVOCATION_COUNTER, `Invocation counter of ${key} cannot be lowered`, { component: 'PROTOCOL_DLMS' });
      }
      this.#raised.set(key, value);
      this.#known.set(key, value);
      return;
    }
    await raiseInvocationCounter(this.q, key, value);
  }
}
