/**
 * SetRandomisationSettings (docs/gxf.md#setrandomisationsettings), as GXF's SetRandomisationSettingsCommandExecutor
 * does it:
 * 1. GET the configuration object (class 1, 0-1:94.31.3.255) and SET it back with flag DIRECT_ATTACH_AT_POWER_ON
 *    (bit 10 on SMR 4.3 and SMR 5.x) = (directAttach == 1), the other flags unchanged. DSMR 4.2.2 has no such flag:
 *    directAttach 1 is refused there, 0 writes the value back unchanged.
 * 2. Only when directAttach is not 1: SET the randomisation settings (class 1, 0-1:94.31.12.255) to
 *    structure{double-long-unsigned randomisationStartWindow, long-unsigned multiplicationFactor, long-unsigned
 *    numberOfRetries}.
 * A refused SET ends the request NOT OK. GXF's Configuration WSDL declares the messages but no operation; its XSD and
 * bundle schema have the action, so it is served on SOAP, REST and in bundles.
 */
import { z } from 'zod';
import { withLink } from '../../adapters/mbus-keys.ts';
import { CONFIGURATION_OBJECT, RANDOMISATION_SETTINGS } from '../../cosem/index.ts';
import { configurationProfileOf, decodeConfigurationObject, encodeConfigurationObject } from '../../cosem/configuration-object.ts';
import { Data } from '../../dlms/axdr.ts';
import { dataAccessResultName } from '../../dlms/apdu/common.ts';
import { resultWithDescription, sub, text, validation } from '../../api/soap/mapping.ts';
import { gatewayParams, pathDevice, requestOptions } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';
import { protocolError } from '../monitoring/meter-reads.ts';
import { attribute, hasConfigurationObjects, notSupported, requireProtocol, setOrFail } from './configuration-objects.ts';

const payload = z.object({
  directAttach: z.number().int().min(-0x80000000).max(0x7fffffff),
  randomisationStartWindow: z.number().int().min(0).max(0x7fffffff),
  multiplicationFactor: z.number().int().min(0).max(0xffff),
  numberOfRetries: z.number().int().min(0).max(0xffff),
});
type Payload = z.infer<typeof payload>;

/** The configuration object's DIRECT_ATTACH_AT_POWER_ON flag: bit 10 on SMR 4.3 and SMR 5.x, none on DSMR 4.2.2. */
export function directAttachBit(protocol: string): number | undefined {
  return configurationProfileOf(protocol)?.bits.DIRECT_ATTACH_AT_POWER_ON;
}

export default define({
  messageType: 'SET_RANDOMISATION_SETTINGS',
  service: 'SmartMeteringConfiguration',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'SetRandomisationSettingsRequest',
  payload,
  soap: {
    request: 'SetRandomisationSettingsRequest',
    asyncResponse: 'SetRandomisationSettingsAsyncResponse',
    asyncRequest: 'SetRandomisationSettingsAsyncRequest',
    response: 'SetRandomisationSettingsResponse',
    // No wsdlOperations: GXF's SmartMeteringConfiguration.wsdl has the messages but no operation; its endpoint and
    // its bundle serve the request.
    family: 'lenient',
    read: (r) => {
      const d = sub(r, 'SetRandomisationSettingsData');
      const parsed = payload.safeParse({
        directAttach: Number(text(d, 'directAttach')),
        randomisationStartWindow: Number(text(d, 'randomisationStartWindow')),
        multiplicationFactor: Number(text(d, 'multiplicationFactor')),
        numberOfRetries: Number(text(d, 'numberOfRetries')),
      });
      if (!parsed.success) throw validation(`SetRandomisationSettingsData: ${parsed.error.issues[0]!.path.join('.')} ${parsed.error.issues[0]!.message}`);
      return { deviceIdentification: text(r, 'DeviceIdentification'), payload: parsed.data };
    },
    render: resultWithDescription,
  },
  rest: {
    url: '/devices/:deviceIdentification/randomisation-settings',
    operationId: 'setRandomisationSettings',
    summary: 'Set direct attach at power on, or the randomisation start window, multiplication factor and retries (SetRandomisationSettings)',
    tag: 'devices',
    params: gatewayParams,
    body: payload.extend({ directAttach: payload.shape.directAttach.describe('1: attach directly at power on (the other settings are then not written)'), ...requestOptions }).strict(),
    toRequest: (params, body) => {
      const { directAttach, randomisationStartWindow, multiplicationFactor, numberOfRetries } = body as Payload;
      return { deviceIdentification: pathDevice(params), payload: { directAttach, randomisationStartWindow, multiplicationFactor, numberOfRetries } };
    },
  },
  async execute(ports, p, ctx): Promise<undefined> {
    const device = await ports.inventory.getGateway(ctx.deviceIdentification);
    requireProtocol('SetRandomisationSettings', device.protocol, hasConfigurationObjects);
    const bit = directAttachBit(device.protocol);
    const attach = p.directAttach === 1;
    if (attach && bit === undefined) throw notSupported('DIRECT_ATTACH_AT_POWER_ON', device.protocol);
    await withLink(ports, device.deviceIdentification, ctx.signal, async (link) => {
      const [r] = await link.getAttributes([attribute(CONFIGURATION_OBJECT, 2)]);
      if (r?.kind !== 'data') throw protocolError(`Reading the configuration object was not SUCCESS: ${r ? dataAccessResultName(r.result) : 'no result'}`);
      const { layout } = configurationProfileOf(device.protocol)!;
      const value = decodeConfigurationObject(r.data, layout);
      if (bit !== undefined) value.bits[bit] = attach;
      await setOrFail(link, CONFIGURATION_OBJECT, 2, encodeConfigurationObject(value, layout), "Attribute 'directAttach' of the Randomisation Settings");
      if (!attach) {
        const settings = Data.structure([Data.doubleLongUnsigned(p.randomisationStartWindow), Data.longUnsigned(p.multiplicationFactor), Data.longUnsigned(p.numberOfRetries)]);
        await setOrFail(link, RANDOMISATION_SETTINGS, 2, settings, "Attribute 'randomisationSettings' of the Randomisation Settings");
      }
    });
    return undefined;
  },
});
