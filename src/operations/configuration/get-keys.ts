/**
 * GetKeys (docs/gxf.md#getkeys): the device's ACTIVE keys of up to four types, each RSA-OAEP (SHA-1) encrypted with
 * the calling organisation's public key (`meterfabric org set ORG --public-key PEMFILE`), in GXF's order of key
 * types. No meter contact; the stored result holds only the ciphertexts. No registered public key, or no ACTIVE
 * key of a requested type: 806 KEY_NOT_PRESENT (strict: a SOAP fault).
 */
import { z } from 'zod';
import { getKeys } from '../../adapters/emeter-keys.ts';
import { IncompleteResultError, el, record, resultText, sub, text, validation } from '../../api/soap/mapping.ts';
import { childElements } from '../../api/soap/xml.ts';
import { gatewayParams, pathDevice, requestOptions } from '../../api/rest/schemas.ts';
import type { StoredResponse } from '../../platform/operations.ts';
import { define } from '../define.ts';

const secretType = z.enum([
  'E_METER_MASTER_KEY', 'E_METER_AUTHENTICATION_KEY', 'E_METER_ENCRYPTION_KEY_UNICAST', 'E_METER_ENCRYPTION_KEY_BROADCAST',
  'G_METER_MASTER_KEY', 'G_METER_ENCRYPTION_KEY', 'G_METER_FIRMWARE_UPDATE_AUTHENTICATION_KEY', 'G_METER_OPTICAL_PORT_KEY',
]);
const secretTypes = z.array(secretType).min(1).max(4);

function render(stored: StoredResponse, p: string): string {
  const keys = stored.data === undefined || stored.data === null ? [] : record(stored.data, 'data').keys;
  if (!Array.isArray(keys) || (stored.result === 'OK' && keys.length === 0)) throw new IncompleteResultError('keys');
  return (
    el(`${p}:Result`, resultText(stored.result)) +
    keys
      .map((k: { secretType?: unknown; secretValue?: unknown }) => {
        if (!secretType.safeParse(k.secretType).success || typeof k.secretValue !== 'string' || !/^[0-9A-F]+$/i.test(k.secretValue)) throw new IncompleteResultError('keys');
        return `<${p}:GetKeysResponseData>${el(`${p}:secretType`, k.secretType as string)}${el(`${p}:secretValue`, k.secretValue)}</${p}:GetKeysResponseData>`;
      })
      .join('')
  );
}

export default define({
  messageType: 'GET_KEYS',
  service: 'SmartMeteringConfiguration',
  functionGroup: 'OWNER',
  contactsDevice: false,
  payload: z.object({ secretTypes }).strict(),
  soap: {
    request: 'GetKeysRequest',
    asyncResponse: 'GetKeysAsyncResponse',
    asyncRequest: 'GetKeysAsyncRequest',
    response: 'GetKeysResponse',
    wsdlOperations: ['GetKeys', 'GetGetKeysResponse'],
    family: 'strict',
    read: (r) => {
      const data = sub(r, 'GetKeysData');
      const types = childElements(data).filter((e) => e.name === 'secretTypes').map((e) => e.content.trim());
      const parsed = secretTypes.safeParse(types);
      if (!parsed.success) throw validation(`secretTypes must be 1..4 of ${secretType.options.join(', ')}`);
      return { deviceIdentification: text(r, 'DeviceIdentification'), payload: { secretTypes: parsed.data } };
    },
    render,
  },
  rest: {
    url: '/devices/:deviceIdentification/keys/retrieve',
    operationId: 'getKeys',
    summary: "Return this device's ACTIVE keys of the given types, each encrypted with the organisation's RSA public key (GetKeys)",
    tag: 'devices',
    params: gatewayParams,
    body: z.object({ secretTypes: secretTypes.describe('1..4 key types'), ...requestOptions }).strict(),
    toRequest: (params, body) => ({ deviceIdentification: pathDevice(params), payload: { secretTypes: body.secretTypes as z.infer<typeof secretTypes> } }),
  },
  execute: (ports, payload, ctx) => getKeys(ports, ctx, payload.secretTypes),
});
