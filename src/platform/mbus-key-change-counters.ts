/**
 * The M-Bus key change counter per gas meter (table mbus_key_change_counter, migration 0200): the counter that
 * goes with each new M-Bus user key (docs/dlms.md#m-bus-key-transfer). It only ever rises.
 */
import type { Queryable } from './db/db.ts';
import { ErrorCode, MeterfabricError } from '../errors.ts';

/**
 * The next counter value for the M-Bus device: one more than the last one, and at least `atLeast` (what the meter
 * reported). Atomic; concurrent callers get distinct values. Throws when the 32-bit counter is exhausted.
 */
export async function nextMbusKeyChangeCounter(q: Queryable, mbusDeviceIdentification: string, atLeast: number): Promise<number> {
  const r = await q.query<{ last_value: number }>(
    `INSERT INTO mbus_key_change_counter (device_identification, last_value) VALUES ($1, $2)
     ON CONFLICT (device_identification) DO UPDATE
       SET last_value = GREATEST(mbus_key_change_counter.last_value + 1, EXCLUDED.last_value), updated_at = now()
     RETURNING last_value`,
    [mbusDeviceIdentification, atLeast],
  );
  const v = Number(r.rows[0]!.last_value);
  if (v > 0xffffffff) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `key change counter of ${mbusDeviceIdentification} is exhausted`, { retryable: false });
  return v;
}
