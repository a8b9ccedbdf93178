/**
 * Copying elements between GXF documents: an element serialised with its own namespace declarations (so that it
 * reads the same wherever it is put), optionally moved into another namespace at its top level.
 */
import { XmlCData, XmlElement, XmlText } from 'libxml2-wasm';
import { escapeXml } from '../../api/soap/xml.ts';

/** The element as XML text; `namespace` replaces its own (not its descendants'). */
export function serializeElement(node: XmlElement, namespace?: string): string {
  const ns = namespace ?? node.namespaceUri;
  let attrs = '';
  let n = 0;
  for (const a of node.attrs) {
    const uri = (a as unknown as { namespaceUri?: string }).namespaceUri;
    if (uri) {
      attrs += ` xmlns:a${n}="${escapeXml(uri)}" a${n}:${a.name}="${escapeXml(a.value)}"`;
      n++;
    } else {
      attrs += ` ${a.name}="${escapeXml(a.value)}"`;
    }
  }
  let inner = '';
  for (let c = node.firstChild; c !== null; c = c.next) {
    if (c instanceof XmlElement) inner += serializeElement(c);
    else if (c instanceof XmlText || c instanceof XmlCData) inner += escapeXml(c.content);
  }
  const open = ns ? `x:${node.name} xmlns:x="${escapeXml(ns)}"` : node.name;
  const close = ns ? `x:${node.name}` : node.name;
  return `<${open}${attrs}>${inner}</${close}>`;
}
