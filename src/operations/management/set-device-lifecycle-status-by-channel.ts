/**
 * SetDeviceLifecycleStatusByChannel: reads the M-Bus client setup of a gateway channel (as ScanMbusChannels,
 * docs/gxf.md#scanmbuschannels) and sets the lifecycle status of the gas meter the inventory knows by that identity
 * (OSGP/open-smart-grid-platform, osgp-adapter-protocol-dlms SetDeviceLifecycleStatusByChannelCommandExecutor).
 * Nothing is written to the meter. An empty channel is GXF's 219; an identity that names none of the caller's
 * devices is 218 (README "Authorisation and notification targets": a gateway's report names only the caller's meters).
 */
import { z } from 'zod';
import { ErrorCode } from '../../errors.ts';
import { withLink, functional, isEmptyChannel } from '../../adapters/mbus-keys.ts';
import { reportedMbusDevice } from '../../adapters/mbus-identity.ts';
import { channelElementValues as valuesOf } from '../../cosem/mbus.ts';
import { el, IncompleteResultError, isChannel, record, resultText, sub, text } from '../../api/soap/mapping.ts';
import { gatewayChannelParams, pathDevice, requestOptions } from '../../api/rest/schemas.ts';
import { schemaFiles } from '../../api/soap/wsdl.ts';
import { define } from '../define.ts';

/** The names of common:DeviceLifecycleStatus (base-ws-smartmetering.xsd). */
export const LIFECYCLE_STATUSES: readonly string[] = (() => {
  const xsd = schemaFiles.get('base-ws-smartmetering.xsd')?.toString('utf8') ?? '';
  const type = /<xsd:simpleType name="DeviceLifecycleStatus">([\s\S]*?)<\/xsd:simpleType>/.exec(xsd)?.[1] ?? '';
  return [...type.matchAll(/<xsd:enumeration value="([A-Z_]+)"/g)].map((m) => m[1]!);
})();

const status = z.string().refine((s) => LIFECYCLE_STATUSES.includes(s), { message: `one of ${LIFECYCLE_STATUSES.join(', ')}` })
  .describe('GXF DeviceLifecycleStatus, e.g. IN_USE');

export interface LifecycleStatusResult {
  gatewayDeviceIdentification: string;
  mbusDeviceIdentification: string;
  deviceLifecycleStatus: string;
  channel: number;
}

export default define({
  messageType: 'SET_DEVICE_LIFECYCLE_STATUS_BY_CHANNEL',
  service: 'SmartMeteringManagement',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'SetDeviceLifecycleStatusByChannelRequest',
  payload: z.object({ deviceLifecycleStatus: status, channel: z.number().int().min(1).max(4) }),
  soap: {
    request: 'SetDeviceLifecycleStatusByChannelRequest',
    asyncResponse: 'SetDeviceLifecycleStatusByChannelAsyncResponse',
    asyncRequest: 'SetDeviceLifecycleStatusByChannelAsyncRequest',
    response: 'SetDeviceLifecycleStatusByChannelResponse',
    wsdlOperations: ['SetDeviceLifecycleStatusByChannel', 'GetSetDeviceLifecycleStatusByChannelResponse'],
    family: 'strict',
    read: (r) => {
      const d = sub(r, 'SetDeviceLifecycleStatusByChannelRequestData');
      return {
        deviceIdentification: text(r, 'GatewayDeviceIdentification'),
        payload: { deviceLifecycleStatus: text(d, 'DeviceLifecycleStatus'), channel: Number(text(d, 'Channel')) },
      };
    },
    render: (stored, p) => {
      const d = record(stored.data, 'data') as Partial<LifecycleStatusResult>;
      if (typeof d.gatewayDeviceIdentification !== 'string' || typeof d.mbusDeviceIdentification !== 'string' ||
          !LIFECYCLE_STATUSES.includes(d.deviceLifecycleStatus as string) || !isChannel(d.channel)) {
        throw new IncompleteResultError('lifecycle status result');
      }
      return el(`${p}:Result`, resultText(stored.result)) +
        `<${p}:SetDeviceLifecycleStatusByChannelResponseData>${el(`${p}:GatewayDeviceIdentification`, d.gatewayDeviceIdentification)}` +
        `${el(`${p}:MbusDeviceIdentification`, d.mbusDeviceIdentification)}${el(`${p}:DeviceLifecycleStatus`, d.deviceLifecycleStatus!)}` +
        `${el(`${p}:Channel`, d.channel)}</${p}:SetDeviceLifecycleStatusByChannelResponseData>`;
    },
  },
  rest: {
    url: '/devices/:deviceIdentification/mbus/channels/:channel/lifecycle-status',
    operationId: 'setDeviceLifecycleStatusByChannel',
    summary: 'Set the lifecycle status of the gas meter this gateway reports on a channel (SetDeviceLifecycleStatusByChannel)',
    tag: 'management',
    params: gatewayChannelParams,
    body: z.object({ deviceLifecycleStatus: status, ...requestOptions }).strict(),
    toRequest: (params, body) => ({
      deviceIdentification: pathDevice(params),
      payload: { deviceLifecycleStatus: body.deviceLifecycleStatus as string, channel: params.channel as number },
    }),
  },
  async execute(ports, payload, ctx): Promise<LifecycleStatusResult> {
    const gateway = await ports.inventory.getGateway(ctx.deviceIdentification);
    const values = valuesOf(await withLink(ports, gateway.deviceIdentification, ctx.signal, (link) => link.readChannel(payload.channel)));
    if (isEmptyChannel(values)) {
      throw functional(ErrorCode.NO_DEVICE_FOUND_ON_CHANNEL, `No M-Bus device found on channel ${payload.channel} of ${gateway.deviceIdentification}`, 'PROTOCOL_DLMS');
    }
    const found = await reportedMbusDevice(ports, ctx.organisationIdentification, ctx.messageType, gateway.deviceIdentification, payload.channel, values);
    if (found.kind === 'none') {
      throw functional(ErrorCode.NO_MATCHING_MBUS_DEVICE_FOUND, `No M-Bus device known with identification number ${values.identificationNumber} and manufacturer ${values.manufacturerIdentification}`, 'DOMAIN_SMART_METERING');
    }
    await ports.management.setLifecycleStatus(found.mbus.deviceIdentification, payload.deviceLifecycleStatus);
    return {
      gatewayDeviceIdentification: gateway.deviceIdentification,
      mbusDeviceIdentification: found.mbus.deviceIdentification,
      deviceLifecycleStatus: payload.deviceLifecycleStatus,
      channel: payload.channel,
    };
  },
});
