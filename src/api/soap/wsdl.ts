/**
 * GXF's WSDL and XSD files, served unchanged except for two attributes that must point at this server: the
 * soap:address of each service, and the schemaLocation of the schema import, made absolute so that a client
 * resolves it whether it fetched ".../configurationService/?wsdl" or ".../configurationService?wsdl" — and for the
 * messages two of GXF's WSDLs refer to without declaring them (`MISSING_MESSAGES`), which strict client generators
 * need (docs/gxf.md#declared-messages).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { escapeXml } from './xml.ts';
import { VERSION } from '../../version.ts';

export const SOAP_BASE_PATH = '/osgp-adapter-ws-smartmetering/smartMetering';

/** Service path segment -> WSDL file (docs/gxf.md#soap-contract; notification describes the client's own callback). */
export const SERVICES = {
  adhocService: 'SmartMeteringAdhoc.wsdl',
  bundleService: 'SmartMeteringBundle.wsdl',
  commonService: 'SmartMeteringCommon.wsdl',
  configurationService: 'SmartMeteringConfiguration.wsdl',
  installationService: 'SmartMeteringInstallation.wsdl',
  managementService: 'SmartMeteringManagement.wsdl',
  monitoringService: 'SmartMeteringMonitoring.wsdl',
  notificationService: 'SmartMeteringNotification.wsdl',
} as const;
export type ServiceName = keyof typeof SERVICES;

const WSDL_DIR = fileURLToPath(new URL('./wsdl/', import.meta.url));
const SCHEMA_DIR = fileURLToPath(new URL('./wsdl/schemas/', import.meta.url));

/** Marks the start of the messages this server declares, so a reader (and the tests) can tell them from GXF's. */
export const DECLARED_MESSAGES_COMMENT = '<!-- Declared by meterfabric: messages this WSDL refers to without declaring them (docs/gxf.md#declared-messages) -->';

/**
 * Messages GXF's WSDLs use but never declare (OSGP/open-smart-grid-platform,
 * osgp/shared/osgp-ws-smartmetering/src/main/resources/SmartMetering{Monitoring,Installation}.wsdl). Strict WSDL
 * readers (zeep, wsimport) refuse a document with a dangling message reference, so the served WSDL declares them,
 * with the parts and elements GXF evidently means; no element, operation or binding changes.
 * - Monitoring: the GetThdFingerprint bindings take their headers from `tns:ActionHeader`, which only the other
 *   WSDLs declare; declared here exactly as they do (the three common header elements, parts named after them).
 * - Installation: the portType operations DecoupleMbusDeviceAdministrative and
 *   GetDecoupleMbusDeviceAdministrativeReponse refer to three messages that are missing; each is declared with the
 *   schema element of the same meaning (the async response element is spelt with a capital B in the schema).
 */
export const MISSING_MESSAGES: Partial<Record<ServiceName, string>> = {
  monitoringService: `
  <wsdl:message name="ActionHeader">
    <wsdl:part element="common:OrganisationIdentification" name="OrganisationIdentification" />
    <wsdl:part element="common:UserName" name="UserName" />
    <wsdl:part element="common:ApplicationName" name="ApplicationName" />
  </wsdl:message>
`,
  installationService: `
  <wsdl:message name="DecoupleMbusDeviceAdministrativeAsyncResponse">
    <wsdl:part element="sminst:DecoupleMBusDeviceAdministrativeAsyncResponse" name="DecoupleMbusDeviceAdministrativeAsyncResponse" />
  </wsdl:message>
  <wsdl:message name="DecoupleMbusDeviceAdministrativeAsyncRequest">
    <wsdl:part element="sminst:DecoupleMbusDeviceAdministrativeAsyncRequest" name="DecoupleMbusDeviceAdministrativeAsyncRequest" />
  </wsdl:message>
  <wsdl:message name="DecoupleMbusDeviceAdministrativeResponse">
    <wsdl:part element="sminst:DecoupleMbusDeviceAdministrativeResponse" name="DecoupleMbusDeviceAdministrativeResponse" />
  </wsdl:message>
`,
};

/** Puts the declared messages right before the portType (after GXF's own messages). */
function declareMissingMessages(service: ServiceName, wsdl: string): string {
  const messages = MISSING_MESSAGES[service];
  if (!messages) return wsdl;
  const at = wsdl.indexOf('<wsdl:portType');
  if (at < 0) throw new MeterfabricError(ErrorCode.INTERNAL_ERROR, `${SERVICES[service]} has no portType`, { component: 'WS_SMART_METERING' });
  return `${wsdl.slice(0, at)}${DECLARED_MESSAGES_COMMENT}${messages}\n  ${wsdl.slice(at)}`;
}

const wsdlFiles = new Map<ServiceName, string>(
  // GXF's build fills in its version where the files say ${display.version}; this server puts its own there.
  (Object.entries(SERVICES) as [ServiceName, string][]).map(([svc, file]) => [
    svc,
    declareMissingMessages(svc, readFileSync(WSDL_DIR + file, 'utf8').replaceAll('${display.version}', VERSION)),
  ]),
);

/** The XSD files by name, as bytes (served unchanged). */
export const schemaFiles: ReadonlyMap<string, Buffer> = new Map(
  readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith('.xsd'))
    .map((f) => [f, readFileSync(SCHEMA_DIR + f)]),
);

/** The WSDL of a service with its address and schema locations pointing at `baseUrl` (scheme://host[:port]). */
export function wsdlFor(service: ServiceName, baseUrl: string): string {
  const root = `${baseUrl.replace(/\/+$/, '')}${SOAP_BASE_PATH}`;
  return wsdlFiles
    .get(service)!
    .replace(/(<soap:address\s+location=")[^"]*(")/g, (_m, a: string, b: string) => `${a}${escapeXml(`${root}/${service}/`)}${b}`)
    .replace(/(schemaLocation=")schemas\//g, (_m, a: string) => `${a}${escapeXml(`${root}/schemas/`)}`);
}

export interface WsdlOperation {
  /** WSDL file name without .wsdl, e.g. SmartMeteringAdhoc. */
  service: string;
  /** The operation name as the WSDL spells it (e.g. GetAddDeviceReponse). */
  name: string;
  /** Local names of the input and output body elements; namespace of the input element. */
  input: string;
  inputNamespace: string;
  output: string;
}

/** Every operation of GXF's WSDLs (their portTypes), in file order; read once. */
let operationsRead: WsdlOperation[] | undefined;

export function wsdlOperations(): WsdlOperation[] {
  if (operationsRead) return operationsRead;
  const out: WsdlOperation[] = [];
  for (const file of Object.values(SERVICES)) {
    const text = readFileSync(WSDL_DIR + file, 'utf8');
    const namespaces = new Map([...text.matchAll(/xmlns:([A-Za-z0-9]+)="([^"]+)"/g)].map((m) => [m[1]!, m[2]!]));
    const elementOf = new Map<string, { prefix: string; name: string }>();
    for (const m of text.matchAll(/<wsdl:message\s+name="([^"]+)">([\s\S]*?)<\/wsdl:message>/g)) {
      const part = /<wsdl:part\s[^>]*?element="([^":]+):([^"]+)"/.exec(m[2]!);
      if (part) elementOf.set(m[1]!, { prefix: part[1]!, name: part[2]! });
    }
    // The prefix of the service's own schema: the one most message parts use (the first may be the common schema's).
    const counts = new Map<string, number>();
    for (const { prefix } of elementOf.values()) counts.set(prefix, (counts.get(prefix) ?? 0) + 1);
    const ownPrefix = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
    const portType = /<wsdl:portType[\s\S]*?<\/wsdl:portType>/.exec(text)?.[0] ?? '';
    for (const m of portType.matchAll(/<wsdl:operation\s+name="([^"]+)">([\s\S]*?)<\/wsdl:operation>/g)) {
      const input = /<wsdl:input\s[^>]*?message="[^":]+:([^"]+)"/.exec(m[2]!)?.[1];
      const output = /<wsdl:output\s[^>]*?message="[^":]+:([^"]+)"/.exec(m[2]!)?.[1];
      if (!input || !output) continue;
      // GXF's installation WSDL names two messages it never declares (the DecoupleMbusDeviceAdministrative poll):
      // their element is the one of that name in the service's schema.
      const i = elementOf.get(input) ?? { prefix: ownPrefix, name: input };
      out.push({
        service: file.replace(/\.wsdl$/, ''), name: m[1]!, input: i.name, inputNamespace: namespaces.get(i.prefix) ?? '',
        output: elementOf.get(output)?.name ?? output,
      });
    }
  }
  operationsRead = out;
  return out;
}
