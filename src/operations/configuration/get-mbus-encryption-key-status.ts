/** GetMbusEncryptionKeyStatus (docs/gxf.md#encryption-key-status): the key status of an M-Bus device, read through its gateway. */
import { z } from 'zod';
import { getMbusEncryptionKeyStatus as run } from '../../adapters/mbus-keys.ts';
import { encryptionKeyStatus, text } from '../../api/soap/mapping.ts';
import { gatewayParams, optionsOnly, pathDevice } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';

export default define({
  messageType: 'GET_MBUS_ENCRYPTION_KEY_STATUS',
  service: 'SmartMeteringConfiguration',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'GetMbusEncryptionKeyStatusRequest',
  // The request's device is the M-Bus device.
  payload: z.object({}),
  soap: {
    request: 'GetMbusEncryptionKeyStatusRequest',
    asyncResponse: 'GetMbusEncryptionKeyStatusAsyncResponse',
    asyncRequest: 'GetMbusEncryptionKeyStatusAsyncRequest',
    response: 'GetMbusEncryptionKeyStatusResponse',
    wsdlOperations: ['GetMbusEncryptionKeyStatus', 'GetGetMbusEncryptionKeyStatusResponse'],
    family: 'strict',
    read: (r) => ({ deviceIdentification: text(r, 'DeviceIdentification'), payload: {} }),
    render: encryptionKeyStatus,
  },
  rest: {
    url: '/devices/:deviceIdentification/mbus/encryption-key-status',
    operationId: 'getMbusEncryptionKeyStatus',
    summary: 'Read the encryption key status of this M-Bus device (GetMbusEncryptionKeyStatus)',
    tag: 'mbus',
    params: gatewayParams,
    body: optionsOnly,
    toRequest: (params) => ({ deviceIdentification: pathDevice(params), payload: {} }),
  },
  execute: (ports, _payload, ctx) => run(ports, ctx),
});
