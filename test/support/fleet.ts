/** A fleet of devices written in two statements, for the fleet view's tests. */
import type { Queryable } from '../../src/platform/db/db.ts';

/** n devices `${prefix}NNNNNN` owned by org: every fifth a G-meter, even ones SMR 5.1, odd ones SMR 5.0.0. */
export async function seedFleet(db: Queryable, org: string, prefix: string, n: number): Promise<void> {
  await db.query(
    `INSERT INTO device (device_identification, device_type, protocol_name, protocol_version)
     SELECT $1 || lpad(i::text, 6, '0'), CASE WHEN i % 5 = 0 THEN 'SMART_METER_G' ELSE 'SMART_METER_E' END, 'SMR', CASE WHEN i % 2 = 0 THEN '5.1' ELSE '5.0.0' END
       FROM generate_series(1, $2::int) i`,
    [prefix, n],
  );
  await db.query(
    `INSERT INTO device_authorisation (device_identification, organisation_identification, function_group)
     SELECT $1 || lpad(i::text, 6, '0'), $3, 'OWNER' FROM generate_series(1, $2::int) i`,
    [prefix, n, org],
  );
}

