/**
 * UpdateFirmware (docs/firmware.md#updatefirmware): the stored firmware file named by FirmwareIdentification
 * (`meterfabric firmware add`) transferred with class 18 image transfer and activated, resumable after a dropped
 * line or a restarted process (src/adapters/firmware.ts): to an E-meter as it is, or to an M-Bus device on an SMR 5
 * gateway personalised and authenticated with its firmware update key (docs/firmware.md#m-bus-firmware). GXF
 * answers only Result; the stored result (REST) also holds the firmware versions read after activation.
 */
import { z } from 'zod';
import { updateFirmware } from '../../adapters/firmware.ts';
import { el } from '../../api/soap/xml.ts';
import { resultText, text } from '../../api/soap/mapping.ts';
import { gatewayParams, pathDevice, requestOptions } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';

const firmwareIdentification = z.string().min(1).max(40).describe('The identification of a stored firmware file (meterfabric firmware add)');

export default define({
  messageType: 'UPDATE_FIRMWARE',
  service: 'SmartMeteringConfiguration',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'UpdateFirmwareRequest',
  payload: z.object({ firmwareIdentification }).strict(),
  soap: {
    request: 'UpdateFirmwareRequest',
    asyncResponse: 'UpdateFirmwareAsyncResponse',
    asyncRequest: 'UpdateFirmwareAsyncRequest',
    response: 'UpdateFirmwareResponse',
    wsdlOperations: ['UpdateFirmware', 'GetUpdateFirmwareResponse'],
    family: 'strict',
    read: (r) => ({ deviceIdentification: text(r, 'DeviceIdentification'), payload: { firmwareIdentification: text(r, 'FirmwareIdentification') } }),
    render: (stored, p) => el(`${p}:Result`, resultText(stored.result)),
  },
  rest: {
    url: '/devices/:deviceIdentification/firmware/update',
    operationId: 'updateFirmware',
    summary: 'Transfer a stored firmware image to this E-meter (or SMR 5 M-Bus device) and activate it, resuming after interruptions (UpdateFirmware)',
    tag: 'devices',
    params: gatewayParams,
    body: z.object({ firmwareIdentification, ...requestOptions }).strict(),
    toRequest: (params, body) => ({ deviceIdentification: pathDevice(params), payload: { firmwareIdentification: body.firmwareIdentification as string } }),
  },
  execute: (ports, payload, ctx) => updateFirmware(ports, ctx, payload.firmwareIdentification),
});
