import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { engines, engineOptions, freshDb } from '../../support/db.ts';
import { startAdminApi } from '../../support/admin-api.ts';
import { Platform } from '../../../src/platform/platform.ts';
import { buildServer } from '../../../src/api/server.ts';
import { PlatformCa, createKeyAndCsr, certificateCn } from '../../../src/platform/ca.ts';
import { issueApiToken } from '../../../src/platform/tokens.ts';

let adminAuth: Record<string, string> = {};

async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = adminAuth) {
  const res = await fetch(base + '/api/v1/admin' + path, {
    method, headers: { ...(method !== 'GET' ? { 'content-type': 'application/json' } : {}), ...headers }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as any };
}

for (const engine of engines) {
  test(`REST admin API over loopback HTTP, with API tokens, on ${engine}`, engineOptions(engine), async (t) => {
    const { db, platform, url: base } = await startAdminApi(t, engine);

    // Without credentials nothing, loopback or not, with or without an organisation header.
    assert.equal((await call(base, 'GET', '/organisations', undefined, {})).status, 401);
    assert.equal((await call(base, 'GET', '/organisations', undefined, { 'x-organisation-identification': 'OSGP' })).status, 401);
    // A token of the built-in ADMIN organisation administers.
    adminAuth = { authorization: `Bearer ${(await issueApiToken(db, 'OSGP')).token}` };
    let r = await call(base, 'POST', '/organisations', { identification: 'org-a', notificationUrl: 'http://127.0.0.1:9/notify' });
    assert.equal(r.status, 201);
    assert.equal(r.body.platformFunctionGroup, 'USER');
    assert.equal((await call(base, 'POST', '/organisations', { identification: 'org-a' })).body.code, 102);
    assert.equal((await call(base, 'POST', '/organisations', { identification: 'org-b', notificationUrl: 'ftp://x' })).status, 400);

    // A USER organisation may not administer; a header naming another organisation than the token's is 301.
    r = await call(base, 'GET', '/organisations', undefined, { authorization: `Bearer ${(await issueApiToken(db, 'org-a')).token}` });
    assert.equal(r.status, 403);
    assert.equal(r.body.code, 301);
    r = await call(base, 'GET', '/organisations', undefined, { ...adminAuth, 'x-organisation-identification': 'nobody' });
    assert.equal(r.status, 403);
    assert.equal(r.body.code, 301);

    r = await call(base, 'POST', '/devices', { deviceIdentification: 'E0000000000000001', deviceType: 'SMART_METER_E', protocolName: 'SMR', protocolVersion: '5.1', host: '10.0.0.1', port: 4059, ownerOrganisationIdentification: 'org-a' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    r = await call(base, 'POST', '/devices', { deviceIdentification: 'G0000000000000001', deviceType: 'SMART_METER_G', mbusIdentificationNumber: '12345678', mbusManufacturerIdentification: 'ITG', gatewayDeviceIdentification: 'E0000000000000001', channel: 2, ownerOrganisationIdentification: 'org-a' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal((await call(base, 'POST', '/devices', { deviceIdentification: 'E0000000000000002', deviceType: 'SMART_METER_E', protocolName: 'SMR', protocolVersion: '9' })).body.code, 206);
    assert.equal((await call(base, 'POST', '/devices', { deviceIdentification: 'short', deviceType: 'SMART_METER_E' })).status, 400);

    r = await call(base, 'PUT', '/devices/E0000000000000001/network', { host: '10.0.0.2', port: 4060 });
    assert.equal(r.body.host, '10.0.0.2');
    assert.equal(r.body.port, 4060);
    assert.equal((await call(base, 'PUT', '/devices/E9999999999999999/network', { host: '10.0.0.2' })).body.code, 201);
    assert.equal((await call(base, 'PUT', '/devices/E0000000000000001/network', { host: 'bad host!' })).body.code, 212);

    r = await call(base, 'GET', '/devices/G0000000000000001');
    assert.equal(r.body.gatewayDeviceIdentification, 'E0000000000000001');
    assert.deepEqual(r.body.authorisations, [{ deviceIdentification: 'G0000000000000001', organisationIdentification: 'org-a', functionGroup: 'OWNER' }]);

    await call(base, 'POST', '/organisations', { identification: 'org-b' });
    r = await call(base, 'POST', '/devices/E0000000000000001/authorisations', { organisationIdentification: 'org-b', functionGroup: 'AD_HOC' });
    assert.equal(r.status, 201);
    assert.equal(r.body.authorisations.length, 2);
    r = await call(base, 'DELETE', '/devices/E0000000000000001/authorisations/org-b/AD_HOC');
    assert.equal(r.body.removed, true);

    r = await call(base, 'GET', '/devices?organisation=org-a');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.devices.map((d: any) => d.deviceIdentification), ['E0000000000000001', 'G0000000000000001']);

    // Requests accepted without workers stay QUEUED and are visible with their audit trail.
    const { correlationUid } = await platform.requests.submit({
      organisationIdentification: 'org-a', userName: 'u', applicationName: 'a', deviceIdentification: 'E0000000000000001',
      messageType: 'SCAN_MBUS_CHANNELS', payload: {}, channel: 'REST',
    });
    r = await call(base, 'GET', '/requests?device=E0000000000000001');
    assert.equal(r.body.requests[0].correlationUid, correlationUid);
    r = await call(base, 'GET', '/requests/' + encodeURIComponent(correlationUid));
    assert.equal(r.body.request.status, 'QUEUED');
    assert.equal(r.body.response, null);
    assert.deepEqual(r.body.audit.map((a: any) => a.event), ['ACCEPTED']);
    assert.equal((await call(base, 'GET', '/requests/nope-nope-nope-nope-nope')).body.code, 405);

    r = await call(base, 'POST', '/organisations/org-a/disable');
    assert.equal(r.body.enabled, false);
    // No CA configured: issuing a certificate is a configuration error.
    assert.equal((await call(base, 'POST', '/organisations/org-a/certificate', { csr: '-----BEGIN CERTIFICATE REQUEST-----' })).body.code, 1300);
  });
}

function httpsCall(port: number, path: string, tls: { ca: string; key?: string; cert?: string }, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path: '/api/v1/admin' + path, method: 'GET', ca: tls.ca, key: tls.key, cert: tls.cert, headers, agent: false }, (res) => {
      let data = '';
      res.on('data', (c) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(data) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('mutual TLS: the client certificate CN must be the organisation, and an ADMIN one', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mf-ca-test-'));
  const { db, dispose } = await freshDb('pglite');
  const platform = await Platform.start({ db, workers: false });
  const ca = await PlatformCa.open(dir);
  const tls = await ca.serverTls();
  const app = await buildServer({ platform, tls, ca });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(async () => {
    await app.close();
    await platform.stop();
    await dispose();
    await rm(dir, { recursive: true, force: true });
  });
  const port = (app.server.address() as AddressInfo).port;
  await db.query(`INSERT INTO organisation (identification, name) VALUES ('org-a', 'A')`);

  const admin = await createKeyAndCsr('whatever-the-csr-says');
  const adminCert = await ca.issueOrganisationCertificate('OSGP', admin.csrPem);
  assert.equal(certificateCn(adminCert), 'OSGP', 'the CA sets the subject, not the CSR');
  const user = await createKeyAndCsr('org-a');
  const userCert = await ca.issueOrganisationCertificate('org-a', user.csrPem);

  // A certificate from another CA is not verified: treated as no certificate.
  const otherDir = await mkdtemp(join(tmpdir(), 'mf-ca-other-'));
  t.after(() => rm(otherDir, { recursive: true, force: true }));
  const other = await PlatformCa.open(otherDir);
  const forged = await other.issueOrganisationCertificate('OSGP', admin.csrPem);

  let r = await httpsCall(port, '/organisations', { ca: tls.ca, key: admin.keyPem, cert: adminCert });
  assert.equal(r.status, 200);
  assert.ok(r.body.organisations.some((o: any) => o.identification === 'org-a'));

  r = await httpsCall(port, '/organisations', { ca: tls.ca, key: admin.keyPem, cert: adminCert }, { 'x-organisation-identification': 'org-a' });
  assert.equal(r.status, 403, 'a header naming another organisation than the CN is refused');
  assert.match(r.body.message, /Organisation \[org-a\] is not the authenticated organisation/);

  r = await httpsCall(port, '/organisations', { ca: tls.ca, key: user.keyPem, cert: userCert });
  assert.equal(r.status, 403);
  assert.equal(r.body.code, 301);

  r = await httpsCall(port, '/organisations', { ca: tls.ca });
  assert.equal(r.status, 401);
  assert.equal(r.body.code, 224);

  r = await httpsCall(port, '/organisations', { ca: tls.ca, key: admin.keyPem, cert: forged });
  assert.equal(r.status, 401);

  // Certificates are issued through the API from a CSR.
  const fresh = await createKeyAndCsr('org-a');
  r = await new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path: '/api/v1/admin/organisations/org-a/certificate', method: 'POST', ca: tls.ca, key: admin.keyPem, cert: adminCert, agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
      let data = '';
      res.on('data', (c) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(data) }));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ csr: fresh.csrPem }));
  });
  assert.equal(r.status, 200);
  assert.equal(certificateCn(r.body.certificate), 'org-a');
  assert.ok(!JSON.stringify(r.body).includes('PRIVATE KEY'));
});
