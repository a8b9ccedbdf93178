/**
 * SetConfigurationObject: read-modify-write of the configuration object (class 1, 0-1:94.31.3.255 attribute 2), as
 * GXF does (OSGP/open-smart-grid-platform, osgp-adapter-protocol-dlms SetConfigurationObjectCommandExecutor and
 * SetConfigurationObjectService; docs/gxf.md#configuration-object): GET the current value, then one SET in which
 * only the flags named in the request change and every other flag keeps the meter's value. The GPRS operation mode
 * is the requested one, else the meter's (DSMR 4.2.2 / SMR 4.3 structure layout; SMR 5.x has none and drops it).
 * An enabled flag the protocol does not define is refused (416) before the meter is contacted; a disabled one is
 * ignored. A write the meter refuses ends NOT OK with "Set configuration object reported result is: <result>".
 */
import { z } from 'zod';
import { withLink } from '../../adapters/mbus-keys.ts';
import { encodeConfigurationObject, flagsOf } from '../../cosem/configuration-object.ts';
import { dataAccessResultName } from '../../dlms/apdu/common.ts';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { resultWithDescription, sub, text, validation } from '../../api/soap/mapping.ts';
import { child, childElements } from '../../api/soap/xml.ts';
import { gatewayParams, pathDevice, requestOptions } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';
import { CONFIGURATION_OBJECT_REF, configurationFlag, configurationProfile, gprsOperationMode, hlsActiveOf, readConfigurationObject } from './configuration-object.ts';

const payload = z.object({
  gprsOperationMode: gprsOperationMode.optional(),
  configurationFlags: z.array(configurationFlag).max(10).optional(),
}).strict();
type Payload = z.infer<typeof payload>;

const GPRS_MODE_NUMBER = { ALWAYS_ON: 1, TRIGGERED: 2 } as const;

export default define({
  messageType: 'SET_CONFIGURATION_OBJECT',
  service: 'SmartMeteringConfiguration',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'SetConfigurationObjectRequest',
  payload,
  soap: {
    request: 'SetConfigurationObjectRequest',
    asyncResponse: 'SetConfigurationObjectAsyncResponse',
    asyncRequest: 'SetConfigurationObjectAsyncRequest',
    response: 'SetConfigurationObjectResponse',
    wsdlOperations: ['SetConfigurationObject', 'GetSetConfigurationObjectResponse'],
    family: 'strict',
    read: (r) => {
      const object = sub(sub(r, 'SetConfigurationObjectRequestData'), 'ConfigurationObject');
      const out: Payload = {};
      const mode = child(object, 'GprsOperationMode')?.content.trim();
      if (mode) out.gprsOperationMode = gprsOperationMode.parse(mode);
      const flags = child(object, 'ConfigurationFlags');
      if (flags) {
        out.configurationFlags = childElements(flags).map((f) => {
          const type = configurationFlagType(text(f, 'ConfigurationFlagType').trim());
          const enabled = text(f, 'Enabled').trim();
          return { configurationFlagType: type, enabled: enabled === 'true' || enabled === '1' };
        });
      }
      return { deviceIdentification: text(r, 'DeviceIdentification'), payload: out };
    },
    render: resultWithDescription,
  },
  rest: {
    url: '/devices/:deviceIdentification/configuration-object/set',
    operationId: 'setConfigurationObject',
    summary: "Change flags and the GPRS operation mode of the meter's configuration object; unnamed flags keep their value (SetConfigurationObject)",
    tag: 'devices',
    params: gatewayParams,
    body: z.object({
      gprsOperationMode: gprsOperationMode.optional().describe('DSMR 4.2.2 and SMR 4.3 only; ignored for SMR 5'),
      configurationFlags: z.array(configurationFlag).max(10).optional().describe('The flags to change; the others keep their value'),
      ...requestOptions,
    }).strict(),
    toRequest: (params, body) => ({
      deviceIdentification: pathDevice(params),
      payload: {
        ...(body.gprsOperationMode === undefined ? {} : { gprsOperationMode: body.gprsOperationMode as Payload['gprsOperationMode'] }),
        ...(body.configurationFlags === undefined ? {} : { configurationFlags: body.configurationFlags as Payload['configurationFlags'] }),
      },
    }),
  },
  async execute(ports, p, ctx): Promise<undefined> {
    const device = await ports.inventory.getGateway(ctx.deviceIdentification);
    const profile = configurationProfile(device.protocol);
    for (const f of p.configurationFlags ?? []) {
      if (f.enabled && profile.bits[f.configurationFlagType] === undefined) {
        throw new MeterfabricError(ErrorCode.OPERATION_NOT_SUPPORTED_BY_PLATFORM_FOR_PROTOCOL, `ConfigurationFlagType ${f.configurationFlagType} not known for protocol ${device.protocol}`, { retryable: false });
      }
    }
    const written = await withLink(ports, device.deviceIdentification, ctx.signal, async (link) => {
      const current = await readConfigurationObject(link, profile);
      const bits = [...current.bits];
      for (const f of p.configurationFlags ?? []) {
        const bit = profile.bits[f.configurationFlagType];
        if (bit !== undefined) bits[bit] = f.enabled;
      }
      const mode = profile.layout === 'structure' ? (p.gprsOperationMode ? GPRS_MODE_NUMBER[p.gprsOperationMode] : current.gprsOperationMode) : undefined;
      const result = await link.setAttribute(CONFIGURATION_OBJECT_REF, encodeConfigurationObject({ gprsOperationMode: mode, bits }, profile.layout));
      if (result !== 0) throw new MeterfabricError(ErrorCode.DATA_ACCESS_RESULT, `Set configuration object reported result is: ${dataAccessResultName(result)}`, { retryable: false });
      return bits;
    });
    // As GXF after a successful SET: the device's stored HLS flags follow what the meter now holds.
    await ports.inventory.setHlsActive?.(device.deviceIdentification, hlsActiveOf(flagsOf({ bits: written }, profile)), ctx);
    return undefined;
  },
});

function configurationFlagType(v: string) {
  const r = configurationFlag.shape.configurationFlagType.safeParse(v);
  if (!r.success) throw validation(`ConfigurationFlagType ${v} is not known`);
  return r.data;
}
