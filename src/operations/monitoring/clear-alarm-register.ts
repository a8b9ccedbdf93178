/**
 * ClearAlarmRegister: writes double-long-unsigned 0 to attribute 2 of alarm register 1, then 2 (SMR 5.2+), then 3
 * (SMR 5.5), each only while the previous write succeeded, as GXF does (OSGP/open-smart-grid-platform,
 * osgp-adapter-protocol-dlms ClearAlarmRegisterCommandExecutor and MonitoringService#setClearAlarmRegister;
 * docs/monitoring.md#alarm-registers). Like GXF's single request, a write the meter refuses still ends OK; the
 * Description then names the register and the meter's answer (GXF leaves it out).
 */
import { z } from 'zod';
import { withLink } from '../../adapters/mbus-keys.ts';
import { ALARM_REGISTERS, DataClass, attributeOf } from '../../cosem/index.ts';
import { Data } from '../../dlms/axdr.ts';
import { dataAccessResultName } from '../../dlms/apdu/common.ts';
import { resultWithDescription, text } from '../../api/soap/mapping.ts';
import { gatewayParams, optionsOnly, pathDevice } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';
import { clearedAlarmRegistersOf } from './event-types.ts';

export default define({
  messageType: 'CLEAR_ALARM_REGISTER',
  service: 'SmartMeteringMonitoring',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'ClearAlarmRegisterRequest',
  payload: z.object({}),
  soap: {
    request: 'ClearAlarmRegisterRequest',
    asyncResponse: 'ClearAlarmRegisterAsyncResponse',
    asyncRequest: 'ClearAlarmRegisterAsyncRequest',
    response: 'ClearAlarmRegisterResponse',
    wsdlOperations: ['ClearAlarmRegister', 'GetClearAlarmRegisterResponse'],
    family: 'lenient',
    read: (r) => ({ deviceIdentification: text(r, 'DeviceIdentification'), payload: {} }),
    render: (stored, p) => resultWithDescription(stored, p),
  },
  rest: {
    url: '/devices/:deviceIdentification/alarm-register/clear',
    operationId: 'clearAlarmRegister',
    summary: 'Clear the alarm registers (ClearAlarmRegister)',
    tag: 'monitoring',
    params: gatewayParams,
    body: optionsOnly,
    toRequest: (params) => ({ deviceIdentification: pathDevice(params), payload: {} }),
  },
  async execute(ports, _payload, ctx): Promise<string | undefined> {
    const device = await ports.inventory.getGateway(ctx.deviceIdentification);
    const value = attributeOf(DataClass, 'value').id;
    return withLink(ports, device.deviceIdentification, ctx.signal, async (link) => {
      for (const n of clearedAlarmRegistersOf(device.protocol)) {
        const result = await link.setAttribute({ classId: DataClass.classId, obis: ALARM_REGISTERS[n].obis, attributeId: value }, Data.doubleLongUnsigned(0));
        if (result !== 0) return `Alarm register ${n} was not cleared: ${dataAccessResultName(result)}`;
      }
      return undefined;
    });
  },
});
