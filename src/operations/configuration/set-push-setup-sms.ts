/**
 * SetPushSetupSms (docs/gxf.md#push-setups): SET attribute 3 send_destination_and_method of the SMS push setup (class 40, 0-2:25.9.0.255) to
 * {TCP, "host:port", message type (0 on SMR 5.x, 128 elsewhere)}, as GXF's SetPushSetupSmsCommandExecutor does; nothing
 * else is written. The transport is TCP, as GXF writes it (not SMS).
 */
import { withLink } from '../../adapters/mbus-keys.ts';
import { PUSH_SETUP_SMS, TransportService, sendDestinationAndMethodData } from '../../cosem/index.ts';
import { int, resultWithDescription, sub, text, validation } from '../../api/soap/mapping.ts';
import { gatewayParams, pathDevice, requestOptions } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';
import { hasConfigurationObjects, pushDestination, pushMessageType, requireProtocol, setOrFail } from './configuration-objects.ts';

export default define({
  messageType: 'SET_PUSH_SETUP_SMS',
  service: 'SmartMeteringConfiguration',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'SetPushSetupSmsRequest',
  payload: pushDestination,
  soap: {
    request: 'SetPushSetupSmsRequest',
    asyncResponse: 'SetPushSetupSmsAsyncResponse',
    asyncRequest: 'SetPushSetupSmsAsyncRequest',
    response: 'SetPushSetupSmsResponse',
    wsdlOperations: ['SetPushSetupSms', 'GetSetPushSetupSmsResponse'],
    family: 'lenient',
    read: (r) => {
      const setup = sub(sub(r, 'SetPushSetupSmsRequestData'), 'PushSetupSms');
      const parsed = pushDestination.safeParse({ host: text(setup, 'Host'), port: int(text(setup, 'Port')) });
      if (!parsed.success) throw validation(`PushSetupSms: ${parsed.error.issues[0]!.path.join('.')} ${parsed.error.issues[0]!.message}`);
      return { deviceIdentification: text(r, 'DeviceIdentification'), payload: parsed.data };
    },
    render: resultWithDescription,
  },
  rest: {
    url: '/devices/:deviceIdentification/push-setup/sms',
    operationId: 'setPushSetupSms',
    summary: 'Set the TCP host and port of the SMS push setup (SetPushSetupSms)',
    tag: 'devices',
    params: gatewayParams,
    body: pushDestination.extend(requestOptions).strict(),
    toRequest: (params, body) => ({ deviceIdentification: pathDevice(params), payload: { host: body.host as string, port: body.port as number } }),
  },
  async execute(ports, p, ctx): Promise<undefined> {
    const device = await ports.inventory.getGateway(ctx.deviceIdentification);
    requireProtocol('SetPushSetupSms', device.protocol, hasConfigurationObjects);
    const destination = sendDestinationAndMethodData({ transportService: TransportService.TCP, destination: `${p.host}:${p.port}`, message: pushMessageType(device.protocol) });
    await withLink(ports, device.deviceIdentification, ctx.signal, (link) => setOrFail(link, PUSH_SETUP_SMS, 3, destination, 'AccessResultCode for set send destination and method of the SMS push setup'));
    return undefined;
  },
});
