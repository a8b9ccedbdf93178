/**
 * The REST operation API against the fake platform: validated bodies, 202 + correlation id, the stored outcome,
 * deletion, JSON problems, caller identification and the generated OpenAPI document.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import { restOperationsPlugin, REST_OPERATIONS } from '../../../src/api/rest/operations.ts';
import { FakePlatform, UNKNOWN_DEVICE } from '../soap/fake-platform.ts';
import { bearer, installTestSecurity } from '../../support/auth.ts';

async function restApp(): Promise<{ app: FastifyInstance; platform: FakePlatform }> {
  const platform = new FakePlatform();
  const app = Fastify();
  installTestSecurity(app);
  await app.register(restOperationsPlugin, { platform });
  await app.ready();
  return { app, platform };
}

const { app, platform } = await restApp();
after(() => app.close());

const GATEWAY = 'TEST1024000000001';
const GMETER = 'TESTG102400000001';
const ORG = { 'x-organisation-identification': 'test-org', 'content-type': 'application/json', ...bearer('test-org') };

async function call(method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown, headers: Record<string, string> = ORG) {
  const res = await app.inject({ method, url, headers: method === 'POST' ? headers : (Object.fromEntries(Object.entries(headers).filter(([k]) => k !== 'content-type')) as Record<string, string>), ...(body === undefined ? {} : { payload: body as object }) });
  return { status: res.statusCode, json: res.body ? res.json() : undefined, headers: res.headers };
}

test('POST user-key returns 202 with the correlation id and submits SET_MBUS_USER_KEY_BY_CHANNEL', async () => {
  const res = await call('POST', `/api/v1/devices/${GATEWAY}/mbus/channels/2/user-key`, {
    priority: 6,
    bypassRetry: true,
    scheduleTime: '2027-01-01T00:00:00Z',
    responseUrl: 'https://client.example/hook',
  }, { ...ORG, 'x-user-name': 'alice', 'x-application-name': 'ops-console' });
  assert.equal(res.status, 202);
  const r = platform.last();
  assert.deepEqual(res.json, { correlationUid: r.correlationUid });
  assert.equal(res.headers.location, `/api/v1/responses/${encodeURIComponent(r.correlationUid)}`);
  assert.deepEqual(
    { ...r, correlationUid: undefined },
    {
      organisationIdentification: 'test-org', userName: 'alice', applicationName: 'ops-console', deviceIdentification: GATEWAY,
      messageType: 'SET_MBUS_USER_KEY_BY_CHANNEL', payload: { channel: 2 }, priority: 6, bypassRetry: true,
      scheduleTime: new Date('2027-01-01T00:00:00Z'), responseUrl: 'https://client.example/hook', channel: 'REST', correlationUid: undefined,
    },
  );
});

test('a POST without a body is fine for operations without fields; defaults fill user and application', async () => {
  const res = await call('POST', `/api/v1/devices/${GATEWAY}/mbus/scan`);
  assert.equal(res.status, 202);
  assert.equal(platform.last().messageType, 'SCAN_MBUS_CHANNELS');
  assert.equal(platform.last().userName, 'test-org');
  assert.equal(platform.last().applicationName, 'REST');
});

for (const [what, url, body, needle] of [
  ['channel 0', `/api/v1/devices/${GATEWAY}/mbus/channels/0/user-key`, undefined, 'channel'],
  ['channel 5', `/api/v1/devices/${GATEWAY}/mbus/channels/5/user-key`, undefined, 'channel'],
  ['priority 10', `/api/v1/devices/${GATEWAY}/mbus/channels/1/user-key`, { priority: 10 }, 'priority'],
  ['an unknown field', `/api/v1/devices/${GATEWAY}/mbus/scan`, { chanel: 1 }, 'chanel'],
  ['an ftp responseUrl', `/api/v1/devices/${GATEWAY}/mbus/scan`, { responseUrl: 'ftp://x.example/a' }, 'responseUrl'],
  ['an E-meter secret type on SetKeyOnGMeter', `/api/v1/devices/${GMETER}/mbus/keys`, { secretType: 'E_METER_MASTER_KEY' }, 'secretType'],
  ['a short AddDevice identification', '/api/v1/devices', { deviceIdentification: 'SHORT', deviceType: 'SMART_METER_G' }, 'deviceIdentification'],
] as const) {
  test(`${what} is a 400 problem with code 401 VALIDATION_ERROR naming the field`, async () => {
    const before = platform.submitted.length;
    const res = await app.inject({ method: 'POST', url, headers: ORG, ...(body ? { payload: body } : {}) });
    assert.equal(res.statusCode, 400);
    assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
    const p = res.json();
    assert.deepEqual(Object.keys(p).sort(), ['code', 'codeName', 'component', 'detail', 'status', 'title', 'type']);
    assert.equal(p.status, 400);
    assert.equal(p.code, 401);
    assert.equal(p.codeName, 'VALIDATION_ERROR');
    assert.ok(p.detail.includes(needle), p.detail);
    assert.equal(platform.submitted.length, before);
  });
}

test('unreadable JSON is a 400 problem', async () => {
  const res = await app.inject({ method: 'POST', url: `/api/v1/devices/${GATEWAY}/mbus/scan`, headers: { ...ORG, 'content-type': 'application/json' }, payload: '{"priority":' });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().codeName, 'VALIDATION_ERROR');
});

test('platform refusals are problems: unknown device 404/201, unauthorised 403/301, unexpected 500 without internals', async () => {
  const unknown = await call('POST', `/api/v1/devices/${UNKNOWN_DEVICE}/mbus/scan`);
  assert.equal(unknown.status, 404);
  assert.deepEqual(unknown.json, {
    type: 'urn:meterfabric:problem:UNKNOWN_DEVICE', title: 'Unknown device', status: 404, code: 201, codeName: 'UNKNOWN_DEVICE',
    component: 'DOMAIN_CORE', detail: `Device ${UNKNOWN_DEVICE} is unknown`,
  });
  const { ErrorCode, MeterfabricError } = await import('../../../src/errors.ts');
  platform.refuseWith = new MeterfabricError(ErrorCode.UNAUTHORIZED, 'Organisation [test-org] is not authorized for action', { component: 'WS_SMART_METERING' });
  try {
    const denied = await call('POST', `/api/v1/devices/${GATEWAY}/mbus/scan`);
    assert.equal(denied.status, 403);
    assert.equal(denied.json.code, 301);
    platform.refuseWith = new Error('pg: relation "request" does not exist');
    const boom = await call('POST', `/api/v1/devices/${GATEWAY}/mbus/scan`);
    assert.equal(boom.status, 500);
    assert.equal(boom.json.codeName, 'INTERNAL_ERROR');
    assert.doesNotMatch(JSON.stringify(boom.json), /relation|pg:/);
  } finally {
    platform.refuseWith = undefined;
  }
});

test('GET /api/v1/responses/{id} returns the stored outcome, repeatedly; DELETE removes it; then 404 with code 405', async () => {
  const posted = await call('POST', `/api/v1/devices/${GATEWAY}/mbus/channels/3/couple`);
  const uid = posted.json.correlationUid as string;
  const path = `/api/v1/responses/${encodeURIComponent(uid)}`;
  const pending = await call('GET', path);
  assert.equal(pending.status, 404);
  assert.equal(pending.json.code, 405);
  const cev = { channel: 3, primaryAddress: 1, identificationNumber: '12056731', manufacturerIdentification: 'LGB', version: 66, deviceTypeIdentification: 3 };
  platform.complete(uid, 'OK', { data: { mbusDeviceIdentification: GMETER, channelElementValues: cev } });
  const expected = {
    correlationUid: uid, deviceIdentification: GATEWAY, messageType: 'COUPLE_MBUS_DEVICE_BY_CHANNEL', result: 'OK',
    data: { mbusDeviceIdentification: GMETER, channelElementValues: cev }, createdAt: '2026-11-24T03:30:01.000Z',
  };
  assert.deepEqual((await call('GET', path)).json, expected);
  assert.deepEqual((await call('GET', path)).json, expected);
  const other = await call('GET', path, undefined, bearer('other-org'));
  assert.equal(other.status, 404);
  const del = await call('DELETE', path);
  assert.equal(del.status, 204);
  assert.equal((await call('GET', path)).status, 404);
  assert.equal((await call('DELETE', path)).status, 404);
});

test('a NOT OK outcome is returned with its error, not as an HTTP error', async () => {
  const posted = await call('POST', `/api/v1/devices/${GATEWAY}/mbus/channels/1/user-key`);
  const uid = posted.json.correlationUid as string;
  platform.complete(uid, 'NOT_OK', { error: { code: 201, codeName: 'UNKNOWN_DEVICE', component: 'PROTOCOL_DLMS', message: 'Unable to find M-Bus device' } });
  const res = await call('GET', `/api/v1/responses/${encodeURIComponent(uid)}`);
  assert.equal(res.status, 200);
  assert.equal(res.json.result, 'NOT_OK');
  assert.deepEqual(res.json.error, { code: 201, codeName: 'UNKNOWN_DEVICE', component: 'PROTOCOL_DLMS', message: 'Unable to find M-Bus device' });
});

test('every operation maps its path and body to the catalogue payload', async () => {
  const cases: [string, unknown, string, string, unknown][] = [
    [`/api/v1/devices/${GMETER}/mbus/keys`, { secretType: 'G_METER_OPTICAL_PORT_KEY', closeOpticalPort: true }, 'SET_KEY_ON_G_METER', GMETER, { mbusDeviceIdentification: GMETER, secretType: 'G_METER_OPTICAL_PORT_KEY', closeOpticalPort: true }],
    [`/api/v1/devices/${GMETER}/mbus/encryption-key-status`, undefined, 'GET_MBUS_ENCRYPTION_KEY_STATUS', GMETER, {}],
    [`/api/v1/devices/${GATEWAY}/mbus/channels/4/encryption-key-status`, undefined, 'GET_MBUS_ENCRYPTION_KEY_STATUS_BY_CHANNEL', GATEWAY, { channel: 4 }],
    [`/api/v1/devices/${GATEWAY}/mbus/couple`, { mbusDeviceIdentification: GMETER }, 'COUPLE_MBUS_DEVICE', GATEWAY, { mbusDeviceIdentification: GMETER, force: false }],
    [`/api/v1/devices/${GATEWAY}/mbus/decouple`, { mbusDeviceIdentification: GMETER }, 'DECOUPLE_MBUS_DEVICE', GATEWAY, { mbusDeviceIdentification: GMETER }],
    [`/api/v1/devices/${GATEWAY}/mbus/channels/2/couple`, {}, 'COUPLE_MBUS_DEVICE_BY_CHANNEL', GATEWAY, { channel: 2 }],
    [`/api/v1/devices/${GATEWAY}/mbus/channels/2/decouple`, {}, 'DECOUPLE_MBUS_DEVICE_BY_CHANNEL', GATEWAY, { channel: 2 }],
    ['/api/v1/devices', { deviceIdentification: GMETER, deviceType: 'SMART_METER_G', mbusIdentificationNumber: '12056731', mbusManufacturerIdentification: 'LGB', mbusDefaultKey: 'ABCDEF', priority: 2 }, 'ADD_METER', GMETER,
      { deviceIdentification: GMETER, deviceType: 'SMART_METER_G', mbusIdentificationNumber: '12056731', mbusManufacturerIdentification: 'LGB', mbusDefaultKey: 'abcdef' }],
  ];
  for (const [url, body, messageType, device, payload] of cases) {
    const res = await call('POST', url, body);
    assert.equal(res.status, 202, `${url}: ${JSON.stringify(res.json)}`);
    const r = platform.last();
    assert.equal(r.messageType, messageType, url);
    assert.equal(r.deviceIdentification, device, url);
    assert.deepEqual(r.payload, payload, url);
  }
  assert.equal(platform.last().priority, 2);
});

test('without credentials the answer is 401, whatever organisation header is sent; a header naming another organisation is 301', async () => {
  const before = platform.submitted.length;
  for (const headers of [{ 'content-type': 'application/json' }, { 'content-type': 'application/json', 'x-organisation-identification': 'test-org' }] as Record<string, string>[]) {
    const res = await call('POST', `/api/v1/devices/${GATEWAY}/mbus/scan`, undefined, headers);
    assert.equal(res.status, 401);
    assert.equal(res.json.code, 224);
  }
  const other = await call('POST', `/api/v1/devices/${GATEWAY}/mbus/scan`, undefined, { ...ORG, 'x-organisation-identification': 'other-org' });
  assert.equal(other.status, 403);
  assert.equal(other.json.code, 301);
  assert.equal(platform.submitted.length, before);
  // The header is optional: the token says who calls.
  const { 'x-organisation-identification': _named, ...tokenOnly } = ORG;
  assert.equal((await call('POST', `/api/v1/devices/${GATEWAY}/mbus/scan`, undefined, tokenOnly)).status, 202);
  assert.equal(platform.last().organisationIdentification, 'test-org');
});

test('a POST without the JSON content type is refused with 415, with or without a body', async () => {
  const before = platform.submitted.length;
  for (const [type, payload] of [[undefined, undefined], ['text/plain', '{}'], ['application/x-www-form-urlencoded', 'a=b']] as const) {
    const res = await app.inject({ method: 'POST', url: `/api/v1/devices/${GATEWAY}/mbus/scan`, headers: { ...bearer('test-org'), ...(type ? { 'content-type': type } : {}) }, ...(payload ? { payload } : {}) });
    assert.equal(res.statusCode, 415, String(type));
    assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
  }
  assert.equal(platform.submitted.length, before);
});

test('/openapi.json is an OpenAPI 3 document with every operation, its body schema and problems', async () => {
  const res = await app.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(res.statusCode, 200);
  const doc = res.json();
  assert.match(doc.openapi, /^3\./);
  const ids: string[] = [];
  for (const methods of Object.values(doc.paths) as Record<string, { operationId: string }>[]) for (const m of Object.values(methods)) ids.push(m.operationId);
  assert.deepEqual(ids.sort(), [...REST_OPERATIONS.map((o) => o.operationId), 'getDevices', 'getResponse', 'deleteResponse', 'getAlarm', 'listDeviceAlarms'].sort());
  const userKey = doc.paths['/api/v1/devices/{deviceIdentification}/mbus/channels/{channel}/user-key'].post;
  const channelParam = userKey.parameters.find((p: { name: string }) => p.name === 'channel');
  assert.equal(channelParam.in, 'path');
  assert.equal(channelParam.schema.maximum, 4);
  assert.ok(userKey.parameters.some((p: { name: string; in: string }) => p.name === 'x-organisation-identification' && p.in === 'header'));
  assert.ok(userKey.responses['202']);
  assert.deepEqual(Object.keys(userKey.responses['404'].content['application/json'].schema.properties).sort(), ['code', 'codeName', 'component', 'detail', 'status', 'title', 'type']);
  const addDevice = doc.paths['/api/v1/devices'].post;
  assert.deepEqual(addDevice.requestBody.content['application/json'].schema.required.sort(), ['deviceIdentification', 'deviceType']);
  assert.equal(doc.paths['/openapi.json'], undefined);
});
