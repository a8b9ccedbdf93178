/**
 * GetConfigurationObject: reads the configuration object (class 1, 0-1:94.31.3.255 attribute 2) in the protocol's
 * layout and answers every flag the protocol defines, the set ones first, as GXF does (OSGP/open-smart-grid-platform,
 * osgp-adapter-protocol-dlms GetConfigurationObjectCommandExecutor and GetConfigurationObjectService;
 * docs/gxf.md#configuration-object). The GPRS operation mode is answered for DSMR 4.2.2 and SMR 4.3 only.
 */
import { z } from 'zod';
import { withLink } from '../../adapters/mbus-keys.ts';
import { flagsOf } from '../../cosem/configuration-object.ts';
import { el, resultText, text } from '../../api/soap/mapping.ts';
import { gatewayParams, optionsOnly, pathDevice } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';
import { configurationObjectXml, configurationProfile, gprsModeName, hlsActiveOf, readConfigurationObject } from './configuration-object.ts';

export default define({
  messageType: 'GET_CONFIGURATION_OBJECT',
  service: 'SmartMeteringConfiguration',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'GetConfigurationObjectRequest',
  payload: z.object({}),
  soap: {
    request: 'GetConfigurationObjectRequest',
    asyncResponse: 'GetConfigurationObjectAsyncResponse',
    asyncRequest: 'GetConfigurationObjectAsyncRequest',
    response: 'GetConfigurationObjectResponse',
    wsdlOperations: ['GetConfigurationObject', 'GetGetConfigurationObjectResponse'],
    family: 'strict',
    read: (r) => ({ deviceIdentification: text(r, 'DeviceIdentification'), payload: {} }),
    render: (stored, p) => el(`${p}:Result`, resultText(stored.result)) + (stored.data ? configurationObjectXml(stored.data, p) : ''),
  },
  rest: {
    url: '/devices/:deviceIdentification/configuration-object',
    operationId: 'getConfigurationObject',
    summary: "Read the meter's configuration object: GPRS operation mode and flags (GetConfigurationObject)",
    tag: 'devices',
    params: gatewayParams,
    body: optionsOnly,
    toRequest: (params) => ({ deviceIdentification: pathDevice(params), payload: {} }),
  },
  async execute(ports, _payload, ctx) {
    const device = await ports.inventory.getGateway(ctx.deviceIdentification);
    const profile = configurationProfile(device.protocol);
    const value = await withLink(ports, device.deviceIdentification, ctx.signal, (link) => readConfigurationObject(link, profile));
    const mode = profile.layout === 'structure' ? gprsModeName(value.gprsOperationMode) : undefined;
    const configurationFlags = flagsOf(value, profile);
    // As GXF after a GET: the device's stored HLS flags follow the meter (docs/gxf.md#hls-flags-after-the-configuration-object).
    await ports.inventory.setHlsActive?.(device.deviceIdentification, hlsActiveOf(configurationFlags), ctx);
    return { ...(mode ? { gprsOperationMode: mode } : {}), configurationFlags };
  },
});
