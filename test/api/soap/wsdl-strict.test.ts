/**
 * Issue 15 item 4: every served WSDL loads in a strict reader (every message, part, element, type, portType,
 * binding and header reference resolves, as zeep and wsimport require), and a client generated from it calls an
 * operation on a real listening server. GXF's own Monitoring and Installation WSDLs do not load that way; the
 * served ones declare the missing messages (src/api/soap/wsdl.ts, docs/gxf.md#declared-messages).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import { XmlDocument, type XmlElement } from 'libxml2-wasm';
import { soapPlugin } from '../../../src/api/soap/plugin.ts';
import { validateEnvelopeXml } from '../../../src/api/soap/schema.ts';
import { SERVICES, SOAP_BASE_PATH, type ServiceName } from '../../../src/api/soap/wsdl.ts';
import { NS } from '../../../src/api/soap/xml.ts';
import { FakePlatform, KNOWN_ORGANISATION } from './fake-platform.ts';
import { bearer, installTestSecurity } from '../../support/auth.ts';
import { type GeneratedClient, type GeneratedOperation, loadWsdlStrict, WsdlReferenceError } from './strict-wsdl.ts';

const platform = new FakePlatform();
const app = Fastify();
installTestSecurity(app);
await app.register(soapPlugin, { platform });
await app.listen({ host: '127.0.0.1', port: 0 });
after(() => app.close());
const origin = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
const root = `${origin}${SOAP_BASE_PATH}`;

const SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
const HEADER_VALUES: Record<string, string> = { OrganisationIdentification: KNOWN_ORGANISATION, UserName: 'generated-client', ApplicationName: 'zeep' };
const GATEWAY = 'TEST1024000000001';

async function served(service: ServiceName): Promise<GeneratedClient> {
  const res = await fetch(`${root}/${service}/?wsdl`);
  assert.equal(res.status, 200);
  return loadWsdlStrict(await res.text());
}

/** GXF's file as it is in the repository, with only its schema locations pointing at this server. */
function original(service: ServiceName): string {
  return readFileSync(new URL(`../../../src/api/soap/wsdl/${SERVICES[service]}`, import.meta.url), 'utf8').replace(/schemaLocation="schemas\//g, `schemaLocation="${root}/schemas/`);
}

test('the strict reader refuses GXF\'s own Monitoring and Installation WSDLs, naming the undeclared messages', async () => {
  await assert.rejects(loadWsdlStrict(original('monitoringService')), (e: unknown) => {
    assert.ok(e instanceof WsdlReferenceError);
    assert.deepEqual(new Set(e.problems), new Set(['binding operation GetThdFingerprint soap:header: message tns:ActionHeader is not declared', 'binding operation GetThdFingerprintResponse soap:header: message tns:ActionHeader is not declared']));
    return true;
  });
  await assert.rejects(loadWsdlStrict(original('installationService')), (e: unknown) => {
    assert.ok(e instanceof WsdlReferenceError);
    assert.deepEqual(e.problems, [
      'portType operation DecoupleMbusDeviceAdministrative output: message tns:DecoupleMbusDeviceAdministrativeAsyncResponse is not declared',
      'portType operation GetDecoupleMbusDeviceAdministrativeReponse input: message tns:DecoupleMbusDeviceAdministrativeAsyncRequest is not declared',
      'portType operation GetDecoupleMbusDeviceAdministrativeReponse output: message tns:DecoupleMbusDeviceAdministrativeResponse is not declared',
    ]);
    return true;
  });
  // The other six load as GXF wrote them.
  for (const service of ['adhocService', 'bundleService', 'commonService', 'configurationService', 'managementService', 'notificationService'] as const) {
    await loadWsdlStrict(original(service));
  }
});

test('the strict reader also catches dangling parts, elements, types, bindings and ports', async () => {
  const wsdl = original('adhocService');
  const broken = (from: string | RegExp, to: string) => {
    const out = wsdl.replace(from, to);
    assert.notEqual(out, wsdl, `${String(from)} occurs`);
    return loadWsdlStrict(out);
  };
  await assert.rejects(broken(/part="UserName"/, 'part="User"'), /has no part User/);
  await assert.rejects(broken(/element="smadhoc:ScanMbusChannelsRequest"/, 'element="smadhoc:ScanMbusChannelRequest"'), /element smadhoc:ScanMbusChannelRequest is not declared/);
  await assert.rejects(broken(/<wsdl:port binding="tns:/, '<wsdl:port binding="tns:X'), /binding tns:X.* is not declared/);
  await assert.rejects(broken(/(<wsdl:binding[^>]*type=")tns:/, '$1tns:X'), /portType tns:X.* is not declared/);
  // A schema whose type reference dangles
  await assert.rejects(
    loadWsdlStrict(wsdl, async (url) => {
      const text = await (await fetch(url)).text();
      return url.endsWith('adhoc-ws-smartmetering.xsd') ? text.replace('type="common:DeviceIdentification"', 'type="common:DeviceIdentifikation"') : text;
    }),
    /undeclared type common:DeviceIdentifikation/,
  );
});

for (const service of Object.keys(SERVICES) as ServiceName[]) {
  test(`${service}: the served WSDL loads in the strict reader`, async () => {
    const client = await served(service);
    assert.ok(client.operations.size > 0);
    for (const op of client.operations.values()) assert.equal(new URL(op.endpoint).origin, origin, `${op.name} soap:address`);
  });
}

test('served Monitoring WSDL: GetThdFingerprint takes the three common headers from the declared ActionHeader; every element and operation is GXF\'s', async () => {
  const client = await served('monitoringService');
  for (const name of ['GetThdFingerprint', 'GetThdFingerprintResponse']) {
    const op = client.operations.get(name)!;
    assert.deepEqual(op.headers, ['OrganisationIdentification', 'UserName', 'ApplicationName'].map((local) => ({ ns: NS.common, local })));
  }
  // Same operations, messages and binding as GXF's file: only the declared message is new.
  const names = (xml: string, xpath: string) => {
    const doc = XmlDocument.fromString(xml);
    try {
      return (doc.find(xpath, { wsdl: 'http://schemas.xmlsoap.org/wsdl/' }) as XmlElement[]).map((e) => e.attr('name')!.value);
    } finally {
      doc.dispose();
    }
  };
  const servedText = await (await fetch(`${root}/monitoringService/?wsdl`)).text();
  for (const xpath of ['//wsdl:portType/wsdl:operation', '//wsdl:binding/wsdl:operation']) assert.deepEqual(names(servedText, xpath), names(original('monitoringService'), xpath));
  assert.deepEqual(names(servedText, '//wsdl:message'), [...names(original('monitoringService'), '//wsdl:message'), 'ActionHeader']);
});

function envelopeFor(op: GeneratedOperation, body: string): string {
  const headers = op.headers.map((h) => `<h:${h.local} xmlns:h="${h.ns}">${HEADER_VALUES[h.local]}</h:${h.local}>`).join('');
  return (
    `<?xml version="1.0" encoding="UTF-8"?><S:Envelope xmlns:S="${SOAP_ENV}"><S:Header>${headers}</S:Header><S:Body>` +
    `<t:${op.input.local} xmlns:t="${op.input.ns}" xmlns:c="${NS.common}">${body}</t:${op.input.local}></S:Body></S:Envelope>`
  );
}

interface Answer {
  status: number;
  body: string;
  root: { ns: string; local: string };
  faultCode?: string;
}

async function call(op: GeneratedOperation, body: string): Promise<Answer> {
  const res = await fetch(op.endpoint, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${op.soapAction}"`, ...bearer(KNOWN_ORGANISATION) }, body: envelopeFor(op, body) });
  const text = await res.text();
  const doc = XmlDocument.fromString(text);
  try {
    const el = doc.get('/S:Envelope/S:Body/*[1]', { S: SOAP_ENV }) as XmlElement;
    const code = (doc.get('//c:FunctionalFault/c:Code', { c: NS.common }) as XmlElement | null)?.content;
    return { status: res.status, body: text, root: { ns: el.namespaceUri, local: el.name }, ...(code ? { faultCode: code } : {}) };
  } finally {
    doc.dispose();
  }
}

/**
 * The server understood the generated call: either the operation's output element, or GXF's FunctionalFault for an
 * operation this platform does not carry out (407) or a correlation UID it does not know (405) — never a header or
 * schema validation fault, which is what a mis-generated call gets.
 */
function assertUnderstood(op: GeneratedOperation, a: Answer): void {
  if (a.status === 200) {
    assert.deepEqual(a.root, op.output, a.body);
    assert.deepEqual(validateEnvelopeXml(a.body), []);
    return;
  }
  assert.equal(a.root.local, 'Fault', a.body);
  assert.ok(a.faultCode === '405' || a.faultCode === '407', `${op.name}: ${a.body}`);
}

const ASYNC_REQUEST = { ns: NS.common, local: 'AsyncRequest' };

for (const service of Object.keys(SERVICES) as ServiceName[]) {
  test(`${service}: a client generated from the served WSDL calls an operation`, async () => {
    const client = await served(service);
    let op: GeneratedOperation | undefined;
    let body: string;
    if (service === 'commonService') {
      op = client.operations.get('DeleteResponseData');
      // The Common WSDL declares no soap:header although GXF requires the headers (docs/gxf.md#names-and-namespaces):
      // the caller adds them by hand.
      assert.deepEqual(op?.headers, []);
      op = { ...op!, headers: ['OrganisationIdentification', 'UserName', 'ApplicationName'].map((local) => ({ ns: NS.common, local })) };
      body = `<t:correlationUid>${KNOWN_ORGANISATION}|||${GATEWAY}|||20261124033000123|||none</t:correlationUid>`;
    } else if (service === 'notificationService') {
      // The notification WSDL describes the caller's callback; this server answers its operation like any other.
      op = client.operations.get('SendNotification');
      body = `<t:Notification><t:result>OK</t:result><t:deviceIdentification>${GATEWAY}</t:deviceIdentification><t:correlationUid>${KNOWN_ORGANISATION}|||${GATEWAY}|||20261124033000123|||none</t:correlationUid><t:NotificationType>FIND_EVENTS</t:NotificationType></t:Notification>`;
    } else {
      // A poll operation: its input extends common:AsyncRequest, the same body in every service.
      op = [...client.operations.values()].find((o) => {
        const base = client.extensionBase(o.input);
        return base?.ns === ASYNC_REQUEST.ns && base.local === ASYNC_REQUEST.local;
      });
      body = `<c:DeviceIdentification>${GATEWAY}</c:DeviceIdentification><c:CorrelationUid>${KNOWN_ORGANISATION}|||${GATEWAY}|||20261124033000123|||none</c:CorrelationUid>`;
    }
    assert.ok(op, `${service} has an operation to call`);
    assertUnderstood(op, await call(op, body));
  });
}

test('monitoringService: the generated client calls GetThdFingerprint and its poll with the ActionHeader headers', async () => {
  const client = await served('monitoringService');
  const op = client.operations.get('GetThdFingerprint')!;
  const accepted = await call(op, `<t:DeviceIdentification>${GATEWAY}</t:DeviceIdentification>`);
  assertUnderstood(op, accepted);
  const poll = client.operations.get('GetThdFingerprintResponse')!;
  const uid = accepted.status === 200 ? platform.last().correlationUid : `${KNOWN_ORGANISATION}|||${GATEWAY}|||20261124033000123|||none`;
  assertUnderstood(poll, await call(poll, `<c:DeviceIdentification>${GATEWAY}</c:DeviceIdentification><c:CorrelationUid>${uid}</c:CorrelationUid>`));
  // Without the headers the ActionHeader declares, the same call is refused: the headers are what made it work.
  const bare = await fetch(op.endpoint, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', ...bearer(KNOWN_ORGANISATION) }, body: envelopeFor({ ...op, headers: [] }, `<t:DeviceIdentification>${GATEWAY}</t:DeviceIdentification>`) });
  assert.equal(bare.status, 500);
  assert.match(await bare.text(), /OrganisationIdentification/);
});
