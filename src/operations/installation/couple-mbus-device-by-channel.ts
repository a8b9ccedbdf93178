/** CoupleMbusDeviceByChannel (docs/gxf.md#coupling-and-decoupling): couple the M-Bus device found on a gateway channel. */
import { z } from 'zod';
import { coupleMbusDeviceByChannel as run } from '../../adapters/mbus-channels.ts';
import { channelElementValues, channelOf, el, record, resultText, text } from '../../api/soap/mapping.ts';
import { gatewayChannelParams, optionsOnly, pathDevice } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';

export default define({
  messageType: 'COUPLE_MBUS_DEVICE_BY_CHANNEL',
  service: 'SmartMeteringInstallation',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'CoupleMbusDeviceByChannelRequest',
  payload: z.object({ channel: z.number().int().min(1).max(4) }),
  soap: {
    request: 'CoupleMbusDeviceByChannelRequest',
    asyncResponse: 'CoupleMbusDeviceByChannelAsyncResponse',
    asyncRequest: 'CoupleMbusDeviceByChannelAsyncRequest',
    response: 'CoupleMbusDeviceByChannelResponse',
    wsdlOperations: ['CoupleMbusDeviceByChannel', 'GetCoupleMbusDeviceByChannelResponse'],
    family: 'strict',
    read: (r) => ({ deviceIdentification: text(r, 'DeviceIdentification'), payload: { channel: channelOf(r, 'CoupleMbusDeviceByChannelRequestData') } }),
    render: (stored, p) => {
      const d = record(stored.data, 'data');
      return el('common:Result', resultText(stored.result)) + channelElementValues(d.channelElementValues, p);
    },
  },
  rest: {
    url: '/devices/:deviceIdentification/mbus/channels/:channel/couple',
    operationId: 'coupleMbusDeviceByChannel',
    summary: 'Couple the M-Bus device found on a channel of this gateway (CoupleMbusDeviceByChannel)',
    tag: 'mbus',
    params: gatewayChannelParams,
    body: optionsOnly,
    toRequest: (params) => ({ deviceIdentification: pathDevice(params), payload: { channel: params.channel as number } }),
  },
  execute: (ports, payload, ctx) => run(ports, ctx, payload),
});
