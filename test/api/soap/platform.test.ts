/**
 * The SOAP and REST interfaces on the real platform (src/platform) through the composed server
 * (src/api/server.ts): synchronous refusals come from the platform's own checks, outcomes from its request
 * pipeline (stand-in executors here; the device work is tested in its own area), on PGlite and PostgreSQL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { ErrorCode, MeterfabricError } from '../../../src/errors.ts';
import { buildServer } from '../../../src/api/server.ts';
import { validateEnvelopeXml } from '../../../src/api/soap/schema.ts';
import { Platform } from '../../../src/platform/platform.ts';
import { addDevice, addOrganisation } from '../../../src/platform/inventory.ts';
import { engines, engineOptions, freshDb } from '../../support/db.ts';
import { readReply } from './helpers.ts';
import { issueApiToken } from '../../../src/platform/tokens.ts';

const ORG = 'org-a';
const GATEWAY = 'E0000000000000001';
const MBUS = 'G0000000000000001';
const CONFIGURATION = '/osgp-adapter-ws-smartmetering/smartMetering/configurationService/';
const ADHOC = '/osgp-adapter-ws-smartmetering/smartMetering/adhocService/';

const envelope = (org: string, body: string) => `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:com="http://www.opensmartgridplatform.org/schemas/common/2014/10"
    xmlns:conf="http://www.opensmartgridplatform.org/schemas/smartmetering/sm-configuration/2014/10"
    xmlns:adhoc="http://www.opensmartgridplatform.org/schemas/smartmetering/sm-adhoc/2014/10">
  <soapenv:Header><com:OrganisationIdentification>${org}</com:OrganisationIdentification><com:UserName>u</com:UserName><com:ApplicationName>a</com:ApplicationName></soapenv:Header>
  <soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;

for (const engine of engines) {
  test(`SOAP and REST on the real platform on ${engine}`, engineOptions(engine), async (t) => {
    const { db, dispose } = await freshDb(engine);
    await addOrganisation(db, { identification: ORG, name: 'A' });
    await addOrganisation(db, { identification: 'org-b', name: 'B' });
    await addDevice(db, { deviceIdentification: GATEWAY, deviceType: 'SMART_METER_E', protocolName: 'SMR', protocolVersion: '5.1', host: '127.0.0.1', port: 4059, ownerOrganisationIdentification: ORG });
    await addDevice(db, { deviceIdentification: MBUS, deviceType: 'SMART_METER_G', mbusIdentificationNumber: '12345678', mbusManufacturerIdentification: 'ITG', gatewayDeviceIdentification: GATEWAY, channel: 1, ownerOrganisationIdentification: ORG });
    const platform = await Platform.start({ db, concurrency: 2, pollingIntervalSeconds: 0.5, retry: { maxRetries: 0, baseDelayMs: 10 }, maintenanceIntervalSeconds: 1 });
    platform.executors.register({
      messageType: 'SET_MBUS_USER_KEY_BY_CHANNEL',
      async execute(ctx) {
        const { channel } = ctx.payload as { channel: number };
        if (channel === 3) throw new MeterfabricError(ErrorCode.UNKNOWN_DEVICE, 'Unable to find M-Bus device for M-Bus identification number: 00000000', { component: 'PROTOCOL_DLMS', retryable: false });
        return undefined;
      },
    });
    platform.executors.register({
      messageType: 'SCAN_MBUS_CHANNELS',
      async execute() {
        throw new MeterfabricError(ErrorCode.CONNECTION_REFUSED, 'Connection refused', { component: 'PROTOCOL_DLMS', retryable: false });
      },
    });
    const app = await buildServer({ platform });
    await app.listen({ host: '127.0.0.1', port: 0 });
    t.after(async () => {
      await app.close();
      await platform.stop();
      await dispose();
    });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const tokens: Record<string, string> = {};
    for (const org of [ORG, 'org-b']) tokens[org] = `Bearer ${(await issueApiToken(db, org)).token}`;
    /** A SOAP call as `org` (its token), naming `named` in the header (default the same). */
    const soap = async (path: string, org: string, body: string, named = org) => {
      const res = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', authorization: tokens[org]! }, body: envelope(named, body) });
      const reply = readReply(res.status, await res.text());
      assert.deepEqual(validateEnvelopeXml(reply.body), [], reply.body);
      return reply;
    };
    const setKey = (channel: number, device = GATEWAY) => `<conf:SetMbusUserKeyByChannelRequest><conf:DeviceIdentification>${device}</conf:DeviceIdentification>
      <conf:SetMbusUserKeyByChannelRequestData><conf:Channel>${channel}</conf:Channel></conf:SetMbusUserKeyByChannelRequestData></conf:SetMbusUserKeyByChannelRequest>`;
    const poll = (prefix: string, element: string, uid: string) =>
      `<${prefix}:${element}><com:DeviceIdentification>${GATEWAY}</com:DeviceIdentification><com:CorrelationUid>${uid.replaceAll('&', '&amp;')}</com:CorrelationUid></${prefix}:${element}>`;

    await t.test('synchronous refusals: another organisation named 301, unknown device 201 DOMAIN_CORE, not authorised 301', async () => {
      let r = await soap(CONFIGURATION, ORG, setKey(1), 'nobody');
      assert.equal(r.text('//c:FunctionalFault/c:Code'), '301');
      r = await soap(CONFIGURATION, ORG, setKey(1, 'E9999999999999999'));
      assert.equal(r.text('//c:FunctionalFault/c:Code'), '201');
      assert.equal(r.text('//c:FunctionalFault/c:Component'), 'DOMAIN_CORE');
      r = await soap(CONFIGURATION, 'org-b', setKey(1));
      assert.equal(r.text('//c:FunctionalFault/c:Code'), '301');
      assert.equal(r.text('//c:FunctionalFault/c:Message'), 'UNAUTHORIZED');
    });

    await t.test('SetMbusUserKeyByChannel OK and NOT OK (lenient) through the pipeline', async () => {
      const ok = await soap(CONFIGURATION, ORG, setKey(2));
      const uid = ok.text('//c:CorrelationUid')!;
      assert.match(uid, /^org-a\|\|\|E0000000000000001\|\|\|\d{17}\|\|\|/);
      await platform.requests.waitForResponse(uid, ORG, 15_000);
      const done = await soap(CONFIGURATION, ORG, poll('conf', 'SetMbusUserKeyByChannelAsyncRequest', uid));
      assert.equal(done.text('//conf:Result'), 'OK');

      const bad = await soap(CONFIGURATION, ORG, setKey(3));
      const badUid = bad.text('//c:CorrelationUid')!;
      await platform.requests.waitForResponse(badUid, ORG, 15_000);
      const notOk = await soap(CONFIGURATION, ORG, poll('conf', 'SetMbusUserKeyByChannelAsyncRequest', badUid));
      assert.equal(notOk.status, 200);
      assert.equal(notOk.text('//conf:Result'), 'NOT OK');
      // Another organisation cannot read it (docs/gxf.md#where-meterfabric-differs item 10): 405.
      const foreign = await soap(CONFIGURATION, 'org-b', poll('conf', 'SetMbusUserKeyByChannelAsyncRequest', badUid));
      assert.equal(foreign.text('//c:FunctionalFault/c:Code'), '405');
    });

    await t.test('ScanMbusChannels NOT OK (strict) is the stored error as a fault', async () => {
      const accepted = await soap(ADHOC, ORG, `<adhoc:ScanMbusChannelsRequest><adhoc:DeviceIdentification>${GATEWAY}</adhoc:DeviceIdentification></adhoc:ScanMbusChannelsRequest>`);
      const uid = accepted.text('//c:CorrelationUid')!;
      await platform.requests.waitForResponse(uid, ORG, 15_000);
      const fault = await soap(ADHOC, ORG, poll('adhoc', 'ScanMbusChannelsAsyncRequest', uid));
      assert.equal(fault.status, 500);
      assert.equal(fault.text('//c:FunctionalFault/c:Code'), '225');
      assert.equal(fault.text('//c:FunctionalFault/c:Message'), 'CONNECTION_REFUSED');
      assert.equal(fault.text('//c:FunctionalFault/c:Component'), 'PROTOCOL_DLMS');
    });

    await t.test('the REST operation API on the same server and platform', async () => {
      const posted = await fetch(`${base}/api/v1/devices/${GATEWAY}/mbus/channels/2/user-key`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: tokens[ORG]! } });
      assert.equal(posted.status, 202);
      const { correlationUid } = (await posted.json()) as { correlationUid: string };
      await platform.requests.waitForResponse(correlationUid, ORG, 15_000);
      const got = await fetch(`${base}/api/v1/responses/${encodeURIComponent(correlationUid)}`, { headers: { 'x-organisation-identification': ORG, authorization: tokens[ORG]! } });
      assert.equal(got.status, 200);
      const body = (await got.json()) as { result: string; messageType: string };
      assert.equal(body.result, 'OK');
      assert.equal(body.messageType, 'SET_MBUS_USER_KEY_BY_CHANNEL');
      const openapi = await fetch(`${base}/openapi.json`);
      assert.equal(openapi.status, 200);
      const denied = await fetch(`${base}/api/v1/devices/${GATEWAY}/mbus/scan`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: tokens['org-b']! } });
      assert.equal(denied.status, 403);
      assert.equal(((await denied.json()) as { code: number }).code, 301);
    });
  });
}
