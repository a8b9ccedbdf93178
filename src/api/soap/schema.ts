/**
 * XSD validation of SOAP bodies against GXF's smart-metering schemas (libxml2-wasm: libxml2
 * compiled to WASM, schema compiled once, a body element validated in place in tens of microseconds).
 *
 * The schemas are the files in ./wsdl/schemas, unchanged. They import each other by relative file name, so they
 * are handed to libxml2 through an in-memory input provider under a private URL scheme; nothing is read from the
 * network or from other files at validation time.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  ParseOption,
  XmlBufferInputProvider,
  XmlDocument,
  XmlElement,
  XmlValidateError,
  XsdValidator,
  xmlRegisterInputProvider,
} from 'libxml2-wasm';
import { NS } from './xml.ts';

export const SCHEMA_DIR = fileURLToPath(new URL('./wsdl/schemas/', import.meta.url));
const SCHEME = 'meterfabric-gxf-xsd:/';

/** Parse options for untrusted input: no network, no external entities. */
export const SAFE_PARSE = ParseOption.XML_PARSE_NONET | ParseOption.XML_PARSE_NO_XXE;

export interface ValidationIssue {
  message: string;
  line?: number;
  /** Path of the offending node, with the request's own prefixes. */
  path?: string;
}

/** One root schema that imports every smart-metering schema (bundle imports the rest except these two). */
const ROOT_SCHEMA = `<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:meterfabric:gxf-smartmetering">
  <xsd:import namespace="${NS.bundle}" schemaLocation="bundle-ws-smartmetering.xsd"/>
  <xsd:import namespace="${NS.smCommon}" schemaLocation="common-ws-smartmetering.xsd"/>
  <xsd:import namespace="${NS.notification}" schemaLocation="notification-ws-smartmetering.xsd"/>
</xsd:schema>`;

/**
 * Compiles schema files (name → bytes) that import each other by file name into one validator, starting from
 * `root`; `scheme` is the private URL scheme the files are registered under.
 */
export function compileSchemas(scheme: string, files: Iterable<[string, Uint8Array]>, root: string): XsdValidator {
  const byUrl: Record<string, Uint8Array> = {};
  for (const [name, bytes] of files) byUrl[scheme + name] = bytes;
  xmlRegisterInputProvider(new XmlBufferInputProvider(byUrl));
  const doc = XmlDocument.fromBuffer(byUrl[scheme + root]!, { url: scheme + root });
  try {
    return XsdValidator.fromDoc(doc);
  } finally {
    doc.dispose();
  }
}

/** Validates one element in place with `validator`; returns the problems found. */
export function validateWith(validator: XsdValidator, element: XmlElement): ValidationIssue[] {
  try {
    validator.validate(element);
    return [];
  } catch (e) {
    if (e instanceof XmlValidateError) {
      return e.details.map((d) => ({ message: d.message.trim(), line: d.line, path: (d as { xpath?: string }).xpath }));
    }
    throw e;
  }
}

let validator: XsdValidator | undefined;

/** The compiled validator for all GXF smart-metering schemas; compiled on first use, then shared. */
export function gxfValidator(): XsdValidator {
  if (validator) return validator;
  const files: [string, Uint8Array][] = readdirSync(SCHEMA_DIR)
    .filter((name) => name.endsWith('.xsd'))
    .map((name) => [name, readFileSync(SCHEMA_DIR + name)]);
  files.push(['root.xsd', new TextEncoder().encode(ROOT_SCHEMA)]);
  validator = compileSchemas(SCHEME, files, 'root.xsd');
  return validator;
}

/** Validates one element (a SOAP body payload or a fault detail) in place; returns the problems found. */
export function validateElement(element: XmlElement): ValidationIssue[] {
  return validateWith(gxfValidator(), element);
}

/**
 * Validates a whole SOAP envelope as produced by this interface: the body payload, or for a fault the element
 * inside <detail> when it is one of GXF's (FunctionalFault, TechnicalFault). Returns the problems found.
 * Used by the tests and the benchmark to hold every response to the XSDs; `validate` picks the schemas (the Admin
 * service passes its own).
 */
export function validateEnvelopeXml(xml: string | Uint8Array, validate: (element: XmlElement) => ValidationIssue[] = validateElement): ValidationIssue[] {
  const doc = typeof xml === 'string' ? XmlDocument.fromString(xml, { option: SAFE_PARSE }) : XmlDocument.fromBuffer(xml, { option: SAFE_PARSE });
  try {
    const ns = { s: NS.soapEnv };
    const payload = doc.get('/s:Envelope/s:Body/*[1]', ns);
    if (!(payload instanceof XmlElement)) return [{ message: 'no element in soap Body' }];
    if (payload.namespaceUri === NS.soapEnv && payload.name === 'Fault') {
      const detail = doc.get('/s:Envelope/s:Body/s:Fault/detail/*[1]', ns);
      if (detail instanceof XmlElement && detail.namespaceUri === NS.common) return validate(detail);
      return [];
    }
    return validate(payload);
  } finally {
    doc.dispose();
  }
}
