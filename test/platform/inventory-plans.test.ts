/**
 * Lookups on the hot path keep their index whatever the planner statistics say. The embedded database has no
 * autovacuum, so statistics taken before an import can be far from the table (here: taken with E-meters only, then
 * 2,000 G-meters imported); a cached generic plan built from them must still probe the index, not read the table.
 * The same for the accept of a batch of requests, whose batch the planner always expects to be 100 rows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addDevice, addOrganisation, findMbusDeviceByIdentity, MBUS_IDENTITY_LOOKUP_SQL } from '../../src/platform/inventory.ts';
import { engines, engineOptions, freshDb } from '../support/db.ts';
import { ACCEPT_SQL } from '../../src/platform/platform.ts';
import { randomUUID } from 'node:crypto';

const ORG = 'org-a';

for (const engine of engines) {
  test(`the G-meter lookup by M-Bus identity probes device_mbus_identity with statistics from before an import on ${engine}`, engineOptions(engine), async () => {
    const { db, dispose } = await freshDb(engine);
    try {
      await addOrganisation(db, { identification: ORG, name: 'Organisation A' });
      for (let i = 1; i <= 20; i++) {
        await addDevice(db, {
          deviceIdentification: `E00000000000000${String(i).padStart(2, '0')}`, deviceType: 'SMART_METER_E', protocolName: 'SMR', protocolVersion: '5.1',
          host: '127.0.0.1', port: 4059, mbusIdentificationNumber: i === 1 ? '00000001' : null, mbusManufacturerIdentification: i === 1 ? 'EMT' : null,
          ownerOrganisationIdentification: ORG,
        });
      }
      await db.exec('ANALYZE device');
      await db.exec(`INSERT INTO device (device_identification, device_type, mbus_identification_number, mbus_manufacturer_identification)
        SELECT 'G' || lpad(g::text, 16, '0'), 'SMART_METER_G', lpad(g::text, 8, '0'), 'ITG' FROM generate_series(1, 2000) g`);

      const plan = await db.tx(async (q) => {
        await q.query('SET LOCAL plan_cache_mode = force_generic_plan');
        await q.query(`PREPARE mbus_lookup AS ${MBUS_IDENTITY_LOOKUP_SQL}`);
        const numbers = Array.from({ length: 10 }, (_, i) => String(i + 1).padStart(8, '0'));
        const r = await q.query<Record<string, string>>(`EXPLAIN EXECUTE mbus_lookup('{${numbers.join(',')}}', '{${numbers.map(() => 'ITG').join(',')}}')`);
        await q.query('DEALLOCATE mbus_lookup');
        return r.rows.map((row) => Object.values(row)[0]).join('\n');
      });
      assert.match(plan, /device_mbus_identity/, plan);
      assert.doesNotMatch(plan, /Hash Join|Seq Scan on device|device_type_identification/, plan);

      // What it finds: G-meters only, each by its own identity, one statement for lookups made together.
      const [a, b, none, emeter] = await Promise.all([
        findMbusDeviceByIdentity(db, '00000007', 'ITG'),
        findMbusDeviceByIdentity(db, '00001999', 'ITG'),
        findMbusDeviceByIdentity(db, '00000007', 'XYZ'),
        findMbusDeviceByIdentity(db, '00000001', 'EMT'),
      ]);
      assert.equal(a?.deviceIdentification, 'G0000000000000007');
      assert.equal(b?.deviceIdentification, 'G0000000000001999');
      assert.equal(none, undefined);
      assert.equal(emeter, undefined, 'an E-meter with that identity is not a G-meter');
    } finally {
      await dispose();
    }
  });
}

for (const engine of engines) {
  test(`the accept of a few requests probes each device by its key, not the whole table, with 8,000 devices on ${engine}`, engineOptions(engine), async () => {
    const { db, dispose } = await freshDb(engine);
    try {
      await addOrganisation(db, { identification: ORG, name: 'Organisation A' });
      await db.exec(`INSERT INTO device (device_identification, device_type)
        SELECT 'E' || lpad(g::text, 16, '0'), 'SMART_METER_E' FROM generate_series(1, 8000) g`);
      await db.exec('ANALYZE device');
      const rows = Array.from({ length: 4 }, (_, i) => ({
        correlation_uid: `c${i}`, organisation_identification: ORG, user_name: 'u', application_name: 'a', device_identification: `E${String(i + 1).padStart(16, '0')}`,
        message_type: 'SCAN_MBUS_CHANNELS', payload: {}, priority: 4, schedule_time: null, max_schedule_time: null, bypass_retry: false, channel: 'REST',
        lock_key: null, job_id: randomUUID(), response_url: null, trace_parent: null,
      }));
      for (const mode of ['force_generic_plan', 'force_custom_plan']) {
        const plan = await db.tx(async (q) => {
          await q.query(`SET LOCAL plan_cache_mode = ${mode}`);
          await q.query(`PREPARE accept(jsonb) AS ${ACCEPT_SQL}`);
          const r = await q.query<Record<string, string>>(`EXPLAIN EXECUTE accept('${JSON.stringify(rows)}')`);
          await q.query('DEALLOCATE accept');
          return r.rows.map((row) => Object.values(row)[0]).join('\n');
        });
        assert.match(plan, /Index (Only )?Scan using \w+ on device d/, `${mode}:\n${plan}`);
        assert.doesNotMatch(plan, /Seq Scan on device d/, `${mode}:\n${plan}`);
      }
    } finally {
      await dispose();
    }
  });
}
