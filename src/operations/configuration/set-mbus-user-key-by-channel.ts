/** SetMbusUserKeyByChannel (docs/gxf.md#setmbususerkeybychannel): a new M-Bus user key for the G-meter on a gateway channel. */
import { z } from 'zod';
import { setMbusUserKeyByChannel as run } from '../../adapters/mbus-keys.ts';
import { channelOf, resultWithDescription, text } from '../../api/soap/mapping.ts';
import { gatewayChannelParams, optionsOnly, pathDevice } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';

export default define({
  messageType: 'SET_MBUS_USER_KEY_BY_CHANNEL',
  service: 'SmartMeteringConfiguration',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'SetMbusUserKeyByChannelRequest',
  payload: z.object({ channel: z.number().int().min(1).max(4) }),
  soap: {
    request: 'SetMbusUserKeyByChannelRequest',
    asyncResponse: 'SetMbusUserKeyByChannelAsyncResponse',
    asyncRequest: 'SetMbusUserKeyByChannelAsyncRequest',
    response: 'SetMbusUserKeyByChannelResponse',
    wsdlOperations: ['SetMbusUserKeyByChannel', 'GetSetMbusUserKeyByChannelResponse'],
    family: 'lenient',
    read: (r) => ({ deviceIdentification: text(r, 'DeviceIdentification'), payload: { channel: channelOf(r, 'SetMbusUserKeyByChannelRequestData') } }),
    render: resultWithDescription,
  },
  rest: {
    url: '/devices/:deviceIdentification/mbus/channels/:channel/user-key',
    operationId: 'setMbusUserKeyByChannel',
    summary: 'Generate, transfer and set a new M-Bus user key on the G-meter on a channel of this gateway (SetMbusUserKeyByChannel)',
    tag: 'mbus',
    params: gatewayChannelParams,
    body: optionsOnly,
    toRequest: (params) => ({ deviceIdentification: pathDevice(params), payload: { channel: params.channel as number } }),
  },
  console: { action: 'set-user-key', payload: (channel) => ({ channel }) },
  execute: (ports, payload, ctx): Promise<undefined> => run(ports, ports.keyBlobs, ctx, payload),
});
