/** Helpers shared by the end-to-end tests: GXF SOAP namespaces and paths, XPath reading, key encryption as GXF
 * clients do it, and waiting for a condition. */
import { publicEncrypt, constants } from 'node:crypto';
import { XmlDocument, XmlElement } from 'libxml2-wasm';

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
