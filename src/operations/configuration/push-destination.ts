/**
 * The push setups whose one written attribute is the destination (docs/gxf.md#push-setups): SetPushSetupSms and
 * SetPushSetupLastGasp SET attribute 3 send_destination_and_method of a class 40 object to {transport, "host:port",
 * message type (0 on SMR 5.x, 128 elsewhere)}, as GXF's command executors do; nothing else is written. Both
 * operations are declared from here so that their SOAP, REST and meter sides cannot drift apart.
 */
import { withLink } from '../../adapters/mbus-keys.ts';
import { sendDestinationAndMethodData, type CosemObject } from '../../cosem/index.ts';
import { int, resultWithDescription, sub, text, validation } from '../../api/soap/mapping.ts';
import { gatewayParams, pathDevice, requestOptions } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';
import { pushDestination, pushMessageType, requireProtocol, setOrFail } from './configuration-objects.ts';

export interface PushDestinationOperation {
  /** The stem of GXF's element names: SetPushSetup<name>Request, PushSetup<name>, … */
  name: 'Sms' | 'LastGasp';
  messageType: string;
  /** The push setup object written. */
  setup: CosemObject;
  /** TransportService value GXF writes. */
  transport: number;
  supported: (protocol: string) => boolean;
  url: string;
  summary: string;
  /** The object's name in a refusal ("SMS push setup"). */
  what: string;
}

export function definePushDestination(o: PushDestinationOperation) {
  const operation = `SetPushSetup${o.name}`;
  return define({
    messageType: o.messageType,
    service: 'SmartMeteringConfiguration',
    functionGroup: 'OWNER',
    contactsDevice: true,
    bundleAction: `${operation}Request`,
    payload: pushDestination,
    soap: {
      request: `${operation}Request`,
      asyncResponse: `${operation}AsyncResponse`,
      asyncRequest: `${operation}AsyncRequest`,
      response: `${operation}Response`,
      wsdlOperations: [operation, `Get${operation}Response`],
      family: 'lenient',
      read: (r) => {
        const setup = sub(sub(r, `${operation}RequestData`), `PushSetup${o.name}`);
        const parsed = pushDestination.safeParse({ host: text(setup, 'Host'), port: int(text(setup, 'Port')) });
        if (!parsed.success) throw validation(`PushSetup${o.name}: ${parsed.error.issues[0]!.path.join('.')} ${parsed.error.issues[0]!.message}`);
        return { deviceIdentification: text(r, 'DeviceIdentification'), payload: parsed.data };
      },
      render: resultWithDescription,
    },
    rest: {
      url: o.url,
      operationId: `setPushSetup${o.name}`,
      summary: o.summary,
      tag: 'devices',
      params: gatewayParams,
      body: pushDestination.extend(requestOptions).strict(),
      toRequest: (params, body) => ({ deviceIdentification: pathDevice(params), payload: { host: body.host as string, port: body.port as number } }),
    },
    async execute(ports, p, ctx): Promise<undefined> {
      const device = await ports.inventory.getGateway(ctx.deviceIdentification);
      requireProtocol(operation, device.protocol, o.supported);
      const destination = sendDestinationAndMethodData({ transportService: o.transport, destination: `${p.host}:${p.port}`, message: pushMessageType(device.protocol) });
      await withLink(ports, device.deviceIdentification, ctx.signal, (link) => setOrFail(link, o.setup, 3, destination, `AccessResultCode for set send destination and method of the ${o.what}`));
      return undefined;
    },
  });
}
