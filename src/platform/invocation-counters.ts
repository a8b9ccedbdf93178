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

/** The same operations bound to one database, for the session layer's InvocationCounterStore. */
export class DbInvocationCounterStore {
  constructor(private readonly q: Queryable) {}
  reserve(key: string, size: number, atLeast = 0): Promise<InvocationCounterBlock> {
    return reserveInvocationCounters(this.q, key, size, atLeast);
  }
  get(key: string): Promise<number | undefined> {
    return getInvocationCounter(this.q, key);
  }
  raise(key: string, value: number): Promise<void> {
    return raiseInvocationCounter(this.q, key, value);
  }
}
