/**
 * SetPushSetupUdp (docs/gxf.md#push-setups): SET attribute 4 communication_window of the UDP push setup (class 40,
 * 0-3:25.9.0.255) to an empty array (push at any time), as GXF's SetPushSetupUdpCommandExecutor does. The request has
 * no data. SMR 5.5 only; other protocols are refused.
 */
import { z } from 'zod';
import { withLink } from '../../adapters/mbus-keys.ts';
import { PUSH_SETUP_UDP } from '../../cosem/index.ts';
import { Data } from '../../dlms/axdr.ts';
import { resultWithDescription, text } from '../../api/soap/mapping.ts';
import { gatewayParams, optionsOnly, pathDevice } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';
import { isSmr55, requireProtocol, setOrFail } from './configuration-objects.ts';

export default define({
  messageType: 'SET_PUSH_SETUP_UDP',
  service: 'SmartMeteringConfiguration',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'SetPushSetupUdpRequest',
  payload: z.object({}),
  soap: {
    request: 'SetPushSetupUdpRequest',
    asyncResponse: 'SetPushSetupUdpAsyncResponse',
    asyncRequest: 'SetPushSetupUdpAsyncRequest',
    response: 'SetPushSetupUdpResponse',
    wsdlOperations: ['SetPushSetupUdp', 'GetSetPushSetupUdpResponse'],
    family: 'lenient',
    read: (r) => ({ deviceIdentification: text(r, 'DeviceIdentification'), payload: {} }),
    render: resultWithDescription,
  },
  rest: {
    url: '/devices/:deviceIdentification/push-setup/udp',
    operationId: 'setPushSetupUdp',
    summary: 'Let the UDP push setup push at any time: an empty communication window, SMR 5.5 (SetPushSetupUdp)',
    tag: 'devices',
    params: gatewayParams,
    body: optionsOnly,
    toRequest: (params) => ({ deviceIdentification: pathDevice(params), payload: {} }),
  },
  async execute(ports, _payload, ctx): Promise<undefined> {
    const device = await ports.inventory.getGateway(ctx.deviceIdentification);
    requireProtocol('SetPushSetupUdp', device.protocol, isSmr55);
    await withLink(ports, device.deviceIdentification, ctx.signal, (link) => setOrFail(link, PUSH_SETUP_UDP, 4, Data.array([]), 'AccessResultCode for set communication window of the UDP push setup'));
    return undefined;
  },
});
