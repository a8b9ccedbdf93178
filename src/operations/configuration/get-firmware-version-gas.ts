/**
 * GetFirmwareVersionGas (docs/firmware.md#firmware-versions): an M-Bus device's simple version info (class 4,
 * 0-<channel>:24.2.11.255, SMR 5 only) through its gateway, as hex with FirmwareModuleType SIMPLE_VERSION_INFO.
 * GXF's configuration WSDL has no operation for it (its XSD and bundle schema do): it is served as a bundle action
 * and on REST, not as a SOAP operation of its own.
 */
import { z } from 'zod';
import { getFirmwareVersionGas } from '../../adapters/firmware.ts';
import { el } from '../../api/soap/xml.ts';
import { record, resultText, text } from '../../api/soap/mapping.ts';
import { IncompleteResultError } from '../../api/soap/mapping.ts';
import { gatewayParams, optionsOnly, pathDevice } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';

export default define({
  messageType: 'GET_FIRMWARE_VERSION_GAS',
  service: 'SmartMeteringConfiguration',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'GetFirmwareVersionGasRequest',
  // The request's device is the M-Bus device.
  payload: z.object({}),
  soap: {
    request: 'GetFirmwareVersionGasRequest',
    asyncResponse: 'GetFirmwareVersionGasAsyncResponse',
    asyncRequest: 'GetFirmwareVersionGasAsyncRequest',
    response: 'GetFirmwareVersionGasResponse',
    // GXF's endpoint answers NOT OK with Result alone, which its own XSD rejects (FirmwareVersion is required); the
    // stored fault is the valid answer a client generated from the WSDL can read (docs/gxf.md#result-families).
    family: 'strict',
    read: (r) => ({ deviceIdentification: text(r, 'DeviceIdentification'), payload: {} }),
    render: (stored, p) => {
      if (stored.data === undefined || stored.data === null) return el(`${p}:Result`, resultText(stored.result));
      const v = record(record(stored.data, 'data').firmwareVersion, 'firmwareVersion');
      if (typeof v.version !== 'string' || v.firmwareModuleType !== 'SIMPLE_VERSION_INFO') throw new IncompleteResultError('firmwareVersion');
      return el(`${p}:Result`, resultText(stored.result)) + `<${p}:FirmwareVersion>${el(`${p}:Version`, v.version)}${el(`${p}:FirmwareModuleType`, v.firmwareModuleType)}</${p}:FirmwareVersion>`;
    },
  },
  rest: {
    url: '/devices/:deviceIdentification/firmware/version-gas',
    operationId: 'getFirmwareVersionGas',
    summary: "Read the simple version info of this M-Bus device through its SMR 5 gateway (GetFirmwareVersionGas)",
    tag: 'mbus',
    params: gatewayParams,
    body: optionsOnly,
    toRequest: (params) => ({ deviceIdentification: pathDevice(params), payload: {} }),
  },
  execute: (ports, _payload, ctx) => getFirmwareVersionGas(ports, ctx),
});
