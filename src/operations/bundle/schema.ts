/**
 * What GXF's bundle schema says about each action (src/api/soap/wsdl/schemas/bundle-ws-smartmetering.xsd, read once
 * from the file itself): the 45 action elements of its Actions choice, the data type each one extends (the request
 * data of the operation it bundles), the typed response element of AllResponses that answers it (or ActionResponse)
 * and that response's fields. Also the content model of a service's request element, so that an action can be
 * turned into the request element its operation reads (docs/gxf.md#bundle).
 */
import { XmlDocument, type XmlElement } from 'libxml2-wasm';
import { schemaFiles } from '../../api/soap/wsdl.ts';
import { childElements, NS } from '../../api/soap/xml.ts';

const XS = 'http://www.w3.org/2001/XMLSchema';

export interface QName {
  ns: string;
  name: string;
}

/** One element particle of a content model, with extension bases flattened (base first). */
export interface Particle {
  name: string;
  /** Its type, when it names one (complex or simple). */
  type?: QName;
  optional: boolean;
}

interface SchemaDoc {
  /** Held for as long as its elements are used (an unreachable document is freed with its nodes). */
  doc: XmlDocument;
  targetNamespace: string;
  prefixes: Map<string, string>;
  elements: Map<string, XmlElement>;
  types: Map<string, XmlElement>;
}

let docs: Map<string, SchemaDoc> | undefined;

/** The smart-metering schemas by target namespace (parsed once; the documents live as long as the process). */
function schemas(): Map<string, SchemaDoc> {
  if (docs) return docs;
  docs = new Map();
  for (const [file, bytes] of schemaFiles) {
    if (!file.endsWith('.xsd')) continue;
    const doc = XmlDocument.fromBuffer(bytes);
    const root = doc.root;
    const targetNamespace = root.attr('targetNamespace')?.value ?? '';
    const prefixes = new Map(Object.entries(root.nsDeclarations));
    const elements = new Map<string, XmlElement>();
    const types = new Map<string, XmlElement>();
    for (const c of childElements(root)) {
      const name = c.attr('name')?.value;
      if (!name) continue;
      if (c.name === 'element') elements.set(name, c);
      else if (c.name === 'complexType' || c.name === 'simpleType') types.set(name, c);
    }
    docs.set(targetNamespace, { doc, targetNamespace, prefixes, elements, types });
  }
  return docs;
}

function resolve(doc: SchemaDoc, qname: string): QName {
  const [prefix, local] = qname.includes(':') ? qname.split(':') as [string, string] : ['', qname];
  return { ns: doc.prefixes.get(prefix) ?? doc.targetNamespace, name: local };
}

/** The element particles of a complex type or an element's anonymous type, extension bases first. */
function particlesOf(doc: SchemaDoc, node: XmlElement): Particle[] {
  const out: Particle[] = [];
  for (const c of childElements(node)) {
    if (c.namespaceUri !== XS) continue;
    if (c.name === 'element') {
      const name = c.attr('name')?.value ?? c.attr('ref')?.value ?? '';
      const type = c.attr('type')?.value;
      out.push({ name: name.replace(/^.*:/, ''), ...(type ? { type: resolve(doc, type) } : {}), optional: c.attr('minOccurs')?.value === '0' });
    } else if (c.name === 'extension') {
      out.push(...typeParticles(resolve(doc, c.attr('base')!.value)), ...particlesOf(doc, c));
    } else if (c.name === 'sequence' || c.name === 'complexType' || c.name === 'complexContent' || c.name === 'choice') {
      out.push(...particlesOf(doc, c));
    }
  }
  return out;
}

/** The particles of a named type (empty for simple and unknown types). */
export function typeParticles(type: QName): Particle[] {
  const doc = schemas().get(type.ns);
  const node = doc?.types.get(type.name);
  return doc && node && node.name === 'complexType' ? particlesOf(doc, node) : [];
}

/** The particles of a global element (its anonymous or named type). */
export function elementParticles(ns: string, element: string): Particle[] {
  const doc = schemas().get(ns);
  const node = doc?.elements.get(element);
  if (!doc || !node) return [];
  const type = node.attr('type')?.value;
  return type ? typeParticles(resolve(doc, type)) : particlesOf(doc, node);
}

/** The type a global element extends (complexContent extension base), if any. */
function extendedType(ns: string, element: string): QName | undefined {
  const doc = schemas().get(ns);
  const node = doc?.elements.get(element);
  const ext = node?.find('.//xsd:extension', { xsd: XS })[0] as XmlElement | undefined;
  return doc && ext ? resolve(doc, ext.attr('base')!.value) : undefined;
}

function choiceRefs(typeName: string): string[] {
  const doc = schemas().get(NS.bundle)!;
  const node = doc.types.get(typeName);
  return node ? (node.find('.//xsd:element', { xsd: XS }) as XmlElement[]).map((e) => e.attr('ref')!.value.replace(/^.*:/, '')) : [];
}

/** The 45 action elements of GXF's bundle schema, in the schema's order. */
export const BUNDLE_ACTIONS: readonly string[] = choiceRefs('Actions');

const RESPONSES: ReadonlySet<string> = new Set(choiceRefs('AllResponses'));

/** The request data type an action element extends (its children are that type's fields). */
export function actionDataType(action: string): QName | undefined {
  return extendedType(NS.bundle, action);
}

/**
 * The element of AllResponses that answers an action: the typed response named after it (GetXRequest -> XResponse
 * or GetXResponse), else ActionResponse (a Result and a text), as GXF's bundle mapping answers.
 */
export function bundleResponseElement(action: string): string {
  const stem = action.replace(/Request$/, '');
  for (const candidate of [`${stem}Response`, `${stem.replace(/^Get/, '')}Response`]) {
    if (candidate !== 'ActionResponse' && candidate !== 'FaultResponse' && RESPONSES.has(candidate)) return candidate;
  }
  return 'ActionResponse';
}

/** A typed response's data type and its own fields (those after common:Response's Result, exception, resultString). */
export function responseFields(responseElement: string): { type: QName; fields: Particle[] } | undefined {
  const type = extendedType(NS.bundle, responseElement);
  if (!type) return undefined;
  const fields = typeParticles(type).filter((p) => !['Result', 'exception', 'resultString'].includes(p.name));
  return { type, fields };
}
