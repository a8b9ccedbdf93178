/**
 * GXF's device_function_mapping (docs/gxf.md#device-functions): which function group holds which device function.
 * The rows are declared by the operation catalogue (src/operations/catalogue.ts) and written here when the
 * executors are registered, so the authorisation check (docs/gxf.md#authorisation-check) follows the catalogue.
 */
import type { Db } from './db/db.ts';

export interface DeviceFunctionRow {
  functionGroup: string;
  deviceFunction: string;
}

/**
 * Makes the non-OWNER rows exactly `rows` and adds the OWNER rows given (OWNER holds every function anyway; rows
 * of functions the catalogue does not serve stay).
 */
export async function syncDeviceFunctionMapping(db: Db, rows: readonly DeviceFunctionRow[]): Promise<void> {
  const groups = rows.map((r) => r.functionGroup);
  const functions = rows.map((r) => r.deviceFunction);
  await db.tx(async (q) => {
    await q.query(
      `DELETE FROM device_function_mapping m WHERE m.function_group <> 'OWNER' AND NOT EXISTS (
         SELECT 1 FROM unnest($1::text[], $2::text[]) AS r(g, f) WHERE r.g = m.function_group AND r.f = m.device_function)`,
      [groups, functions],
    );
    await q.query(
      `INSERT INTO device_function_mapping (function_group, device_function)
       SELECT g, f FROM unnest($1::text[], $2::text[]) AS r(g, f) ON CONFLICT DO NOTHING`,
      [groups, functions],
    );
  });
}
