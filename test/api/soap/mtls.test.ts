/**
 * Mutual TLS: the organisation named in the SOAP header (or the REST caller) must be the CN of the client's own
 * certificate; without a verified certificate (or a token) nothing is accepted. Certificates come from the
 * platform CA (src/platform/ca.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { soapPlugin } from '../../../src/api/soap/plugin.ts';
import { restOperationsPlugin } from '../../../src/api/rest/operations.ts';
import { PlatformCa, createKeyAndCsr } from '../../../src/platform/ca.ts';
import { FakePlatform } from './fake-platform.ts';
import { readReply } from './helpers.ts';
import { installTestSecurity } from '../../support/auth.ts';
import { httpsCall, type ClientTls } from '../../support/https.ts';


const envelope = (org: string) => `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:c="http://www.opensmartgridplatform.org/schemas/common/2014/10"
  xmlns:a="http://www.opensmartgridplatform.org/schemas/smartmetering/sm-adhoc/2014/10"><s:Header><c:OrganisationIdentification>${org}</c:OrganisationIdentification>
  <c:UserName>u</c:UserName><c:ApplicationName>a</c:ApplicationName></s:Header>
  <s:Body><a:ScanMbusChannelsRequest><a:DeviceIdentification>TEST1024000000001</a:DeviceIdentification></a:ScanMbusChannelsRequest></s:Body></s:Envelope>`;

test('mutual TLS binds the organisation to the client certificate CN, for SOAP and REST', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mf-api-ca-'));
  const otherDir = await mkdtemp(join(tmpdir(), 'mf-api-ca-other-'));
  const ca = await PlatformCa.open(dir);
  const server = await ca.serverTls();
  const platform = new FakePlatform();
  const app = Fastify({ https: { key: server.key, cert: server.cert, ca: server.ca, requestCert: true, rejectUnauthorized: false } });
  installTestSecurity(app);
  await app.register(soapPlugin, { platform });
  await app.register(restOperationsPlugin, { platform });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
    await rm(otherDir, { recursive: true, force: true });
  });
  const port = (app.server.address() as AddressInfo).port;

  const client = await createKeyAndCsr('test-org');
  const good: ClientTls = { ca: server.ca, key: client.keyPem, cert: await ca.issueOrganisationCertificate('test-org', client.csrPem) };
  const forged: ClientTls = { ca: server.ca, key: client.keyPem, cert: await (await PlatformCa.open(otherDir)).issueOrganisationCertificate('test-org', client.csrPem) };
  const none: ClientTls = { ca: server.ca };
  const soapPath = '/osgp-adapter-ws-smartmetering/smartMetering/adhocService/';
  const soap = async (tls: ClientTls, org: string) => {
    const res = await httpsCall(port, 'POST', soapPath, tls, envelope(org), { 'content-type': 'text/xml' });
    return readReply(res.status, res.body);
  };
  const code = (r: ReturnType<typeof readReply>) => r.text('//c:FunctionalFault/c:Code');

  const ok = await soap(good, 'test-org');
  assert.equal(ok.status, 200, ok.body);
  assert.equal(platform.last().organisationIdentification, 'test-org');

  const before = platform.submitted.length;
  // Another organisation in the header than the certificate's CN: GXF's 301.
  const other = await soap(good, 'other-org');
  assert.equal(other.status, 500);
  assert.equal(code(other), '301');
  // No certificate, or one from another CA: not authenticated.
  for (const tls of [none, forged]) {
    const refused = await soap(tls, 'test-org');
    assert.equal(refused.status, 401);
    assert.equal(code(refused), '224');
  }
  // The CA's own CN is in the chain but names no organisation.
  const viaIssuer = await soap(good, 'meterfabric platform CA');
  assert.equal(viaIssuer.status, 500);
  assert.equal(code(viaIssuer), '301');
  assert.equal(platform.submitted.length, before);

  const restPath = '/api/v1/devices/TEST1024000000001/mbus/scan';
  const json = { 'content-type': 'application/json' };
  const asCert = await httpsCall(port, 'POST', restPath, good, '', json);
  assert.equal(asCert.status, 202, asCert.body);
  assert.equal(platform.last().organisationIdentification, 'test-org');
  const otherHeader = await httpsCall(port, 'POST', restPath, good, '', { ...json, 'x-organisation-identification': 'other-org' });
  assert.equal(otherHeader.status, 403);
  assert.equal(JSON.parse(otherHeader.body).code, 301);
  for (const tls of [none, forged]) {
    const res = await httpsCall(port, 'POST', restPath, tls, '', { ...json, 'x-organisation-identification': 'test-org' });
    assert.equal(res.status, 401);
    assert.equal(JSON.parse(res.body).code, 224);
  }
});
