/**
 * The served AdminDeviceManagement WSDL loads in a strict reader (every message, part, element, type, portType,
 * binding and header reference resolves, as zeep and wsimport require), names this server as its address, and a
 * client generated from it calls its operations on a real listening server, at the service path and at GXF's
 * `…/deviceManagementService/DeviceManagement`.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import { XmlDocument, type XmlElement } from 'libxml2-wasm';
import { adminSoapPlugin } from '../../../src/api/soap/admin.ts';
import { ADMIN_NS, ADMIN_OPERATIONS, validateAdminEnvelopeXml } from '../../../src/api/soap/admin-wsdl.ts';
import { NS } from '../../../src/api/soap/xml.ts';
import { freshDb } from '../../support/db.ts';
import { bearer, installTestSecurity } from '../../support/auth.ts';
import { type GeneratedOperation, loadWsdlStrict } from './strict-wsdl.ts';

const { db, dispose } = await freshDb('pglite');
const app = Fastify();
installTestSecurity(app);
await app.register(adminSoapPlugin, { db, validateResponses: true });
await app.listen({ host: '127.0.0.1', port: 0 });
after(async () => {
  await app.close();
  await dispose();
});
const origin = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
const service = `${origin}/osgp-adapter-ws-admin/admin/deviceManagementService`;
const SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
const HEADERS = ['OrganisationIdentification', 'UserName', 'ApplicationName'];

async function call(op: GeneratedOperation, body: string, org = 'OSGP', endpoint = op.endpoint): Promise<{ status: number; xml: string; root: string }> {
  const values: Record<string, string> = { OrganisationIdentification: org, UserName: 'wsimport', ApplicationName: 'generated' };
  const headers = op.headers.map((h) => `<h:${h.local} xmlns:h="${h.ns}">${values[h.local]}</h:${h.local}>`).join('');
  const envelope = `<?xml version="1.0" encoding="UTF-8"?><S:Envelope xmlns:S="${SOAP_ENV}"><S:Header>${headers}</S:Header><S:Body><t:${op.input.local} xmlns:t="${op.input.ns}">${body}</t:${op.input.local}></S:Body></S:Envelope>`;
  const res = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${op.soapAction}"`, ...bearer(org) }, body: envelope });
  const xml = await res.text();
  const doc = XmlDocument.fromString(xml);
  try {
    return { status: res.status, xml, root: (doc.get('/S:Envelope/S:Body/*[1]', { S: SOAP_ENV }) as XmlElement).name };
  } finally {
    doc.dispose();
  }
}

test('the served admin WSDL loads in the strict reader with its 15 operations, each taking the three common headers, at this server', async () => {
  for (const url of [`${service}/?wsdl`, `${service}?wsdl`]) {
    const res = await fetch(url);
    assert.equal(res.status, 200);
    const client = await loadWsdlStrict(await res.text());
    assert.equal(client.targetNamespace, 'http://www.opensmartgridplatform.org/definitions/admin/devicemanagement-v1.0');
    assert.deepEqual([...client.operations.keys()].sort(), [
      'ActivateOrganisation', 'ChangeOrganisation', 'CreateOrganisation', 'FindDeviceAuthorisations', 'FindDevicesWhichHaveNoOwner', 'FindMessageLogs',
      'GetProtocolInfos', 'RemoveDevice', 'RemoveOrganisation', 'RevokeKey', 'SetCommunicationNetworkInformation', 'SetOwner', 'UpdateDeviceAuthorisations',
      'UpdateDeviceProtocol', 'UpdateKey',
    ]);
    for (const op of client.operations.values()) {
      assert.equal(op.endpoint, `${service}/`, `${op.name} soap:address`);
      assert.deepEqual(op.headers, HEADERS.map((local) => ({ ns: NS.common, local })), `${op.name} headers`);
      assert.deepEqual(op.input, { ns: ADMIN_NS, local: `${op.name}Request` });
      assert.deepEqual(op.output, { ns: ADMIN_NS, local: `${op.name}Response` });
    }
  }
  // The operations the server dispatches are the WSDL's, read from the same file.
  assert.equal(ADMIN_OPERATIONS.length, 15);
});

test('the WSDL is served as GXF wrote it: only soap:address and the schema location differ; the schemas unchanged', async () => {
  const file = readFileSync(new URL('../../../src/api/soap/admin-wsdl/AdminDeviceManagement.wsdl', import.meta.url), 'utf8');
  const served = await (await fetch(`${service}/?wsdl`)).text();
  const normalise = (s: string) => s.replace(/location="[^"]*"/g, 'location=""').replace(/schemaLocation="[^"]*"/g, 'schemaLocation=""').replace(/<!-- Platform version: .* -->/, '');
  assert.equal(normalise(served), normalise(file));
  for (const name of ['devicemanagement-ws-admin.xsd', 'common-ws-admin.xsd']) {
    const xsd = readFileSync(new URL(`../../../src/api/soap/admin-wsdl/schemas/${name}`, import.meta.url), 'utf8');
    assert.equal(await (await fetch(`${origin}/osgp-adapter-ws-admin/admin/schemas/${name}`)).text(), xsd);
  }
  assert.equal((await fetch(`${service}/`)).status, 405, 'GET without ?wsdl is told to POST');
});

test('a client generated from the served WSDL calls GetProtocolInfos and FindDevicesWhichHaveNoOwner; a USER organisation gets 301', async () => {
  const client = await loadWsdlStrict(await (await fetch(`${service}/?wsdl`)).text());
  const infos = client.operations.get('GetProtocolInfos')!;
  for (const endpoint of [infos.endpoint, `${service}/DeviceManagement`]) {
    const a = await call(infos, '', 'OSGP', endpoint);
    assert.equal(a.status, 200, a.xml);
    assert.equal(a.root, 'GetProtocolInfosResponse');
    assert.deepEqual(validateAdminEnvelopeXml(a.xml), []);
    assert.match(a.xml, /<ns:ProtocolInfos><ns:Id>4<\/ns:Id><ns:Protocol>SMR<\/ns:Protocol><ns:ProtocolVersion>5.0.0<\/ns:ProtocolVersion><\/ns:ProtocolInfos>/);
  }
  // GXF's answer when no device lacks an owner is an empty list, which its own schema does not allow (docs/gxf-admin.md).
  const noOwner = await call(client.operations.get('FindDevicesWhichHaveNoOwner')!, '');
  assert.equal(noOwner.status, 200, noOwner.xml);
  assert.equal(noOwner.root, 'FindDevicesWhichHaveNoOwnerResponse');

  await db.query(`INSERT INTO organisation (identification, name) VALUES ('plain-user', 'A user organisation')`);
  const refused = await call(infos, '', 'plain-user');
  assert.equal(refused.status, 500);
  assert.equal(refused.root, 'Fault');
  assert.deepEqual(validateAdminEnvelopeXml(refused.xml), [], 'the fault detail is the admin schema\'s FunctionalFault');
  assert.match(refused.xml, /<ns2:Code>301<\/ns2:Code><ns2:Message>UNAUTHORIZED<\/ns2:Message>/);
});
