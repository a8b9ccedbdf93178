/**
 * GetPushNotificationAlarm end to end: simulated DSMR 4.2.2 and SMR 5.0.0 gateways push an alarm over TCP, the
 * platform stores it under the correlation UID of its notification, and a GXF client reads it through the
 * Configuration SOAP service (docs/push.md#reading-a-stored-alarm); another organisation is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addOrganisation } from '../../src/platform/inventory.ts';
import { alarmPushBytes, newMbusDeviceAlarm, sendPush } from '../../src/simulator/push.ts';
import { soapClient, until, xpathAll, xpathText } from '../support/e2e.ts';
import { withHttpHeadend } from '../support/http-headend.ts';

const ORG = 'grid-operator';
const OTHER = 'other-operator';
const GW4 = 'E0051004000000092';
const GW5 = 'E0051004000000095';

test('GetPushNotificationAlarm through SOAP for alarms pushed by simulated DSMR 4.2.2 and SMR 5 meters', async () => {
  await withHttpHeadend(async ({ h, db, url, gateway, auth: authOf }) => {
    await addOrganisation(db, { identification: ORG });
    await addOrganisation(db, { identification: OTHER });
    const soap = soapClient(url, authOf, ORG);
    const read = (device: string, uid: string, org = ORG) => soap.post('configurationService',
      `<conf:GetPushNotificationAlarmAsyncRequest><c:DeviceIdentification>${device}</c:DeviceIdentification><c:CorrelationUid>${uid}</c:CorrelationUid></conf:GetPushNotificationAlarmAsyncRequest>`, org);

    for (const [id, protocol, format, channel] of [[GW4, 'DSMR 4.2.2', 'dsmr4', 3], [GW5, 'SMR 5.0.0', 'smr5', 2]] as const) {
      const sim = await gateway(id, ORG, { protocol });
      const pushed = alarmPushBytes({ ...sim.state, equipmentId: id }, format, newMbusDeviceAlarm(channel));
      await sendPush(pushed, { host: '127.0.0.1', port: h.push!.tcpPort! });
      const stored = await until(async () => (await db.query<{ correlation_uid: string }>(
        `SELECT correlation_uid FROM response_data WHERE message_type = 'PUSH_NOTIFICATION_ALARM' AND device_identification = $1`, [id])).rows[0]);
      const r = await read(id, stored.correlation_uid);
      assert.equal(r.status, 200, r.xml);
      assert.equal(xpathText(r.xml, '//conf:GetPushNotificationAlarmResponse/conf:Result'), 'OK', r.xml);
      assert.deepEqual(xpathAll(r.xml, '//conf:GetPushNotificationAlarmResponse/conf:alarm'), [`NEW_M_BUS_DEVICE_DISCOVERED_CHANNEL_${channel}`], `${protocol}: ${r.xml}`);
      assert.equal(xpathText(r.xml, '//conf:GetPushNotificationAlarmResponse/conf:encodedMessage')?.toUpperCase(), pushed.toString('hex').toUpperCase(), protocol);
      const foreign = await read(id, stored.correlation_uid, OTHER);
      assert.equal(foreign.status, 500, foreign.xml);
    }
  }, { push: true });
});
