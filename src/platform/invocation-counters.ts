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
 * (reserve and raise still go to the database, which alone decides whether a value may be used).
 */
export class DbInvocationCounterStore {
  readonly #known: Map<string, number | undefined> | undefined;
  constructor(private readonly q: Queryable, options: { remember?: boolean } = {}) {
    if (options.remember) this.#known = new Map();
  }
  async reserve(key: string, size: number, atLeast = 0): Promise<InvocationCounterBlock> {
    const block = await reserveInvocationCounters(this.q, key, size, atLeast);
    this.#known?.set(key, block.end);
    return block;
  }
  async get(key: string): Promise<number | undefined> {
    if (this.#known?.has(key)) return this.#known.get(key);
    const value = await getInvocationCounter(this.q, key);
    this.#known?.set(key, value);
    return value;
  }
  async raise(key: string, value: number): Promise<void> {
    try {
      await raiseInvocationCounter(this.q, key, value);
      this.#known?.set(key, value);
    } catch (e) {
      this.#known?.delete(key);
      throw e;
    }
  }
}
