/**
 * GetFirmwareVersion (docs/firmware.md#firmware-versions): the E-meter's active firmware versions, read from the
 * firmware version objects its protocol has (DSMR 4.2.2: 3, SMR 5: 4 with the M-Bus driver) in one GET, each as
 * text without control characters, with GXF's FirmwareModuleType.
 */
import { z } from 'zod';
import { getFirmwareVersions } from '../../adapters/firmware.ts';
import { el } from '../../api/soap/xml.ts';
import { record, resultText, text } from '../../api/soap/mapping.ts';
import { IncompleteResultError } from '../../api/soap/mapping.ts';
import { gatewayParams, optionsOnly, pathDevice } from '../../api/rest/schemas.ts';
import type { StoredResponse } from '../../platform/operations.ts';
import { define } from '../define.ts';

/** The stored versions as elements named `element` (GetFirmwareVersionResponse: FirmwareVersion; in a bundle: FirmwareVersions). */
export function firmwareVersionElements(stored: StoredResponse, p: string, element: string): string {
  if (stored.data === undefined || stored.data === null) return '';
  const versions = record(stored.data, 'data').firmwareVersions;
  if (!Array.isArray(versions) || versions.length === 0) throw new IncompleteResultError('firmwareVersions');
  return versions
    .map((v: { version?: unknown; firmwareModuleType?: unknown }) => {
      if (typeof v.version !== 'string' || typeof v.firmwareModuleType !== 'string') throw new IncompleteResultError('firmwareVersions');
      return `<${p}:${element}>${el(`${p}:Version`, v.version)}${el(`${p}:FirmwareModuleType`, v.firmwareModuleType)}</${p}:${element}>`;
    })
    .join('');
}

export default define({
  messageType: 'GET_FIRMWARE_VERSION',
  service: 'SmartMeteringConfiguration',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'GetFirmwareVersionRequest',
  payload: z.object({}),
  soap: {
    request: 'GetFirmwareVersionRequest',
    asyncResponse: 'GetFirmwareVersionAsyncResponse',
    asyncRequest: 'GetFirmwareVersionAsyncRequest',
    response: 'GetFirmwareVersionResponse',
    wsdlOperations: ['GetFirmwareVersion', 'GetGetFirmwareVersionResponse'],
    // GXF's endpoint answers NOT OK with Result alone, which its own XSD rejects (FirmwareVersion is required); the
    // stored fault is the valid answer a client generated from the WSDL can read (docs/gxf.md#result-families).
    family: 'strict',
    read: (r) => ({ deviceIdentification: text(r, 'DeviceIdentification'), payload: {} }),
    render: (stored, p) => el(`${p}:Result`, resultText(stored.result)) + firmwareVersionElements(stored, p, 'FirmwareVersion'),
    // GXF's bundle response type (GetFirmwareVersionResponseData) names the list FirmwareVersions.
    bundleRender: (stored, p) => firmwareVersionElements(stored, p, 'FirmwareVersions'),
  },
  rest: {
    url: '/devices/:deviceIdentification/firmware/versions',
    operationId: 'getFirmwareVersion',
    summary: 'Read the active firmware versions of this E-meter (GetFirmwareVersion)',
    tag: 'devices',
    params: gatewayParams,
    body: optionsOnly,
    toRequest: (params) => ({ deviceIdentification: pathDevice(params), payload: {} }),
  },
  execute: (ports, _payload, ctx) => getFirmwareVersions(ports, ctx),
});
