/** SetKeyOnGMeter (docs/gxf.md#setkeyongmeter): set one of a G-meter's keys through its gateway. */
import { z } from 'zod';
import { setKeyOnGMeter as run } from '../../adapters/mbus-keys.ts';
import { bool, resultWithDescription, sub, text, validation } from '../../api/soap/mapping.ts';
import { childText } from '../../api/soap/xml.ts';
import { gatewayParams, pathDevice, requestOptions } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';

const secretType = z.enum(['G_METER_ENCRYPTION_KEY', 'G_METER_FIRMWARE_UPDATE_AUTHENTICATION_KEY', 'G_METER_OPTICAL_PORT_KEY']);
export type GMeterSecretType = z.infer<typeof secretType>;

export default define({
  messageType: 'SET_KEY_ON_G_METER',
  service: 'SmartMeteringConfiguration',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'SetKeyOnGMeterRequest',
  payload: z.object({ mbusDeviceIdentification: z.string(), secretType, closeOpticalPort: z.boolean().optional() }),
  soap: {
    request: 'SetKeyOnGMeterRequest',
    asyncResponse: 'SetKeyOnGMeterAsyncResponse',
    asyncRequest: 'SetKeyOnGMeterAsyncRequest',
    response: 'SetKeyOnGMeterResponse',
    wsdlOperations: ['SetKeyOnGMeter', 'GetSetKeyOnGMeterResponse'],
    family: 'lenient',
    read: (r) => {
      const deviceIdentification = text(r, 'DeviceIdentification');
      const data = sub(r, 'SetKeyOnGMeterRequestData');
      const mbusDeviceIdentification = text(data, 'MbusDeviceIdentification');
      // GXF mixes the two devices when the ids differ (docs/gxf.md#setkeyongmeter, #where-meterfabric-differs item 14): refuse instead.
      if (mbusDeviceIdentification !== deviceIdentification) {
        throw validation('DeviceIdentification and MbusDeviceIdentification must name the same M-Bus device');
      }
      const type = text(data, 'SecretType');
      // GXF fails these asynchronously in the adapter (docs/gxf.md#setkeyongmeter); only the three G-meter key types can be set on a G-meter.
      const parsed = secretType.safeParse(type);
      if (!parsed.success) throw validation(`SecretType ${type} cannot be set on a G-meter`);
      const closeOpticalPort = bool(childText(data, 'CloseOpticalPort'));
      return {
        deviceIdentification,
        payload: { mbusDeviceIdentification, secretType: parsed.data, ...(closeOpticalPort === undefined ? {} : { closeOpticalPort }) },
      };
    },
    render: resultWithDescription,
  },
  rest: {
    url: '/devices/:deviceIdentification/mbus/keys',
    operationId: 'setKeyOnGMeter',
    summary: 'Set a key on this M-Bus device through its gateway (SetKeyOnGMeter)',
    tag: 'mbus',
    params: gatewayParams,
    body: z.object({ secretType, closeOpticalPort: z.boolean().optional(), ...requestOptions }).strict(),
    toRequest: (params, body) => {
      const id = pathDevice(params);
      return {
        deviceIdentification: id,
        payload: {
          mbusDeviceIdentification: id,
          secretType: body.secretType as GMeterSecretType,
          ...(body.closeOpticalPort === undefined ? {} : { closeOpticalPort: body.closeOpticalPort as boolean }),
        },
      };
    },
  },
  execute: (ports, payload, ctx): Promise<undefined> => run(ports, ports.keyBlobs, ctx, payload),
});
