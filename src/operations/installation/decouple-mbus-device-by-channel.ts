/** DecoupleMbusDeviceByChannel (docs/gxf.md#coupling-and-decoupling): decouple the M-Bus device on a gateway channel. */
import { z } from 'zod';
import { decoupleMbusDeviceByChannel as run } from '../../adapters/mbus-channels.ts';
import { channelElementValues, channelOf, deviceId, el, record, resultText, text } from '../../api/soap/mapping.ts';
import { gatewayChannelParams, optionsOnly, pathDevice } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';

export default define({
  messageType: 'DECOUPLE_MBUS_DEVICE_BY_CHANNEL',
  service: 'SmartMeteringInstallation',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'DecoupleMbusDeviceByChannelRequest',
  payload: z.object({ channel: z.number().int().min(1).max(4) }),
  soap: {
    request: 'DecoupleMbusDeviceByChannelRequest',
    asyncResponse: 'DecoupleMbusDeviceByChannelAsyncResponse',
    asyncRequest: 'DecoupleMbusDeviceByChannelAsyncRequest',
    response: 'DecoupleMbusDeviceByChannelResponse',
    wsdlOperations: ['DecoupleMbusDeviceByChannel', 'DecoupleMbusDeviceByChannelResponse'],
    family: 'strict',
    read: (r) => ({ deviceIdentification: text(r, 'DeviceIdentification'), payload: { channel: channelOf(r, 'DecoupleMbusDeviceByChannelRequestData') } }),
    render: (stored, p) => {
      const d = stored.data === undefined || stored.data === null ? {} : record(stored.data, 'data');
      const result = el('common:Result', resultText(stored.result)) + (typeof d.resultString === 'string' ? el('common:resultString', d.resultString) : '');
      // The schema makes (mbusDeviceIdentification, ChannelElementValues) one optional group: both or neither. GXF
      // sends ChannelElementValues alone when it knows no device for the channel; a WSDL client (zeep) refuses that,
      // so SOAP leaves the group out and REST shows the values (docs/gxf-compatibility.md).
      if (d.mbusDeviceIdentification === undefined || d.channelElementValues === undefined) return result;
      return (
        result +
        el(`${p}:mbusDeviceIdentification`, deviceId(d.mbusDeviceIdentification, 'mbusDeviceIdentification')) +
        channelElementValues(d.channelElementValues, p)
      );
    },
  },
  rest: {
    url: '/devices/:deviceIdentification/mbus/channels/:channel/decouple',
    operationId: 'decoupleMbusDeviceByChannel',
    summary: 'Decouple the M-Bus device on a channel of this gateway (DecoupleMbusDeviceByChannel)',
    tag: 'mbus',
    params: gatewayChannelParams,
    body: optionsOnly,
    toRequest: (params) => ({ deviceIdentification: pathDevice(params), payload: { channel: params.channel as number } }),
  },
  execute: (ports, payload, ctx) => run(ports, ctx, payload),
});
