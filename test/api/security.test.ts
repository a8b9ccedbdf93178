/**
 * Nobody is trusted by default (README "Security model"), through the real head-end (src/runtime/headend.ts) on a
 * loopback port: every route but the public ones needs a client certificate or an API token, whatever the network
 * location; Host, content type and Origin are checked before any route; the SOAP header and the REST header must
 * name the authenticated organisation; a client certificate with two CNs is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withHttpHeadend } from '../support/http-headend.ts';
import { freshDb } from '../support/db.ts';
import { startHeadend } from '../../src/runtime/headend.ts';
import { SoftwareKekProvider } from '../../src/secrets/kek.ts';
import { addOrganisation } from '../../src/platform/inventory.ts';
import { createKeyAndCsr, PlatformCa } from '../../src/platform/ca.ts';
import { issueApiToken, issueSignInToken } from '../../src/platform/tokens.ts';
import { PushListener } from '../../src/push/listener.ts';
import { SOAP_BASE, xpathText } from '../support/e2e.ts';
import { httpsCall } from '../support/https.ts';

const run = promisify(execFile);
const ORG = 'sec-org';
const OTHER = 'other-org';

/** A raw HTTP request, so that Host and every other header are exactly as given. */
function raw(url: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, method, path, headers, agent: false }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const envelope = (org: string, device = 'E0051004000000901') => `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:c="http://www.opensmartgridplatform.org/schemas/common/2014/10"
  xmlns:a="http://www.opensmartgridplatform.org/schemas/smartmetering/sm-adhoc/2014/10"><s:Header><c:OrganisationIdentification>${org}</c:OrganisationIdentification>
  <c:UserName>u</c:UserName><c:ApplicationName>a</c:ApplicationName></s:Header>
  <s:Body><a:ScanMbusChannelsRequest><a:DeviceIdentification>${device}</a:DeviceIdentification></a:ScanMbusChannelsRequest></s:Body></s:Envelope>`;
const SOAP_PATH = `${SOAP_BASE}/adhocService/`;
const XML = { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' };
const faultCode = (xml: string) => xpathText(xml, '//c:FunctionalFault/c:Code');

test('every API route needs credentials; loopback and organisation headers are not credentials', async () => {
  await withHttpHeadend(async (f) => {
    await addOrganisation(f.db, { identification: ORG });
    const requests = async () => Number((await f.db.query<{ n: string }>('SELECT count(*) AS n FROM request')).rows[0]!.n);

    // The admin API without credentials, with or without an organisation header: 401, never the built-in ADMIN.
    for (const headers of [{}, { 'x-organisation-identification': 'OSGP' }] as Record<string, string>[]) {
      const r = await fetch(`${f.url}/api/v1/admin/devices`, { headers });
      assert.equal(r.status, 401);
      assert.equal(((await r.json()) as { code: number }).code, 224);
    }
    // REST operations and SOAP from loopback with only the organisation header: 401 and nothing submitted.
    const rest = await fetch(`${f.url}/api/v1/devices/E0051004000000901/mbus/scan`, {
      method: 'POST', headers: { 'x-organisation-identification': ORG, 'content-type': 'application/json' },
    });
    assert.equal(rest.status, 401);
    assert.match(rest.headers.get('content-type')!, /^application\/problem\+json/);
    const soap = await fetch(`${f.url}${SOAP_PATH}`, { method: 'POST', headers: XML, body: envelope(ORG) });
    assert.equal(soap.status, 401);
    const soapBody = await soap.text();
    assert.ok(xpathText(soapBody, '/s:Envelope/s:Body/s:Fault/faultstring'), soapBody);
    assert.equal(faultCode(soapBody), '224');
    // The console API and the public key's neighbours.
    assert.equal((await fetch(`${f.url}/console/api/gateways`)).status, 401);
    assert.equal((await fetch(`${f.url}/api/v1/responses/x`, { headers: { 'x-organisation-identification': ORG } })).status, 401);
    // An unknown token is refused the same way.
    assert.equal((await fetch(`${f.url}/api/v1/admin/devices`, { headers: { authorization: 'Bearer mft_not-a-token' } })).status, 401);
    assert.equal(await requests(), 0);

    // What discloses nothing stays public.
    for (const path of ['/health', '/ready', '/metrics', `${SOAP_PATH}?wsdl`, '/openapi.json', '/console/', '/console/app.js', '/api/v1/platform/public-key']) {
      assert.equal((await fetch(`${f.url}${path}`)).status, 200, path);
    }
    const wsdl = await (await fetch(`${f.url}${SOAP_PATH}?wsdl`)).text();
    const xsd = /schemaLocation="([^"]+)"/.exec(wsdl)?.[1];
    assert.ok(xsd);
    assert.equal((await fetch(new URL(xsd, `${f.url}${SOAP_PATH}`))).status, 200);
  });
});

test('one API token works on SOAP, REST, the admin API and the console; headers must name its organisation', async () => {
  await withHttpHeadend(async (f) => {
    await addOrganisation(f.db, { identification: ORG });
    await addOrganisation(f.db, { identification: OTHER });
    await f.gateway('E0051004000000901', ORG);
    await f.gateway('E0051004000000902', OTHER);
    const auth = await f.auth(ORG);

    const ok = await fetch(`${f.url}${SOAP_PATH}`, { method: 'POST', headers: { ...XML, ...auth }, body: envelope(ORG) });
    assert.equal(ok.status, 200, await ok.clone().text());
    // The SOAP header names another organisation than the token's — one that may act on the device: GXF's 301,
    // nothing submitted.
    const before = (await f.db.query('SELECT 1 FROM request')).rowCount;
    const foreign = await fetch(`${f.url}${SOAP_PATH}`, { method: 'POST', headers: { ...XML, ...auth }, body: envelope(OTHER, 'E0051004000000902') });
    assert.equal(foreign.status, 500);
    assert.equal(faultCode(await foreign.text()), '301');
    assert.equal((await f.db.query('SELECT 1 FROM request')).rowCount, before);

    const scan = `${f.url}/api/v1/devices/E0051004000000901/mbus/scan`;
    const json = { 'content-type': 'application/json' };
    assert.equal((await fetch(scan, { method: 'POST', headers: { ...json, ...auth } })).status, 202, 'the header is optional with a token');
    assert.equal((await fetch(scan, { method: 'POST', headers: { ...json, ...auth, 'x-organisation-identification': ORG } })).status, 202);
    const mismatch = await fetch(`${f.url}/api/v1/devices/E0051004000000902/mbus/scan`, { method: 'POST', headers: { ...json, ...auth, 'x-organisation-identification': OTHER } });
    assert.equal(mismatch.status, 403);
    assert.equal(((await mismatch.json()) as { code: number }).code, 301);
    assert.equal((await f.db.query("SELECT 1 FROM request WHERE device_identification = 'E0051004000000902'")).rowCount, 0);

    // A USER organisation's token does not open the admin API; the ADMIN token in admin.token does.
    assert.equal((await fetch(`${f.url}/api/v1/admin/devices`, { headers: auth })).status, 403);
    assert.equal((await fetch(`${f.url}/api/v1/admin/devices`, { headers: { authorization: `Bearer ${f.adminToken}` } })).status, 200);
    assert.equal(statSync(f.h.adminTokenPath!).mode & 0o777, 0o600);

    // The console API takes the same token, and signs in with it.
    const gateways = await fetch(`${f.url}/console/api/gateways`, { headers: auth });
    assert.equal(gateways.status, 200);
    assert.deepEqual(((await gateways.json()) as { gateways: { deviceIdentification: string }[] }).gateways.map((g) => g.deviceIdentification), ['E0051004000000901']);
    const signIn = await fetch(`${f.url}/console/api/session`, { method: 'POST', headers: json, body: JSON.stringify({ token: auth.authorization!.slice(7) }) });
    assert.equal(signIn.status, 200);
    const cookie = signIn.headers.get('set-cookie')!;
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.doesNotMatch(cookie, /Secure/, 'Secure only under TLS');

    // Revoked: refused everywhere.
    const revoke = await fetch(`${f.url}/api/v1/admin/organisations/${ORG}/tokens`, { method: 'DELETE', headers: { authorization: `Bearer ${f.adminToken}` } });
    assert.equal(revoke.status, 200);
    assert.equal((await fetch(scan, { method: 'POST', headers: { ...json, ...auth } })).status, 401);
    assert.equal((await fetch(`${f.url}/console/api/gateways`, { headers: { cookie: cookie.split(';')[0]! } })).status, 401);
  });
});

test('the console signs in with a token or a one-time link only; no organisation signs in by name', async () => {
  await withHttpHeadend(async (f) => {
    await addOrganisation(f.db, { identification: ORG });
    const json = { 'content-type': 'application/json' };
    for (const body of [{ organisation: 'OSGP' }, {}]) {
      const r = await fetch(`${f.url}/console/api/session`, { method: 'POST', headers: json, body: JSON.stringify(body) });
      assert.ok(r.status === 400 || r.status === 401, `${JSON.stringify(body)} -> ${r.status}`);
      assert.equal(r.headers.get('set-cookie'), null);
    }
    const link = await issueSignInToken(f.db, ORG, 'test');
    const first = await fetch(`${f.url}/console/api/session`, { method: 'POST', headers: json, body: JSON.stringify({ token: link }) });
    assert.equal(first.status, 200);
    assert.equal(((await first.json()) as { organisationIdentification: string }).organisationIdentification, ORG);
    const again = await fetch(`${f.url}/console/api/session`, { method: 'POST', headers: json, body: JSON.stringify({ token: link }) });
    assert.equal(again.status, 401, 'a sign-in link works once');
    // A sign-in token is no bearer token.
    assert.equal((await fetch(`${f.url}/console/api/gateways`, { headers: { authorization: `Bearer ${await issueSignInToken(f.db, ORG)}` } })).status, 401);
  });
});

test('browser-borne requests are refused: foreign Host, wrong content type, foreign Origin', async () => {
  await withHttpHeadend(async (f) => {
    await addOrganisation(f.db, { identification: ORG });
    await f.gateway('E0051004000000901', ORG);
    const { port } = new URL(f.url);
    const admin = { authorization: `Bearer ${f.adminToken}` };
    const token = (await f.auth(ORG)).authorization!;

    // DNS rebinding: a valid request under another host name.
    for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1:${Number(port) + 1}`]) {
      const r = await raw(f.url, 'GET', '/api/v1/admin/devices', { host, ...admin });
      assert.equal(r.status, 421, host);
    }
    assert.equal((await raw(f.url, 'GET', '/metrics', { host: `evil.example:${port}` })).status, 421, 'public routes too');
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`]) assert.equal((await raw(f.url, 'GET', '/api/v1/admin/devices', { host, ...admin })).status, 200, host);

    // SOAP as text/plain (what an HTML form or a no-cors fetch can send): refused, nothing submitted.
    const plain = await raw(f.url, 'POST', SOAP_PATH, { host: `127.0.0.1:${port}`, 'content-type': 'text/plain', authorization: token }, envelope(ORG));
    assert.equal(plain.status, 415);
    assert.ok(xpathText(plain.body, '/s:Envelope/s:Body/s:Fault/faultstring'));
    // Admin POSTs without the JSON content type, with or without a body.
    for (const headers of [{}, { 'content-type': 'application/x-www-form-urlencoded' }, { 'content-type': 'text/plain' }] as Record<string, string>[]) {
      const r = await raw(f.url, 'POST', `/api/v1/admin/organisations/${ORG}/disable`, { host: `127.0.0.1:${port}`, ...admin, ...headers }, Object.keys(headers).length ? 'a=b' : undefined);
      assert.equal(r.status, 415, JSON.stringify(headers));
    }
    assert.equal((await f.db.query<{ enabled: boolean }>('SELECT enabled FROM organisation WHERE identification = $1', [ORG])).rows[0]!.enabled, true);
    // A foreign Origin on a state-changing request, even with valid credentials (a browser sends the cookie).
    const evil = await raw(f.url, 'POST', `/api/v1/admin/organisations/${ORG}/disable`, {
      host: `127.0.0.1:${port}`, origin: 'http://evil.example', 'content-type': 'application/json', ...admin,
    });
    assert.equal(evil.status, 403);
    assert.equal((await f.db.query<{ enabled: boolean }>('SELECT enabled FROM organisation WHERE identification = $1', [ORG])).rows[0]!.enabled, true);
    const own = await raw(f.url, 'POST', `/api/v1/admin/organisations/${ORG}/disable`, {
      host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}`, 'content-type': 'application/json', ...admin,
    });
    assert.equal(own.status, 200, own.body);
  });
});

test('a client certificate with two CNs is refused, and the CA never issues one', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mf-sec-tls-'));
  const { db, dispose } = await freshDb('pglite');
  const h = await startHeadend({ dataDir, db, kek: SoftwareKekProvider.generate(), clientKeyBits: 1024, http: { host: '127.0.0.1', port: 0, tls: true }, push: false, workers: false });
  t.after(async () => {
    await h.stop();
    await dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });
  await addOrganisation(db, { identification: 'acme' });
  const pki = join(dataDir, 'pki');
  const ca = readFileSync(join(pki, 'ca.cert.pem'), 'utf8');
  // A certificate the platform CA signed for subject /CN=acme/CN=OSGP (what a CN taken verbatim into -subj makes).
  const client = await createKeyAndCsr('acme');
  const tmp = mkdtempSync(join(tmpdir(), 'mf-sec-cert-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  writeFileSync(join(tmp, 'req.csr'), client.csrPem);
  writeFileSync(join(tmp, 'ext.cnf'), 'basicConstraints=critical,CA:FALSE\nextendedKeyUsage=clientAuth\n');
  await run('openssl', ['x509', '-req', '-in', 'req.csr', '-CA', join(pki, 'ca.cert.pem'), '-CAkey', join(pki, 'ca.key.pem'), '-CAcreateserial', '-CAserial', join(tmp, 'ca.srl'),
    '-days', '1', '-subj', '/CN=acme/CN=OSGP', '-extfile', 'ext.cnf', '-out', 'two.pem'], { cwd: tmp });
  const twoCn = readFileSync(join(tmp, 'two.pem'), 'utf8');
  const oneCn = await (await PlatformCa.open(pki)).issueOrganisationCertificate('acme', client.csrPem);
  const port = new URL(h.url!).port;
  const call = (cert: string, path: string, body?: string, headers: Record<string, string> = {}) =>
    httpsCall(Number(port), body === undefined ? 'GET' : 'POST', path, { ca, key: client.keyPem, cert }, body, { host: `localhost:${port}`, ...headers }, 'localhost');

  const adminAsTwoCn = await call(twoCn, '/api/v1/admin/organisations');
  assert.equal(adminAsTwoCn.status, 401, adminAsTwoCn.body);
  const soapAsOsgp = await call(twoCn, SOAP_PATH, envelope('OSGP'), XML);
  assert.equal(soapAsOsgp.status, 401, soapAsOsgp.body);
  // The same key with the one-CN certificate is acme, and only acme.
  assert.equal((await call(oneCn, '/api/v1/admin/organisations')).status, 403);
  const soapAsAcme = await call(oneCn, SOAP_PATH, envelope('acme'), XML);
  assert.equal(faultCode(soapAsAcme.body), '201', soapAsAcme.body);
  assert.equal(faultCode((await call(oneCn, SOAP_PATH, envelope('OSGP'), XML)).body), '301');

  // `org cert` makes and the CA signs subjects of one plain CN only.
  await assert.rejects(createKeyAndCsr('acme/CN=OSGP'), { code: 401 });
  await assert.rejects((await PlatformCa.open(pki)).issueOrganisationCertificate('acme/CN=OSGP', client.csrPem), { code: 401 });
  await assert.rejects((await PlatformCa.open(pki)).issueOrganisationCertificate('acme+CN=OSGP', client.csrPem), { code: 401 });
  // A token and a certificate of different organisations are refused together.
  const { token } = await issueApiToken(db, 'OSGP');
  assert.equal((await call(oneCn, '/api/v1/admin/organisations', undefined, { authorization: `Bearer ${token}` })).status, 401);
});

test('the DLMS push listener binds 127.0.0.1 unless told otherwise', async (t) => {
  const listener = new PushListener({ port: 0, onPush: () => undefined });
  await listener.start();
  t.after(() => listener.stop());
  const tcp = (listener as unknown as { tcp: { address(): { address: string } } }).tcp.address();
  const udp = (listener as unknown as { udp: { address(): { address: string } } }).udp.address();
  assert.equal(tcp.address, '127.0.0.1');
  assert.equal(udp.address, '127.0.0.1');

  const dataDir = mkdtempSync(join(tmpdir(), 'mf-sec-push-'));
  const { db, dispose } = await freshDb('pglite');
  const h = await startHeadend({ dataDir, db, kek: SoftwareKekProvider.generate(), clientKeyBits: 1024, http: false, push: { port: 0 }, workers: false });
  t.after(async () => {
    await h.stop();
    await dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });
  assert.equal((h.push as unknown as { tcp: { address(): { address: string } } }).tcp.address().address, '127.0.0.1');
  assert.equal((h.push as unknown as { udp: { address(): { address: string } } }).udp.address().address, '127.0.0.1');
});
