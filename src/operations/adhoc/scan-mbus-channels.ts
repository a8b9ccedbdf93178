/** ScanMbusChannels (docs/gxf.md#scanmbuschannels): what the four M-Bus channels of a gateway hold. */
import { z } from 'zod';
import { scanMbusChannels as run } from '../../adapters/mbus-channels.ts';
import { channelShortId, el, IncompleteResultError, record, resultText, text } from '../../api/soap/mapping.ts';
import { gatewayParams, optionsOnly, pathDevice } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';

export default define({
  messageType: 'SCAN_MBUS_CHANNELS',
  service: 'SmartMeteringAdhoc',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'ScanMbusChannelsRequest',
  payload: z.object({}),
  soap: {
    request: 'ScanMbusChannelsRequest',
    asyncResponse: 'ScanMbusChannelsAsyncResponse',
    asyncRequest: 'ScanMbusChannelsAsyncRequest',
    response: 'ScanMbusChannelsResponse',
    wsdlOperations: ['ScanMbusChannels', 'ScanMbusChannelsResponse'],
    family: 'strict',
    read: (r) => ({ deviceIdentification: text(r, 'DeviceIdentification'), payload: {} }),
    render: (stored, p) => {
      let channels: unknown[] = [];
      if (stored.data !== undefined && stored.data !== null) {
        const c = record(stored.data, 'data').channels;
        if (!Array.isArray(c) || c.length > 4) throw new IncompleteResultError('channels');
        channels = c;
      }
      return el(`${p}:Result`, resultText(stored.result)) + channels.map((c) => channelShortId(c, p)).join('');
    },
  },
  rest: {
    url: '/devices/:deviceIdentification/mbus/scan',
    operationId: 'scanMbusChannels',
    summary: 'Read what the four M-Bus channels of this gateway hold (ScanMbusChannels)',
    tag: 'mbus',
    params: gatewayParams,
    body: optionsOnly,
    toRequest: (params) => ({ deviceIdentification: pathDevice(params), payload: {} }),
  },
  console: { action: 'scan', payload: () => ({}) },
  execute: (ports, _payload, ctx) => run(ports, ctx),
});
