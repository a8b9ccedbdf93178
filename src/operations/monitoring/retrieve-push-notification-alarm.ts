/** RetrievePushNotificationAlarm (docs/push.md#reading-a-stored-alarm): the alarm register of a stored pushed alarm. */
import { alarmTypes, deviceId, el } from '../../api/soap/mapping.ts';
import { defineRead } from '../define.ts';
import { PUSH_NOTIFICATION_ALARM } from '../configuration/get-push-notification-alarm.ts';

export default defineRead({
  messageType: PUSH_NOTIFICATION_ALARM,
  service: 'SmartMeteringMonitoring',
  functionGroup: 'OWNER',
  soap: {
    request: 'RetrievePushNotificationAlarmRequest',
    response: 'RetrievePushNotificationAlarmResponse',
    wsdlOperation: 'RetrievePushNotificationAlarm',
    family: 'strict',
    correlationUid: 'own',
    // RetrievePushNotificationAlarmResponse{DeviceIdentification, AlarmRegister{AlarmTypes*}}
    render: (stored, p) => {
      const types = alarmTypes(stored);
      return (
        el(`${p}:DeviceIdentification`, deviceId(stored.deviceIdentification, 'deviceIdentification')) +
        `<${p}:AlarmRegister>${types.map((t) => el(`${p}:AlarmTypes`, t)).join('')}</${p}:AlarmRegister>`
      );
    },
  },
  restRoute: 'GET /api/v1/alarms/:correlationUid',
});
