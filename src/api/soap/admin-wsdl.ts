/**
 * GXF's Admin web service contract (AdminDeviceManagement.wsdl and its two schemas, in ./admin-wsdl, unchanged):
 * its path, the WSDL as served (soap:address and schema import pointing at this server) and the XSD validator.
 *
 * The admin common schema (common-ws-admin.xsd) has the target namespace of the smart-metering base schema with
 * other content, so the admin schemas are compiled into a validator of their own and served under the admin path.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { XmlElement, XsdValidator } from 'libxml2-wasm';
import { VERSION } from '../../version.ts';
import { compileSchemas, validateEnvelopeXml, validateWith, type ValidationIssue } from './schema.ts';
import { escapeXml } from './xml.ts';

/** GXF's admin web service root and the device management service under it (docs/gxf-admin.md). */
export const ADMIN_BASE_PATH = '/osgp-adapter-ws-admin/admin';
export const ADMIN_SERVICE = 'deviceManagementService';
export const ADMIN_NS = 'http://www.opensmartgridplatform.org/schemas/admin/devicemanagement/2014/10';

const DIR = fileURLToPath(new URL('./admin-wsdl/', import.meta.url));
const SCHEMA_DIR = `${DIR}schemas/`;
const SCHEME = 'meterfabric-gxf-admin-xsd:/';

/** The admin XSD files by name, as bytes (served unchanged). */
export const adminSchemaFiles: ReadonlyMap<string, Buffer> = new Map(
  readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith('.xsd'))
    .map((f) => [f, readFileSync(SCHEMA_DIR + f)]),
);

const wsdlText = readFileSync(`${DIR}AdminDeviceManagement.wsdl`, 'utf8').replaceAll('${display.version}', VERSION);

/** The WSDL with its address and schema location pointing at `baseUrl` (scheme://host[:port]). */
export function adminWsdl(baseUrl: string): string {
  const root = `${baseUrl.replace(/\/+$/, '')}${ADMIN_BASE_PATH}`;
  return wsdlText
    .replace(/(<soap:address\s+location=")[^"]*(")/g, (_m, a: string, b: string) => `${a}${escapeXml(`${root}/${ADMIN_SERVICE}/`)}${b}`)
    .replace(/(schemaLocation=")schemas\//g, (_m, a: string) => `${a}${escapeXml(`${root}/schemas/`)}`);
}

/** The request elements of the WSDL's operations (portType order), read once. */
export const ADMIN_OPERATIONS: readonly { name: string; input: string; output: string }[] = (() => {
  const elementOf = new Map<string, string>();
  for (const m of wsdlText.matchAll(/<wsdl:message\s+name="([^"]+)">([\s\S]*?)<\/wsdl:message>/g)) {
    const part = /element="dman:([^"]+)"/.exec(m[2]!);
    if (part) elementOf.set(m[1]!, part[1]!);
  }
  const portType = /<wsdl:portType[\s\S]*?<\/wsdl:portType>/.exec(wsdlText)?.[0] ?? '';
  return [...portType.matchAll(/<wsdl:operation\s+name="([^"]+)">([\s\S]*?)<\/wsdl:operation>/g)].map((m) => ({
    name: m[1]!,
    input: elementOf.get(/<wsdl:input\s[^>]*?message="tns:([^"]+)"/.exec(m[2]!)![1]!)!,
    output: elementOf.get(/<wsdl:output\s[^>]*?message="tns:([^"]+)"/.exec(m[2]!)![1]!)!,
  }));
})();

let validator: XsdValidator | undefined;

/** Validates one element (a body payload or a fault detail) against the admin schemas (compiled on first use). */
export function validateAdminElement(element: XmlElement): ValidationIssue[] {
  validator ??= compileSchemas(SCHEME, adminSchemaFiles, 'devicemanagement-ws-admin.xsd');
  return validateWith(validator, element);
}

/**
 * Validates a whole envelope of the Admin service: the body payload, or for a fault its common:FunctionalFault /
 * TechnicalFault detail. Used by the tests and by `validateResponses`.
 */
export function validateAdminEnvelopeXml(xml: string): ValidationIssue[] {
  return validateEnvelopeXml(xml, validateAdminElement);
}
