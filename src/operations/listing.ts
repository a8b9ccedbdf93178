/**
 * The catalogue as `meterfabric operations` prints it: one row per catalogue entry, then every other operation of
 * GXF's SmartMetering WSDLs (not implemented: answered with GXF's 407 UNSUPPORTED_DEVICE_ACTION fault).
 * The --json fields are a contract (README "Command line").
 */
import { schemaFiles, wsdlOperations } from '../api/soap/wsdl.ts';
import { API_PREFIX } from '../api/rest/schemas.ts';
import { CATALOGUE } from './catalogue.ts';

export interface OperationRow {
  messageType: string | null;
  service: string;
  soapRequest: string;
  restRoute: string | null;
  functionGroup: string | null;
  implemented: boolean;
  bundleable: boolean;
}

/** The action elements of GXF's bundle schema (its Actions choice). */
export function bundleActions(): Set<string> {
  const xsd = schemaFiles.get('bundle-ws-smartmetering.xsd')?.toString('utf8') ?? '';
  return new Set([...xsd.matchAll(/<xsd:element\s+ref="tns:([A-Za-z]+)"/g)].map((m) => m[1]!));
}

export function operationRows(): OperationRow[] {
  const rows: OperationRow[] = [];
  const served = new Set<string>();
  for (const op of CATALOGUE) {
    if (op.kind === 'device') {
      served.add(op.soap.request).add(op.soap.asyncRequest);
      rows.push({
        messageType: op.messageType, service: op.service, soapRequest: op.soap.request, restRoute: `POST ${API_PREFIX}${op.rest.url}`,
        functionGroup: op.functionGroup, implemented: true, bundleable: op.bundleAction !== undefined,
      });
    } else if (op.kind === 'read') {
      served.add(op.soap.request);
      rows.push({ messageType: op.messageType, service: op.service, soapRequest: op.soap.request, restRoute: op.restRoute, functionGroup: op.functionGroup, implemented: true, bundleable: false });
    } else if (op.kind === 'sync') {
      served.add(op.soap.request);
      rows.push({ messageType: op.name, service: op.service, soapRequest: op.soap.request, restRoute: `GET ${API_PREFIX}${op.rest.url}`, functionGroup: null, implemented: true, bundleable: false });
    } else {
      served.add(op.soap.request);
      rows.push({ messageType: null, service: op.service, soapRequest: op.soap.request, restRoute: op.restRoute, functionGroup: null, implemented: true, bundleable: false });
    }
  }
  const wsdl = wsdlOperations();
  // Compared without case: GXF spells DecoupleMBusDeviceAdministrativeRequest's poll DecoupleMbusDevice….
  const requests = new Set(wsdl.map((o) => o.input.toLowerCase()));
  const bundle = bundleActions();
  for (const o of wsdl) {
    if (served.has(o.input)) continue;
    // The poll of an operation (<Op>AsyncRequest) is listed with its request.
    if (o.input.endsWith('AsyncRequest') && requests.has(o.input.replace(/AsyncRequest$/, 'Request').toLowerCase())) continue;
    rows.push({ messageType: null, service: o.service, soapRequest: o.input, restRoute: null, functionGroup: null, implemented: false, bundleable: bundle.has(o.input) });
  }
  return rows;
}
