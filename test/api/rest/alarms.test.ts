/**
 * REST alarm reads against the fake platform: GET /api/v1/alarms/{correlationUid} and
 * GET /api/v1/devices/{id}/alarms, organisation-scoped, unknown bits shown, and both in the OpenAPI document.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { restOperationsPlugin } from '../../../src/api/rest/operations.ts';
import { FakePlatform, UNKNOWN_DEVICE } from '../soap/fake-platform.ts';
import { bearer, installTestSecurity } from '../../support/auth.ts';

const platform = new FakePlatform();
const app = Fastify();
installTestSecurity(app);
await app.register(restOperationsPlugin, { platform, alarms: platform.alarms });
await app.ready();
after(() => app.close());

const GATEWAY = 'E0051004000000117';
const UID = '3f0c9a1b2c3d4e5f60718293a4b5c6d7';
const ALARM = {
  alarms: ['NEW_M_BUS_DEVICE_DISCOVERED_CHANNEL_2'],
  unknownBits: [{ register: 1, bit: 5 }],
  decodedMessage: `PushNotificationAlarm[device=${GATEWAY}, alarms=[NEW_M_BUS_DEVICE_DISCOVERED_CHANNEL_2]]`,
  encodedMessage: '4530303531',
  format: 'DSMR4',
  triggerType: 'Push alarm monitor',
};
platform.storeAlarm(UID, 'test-org', GATEWAY, ALARM);
platform.storeAlarm('00000000000000000000000000000001', 'other-org', GATEWAY, ALARM);

async function get(url: string, org = 'test-org') {
  const res = await app.inject({ method: 'GET', url, headers: bearer(org) });
  return { status: res.statusCode, json: res.json() as Record<string, unknown> };
}

test('GET /api/v1/alarms/{uid} returns the stored alarm with its unknown bits', async () => {
  const r = await get(`/api/v1/alarms/${UID}`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { correlationUid: UID, deviceIdentification: GATEWAY, receivedAt: '2026-11-24T04:00:00.000Z', ...ALARM });
});

test("another organisation's alarm, an unknown id and a non-alarm response are 404 with code 405", async () => {
  const { correlationUid } = await platform.requests.submit({
    organisationIdentification: 'test-org', userName: 'u', applicationName: 'a', deviceIdentification: GATEWAY,
    messageType: 'SCAN_MBUS_CHANNELS', payload: {}, channel: 'REST',
  });
  platform.complete(correlationUid, 'OK', { data: { channels: [] } });
  for (const uid of ['00000000000000000000000000000001', 'ffffffffffffffffffffffffffffffff', encodeURIComponent(correlationUid)]) {
    const r = await get(`/api/v1/alarms/${uid}`);
    assert.equal(r.status, 404, uid);
    assert.equal(r.json.code, 405);
  }
});

test('GET /api/v1/devices/{id}/alarms lists only the caller organisation\'s alarms', async () => {
  const mine = await get(`/api/v1/devices/${GATEWAY}/alarms`);
  assert.equal(mine.status, 200);
  assert.deepEqual((mine.json.alarms as { correlationUid: string }[]).map((a) => a.correlationUid), [UID]);
  const theirs = await get(`/api/v1/devices/${GATEWAY}/alarms?limit=10`, 'other-org');
  assert.deepEqual((theirs.json.alarms as { correlationUid: string }[]).map((a) => a.correlationUid), ['00000000000000000000000000000001']);
  const unknown = await get(`/api/v1/devices/${UNKNOWN_DEVICE}/alarms`);
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.code, 201);
  const bad = await get(`/api/v1/devices/${GATEWAY}/alarms?limit=0`);
  assert.equal(bad.status, 400);
});

test('both alarm routes are in the OpenAPI document', async () => {
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, { operationId: string }>> };
  assert.equal(doc.paths['/api/v1/alarms/{correlationUid}']?.get?.operationId, 'getAlarm');
  assert.equal(doc.paths['/api/v1/devices/{deviceIdentification}/alarms']?.get?.operationId, 'listDeviceAlarms');
});
