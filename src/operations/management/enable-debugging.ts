/**
 * EnableDebugging: from now on every connection to the device is written to its DLMS message log (GXF sets
 * in_debug_mode on its DLMS device; OSGP/open-smart-grid-platform, osgp-adapter-protocol-dlms ManagementService
 * changeInDebugMode). No meter contact. What is logged: docs/gxf.md#device-message-log.
 */
import { z } from 'zod';
import { resultWithDescription, text } from '../../api/soap/mapping.ts';
import { gatewayParams, optionsOnly, pathDevice } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';

export default define({
  messageType: 'ENABLE_DEBUGGING',
  service: 'SmartMeteringManagement',
  functionGroup: 'MANAGEMENT',
  contactsDevice: false,
  payload: z.object({}),
  soap: {
    request: 'EnableDebuggingRequest',
    asyncResponse: 'EnableDebuggingAsyncResponse',
    asyncRequest: 'EnableDebuggingAsyncRequest',
    response: 'EnableDebuggingResponse',
    wsdlOperations: ['EnableDebugging', 'GetEnableDebuggingResponse'],
    family: 'strict',
    read: (r) => ({ deviceIdentification: text(r, 'DeviceIdentification'), payload: {} }),
    render: resultWithDescription,
  },
  rest: {
    url: '/devices/:deviceIdentification/debugging/enable',
    operationId: 'enableDebugging',
    summary: 'Log every DLMS APDU exchanged with this device from now on (EnableDebugging); read with FindMessageLogs',
    tag: 'management',
    params: gatewayParams,
    body: optionsOnly,
    toRequest: (params) => ({ deviceIdentification: pathDevice(params), payload: {} }),
  },
  async execute(ports, _payload, ctx): Promise<void> {
    await ports.management.setDebugMode(ctx.deviceIdentification, true);
  },
});
