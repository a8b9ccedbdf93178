/**
 * SetPushSetupLastGasp (docs/gxf.md#push-setups): SET attribute 3 send_destination_and_method of the UDP push setup (class 40, 0-3:25.9.0.255) to
 * {UDP, "host:port", message type (0 on SMR 5.x, 128 elsewhere)}, as GXF's SetPushSetupLastGaspCommandExecutor does; nothing
 * else is written. GXF uses the UDP push setup for the last gasp; it exists on SMR 5.5 only, other protocols are refused.
 */
import { withLink } from '../../adapters/mbus-keys.ts';
import { PUSH_SETUP_UDP, TransportService, sendDestinationAndMethodData } from '../../cosem/index.ts';
import { int, resultWithDescription, sub, text, validation } from '../../api/soap/mapping.ts';
import { gatewayParams, pathDevice, requestOptions } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';
import { isSmr55, pushDestination, pushMessageType, requireProtocol, setOrFail } from './configuration-objects.ts';

export default define({
  messageType: 'SET_PUSH_SETUP_LAST_GASP',
  service: 'SmartMeteringConfiguration',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'SetPushSetupLastGaspRequest',
  payload: pushDestination,
  soap: {
    request: 'SetPushSetupLastGaspRequest',
    asyncResponse: 'SetPushSetupLastGaspAsyncResponse',
    asyncRequest: 'SetPushSetupLastGaspAsyncRequest',
    response: 'SetPushSetupLastGaspResponse',
    wsdlOperations: ['SetPushSetupLastGasp', 'GetSetPushSetupLastGaspResponse'],
    family: 'lenient',
    read: (r) => {
      const setup = sub(sub(r, 'SetPushSetupLastGaspRequestData'), 'PushSetupLastGasp');
      const parsed = pushDestination.safeParse({ host: text(setup, 'Host'), port: int(text(setup, 'Port')) });
      if (!parsed.success) throw validation(`PushSetupLastGasp: ${parsed.error.issues[0]!.path.join('.')} ${parsed.error.issues[0]!.message}`);
      return { deviceIdentification: text(r, 'DeviceIdentification'), payload: parsed.data };
    },
    render: resultWithDescription,
  },
  rest: {
    url: '/devices/:deviceIdentification/push-setup/last-gasp',
    operationId: 'setPushSetupLastGasp',
    summary: 'Set the UDP host and port the meter sends its last gasp to, SMR 5.5 (SetPushSetupLastGasp)',
    tag: 'devices',
    params: gatewayParams,
    body: pushDestination.extend(requestOptions).strict(),
    toRequest: (params, body) => ({ deviceIdentification: pathDevice(params), payload: { host: body.host as string, port: body.port as number } }),
  },
  async execute(ports, p, ctx): Promise<undefined> {
    const device = await ports.inventory.getGateway(ctx.deviceIdentification);
    requireProtocol('SetPushSetupLastGasp', device.protocol, isSmr55);
    const destination = sendDestinationAndMethodData({ transportService: TransportService.UDP, destination: `${p.host}:${p.port}`, message: pushMessageType(device.protocol) });
    await withLink(ports, device.deviceIdentification, ctx.signal, (link) => setOrFail(link, PUSH_SETUP_UDP, 3, destination, 'AccessResultCode for set send destination and method of the UDP push setup'));
    return undefined;
  },
});
