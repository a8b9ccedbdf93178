/**
 * GXF's WSDL and XSD files, served unchanged except for two attributes that must point at this server: the
 * soap:address of each service, and the schemaLocation of the schema import, made absolute so that a client
 * resolves it whether it fetched ".../configurationService/?wsdl" or ".../configurationService?wsdl".
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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

const wsdlFiles = new Map<ServiceName, string>(
  // GXF's build fills in its version where the files say ${display.version}; this server puts its own there.
  (Object.entries(SERVICES) as [ServiceName, string][]).map(([svc, file]) => [svc, readFileSync(WSDL_DIR + file, 'utf8').replaceAll('${display.version}', VERSION)]),
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
    const portType = /<wsdl:portType[\s\S]*?<\/wsdl:portType>/.exec(text)?.[0] ?? '';
    for (const m of portType.matchAll(/<wsdl:operation\s+name="([^"]+)">([\s\S]*?)<\/wsdl:operation>/g)) {
      const input = /<wsdl:input\s[^>]*?message="[^":]+:([^"]+)"/.exec(m[2]!)?.[1];
      const output = /<wsdl:output\s[^>]*?message="[^":]+:([^"]+)"/.exec(m[2]!)?.[1];
      if (!input || !output) continue;
      // GXF's installation WSDL names two messages it never declares (the DecoupleMbusDeviceAdministrative poll):
      // their element is the one of that name in the service's schema.
      const i = elementOf.get(input) ?? { prefix: elementOf.values().next().value?.prefix ?? '', name: input };
      out.push({
        service: file.replace(/\.wsdl$/, ''), name: m[1]!, input: i.name, inputNamespace: namespaces.get(i.prefix) ?? '',
        output: elementOf.get(output)?.name ?? output,
      });
    }
  }
  operationsRead = out;
  return out;
}
