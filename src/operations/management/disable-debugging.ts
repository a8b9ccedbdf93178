/**
 * DisableDebugging: connections to the device are no longer logged (GXF clears in_debug_mode on its DLMS device;
 * OSGP/open-smart-grid-platform, osgp-adapter-protocol-dlms ManagementService changeInDebugMode). The log written so
 * far stays until retention removes it. No meter contact.
 */
import { z } from 'zod';
import { resultWithDescription, text } from '../../api/soap/mapping.ts';
import { gatewayParams, optionsOnly, pathDevice } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';

export default define({
  messageType: 'DISABLE_DEBUGGING',
  service: 'SmartMeteringManagement',
  functionGroup: 'MANAGEMENT',
  contactsDevice: false,
  payload: z.object({}),
  soap: {
    request: 'DisableDebuggingRequest',
    asyncResponse: 'DisableDebuggingAsyncResponse',
    asyncRequest: 'DisableDebuggingAsyncRequest',
    response: 'DisableDebuggingResponse',
    wsdlOperations: ['DisableDebugging', 'GetDisableDebuggingResponse'],
    family: 'strict',
    read: (r) => ({ deviceIdentification: text(r, 'DeviceIdentification'), payload: {} }),
    render: resultWithDescription,
  },
  rest: {
    url: '/devices/:deviceIdentification/debugging/disable',
    operationId: 'disableDebugging',
    summary: 'Stop logging the DLMS APDUs exchanged with this device (DisableDebugging); the log so far is kept',
    tag: 'management',
    params: gatewayParams,
    body: optionsOnly,
    toRequest: (params) => ({ deviceIdentification: pathDevice(params), payload: {} }),
  },
  async execute(ports, _payload, ctx): Promise<void> {
    await ports.management.setDebugMode(ctx.deviceIdentification, false);
  },
});
