/**
 * ReplaceKeys (docs/gxf.md#e-meter-keys): the E-meter's authentication and encryption keys, supplied by the caller
 * RSA-OAEP encrypted to the platform's public key (as AddDevice's keys), set on the meter with class 64
 * global_key_transfer, AK then EK, without ever losing a key (src/adapters/emeter-keys.ts). The stored request
 * holds only the ciphertexts; a key that does not decrypt is GXF's 804 DECRYPTION_EXCEPTION.
 */
import { z } from 'zod';
import { changeEMeterKeys } from '../../adapters/emeter-keys.ts';
import { resultWithDescription, sub, text } from '../../api/soap/mapping.ts';
import { gatewayParams, hexCiphertext, pathDevice, requestOptions } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';

export default define({
  messageType: 'REPLACE_KEYS',
  service: 'SmartMeteringConfiguration',
  functionGroup: 'OWNER',
  contactsDevice: true,
  payload: z.object({ authenticationKey: hexCiphertext, encryptionKey: hexCiphertext }).strict(),
  soap: {
    request: 'ReplaceKeysRequest',
    asyncResponse: 'ReplaceKeysAsyncResponse',
    asyncRequest: 'ReplaceKeysAsyncRequest',
    response: 'ReplaceKeysResponse',
    wsdlOperations: ['ReplaceKeys', 'GetReplaceKeysResponse'],
    family: 'strict',
    read: (r) => {
      const data = sub(r, 'SetKeysRequestData');
      return {
        deviceIdentification: text(r, 'DeviceIdentification'),
        payload: { authenticationKey: text(data, 'AuthenticationKey'), encryptionKey: text(data, 'EncryptionKey') },
      };
    },
    render: resultWithDescription,
  },
  rest: {
    url: '/devices/:deviceIdentification/keys/replace',
    operationId: 'replaceKeys',
    summary: 'Set the given authentication and encryption keys (RSA-OAEP encrypted to the platform public key) on this E-meter (ReplaceKeys)',
    tag: 'devices',
    params: gatewayParams,
    body: z.object({ authenticationKey: hexCiphertext, encryptionKey: hexCiphertext, ...requestOptions }).strict(),
    toRequest: (params, body) => ({
      deviceIdentification: pathDevice(params),
      payload: { authenticationKey: body.authenticationKey as string, encryptionKey: body.encryptionKey as string },
    }),
  },
  async execute(ports, payload, ctx): Promise<undefined> {
    const ak = ports.installation.decryptClientKey(payload.authenticationKey);
    const ek = ports.installation.decryptClientKey(payload.encryptionKey);
    try {
      return await changeEMeterKeys(ports, ctx, { kind: 'replace', ak, ek });
    } finally {
      ak.fill(0);
      ek.fill(0);
    }
  },
});
