/**
 * DecoupleMbusDeviceAdministrative: forget in the inventory that the gas meter sits on a gateway channel, without
 * talking to any meter (docs/gxf.md#coupling-and-decoupling; OSGP/open-smart-grid-platform,
 * osgp-adapter-domain-smartmetering MBusGatewayService decoupleMbusDeviceAdministrative). The request names the
 * M-Bus device, which is the device the authorisation is checked on; an uncoupled device answers OK as well.
 * GXF's WSDL spells the request and its answer `DecoupleMBus…` and the poll `DecoupleMbus…`, as used here.
 */
import { z } from 'zod';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { resultWithDescription, text } from '../../api/soap/mapping.ts';
import { gatewayParams, optionsOnly, pathDevice } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';

export default define({
  messageType: 'DECOUPLE_MBUS_DEVICE_ADMINISTRATIVE',
  service: 'SmartMeteringInstallation',
  functionGroup: 'OWNER',
  contactsDevice: false,
  payload: z.object({}),
  soap: {
    request: 'DecoupleMBusDeviceAdministrativeRequest',
    asyncResponse: 'DecoupleMBusDeviceAdministrativeAsyncResponse',
    asyncRequest: 'DecoupleMbusDeviceAdministrativeAsyncRequest',
    response: 'DecoupleMbusDeviceAdministrativeResponse',
    wsdlOperations: ['DecoupleMbusDeviceAdministrative', 'GetDecoupleMbusDeviceAdministrativeReponse'],
    family: 'strict',
    read: (r) => ({ deviceIdentification: text(r, 'MbusDeviceIdentification'), payload: {} }),
    render: resultWithDescription,
  },
  rest: {
    url: '/devices/:deviceIdentification/mbus/decouple-administrative',
    operationId: 'decoupleMbusDeviceAdministrative',
    summary: 'Record in the inventory that this gas meter is no longer coupled to a gateway, without meter contact (DecoupleMbusDeviceAdministrative)',
    tag: 'mbus',
    params: gatewayParams,
    body: optionsOnly,
    toRequest: (params) => ({ deviceIdentification: pathDevice(params), payload: {} }),
  },
  async execute(ports, _payload, ctx): Promise<void> {
    const mbus = await ports.inventory.getMbusDevice(ctx.deviceIdentification);
    if (!mbus) {
      throw new MeterfabricError(ErrorCode.UNKNOWN_DEVICE, `M-Bus device ${ctx.deviceIdentification} is unknown`, { component: 'DOMAIN_SMART_METERING', retryable: false });
    }
    if (mbus.gatewayDeviceIdentification) await ports.inventory.setCoupling(mbus.deviceIdentification, null, null, null);
  },
});
