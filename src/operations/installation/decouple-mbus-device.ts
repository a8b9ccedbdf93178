/** DecoupleMbusDevice (docs/gxf.md#coupling-and-decoupling): decouple an M-Bus device from its gateway. */
import { z } from 'zod';
import { decoupleMbusDevice as run } from '../../adapters/mbus-channels.ts';
import { resultWithDescription, text } from '../../api/soap/mapping.ts';
import { deviceIdentification, gatewayParams, pathDevice, requestOptions } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';

export default define({
  messageType: 'DECOUPLE_MBUS_DEVICE',
  service: 'SmartMeteringInstallation',
  functionGroup: 'OWNER',
  contactsDevice: true,
  payload: z.object({ mbusDeviceIdentification: z.string() }),
  soap: {
    request: 'DecoupleMbusDeviceRequest',
    asyncResponse: 'DecoupleMbusDeviceAsyncResponse',
    asyncRequest: 'DecoupleMbusDeviceAsyncRequest',
    response: 'DecoupleMbusDeviceResponse',
    wsdlOperations: ['DecoupleMbusDevice', 'GetDecoupleMbusDeviceReponse'],
    family: 'strict',
    read: (r) => ({ deviceIdentification: text(r, 'DeviceIdentification'), payload: { mbusDeviceIdentification: text(r, 'MbusDeviceIdentification') } }),
    render: resultWithDescription,
  },
  rest: {
    url: '/devices/:deviceIdentification/mbus/decouple',
    operationId: 'decoupleMbusDevice',
    summary: 'Decouple an M-Bus device from this gateway (DecoupleMbusDevice)',
    tag: 'mbus',
    params: gatewayParams,
    body: z.object({ mbusDeviceIdentification: deviceIdentification, ...requestOptions }).strict(),
    toRequest: (params, body) => ({ deviceIdentification: pathDevice(params), payload: { mbusDeviceIdentification: body.mbusDeviceIdentification as string } }),
  },
  execute: (ports, payload, ctx) => run(ports, ctx, payload),
});
