/** Shared helpers for the SOAP tests: an app with the fake platform, and reading responses with XPath. */
import Fastify, { type FastifyInstance } from 'fastify';
import { XmlDocument, XmlElement } from 'libxml2-wasm';
import { soapPlugin, type SoapPluginOptions } from '../../../src/api/soap/plugin.ts';
import { NS } from '../../../src/api/soap/xml.ts';
import { FakePlatform } from './fake-platform.ts';
import { bearer, installTestSecurity, soapOrganisation } from '../../support/auth.ts';

export const P = {
  s: NS.soapEnv,
  c: NS.common,
  conf: NS.configuration,
  inst: NS.installation,
  adhoc: NS.adhoc,
  smc: NS.smCommon,
  xsi: NS.xsi,
  ws: 'http://springframework.org/spring-ws',
  wsdl: 'http://schemas.xmlsoap.org/wsdl/',
  soap: 'http://schemas.xmlsoap.org/wsdl/soap/',
  xsd: 'http://www.w3.org/2001/XMLSchema',
};

export const ENDPOINT = '/osgp-adapter-ws-smartmetering/smartMetering';

export async function soapApp(extra: Partial<SoapPluginOptions> = {}): Promise<{ app: FastifyInstance; platform: FakePlatform }> {
  const platform = new FakePlatform();
  const app = Fastify();
  installTestSecurity(app);
  await app.register(soapPlugin, { platform, ...extra });
  await app.ready();
  return { app, platform };
}

export interface SoapReply {
  status: number;
  body: string;
  contentType: string | undefined;
  /** Text of the first node matching an XPath (prefixes of P), or undefined. */
  text(xpath: string): string | undefined;
  /** Number of nodes matching an XPath. */
  count(xpath: string): number;
}

export function readReply(status: number, body: string, contentType?: string): SoapReply {
  // Each query parses the body afresh so that no parsed document outlives the call.
  const query = <T>(xpath: string, f: (nodes: XmlElement[]) => T): T => {
    const doc = XmlDocument.fromString(body);
    try {
      return f(doc.find(xpath, P) as XmlElement[]);
    } finally {
      doc.dispose();
    }
  };
  return {
    status,
    body,
    contentType,
    text: (xpath) => query(xpath, (n) => n[0]?.content),
    count: (xpath) => query(xpath, (n) => n.length),
  };
}

/**
 * POSTs an envelope, authenticated (test token) as the organisation its header names; `as` overrides that, and
 * null sends no credentials.
 */
export async function post(app: FastifyInstance, envelope: string, service = 'configurationService', as?: string | null): Promise<SoapReply> {
  const org = as === undefined ? soapOrganisation(envelope) ?? 'test-org' : as;
  const res = await app.inject({
    method: 'POST',
    url: `${ENDPOINT}/${service}/`,
    headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""', ...(org === null ? {} : bearer(org)) },
    payload: envelope,
  });
  return readReply(res.statusCode, res.body, res.headers['content-type'] as string | undefined);
}

/** The standard GXF headers, as a SoapUI-made request carries them. */
export const HEADERS = `<soapenv:Header>
      <com:OrganisationIdentification>test-org</com:OrganisationIdentification>
      <com:UserName>tester</com:UserName>
      <com:ApplicationName>soap-tests</com:ApplicationName>
   </soapenv:Header>`;

export function envelopeWith(body: string, headers = HEADERS): string {
  return `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:com="http://www.opensmartgridplatform.org/schemas/common/2014/10"
    xmlns:conf="http://www.opensmartgridplatform.org/schemas/smartmetering/sm-configuration/2014/10"
    xmlns:inst="http://www.opensmartgridplatform.org/schemas/smartmetering/sm-installation/2014/10"
    xmlns:adhoc="http://www.opensmartgridplatform.org/schemas/smartmetering/sm-adhoc/2014/10"
    xmlns:smc="http://www.opensmartgridplatform.org/schemas/smartmetering/sm-common/2014/10">
   ${headers}
   <soapenv:Body>
      ${body}
   </soapenv:Body>
</soapenv:Envelope>`;
}
