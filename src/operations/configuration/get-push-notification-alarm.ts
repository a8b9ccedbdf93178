/**
 * GetPushNotificationAlarm (docs/push.md#reading-a-stored-alarm): a pushed alarm, stored under the correlation id of
 * its notification; a non-OK result is an exception. The REST view shows the bits SOAP cannot carry.
 */
import { alarmTypes, el, IncompleteResultError, record, resultText } from '../../api/soap/mapping.ts';
import { defineRead } from '../define.ts';

/** Message type of a stored pushed alarm (docs/push.md#what-happens-to-an-alarm; src/adapters/push-alarms.ts). */
export const PUSH_NOTIFICATION_ALARM = 'PUSH_NOTIFICATION_ALARM';

export default defineRead({
  messageType: PUSH_NOTIFICATION_ALARM,
  service: 'SmartMeteringConfiguration',
  functionGroup: 'OWNER',
  soap: {
    request: 'GetPushNotificationAlarmAsyncRequest',
    response: 'GetPushNotificationAlarmResponse',
    wsdlOperation: 'GetPushNotificationAlarm',
    family: 'strict',
    correlationUid: 'common',
    // GetPushNotificationAlarmResponse{Result, decodedMessage, encodedMessage, alarm+}
    render: (stored, p) => {
      const d = record(stored.data, 'data');
      if (typeof d.decodedMessage !== 'string') throw new IncompleteResultError('decodedMessage');
      if (typeof d.encodedMessage !== 'string' || !/^(?:[0-9A-Fa-f]{2})*$/.test(d.encodedMessage)) throw new IncompleteResultError('encodedMessage');
      const types = alarmTypes(stored);
      // The schema requires at least one alarm; a push with only unnamed bits cannot be shown here (REST shows it).
      if (types.length === 0) throw new IncompleteResultError('alarm');
      return (
        el(`${p}:Result`, resultText(stored.result)) +
        el(`${p}:decodedMessage`, d.decodedMessage) +
        el(`${p}:encodedMessage`, d.encodedMessage.toUpperCase()) +
        types.map((t) => el(`${p}:alarm`, t)).join('')
      );
    },
  },
  restRoute: 'GET /api/v1/alarms/:correlationUid',
});
