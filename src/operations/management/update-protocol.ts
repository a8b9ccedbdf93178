/**
 * UpdateProtocol: sets the protocol name, version and variant of a device (OSGP/open-smart-grid-platform,
 * osgp-adapter-domain-smartmetering ManagementService updateProtocolInCoreDatabase): a combination the platform
 * does not know is GXF's 206 UNKNOWN_PROTOCOL_NAME_OR_VERSION_OR_VARIANT and changes nothing (meterfabric checks
 * before it writes); the current one changes nothing. The protocols are those AddDevice accepts (README "GXF
 * compatibility of the M-Bus family"). No meter contact.
 */
import { z } from 'zod';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { resultWithDescription, sub, text } from '../../api/soap/mapping.ts';
import { childText } from '../../api/soap/xml.ts';
import { gatewayParams, pathDevice, requestOptions } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';

const name = z.string().min(1).max(255);
const protocol = z.object({ protocol: name, protocolVersion: name, protocolVariant: name.optional() });

export default define({
  messageType: 'UPDATE_PROTOCOL',
  service: 'SmartMeteringManagement',
  functionGroup: 'MANAGEMENT',
  contactsDevice: false,
  payload: protocol,
  soap: {
    request: 'UpdateProtocolRequest',
    asyncResponse: 'UpdateProtocolAsyncResponse',
    asyncRequest: 'UpdateProtocolAsyncRequest',
    response: 'UpdateProtocolResponse',
    wsdlOperations: ['UpdateProtocol', 'GetUpdateProtocolResponse'],
    family: 'strict',
    read: (r) => {
      const d = sub(r, 'UpdateProtocolData');
      const variant = childText(d, 'ProtocolVariant');
      return {
        deviceIdentification: text(r, 'DeviceIdentification'),
        payload: { protocol: text(d, 'Protocol'), protocolVersion: text(d, 'ProtocolVersion'), ...(variant ? { protocolVariant: variant } : {}) },
      };
    },
    render: resultWithDescription,
  },
  rest: {
    url: '/devices/:deviceIdentification/protocol',
    operationId: 'updateProtocol',
    summary: 'Set the device\'s protocol name, version and variant, e.g. SMR 5.1 (UpdateProtocol)',
    tag: 'management',
    params: gatewayParams,
    body: protocol.extend(requestOptions).strict(),
    toRequest: (params, body) => ({
      deviceIdentification: pathDevice(params),
      payload: {
        protocol: body.protocol as string, protocolVersion: body.protocolVersion as string,
        ...(body.protocolVariant ? { protocolVariant: body.protocolVariant as string } : {}),
      },
    }),
  },
  async execute(ports, payload, ctx): Promise<void> {
    const outcome = await ports.management.updateProtocol(ctx.deviceIdentification, payload);
    if (outcome === 'unknown') {
      const what = [payload.protocol, payload.protocolVersion, payload.protocolVariant].filter(Boolean).join(' ');
      throw new MeterfabricError(ErrorCode.UNKNOWN_PROTOCOL_NAME_OR_VERSION_OR_VARIANT, `Protocol ${what} is unknown`, { component: 'DOMAIN_SMART_METERING', retryable: false });
    }
  },
});
