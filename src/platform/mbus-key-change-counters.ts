/**
 * The M-Bus key change counter per gas meter (table mbus_key_change_counter, migration 0200): the counter that
 * goes with each new M-Bus user key (docs/dlms.md#m-bus-key-transfer). It only ever rises.
 */
import type { Queryable } from './db/db.ts';
import { ErrorCode, MeterfabricError } from '../errors.ts';
import { batcherOf } from './batch.ts';
import { perKey } from './invocation-counters.ts';

/**
 * The next counter value for the M-Bus device: one more than the last one, and at least `atLeast` (what the meter
 * reported). Atomic; concurrent callers get distinct values. Throws when the 32-bit counter is exhausted.
 */
export async function nextMbusKeyChangeCounter(q: Queryable, mbusDeviceIdentification: string, atLeast: number): Promise<number> {
  // Counters of different meters drawn at the same time share one statement (committed before any is returned);
  // a meter named twice in one batch gets a statement per draw, so each draw is distinct.
  const run = async (items: Array<[string, number]>) => {
    const r = await q.query<{ device_identification: string; last_value: number | string }>(
      `INSERT INTO mbus_key_change_counter (device_identification, last_value) SELECT d, v FROM unnest($1::text[], $2::bigint[]) AS x(d, v)
       ON CONFLICT (device_identification) DO UPDATE
         SET last_value = GREATEST(mbus_key_change_counter.last_value + 1, EXCLUDED.last_value), updated_at = now()
       RETURNING device_identification, last_value`,
      [items.map((i) => i[0]), items.map((i) => String(i[1]))],
    );
    const byId = new Map(r.rows.map((row) => [row.device_identification, Number(row.last_value)]));
    return items.map((i) => byId.get(i[0])!);
  };
  const v = await batcherOf<{ key: string; atLeast: number }, number>(q, 'mbus.keyChangeCounter', (items) => {
    const rows = (xs: typeof items) => run(xs.map((i): [string, number] => [i.key, i.atLeast]));
    return perKey(items, rows, async (i) => (await rows([i]))[0]!);
  }).submit({ key: mbusDeviceIdentification, atLeast });
  if (v > 0xffffffff) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `key change counter of ${mbusDeviceIdentification} is exhausted`, { retryable: false });
  return v;
}
