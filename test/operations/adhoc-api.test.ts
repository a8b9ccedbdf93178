/** SynchronizeTime and GetAssociationLnObjects through SOAP and REST: accepted, mapped to the payload, bad zones refused. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { restOperationsPlugin } from '../../src/api/rest/operations.ts';
import { NS } from '../../src/api/soap/xml.ts';
import { post, soapApp } from '../api/soap/helpers.ts';
import { FakePlatform } from '../api/soap/fake-platform.ts';
import { bearer, installTestSecurity } from '../support/auth.ts';

const GATEWAY = 'TEST1024000000001';
const { app: soap, platform } = await soapApp({ validateResponses: true });
const restPlatform = new FakePlatform();
const rest = Fastify();
installTestSecurity(rest);
await rest.register(restOperationsPlugin, { platform: restPlatform });
await rest.ready();
after(async () => {
  await soap.close();
  await rest.close();
});

const envelope = (body: string) => `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:com="${NS.common}" xmlns:adhoc="${NS.adhoc}">
  <soapenv:Header><com:OrganisationIdentification>test-org</com:OrganisationIdentification><com:UserName>u</com:UserName><com:ApplicationName>a</com:ApplicationName></soapenv:Header>
  <soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;
const synchronize = (zone: string) =>
  envelope(`<adhoc:SynchronizeTimeRequest><adhoc:DeviceIdentification>${GATEWAY}</adhoc:DeviceIdentification><adhoc:SynchronizeTimeRequestData><adhoc:TimeZone>${zone}</adhoc:TimeZone></adhoc:SynchronizeTimeRequestData></adhoc:SynchronizeTimeRequest>`);
const restPost = (url: string, payload: object) =>
  rest.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', ...bearer('test-org') }, payload });

test('SOAP SynchronizeTime: the zone reaches the payload; the answer is SynchronizeTimeAsyncResponse', async () => {
  const r = await post(soap, synchronize('Europe/Amsterdam'), 'adhocService');
  assert.equal(r.status, 200, r.body);
  const last = platform.last();
  assert.equal(last.messageType, 'SYNCHRONIZE_TIME');
  assert.equal(last.deviceIdentification, GATEWAY);
  assert.deepEqual(last.payload, { timeZone: 'Europe/Amsterdam' });
  assert.equal(r.text('/s:Envelope/s:Body/adhoc:SynchronizeTimeAsyncResponse/c:CorrelationUid'), last.correlationUid);
  // The outcome: Result OK, and a stored failure is GXF's fault.
  platform.complete(last.correlationUid, 'OK');
  const poll = await post(soap, envelope(`<adhoc:SynchronizeTimeAsyncRequest><com:DeviceIdentification>${GATEWAY}</com:DeviceIdentification><com:CorrelationUid>${last.correlationUid}</com:CorrelationUid></adhoc:SynchronizeTimeAsyncRequest>`), 'adhocService');
  assert.equal(poll.text('/s:Envelope/s:Body/adhoc:SynchronizeTimeResponse/adhoc:Result'), 'OK');
});

test('SOAP SynchronizeTime: an empty zone means UTC; an unknown zone is a validation fault and nothing is queued', async () => {
  await post(soap, synchronize(''), 'adhocService');
  assert.deepEqual(platform.last().payload, {});
  const before = platform.submitted.length;
  const r = await post(soap, synchronize('Europe/Atlantis'), 'adhocService');
  assert.equal(r.status, 500);
  assert.equal(r.text('/s:Envelope/s:Body/s:Fault/detail/c:FunctionalFault/c:Message'), 'VALIDATION_ERROR');
  assert.match(r.text('/s:Envelope/s:Body/s:Fault/detail/c:FunctionalFault/c:InnerMessage') ?? '', /TimeZone Europe\/Atlantis is not a known time zone/);
  assert.equal(platform.submitted.length, before);
});

test('REST SynchronizeTime: 202 with the zone in the payload; an unknown zone is 400', async () => {
  const ok = await restPost(`/api/v1/devices/${GATEWAY}/clock/synchronize`, { timeZone: 'Europe/Amsterdam', priority: 5 });
  assert.equal(ok.statusCode, 202, ok.body);
  assert.equal(restPlatform.last().messageType, 'SYNCHRONIZE_TIME');
  assert.deepEqual(restPlatform.last().payload, { timeZone: 'Europe/Amsterdam' });
  assert.equal(restPlatform.last().priority, 5);
  const utc = await restPost(`/api/v1/devices/${GATEWAY}/clock/synchronize`, {});
  assert.equal(utc.statusCode, 202);
  assert.deepEqual(restPlatform.last().payload, {});
  const bad = await restPost(`/api/v1/devices/${GATEWAY}/clock/synchronize`, { timeZone: 'Europe/Atlantis' });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.json().detail, /unknown time zone/);
});

test('GetAssociationLnObjects: SOAP and REST queue GET_ASSOCIATION_LN_OBJECTS for the device; REST shows the stored list', async () => {
  const r = await post(soap, envelope(`<adhoc:GetAssociationLnObjectsRequest><adhoc:DeviceIdentification>${GATEWAY}</adhoc:DeviceIdentification></adhoc:GetAssociationLnObjectsRequest>`), 'adhocService');
  assert.equal(r.status, 200, r.body);
  assert.equal(platform.last().messageType, 'GET_ASSOCIATION_LN_OBJECTS');
  assert.deepEqual(platform.last().payload, {});
  const res = await restPost(`/api/v1/devices/${GATEWAY}/association-ln-objects`, {});
  assert.equal(res.statusCode, 202, res.body);
  const { correlationUid } = res.json() as { correlationUid: string };
  const list = [{ classId: 15, version: 1, logicalName: '0000280000FF', accessRights: { attributeAccess: [{ attributeId: 2, accessMode: 'READ_ONLY', accessSelectors: [1, 2] }], methodAccess: [{ methodId: 1, accessMode: 'ACCESS' }] } }];
  restPlatform.complete(correlationUid, 'OK', { data: { associationLnList: list } });
  const got = await rest.inject({ method: 'GET', url: `/api/v1/responses/${encodeURIComponent(correlationUid)}`, headers: bearer('test-org') });
  assert.equal(got.statusCode, 200);
  assert.deepEqual(got.json().data, { associationLnList: list });
});
