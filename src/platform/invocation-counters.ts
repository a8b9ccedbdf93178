/**
 * Persistent DLMS invocation counters (docs/gxf.md#where-meterfabric-differs item 19; docs/dlms.md). A session reserves a block of
 * counter values that is written to the database BEFORE any value in it is used, so a crash can only skip
 * values, never reuse one. The stored value never goes down: an attempt to lower it is error 808.
 */
import type { Queryable } from './db/db.ts';
import { ErrorCode, MeterfabricError } from '../errors.ts';

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
  const r = await q.query<{ reserved_until: number | string }>(
    `INSERT INTO invocation_counter (counter_key, reserved_until) VALUES ($1, $2::bigint + $3::bigint)
     ON CONFLICT (counter_key) DO UPDATE
       SET reserved_until = GREATEST(invocation_counter.reserved_until, $2::bigint) + $3::bigint, updated_at = now()
     RETURNING reserved_until`,
    [key, atLeast, size],
  );
  const end = Number(r.rows[0]!.reserved_until);
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
      const r = await this.q.query<{ reserved_until: number | string }>(
        `UPDATE invocation_counter SET reserved_until = reserved_until + $2::bigint, updated_at = now() WHERE counter_key = $1 RETURNING reserved_until`,
        [key, this.#prefetch],
      );
      if (r.rows[0]) {
        const end = Number(r.rows[0].reserved_until);
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
