/**
 * ReadAlarmRegister: alarm register 1 (0-0:97.98.0.255) and, from SMR 5.2 on, alarm register 2 (class 1
 * attribute 2), as GXF reads them (OSGP/open-smart-grid-platform, osgp-adapter-protocol-dlms
 * ReadAlarmRegisterCommandExecutor; docs/monitoring.md#alarm-registers): the set bits as GXF's AlarmType names
 * (docs/push.md#alarm-registers), none when no bit is set. A non-success result or a value that is not a number is
 * a protocol error. Bits without a name are kept in the stored result (`unknownBits`) and shown by REST only.
 */
import { z } from 'zod';
import { withLink } from '../../adapters/mbus-keys.ts';
import { ALARM_REGISTERS, DataClass, attributeOf } from '../../cosem/index.ts';
import { integerOf } from '../../dlms/axdr.ts';
import { dataAccessResultName } from '../../dlms/apdu/common.ts';
import { decodeAlarmRegister } from '../../push/alarms.ts';
import { alarmTypes, el, text } from '../../api/soap/mapping.ts';
import { gatewayParams, optionsOnly, pathDevice } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';
import { alarmRegistersOf } from './event-types.ts';
import { protocolError } from './meter-reads.ts';

export interface AlarmRegisterResult {
  alarms: string[];
  /** Per register read: its number and value as read. */
  registers: { register: number; value: number }[];
  unknownBits: { register: number; bit: number }[];
}

export default define({
  messageType: 'READ_ALARM_REGISTER',
  service: 'SmartMeteringMonitoring',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'ReadAlarmRegisterRequest',
  payload: z.object({}),
  soap: {
    request: 'ReadAlarmRegisterRequest',
    asyncResponse: 'ReadAlarmRegisterAsyncResponse',
    asyncRequest: 'ReadAlarmRegisterAsyncRequest',
    response: 'ReadAlarmRegisterResponse',
    wsdlOperations: ['ReadAlarmRegister', 'GetReadAlarmRegisterResponse'],
    family: 'strict',
    read: (r) => ({ deviceIdentification: text(r, 'DeviceIdentification'), payload: {} }),
    render: (stored, p) => alarmTypes(stored).map((t) => el(`${p}:AlarmTypes`, t)).join(''),
  },
  rest: {
    url: '/devices/:deviceIdentification/alarm-register',
    operationId: 'readAlarmRegister',
    summary: 'Read the alarm registers: the alarms set (ReadAlarmRegister)',
    tag: 'monitoring',
    params: gatewayParams,
    body: optionsOnly,
    toRequest: (params) => ({ deviceIdentification: pathDevice(params), payload: {} }),
  },
  async execute(ports, _payload, ctx): Promise<AlarmRegisterResult> {
    const device = await ports.inventory.getGateway(ctx.deviceIdentification);
    const numbers = alarmRegistersOf(device.protocol);
    const value = attributeOf(DataClass, 'value').id;
    const results = await withLink(ports, device.deviceIdentification, ctx.signal, (link) =>
      link.getAttributes(numbers.map((n) => ({ classId: DataClass.classId, obis: ALARM_REGISTERS[n].obis, attributeId: value }))),
    );
    if (results.length !== numbers.length) throw protocolError(`Expected ${numbers.length} GetResults: ${results.length}`);
    const out: AlarmRegisterResult = { alarms: [], registers: [], unknownBits: [] };
    results.forEach((r, i) => {
      const n = numbers[i]!;
      if (r.kind === 'error') throw protocolError(`AccessResultCode for retrieving alarm register was not SUCCESS: ${dataAccessResultName(r.result)}`);
      const v = integerOf(r.data);
      if (v === undefined || v < 0n || v > 0xffffffffn) throw protocolError('Invalid register value received from the meter.');
      const decoded = decodeAlarmRegister(n, Number(v));
      out.registers.push({ register: n, value: Number(v) });
      out.alarms.push(...decoded.alarms);
      out.unknownBits.push(...decoded.unknownBits.map((bit) => ({ register: n, bit })));
    });
    return out;
  },
});
