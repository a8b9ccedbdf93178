/**
 * Every operation end to end through the SOAP interface with the fake platform: the request element becomes the
 * catalogue payload (src/platform/operations.ts), the stored result becomes GXF's response element, and both
 * the AsyncResponse and the final response validate against the XSDs. Names, typos included: docs/gxf.md#names-and-namespaces.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { validateEnvelopeXml } from '../../../src/api/soap/schema.ts';
import { envelopeWith, post, soapApp, type SoapReply } from './helpers.ts';

const { app, platform } = await soapApp();
after(() => app.close());

const GATEWAY = 'TEST1024000000001';
const GMETER = 'TESTG102400000001';
const CEV = { channel: 2, primaryAddress: 9, identificationNumber: '12056731', manufacturerIdentification: 'LGB', version: 66, deviceTypeIdentification: 3 };

interface Case {
  name: string;
  service: string;
  prefix: string;
  request: string;
  device: string;
  messageType: string;
  payload: unknown;
  asyncResponse: string;
  pollElement: string;
  data?: unknown;
  check: (reply: SoapReply) => void;
}

const cases: Case[] = [
  {
    name: 'SetMbusUserKeyByChannel',
    service: 'configurationService',
    prefix: 'conf',
    request: `<conf:SetMbusUserKeyByChannelRequest><conf:DeviceIdentification>${GATEWAY}</conf:DeviceIdentification>
      <conf:SetMbusUserKeyByChannelRequestData><conf:Channel>1</conf:Channel></conf:SetMbusUserKeyByChannelRequestData></conf:SetMbusUserKeyByChannelRequest>`,
    device: GATEWAY,
    messageType: 'SET_MBUS_USER_KEY_BY_CHANNEL',
    payload: { channel: 1 },
    asyncResponse: 'SetMbusUserKeyByChannelAsyncResponse',
    pollElement: 'SetMbusUserKeyByChannelAsyncRequest',
    check: (r) => assert.equal(r.text('/s:Envelope/s:Body/conf:SetMbusUserKeyByChannelResponse/conf:Result'), 'OK'),
  },
  {
    name: 'SetKeyOnGMeter',
    service: 'configurationService',
    prefix: 'conf',
    request: `<conf:SetKeyOnGMeterRequest><conf:DeviceIdentification>${GMETER}</conf:DeviceIdentification>
      <conf:SetKeyOnGMeterRequestData><conf:MbusDeviceIdentification>${GMETER}</conf:MbusDeviceIdentification>
      <conf:SecretType>G_METER_OPTICAL_PORT_KEY</conf:SecretType><conf:CloseOpticalPort>true</conf:CloseOpticalPort></conf:SetKeyOnGMeterRequestData></conf:SetKeyOnGMeterRequest>`,
    device: GMETER,
    messageType: 'SET_KEY_ON_G_METER',
    payload: { mbusDeviceIdentification: GMETER, secretType: 'G_METER_OPTICAL_PORT_KEY', closeOpticalPort: true },
    asyncResponse: 'SetKeyOnGMeterAsyncResponse',
    pollElement: 'SetKeyOnGMeterAsyncRequest',
    check: (r) => assert.equal(r.text('/s:Envelope/s:Body/conf:SetKeyOnGMeterResponse/conf:Result'), 'OK'),
  },
  {
    name: 'GetMbusEncryptionKeyStatus',
    service: 'configurationService',
    prefix: 'conf',
    request: `<conf:GetMbusEncryptionKeyStatusRequest><conf:DeviceIdentification>${GMETER}</conf:DeviceIdentification></conf:GetMbusEncryptionKeyStatusRequest>`,
    device: GMETER,
    messageType: 'GET_MBUS_ENCRYPTION_KEY_STATUS',
    payload: {},
    asyncResponse: 'GetMbusEncryptionKeyStatusAsyncResponse',
    pollElement: 'GetMbusEncryptionKeyStatusAsyncRequest',
    data: { mbusDeviceIdentification: GMETER, encryptionKeyStatus: 'ENCRYPTION_KEY_IN_USE' },
    check: (r) => {
      assert.equal(r.text('/s:Envelope/s:Body/conf:GetMbusEncryptionKeyStatusResponse/conf:Result'), 'OK');
      assert.equal(r.text('/s:Envelope/s:Body/conf:GetMbusEncryptionKeyStatusResponse/conf:EncryptionKeyStatus'), 'ENCRYPTION_KEY_IN_USE');
    },
  },
  {
    name: 'GetMbusEncryptionKeyStatusByChannel',
    service: 'configurationService',
    prefix: 'conf',
    request: `<conf:GetMbusEncryptionKeyStatusByChannelRequest><conf:GatewayDeviceIdentification>${GATEWAY}</conf:GatewayDeviceIdentification>
      <conf:GetMbusEncryptionKeyStatusByChannelRequestData><conf:Channel>3</conf:Channel></conf:GetMbusEncryptionKeyStatusByChannelRequestData></conf:GetMbusEncryptionKeyStatusByChannelRequest>`,
    device: GATEWAY,
    messageType: 'GET_MBUS_ENCRYPTION_KEY_STATUS_BY_CHANNEL',
    payload: { channel: 3 },
    asyncResponse: 'GetMbusEncryptionKeyStatusByChannelAsyncResponse',
    pollElement: 'GetMbusEncryptionKeyStatusByChannelAsyncRequest',
    data: { channel: 3, encryptionKeyStatus: 'NO_ENCRYPTION_KEY' },
    check: (r) => assert.equal(r.text('/s:Envelope/s:Body/conf:GetMbusEncryptionKeyStatusByChannelResponse/conf:EncryptionKeyStatus'), 'NO_ENCRYPTION_KEY'),
  },
  {
    name: 'ScanMbusChannels',
    service: 'adhocService',
    prefix: 'adhoc',
    request: `<adhoc:ScanMbusChannelsRequest><adhoc:DeviceIdentification>${GATEWAY}</adhoc:DeviceIdentification></adhoc:ScanMbusChannelsRequest>`,
    device: GATEWAY,
    messageType: 'SCAN_MBUS_CHANNELS',
    payload: {},
    asyncResponse: 'ScanMbusChannelsAsyncResponse',
    pollElement: 'ScanMbusChannelsAsyncRequest',
    data: {
      channels: [
        { channel: 1, primaryAddress: 0, identificationNumber: '00000000', manufacturerIdentification: '', version: 0, deviceTypeIdentification: 0 },
        { ...CEV },
        { channel: 3, primaryAddress: 0, identificationNumber: 'DOUBLE_LONG_UNSIGNED Value: 2718263089 (Cannot not be correctly interpreted)', manufacturerIdentification: 'LGB', version: 66, deviceTypeIdentification: 3 },
        { channel: 4, primaryAddress: 0, identificationNumber: '00000000', manufacturerIdentification: '', version: 0, deviceTypeIdentification: 0 },
      ],
    },
    check: (r) => {
      const base = '/s:Envelope/s:Body/adhoc:ScanMbusChannelsResponse';
      assert.equal(r.text(`${base}/adhoc:Result`), 'OK');
      assert.equal(r.count(`${base}/adhoc:ChannelShortId`), 4);
      assert.equal(r.text(`${base}/adhoc:ChannelShortId[2]/adhoc:ShortId/c:IdentificationNumber`), '12056731');
      assert.equal(r.text(`${base}/adhoc:ChannelShortId[2]/adhoc:ShortId/c:ManufacturerIdentification`), 'LGB');
      assert.equal(r.text(`${base}/adhoc:ChannelShortId[2]/adhoc:ShortId/c:VersionIdentification`), '66');
      assert.equal(r.text(`${base}/adhoc:ChannelShortId[1]/adhoc:ShortId/c:IdentificationNumber`), '00000000');
      // Values the schema cannot carry (no manufacturer, an undecodable identification) are xsi:nil.
      assert.equal(r.count(`${base}/adhoc:ChannelShortId[1]/adhoc:ShortId/c:ManufacturerIdentification[@xsi:nil='true']`), 1);
      assert.equal(r.count(`${base}/adhoc:ChannelShortId[3]/adhoc:ShortId/c:IdentificationNumber[@xsi:nil='true']`), 1);
    },
  },
  {
    name: 'AddDevice',
    service: 'installationService',
    prefix: 'inst',
    request: `<inst:AddDeviceRequest><inst:Device>
        <inst:Device_Identification>${GMETER}</inst:Device_Identification><inst:Device_type>SMART_METER_G</inst:Device_type>
        <inst:protocolName>SMR</inst:protocolName><inst:protocolVersion>5.1</inst:protocolVersion>
        <inst:Delivery_date>2026-11-24T00:00:00Z</inst:Delivery_date>
        <inst:Mbus_identification_number>12056731</inst:Mbus_identification_number>
        <inst:Mbus_manufacturer_identification>LGB</inst:Mbus_manufacturer_identification>
        <inst:Mbus_version>66</inst:Mbus_version><inst:Mbus_device_type_identification>3</inst:Mbus_device_type_identification>
        <inst:Mbus_default_key>0A1B2C</inst:Mbus_default_key>
        <inst:ChallengeLength>16</inst:ChallengeLength>
      </inst:Device><inst:DeviceModel><inst:Manufacturer>LGB</inst:Manufacturer></inst:DeviceModel><inst:overwrite>false</inst:overwrite></inst:AddDeviceRequest>`,
    device: GMETER,
    messageType: 'ADD_METER',
    payload: {
      deviceIdentification: GMETER,
      deviceType: 'SMART_METER_G',
      protocolName: 'SMR',
      protocolVersion: '5.1',
      mbusIdentificationNumber: '12056731',
      mbusManufacturerIdentification: 'LGB',
      mbusVersion: 66,
      mbusDeviceTypeIdentification: 3,
      mbusDefaultKey: '0a1b2c',
      deliveryDate: '2026-11-24T00:00:00Z',
      challengeLength: 16,
      deviceModel: { manufacturer: 'LGB' },
      overwrite: false,
    },
    asyncResponse: 'AddDeviceAsyncResponse',
    pollElement: 'AddDeviceAsyncRequest',
    check: (r) => assert.equal(r.text('/s:Envelope/s:Body/inst:AddDeviceResponse/inst:Result'), 'OK'),
  },
  {
    name: 'CoupleMbusDevice',
    service: 'installationService',
    prefix: 'inst',
    request: `<inst:CoupleMbusDeviceRequest><inst:DeviceIdentification>${GATEWAY}</inst:DeviceIdentification>
      <inst:MbusDeviceIdentification>${GMETER}</inst:MbusDeviceIdentification><inst:Force>true</inst:Force></inst:CoupleMbusDeviceRequest>`,
    device: GATEWAY,
    messageType: 'COUPLE_MBUS_DEVICE',
    payload: { mbusDeviceIdentification: GMETER, force: true },
    asyncResponse: 'CoupleMbusDeviceAsyncResponse',
    pollElement: 'CoupleMbusDeviceAsyncRequest',
    data: { mbusDeviceIdentification: GMETER, channelElementValues: CEV },
    check: (r) => {
      const base = '/s:Envelope/s:Body/inst:CoupleMbusDeviceResponse';
      assert.equal(r.text(`${base}/c:Result`), 'OK');
      assert.equal(r.text(`${base}/inst:MbusDeviceIdentification`), GMETER);
      assert.equal(r.text(`${base}/inst:ChannelElementValues/inst:Channel`), '2');
      assert.equal(r.text(`${base}/inst:ChannelElementValues/inst:PrimaryAddress`), '9');
      assert.equal(r.text(`${base}/inst:ChannelElementValues/inst:IdentificationNumber`), '12056731');
    },
  },
  {
    name: 'DecoupleMbusDevice',
    service: 'installationService',
    prefix: 'inst',
    request: `<inst:DecoupleMbusDeviceRequest><inst:DeviceIdentification>${GATEWAY}</inst:DeviceIdentification>
      <inst:MbusDeviceIdentification>${GMETER}</inst:MbusDeviceIdentification></inst:DecoupleMbusDeviceRequest>`,
    device: GATEWAY,
    messageType: 'DECOUPLE_MBUS_DEVICE',
    payload: { mbusDeviceIdentification: GMETER },
    asyncResponse: 'DecoupleMbusDeviceAsyncResponse',
    pollElement: 'DecoupleMbusDeviceAsyncRequest',
    data: { mbusDeviceIdentification: GMETER, channel: 2 },
    check: (r) => {
      assert.equal(r.text('/s:Envelope/s:Body/inst:DecoupleMbusDeviceResponse/inst:Result'), 'OK');
      assert.equal(r.count('//inst:Description'), 0);
    },
  },
  {
    name: 'CoupleMbusDeviceByChannel',
    service: 'installationService',
    prefix: 'inst',
    request: `<inst:CoupleMbusDeviceByChannelRequest><inst:DeviceIdentification>${GATEWAY}</inst:DeviceIdentification>
      <inst:CoupleMbusDeviceByChannelRequestData><inst:Channel>2</inst:Channel></inst:CoupleMbusDeviceByChannelRequestData></inst:CoupleMbusDeviceByChannelRequest>`,
    device: GATEWAY,
    messageType: 'COUPLE_MBUS_DEVICE_BY_CHANNEL',
    payload: { channel: 2 },
    asyncResponse: 'CoupleMbusDeviceByChannelAsyncResponse',
    pollElement: 'CoupleMbusDeviceByChannelAsyncRequest',
    data: { mbusDeviceIdentification: GMETER, channelElementValues: CEV },
    check: (r) => {
      const base = '/s:Envelope/s:Body/inst:CoupleMbusDeviceByChannelResponse';
      assert.equal(r.text(`${base}/c:Result`), 'OK');
      assert.equal(r.text(`${base}/inst:ChannelElementValues/inst:ManufacturerIdentification`), 'LGB');
    },
  },
  {
    name: 'DecoupleMbusDeviceByChannel',
    service: 'installationService',
    prefix: 'inst',
    request: `<inst:DecoupleMbusDeviceByChannelRequest><inst:DeviceIdentification>${GATEWAY}</inst:DeviceIdentification>
      <inst:DecoupleMbusDeviceByChannelRequestData><inst:Channel>2</inst:Channel></inst:DecoupleMbusDeviceByChannelRequestData></inst:DecoupleMbusDeviceByChannelRequest>`,
    device: GATEWAY,
    messageType: 'DECOUPLE_MBUS_DEVICE_BY_CHANNEL',
    payload: { channel: 2 },
    asyncResponse: 'DecoupleMbusDeviceByChannelAsyncResponse',
    pollElement: 'DecoupleMbusDeviceByChannelAsyncRequest',
    data: { mbusDeviceIdentification: GMETER, channelElementValues: CEV },
    check: (r) => {
      const base = '/s:Envelope/s:Body/inst:DecoupleMbusDeviceByChannelResponse';
      assert.equal(r.text(`${base}/c:Result`), 'OK');
      assert.equal(r.text(`${base}/inst:mbusDeviceIdentification`), GMETER);
      assert.equal(r.text(`${base}/inst:ChannelElementValues/inst:Channel`), '2');
    },
  },
];

for (const c of cases) {
  test(`${c.name}: request -> ${c.asyncResponse}; ${c.pollElement} -> valid response`, async () => {
    const accepted = await post(app, envelopeWith(c.request), c.service);
    assert.equal(accepted.status, 200, accepted.body);
    assert.deepEqual(validateEnvelopeXml(accepted.body), [], accepted.body);
    const submitted = platform.last();
    assert.equal(submitted.messageType, c.messageType);
    assert.equal(submitted.deviceIdentification, c.device);
    assert.deepEqual(submitted.payload, c.payload);
    const base = `/s:Envelope/s:Body/${c.prefix}:${c.asyncResponse}`;
    assert.equal(accepted.text(`${base}/c:DeviceIdentification`), c.device);
    assert.equal(accepted.text(`${base}/c:CorrelationUid`), submitted.correlationUid);

    platform.complete(submitted.correlationUid, 'OK', c.data === undefined ? {} : { data: c.data });
    const reply = await post(
      app,
      envelopeWith(`<${c.prefix}:${c.pollElement}><com:DeviceIdentification>${c.device}</com:DeviceIdentification>
        <com:CorrelationUid>${submitted.correlationUid}</com:CorrelationUid></${c.prefix}:${c.pollElement}>`),
      c.service,
    );
    assert.equal(reply.status, 200, reply.body);
    assert.deepEqual(validateEnvelopeXml(reply.body), [], reply.body);
    c.check(reply);
  });
}

// Strict family (docs/gxf.md#result-families): a NOT OK becomes the stored fault; lenient ones answer NOT OK.
for (const c of cases) {
  const lenient = c.name === 'SetMbusUserKeyByChannel' || c.name === 'SetKeyOnGMeter';
  test(`${c.name} NOT OK: ${lenient ? 'lenient, Result NOT OK' : 'strict, the stored error as a FunctionalFault'}`, async () => {
    const accepted = await post(app, envelopeWith(c.request), c.service);
    const uid = platform.last().correlationUid;
    assert.equal(accepted.status, 200);
    platform.complete(uid, 'NOT_OK', { error: { code: 215, codeName: 'NO_MBUS_DEVICE_CHANNEL_FOUND', component: 'PROTOCOL_DLMS', message: 'no free channel' } });
    const reply = await post(
      app,
      envelopeWith(`<${c.prefix}:${c.pollElement}><com:DeviceIdentification>${c.device}</com:DeviceIdentification>
        <com:CorrelationUid>${uid}</com:CorrelationUid></${c.prefix}:${c.pollElement}>`),
      c.service,
    );
    assert.deepEqual(validateEnvelopeXml(reply.body), [], reply.body);
    if (lenient) {
      assert.equal(reply.status, 200);
      assert.equal(reply.text('//conf:Result'), 'NOT OK');
    } else {
      assert.equal(reply.status, 500);
      assert.equal(reply.text('//c:FunctionalFault/c:Code'), '215');
      assert.equal(reply.text('//c:FunctionalFault/c:Message'), 'NO_MBUS_DEVICE_CHANNEL_FOUND');
      assert.equal(reply.text('//c:FunctionalFault/c:Component'), 'PROTOCOL_DLMS');
      assert.equal(reply.text('//c:FunctionalFault/c:InnerMessage'), 'no free channel');
    }
  });
}

test('AddDevice without Device_Identification or with an unknown Device_type is refused at once with 401', async () => {
  const before = platform.submitted.length;
  const base = cases.find((c) => c.name === 'AddDevice')!;
  for (const request of [
    base.request.replace(/<inst:Device_Identification>.*<\/inst:Device_Identification>/, ''),
    base.request.replace('SMART_METER_G', 'SMART_METER_X'),
  ]) {
    const reply = await post(app, envelopeWith(request), 'installationService');
    assert.equal(reply.status, 500);
    assert.equal(reply.text('//c:FunctionalFault/c:Code'), '401');
    assert.deepEqual(validateEnvelopeXml(reply.body), []);
  }
  assert.equal(platform.submitted.length, before);
});

test('AddDevice key values never come back in a validation fault', async () => {
  const base = cases.find((c) => c.name === 'AddDevice')!;
  const ciphertext = 'ab'.repeat(128) + 'zz';
  const reply = await post(app, envelopeWith(base.request.replace('0A1B2C', ciphertext)), 'installationService');
  assert.equal(reply.text('/s:Envelope/s:Body/s:Fault/faultstring'), 'Validation error');
  assert.ok(!reply.body.includes('abababababababababababababababab'), reply.body);
});
