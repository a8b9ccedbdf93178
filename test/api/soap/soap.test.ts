/**
 * The GXF-compatible SOAP interface against a fake platform: literal envelopes in, XSD-valid envelopes out.
 * Shapes and rules: docs/gxf.md (SOAP contract to faults, and the M-Bus operations).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, MeterfabricError } from '../../../src/errors.ts';
import { validateEnvelopeXml } from '../../../src/api/soap/schema.ts';
import { envelopeWith, HEADERS, post, soapApp, type SoapReply } from './helpers.ts';
import { bearer } from '../../support/auth.ts';
import { UNKNOWN_DEVICE } from './fake-platform.ts';

const { app, platform } = await soapApp();
after(() => app.close());

const GATEWAY = 'TEST1024000000001';
const GMETER = 'TESTG102400000001';

function assertValid(reply: SoapReply): void {
  assert.deepEqual(validateEnvelopeXml(reply.body), [], `response must validate against the GXF XSDs:\n${reply.body}`);
}

function assertFunctionalFault(reply: SoapReply, expected: { code: number; message: string; component: string; innerMessage?: string }): void {
  assert.equal(reply.status, 500);
  assert.equal(reply.text('/s:Envelope/s:Body/s:Fault/faultcode'), 'SOAP-ENV:Server');
  const f = '/s:Envelope/s:Body/s:Fault/detail/c:FunctionalFault';
  assert.equal(reply.text(`${f}/c:Code`), String(expected.code));
  assert.equal(reply.text(`${f}/c:Message`), expected.message);
  assert.equal(reply.text(`${f}/c:Component`), expected.component);
  assert.equal(reply.count(`${f}/c:InnerException`), 1);
  if (expected.innerMessage !== undefined) assert.equal(reply.text(`${f}/c:InnerMessage`), expected.innerMessage);
  assertValid(reply);
}

function setMbusUserKey(channel: string, device = GATEWAY, headers = HEADERS): string {
  return envelopeWith(
    `<conf:SetMbusUserKeyByChannelRequest>
         <conf:DeviceIdentification>${device}</conf:DeviceIdentification>
         <conf:SetMbusUserKeyByChannelRequestData>
            <conf:Channel>${channel}</conf:Channel>
         </conf:SetMbusUserKeyByChannelRequestData>
      </conf:SetMbusUserKeyByChannelRequest>`,
    headers,
  );
}

function pollEnvelope(prefix: string, element: string, correlationUid: string, device = GATEWAY): string {
  return envelopeWith(
    `<${prefix}:${element}>
         <com:DeviceIdentification>${device}</com:DeviceIdentification>
         <com:CorrelationUid>${correlationUid}</com:CorrelationUid>
      </${prefix}:${element}>`,
  );
}

test('SetMbusUserKeyByChannelRequest is accepted with an AsyncResponse whose children are in the common namespace', async () => {
  const reply = await post(app, setMbusUserKey('2'));
  assert.equal(reply.status, 200);
  assert.match(reply.contentType ?? '', /^text\/xml/);
  assertValid(reply);
  const r = platform.last();
  assert.equal(reply.text('/s:Envelope/s:Body/conf:SetMbusUserKeyByChannelAsyncResponse/c:DeviceIdentification'), GATEWAY);
  assert.equal(reply.text('/s:Envelope/s:Body/conf:SetMbusUserKeyByChannelAsyncResponse/c:CorrelationUid'), r.correlationUid);
  assert.deepEqual(
    { ...r, correlationUid: undefined },
    {
      organisationIdentification: 'test-org',
      userName: 'tester',
      applicationName: 'soap-tests',
      deviceIdentification: GATEWAY,
      messageType: 'SET_MBUS_USER_KEY_BY_CHANNEL',
      payload: { channel: 2 },
      priority: 4,
      bypassRetry: false,
      channel: 'SOAP',
      correlationUid: undefined,
    },
  );
});

test('optional headers: priority clamped to 0..9, schedule times in ms, BypassRetry "true" in any case, ResponseUrl', async () => {
  const headers = (extra: string) => `<soapenv:Header>
      <com:OrganisationIdentification>test-org</com:OrganisationIdentification>
      <com:UserName>tester</com:UserName>
      <com:ApplicationName>soap-tests</com:ApplicationName>
      ${extra}
   </soapenv:Header>`;
  await post(app, setMbusUserKey('1', GATEWAY, headers(`<com:MessagePriority>7</com:MessagePriority>
      <com:ScheduleTime>1798761600000</com:ScheduleTime><com:MaxScheduleTime>1798765200000</com:MaxScheduleTime>
      <com:BypassRetry>TRUE</com:BypassRetry><com:ResponseUrl>https://client.example/notify</com:ResponseUrl>`)));
  const r = platform.last();
  assert.equal(r.priority, 7);
  assert.equal(r.scheduleTime?.toISOString(), '2027-01-01T00:00:00.000Z');
  assert.equal(r.maxScheduleTime?.toISOString(), '2027-01-01T01:00:00.000Z');
  assert.equal(r.bypassRetry, true);
  assert.equal(r.responseUrl, 'https://client.example/notify');

  await post(app, setMbusUserKey('1', GATEWAY, headers('<com:MessagePriority>12</com:MessagePriority><com:BypassRetry>yes</com:BypassRetry>')));
  assert.equal(platform.last().priority, 9);
  assert.equal(platform.last().bypassRetry, false);
  await post(app, setMbusUserKey('1', GATEWAY, headers('<com:MessagePriority>-3</com:MessagePriority>')));
  assert.equal(platform.last().priority, 0);
  await post(app, setMbusUserKey('1', GATEWAY, headers('<com:MessagePriority></com:MessagePriority>')));
  assert.equal(platform.last().priority, 4);
});

test('headers are matched by local name only, whatever their namespace', async () => {
  const headers = `<soapenv:Header>
      <OrganisationIdentification>test-org</OrganisationIdentification>
      <x:UserName xmlns:x="http://www.opensmartgridplatform.org/schemas/common">tester</x:UserName>
      <y:ApplicationName xmlns:y="urn:anything">other-app</y:ApplicationName>
      <z:MessagePriority xmlns:z="urn:else">6</z:MessagePriority>
   </soapenv:Header>`;
  const reply = await post(app, setMbusUserKey('3', GATEWAY, headers));
  assert.equal(reply.status, 200);
  assert.equal(platform.last().applicationName, 'other-app');
  assert.equal(platform.last().priority, 6);
});

test('a non-integer MessagePriority or ScheduleTime is refused with a VALIDATION_ERROR fault', async () => {
  const before = platform.submitted.length;
  const reply = await post(app, setMbusUserKey('1', GATEWAY, HEADERS.replace('</soapenv:Header>', '<com:MessagePriority>high</com:MessagePriority></soapenv:Header>')));
  assertFunctionalFault(reply, { code: 401, message: 'VALIDATION_ERROR', component: 'WS_SMART_METERING', innerMessage: 'MessagePriority Soap Header must be an integer' });
  const reply2 = await post(app, setMbusUserKey('1', GATEWAY, HEADERS.replace('</soapenv:Header>', '<com:ScheduleTime>2027-01-01T00:00:00Z</com:ScheduleTime></soapenv:Header>')));
  assertFunctionalFault(reply2, { code: 401, message: 'VALIDATION_ERROR', component: 'WS_SMART_METERING' });
  assert.equal(platform.submitted.length, before);
});

for (const [name, headers] of [
  ['OrganisationIdentification', HEADERS.replace('<com:OrganisationIdentification>test-org</com:OrganisationIdentification>', '')],
  ['UserName', HEADERS.replace('<com:UserName>tester</com:UserName>', '<com:UserName></com:UserName>')],
  ['ApplicationName', HEADERS.replace('<com:ApplicationName>soap-tests</com:ApplicationName>', '<com:ApplicationName>  </com:ApplicationName>')],
] as const) {
  test(`a missing or empty ${name} header gives GXF's Server fault without detail`, async () => {
    const before = platform.submitted.length;
    const reply = await post(app, setMbusUserKey('1', GATEWAY, headers));
    assert.equal(reply.status, 500);
    assert.equal(reply.text('/s:Envelope/s:Body/s:Fault/faultcode'), 'SOAP-ENV:Server');
    assert.equal(reply.text('/s:Envelope/s:Body/s:Fault/faultstring'), `${name} Soap Header is ""`);
    assert.equal(reply.count('/s:Envelope/s:Body/s:Fault/detail'), 0);
    assert.equal(platform.submitted.length, before);
  });
}

test('no Header at all is the missing OrganisationIdentification fault', async () => {
  const reply = await post(app, setMbusUserKey('1', GATEWAY, ''));
  assert.equal(reply.text('/s:Envelope/s:Body/s:Fault/faultstring'), 'OrganisationIdentification Soap Header is ""');
});

for (const [what, envelope, needle] of [
  ['Channel 0', setMbusUserKey('0'), "The value '0' is less than the minimum value allowed ('1')"],
  ['Channel 5', setMbusUserKey('5'), "The value '5' is greater than the maximum value allowed ('4')"],
  ['a 15-character DeviceIdentification', setMbusUserKey('1', 'TEST10240000001'), "[facet 'minLength'] The value has a length of '15'"],
  ['a DeviceIdentification with a dash', setMbusUserKey('1', 'TEST-1024-0000001'), "[facet 'pattern']"],
  ['a missing Channel', setMbusUserKey('1').replace(/<conf:Channel>1<\/conf:Channel>/, ''), 'Missing child element'],
  ['an element unknown to the schemas', envelopeWith('<conf:SetMbusUserKeyByChannelRequestX/>'), 'No matching global declaration'],
] as const) {
  test(`an XSD violation (${what}) is a Client fault "Validation error" with the detail of what failed`, async () => {
    const before = platform.submitted.length;
    const reply = await post(app, envelope);
    assert.equal(reply.status, 500);
    assert.equal(reply.text('/s:Envelope/s:Body/s:Fault/faultcode'), 'SOAP-ENV:Client');
    assert.equal(reply.text('/s:Envelope/s:Body/s:Fault/faultstring'), 'Validation error');
    const detail = reply.text('/s:Envelope/s:Body/s:Fault/detail/ws:ValidationError') ?? '';
    assert.ok(detail.includes(needle), `detail "${detail}" should mention ${needle}`);
    assert.equal(platform.submitted.length, before);
  });
}

for (const [what, body, contentType, faultcode, faultstring] of [
  ['unclosed tags', '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>', 'text/xml', 'SOAP-ENV:Client', /^Malformed XML: /],
  ['text that is not XML', 'hello', 'text/xml', 'SOAP-ENV:Client', /^Malformed XML: /],
  ['an empty body', '', 'text/xml', 'SOAP-ENV:Client', /^Malformed request/],
  ['a DOCTYPE with entities', '<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><x>&b;</x>', 'text/xml', 'SOAP-ENV:Client', /DOCTYPE is not allowed/],
  ['an external entity', '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', 'text/xml', 'SOAP-ENV:Client', /DOCTYPE is not allowed/],
  ['a root that is not an Envelope', '<conf:SetMbusUserKeyByChannelRequest xmlns:conf="urn:x"/>', 'text/xml', 'SOAP-ENV:Client', /not a SOAP 1.1 Envelope/],
  ['an empty Body', envelopeWith(''), 'text/xml', 'SOAP-ENV:Client', /Body has no payload/],
  ['a SOAP 1.2 envelope', '<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>', 'application/soap+xml', 'SOAP-ENV:VersionMismatch', /SOAP 1.1/],
] as const) {
  test(`${what} gives a SOAP fault with HTTP 500, never a crash or a stack trace`, async () => {
    const res = await app.inject({ method: 'POST', url: '/osgp-adapter-ws-smartmetering/smartMetering/configurationService/', headers: { 'content-type': contentType, ...bearer('test-org') }, payload: body });
    assert.equal(res.statusCode, 500);
    assert.match(res.headers['content-type'] as string, /^text\/xml/);
    assert.doesNotMatch(res.body, /at .*\.ts:\d+|node_modules|Error:/);
    assert.doesNotMatch(res.body, /root:x:0:0/);
    const { readReply } = await import('./helpers.ts');
    const reply = readReply(res.statusCode, res.body);
    assert.equal(reply.text('/s:Envelope/s:Body/s:Fault/faultcode'), faultcode);
    assert.match(reply.text('/s:Envelope/s:Body/s:Fault/faultstring') ?? '', faultstring);
  });
}

test('refusals by the platform become FunctionalFaults: unknown organisation 101, unknown device 201 DOMAIN_CORE', async () => {
  const org = await post(app, setMbusUserKey('1', GATEWAY, HEADERS.replace('>test-org<', '>nobody<')));
  assertFunctionalFault(org, { code: 101, message: 'UNKNOWN_ORGANISATION', component: 'WS_SMART_METERING', innerMessage: 'Organisation nobody is unknown' });
  const device = await post(app, setMbusUserKey('1', UNKNOWN_DEVICE));
  assertFunctionalFault(device, { code: 201, message: 'UNKNOWN_DEVICE', component: 'DOMAIN_CORE' });
  assert.equal(device.text('/s:Envelope/s:Body/s:Fault/faultstring'), 'UNKNOWN_DEVICE');
});

test('an unauthorised caller gets 301 UNAUTHORIZED', async () => {
  platform.refuseWith = new MeterfabricError(ErrorCode.UNAUTHORIZED, 'Organisation [test-org] is not authorized for action', { component: 'WS_SMART_METERING' });
  try {
    const reply = await post(app, setMbusUserKey('1'));
    assertFunctionalFault(reply, { code: 301, message: 'UNAUTHORIZED', component: 'WS_SMART_METERING', innerMessage: 'Organisation [test-org] is not authorized for action' });
  } finally {
    platform.refuseWith = undefined;
  }
});

test('an unexpected error becomes a TechnicalFault that reveals nothing of it', async () => {
  platform.refuseWith = new Error('connection string postgres://secret@db failed at Db.query');
  try {
    const reply = await post(app, setMbusUserKey('1'));
    assert.equal(reply.status, 500);
    assert.equal(reply.text('/s:Envelope/s:Body/s:Fault/faultcode'), 'SOAP-ENV:Server');
    assert.equal(reply.text('/s:Envelope/s:Body/s:Fault/detail/c:TechnicalFault/c:Component'), 'WS_SMART_METERING');
    assert.doesNotMatch(reply.body, /secret|postgres|Db\.query/);
    assertValid(reply);
  } finally {
    platform.refuseWith = undefined;
  }
});

test('polling an unknown CorrelationUid gives the 405 fault exactly as GXF', async () => {
  const reply = await post(app, pollEnvelope('conf', 'SetMbusUserKeyByChannelAsyncRequest', 'test-org|||TEST1024000000001|||20261124000000000'));
  assert.equal(reply.text('/s:Envelope/s:Body/s:Fault/faultstring'), 'CorrelationUid is unknown.');
  assertFunctionalFault(reply, { code: 405, message: 'CorrelationUid is unknown.', component: 'WS_SMART_METERING', innerMessage: '' });
  assert.equal(reply.text('/s:Envelope/s:Body/s:Fault/detail/c:FunctionalFault/c:InnerException'), '');
});

test("another organisation's response is unknown to the caller (405)", async () => {
  const accepted = await post(app, setMbusUserKey('1', GATEWAY, HEADERS.replace('>test-org<', '>other-org<')));
  const uid = accepted.text('//c:CorrelationUid')!;
  platform.complete(uid, 'OK');
  const reply = await post(app, pollEnvelope('conf', 'SetMbusUserKeyByChannelAsyncRequest', uid));
  assertFunctionalFault(reply, { code: 405, message: 'CorrelationUid is unknown.', component: 'WS_SMART_METERING' });
});

async function submitAndComplete(envelope: string, service: string, result: 'OK' | 'NOT_OK', outcome: Parameters<typeof platform.complete>[2] = {}): Promise<string> {
  const accepted = await post(app, envelope, service);
  assert.equal(accepted.status, 200, accepted.body);
  assertValid(accepted);
  const uid = accepted.text('//c:CorrelationUid')!;
  platform.complete(uid, result, outcome);
  return uid;
}

test('lenient family: SetMbusUserKeyByChannel NOT OK is a Result without Description and without a fault', async () => {
  const uid = await submitAndComplete(setMbusUserKey('2'), 'configurationService', 'NOT_OK', {
    error: { code: 201, codeName: 'UNKNOWN_DEVICE', component: 'PROTOCOL_DLMS', message: 'Unable to find M-Bus device for M-Bus identification number: 12056731 and manufacturer ID: LGB' },
  });
  const reply = await post(app, pollEnvelope('conf', 'SetMbusUserKeyByChannelAsyncRequest', uid));
  assert.equal(reply.status, 200);
  assertValid(reply);
  assert.equal(reply.text('/s:Envelope/s:Body/conf:SetMbusUserKeyByChannelResponse/conf:Result'), 'NOT OK');
  assert.equal(reply.count('//conf:Description'), 0);
  // Retrieval does not delete (docs/gxf.md#response-storage): the same answer again.
  const again = await post(app, pollEnvelope('conf', 'SetMbusUserKeyByChannelAsyncRequest', uid));
  assert.equal(again.body, reply.body);
});

test('lenient family: OK without data has no Description; a plain-text result is the Description', async () => {
  const uid = await submitAndComplete(setMbusUserKey('2'), 'configurationService', 'OK');
  const reply = await post(app, pollEnvelope('conf', 'SetMbusUserKeyByChannelAsyncRequest', uid));
  assert.equal(reply.text('/s:Envelope/s:Body/conf:SetMbusUserKeyByChannelResponse/conf:Result'), 'OK');
  assert.equal(reply.count('//conf:Description'), 0);
  assertValid(reply);
  const uid2 = await submitAndComplete(setMbusUserKey('3'), 'configurationService', 'OK', { data: 'key set & activated <ok>' });
  const reply2 = await post(app, pollEnvelope('conf', 'SetMbusUserKeyByChannelAsyncRequest', uid2));
  assert.equal(reply2.text('//conf:Description'), 'key set & activated <ok>');
  assertValid(reply2);
});

test('strict family: NOT OK rethrows the stored error as a FunctionalFault', async () => {
  const uid = await submitAndComplete(
    envelopeWith(`<conf:GetMbusEncryptionKeyStatusByChannelRequest>
         <conf:GatewayDeviceIdentification>${GATEWAY}</conf:GatewayDeviceIdentification>
         <conf:GetMbusEncryptionKeyStatusByChannelRequestData><conf:Channel>4</conf:Channel></conf:GetMbusEncryptionKeyStatusByChannelRequestData>
      </conf:GetMbusEncryptionKeyStatusByChannelRequest>`),
    'configurationService',
    'NOT_OK',
    { error: { code: 211, codeName: 'CONNECTION_ERROR', component: 'PROTOCOL_DLMS', message: 'Connection refused by 10.0.0.7:4059' } },
  );
  const reply = await post(app, pollEnvelope('conf', 'GetMbusEncryptionKeyStatusByChannelAsyncRequest', uid));
  assertFunctionalFault(reply, { code: 211, message: 'CONNECTION_ERROR', component: 'PROTOCOL_DLMS', innerMessage: 'Connection refused by 10.0.0.7:4059' });
});

test('strict family: NOT OK with only a text is a TechnicalFault with that text; with nothing, a generic one', async () => {
  const env = envelopeWith(`<adhoc:ScanMbusChannelsRequest><adhoc:DeviceIdentification>${GATEWAY}</adhoc:DeviceIdentification></adhoc:ScanMbusChannelsRequest>`);
  const uid = await submitAndComplete(env, 'adhocService', 'NOT_OK', { data: 'meter did not answer' });
  const reply = await post(app, pollEnvelope('adhoc', 'ScanMbusChannelsAsyncRequest', uid), 'adhocService');
  assert.equal(reply.status, 500);
  assert.equal(reply.text('//c:TechnicalFault/c:Message'), 'meter did not answer');
  assertValid(reply);
  const uid2 = await submitAndComplete(env, 'adhocService', 'NOT_OK');
  const reply2 = await post(app, pollEnvelope('adhoc', 'ScanMbusChannelsAsyncRequest', uid2), 'adhocService');
  assert.equal(reply2.text('//c:TechnicalFault/c:Message'), 'An exception occurred processing ScanMbusChannelsResponse.');
  assertValid(reply2);
});

test("polling with another operation's AsyncRequest is refused with 401 (typed lookup)", async () => {
  const uid = await submitAndComplete(setMbusUserKey('1'), 'configurationService', 'OK');
  const reply = await post(app, pollEnvelope('conf', 'GetMbusEncryptionKeyStatusAsyncRequest', uid));
  assertFunctionalFault(reply, { code: 401, message: 'CorrelationUid does not match any data of the requested type.', component: 'WS_SMART_METERING' });
});

test('a stored result that cannot fill the response becomes a TechnicalFault, not an invalid response', async () => {
  const env = envelopeWith(`<inst:CoupleMbusDeviceByChannelRequest><inst:DeviceIdentification>${GATEWAY}</inst:DeviceIdentification>
      <inst:CoupleMbusDeviceByChannelRequestData><inst:Channel>1</inst:Channel></inst:CoupleMbusDeviceByChannelRequestData></inst:CoupleMbusDeviceByChannelRequest>`);
  const uid = await submitAndComplete(env, 'installationService', 'OK', { data: { channelElementValues: { channel: 9 } } });
  const reply = await post(app, pollEnvelope('inst', 'CoupleMbusDeviceByChannelAsyncRequest', uid), 'installationService');
  assert.equal(reply.status, 500);
  assert.equal(reply.text('//c:TechnicalFault/c:Message'), 'The stored result of CoupleMbusDeviceByChannelResponse is incomplete.');
  assertValid(reply);
});

test('SetKeyOnGMeter with differing DeviceIdentification and MbusDeviceIdentification is refused with 401', async () => {
  const before = platform.submitted.length;
  const reply = await post(app, envelopeWith(`<conf:SetKeyOnGMeterRequest>
         <conf:DeviceIdentification>${GMETER}</conf:DeviceIdentification>
         <conf:SetKeyOnGMeterRequestData>
            <conf:MbusDeviceIdentification>TESTG102400000002</conf:MbusDeviceIdentification>
            <conf:SecretType>G_METER_ENCRYPTION_KEY</conf:SecretType>
         </conf:SetKeyOnGMeterRequestData>
      </conf:SetKeyOnGMeterRequest>`));
  assertFunctionalFault(reply, { code: 401, message: 'VALIDATION_ERROR', component: 'WS_SMART_METERING', innerMessage: 'DeviceIdentification and MbusDeviceIdentification must name the same M-Bus device' });
  assert.equal(platform.submitted.length, before);
});

test('SetKeyOnGMeter with an E-meter secret type is refused with 401', async () => {
  const reply = await post(app, envelopeWith(`<conf:SetKeyOnGMeterRequest>
         <conf:DeviceIdentification>${GMETER}</conf:DeviceIdentification>
         <conf:SetKeyOnGMeterRequestData>
            <conf:MbusDeviceIdentification>${GMETER}</conf:MbusDeviceIdentification>
            <conf:SecretType>E_METER_MASTER_KEY</conf:SecretType>
         </conf:SetKeyOnGMeterRequestData>
      </conf:SetKeyOnGMeterRequest>`));
  assertFunctionalFault(reply, { code: 401, message: 'VALIDATION_ERROR', component: 'WS_SMART_METERING', innerMessage: 'SecretType E_METER_MASTER_KEY cannot be set on a G-meter' });
});

test('an operation the schemas know but this platform does not offer is refused with 407', async () => {
  const reply = await post(app, envelopeWith(`<mon:GetThdFingerprintRequest xmlns:mon="http://www.opensmartgridplatform.org/schemas/smartmetering/sm-monitoring/2014/10"><mon:DeviceIdentification>${GATEWAY}</mon:DeviceIdentification></mon:GetThdFingerprintRequest>`), 'monitoringService');
  assertFunctionalFault(reply, { code: 407, message: 'UNSUPPORTED_DEVICE_ACTION', component: 'WS_SMART_METERING' });
});

test('DeleteResponseData removes a stored response; afterwards it is unknown (405)', async () => {
  const uid = await submitAndComplete(setMbusUserKey('1'), 'configurationService', 'OK');
  const del = await post(app, envelopeWith(`<smc:DeleteResponseDataRequest><smc:correlationUid>${uid}</smc:correlationUid></smc:DeleteResponseDataRequest>`), 'commonService');
  assert.equal(del.status, 200);
  assertValid(del);
  assert.equal(del.text('/s:Envelope/s:Body/smc:DeleteResponseDataResponse/c:Result'), 'OK');
  assert.equal(platform.responses.has(uid), false);
  const poll = await post(app, pollEnvelope('conf', 'SetMbusUserKeyByChannelAsyncRequest', uid));
  assertFunctionalFault(poll, { code: 405, message: 'CorrelationUid is unknown.', component: 'WS_SMART_METERING' });
  const again = await post(app, envelopeWith(`<smc:DeleteResponseDataRequest><smc:correlationUid>${uid}</smc:correlationUid></smc:DeleteResponseDataRequest>`), 'commonService');
  assertFunctionalFault(again, { code: 405, message: 'CorrelationUid is unknown.', component: 'WS_SMART_METERING' });
});

test('dispatch is by the payload QName, not by the service path (docs/gxf.md#soap-contract)', async () => {
  const reply = await post(app, setMbusUserKey('4'), 'installationService');
  assert.equal(reply.status, 200);
  assert.equal(reply.count('/s:Envelope/s:Body/conf:SetMbusUserKeyByChannelAsyncResponse'), 1);
});

for (const [what, contentType] of [['plain text', 'text/plain'], ['JSON', 'application/json'], ['a form', 'application/x-www-form-urlencoded'], ['no content type', undefined]] as const) {
  test(`a SOAP request sent as ${what} is refused with 415 and a SOAP fault, before the envelope is read`, async () => {
    const res = await app.inject({
      method: 'POST', url: '/osgp-adapter-ws-smartmetering/smartMetering/configurationService/',
      headers: { ...(contentType ? { 'content-type': contentType } : {}), ...bearer('test-org') }, payload: setMbusUserKey('1'),
    });
    assert.equal(res.statusCode, 415);
    assert.match(res.headers['content-type'] as string, /^text\/xml/);
    const { readReply } = await import('./helpers.ts');
    assert.match(readReply(res.statusCode, res.body).text('/s:Envelope/s:Body/s:Fault/faultstring') ?? '', /Content-Type must be text\/xml or application\/soap\+xml/);
  });
}

test('without credentials the answer is a 401 SOAP fault; a header naming another organisation than the token is 301', async () => {
  const before = platform.submitted.length;
  const none = await post(app, setMbusUserKey('1'), 'configurationService', null);
  assert.equal(none.status, 401);
  assert.equal(none.text('//c:FunctionalFault/c:Code'), '224');
  const other = await post(app, setMbusUserKey('1'), 'configurationService', 'other-org');
  assertFunctionalFault(other, { code: 301, message: 'UNAUTHORIZED', component: 'WS_SMART_METERING' });
  assert.equal(platform.submitted.length, before);
});

test('validateResponses catches a response the XSDs reject (a correlation id shorter than 20) and sends a TechnicalFault', async () => {
  const checked = await soapApp({ validateResponses: true });
  const unchecked = await soapApp();
  try {
    for (const p of [checked.platform, unchecked.platform]) p.requests.submit = async () => ({ correlationUid: 'too-short' });
    const bad = await post(checked.app, setMbusUserKey('1'));
    assert.equal(bad.status, 500);
    assert.equal(bad.text('//c:TechnicalFault/c:Message'), 'The response could not be produced.');
    assertValid(bad);
    const sent = await post(unchecked.app, setMbusUserKey('1'));
    assert.equal(sent.status, 200);
    assert.notDeepEqual(validateEnvelopeXml(sent.body), []);
    // And a valid response passes the check unchanged.
    const good = await soapApp({ validateResponses: true });
    try {
      const ok = await post(good.app, setMbusUserKey('1'));
      assert.equal(ok.status, 200);
    } finally {
      await good.app.close();
    }
  } finally {
    await checked.app.close();
    await unchecked.app.close();
  }
});
