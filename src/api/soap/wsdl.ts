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
