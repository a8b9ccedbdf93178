/**
 * Namespaces and small XML helpers for the GXF-compatible SOAP interface.
 * Namespace URIs: docs/gxf.md#soap-contract (all schemas elementFormDefault="qualified").
 */
import { XmlElement, type XmlTreeNode } from 'libxml2-wasm';

export const NS = {
  soapEnv: 'http://schemas.xmlsoap.org/soap/envelope/',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  common: 'http://www.opensmartgridplatform.org/schemas/common/2014/10',
  configuration: 'http://www.opensmartgridplatform.org/schemas/smartmetering/sm-configuration/2014/10',
  installation: 'http://www.opensmartgridplatform.org/schemas/smartmetering/sm-installation/2014/10',
  adhoc: 'http://www.opensmartgridplatform.org/schemas/smartmetering/sm-adhoc/2014/10',
  smCommon: 'http://www.opensmartgridplatform.org/schemas/smartmetering/sm-common/2014/10',
  bundle: 'http://www.opensmartgridplatform.org/schemas/smartmetering/sm-bundle/2014/10',
  management: 'http://www.opensmartgridplatform.org/schemas/smartmetering/sm-management/2014/10',
  monitoring: 'http://www.opensmartgridplatform.org/schemas/smartmetering/sm-monitoring/2014/10',
  notification: 'http://www.opensmartgridplatform.org/schemas/smartmetering/sm-notification/2014/10',
} as const;

/** Clark notation "{namespace}local", the dispatch key of an operation (docs/gxf.md#soap-contract: payload root QName). */
export function clark(namespaceUri: string, localName: string): string {
  return `{${namespaceUri}}${localName}`;
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escapes text for element content and attribute values; drops characters XML 1.0 cannot carry. */
export function escapeXml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
}

/** `<prefix:name>text</prefix:name>` with the text escaped. */
export function el(qname: string, text: string | number): string {
  return `<${qname}>${escapeXml(String(text))}</${qname}>`;
}

function isElement(node: XmlTreeNode | null): node is XmlElement {
  return node instanceof XmlElement;
}

/** The element children of an element, in document order. */
export function childElements(parent: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  for (let n = parent.firstChild; n !== null; n = n.next) if (isElement(n)) out.push(n);
  return out;
}

/** The first child element with this local name (and namespace, when given). */
export function child(parent: XmlElement, localName: string, namespaceUri?: string): XmlElement | undefined {
  for (let n = parent.firstChild; n !== null; n = n.next) {
    if (isElement(n) && n.name === localName && (namespaceUri === undefined || n.namespaceUri === namespaceUri)) return n;
  }
  return undefined;
}

/** Text of a child element, whitespace-trimmed; undefined when the child is absent. */
export function childText(parent: XmlElement, localName: string, namespaceUri?: string): string | undefined {
  const c = child(parent, localName, namespaceUri);
  return c === undefined ? undefined : c.content.trim();
}
