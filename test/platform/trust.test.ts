/**
 * What the platform refuses on behalf of other organisations and internal networks: notification targets off the
 * organisation's allowlist or on internal addresses, redirects, AddDevice conflicts (204 without an aborted
 * transaction), duplicate M-Bus identities, organisation identifiers; and the notification that is always sent once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { engines, engineOptions, freshDb } from '../support/db.ts';
import { migrate } from '../../src/platform/db/db.ts';
import { NotificationSender } from '../../src/platform/notifications.ts';
import { isInternalAddress, matchingPrefix, normaliseAllowList } from '../../src/platform/outbound.ts';
import { addDevice, addOrganisation, getOrganisation, updateOrganisation } from '../../src/platform/inventory.ts';
import { logger } from '../../src/observability/logger.ts';
import type { MeterfabricError } from '../../src/errors.ts';
import { GATEWAY, MBUS, ORG, seededPlatform } from './helpers.ts';

/** A receiver on loopback that records every POST and answers with `answer(path)`. */
async function receiver(t: { after(fn: () => Promise<unknown>): void }, answer: (path: string, res: ServerResponse) => void = (_p, res) => res.end()) {
  const calls: Array<{ path: string; body: string }> = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      calls.push({ path: req.url!, body });
      answer(req.url!, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => server.close(r)));
  return { calls, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Polls f (every 50 ms, at most 10 s) until it returns something other than undefined. */
async function until<T>(f: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  for (const t0 = Date.now(); ; await new Promise((r) => setTimeout(r, 50))) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() - t0 > ms) throw new Error('timed out');
  }
}

test('allowlist prefixes match scheme, host, port and path at a boundary', () => {
  const allowed = normaliseAllowList(['https://hooks.example/grid', 'http://127.0.0.1:8081/', 'https://HOOKS.example/grid']);
  assert.deepEqual(allowed, ['http://127.0.0.1:8081/', 'https://hooks.example/grid']);
  const m = (u: string) => matchingPrefix(new URL(u), allowed);
  assert.equal(m('https://hooks.example/grid'), 'https://hooks.example/grid');
  assert.equal(m('https://hooks.example/grid/a?b=1'), 'https://hooks.example/grid');
  assert.equal(m('https://hooks.example/gridx'), undefined);
  assert.equal(m('http://hooks.example/grid'), undefined, 'scheme');
  assert.equal(m('https://hooks.example:8443/grid'), undefined, 'port');
  assert.equal(m('https://hooks.example.evil.net/grid'), undefined, 'host');
  assert.equal(m('http://127.0.0.1:8081/x'), 'http://127.0.0.1:8081/');
  assert.equal(m('http://127.0.0.1:8082/x'), undefined);
  assert.throws(() => normaliseAllowList(['ftp://x/']), /http/);
  assert.throws(() => normaliseAllowList(['https://user:pw@x/']), /user name/);
});

test('internal addresses: loopback, private, link-local, CGNAT, unique-local, mapped IPv4', () => {
  for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0',
    '::1', '::', 'fe80::1', 'fd00::1', 'fc00::2', '::ffff:127.0.0.1', '::ffff:10.0.0.1', 'ff02::1']) {
    assert.equal(isInternalAddress(a), true, a);
  }
  for (const a of ['8.8.8.8', '172.32.0.1', '1.1.1.1', '2001:4860:4860::8888', '::ffff:8.8.8.8']) assert.equal(isInternalAddress(a), false, a);
});

test('organisation identifiers are letters, digits, dot, underscore and hyphen, 1..40', async () => {
  const { db, dispose } = await freshDb('pglite');
  try {
    for (const bad of ['acme/CN=OSGP', 'a b', 'a,b', '', 'x'.repeat(41), 'ä']) {
      await assert.rejects(addOrganisation(db, { identification: bad }), (e: MeterfabricError) => e.code === 401, bad);
    }
    await addOrganisation(db, { identification: 'Grid_op-1.nl' });
    // The database refuses new rows that bypass the code.
    await assert.rejects(db.query(`INSERT INTO organisation (identification, name) VALUES ('acme/CN=OSGP', 'x')`));
  } finally {
    await dispose();
  }
});

for (const engine of engines) {
  test(`${engine}: a ResponseUrl off the allowlist is refused at submission; on it, accepted`, engineOptions(engine), async (t) => {
    const { db, platform } = await seededPlatform(t, engine, { pollingIntervalSeconds: 0.5 });
    platform.executors.register({ messageType: 'SCAN_MBUS_CHANNELS', execute: async () => ({ channels: [] }) });
    const submit = (responseUrl: string) => platform.requests.submit({
      organisationIdentification: ORG, userName: 'u', applicationName: 'a', deviceIdentification: GATEWAY, messageType: 'SCAN_MBUS_CHANNELS', payload: {}, channel: 'REST', responseUrl,
    });
    const before = (await db.query('SELECT count(*)::int AS n FROM request')).rows[0];
    await assert.rejects(submit('http://169.254.169.254/latest/meta-data/'), (e: MeterfabricError) => e.code === 401 && /allowlist/.test(e.message));
    await assert.rejects(submit('http://127.0.0.1:5432/'), (e: MeterfabricError) => e.code === 401);
    assert.deepEqual((await db.query('SELECT count(*)::int AS n FROM request')).rows[0], before, 'nothing was stored');

    // Only an administrator's change allows a target; a prefix with a path allows only below it.
    const org = await updateOrganisation(db, ORG, { allowUrls: ['http://127.0.0.1:8099/hooks'] });
    assert.deepEqual(org.allowedUrls, ['http://127.0.0.1:8099/hooks']);
    await assert.rejects(submit('http://127.0.0.1:8099/other'), (e: MeterfabricError) => e.code === 401);
    assert.ok((await submit('http://127.0.0.1:8099/hooks/grid')).correlationUid);
    // Setting a notification URL allows it too; disallowing removes a prefix.
    const after = await updateOrganisation(db, ORG, { webhookUrl: 'http://127.0.0.1:8100/w', disallowUrls: ['http://127.0.0.1:8099/hooks'] });
    assert.deepEqual(after.allowedUrls, ['http://127.0.0.1:8100/w']);
    await assert.rejects(submit('http://127.0.0.1:8099/hooks/grid'), (e: MeterfabricError) => e.code === 401);
  });
}

test('a host name that resolves to an internal address is refused even when its prefix is allowed', async (t) => {
  const name = hostname();
  const addresses = await lookup(name, { all: true }).catch(() => []);
  if (addresses.length === 0 || !addresses.some((a) => isInternalAddress(a.address)) || name === 'localhost') {
    t.skip(`the host name ${name} does not resolve to an internal address here`);
    return;
  }
  const { db, platform } = await seededPlatform(t, 'pglite');
  await updateOrganisation(db, ORG, { allowUrls: [`http://${name}:8099/`] });
  await assert.rejects(
    platform.requests.submit({ organisationIdentification: ORG, userName: 'u', applicationName: 'a', deviceIdentification: GATEWAY, messageType: 'SCAN_MBUS_CHANNELS', payload: {}, channel: 'REST', responseUrl: `http://${name}:8099/x` }),
    (e: MeterfabricError) => e.code === 401 && /internal address/.test(e.message),
  );
});

for (const engine of engines) {
  test(`${engine}: the first notification is delivered even when the response was fetched first; resends stop once fetched`, engineOptions(engine), async (t) => {
    let failing = false;
    const rx = await receiver(t, (_p, res) => { res.statusCode = failing ? 500 : 200; res.end(); });
    // The platform's own sender runs once at start and then not for an hour: the test's sender does the rounds
    // (whichever sender makes an attempt, the test waits for its outcome in the database).
    const { db, platform } = await seededPlatform(t, engine, { pollingIntervalSeconds: 0.5, notifications: { pollMs: 3_600_000 } });
    platform.executors.register({ messageType: 'SCAN_MBUS_CHANNELS', execute: async () => ({ channels: [] }) });
    await updateOrganisation(db, ORG, { notificationUrl: `${rx.base}/soap` });
    const sender = new NotificationSender(db, logger('test'), { resendOffsetsMs: [0, 0, 0] });
    const run = async () => {
      const { correlationUid } = await platform.requests.submit({ organisationIdentification: ORG, userName: 'u', applicationName: 'a', deviceIdentification: GATEWAY, messageType: 'SCAN_MBUS_CHANNELS', payload: {}, channel: 'SOAP' });
      await platform.requests.waitForResponse(correlationUid, ORG, 10_000);
      await platform.requests.getResponse(correlationUid, ORG); // fetched before any notification went out
      return correlationUid;
    };
    const state = async (uid: string) => (await db.query<{ state: string; attempts: number }>('SELECT state, attempts FROM notification WHERE correlation_uid = $1', [uid])).rows[0];

    const fetched = await run();
    await sender.sendDue();
    await until(async () => ((await state(fetched))?.state === 'PENDING' ? undefined : true));
    assert.equal((await state(fetched))!.state, 'DELIVERED', 'the first SendNotification went out');
    assert.equal(rx.calls.filter((c) => c.body.includes(fetched)).length, 1);

    // A first delivery that fails is not resent once the response was fetched.
    failing = true;
    const unlucky = await run();
    await sender.sendDue();
    await until(async () => ((await db.query('SELECT 1 FROM notification WHERE correlation_uid = $1 AND last_error IS NOT NULL', [unlucky])).rowCount ? true : undefined));
    assert.equal(rx.calls.filter((c) => c.body.includes(unlucky)).length, 1);
    await db.query('UPDATE notification SET next_attempt_at = now() WHERE correlation_uid = $1', [unlucky]);
    await sender.sendDue();
    assert.equal(rx.calls.filter((c) => c.body.includes(unlucky)).length, 1, 'no resend after the fetch');
    assert.deepEqual({ ...(await state(unlucky)) }, { state: 'CANCELLED', attempts: 2 });
  });
}

test('a notification target that redirects is not followed, and a target no longer allowed is given up', async (t) => {
  const rx = await receiver(t, (path, res) => {
    if (path === '/moved') {
      res.statusCode = 307;
      res.setHeader('location', '/internal-admin');
    }
    res.end();
  });
  const { db, platform } = await seededPlatform(t, 'pglite', { pollingIntervalSeconds: 0.5, notifications: { pollMs: 3_600_000 } });
  platform.executors.register({ messageType: 'SCAN_MBUS_CHANNELS', execute: async () => ({ channels: [] }) });
  await updateOrganisation(db, ORG, { webhookUrl: `${rx.base}/moved` });
  const sender = new NotificationSender(db, logger('test'), { resendOffsetsMs: [3_600_000] });
  const { correlationUid } = await platform.requests.submit({ organisationIdentification: ORG, userName: 'u', applicationName: 'a', deviceIdentification: GATEWAY, messageType: 'SCAN_MBUS_CHANNELS', payload: {}, channel: 'REST' });
  await platform.requests.waitForResponse(correlationUid, ORG, 10_000);
  await sender.sendDue();
  await until(async () => ((await db.query('SELECT 1 FROM notification WHERE correlation_uid = $1 AND last_error IS NOT NULL', [correlationUid])).rowCount ? true : undefined));
  assert.deepEqual(rx.calls.map((c) => c.path), ['/moved']);
  const row = (await db.query<{ state: string; last_error: string }>('SELECT state, last_error FROM notification WHERE correlation_uid = $1', [correlationUid])).rows[0]!;
  assert.equal(row.state, 'PENDING');
  assert.match(row.last_error, /307.*redirects are not followed/);

  // The administrator withdraws the target: the pending resend is given up without a connection.
  await updateOrganisation(db, ORG, { disallowUrls: [`${rx.base}/moved`] });
  await db.query('UPDATE notification SET next_attempt_at = now() WHERE correlation_uid = $1', [correlationUid]);
  await sender.sendDue();
  assert.equal(rx.calls.length, 1);
  assert.equal((await db.query<{ state: string }>('SELECT state FROM notification WHERE correlation_uid = $1', [correlationUid])).rows[0]!.state, 'GAVE_UP');
});

for (const engine of engines) {
  test(`${engine}: adding an existing device in a transaction is 204, a taken M-Bus identity 204, a taken channel 216`, engineOptions(engine), async () => {
    const { db, dispose } = await freshDb(engine);
    try {
      await addOrganisation(db, { identification: ORG });
      await addOrganisation(db, { identification: 'org-b' });
      const gw = { deviceIdentification: GATEWAY, deviceType: 'SMART_METER_E' as const, ownerOrganisationIdentification: ORG };
      await db.tx((q) => addDevice(q, gw));
      await assert.rejects(db.tx((q) => addDevice(q, gw)), (e: MeterfabricError) => e.code === 204 && /already exists/.test(e.message));
      const gas = { deviceIdentification: MBUS, deviceType: 'SMART_METER_G' as const, mbusIdentificationNumber: '12345678', mbusManufacturerIdentification: 'ITG', gatewayDeviceIdentification: GATEWAY, channel: 1, ownerOrganisationIdentification: ORG };
      await db.tx((q) => addDevice(q, gas));
      // Another organisation's device with the same M-Bus identity: refused, without naming the device that holds it.
      await assert.rejects(
        db.tx((q) => addDevice(q, { ...gas, deviceIdentification: 'G0000000000000002', gatewayDeviceIdentification: null, channel: null, ownerOrganisationIdentification: 'org-b' })),
        (e: MeterfabricError) => e.code === 204 && /12345678/.test(e.message) && !e.message.includes(MBUS),
      );
      await assert.rejects(db.tx((q) => addDevice(q, { ...gas, deviceIdentification: 'G0000000000000003', mbusIdentificationNumber: '87654321' })), (e: MeterfabricError) => e.code === 216);
      // The database holds the line too (a writer that skipped the checks).
      await assert.rejects(db.query(`INSERT INTO device (device_identification, device_type, mbus_identification_number, mbus_manufacturer_identification) VALUES ('G0000000000000009', 'SMART_METER_G', '12345678', 'ITG')`));
    } finally {
      await dispose();
    }
  });

  test(`${engine}: the M-Bus identity migration keeps the oldest device of a duplicate identity and lists the others`, engineOptions(engine), async () => {
    const { db, dispose } = await freshDb(engine);
    try {
      await addOrganisation(db, { identification: ORG });
      // A database from before the unique index, with duplicates.
      await db.exec(`DROP INDEX device_mbus_identity; DROP TABLE mbus_identity_conflict; DELETE FROM schema_migration WHERE name = '0202_adapters_mbus_identity.sql'`);
      const insert = (id: string, created: string, number: string) => db.query(
        `INSERT INTO device (device_identification, device_type, mbus_identification_number, mbus_manufacturer_identification, created_at) VALUES ($1, 'SMART_METER_G', $2, 'FLO', $3)`,
        [id, number, created],
      );
      await insert('G0000000000000003', '2026-01-02T00:00:00Z', '11111111');
      await insert('G0000000000000001', '2026-01-03T00:00:00Z', '11111111');
      await insert('G0000000000000002', '2026-01-02T00:00:00Z', '11111111');
      await insert('G0000000000000004', '2026-01-01T00:00:00Z', '22222222');
      assert.deepEqual(await migrate(db), ['0202_adapters_mbus_identity.sql']);
      const rows = await db.query<{ device_identification: string; mbus_identification_number: string | null }>('SELECT device_identification, mbus_identification_number FROM device ORDER BY device_identification');
      assert.deepEqual(rows.rows.map((r) => [r.device_identification, r.mbus_identification_number]), [
        ['G0000000000000001', null], ['G0000000000000002', '11111111'], ['G0000000000000003', null], ['G0000000000000004', '22222222'],
      ]);
      const conflicts = await db.query('SELECT device_identification, mbus_identification_number, mbus_manufacturer_identification, kept_by FROM mbus_identity_conflict ORDER BY device_identification');
      assert.deepEqual(conflicts.rows.map((r) => ({ ...r })), [
        { device_identification: 'G0000000000000001', mbus_identification_number: '11111111', mbus_manufacturer_identification: 'FLO', kept_by: 'G0000000000000002' },
        { device_identification: 'G0000000000000003', mbus_identification_number: '11111111', mbus_manufacturer_identification: 'FLO', kept_by: 'G0000000000000002' },
      ]);
      assert.deepEqual((await getOrganisation(db, 'OSGP')).allowedUrls, []);
    } finally {
      await dispose();
    }
  });
}
