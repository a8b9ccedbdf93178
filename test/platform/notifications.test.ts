import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { engines, engineOptions, freshDb } from '../support/db.ts';
import { Platform } from '../../src/platform/platform.ts';
import { NotificationSender, sendNotificationEnvelope } from '../../src/platform/notifications.ts';
import { logger } from '../../src/observability/logger.ts';
import { updateOrganisation } from '../../src/platform/inventory.ts';
import { GATEWAY, ORG, seedInventory, sleep } from './helpers.ts';

test('SendNotification envelope: docs/gxf.md#notifications shape, headers in the common namespace without /2014/10', () => {
  const xml = sendNotificationEnvelope(
    { correlationUid: 'org-a|||E1|||20241017210634123|||u', deviceIdentification: 'E1', messageType: 'SET_MBUS_USER_KEY_BY_CHANNEL', result: 'NOT_OK', message: 'a < b' },
    { organisation: 'OSGP', userName: 'meterfabric' },
  );
  assert.equal(
    xml,
    '<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">' +
      '<SOAP-ENV:Header xmlns:common="http://www.opensmartgridplatform.org/schemas/common"><common:OrganisationIdentification>OSGP</common:OrganisationIdentification>' +
      '<common:UserName>meterfabric</common:UserName><common:ApplicationName>SMART_METERS</common:ApplicationName></SOAP-ENV:Header>' +
      '<SOAP-ENV:Body><ns2:SendNotificationRequest xmlns:ns2="http://www.opensmartgridplatform.org/schemas/smartmetering/sm-notification/2014/10">' +
      '<ns2:Notification><ns2:message>a &lt; b</ns2:message><ns2:result>NOT_OK</ns2:result><ns2:deviceIdentification>E1</ns2:deviceIdentification>' +
      '<ns2:correlationUid>org-a|||E1|||20241017210634123|||u</ns2:correlationUid><ns2:NotificationType>SET_MBUS_USER_KEY_BY_CHANNEL</ns2:NotificationType>' +
      '</ns2:Notification></ns2:SendNotificationRequest></SOAP-ENV:Body></SOAP-ENV:Envelope>',
  );
});

for (const engine of engines) {
  test(`notifications are sent, resent on failure, and stop once the response is fetched on ${engine}`, engineOptions(engine), async (t) => {
    const received: Array<{ path: string; body: string; type: string; at: number }> = [];
    let failFirst = 1;
    const server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ path: req.url!, body, type: String(req.headers['content-type']), at: Date.now() });
        const fail = req.url === '/always-fail' || (req.url === '/soap' && failFirst-- > 0);
        res.statusCode = fail ? 500 : 200;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { db, dispose } = await freshDb(engine);
    await seedInventory(db);
    await updateOrganisation(db, ORG, { notificationUrl: `${base}/soap`, webhookUrl: `${base}/hook`, allowUrls: [`${base}/always-fail`] });
    const platform = await Platform.start({ db, pollingIntervalSeconds: 0.5, notifications: { resendOffsetsMs: [300, 600, 900], pollMs: 50 } });
    t.after(async () => {
      await platform.stop();
      await dispose();
      await new Promise((r) => server.close(r));
    });
    platform.executors.register({ messageType: 'SCAN_MBUS_CHANNELS', execute: async () => ({ channels: [] }) });
    const submit = (extra: object) =>
      platform.requests.submit({ organisationIdentification: ORG, userName: 'u', applicationName: 'a', deviceIdentification: GATEWAY, messageType: 'SCAN_MBUS_CHANNELS', payload: {}, channel: 'SOAP', ...extra });

    // SOAP to the organisation's URL: the first delivery fails, the resend ~300 ms after creation succeeds.
    const soap = await submit({});
    await platform.requests.waitForResponse(soap.correlationUid, ORG, 10_000);
    for (let i = 0; i < 100 && received.filter((r) => r.path === '/soap').length < 2; i++) await sleep(50);
    const soapCalls = received.filter((r) => r.path === '/soap');
    assert.equal(soapCalls.length, 2);
    assert.match(soapCalls[0]!.type, /^text\/xml/);
    assert.ok(soapCalls[0]!.body.includes(`<ns2:correlationUid>${soap.correlationUid}</ns2:correlationUid>`));
    assert.ok(soapCalls[0]!.body.includes('<ns2:NotificationType>SCAN_MBUS_CHANNELS</ns2:NotificationType>'));
    assert.ok(!soapCalls[0]!.body.includes('<ns2:message>'), 'no message on success');
    assert.ok(soapCalls[1]!.body.includes('<ns2:message>Response of type SCAN_MBUS_CHANNELS is available.</ns2:message>'));
    for (let i = 0; i < 100; i++) {
      const d = await db.query<{ state: string }>(`SELECT state FROM notification WHERE correlation_uid = $1`, [soap.correlationUid]);
      if (d.rows[0]?.state === 'DELIVERED') break;
      await sleep(50);
    }
    const sent = await db.query<{ n: number }>('SELECT number_of_notifications_sent AS n FROM response_data WHERE correlation_uid = $1', [soap.correlationUid]);
    assert.equal(sent.rows[0]!.n, 1);

    // REST requests get a JSON webhook.
    const rest = await submit({ channel: 'REST' });
    await platform.requests.waitForResponse(rest.correlationUid, ORG, 10_000);
    for (let i = 0; i < 100 && !received.some((r) => r.path === '/hook'); i++) await sleep(50);
    const hook = received.find((r) => r.path === '/hook')!;
    assert.deepEqual(JSON.parse(hook.body), { correlationUid: rest.correlationUid, deviceIdentification: GATEWAY, messageType: 'SCAN_MBUS_CHANNELS', result: 'OK' });

    // A ResponseUrl overrides the organisation's URL; a fetched response is not notified again.
    const failing = await submit({ responseUrl: `${base}/always-fail` });
    await platform.requests.waitForResponse(failing.correlationUid, ORG, 10_000);
    for (let i = 0; i < 100 && !received.some((r) => r.path === '/always-fail'); i++) await sleep(50);
    await platform.requests.getResponse(failing.correlationUid, ORG);
    // The sender decides at the first resend (~300 ms after creation) and records CANCELLED; wait for that
    // decision, then no second delivery may have been made.
    let state: string | undefined;
    for (let i = 0; i < 200 && state !== 'CANCELLED'; i++) {
      if (i > 0) await sleep(50);
      state = (await db.query<{ state: string }>('SELECT state FROM notification WHERE correlation_uid = $1', [failing.correlationUid])).rows[0]?.state;
    }
    assert.equal(state, 'CANCELLED');
    assert.equal(received.filter((r) => r.path === '/always-fail').length, 1, 'not resent after the response was fetched');

    // Unfetched and always failing: three resends, then it gives up.
    const given = await submit({ responseUrl: `${base}/always-fail` });
    await platform.requests.waitForResponse(given.correlationUid, ORG, 10_000);
    for (let i = 0; i < 100; i++) {
      const s = await db.query<{ state: string }>('SELECT state FROM notification WHERE correlation_uid = $1', [given.correlationUid]);
      if (s.rows[0]?.state === 'GAVE_UP') break;
      await sleep(50);
    }
    const attempts = await db.query<{ attempts: number; state: string }>('SELECT attempts, state FROM notification WHERE correlation_uid = $1', [given.correlationUid]);
    assert.deepEqual(attempts.rows[0], { attempts: 4, state: 'GAVE_UP' });
  });
}

test('notifications: a backlog larger than one claim is sent without waiting for polls, past a target that does not answer', async (t) => {
  // One notification's target holds its answer until every other notification arrived: the rounds after its round
  // must go on. The sender polls once at start and then not for an hour, so only follow-up rounds deliver the rest.
  const total = 250;
  const received = new Set<string>();
  let held: (() => void) | undefined;
  let allArrived!: () => void;
  const arrived = new Promise<void>((r) => (allArrived = r));
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.add((JSON.parse(body) as { correlationUid: string }).correlationUid);
      if (held === undefined) held = () => void (res.headersSent || res.writeHead(204).end());
      else res.writeHead(204).end();
      if (received.size === total) allArrived();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { db, dispose } = await freshDb('pglite');
  await seedInventory(db);
  await updateOrganisation(db, ORG, { allowUrls: [base] });
  const uids = Array.from({ length: total }, (_, i) => `${ORG}|||${GATEWAY}|||20261204000000000|||backlog-${i}`);
  await db.query(
    `INSERT INTO response_data (correlation_uid, organisation_identification, device_identification, message_type, result_type, message_data)
     SELECT u, $2, $3, 'SCAN_MBUS_CHANNELS', 'OK', '{}'::jsonb FROM unnest($1::text[]) AS u`,
    [uids, ORG, GATEWAY],
  );
  await db.query(`INSERT INTO notification (correlation_uid, kind, target_url) SELECT u, 'WEBHOOK', $2 FROM unnest($1::text[]) AS u`, [uids, `${base}/hook`]);
  const sender = new NotificationSender(db, logger('test'), { pollMs: 3_600_000 });
  t.after(async () => {
    held?.();
    await sender.stop();
    await dispose();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  sender.start();
  const deadline = new Promise<'late'>((r) => setTimeout(() => r('late'), 30_000).unref());
  assert.equal(await Promise.race([arrived.then(() => 'all' as const), deadline]), 'all', `${received.size} of ${total} arrived while one target held its answer`);
  held!();
  const delivered = async () =>
    (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notification WHERE state = 'DELIVERED'`)).rows[0]!.n;
  for (let i = 0; i < 200 && (await delivered()) < total; i++) await sleep(50);
  assert.equal(await delivered(), total);
});
