/**
 * GenerateAndReplaceKeys (docs/gxf.md#e-meter-keys): new random authentication and encryption keys for the E-meter,
 * generated in the key store (the HSM's generator when there is one), set on the meter with class 64
 * global_key_transfer, AK then EK, without ever losing a key (src/adapters/emeter-keys.ts).
 */
import { z } from 'zod';
import { changeEMeterKeys } from '../../adapters/emeter-keys.ts';
import { resultWithDescription, text } from '../../api/soap/mapping.ts';
import { gatewayParams, optionsOnly, pathDevice } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';

export default define({
  messageType: 'GENERATE_AND_REPLACE_KEYS',
  service: 'SmartMeteringConfiguration',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'GenerateAndReplaceKeysRequest',
  payload: z.object({}).strict(),
  soap: {
    request: 'GenerateAndReplaceKeysRequest',
    asyncResponse: 'GenerateAndReplaceKeysAsyncResponse',
    asyncRequest: 'GenerateAndReplaceKeysAsyncRequest',
    response: 'GenerateAndReplaceKeysResponse',
    wsdlOperations: ['GenerateAndReplaceKeys', 'GetGenerateAndReplaceKeysResponse'],
    family: 'lenient',
    read: (r) => ({ deviceIdentification: text(r, 'DeviceIdentification'), payload: {} }),
    render: resultWithDescription,
  },
  rest: {
    url: '/devices/:deviceIdentification/keys/generate-and-replace',
    operationId: 'generateAndReplaceKeys',
    summary: 'Generate new authentication and encryption keys and set them on this E-meter (GenerateAndReplaceKeys)',
    tag: 'devices',
    params: gatewayParams,
    body: optionsOnly,
    toRequest: (params) => ({ deviceIdentification: pathDevice(params), payload: {} }),
  },
  execute: (ports, _payload, ctx): Promise<undefined> => changeEMeterKeys(ports, ctx, { kind: 'generate' }),
});
