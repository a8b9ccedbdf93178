/** Helpers shared by the end-to-end tests: GXF SOAP namespaces and paths, XPath reading, key encryption as GXF
 * clients do it, and waiting for a condition. */
import assert from 'node:assert/strict';
import { publicEncrypt, constants } from 'node:crypto';
import { XmlDocument, XmlElement } from 'libxml2-wasm';
import { TEST_KEYS, TEST_GMETER } from '../../src/simulator/meter.ts';

export const SOAP_BASE = '/osgp-adapter-ws-smartmetering/smartMetering';

export const SOAP_NS = {
  s: 'http://schemas.xmlsoap.org/soap/envelope/',
  c: 'http://www.opensmartgridplatform.org/schemas/common/2014/10',
  conf: 'http://www.opensmartgridplatform.org/schemas/smartmetering/sm-configuration/2014/10',
  inst: 'http://www.opensmartgridplatform.org/schemas/smartmetering/sm-installation/2014/10',
  adhoc: 'http://www.opensmartgridplatform.org/schemas/smartmetering/sm-adhoc/2014/10',
  mon: 'http://www.opensmartgridplatform.org/schemas/smartmetering/sm-monitoring/2014/10',
  smc: 'http://www.opensmartgridplatform.org/schemas/smartmetering/sm-common/2014/10',
};

/** Text of every node matching an XPath over SOAP_NS prefixes. */
export function xpathAll(xml: string, path: string): string[] {
  const doc = XmlDocument.fromString(xml);
  try {
    return (doc.find(path, SOAP_NS) as XmlElement[]).map((n) => n.content);
  } finally {
    doc.dispose();
  }
}

export function xpathText(xml: string, path: string): string | undefined {
  return xpathAll(xml, path)[0];
}

/** A key as GXF clients send it: hex of RSA-OAEP (SHA-1, MGF1-SHA-1) to the platform's public key. */
export function oaepEncrypt(publicKeyPem: string, hexKey: string): string {
  return publicEncrypt({ key: publicKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, Buffer.from(hexKey, 'hex')).toString('hex');
}

/** AddDevice content (inst: prefix) for a gateway E-meter with the test keys, encrypted as GXF clients do to `pem`. */
export function addEMeterXml(pem: string, id: string, port: number): string {
  return `<inst:Device>
    <inst:Device_Identification>${id}</inst:Device_Identification><inst:Device_type>SMART_METER_E</inst:Device_type>
    <inst:protocolName>SMR</inst:protocolName><inst:protocolVersion>5.0.0</inst:protocolVersion>
    <inst:Lls1_active>false</inst:Lls1_active><inst:Hls3_active>false</inst:Hls3_active><inst:Hls4_active>false</inst:Hls4_active><inst:Hls5_active>true</inst:Hls5_active>
    <inst:Master_key>${oaepEncrypt(pem, TEST_KEYS.mk)}</inst:Master_key>
    <inst:Global_encryption_unicast_key>${oaepEncrypt(pem, TEST_KEYS.ek)}</inst:Global_encryption_unicast_key>
    <inst:Authentication_key>${oaepEncrypt(pem, TEST_KEYS.ak)}</inst:Authentication_key>
    <inst:Delivery_date>2026-11-24T00:00:00Z</inst:Delivery_date>
    <inst:ChallengeLength>16</inst:ChallengeLength><inst:Port>${port}</inst:Port>
  </inst:Device><inst:DeviceModel><inst:Manufacturer>KFM</inst:Manufacturer></inst:DeviceModel><inst:overwrite>false</inst:overwrite>`;
}

/** AddDevice content (inst: prefix) for a G-meter with the test identity and the test default key encrypted to `pem`. */
export function addGMeterXml(pem: string, id: string, identification: string = TEST_GMETER.identification): string {
  return `<inst:Device>
    <inst:Device_Identification>${id}</inst:Device_Identification><inst:Device_type>SMART_METER_G</inst:Device_type>
    <inst:Delivery_date>2026-11-24T00:00:00Z</inst:Delivery_date>
    <inst:Mbus_identification_number>${identification}</inst:Mbus_identification_number>
    <inst:Mbus_manufacturer_identification>${TEST_GMETER.manufacturer}</inst:Mbus_manufacturer_identification>
    <inst:Mbus_version>${TEST_GMETER.version}</inst:Mbus_version><inst:Mbus_device_type_identification>${TEST_GMETER.deviceType}</inst:Mbus_device_type_identification>
    <inst:Mbus_default_key>${oaepEncrypt(pem, TEST_KEYS.gMeterDefaultKey)}</inst:Mbus_default_key>
    <inst:ChallengeLength>16</inst:ChallengeLength>
  </inst:Device><inst:DeviceModel><inst:Manufacturer>FLO</inst:Manufacturer></inst:DeviceModel><inst:overwrite>false</inst:overwrite>`;
}

/** Polls f until it returns something other than undefined; throws after ms. */
export async function until<T>(f: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The outcome of a REST operation: the refusal as answered, or the stored response once it exists. */
export interface RestOutcome { status: number; result?: string; data?: any; error?: { code: number; message: string }; body: any }

/**
 * POSTs a REST operation for `org` with its credentials (`auth`: e.g. an Authorization header); on 202 polls the
 * Location (a /api/v1/responses/ URL) until the response exists.
 */
export async function restOperation(url: string, path: string, org: string, body: unknown = {}, auth: Record<string, string> = {}): Promise<RestOutcome> {
  const res = await fetch(`${url}/api/v1${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-organisation-identification': org, ...auth }, body: JSON.stringify(body) });
  const accepted = await res.json() as any;
  if (res.status !== 202) return { status: res.status, body: accepted };
  const location = res.headers.get('location')!;
  assert.ok(location.startsWith('/api/v1/responses/'), location);
  for (let i = 0; i < 1200; i++) {
    const r = await fetch(`${url}${location}`, { headers: { 'x-organisation-identification': org, ...auth } });
    const b = await r.json() as any;
    if (r.status === 200) return { status: 200, result: b.result, data: b.data, error: b.error, body: b };
    assert.equal(r.status, 404, JSON.stringify(b));
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`no response for ${path}`);
}

export interface SoapAnswer {
  status: number;
  xml: string;
}

/** The SOAP envelope a GXF client sends: GXF's header fields, every SOAP_NS prefix declared. */
export function soapEnvelope(body: string, org: string): string {
  const ns = Object.entries(SOAP_NS).filter(([k]) => k !== 's').map(([k, v]) => `xmlns:${k}="${v}"`).join(' ');
  return `<s:Envelope xmlns:s="${SOAP_NS.s}" ${ns}><s:Header><c:OrganisationIdentification>${org}</c:OrganisationIdentification><c:UserName>operator</c:UserName><c:ApplicationName>e2e</c:ApplicationName></s:Header><s:Body>${body}</s:Body></s:Envelope>`;
}

/**
 * A SOAP client of the SmartMetering services at `url` for end-to-end tests. `authOf` gives an organisation's
 * Authorization header (asked once per organisation). `post` sends one body; `call` follows GXF's async pattern:
 * `<Op>Request`, then `<Op>AsyncRequest` (or `asyncOp`) until the response exists (fault 405 means not yet); a refused
 * request comes back as it was answered.
 */
export function soapClient(url: string, authOf: (org: string) => Promise<Record<string, string>>, defaultOrg: string) {
  const headers = new Map<string, Promise<Record<string, string>>>();
  async function post(service: string, body: string, org = defaultOrg): Promise<SoapAnswer> {
    if (!headers.has(org)) headers.set(org, authOf(org));
    const res = await fetch(`${url}${SOAP_BASE}/${service}/`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""', ...(await headers.get(org)) },
      body: soapEnvelope(body, org),
    });
    return { status: res.status, xml: await res.text() };
  }
  async function call(
    service: string,
    prefix: string,
    op: string,
    body: string,
    opts: { org?: string; asyncOp?: string } = {},
  ): Promise<SoapAnswer & { correlationUid?: string }> {
    const org = opts.org ?? defaultOrg;
    const accepted = await post(service, `<${prefix}:${op}Request>${body}</${prefix}:${op}Request>`, org);
    if (accepted.status !== 200) return accepted;
    const device = xpathText(accepted.xml, '//c:DeviceIdentification')!;
    const correlationUid = xpathText(accepted.xml, '//c:CorrelationUid')!;
    const asyncOp = opts.asyncOp ?? op;
    for (let i = 0; i < 600; i++) {
      const r = await post(service, `<${prefix}:${asyncOp}AsyncRequest><c:DeviceIdentification>${device}</c:DeviceIdentification><c:CorrelationUid>${correlationUid}</c:CorrelationUid></${prefix}:${asyncOp}AsyncRequest>`, org);
      if (!(r.status === 500 && xpathText(r.xml, '//c:FunctionalFault/c:Code') === '405')) return { ...r, correlationUid };
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error(`no response for ${op} ${correlationUid}`);
  }
  return { post, call };
}
