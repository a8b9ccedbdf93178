/**
 * A strict WSDL 1.1 reader, as client generators that refuse dangling references work (zeep, wsimport): it fetches
 * the WSDL's schema imports (and theirs) over HTTP, and every qualified name must resolve — message parts to global
 * schema elements, schema type/base/ref/itemType/memberTypes to declared components, portType operations to
 * messages, the binding to its portType, binding operations to portType operations, soap:header message/part pairs
 * to declared messages and parts, the service port to the binding. Any miss throws `WsdlReferenceError` listing
 * every miss. What it returns is what a generated client is built from: the bound operations.
 */
import { XmlDocument, type XmlElement } from 'libxml2-wasm';

export const WSDL_NS = { wsdl: 'http://schemas.xmlsoap.org/wsdl/', soap: 'http://schemas.xmlsoap.org/wsdl/soap/', xsd: 'http://www.w3.org/2001/XMLSchema' };
const XML_NS = 'http://www.w3.org/XML/1998/namespace';

export class WsdlReferenceError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`WSDL does not resolve:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

export interface QName {
  ns: string;
  local: string;
}

export interface GeneratedOperation {
  name: string;
  input: QName;
  output: QName;
  headers: QName[];
  soapAction: string;
  endpoint: string;
}

export interface GeneratedClient {
  targetNamespace: string;
  operations: Map<string, GeneratedOperation>;
  /** Base type (complexContent extension) of a global element's anonymous type, if any. */
  extensionBase(element: QName): QName | undefined;
}

type Fetcher = (url: string) => Promise<string>;

const httpFetch: Fetcher = async (url) => {
  const res = await fetch(url);
  if (res.status !== 200) throw new WsdlReferenceError([`${url}: HTTP ${res.status}`]);
  return res.text();
};

function qnameOf(el: XmlElement, value: string, problems: string[], what: string): QName | undefined {
  const i = value.indexOf(':');
  const prefix = i < 0 ? '' : value.slice(0, i);
  const local = i < 0 ? value : value.slice(i + 1);
  const ns = el.namespaceForPrefix(prefix);
  if (ns === null || ns === undefined) {
    problems.push(`${what}: prefix "${prefix}" of ${value} is not declared`);
    return undefined;
  }
  return { ns, local };
}

const key = (q: QName) => `{${q.ns}}${q.local}`;

/** Loads a WSDL given as text (its schema locations absolute URLs) and checks every reference. */
export async function loadWsdlStrict(wsdlText: string, fetchText: Fetcher = httpFetch): Promise<GeneratedClient> {
  const docs: XmlDocument[] = [];
  const problems: string[] = [];
  try {
    const wsdl = XmlDocument.fromString(wsdlText);
    docs.push(wsdl);
    const defs = wsdl.get('/wsdl:definitions', WSDL_NS) as XmlElement | null;
    if (!defs) throw new WsdlReferenceError(['no wsdl:definitions']);
    const tns = defs.attr('targetNamespace')?.value ?? '';

    // Schemas: inline ones and everything they import or include, fetched once each.
    const components = { element: new Set<string>(), type: new Set<string>(), group: new Set<string>(), attributeGroup: new Set<string>(), attribute: new Set<string>() };
    const elementNodes = new Map<string, XmlElement>();
    const schemas: XmlElement[] = [];
    const seen = new Set<string>();
    const addSchema = async (schema: XmlElement, baseUrl: string | undefined, ownTns?: string) => {
      schemas.push(schema);
      const target = schema.attr('targetNamespace')?.value ?? ownTns ?? '';
      for (const [kind, xpath] of [
        ['element', 'xsd:element'],
        ['type', 'xsd:complexType'],
        ['type', 'xsd:simpleType'],
        ['group', 'xsd:group'],
        ['attributeGroup', 'xsd:attributeGroup'],
        ['attribute', 'xsd:attribute'],
      ] as const) {
        for (const c of schema.find(xpath, WSDL_NS) as XmlElement[]) {
          const name = c.attr('name')?.value;
          if (!name) continue;
          components[kind].add(key({ ns: target, local: name }));
          if (kind === 'element') elementNodes.set(key({ ns: target, local: name }), c);
        }
      }
      for (const imp of schema.find('xsd:import | xsd:include', WSDL_NS) as XmlElement[]) {
        const location = imp.attr('schemaLocation')?.value;
        if (!location) continue;
        let url: string;
        try {
          url = new URL(location, baseUrl).toString();
        } catch {
          problems.push(`schema location ${location} is not an absolute URL`);
          continue;
        }
        if (seen.has(url)) continue;
        seen.add(url);
        let text: string;
        try {
          text = await fetchText(url);
        } catch (e) {
          problems.push(`schema ${url} cannot be fetched: ${(e as Error).message}`);
          continue;
        }
        const doc = XmlDocument.fromString(text);
        docs.push(doc);
        const root = doc.get('/xsd:schema', WSDL_NS) as XmlElement | null;
        if (!root) {
          problems.push(`${url} is not an XML Schema`);
          continue;
        }
        await addSchema(root, url, imp.name === 'include' ? target : undefined);
      }
    };
    for (const s of wsdl.find('/wsdl:definitions/wsdl:types/xsd:schema', WSDL_NS) as XmlElement[]) await addSchema(s, undefined);

    // Every reference inside the schemas.
    for (const s of schemas) {
      for (const el of s.find('.//*[@type or @base or @ref or @itemType or @memberTypes]', WSDL_NS) as XmlElement[]) {
        const refs: [string, keyof typeof components][] = [];
        for (const a of ['type', 'base', 'itemType'] as const) {
          const v = el.attr(a)?.value;
          if (v) refs.push([v, 'type']);
        }
        for (const v of (el.attr('memberTypes')?.value ?? '').split(/\s+/).filter(Boolean)) refs.push([v, 'type']);
        const ref = el.attr('ref')?.value;
        if (ref) refs.push([ref, el.name === 'group' ? 'group' : el.name === 'attributeGroup' ? 'attributeGroup' : el.name === 'attribute' ? 'attribute' : 'element']);
        for (const [v, kind] of refs) {
          const q = qnameOf(el, v, problems, `schema ${el.name}`);
          if (!q || q.ns === WSDL_NS.xsd || q.ns === XML_NS) continue;
          if (!components[kind].has(key(q))) problems.push(`schema ${el.name} refers to undeclared ${kind} ${v}`);
        }
      }
    }

    // Messages and their parts.
    const messages = new Map<string, Map<string, QName>>();
    for (const m of defs.find('wsdl:message', WSDL_NS) as XmlElement[]) {
      const parts = new Map<string, QName>();
      for (const p of m.find('wsdl:part', WSDL_NS) as XmlElement[]) {
        const element = p.attr('element')?.value;
        if (!element) {
          problems.push(`message ${m.attr('name')?.value} part ${p.attr('name')?.value} has no element`);
          continue;
        }
        const q = qnameOf(p, element, problems, `message ${m.attr('name')?.value}`);
        if (q && !components.element.has(key(q))) problems.push(`message ${m.attr('name')?.value} part ${p.attr('name')?.value}: element ${element} is not declared`);
        if (q) parts.set(p.attr('name')!.value, q);
      }
      messages.set(key({ ns: tns, local: m.attr('name')!.value }), parts);
    }
    const message = (el: XmlElement, attr: string, what: string) => {
      const v = el.attr(attr)?.value;
      if (!v) {
        problems.push(`${what}: no ${attr}`);
        return undefined;
      }
      const q = qnameOf(el, v, problems, what);
      if (!q) return undefined;
      const m = messages.get(key(q));
      if (!m) problems.push(`${what}: message ${v} is not declared`);
      return m;
    };

    // portType
    const portTypes = new Map<string, Map<string, { input?: Map<string, QName>; output?: Map<string, QName> }>>();
    for (const pt of defs.find('wsdl:portType', WSDL_NS) as XmlElement[]) {
      const ops = new Map<string, { input?: Map<string, QName>; output?: Map<string, QName> }>();
      for (const op of pt.find('wsdl:operation', WSDL_NS) as XmlElement[]) {
        const name = op.attr('name')!.value;
        const entry: { input?: Map<string, QName>; output?: Map<string, QName> } = {};
        for (const dir of ['input', 'output', 'fault'] as const) {
          for (const io of op.find(`wsdl:${dir}`, WSDL_NS) as XmlElement[]) {
            const m = message(io, 'message', `portType operation ${name} ${dir}`);
            if (dir !== 'fault' && m) entry[dir] = m;
          }
        }
        ops.set(name, entry);
      }
      portTypes.set(key({ ns: tns, local: pt.attr('name')!.value }), ops);
    }

    // binding
    const bindings = new Map<string, GeneratedOperation[]>();
    for (const b of defs.find('wsdl:binding', WSDL_NS) as XmlElement[]) {
      const bname = b.attr('name')!.value;
      const typeQ = qnameOf(b, b.attr('type')?.value ?? '', problems, `binding ${bname}`);
      const pt = typeQ && portTypes.get(key(typeQ));
      if (!pt) problems.push(`binding ${bname}: portType ${b.attr('type')?.value} is not declared`);
      const ops: GeneratedOperation[] = [];
      for (const op of b.find('wsdl:operation', WSDL_NS) as XmlElement[]) {
        const name = op.attr('name')!.value;
        const abstract = pt?.get(name);
        if (pt && !abstract) problems.push(`binding operation ${name} is not in the portType`);
        const headers: QName[] = [];
        for (const h of op.find('wsdl:input/soap:header | wsdl:output/soap:header', WSDL_NS) as XmlElement[]) {
          const m = message(h, 'message', `binding operation ${name} soap:header`);
          const part = h.attr('part')?.value ?? '';
          if (m && !m.has(part)) problems.push(`binding operation ${name} soap:header: message ${h.attr('message')?.value} has no part ${part}`);
          if (m?.has(part) && (h.parent as XmlElement).name === 'input') headers.push(m.get(part)!);
        }
        const input = abstract?.input && [...abstract.input.values()][0];
        const output = abstract?.output && [...abstract.output.values()][0];
        if (abstract && (!input || !output)) problems.push(`binding operation ${name}: the portType operation has no input or output element`);
        const action = op.get('soap:operation', WSDL_NS) as XmlElement | null;
        if (input && output) ops.push({ name, input, output, headers, soapAction: action?.attr('soapAction')?.value ?? '', endpoint: '' });
      }
      bindings.set(key({ ns: tns, local: bname }), ops);
    }

    // service
    const operations = new Map<string, GeneratedOperation>();
    for (const port of defs.find('wsdl:service/wsdl:port', WSDL_NS) as XmlElement[]) {
      const bq = qnameOf(port, port.attr('binding')?.value ?? '', problems, `port ${port.attr('name')?.value}`);
      const ops = bq && bindings.get(key(bq));
      if (!ops) {
        problems.push(`port ${port.attr('name')?.value}: binding ${port.attr('binding')?.value} is not declared`);
        continue;
      }
      const address = (port.get('soap:address', WSDL_NS) as XmlElement | null)?.attr('location')?.value;
      if (!address) problems.push(`port ${port.attr('name')?.value} has no soap:address`);
      for (const op of ops) operations.set(op.name, { ...op, endpoint: address ?? '' });
    }
    if (operations.size === 0) problems.push('no bound operation');

    if (problems.length > 0) throw new WsdlReferenceError(problems);

    const bases = new Map<string, QName>();
    for (const [k, el] of elementNodes) {
      const ext = el.get('xsd:complexType/xsd:complexContent/xsd:extension', WSDL_NS) as XmlElement | null;
      const base = ext?.attr('base')?.value;
      const q = base ? qnameOf(ext!, base, [], 'extension') : undefined;
      if (q) bases.set(k, q);
    }
    return { targetNamespace: tns, operations, extensionBase: (e) => bases.get(key(e)) };
  } finally {
    for (const d of docs) d.dispose();
  }
}
