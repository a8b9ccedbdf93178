/**
 * Retention (src/platform/retention.ts, src/secrets/retention.ts): one pass deletes exactly what is past its
 * period and nothing current, works a backlog larger than a batch off in several batches, keeps the keys a device
 * may still use, and runs in one process at a time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Db } from '../../src/platform/db/db.ts';
import {
  DEFAULT_RETENTION, PLATFORM_RETENTION_STEPS, RetentionTask, retentionPolicyFromEnv, runRetention, takeLease, type RetentionPolicy, type RetentionStep,
} from '../../src/platform/retention.ts';
import { SECRET_RETENTION_STEPS } from '../../src/secrets/retention.ts';
import { SecretStore } from '../../src/secrets/store.ts';
import { SoftwareKekProvider } from '../../src/secrets/kek.ts';
import { engines, engineOptions, freshDb } from '../support/db.ts';

const DAY = 24 * 3600_000;
const STEPS = [...PLATFORM_RETENTION_STEPS, ...SECRET_RETENTION_STEPS];
const policy = (p: Partial<RetentionPolicy> = {}): RetentionPolicy => ({ ...DEFAULT_RETENTION, pauseMs: 0, ...p });
const ctx = { actor: 'test', reason: 'retention test' };

async function ids(db: Db, sql: string): Promise<string[]> {
  return (await db.query<{ id: string }>(sql)).rows.map((r) => String(r.id)).sort();
}

/** A request `daysAgo` old; DONE (completed then) unless status says otherwise. */
async function request(db: Db, id: string, daysAgo: number, status = 'DONE'): Promise<void> {
  await db.query(
    `INSERT INTO request (correlation_uid, organisation_identification, user_name, application_name, device_identification, message_type, payload,
                          priority, channel, lock_key, status, result, created_at, updated_at, completed_at)
     VALUES ($1, 'org', 'u', 'a', 'E1', 'SCAN_MBUS_CHANNELS', '{}', 4, 'REST', 'E1', $2, $3,
             now() - $4::float8 * interval '1 day', now() - $4::float8 * interval '1 day', $5)`,
    [id, status, status === 'DONE' ? 'OK' : null, daysAgo, status === 'DONE' ? new Date(Date.now() - daysAgo * DAY) : null],
  );
  if (status === 'DONE') {
    await db.query(
      `INSERT INTO response_data (correlation_uid, organisation_identification, device_identification, message_type, result_type, created_at)
       VALUES ($1, 'org', 'E1', 'SCAN_MBUS_CHANNELS', 'OK', now() - $2::float8 * interval '1 day')`,
      [id, daysAgo],
    );
    await db.query(`INSERT INTO response_url (correlation_uid, response_url, created_at) VALUES ($1, 'http://x/', now() - $2::float8 * interval '1 day')`, [id, daysAgo]);
    await db.query(
      `INSERT INTO notification (correlation_uid, kind, target_url, state, created_at) VALUES ($1, 'SOAP', 'http://x/', 'DELIVERED', now() - $2::float8 * interval '1 day')`,
      [id, daysAgo],
    );
  }
  await db.query(`INSERT INTO audit_log (event, correlation_uid, at) VALUES ('ACCEPTED', $1, now() - $2::float8 * interval '1 day')`, [id, daysAgo]);
}

for (const engine of engines) {
  test(`one pass deletes what is past its period and nothing current (${engine})`, engineOptions(engine), async () => {
    const { db, dispose } = await freshDb(engine);
    try {
      await request(db, 'old-done', 8);
      await request(db, 'new-done', 6);
      await request(db, 'old-open', 30, 'QUEUED'); // not finished: kept however old
      await request(db, 'old-running', 30, 'RUNNING');
      await db.query(`INSERT INTO audit_log (event, at) VALUES ('REJECTED', now() - interval '91 days'), ('REJECTED', now() - interval '89 days')`);
      await db.query(
        `INSERT INTO push_message (transport, source_address, encoded, received_at) VALUES
           ('TCP', 'old', '\\x00', now() - interval '31 days'), ('TCP', 'new', '\\x00', now() - interval '29 days')`,
      );
      await db.query(
        `INSERT INTO connection_permit (permit_id, holder, acquired_at, expires_at, released_at) VALUES
           ('00000000-0000-0000-0000-000000000001', 'h', now() - interval '1 hour', now() - interval '59 minutes', now() - interval '59 minutes'),
           ('00000000-0000-0000-0000-000000000002', 'h', now() - interval '1 hour', now() - interval '50 minutes', NULL),
           ('00000000-0000-0000-0000-000000000003', 'h', now() - interval '1 hour', now() + interval '1 minute', NULL),
           ('00000000-0000-0000-0000-000000000004', 'h', now(), now() + interval '1 minute', now())`,
      );
      await db.query(`INSERT INTO exchange_lock (lock_key, correlation_uid, expires_at) VALUES ('gone', 'x', now() - interval '1 second'), ('held', 'y', now() + interval '1 minute')`);
      await db.query(`INSERT INTO organisation (identification, name) VALUES ('org', 'Org')`);
      await db.query(
        `INSERT INTO console_session (session_hash, organisation_identification, via, expires_at) VALUES ('expired', 'org', 'TOKEN', now() - interval '1 second'), ('live', 'org', 'TOKEN', now() + interval '1 hour')`,
      );
      await db.query(
        `INSERT INTO api_token (token_hash, organisation_identification, issued_by, purpose, expires_at) VALUES
           ('link-expired', 'org', 't', 'SIGN_IN', now() - interval '1 second'), ('link-live', 'org', 't', 'SIGN_IN', now() + interval '1 hour'),
           ('api-token', 'org', 't', 'API', NULL)`,
      );
      await db.query(`INSERT INTO console_rekey (id, organisation_identification, created_at) VALUES ('r-old', 'org', now() - interval '8 days'), ('r-new', 'org', now())`);
      await db.query(`INSERT INTO console_rekey_item (rekey_id, correlation_uid, gateway_device_identification, channel) VALUES ('r-old', 'old-done', 'E1', 1), ('r-new', 'new-done', 'E1', 1)`);

      const result = await runRetention(db, STEPS, policy());

      assert.deepEqual(await ids(db, 'SELECT correlation_uid AS id FROM request'), ['new-done', 'old-open', 'old-running']);
      assert.deepEqual(await ids(db, 'SELECT correlation_uid AS id FROM response_data'), ['new-done']);
      assert.deepEqual(await ids(db, 'SELECT correlation_uid AS id FROM response_url'), ['new-done']);
      assert.deepEqual(await ids(db, 'SELECT correlation_uid AS id FROM notification'), ['new-done']);
      // Platform audit rows go by their own period (90 days), not with their requests.
      assert.equal((await db.query('SELECT 1 FROM audit_log')).rows.length, 5);
      assert.deepEqual(await ids(db, 'SELECT source_address AS id FROM push_message'), ['new']);
      // Released or lapsed permits outside the rate window go; an open permit and a fresh release stay.
      assert.deepEqual(await ids(db, 'SELECT permit_id::text AS id FROM connection_permit'), ['00000000-0000-0000-0000-000000000003', '00000000-0000-0000-0000-000000000004']);
      assert.deepEqual(await ids(db, 'SELECT lock_key AS id FROM exchange_lock'), ['held']);
      assert.deepEqual(await ids(db, 'SELECT session_hash AS id FROM console_session'), ['live']);
      assert.deepEqual(await ids(db, 'SELECT id FROM console_rekey'), ['r-new']);
      assert.deepEqual(await ids(db, 'SELECT token_hash AS id FROM api_token'), ['api-token', 'link-live']);
      assert.deepEqual(await ids(db, 'SELECT rekey_id AS id FROM console_rekey_item'), ['r-new']);
      assert.equal(result.requests, 1);
      assert.equal(result.responses, 1);
      assert.equal(result.audit, 1);
      assert.equal(result['connection permits'], 2);

      // A period of 0 keeps that kind for ever; a shorter one takes more.
      await runRetention(db, STEPS, policy({ requestsMs: 0, auditMs: 1 * DAY }));
      assert.deepEqual(await ids(db, 'SELECT correlation_uid AS id FROM request'), ['new-done', 'old-open', 'old-running']);
      assert.deepEqual(await ids(db, 'SELECT coalesce(correlation_uid, event) AS id FROM audit_log'), []);
    } finally {
      await dispose();
    }
  });

  test(`a backlog larger than a batch is deleted in several batches, each a bounded statement (${engine})`, engineOptions(engine), async () => {
    const { db, dispose } = await freshDb(engine);
    try {
      await db.query(`INSERT INTO audit_log (event, at) SELECT 'REJECTED', now() - interval '100 days' - g * interval '1 second' FROM generate_series(1, 2500) g`);
      await db.query(`INSERT INTO audit_log (event, at) SELECT 'ACCEPTED', now() - interval '1 day' FROM generate_series(1, 7) g`);
      const batches: number[] = [];
      const counted: RetentionStep[] = STEPS.map((s) => ({
        name: s.name,
        purge: async (d, c) => {
          const n = await s.purge(d, c);
          if (s.name === 'audit') batches.push(n);
          return n;
        },
      }));
      let between = 0;
      const result = await runRetention(db, counted, policy({ batchSize: 1000 }), { between: async () => (between++, true) });
      assert.deepEqual(batches, [1000, 1000, 500]);
      assert.equal(result.audit, 2500);
      assert.ok(between >= 2, 'the lease is renewed between batches');
      assert.deepEqual(await ids(db, 'SELECT event AS id FROM audit_log'), Array(7).fill('ACCEPTED'));

      // A failing step does not stop the others; the pass reports the failure at its end.
      await db.query(`INSERT INTO audit_log (event, at) VALUES ('REJECTED', now() - interval '100 days')`);
      const failing: RetentionStep = { name: 'broken', purge: async () => { throw new Error('step failed'); } };
      await assert.rejects(runRetention(db, [failing, ...STEPS], policy()), /step failed/);
      assert.deepEqual(await ids(db, 'SELECT event AS id FROM audit_log'), Array(7).fill('ACCEPTED'));
    } finally {
      await dispose();
    }
  });

  test(`retired keys past their period are deleted and audited; ACTIVE, NEW, the newest and the last EXPIRED key are kept (${engine})`, engineOptions(engine), async () => {
    const { db, dispose } = await freshDb(engine);
    const kek = SoftwareKekProvider.generate();
    try {
      const store = await SecretStore.open(db, kek);
      const D = 'E0051000000000009';
      const T = 'E_METER_AUTHENTICATION_KEY';
      const key = (b: number) => Buffer.alloc(16, b);
      const k1 = await store.storeActive(D, T, key(1), ctx);
      const k2 = await store.storeNew(D, T, key(2), ctx);
      await store.activate(D, T, k2.secretId, ctx); // k1 EXPIRED
      const k3 = await store.storeNew(D, T, key(3), ctx);
      await store.activate(D, T, k3.secretId, ctx); // k2 EXPIRED, k3 ACTIVE
      const k4 = await store.storeNew(D, T, key(4), ctx);
      const k5 = await store.storeNew(D, T, key(5), ctx); // k4 WITHDRAWN (superseded), k5 NEW
      // Another device whose only retired key is its last EXPIRED one, and one whose newest key is WITHDRAWN.
      const E = 'E0051000000000010';
      const e1 = await store.storeActive(E, T, key(6), ctx);
      const e2 = await store.storeNew(E, T, key(7), ctx);
      await store.activate(E, T, e2.secretId, ctx); // e1 EXPIRED (the last one)
      const W = 'E0051000000000011';
      const w1 = await store.storeNew(W, T, key(8), ctx);
      await store.withdraw(W, T, w1.secretId, ctx); // newest of its device, WITHDRAWN
      await db.query(`UPDATE secret SET expired_at = now() - interval '400 days' WHERE status = 'EXPIRED'`);
      await db.query(`UPDATE secret SET withdrawn_at = now() - interval '400 days' WHERE status = 'WITHDRAWN'`);
      await db.query(`INSERT INTO secret_audit (at, action, actor, reason) VALUES (now() - interval '400 days', 'KEK_ROTATE', 'ops', 'old')`);

      const result = await runRetention(db, STEPS, policy());

      const left = (await store.list(D)).map((m) => [m.secretId, m.status]);
      assert.deepEqual(left, [[k2.secretId, 'EXPIRED'], [k3.secretId, 'ACTIVE'], [k5.secretId, 'NEW']]);
      assert.deepEqual((await store.list(E)).map((m) => m.secretId), [e1.secretId, e2.secretId]);
      assert.deepEqual((await store.list(W)).map((m) => m.secretId), [w1.secretId]);
      assert.equal(result['retired keys'], 2);
      const purged = await db.query<{ secret_id: number; from_status: string; actor: string }>(`SELECT secret_id, from_status, actor FROM secret_audit WHERE action = 'PURGE' ORDER BY secret_id`);
      assert.deepEqual(purged.rows.map((r) => [Number(r.secret_id), r.from_status, r.actor]), [[k1.secretId, 'EXPIRED', 'retention'], [k4.secretId, 'WITHDRAWN', 'retention']]);
      // The old audit row naming no key went; every audit row of a kept key stays, however old.
      assert.equal((await db.query(`SELECT 1 FROM secret_audit WHERE action = 'KEK_ROTATE' AND reason = 'old'`)).rows.length, 0);
      await db.query(`INSERT INTO secret_audit (at, secret_id, action, actor, reason) VALUES (now() - interval '400 days', $1, 'NOTE', 'ops', 'kept key')`, [k3.secretId]);
      await runRetention(db, STEPS, policy());
      assert.equal((await db.query(`SELECT 1 FROM secret_audit WHERE reason = 'kept key'`)).rows.length, 1);
      // The database refuses the deletion of an ACTIVE or NEW key even with the retention setting on.
      await assert.rejects(db.tx(async (q) => {
        await q.query(`SELECT set_config('meterfabric.retention', 'on', true)`);
        await q.query('DELETE FROM secret WHERE id = $1', [k3.secretId]);
      }), /never deleted/);
      await assert.rejects(db.query('DELETE FROM secret WHERE id = $1', [k2.secretId]), /never deleted/);
      assert.deepEqual(await store.getActive(D, T), { secretId: k3.secretId, key: key(3) });
    } finally {
      await kek.close();
      await dispose();
    }
  });

  test(`only the holder of the retention lease runs a pass (${engine})`, engineOptions(engine), async () => {
    const { db, dispose } = await freshDb(engine);
    try {
      await db.query(`INSERT INTO audit_log (event, at) VALUES ('REJECTED', now() - interval '100 days')`);
      const a = new RetentionTask({ db, steps: STEPS, policy: policy(), holder: 'a' });
      const b = new RetentionTask({ db, steps: STEPS, policy: policy(), holder: 'b' });
      assert.equal(await takeLease(db, RetentionTask.LEASE, 'b', 60_000), true);
      assert.equal(await a.runOnce(), undefined, 'another process holds the lease');
      assert.equal((await db.query('SELECT 1 FROM audit_log')).rows.length, 1);
      assert.equal((await b.runOnce())?.audit, 1, 'the holder runs and gives the lease back');
      assert.deepEqual(await a.runOnce(), Object.fromEntries(STEPS.map((s) => [s.name, 0])));
      await a.stop();
      await b.stop();
    } finally {
      await dispose();
    }
  });
}

test('retention settings come from METERFABRIC_RETENTION_* (days, seconds, rows, ms); bad values are refused', () => {
  assert.deepEqual(
    retentionPolicyFromEnv({
      METERFABRIC_RETENTION_REQUESTS_DAYS: '14', METERFABRIC_RETENTION_AUDIT_DAYS: '0', METERFABRIC_RETENTION_SECRET_AUDIT_DAYS: '0.5',
      METERFABRIC_RETENTION_RETIRED_KEYS_DAYS: '730', METERFABRIC_RETENTION_PUSH_MESSAGES_DAYS: '3', METERFABRIC_RETENTION_BATCH_SIZE: '200',
      METERFABRIC_RETENTION_PAUSE_MS: '10', METERFABRIC_RETENTION_INTERVAL_SECONDS: '300',
    }),
    { requestsMs: 14 * DAY, auditMs: 0, secretAuditMs: DAY / 2, retiredSecretsMs: 730 * DAY, pushMessagesMs: 3 * DAY, batchSize: 200, pauseMs: 10, intervalMs: 300_000 },
  );
  assert.deepEqual(retentionPolicyFromEnv({}), {});
  assert.throws(() => retentionPolicyFromEnv({ METERFABRIC_RETENTION_REQUESTS_DAYS: 'week' }), /METERFABRIC_RETENTION_REQUESTS_DAYS/);
  assert.throws(() => retentionPolicyFromEnv({ METERFABRIC_RETENTION_BATCH_SIZE: '0' }), /METERFABRIC_RETENTION_BATCH_SIZE/);
  assert.equal(DEFAULT_RETENTION.requestsMs, 7 * DAY);
});
