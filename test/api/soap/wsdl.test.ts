/**
 * The WSDLs and XSDs are served unchanged apart from the address, the schema location, the version in the
 * header comment and the messages two WSDLs use without declaring them (docs/gxf.md#soap-contract),
 * and responses are cross-checked with xmllint (Debian libxml2-utils) when it is installed.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XmlDocument, XmlElement } from 'libxml2-wasm';
import { SCHEMA_DIR } from '../../../src/api/soap/schema.ts';
import { DECLARED_MESSAGES_COMMENT, MISSING_MESSAGES, SERVICES, type ServiceName } from '../../../src/api/soap/wsdl.ts';
import { VERSION } from '../../../src/version.ts';
import { ENDPOINT, envelopeWith, P, post, soapApp } from './helpers.ts';

const { app, platform } = await soapApp({ baseUrl: 'https://headend.example.net:8443' });
const derived = await soapApp();
after(async () => {
  await app.close();
  await derived.app.close();
});

const WSDL_DIR = new URL('../../../src/api/soap/wsdl/', import.meta.url);

function attr(xml: string, xpath: string): string[] {
  const doc = XmlDocument.fromString(xml);
  try {
    return (doc.find(xpath, P) as unknown as { value: string }[]).map((a) => a.value);
  } finally {
    doc.dispose();
  }
}

for (const [service, file] of Object.entries(SERVICES)) {
  test(`${service}?wsdl serves ${file} with our soap:address and absolute schema locations`, async () => {
    for (const url of [`${ENDPOINT}/${service}/?wsdl`, `${ENDPOINT}/${service}?wsdl`]) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200);
      assert.match(res.headers['content-type'] as string, /^text\/xml/);
      assert.deepEqual(attr(res.body, '//wsdl:service/wsdl:port/soap:address/@location'), [
        `https://headend.example.net:8443/osgp-adapter-ws-smartmetering/smartMetering/${service}/`,
      ]);
      const locations = attr(res.body, '//xsd:import/@schemaLocation');
      assert.ok(locations.length > 0);
      for (const l of locations) assert.match(l, /^https:\/\/headend\.example\.net:8443\/osgp-adapter-ws-smartmetering\/smartMetering\/schemas\/[a-z]+-ws-smartmetering\.xsd$/);
      // The version GXF's build fills in is ours.
      assert.ok(res.body.includes(`<!-- Platform version: ${VERSION} -->`));
      assert.ok(!res.body.includes('${display.version}'));
      // The messages GXF's WSDL uses without declaring them are declared, marked, right before the portType.
      const declared = MISSING_MESSAGES[service as ServiceName];
      const block = declared === undefined ? '' : `${DECLARED_MESSAGES_COMMENT}${declared}\n  `;
      if (declared !== undefined) assert.ok(res.body.includes(`${block}<wsdl:portType`));
      // Nothing else changed: undo the rewrites and compare with the original file.
      const original = readFileSync(new URL(file, WSDL_DIR), 'utf8');
      const undone = res.body
        .replace(block, '')
        .replace(`<!-- Platform version: ${VERSION} -->`, '<!-- Platform version: ${display.version} -->')
        .replace(/location="[^"]*"/, 'location="http://localhost:8080/osgp-adapter-ws-smartmetering/smartMetering/' + service + '/"')
        .replaceAll('schemaLocation="https://headend.example.net:8443/osgp-adapter-ws-smartmetering/smartMetering/schemas/', 'schemaLocation="schemas/');
      assert.equal(undone, original);
    }
  });
}

test('the imported schemas resolve at the locations the WSDL names, byte for byte, with their own imports', async () => {
  const wsdl = (await app.inject({ method: 'GET', url: `${ENDPOINT}/configurationService/?wsdl` })).body;
  const [location] = attr(wsdl, '//xsd:import/@schemaLocation');
  const path = new URL(location!).pathname;
  const res = await app.inject({ method: 'GET', url: path });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.rawPayload, readFileSync(join(SCHEMA_DIR, 'configuration-ws-smartmetering.xsd')));
  // configuration imports base-ws-smartmetering.xsd relative to itself.
  const base = await app.inject({ method: 'GET', url: path.replace('configuration-ws-smartmetering.xsd', 'base-ws-smartmetering.xsd') });
  assert.equal(base.statusCode, 200);
  assert.deepEqual(base.rawPayload, readFileSync(join(SCHEMA_DIR, 'base-ws-smartmetering.xsd')));
  // The relative form also works for clients that resolve against the unchanged layout.
  const relative = await app.inject({ method: 'GET', url: `${ENDPOINT}/configurationService/schemas/base-ws-smartmetering.xsd` });
  assert.equal(relative.statusCode, 200);
  const missing = await app.inject({ method: 'GET', url: `${ENDPOINT}/schemas/..%2F..%2Fpackage.json` });
  assert.equal(missing.statusCode, 404);
});

test('without a configured base URL the address is taken from the request', async () => {
  const res = await derived.app.inject({ method: 'GET', url: `${ENDPOINT}/installationService/?wsdl`, headers: { host: 'meters.local:9090' } });
  assert.deepEqual(attr(res.body, '//soap:address/@location'), ['http://meters.local:9090/osgp-adapter-ws-smartmetering/smartMetering/installationService/']);
});

test('a GET on a service without ?wsdl is 405', async () => {
  const res = await app.inject({ method: 'GET', url: `${ENDPOINT}/configurationService/` });
  assert.equal(res.statusCode, 405);
  assert.equal(res.headers.allow, 'POST');
});

const xmllint = spawnSync('xmllint', ['--version']).status === 0;

test('xmllint agrees that responses and faults validate against the XSDs', { skip: xmllint ? undefined : 'xmllint is not installed' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'meterfabric-xmllint-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const root = join(dir, 'root.xsd');
  writeFileSync(
    root,
    `<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:root">` +
      ['configuration', 'installation', 'adhoc', 'common']
        .map((a) => {
          const ns = a === 'common' ? P.smc : (P as Record<string, string>)[{ configuration: 'conf', installation: 'inst', adhoc: 'adhoc' }[a]!];
          return `<xsd:import namespace="${ns}" schemaLocation="${join(SCHEMA_DIR, `${a}-ws-smartmetering.xsd`)}"/>`;
        })
        .join('') +
      `</xsd:schema>`,
  );
  const payloadOf = (envelope: string): string => {
    const doc = XmlDocument.fromString(envelope);
    try {
      const body = doc.get('/s:Envelope/s:Body/*[1]', P) as XmlElement;
      const target = body.name === 'Fault' ? (doc.get('//detail/*[1]', P) as XmlElement) : body;
      return target.canonicalizeToString();
    } finally {
      doc.dispose();
    }
  };
  const check = (name: string, envelope: string): void => {
    const file = join(dir, `${name}.xml`);
    writeFileSync(file, payloadOf(envelope));
    const r = spawnSync('xmllint', ['--noout', '--nonet', '--schema', root, file], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${name}: ${r.stderr}`);
  };

  const accepted = await post(
    app,
    envelopeWith(`<conf:SetMbusUserKeyByChannelRequest><conf:DeviceIdentification>TEST1024000000001</conf:DeviceIdentification>
      <conf:SetMbusUserKeyByChannelRequestData><conf:Channel>1</conf:Channel></conf:SetMbusUserKeyByChannelRequestData></conf:SetMbusUserKeyByChannelRequest>`),
  );
  check('async-response', accepted.body);
  const uid = platform.last().correlationUid;
  platform.complete(uid, 'NOT_OK');
  const poll = await post(app, envelopeWith(`<conf:SetMbusUserKeyByChannelAsyncRequest><com:DeviceIdentification>TEST1024000000001</com:DeviceIdentification>
      <com:CorrelationUid>${uid}</com:CorrelationUid></conf:SetMbusUserKeyByChannelAsyncRequest>`));
  check('response', poll.body);
  const unknown = await post(app, envelopeWith(`<conf:SetMbusUserKeyByChannelAsyncRequest><com:DeviceIdentification>TEST1024000000001</com:DeviceIdentification>
      <com:CorrelationUid>no-such-correlation-uid-at-all</com:CorrelationUid></conf:SetMbusUserKeyByChannelAsyncRequest>`));
  check('functional-fault', unknown.body);

  const scan = await post(app, envelopeWith(`<adhoc:ScanMbusChannelsRequest><adhoc:DeviceIdentification>TEST1024000000001</adhoc:DeviceIdentification></adhoc:ScanMbusChannelsRequest>`), 'adhocService');
  const scanUid = platform.last().correlationUid;
  check('scan-async', scan.body);
  platform.complete(scanUid, 'OK', { data: { channels: [{ channel: 1, primaryAddress: 0, identificationNumber: '00000000', manufacturerIdentification: '', version: 0, deviceTypeIdentification: 0 }] } });
  const scanned = await post(app, envelopeWith(`<adhoc:ScanMbusChannelsAsyncRequest><com:DeviceIdentification>TEST1024000000001</com:DeviceIdentification>
      <com:CorrelationUid>${scanUid}</com:CorrelationUid></adhoc:ScanMbusChannelsAsyncRequest>`), 'adhocService');
  check('scan-response', scanned.body);

  // And xmllint rejects what it should, so the check above can fail.
  writeFileSync(join(dir, 'bad.xml'), `<ns:SetMbusUserKeyByChannelResponse xmlns:ns="${P.conf}"><ns:Result>NOT_OK</ns:Result></ns:SetMbusUserKeyByChannelResponse>`);
  const bad = spawnSync('xmllint', ['--noout', '--nonet', '--schema', root, join(dir, 'bad.xml')], { encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
});
