/**
 * SetAdministrativeStatus (docs/gxf.md#administrative-status): SET attribute 2 of the administrative in/out object
 * (class 1, 0-1:94.31.0.255) to enum 0 UNDEFINED, 1 OFF or 2 ON, as GXF's SetAdministrativeStatusCommandExecutor
 * writes it; a refused SET ends the request NOT OK.
 */
import { z } from 'zod';
import { withLink } from '../../adapters/mbus-keys.ts';
import { ADMINISTRATIVE_IN_OUT, ADMINISTRATIVE_STATUS } from '../../cosem/index.ts';
import { Data } from '../../dlms/axdr.ts';
import { resultWithDescription, text, validation } from '../../api/soap/mapping.ts';
import { gatewayParams, pathDevice, requestOptions } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';
import { hasConfigurationObjects, requireProtocol, setOrFail } from './configuration-objects.ts';

const enabled = z.enum(ADMINISTRATIVE_STATUS);

export default define({
  messageType: 'SET_ADMINISTRATIVE_STATUS',
  service: 'SmartMeteringConfiguration',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'SetAdministrativeStatusRequest',
  payload: z.object({ enabled }),
  soap: {
    request: 'SetAdministrativeStatusRequest',
    asyncResponse: 'SetAdministrativeStatusAsyncResponse',
    asyncRequest: 'SetAdministrativeStatusAsyncRequest',
    response: 'SetAdministrativeStatusResponse',
    wsdlOperations: ['SetAdministrativeStatus', 'GetSetAdministrativeStatusResponse'],
    family: 'lenient',
    read: (r) => {
      const value = enabled.safeParse(text(r, 'Enabled'));
      if (!value.success) throw validation('Enabled must be UNDEFINED, OFF or ON');
      return { deviceIdentification: text(r, 'DeviceIdentification'), payload: { enabled: value.data } };
    },
    render: resultWithDescription,
  },
  rest: {
    url: '/devices/:deviceIdentification/administrative-status',
    operationId: 'setAdministrativeStatus',
    summary: 'Set the administrative status of the meter to UNDEFINED, OFF or ON (SetAdministrativeStatus)',
    tag: 'devices',
    params: gatewayParams,
    body: z.object({ enabled: enabled.describe('UNDEFINED, OFF or ON'), ...requestOptions }).strict(),
    toRequest: (params, body) => ({ deviceIdentification: pathDevice(params), payload: { enabled: body.enabled as z.infer<typeof enabled> } }),
  },
  async execute(ports, payload, ctx): Promise<undefined> {
    const device = await ports.inventory.getGateway(ctx.deviceIdentification);
    requireProtocol('SetAdministrativeStatus', device.protocol, hasConfigurationObjects);
    const value = Data.enum(ADMINISTRATIVE_STATUS.indexOf(payload.enabled));
    await withLink(ports, device.deviceIdentification, ctx.signal, (link) => setOrFail(link, ADMINISTRATIVE_IN_OUT, 2, value, 'AccessResultCode for set administrative status'));
    return undefined;
  },
});
