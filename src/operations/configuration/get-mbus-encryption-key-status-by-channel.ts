/** GetMbusEncryptionKeyStatusByChannel (docs/gxf.md#encryption-key-status): the key status of the M-Bus device on a gateway channel. */
import { z } from 'zod';
import { getMbusEncryptionKeyStatusByChannel as run } from '../../adapters/mbus-keys.ts';
import { channelOf, encryptionKeyStatus, text } from '../../api/soap/mapping.ts';
import { gatewayChannelParams, optionsOnly, pathDevice } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';

export default define({
  messageType: 'GET_MBUS_ENCRYPTION_KEY_STATUS_BY_CHANNEL',
  service: 'SmartMeteringConfiguration',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'GetMbusEncryptionKeyStatusByChannelRequest',
  payload: z.object({ channel: z.number().int().min(1).max(4) }),
  soap: {
    request: 'GetMbusEncryptionKeyStatusByChannelRequest',
    asyncResponse: 'GetMbusEncryptionKeyStatusByChannelAsyncResponse',
    asyncRequest: 'GetMbusEncryptionKeyStatusByChannelAsyncRequest',
    response: 'GetMbusEncryptionKeyStatusByChannelResponse',
    wsdlOperations: ['GetMbusEncryptionKeyStatusByChannel', 'GetGetMbusEncryptionKeyStatusByChannelResponse'],
    family: 'strict',
    read: (r) => ({
      deviceIdentification: text(r, 'GatewayDeviceIdentification'),
      payload: { channel: channelOf(r, 'GetMbusEncryptionKeyStatusByChannelRequestData') },
    }),
    render: encryptionKeyStatus,
  },
  rest: {
    url: '/devices/:deviceIdentification/mbus/channels/:channel/encryption-key-status',
    operationId: 'getMbusEncryptionKeyStatusByChannel',
    summary: 'Read the encryption key status of the M-Bus device on a channel of this gateway (GetMbusEncryptionKeyStatusByChannel)',
    tag: 'mbus',
    params: gatewayChannelParams,
    body: optionsOnly,
    toRequest: (params) => ({ deviceIdentification: pathDevice(params), payload: { channel: params.channel as number } }),
  },
  console: { action: 'get-key-status', payload: (channel) => ({ channel }) },
  execute: (ports, payload, ctx) => run(ports, ctx, payload),
});
