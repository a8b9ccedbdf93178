/** dbAlarmReader (src/api/rest/alarms.ts) on both engines: the caller's alarms only, newest first; 201 and 301. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dbAlarmReader } from '../../../src/api/rest/alarms.ts';
import { addDevice, addOrganisation } from '../../../src/platform/inventory.ts';
import { isMeterfabricError } from '../../../src/errors.ts';
import { engines, engineOptions, freshDb } from '../../support/db.ts';

const GW = 'E0051004000000117';

for (const engine of engines) {
  test(`${engine}: alarms of a device for its organisation`, engineOptions(engine), async () => {
    const { db, dispose } = await freshDb(engine);
    try {
      await addOrganisation(db, { identification: 'owner-org' });
      await addOrganisation(db, { identification: 'stranger-org' });
      await addDevice(db, { deviceIdentification: GW, deviceType: 'SMART_METER_E', protocolName: 'SMR', protocolVersion: '5.0.0', host: '127.0.0.1', port: 4059, ownerOrganisationIdentification: 'owner-org' });
      const insert = (uid: string, type: string, at: string) =>
        db.query(
          `INSERT INTO response_data (correlation_uid, organisation_identification, device_identification, message_type, result_type, message_data, created_at)
           VALUES ($1, 'owner-org', $2, $3, 'OK', $4, $5)`,
          [uid, GW, type, JSON.stringify({ data: { alarms: ['POWER_UP'], unknownBits: [] } }), at],
        );
      await insert('a'.repeat(32), 'PUSH_NOTIFICATION_ALARM', '2026-11-24T04:00:00Z');
      await insert('b'.repeat(32), 'PUSH_NOTIFICATION_ALARM', '2026-11-24T05:00:00Z');
      await insert('owner-org|||x|||1|||c', 'SCAN_MBUS_CHANNELS', '2026-11-24T05:30:00Z');
      const reader = dbAlarmReader(db);
      const list = await reader.listForDevice('owner-org', GW, 10);
      assert.deepEqual(list.map((a) => a.correlationUid), ['b'.repeat(32), 'a'.repeat(32)]);
      assert.deepEqual(list[0]!.data, { alarms: ['POWER_UP'], unknownBits: [] });
      assert.equal(list[0]!.createdAt.toISOString(), '2026-11-24T05:00:00.000Z');
      assert.equal((await reader.listForDevice('owner-org', GW, 1)).length, 1);
      await assert.rejects(reader.listForDevice('stranger-org', GW, 10), (e) => isMeterfabricError(e) && e.code === 301);
      await assert.rejects(reader.listForDevice('owner-org', 'E0000000000000000', 10), (e) => isMeterfabricError(e) && e.code === 201);
      const fetched = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM response_data WHERE fetched_at IS NOT NULL');
      assert.equal(fetched.rows[0]!.n, 0, 'listing marks nothing fetched');
    } finally {
      await dispose();
    }
  });
}
