/**
 * The device message log (src/platform/message-log.ts): the writer queues APDUs and writes them in batches, pages
 * come newest first from page 0, the bytes are stored as they were sent, and retention removes old rows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RETENTION, PLATFORM_RETENTION_STEPS, runRetention } from '../../src/platform/retention.ts';
import { addDevice, addOrganisation } from '../../src/platform/inventory.ts';
import { findMessageLogs, isDebugging, MessageLogWriter, setDebugMode } from '../../src/platform/message-log.ts';
import { engines, engineOptions, freshDb } from '../support/db.ts';

const GW = 'E0051004000000091';
const hex = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');

for (const engine of engines) {
  test(`message log on ${engine}: debug flag, batched writes, paging, retention`, engineOptions(engine), async () => {
    const { db, dispose } = await freshDb(engine);
    try {
      await addOrganisation(db, { identification: 'org' });
      await addDevice(db, { deviceIdentification: GW, deviceType: 'SMART_METER_E', ownerOrganisationIdentification: 'org' });
      assert.equal(await isDebugging(db, GW), false);
      assert.equal(await setDebugMode(db, GW, true), true);
      assert.equal(await isDebugging(db, GW), true);
      assert.equal(await setDebugMode(db, 'E0051004000000000', true), false, 'unknown device');

      // The observer only queues: nothing is in the table until a flush (no timer runs in this test: flushMs is long).
      const writer = new MessageLogWriter(db, { flushMs: 60_000, maxBatch: 1000 });
      const observe = writer.observer(GW, { organisationIdentification: 'org', correlationUid: 'cid', messageType: 'SYNCHRONIZE_TIME' });
      const request = hex('CB 15 30 0000002A 00112233445566778899AABBCCDDEEFF');
      const response = hex('CF 15 30 00000007 FFEEDDCCBBAA99887766554433221100');
      for (let i = 0; i < 35; i++) {
        observe(request, false);
        observe(response, true);
      }
      assert.equal((await findMessageLogs(db, { deviceIdentification: GW, page: 0 })).totalPages, 0);
      await writer.flush();
      const p0 = await findMessageLogs(db, { deviceIdentification: GW, page: 0 });
      assert.equal(p0.totalPages, 3, '70 rows, 30 a page');
      assert.equal(p0.messageLogs.length, 30);
      const p2 = await findMessageLogs(db, { deviceIdentification: GW, page: 2 });
      assert.equal(p2.messageLogs.length, 10);
      assert.deepEqual((await findMessageLogs(db, { deviceIdentification: GW, page: 3 })).messageLogs, []);
      const row = p0.messageLogs.find((m) => !m.incoming)!;
      assert.equal(row.encodedMessage, request.toString('hex').toUpperCase());
      assert.equal(row.decodedMessage, 'SYNCHRONIZE_TIME (cid) - glo-action-request, SC 0x30, IC 42, 16 byte(s) ciphered');
      assert.deepEqual([row.apduType, row.size, row.organisationIdentification, row.deviceIdentification, row.valid], ['glo-action-request', 23, 'org', GW, true]);
      const times = [...p0.messageLogs, ...p2.messageLogs].map((m) => m.timestamp);
      assert.deepEqual(times, [...times].sort().reverse(), 'newest first');
      await assert.rejects(findMessageLogs(db, { deviceIdentification: GW, page: -1 }), /Page/);

      // Reaching maxBatch writes without waiting for the timer.
      const small = new MessageLogWriter(db, { flushMs: 60_000, maxBatch: 4 });
      const o2 = small.observer(GW);
      for (let i = 0; i < 4; i++) o2(request, false);
      await small.flush();
      assert.equal((await findMessageLogs(db, { deviceIdentification: GW, page: 0, pageSize: 1000 })).messageLogs.length, 74);

      // Retention: rows older than the period go, newer ones stay.
      await db.query(`UPDATE dlms_message_log SET logged_at = now() - interval '8 days' WHERE id IN (SELECT id FROM dlms_message_log ORDER BY id LIMIT 50)`);
      await runRetention(db, PLATFORM_RETENTION_STEPS, { ...DEFAULT_RETENTION, pauseMs: 0, batchSize: 20 });
      assert.equal((await findMessageLogs(db, { deviceIdentification: GW, page: 0, pageSize: 1000 })).messageLogs.length, 24);
    } finally {
      await dispose();
    }
  });
}
