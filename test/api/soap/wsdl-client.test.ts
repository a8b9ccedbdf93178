/**
 * A client built the way a generated one is (wsimport, cxf, zeep): it fetches each service's WSDL over HTTP,
 * follows operation -> input message -> element and binding -> soap:header parts -> service soap:address, fetches
 * the imported schemas from where the WSDL says, and calls every operation on a real listening server backed by
 * the fake platform. Nothing but the host differs from a GXF deployment (issue 5, scope 1).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { XmlDocument, XmlElement } from 'libxml2-wasm';
import { soapPlugin } from '../../../src/api/soap/plugin.ts';
import { validateEnvelopeXml } from '../../../src/api/soap/schema.ts';
import { childElements } from '../../../src/api/soap/xml.ts';
import { FakePlatform } from './fake-platform.ts';
import { bearer, installTestSecurity } from '../../support/auth.ts';

const W = { wsdl: 'http://schemas.xmlsoap.org/wsdl/', soap: 'http://schemas.xmlsoap.org/wsdl/soap/', xsd: 'http://www.w3.org/2001/XMLSchema' };
const SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';

const platform = new FakePlatform();
const app = Fastify();
installTestSecurity(app);
await app.register(soapPlugin, { platform });
await app.listen({ host: '127.0.0.1', port: 0 });
after(() => app.close());
const address = app.server.address() as { port: number };
const origin = `http://127.0.0.1:${address.port}`;

interface QName {
  ns: string;
  local: string;
}

interface ClientOperation {
  name: string;
  input: QName;
  output: QName;
  headers: QName[];
  soapAction: string;
  endpoint: string;
  /** False for operations GXF declares in the portType but leaves out of the binding. */
  bound: boolean;
}

function resolve(el: XmlElement, prefixed: string): QName {
  const [prefix, local] = prefixed.includes(':') ? prefixed.split(':') : ['', prefixed];
  const ns = el.namespaceForPrefix(prefix!);
  assert.ok(ns, `prefix ${prefix} resolves`);
  return { ns, local: local! };
}

/** What a client generator reads from one WSDL. */
async function readWsdl(url: string): Promise<{ operations: ClientOperation[]; schemaLocations: string[] }> {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  const doc = XmlDocument.fromString(await res.text());
  try {
    const byName = (xpath: string) => new Map((doc.find(xpath, W) as XmlElement[]).map((e) => [e.attr('name')!.value, e]));
    const messages = byName('/wsdl:definitions/wsdl:message');
    const partElement = (messageRef: string, ctx: XmlElement): QName[] => {
      const msg = messages.get(resolve(ctx, messageRef).local);
      if (!msg) return []; // a message GXF's file leaves undeclared (the served WSDLs declare them: wsdl-strict.test.ts)
      return childElements(msg).map((p) => resolve(p, p.attr('element')!.value));
    };
    const endpoint = (doc.get('/wsdl:definitions/wsdl:service/wsdl:port/soap:address', W) as XmlElement).attr('location')!.value;
    const binding = doc.get('/wsdl:definitions/wsdl:binding', W) as XmlElement;
    const operations: ClientOperation[] = [];
    for (const op of doc.find('/wsdl:definitions/wsdl:portType/wsdl:operation', W) as XmlElement[]) {
      const name = op.attr('name')!.value;
      const input = op.get('wsdl:input', W) as XmlElement | null;
      const output = op.get('wsdl:output', W) as XmlElement | null;
      if (!input?.attr('message') || !output?.attr('message')) continue; // GXF's WSDLs have a few incomplete entries
      const bound = binding.get(`wsdl:operation[@name='${name}']`, W) as XmlElement | null;
      const headers = ((bound?.find('wsdl:input/soap:header', W) ?? []) as XmlElement[]).map((h) => {
        const msg = messages.get(resolve(h, h.attr('message')!.value).local)!;
        const part = msg.get(`wsdl:part[@name='${h.attr('part')!.value}']`, W) as XmlElement;
        return resolve(part, part.attr('element')!.value);
      });
      const action = bound?.get('soap:operation', W) as XmlElement | null;
      const [inputElement] = partElement(input.attr('message')!.value, input);
      const [outputElement] = partElement(output.attr('message')!.value, output);
      if (!inputElement || !outputElement) continue;
      operations.push({
        name,
        input: inputElement,
        output: outputElement,
        headers,
        soapAction: action?.attr('soapAction')?.value ?? '',
        endpoint,
        bound: bound !== null,
      });
    }
    const schemaLocations = (doc.find('//xsd:import', W) as XmlElement[]).map((i) => i.attr('schemaLocation')!.value);
    return { operations, schemaLocations };
  } finally {
    doc.dispose();
  }
}

const HEADER_VALUES: Record<string, string> = { OrganisationIdentification: 'test-org', UserName: 'generated-client', ApplicationName: 'wsimport' };
const GATEWAY = 'TEST1024000000001';
const GMETER = 'TESTG102400000001';

/** The body a caller would fill in for each input element (the generated client only gives the shape). */
function requestBody(local: string, uid: string): string {
  const d = (n: string, v: string) => `<t:${n}>${v}</t:${n}>`;
  const async = `<c:DeviceIdentification>${GATEWAY}</c:DeviceIdentification><c:CorrelationUid>${uid}</c:CorrelationUid>`;
  if (local.endsWith('AsyncRequest')) return async;
  switch (local) {
    case 'SetMbusUserKeyByChannelRequest':
      return d('DeviceIdentification', GATEWAY) + `<t:SetMbusUserKeyByChannelRequestData>${d('Channel', '1')}</t:SetMbusUserKeyByChannelRequestData>`;
    case 'SetKeyOnGMeterRequest':
      return d('DeviceIdentification', GMETER) + `<t:SetKeyOnGMeterRequestData>${d('MbusDeviceIdentification', GMETER)}${d('SecretType', 'G_METER_ENCRYPTION_KEY')}</t:SetKeyOnGMeterRequestData>`;
    case 'GetMbusEncryptionKeyStatusRequest':
    case 'ScanMbusChannelsRequest':
      return d('DeviceIdentification', GMETER);
    case 'GetMbusEncryptionKeyStatusByChannelRequest':
      return d('GatewayDeviceIdentification', GATEWAY) + `<t:GetMbusEncryptionKeyStatusByChannelRequestData>${d('Channel', '2')}</t:GetMbusEncryptionKeyStatusByChannelRequestData>`;
    case 'CoupleMbusDeviceRequest':
      return d('DeviceIdentification', GATEWAY) + d('MbusDeviceIdentification', GMETER) + d('Force', 'false');
    case 'DecoupleMbusDeviceRequest':
      return d('DeviceIdentification', GATEWAY) + d('MbusDeviceIdentification', GMETER);
    case 'CoupleMbusDeviceByChannelRequest':
    case 'DecoupleMbusDeviceByChannelRequest': {
      const data = local.replace('Request', 'RequestData');
      return d('DeviceIdentification', GATEWAY) + `<t:${data}>${d('Channel', '3')}</t:${data}>`;
    }
    case 'AddDeviceRequest':
      return `<t:Device>${d('Device_Identification', GMETER)}${d('Device_type', 'SMART_METER_G')}${d('Delivery_date', '2026-11-24T00:00:00Z')}${d('ChallengeLength', '0')}</t:Device><t:DeviceModel>${d('Manufacturer', 'LGB')}</t:DeviceModel>${d('overwrite', 'false')}`;
    case 'DeleteResponseDataRequest':
      return d('correlationUid', uid);
    default:
      throw new Error(`no sample for ${local}`);
  }
}

const CEV = { channel: 3, primaryAddress: 1, identificationNumber: '12056731', manufacturerIdentification: 'LGB', version: 66, deviceTypeIdentification: 3 };
const RESULT_DATA: Record<string, unknown> = {
  GET_MBUS_ENCRYPTION_KEY_STATUS: { mbusDeviceIdentification: GMETER, encryptionKeyStatus: 'ENCRYPTION_KEY_SET' },
  GET_MBUS_ENCRYPTION_KEY_STATUS_BY_CHANNEL: { channel: 2, encryptionKeyStatus: 'NO_ENCRYPTION_KEY' },
  SCAN_MBUS_CHANNELS: { channels: [CEV] },
  COUPLE_MBUS_DEVICE: { mbusDeviceIdentification: GMETER, channelElementValues: CEV },
  COUPLE_MBUS_DEVICE_BY_CHANNEL: { mbusDeviceIdentification: GMETER, channelElementValues: CEV },
  DECOUPLE_MBUS_DEVICE_BY_CHANNEL: { mbusDeviceIdentification: GMETER, channelElementValues: CEV },
};

async function call(op: ClientOperation, uid = ''): Promise<{ status: number; root: QName; body: string }> {
  const headers = op.headers.map((h) => `<h:${h.local} xmlns:h="${h.ns}">${HEADER_VALUES[h.local]}</h:${h.local}>`).join('');
  const envelope =
    `<?xml version="1.0" encoding="UTF-8"?><S:Envelope xmlns:S="${SOAP_ENV}"><S:Header>${headers}</S:Header><S:Body>` +
    `<t:${op.input.local} xmlns:t="${op.input.ns}" xmlns:c="http://www.opensmartgridplatform.org/schemas/common/2014/10">` +
    `${requestBody(op.input.local, uid)}</t:${op.input.local}></S:Body></S:Envelope>`;
  const res = await fetch(op.endpoint, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${op.soapAction}"`, ...bearer(HEADER_VALUES.OrganisationIdentification!) }, body: envelope });
  const body = await res.text();
  const doc = XmlDocument.fromString(body);
  try {
    const root = doc.get('/S:Envelope/S:Body/*[1]', { S: SOAP_ENV }) as XmlElement;
    return { status: res.status, root: { ns: root.namespaceUri, local: root.name }, body };
  } finally {
    doc.dispose();
  }
}

const IMPLEMENTED: Record<string, string[]> = {
  configurationService: ['SetMbusUserKeyByChannel', 'SetKeyOnGMeter', 'GetMbusEncryptionKeyStatus', 'GetMbusEncryptionKeyStatusByChannel'],
  installationService: ['AddDevice', 'CoupleMbusDevice', 'DecoupleMbusDevice', 'CoupleMbusDeviceByChannel', 'DecoupleMbusDeviceByChannel'],
  adhocService: ['ScanMbusChannels'],
};
// The Get…Response operation of each request operation, as the WSDL names it (typos included, docs/gxf.md#names-and-namespaces).
const POLL_OPERATION: Record<string, string> = {
  SetMbusUserKeyByChannel: 'GetSetMbusUserKeyByChannelResponse',
  SetKeyOnGMeter: 'GetSetKeyOnGMeterResponse',
  GetMbusEncryptionKeyStatus: 'GetGetMbusEncryptionKeyStatusResponse',
  GetMbusEncryptionKeyStatusByChannel: 'GetGetMbusEncryptionKeyStatusByChannelResponse',
  ScanMbusChannels: 'ScanMbusChannelsResponse',
  AddDevice: 'GetAddDeviceReponse',
  CoupleMbusDevice: 'GetCoupleMbusDeviceReponse',
  DecoupleMbusDevice: 'GetDecoupleMbusDeviceReponse',
  CoupleMbusDeviceByChannel: 'GetCoupleMbusDeviceByChannelResponse',
  DecoupleMbusDeviceByChannel: 'DecoupleMbusDeviceByChannelResponse',
};

const UNBOUND = new Set(['DecoupleMbusDeviceByChannel']);
const ACTION_HEADERS = ['OrganisationIdentification', 'UserName', 'ApplicationName'].map((local) => ({
  ns: 'http://www.opensmartgridplatform.org/schemas/common/2014/10',
  local,
}));

for (const [service, names] of Object.entries(IMPLEMENTED)) {
  test(`${service}: every operation called through its WSDL answers with the WSDL's output element`, async () => {
    const { operations, schemaLocations } = await readWsdl(`${origin}/osgp-adapter-ws-smartmetering/smartMetering/${service}?wsdl`);
    for (const location of schemaLocations) assert.equal((await fetch(location)).status, 200, location);
    const byName = new Map(operations.map((o) => [o.name, o]));
    for (const name of names) {
      const op = byName.get(name);
      const pollOp = byName.get(POLL_OPERATION[name]!);
      assert.ok(op && pollOp, `${name} and ${POLL_OPERATION[name]} are in the WSDL`);
      assert.equal(new URL(op.endpoint).origin, origin, 'soap:address points at this server');
      if (UNBOUND.has(name)) {
        // GXF's Installation WSDL leaves these out of its binding: a client writes the call by hand, headers included.
        assert.equal(op.bound, false);
        op.headers = pollOp.headers = ACTION_HEADERS;
      }
      assert.deepEqual(op.headers.map((h) => h.local), ['OrganisationIdentification', 'UserName', 'ApplicationName']);

      const accepted = await call(op);
      assert.equal(accepted.status, 200, accepted.body);
      assert.deepEqual(accepted.root, op.output);
      assert.deepEqual(validateEnvelopeXml(accepted.body), []);
      const submitted = platform.last();
      platform.complete(submitted.correlationUid, 'OK', RESULT_DATA[submitted.messageType] === undefined ? {} : { data: RESULT_DATA[submitted.messageType] });

      const final = await call(pollOp, submitted.correlationUid);
      assert.equal(final.status, 200, final.body);
      assert.deepEqual(final.root, pollOp.output);
      assert.deepEqual(validateEnvelopeXml(final.body), []);
    }
  });
}

test('commonService: DeleteResponseData through its WSDL', async () => {
  const { operations } = await readWsdl(`${origin}/osgp-adapter-ws-smartmetering/smartMetering/commonService/?wsdl`);
  const op = operations.find((o) => o.name === 'DeleteResponseData');
  assert.ok(op);
  const uid = `test-org|||${GATEWAY}|||20261124033000123|||delete-me`;
  platform.submitted.push({ correlationUid: uid, organisationIdentification: 'test-org', userName: 'u', applicationName: 'a', deviceIdentification: GATEWAY, messageType: 'SCAN_MBUS_CHANNELS', payload: {}, channel: 'SOAP' });
  platform.complete(uid, 'OK', { data: { channels: [] } });
  // The Common WSDL declares no soap:header (a WSDL quirk, docs/gxf.md#names-and-namespaces), yet the headers are still required.
  assert.deepEqual(op.headers, []);
  op.headers = ACTION_HEADERS;
  const reply = await call(op, uid);
  assert.equal(reply.status, 200, reply.body);
  assert.deepEqual(reply.root, op.output);
  assert.equal(platform.responses.has(uid), false);
});
