/** CoupleMbusDevice (docs/gxf.md#coupling-and-decoupling): couple an M-Bus device to a gateway, finding or installing it on a channel. */
import { z } from 'zod';
import { coupleMbusDevice as run } from '../../adapters/mbus-channels.ts';
import { bool, channelElementValues, deviceId, el, record, resultText, text } from '../../api/soap/mapping.ts';
import { childText } from '../../api/soap/xml.ts';
import { deviceIdentification, gatewayParams, pathDevice, requestOptions } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';

export default define({
  messageType: 'COUPLE_MBUS_DEVICE',
  service: 'SmartMeteringInstallation',
  functionGroup: 'OWNER',
  contactsDevice: true,
  payload: z.object({ mbusDeviceIdentification: z.string(), force: z.boolean().optional() }),
  soap: {
    request: 'CoupleMbusDeviceRequest',
    asyncResponse: 'CoupleMbusDeviceAsyncResponse',
    asyncRequest: 'CoupleMbusDeviceAsyncRequest',
    response: 'CoupleMbusDeviceResponse',
    wsdlOperations: ['CoupleMbusDevice', 'GetCoupleMbusDeviceReponse'],
    family: 'strict',
    read: (r) => ({
      deviceIdentification: text(r, 'DeviceIdentification'),
      payload: { mbusDeviceIdentification: text(r, 'MbusDeviceIdentification'), force: bool(childText(r, 'Force')) ?? false },
    }),
    render: (stored, p) => {
      const d = record(stored.data, 'data');
      return (
        el('common:Result', resultText(stored.result)) +
        el(`${p}:MbusDeviceIdentification`, deviceId(d.mbusDeviceIdentification, 'mbusDeviceIdentification')) +
        channelElementValues(d.channelElementValues, p)
      );
    },
  },
  rest: {
    url: '/devices/:deviceIdentification/mbus/couple',
    operationId: 'coupleMbusDevice',
    summary: 'Couple an M-Bus device to this gateway, finding or installing it on a channel (CoupleMbusDevice)',
    tag: 'mbus',
    params: gatewayParams,
    body: z.object({ mbusDeviceIdentification: deviceIdentification, force: z.boolean().optional(), ...requestOptions }).strict(),
    toRequest: (params, body) => ({
      deviceIdentification: pathDevice(params),
      payload: { mbusDeviceIdentification: body.mbusDeviceIdentification as string, force: (body.force as boolean | undefined) ?? false },
    }),
  },
  execute: (ports, payload, ctx) => run(ports, ctx, payload),
});
