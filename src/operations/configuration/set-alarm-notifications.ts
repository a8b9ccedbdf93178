/**
 * SetAlarmNotifications (docs/gxf.md#setalarmnotifications): enable or disable alarms in the alarm filters, as GXF's
 * SetAlarmNotificationsCommandExecutor does. For alarm filter 1 (0-0:97.98.10.255), then 2 (SMR 5.2+,
 * 0-0:97.98.11.255), then 3 (SMR 5.5, 0-0:97.98.12.255): GET the filter (class 1, double-long-unsigned), set or clear
 * the bit of every requested alarm of the matching alarm register (requested alarms of other registers are ignored;
 * bits not requested keep the meter's value) and SET the new value only when it changed. A refused SET ends the
 * request NOT OK.
 */
import { z } from 'zod';
import { withLink } from '../../adapters/mbus-keys.ts';
import { ALARM_FILTERS } from '../../cosem/index.ts';
import { Data } from '../../dlms/axdr.ts';
import { dataAccessResultName } from '../../dlms/apdu/common.ts';
import { alarmFilterValue } from '../../push/alarms.ts';
import { ALARM_TYPES, bool, resultWithDescription, sub, text, validation } from '../../api/soap/mapping.ts';
import { childElements } from '../../api/soap/xml.ts';
import { gatewayParams, pathDevice, requestOptions } from '../../api/rest/schemas.ts';
import { define } from '../define.ts';
import { protocolError } from '../monitoring/meter-reads.ts';
import { clearedAlarmRegistersOf } from '../monitoring/event-types.ts';
import { attribute, hasConfigurationObjects, requireProtocol, setOrFail } from './configuration-objects.ts';

const alarmType = z.string().refine((t) => ALARM_TYPES.has(t), 'not an AlarmType');
const alarmNotifications = z.array(z.object({ alarmType, enabled: z.boolean() })).min(1).max(128);
const payload = z.object({ alarmNotifications });

export interface AlarmNotificationsResult {
  /** Per filter: its number, the value read and the value written (equal when nothing was written). */
  filters: { filter: number; before: number; after: number }[];
}

export default define({
  messageType: 'SET_ALARM_NOTIFICATIONS',
  service: 'SmartMeteringConfiguration',
  functionGroup: 'OWNER',
  contactsDevice: true,
  bundleAction: 'SetAlarmNotificationsRequest',
  payload,
  soap: {
    request: 'SetAlarmNotificationsRequest',
    asyncResponse: 'SetAlarmNotificationsAsyncResponse',
    asyncRequest: 'SetAlarmNotificationsAsyncRequest',
    response: 'SetAlarmNotificationsResponse',
    wsdlOperations: ['SetAlarmNotifications', 'GetSetAlarmNotificationsResponse'],
    family: 'lenient',
    read: (r) => {
      const list = sub(sub(r, 'SetAlarmNotificationsRequestData'), 'AlarmNotifications');
      const entries = childElements(list)
        .filter((c) => c.name === 'AlarmNotification')
        .map((n) => ({ alarmType: text(n, 'AlarmType'), enabled: bool(text(n, 'Enabled')) ?? false }));
      const parsed = payload.safeParse({ alarmNotifications: entries });
      if (!parsed.success) throw validation(`AlarmNotifications: ${parsed.error.issues[0]!.message}`);
      return { deviceIdentification: text(r, 'DeviceIdentification'), payload: parsed.data };
    },
    // GXF answers OK without a description; the filters written are kept for REST.
    render: (stored, p) => resultWithDescription({ ...stored, data: typeof stored.data === 'string' ? stored.data : undefined }, p),
  },
  rest: {
    url: '/devices/:deviceIdentification/alarm-notifications',
    operationId: 'setAlarmNotifications',
    summary: 'Enable or disable alarms in the alarm filters (SetAlarmNotifications)',
    tag: 'monitoring',
    params: gatewayParams,
    body: z.object({ alarmNotifications: alarmNotifications.describe('[{alarmType: AlarmType, enabled}]'), ...requestOptions }).strict(),
    toRequest: (params, body) => ({ deviceIdentification: pathDevice(params), payload: { alarmNotifications: body.alarmNotifications as z.infer<typeof alarmNotifications> } }),
  },
  async execute(ports, p, ctx): Promise<AlarmNotificationsResult> {
    const device = await ports.inventory.getGateway(ctx.deviceIdentification);
    requireProtocol('SetAlarmNotifications', device.protocol, hasConfigurationObjects);
    const filters: AlarmNotificationsResult['filters'] = [];
    await withLink(ports, device.deviceIdentification, ctx.signal, async (link) => {
      for (const n of clearedAlarmRegistersOf(device.protocol)) {
        const filter = ALARM_FILTERS[n];
        const [r] = await link.getAttributes([attribute(filter, 2)]);
        if (r?.kind !== 'data') throw protocolError(`Reading alarm filter ${n} was not SUCCESS: ${r ? dataAccessResultName(r.result) : 'no result'}`);
        if (r.data.type !== 'double-long-unsigned') throw protocolError(`Alarm filter ${n} is not a double-long-unsigned: ${r.data.type}`);
        const before = r.data.value;
        const after = alarmFilterValue(n, before, p.alarmNotifications);
        if (after !== before) await setOrFail(link, filter, 2, Data.doubleLongUnsigned(after), 'AccessResultCode for alarm register');
        filters.push({ filter: n, before, after });
      }
    });
    return { filters };
  },
});
