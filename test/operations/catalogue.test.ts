/**
 * Every catalogue entry is served: on SOAP under GXF's element names (checked against GXF's WSDLs, request and
 * response validated against GXF's XSDs), on REST, and in /openapi.json; every operation of GXF's 8 SmartMetering
 * WSDLs is either in the catalogue or answered with GXF's 407 UNSUPPORTED_DEVICE_ACTION fault.
 * A new operation needs a sample below: the first test fails until it has one.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { CATALOGUE, DEVICE_OPERATIONS, deviceFunctionMapping } from '../../src/operations/catalogue.ts';
import { SERVICE_NAMESPACE } from '../../src/api/soap/operations.ts';
import { wsdlOperations } from '../../src/api/soap/wsdl.ts';
import { validateEnvelopeXml } from '../../src/api/soap/schema.ts';
import { restOperationsPlugin } from '../../src/api/rest/operations.ts';
import { bundleActions, operationRows } from '../../src/operations/listing.ts';
import { ENDPOINT, post, soapApp } from '../api/soap/helpers.ts';
import { FakePlatform } from '../api/soap/fake-platform.ts';
import { bearer, installTestSecurity } from '../support/auth.ts';

const GATEWAY = 'TEST1024000000001';
const GMETER = 'TESTG102400000001';
const CHANNEL_VALUES = { channel: 1, primaryAddress: 9, identificationNumber: '12056731', manufacturerIdentification: 'LGB', version: 66, deviceTypeIdentification: 3 };

/** Per message type: a request body (prefix ns = the service's namespace), a REST body, and stored result data. */
const SAMPLES: Record<string, { soap: string; rest?: Record<string, unknown>; data?: unknown }> = {
  ADD_METER: {
    soap: `<ns:AddDeviceRequest><ns:Device>
        <ns:Device_Identification>${GMETER}</ns:Device_Identification><ns:Device_type>SMART_METER_G</ns:Device_type>
        <ns:protocolName>SMR</ns:protocolName><ns:protocolVersion>5.1</ns:protocolVersion>
        <ns:Delivery_date>2026-11-24T00:00:00Z</ns:Delivery_date>
        <ns:Mbus_identification_number>12056731</ns:Mbus_identification_number>
        <ns:Mbus_manufacturer_identification>LGB</ns:Mbus_manufacturer_identification>
        <ns:Mbus_version>66</ns:Mbus_version><ns:Mbus_device_type_identification>3</ns:Mbus_device_type_identification>
        <ns:Mbus_default_key>0A1B2C</ns:Mbus_default_key><ns:ChallengeLength>16</ns:ChallengeLength>
      </ns:Device><ns:DeviceModel><ns:Manufacturer>LGB</ns:Manufacturer></ns:DeviceModel><ns:overwrite>false</ns:overwrite></ns:AddDeviceRequest>`,
    rest: { deviceIdentification: GMETER, deviceType: 'SMART_METER_G', mbusDefaultKey: '0a1b2c' },
  },
  COUPLE_MBUS_DEVICE: {
    soap: `<ns:CoupleMbusDeviceRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification><ns:MbusDeviceIdentification>${GMETER}</ns:MbusDeviceIdentification><ns:Force>false</ns:Force></ns:CoupleMbusDeviceRequest>`,
    rest: { mbusDeviceIdentification: GMETER },
    data: { mbusDeviceIdentification: GMETER, channelElementValues: CHANNEL_VALUES },
  },
  DECOUPLE_MBUS_DEVICE: {
    soap: `<ns:DecoupleMbusDeviceRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification><ns:MbusDeviceIdentification>${GMETER}</ns:MbusDeviceIdentification></ns:DecoupleMbusDeviceRequest>`,
    rest: { mbusDeviceIdentification: GMETER },
  },
  COUPLE_MBUS_DEVICE_BY_CHANNEL: {
    soap: `<ns:CoupleMbusDeviceByChannelRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification><ns:CoupleMbusDeviceByChannelRequestData><ns:Channel>1</ns:Channel></ns:CoupleMbusDeviceByChannelRequestData></ns:CoupleMbusDeviceByChannelRequest>`,
    data: { mbusDeviceIdentification: GMETER, channelElementValues: CHANNEL_VALUES },
  },
  DECOUPLE_MBUS_DEVICE_BY_CHANNEL: {
    soap: `<ns:DecoupleMbusDeviceByChannelRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification><ns:DecoupleMbusDeviceByChannelRequestData><ns:Channel>1</ns:Channel></ns:DecoupleMbusDeviceByChannelRequestData></ns:DecoupleMbusDeviceByChannelRequest>`,
    data: { resultString: 'Decouple Mbus Device was successful', mbusDeviceIdentification: GMETER, channelElementValues: CHANNEL_VALUES },
  },
  SET_MBUS_USER_KEY_BY_CHANNEL: {
    soap: `<ns:SetMbusUserKeyByChannelRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification><ns:SetMbusUserKeyByChannelRequestData><ns:Channel>1</ns:Channel></ns:SetMbusUserKeyByChannelRequestData></ns:SetMbusUserKeyByChannelRequest>`,
  },
  SET_KEY_ON_G_METER: {
    soap: `<ns:SetKeyOnGMeterRequest><ns:DeviceIdentification>${GMETER}</ns:DeviceIdentification><ns:SetKeyOnGMeterRequestData>
      <ns:MbusDeviceIdentification>${GMETER}</ns:MbusDeviceIdentification><ns:SecretType>G_METER_ENCRYPTION_KEY</ns:SecretType></ns:SetKeyOnGMeterRequestData></ns:SetKeyOnGMeterRequest>`,
    rest: { secretType: 'G_METER_ENCRYPTION_KEY' },
  },
  REPLACE_KEYS: {
    soap: `<ns:ReplaceKeysRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification><ns:SetKeysRequestData>
      <ns:AuthenticationKey>${'AB'.repeat(128)}</ns:AuthenticationKey><ns:EncryptionKey>${'CD'.repeat(128)}</ns:EncryptionKey></ns:SetKeysRequestData></ns:ReplaceKeysRequest>`,
    rest: { authenticationKey: 'AB'.repeat(128), encryptionKey: 'CD'.repeat(128) },
  },
  GENERATE_AND_REPLACE_KEYS: {
    soap: `<ns:GenerateAndReplaceKeysRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification></ns:GenerateAndReplaceKeysRequest>`,
  },
  GET_KEYS: {
    soap: `<ns:GetKeysRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification><ns:GetKeysData>
      <ns:secretTypes>E_METER_AUTHENTICATION_KEY</ns:secretTypes><ns:secretTypes>E_METER_MASTER_KEY</ns:secretTypes></ns:GetKeysData></ns:GetKeysRequest>`,
    rest: { secretTypes: ['E_METER_AUTHENTICATION_KEY', 'E_METER_MASTER_KEY'] },
    data: { keys: [{ secretType: 'E_METER_MASTER_KEY', secretValue: '0A1B'.repeat(64) }, { secretType: 'E_METER_AUTHENTICATION_KEY', secretValue: '2C3D'.repeat(64) }] },
  },
  GET_FIRMWARE_VERSION: {
    soap: `<ns:GetFirmwareVersionRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification></ns:GetFirmwareVersionRequest>`,
    data: { firmwareVersions: [{ version: 'MFS5 0503', firmwareModuleType: 'ACTIVE_FIRMWARE' }, { version: 'MFS-MBUS 1.0', firmwareModuleType: 'M_BUS_DRIVER_ACTIVE_FIRMWARE' }] },
  },
  GET_FIRMWARE_VERSION_GAS: {
    soap: `<ns:GetFirmwareVersionGasRequest><ns:DeviceIdentification>${GMETER}</ns:DeviceIdentification></ns:GetFirmwareVersionGasRequest>`,
    data: { firmwareVersion: { version: '00500301', firmwareModuleType: 'SIMPLE_VERSION_INFO' } },
  },
  UPDATE_FIRMWARE: {
    soap: `<ns:UpdateFirmwareRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification><ns:FirmwareIdentification>FW-E-0503</ns:FirmwareIdentification></ns:UpdateFirmwareRequest>`,
    rest: { firmwareIdentification: 'FW-E-0503' },
    data: { firmwareIdentification: 'FW-E-0503', firmwareVersions: [{ version: 'FW-E-0503', firmwareModuleType: 'ACTIVE_FIRMWARE' }] },
  },
  GET_MBUS_ENCRYPTION_KEY_STATUS: {
    soap: `<ns:GetMbusEncryptionKeyStatusRequest><ns:DeviceIdentification>${GMETER}</ns:DeviceIdentification></ns:GetMbusEncryptionKeyStatusRequest>`,
    data: { mbusDeviceIdentification: GMETER, encryptionKeyStatus: 'ENCRYPTION_KEY_IN_USE' },
  },
  GET_MBUS_ENCRYPTION_KEY_STATUS_BY_CHANNEL: {
    soap: `<ns:GetMbusEncryptionKeyStatusByChannelRequest><ns:GatewayDeviceIdentification>${GATEWAY}</ns:GatewayDeviceIdentification>
      <ns:GetMbusEncryptionKeyStatusByChannelRequestData><ns:Channel>1</ns:Channel></ns:GetMbusEncryptionKeyStatusByChannelRequestData></ns:GetMbusEncryptionKeyStatusByChannelRequest>`,
    data: { channel: 1, encryptionKeyStatus: 'ENCRYPTION_KEY_IN_USE' },
  },
  SCAN_MBUS_CHANNELS: {
    soap: `<ns:ScanMbusChannelsRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification></ns:ScanMbusChannelsRequest>`,
    data: { channels: [CHANNEL_VALUES] },
  },
  SYNCHRONIZE_TIME: {
    soap: `<ns:SynchronizeTimeRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification><ns:SynchronizeTimeRequestData><ns:TimeZone>Europe/Amsterdam</ns:TimeZone></ns:SynchronizeTimeRequestData></ns:SynchronizeTimeRequest>`,
    rest: { timeZone: 'Europe/Amsterdam' },
  },
  GET_ASSOCIATION_LN_OBJECTS: {
    soap: `<ns:GetAssociationLnObjectsRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification></ns:GetAssociationLnObjectsRequest>`,
    data: { associationLnList: [{ classId: 8, version: 0, logicalName: '0000010000FF', accessRights: { attributeAccess: [{ attributeId: 2, accessMode: 'READ_AND_WRITE', accessSelectors: [] }], methodAccess: [] } }] },
  },
  REQUEST_ACTUAL_METER_DATA: {
    soap: `<ns:ActualMeterReadsRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification></ns:ActualMeterReadsRequest>`,
    data: {
      logTime: '2016-05-07T09:09:09.090Z',
      activeEnergyImport: { value: '30.005', unit: 'KWH' }, activeEnergyExport: { value: '40.005', unit: 'KWH' },
      activeEnergyImportTariffOne: { value: '10.002', unit: 'KWH' }, activeEnergyImportTariffTwo: { value: '20.003', unit: 'KWH' },
      activeEnergyExportTariffOne: { value: '20.002', unit: 'KWH' }, activeEnergyExportTariffTwo: { value: '20.003', unit: 'KWH' },
    },
  },
  HANDLE_BUNDLED_ACTIONS: {
    soap: `<ns:BundleRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification><ns:Actions><ns:GetActualMeterReadsRequest/>
      <ns:SynchronizeTimeRequest><adhoc:TimeZone xmlns:adhoc="http://www.opensmartgridplatform.org/schemas/smartmetering/sm-adhoc/2014/10">Europe/Amsterdam</adhoc:TimeZone></ns:SynchronizeTimeRequest>
      <ns:GetOutagesRequest/></ns:Actions></ns:BundleRequest>`,
    rest: { actions: [{ action: 'getActualMeterReads' }, { action: 'SYNCHRONIZE_TIME', timeZone: 'Europe/Amsterdam' }, { action: 'GetOutagesRequest' }] },
    data: {
      responses: [
        { action: 'GetActualMeterReadsRequest', messageType: 'REQUEST_ACTUAL_METER_DATA', deviceIdentification: GATEWAY, result: 'OK', data: {
          logTime: '2016-05-07T09:09:09.090Z',
          activeEnergyImport: { value: '30.005', unit: 'KWH' }, activeEnergyExport: { value: '40.005', unit: 'KWH' },
          activeEnergyImportTariffOne: { value: '10.002', unit: 'KWH' }, activeEnergyImportTariffTwo: { value: '20.003', unit: 'KWH' },
          activeEnergyExportTariffOne: { value: '20.002', unit: 'KWH' }, activeEnergyExportTariffTwo: { value: '20.003', unit: 'KWH' },
        } },
        { action: 'SynchronizeTimeRequest', messageType: 'SYNCHRONIZE_TIME', deviceIdentification: GATEWAY, result: 'OK' },
        { action: 'GetOutagesRequest', messageType: null, deviceIdentification: GATEWAY, result: 'NOT_OK',
          fault: { code: 407, codeName: 'UNSUPPORTED_DEVICE_ACTION', component: 'PROTOCOL_DLMS', message: 'Unable to handle request', retryable: false } },
      ],
    },
  },
  REQUEST_ACTUAL_METER_DATA_GAS: {
    soap: `<ns:ActualMeterReadsGasRequest><ns:DeviceIdentification>${GMETER}</ns:DeviceIdentification></ns:ActualMeterReadsGasRequest>`,
    data: { logTime: '2016-05-07T09:09:09.090Z', consumption: { value: '300.001', unit: 'M3' }, captureTime: '2016-02-15T23:00:00.000Z' },
  },
  REQUEST_PERIODIC_METER_DATA: {
    soap: `<ns:PeriodicMeterReadsRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification><ns:PeriodicReadsRequestData><ns:PeriodType>INTERVAL</ns:PeriodType><ns:BeginDate>2015-09-01T00:00:00Z</ns:BeginDate><ns:EndDate>2015-10-01T00:00:00Z</ns:EndDate></ns:PeriodicReadsRequestData></ns:PeriodicMeterReadsRequest>`,
    rest: { periodType: 'INTERVAL', beginDate: '2015-09-01T00:00:00Z', endDate: '2015-10-01T00:00:00Z' },
    data: {
      periodType: 'INTERVAL',
      periodicMeterReads: [
        { logTime: '2015-09-01T00:00:00.000Z', activeEnergyImport: { value: '0.001', unit: 'KWH' }, activeEnergyExport: { value: '0.002', unit: 'KWH' }, amrProfileStatusCode: ['DATA_NOT_VALID'] },
        { logTime: '2015-09-01T00:15:00.000Z', activeEnergyImport: { value: '0.002', unit: 'KWH' }, activeEnergyExport: { value: '0.004', unit: 'KWH' }, amrProfileStatusCode: [] },
      ],
    },
  },
  REQUEST_PERIODIC_METER_DATA_GAS: {
    soap: `<ns:PeriodicMeterReadsGasRequest><ns:DeviceIdentification>${GMETER}</ns:DeviceIdentification><ns:PeriodicReadsRequestData><ns:PeriodType>DAILY</ns:PeriodType><ns:BeginDate>2022-05-02T00:00:00Z</ns:BeginDate><ns:EndDate>2022-05-03T00:00:00Z</ns:EndDate></ns:PeriodicReadsRequestData></ns:PeriodicMeterReadsGasRequest>`,
    rest: { periodType: 'DAILY', beginDate: '2022-05-02T00:00:00Z', endDate: '2022-05-03T00:00:00Z', channel: 1 },
    data: { periodType: 'DAILY', periodicMeterReadsGas: [{ logTime: '2022-05-02T22:00:00.000Z', consumption: { value: '300.001', unit: 'M3' }, captureTime: '2022-05-02T22:00:00.000Z', amrProfileStatusCode: ['DAYLIGHT_SAVING'] }] },
  },
  FIND_EVENTS: {
    soap: `<ns:FindEventsRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification><ns:FindEventsRequestData><ns:EventLogCategory>POWER_QUALITY_EXTENDED_EVENT_LOG</ns:EventLogCategory><ns:From>2015-09-01T00:00:00Z</ns:From><ns:Until>2015-09-05T00:00:00Z</ns:Until></ns:FindEventsRequestData></ns:FindEventsRequest>`,
    rest: { eventLogCategory: 'POWER_QUALITY_EXTENDED_EVENT_LOG', from: '2015-09-01T00:00:00Z', until: '2015-09-05T00:00:00Z' },
    data: { events: [{ timestamp: '2015-09-01T05:38:38.000Z', eventCode: 93, eventType: 'VOLTAGE_SAG_IN_PHASE_L1', eventLogCategory: 'POWER_QUALITY_EXTENDED_EVENT_LOG', eventDetails: [{ name: 'magnitude', value: '189.0 V' }, { name: 'duration', value: '34.9 s' }] }, { timestamp: '2015-09-02T05:38:38.000Z', eventCode: 71, eventType: 'METROLOGICAL_MAINTENANCE', eventLogCategory: 'COMMUNICATION_SESSION_LOG', eventCounter: 3 }] },
  },
  GET_ACTUAL_POWER_QUALITY: {
    soap: `<ns:ActualPowerQualityRequest><ns:ProfileType>PUBLIC</ns:ProfileType><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification></ns:ActualPowerQualityRequest>`,
    rest: { profileType: 'PUBLIC' },
    data: {
      powerQualityObjects: [{ name: 'CLOCK' }, { name: 'INSTANTANEOUS_VOLTAGE_L1', unit: 'V' }, { name: 'NUMBER_OF_POWER_FAILURES' }],
      powerQualityValues: [{ dateValue: '2026-12-03T07:00:00.000Z' }, { floatValue: '230.4' }, { longValue: '12' }],
    },
  },
  GET_PROFILE_GENERIC_DATA: {
    soap: `<ns:GetPowerQualityProfileRequest><ns:ProfileType>PRIVATE</ns:ProfileType><ns:BeginDate>2026-12-01T00:00:00Z</ns:BeginDate><ns:EndDate>2026-12-01T00:15:00Z</ns:EndDate><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification></ns:GetPowerQualityProfileRequest>`,
    rest: { profileType: 'PRIVATE', beginDate: '2026-12-01T00:00:00Z', endDate: '2026-12-01T00:15:00Z' },
    data: {
      powerQualityProfileDatas: [{
        logicalName: { a: 1, b: 0, c: 99, d: 1, e: 1, f: 255 },
        captureObjects: [
          { classId: 8, logicalName: '0.0.1.0.0.255', attributeIndex: 2, dataIndex: 0, unit: 'UNDEFINED' },
          { classId: 3, logicalName: '1.0.21.4.0.255', attributeIndex: 2, dataIndex: 0, unit: 'W' },
        ],
        profileEntries: [{ profileEntryValues: [{ dateValue: '2026-12-01T00:00:00.000Z' }, { floatValue: '1234' }] }],
        profileType: 'PRIVATE',
      }],
    },
  },
  READ_ALARM_REGISTER: {
    soap: `<ns:ReadAlarmRegisterRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification></ns:ReadAlarmRegisterRequest>`,
    data: { alarms: ['POWER_UP', 'FRAUD_ATTEMPT'], registers: [{ register: 1, value: 8196 }], unknownBits: [] },
  },
  CLEAR_ALARM_REGISTER: {
    soap: `<ns:ClearAlarmRegisterRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification></ns:ClearAlarmRegisterRequest>`,
  },
  GET_SPECIFIC_ATTRIBUTE_VALUE: {
    soap: `<ns:GetSpecificAttributeValueRequest><ns:ClassId>1</ns:ClassId><ns:Attribute>2</ns:Attribute><ns:ObisCode><com:a>0</com:a><com:b>0</com:b><com:c>42</com:c><com:d>0</com:d><com:e>0</com:e><com:f>255</com:f></ns:ObisCode><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification></ns:GetSpecificAttributeValueRequest>`,
    rest: { classId: 1, attribute: 2, obisCode: '0-0:42.0.0.255' },
    data: { attributeValueData: 'DataObject: Choice=OCTET_STRING, ResultData isByteArray, value=[[B]: bytes[77, 70, 83]' },
  },
  GET_ALL_ATTRIBUTE_VALUES: {
    soap: `<ns:GetAllAttributeValuesRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification></ns:GetAllAttributeValuesRequest>`,
    data: { output: '[{"classId":8,"version":0,"obisCode":"0-0:1.0.0.255","attributes":[{"id":1,"value":"0000010000ff"}]}]' },
  },
};

Object.assign(SAMPLES, {
  DECOUPLE_MBUS_DEVICE_ADMINISTRATIVE: {
    soap: `<ns:DecoupleMBusDeviceAdministrativeRequest><ns:MbusDeviceIdentification>${GMETER}</ns:MbusDeviceIdentification></ns:DecoupleMBusDeviceAdministrativeRequest>`,
  },
  ENABLE_DEBUGGING: { soap: `<ns:EnableDebuggingRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification></ns:EnableDebuggingRequest>` },
  DISABLE_DEBUGGING: { soap: `<ns:DisableDebuggingRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification></ns:DisableDebuggingRequest>` },
  GET_MESSAGES: {
    soap: `<ns:FindMessageLogsRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification><ns:Page>0</ns:Page></ns:FindMessageLogsRequest>`,
    rest: { page: 1 },
    data: {
      totalPages: 1,
      messageLogs: [{
        timestamp: '2026-12-02T10:00:00.000Z', organisationIdentification: 'test-org', deviceIdentification: GATEWAY, decodedMessage: 'ENABLE_DEBUGGING (x) - AARQ',
        encodedMessage: '6036A1', incoming: false, valid: true, apduType: 'AARQ', size: 3,
      }],
    },
  },
  SET_DEVICE_COMMUNICATION_SETTINGS: {
    soap: `<ns:SetDeviceCommunicationSettingsRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification><ns:SetDeviceCommunicationSettingsData>
      <ns:ChallengeLength>16</ns:ChallengeLength><ns:WithListMax>8</ns:WithListMax><ns:SelectiveAccessSupported>true</ns:SelectiveAccessSupported>
      <ns:IpAddressIsStatic>false</ns:IpAddressIsStatic><ns:UseSn>false</ns:UseSn><ns:UseHdlc>true</ns:UseHdlc><ns:Polyphase>true</ns:Polyphase>
      </ns:SetDeviceCommunicationSettingsData></ns:SetDeviceCommunicationSettingsRequest>`,
    rest: { challengeLength: 16, withListMax: 8, selectiveAccessSupported: true, ipAddressIsStatic: false, useSn: false, useHdlc: true, polyphase: true },
  },
  UPDATE_PROTOCOL: {
    soap: `<ns:UpdateProtocolRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification><ns:UpdateProtocolData><ns:Protocol>SMR</ns:Protocol><ns:ProtocolVersion>5.1</ns:ProtocolVersion></ns:UpdateProtocolData></ns:UpdateProtocolRequest>`,
    rest: { protocol: 'SMR', protocolVersion: '5.1' },
  },
  CLEAR_MBUS_STATUS_ON_ALL_CHANNELS: {
    soap: `<ns:ClearMBusStatusOnAllChannelsRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification><ns:ClearMBusStatusOnAllChannelsRequestData/></ns:ClearMBusStatusOnAllChannelsRequest>`,
    data: { channels: [{ channel: 1, status: 5, cleared: true }, { channel: 2, status: 0, cleared: false }, { channel: 3, status: 0, cleared: false }, { channel: 4, status: 0, cleared: false }] },
  },
  GET_GSM_DIAGNOSTIC: {
    soap: `<ns:GetGsmDiagnosticRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification><ns:GetGsmDiagnosticRequestData/></ns:GetGsmDiagnosticRequest>`,
    data: {
      operator: 'MFS Mobile', modemRegistrationStatus: 'REGISTERED_HOME_NETWORK', circuitSwitchedStatus: 'INACTIVE', packetSwitchedStatus: 'LTE',
      cellInfo: { cellId: 77001, locationId: 2230, signalQuality: 'MINUS_87_DBM', bitErrorRate: 99, mobileCountryCode: 204, mobileNetworkCode: 8, channelNumber: 1800 },
      adjacentCells: [{ cellId: 77002, signalQuality: 'MINUS_95_DBM' }], captureTime: '2026-12-02T10:00:00.000Z',
    },
  },
  SET_DEVICE_LIFECYCLE_STATUS_BY_CHANNEL: {
    soap: `<ns:SetDeviceLifecycleStatusByChannelRequest><ns:GatewayDeviceIdentification>${GATEWAY}</ns:GatewayDeviceIdentification><ns:SetDeviceLifecycleStatusByChannelRequestData>
      <ns:DeviceLifecycleStatus>IN_USE</ns:DeviceLifecycleStatus><ns:Channel>1</ns:Channel></ns:SetDeviceLifecycleStatusByChannelRequestData></ns:SetDeviceLifecycleStatusByChannelRequest>`,
    rest: { deviceLifecycleStatus: 'IN_USE' },
    data: { gatewayDeviceIdentification: GATEWAY, mbusDeviceIdentification: GMETER, deviceLifecycleStatus: 'IN_USE', channel: 1 },
  },
});

// Configuration: administrative status, push setups, alarm notifications, clock configuration.
Object.assign(SAMPLES, {
  GET_ADMINISTRATIVE_STATUS: {
    soap: `<ns:GetAdministrativeStatusRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification></ns:GetAdministrativeStatusRequest>`,
    data: { administrativeStatusType: 'ON' },
  },
  SET_ADMINISTRATIVE_STATUS: {
    soap: `<ns:SetAdministrativeStatusRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification><ns:Enabled>OFF</ns:Enabled></ns:SetAdministrativeStatusRequest>`,
    rest: { enabled: 'OFF' },
  },
  SET_PUSH_SETUP_ALARM: {
    soap: `<ns:SetPushSetupAlarmRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification><ns:SetPushSetupAlarmRequestData><ns:PushSetupAlarm>
      <ns:Host>localhost2</ns:Host><ns:Port>4321</ns:Port>
      <ns:PushObjectList><ns:ClassId>1</ns:ClassId><ns:LogicalName><com:a>0</com:a><com:b>0</com:b><com:c>96</com:c><com:d>1</com:d><com:e>1</com:e><com:f>255</com:f></ns:LogicalName><ns:AttributeIndex>2</ns:AttributeIndex><ns:DataIndex>0</ns:DataIndex></ns:PushObjectList>
      </ns:PushSetupAlarm></ns:SetPushSetupAlarmRequestData></ns:SetPushSetupAlarmRequest>`,
    rest: { host: 'localhost2', port: 4321, pushObjectList: [{ classId: 1, obisCode: '0-0:96.1.1.255', attributeIndex: 2, dataIndex: 0 }] },
  },
  SET_PUSH_SETUP_SMS: {
    soap: `<ns:SetPushSetupSmsRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification><ns:SetPushSetupSmsRequestData><ns:PushSetupSms><ns:Host>localhost</ns:Host><ns:Port>9598</ns:Port></ns:PushSetupSms></ns:SetPushSetupSmsRequestData></ns:SetPushSetupSmsRequest>`,
    rest: { host: 'localhost', port: 9598 },
  },
  SET_PUSH_SETUP_LAST_GASP: {
    soap: `<ns:SetPushSetupLastGaspRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification><ns:SetPushSetupLastGaspRequestData><ns:PushSetupLastGasp><ns:Host>localhost</ns:Host><ns:Port>9599</ns:Port></ns:PushSetupLastGasp></ns:SetPushSetupLastGaspRequestData></ns:SetPushSetupLastGaspRequest>`,
    rest: { host: 'localhost', port: 9599 },
  },
  SET_PUSH_SETUP_UDP: {
    soap: `<ns:SetPushSetupUdpRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification></ns:SetPushSetupUdpRequest>`,
  },
  SET_ALARM_NOTIFICATIONS: {
    soap: `<ns:SetAlarmNotificationsRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification><ns:SetAlarmNotificationsRequestData><ns:AlarmNotifications>
      <ns:AlarmNotification><ns:AlarmType>CLOCK_INVALID</ns:AlarmType><ns:Enabled>true</ns:Enabled></ns:AlarmNotification>
      <ns:AlarmNotification><ns:AlarmType>POWER_UP</ns:AlarmType><ns:Enabled>false</ns:Enabled></ns:AlarmNotification>
      </ns:AlarmNotifications></ns:SetAlarmNotificationsRequestData></ns:SetAlarmNotificationsRequest>`,
    rest: { alarmNotifications: [{ alarmType: 'CLOCK_INVALID', enabled: true }, { alarmType: 'POWER_UP', enabled: false }] },
    data: { filters: [{ filter: 1, before: 4, after: 1 }] },
  },
  SET_CLOCK_CONFIGURATION: {
    soap: `<ns:SetClockConfigurationRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification><ns:SetClockConfigurationData>
      <ns:TimeZoneOffset>-60</ns:TimeZoneOffset><ns:DaylightSavingsBegin>FFFF03FE0702000000FFC400</ns:DaylightSavingsBegin><ns:DaylightSavingsEnd>FFFF0AFE0703000000FF8880</ns:DaylightSavingsEnd><ns:DaylightSavingsEnabled>true</ns:DaylightSavingsEnabled>
      </ns:SetClockConfigurationData></ns:SetClockConfigurationRequest>`,
    rest: { timeZoneOffset: -60, daylightSavingsBegin: 'FFFF03FE0702000000FFC400', daylightSavingsEnd: 'FFFF0AFE0703000000FF8880', daylightSavingsEnabled: true },
  },
  SET_RANDOMISATION_SETTINGS: {
    soap: `<ns:SetRandomisationSettingsRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification><ns:SetRandomisationSettingsData>
      <ns:directAttach>0</ns:directAttach><ns:randomisationStartWindow>5</ns:randomisationStartWindow><ns:multiplicationFactor>3</ns:multiplicationFactor><ns:numberOfRetries>1</ns:numberOfRetries>
      </ns:SetRandomisationSettingsData></ns:SetRandomisationSettingsRequest>`,
    rest: { directAttach: 0, randomisationStartWindow: 5, multiplicationFactor: 3, numberOfRetries: 1 },
  },
  SET_THD_CONFIGURATION: {
    soap: `<ns:SetThdConfigurationRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification><ns:SetThdConfigurationRequestData>
      <ns:MinDurationNormalToOver>60</ns:MinDurationNormalToOver><ns:MinDurationOverToNormal>120</ns:MinDurationOverToNormal><ns:TimeThreshold>3600</ns:TimeThreshold><ns:ValueHysteresis>2</ns:ValueHysteresis><ns:ValueThreshold>8</ns:ValueThreshold>
      </ns:SetThdConfigurationRequestData></ns:SetThdConfigurationRequest>`,
    rest: { minDurationNormalToOver: 60, minDurationOverToNormal: 120, timeThreshold: 3600, valueHysteresis: 2, valueThreshold: 8 },
  },
});

// Configuration object, special days, activity calendar
Object.assign(SAMPLES, {
  GET_CONFIGURATION_OBJECT: {
    soap: `<ns:GetConfigurationObjectRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification></ns:GetConfigurationObjectRequest>`,
    data: { gprsOperationMode: 'ALWAYS_ON', configurationFlags: [{ configurationFlagType: 'PO_ENABLE', enabled: true }, { configurationFlagType: 'DISCOVER_ON_OPEN_COVER', enabled: false }] },
  },
  SET_CONFIGURATION_OBJECT: {
    soap: `<ns:SetConfigurationObjectRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification><ns:SetConfigurationObjectRequestData><ns:ConfigurationObject>
      <ns:GprsOperationMode>TRIGGERED</ns:GprsOperationMode><ns:ConfigurationFlags><ns:ConfigurationFlag><ns:ConfigurationFlagType>PO_ENABLE</ns:ConfigurationFlagType><ns:Enabled>false</ns:Enabled></ns:ConfigurationFlag></ns:ConfigurationFlags>
      </ns:ConfigurationObject></ns:SetConfigurationObjectRequestData></ns:SetConfigurationObjectRequest>`,
    rest: { gprsOperationMode: 'TRIGGERED', configurationFlags: [{ configurationFlagType: 'PO_ENABLE', enabled: false }] },
  },
  SET_SPECIAL_DAYS: {
    soap: `<ns:SetSpecialDaysRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification><ns:SpecialDaysRequestData>
      <ns:SpecialDays><ns:specialDayDate>07EA0C19FF</ns:specialDayDate><ns:dayId>1</ns:dayId></ns:SpecialDays></ns:SpecialDaysRequestData></ns:SetSpecialDaysRequest>`,
    rest: { specialDays: [{ specialDayDate: '07EA0C19FF', dayId: 1 }] },
  },
  SET_ACTIVITY_CALENDAR: {
    soap: `<ns:SetActivityCalendarRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification><ns:ActivityCalendarData><ns:ActivityCalendar>
      <ns:CalendarName>Cal1</ns:CalendarName><ns:ActivatePassiveCalendarTime>FFFFFFFFFFFFFFFFFF8000FF</ns:ActivatePassiveCalendarTime>
      <ns:SeasonProfile><ns:Season><ns:SeasonProfileName>1</ns:SeasonProfileName><ns:SeasonStart>FFFF0101FF000000FF8000FF</ns:SeasonStart><ns:WeekProfile>
      <ns:WeekProfileName>1</ns:WeekProfileName>${['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'].map((d) => `<ns:${d}><ns:DayId>1</ns:DayId><ns:DaySchedule><ns:DayProfileAction><ns:StartTime>00000000</ns:StartTime><ns:ScriptSelector>1</ns:ScriptSelector></ns:DayProfileAction></ns:DaySchedule></ns:${d}>`).join('')}
      </ns:WeekProfile></ns:Season></ns:SeasonProfile></ns:ActivityCalendar></ns:ActivityCalendarData></ns:SetActivityCalendarRequest>`,
    rest: {
      calendarName: 'Cal1', activatePassiveCalendarTime: 'FFFFFFFFFFFFFFFFFF8000FF',
      seasons: [{ seasonProfileName: '1', seasonStart: 'FFFF0101FF000000FF8000FF', weekProfile: { weekProfileName: '1',
        ...Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, { dayId: 1, daySchedule: [{ startTime: '00000000', scriptSelector: 1 }] }])) } }],
    },
  },
  CONFIGURE_DEFINABLE_LOAD_PROFILE: {
    soap: `<ns:ConfigureDefinableLoadProfileRequest><ns:DeviceIdentification>${GATEWAY}</ns:DeviceIdentification><ns:DefinableLoadProfileConfigurationData>
      <ns:CaptureObjects><com:CaptureObject><com:ClassId>1</com:ClassId><com:LogicalName><com:a>0</com:a><com:b>0</com:b><com:c>96</com:c><com:d>7</com:d><com:e>21</com:e><com:f>255</com:f></com:LogicalName><com:AttributeIndex>2</com:AttributeIndex><com:DataIndex>0</com:DataIndex></com:CaptureObject></ns:CaptureObjects>
      <ns:CapturePeriod>300</ns:CapturePeriod></ns:DefinableLoadProfileConfigurationData></ns:ConfigureDefinableLoadProfileRequest>`,
    rest: { captureObjects: [{ classId: 1, obisCode: '0-0:96.7.21.255', attributeIndex: 2, dataIndex: 0 }], capturePeriod: 300 },
  },
});

function envelope(namespace: string, body: string, org = 'test-org'): string {
  return `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:com="http://www.opensmartgridplatform.org/schemas/common/2014/10" xmlns:ns="${namespace}">
  <soapenv:Header><com:OrganisationIdentification>${org}</com:OrganisationIdentification><com:UserName>tester</com:UserName><com:ApplicationName>catalogue-test</com:ApplicationName></soapenv:Header>
  <soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;
}

/** The service path segment of a WSDL (SmartMeteringAdhoc -> adhocService). */
const servicePath = (service: string) => `${service.replace(/^SmartMetering/, '').replace(/^./, (c) => c.toLowerCase())}Service`;

const { app: soap, platform: soapPlatform } = await soapApp({ validateResponses: true });
const restPlatform = new FakePlatform();
const rest = Fastify();
installTestSecurity(rest);
await rest.register(restOperationsPlugin, { platform: restPlatform });
await rest.ready();
after(async () => {
  await soap.close();
  await rest.close();
});
const openapi = (await rest.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, { operationId: string }>> };
const wsdl = wsdlOperations();
const wsdlOp = (service: string, name: string) => wsdl.find((o) => o.service === service && o.name === name);

test('every operation the platform executes has a sample here', () => {
  assert.deepEqual(DEVICE_OPERATIONS.map((o) => o.messageType).filter((t) => !SAMPLES[t]), []);
});

test('GXF has 108 SmartMetering operations in its 8 WSDLs', () => {
  assert.equal(wsdl.length, 108);
  assert.equal(new Set(wsdl.map((o) => o.service)).size, 8);
});

for (const op of DEVICE_OPERATIONS) {
  test(`${op.messageType}: SOAP ${op.soap.request} and its poll are GXF's operations, served with XSD-valid answers`, async () => {
    const sample = SAMPLES[op.messageType]!;
    if (op.soap.wsdlOperations) {
      const [request, pollName] = op.soap.wsdlOperations;
      // GXF's installation WSDL names the answer of DecoupleMbusDeviceAdministrative by an undeclared message
      // (DecoupleMbus…, where the element is DecoupleMBus…): compared without case.
      const w = wsdlOp(op.service, request);
      assert.deepEqual({ ...w, output: w?.output.toLowerCase() }, { service: op.service, name: request, input: op.soap.request, inputNamespace: SERVICE_NAMESPACE[op.service], output: op.soap.asyncResponse.toLowerCase() });
      assert.deepEqual(wsdlOp(op.service, pollName), { service: op.service, name: pollName, input: op.soap.asyncRequest, inputNamespace: SERVICE_NAMESPACE[op.service], output: op.soap.response });
    } else {
      // Bundle-only in GXF: its WSDLs list no operation for the request, its bundle schema has the action.
      assert.equal(wsdl.find((o) => o.input === op.soap.request), undefined);
      assert.ok(op.bundleAction && bundleActions().has(op.bundleAction));
    }
    // Bundleable when GXF's bundle schema has the action (named as the request, or GetActualMeterReadsRequest for
    // ActualMeterReadsRequest and the like).
    if (bundleActions().has(op.soap.request)) assert.equal(op.bundleAction, op.soap.request);
    if (op.bundleAction) assert.ok(bundleActions().has(op.bundleAction), op.bundleAction);

    const request_ = envelope(SERVICE_NAMESPACE[op.service], sample.soap);
    assert.deepEqual(validateEnvelopeXml(request_), [], 'the sample request is valid against GXF\'s XSD');
    const accepted = await post(soap, request_, servicePath(op.service));
    assert.equal(accepted.status, 200, accepted.body);
    assert.match(accepted.body, new RegExp(`<ns:${op.soap.asyncResponse} `));
    const submitted = soapPlatform.last();
    assert.equal(submitted.messageType, op.messageType);
    assert.equal(op.payload.safeParse(submitted.payload).success, true, 'the SOAP payload fits the operation\'s schema');

    soapPlatform.complete(submitted.correlationUid, 'OK', sample.data === undefined ? {} : { data: sample.data });
    const poll = envelope(SERVICE_NAMESPACE[op.service], `<ns:${op.soap.asyncRequest}><com:DeviceIdentification>${submitted.deviceIdentification}</com:DeviceIdentification><com:CorrelationUid>${submitted.correlationUid}</com:CorrelationUid></ns:${op.soap.asyncRequest}>`);
    const answered = await post(soap, poll, servicePath(op.service));
    assert.equal(answered.status, 200, answered.body);
    assert.match(answered.body, new RegExp(`<ns:${op.soap.response} `));
  });

  test(`${op.messageType}: REST POST /api/v1${op.rest.url} and /openapi.json`, async () => {
    const url = `/api/v1${op.rest.url}`.replace(':deviceIdentification', GATEWAY).replace(':channel', '1');
    const res = await rest.inject({
      method: 'POST', url, headers: { 'content-type': 'application/json', ...bearer('test-org') }, payload: SAMPLES[op.messageType]!.rest ?? {},
    });
    assert.equal(res.statusCode, 202, res.body);
    assert.equal(restPlatform.last().messageType, op.messageType);
    assert.equal(op.payload.safeParse(restPlatform.last().payload).success, true, 'the REST payload fits the operation\'s schema');
    const path = `/api/v1${op.rest.url}`.replace(/:([A-Za-z]+)/g, '{$1}');
    assert.equal(openapi.paths[path]?.post?.operationId, op.rest.operationId);
  });
}

test('pushed-alarm reads and DeleteResponseData are GXF\'s operations, served on SOAP and REST', async () => {
  for (const op of CATALOGUE) {
    if (op.kind === 'device') continue;
    const w = wsdlOp(op.service, op.soap.wsdlOperation);
    assert.equal(w?.input, op.soap.request);
    assert.equal(w?.output, op.soap.response);
    const [method, path] = op.kind === 'sync' ? ['GET', `/api/v1${op.rest.url}`] : op.restRoute.split(' ') as [string, string];
    assert.ok(openapi.paths[path.replace(/:([A-Za-z]+)/g, '{$1}')]?.[method.toLowerCase()], `${method} ${path}`);
  }
  const alarm = { alarms: ['REPLACE_BATTERY'], unknownBits: [], decodedMessage: 'DSMR4 alarm', encodedMessage: '0A0B' };
  soapPlatform.storeAlarm('a'.repeat(32), 'test-org', GATEWAY, alarm);
  for (const op of CATALOGUE) {
    if (op.kind !== 'read') continue;
    const ns = SERVICE_NAMESPACE[op.service];
    const uid = op.soap.correlationUid === 'common' ? `<com:CorrelationUid>${'a'.repeat(32)}</com:CorrelationUid>` : `<ns:CorrelationUid>${'a'.repeat(32)}</ns:CorrelationUid>`;
    const device = op.soap.correlationUid === 'common' ? `<com:DeviceIdentification>${GATEWAY}</com:DeviceIdentification>` : '';
    const req = envelope(ns, `<ns:${op.soap.request}>${device}${uid}</ns:${op.soap.request}>`);
    assert.deepEqual(validateEnvelopeXml(req), [], op.soap.request);
    const r = await post(soap, req, servicePath(op.service));
    assert.equal(r.status, 200, r.body);
    assert.match(r.body, new RegExp(`<ns:${op.soap.response} `));
  }
  const del = CATALOGUE.find((o) => o.kind === 'responseData')!;
  const r = await post(soap, envelope(SERVICE_NAMESPACE[del.service], `<ns:${del.soap.request}><ns:correlationUid>${'a'.repeat(32)}</ns:correlationUid></ns:${del.soap.request}>`), servicePath(del.service));
  assert.equal(r.status, 200, r.body);
  assert.match(r.body, new RegExp(`<ns:${del.soap.response} `));
});

test('every other operation of GXF\'s WSDLs is answered with GXF\'s 407 fault', async () => {
  const served = new Set(CATALOGUE.flatMap((o) => (o.kind === 'device' ? (o.soap.wsdlOperations ? [o.soap.request, o.soap.asyncRequest] : []) : [o.soap.request])));
  const others = wsdl.filter((o) => !served.has(o.input));
  assert.equal(others.length + served.size, 108);
  for (const o of others) {
    const r = await post(soap, envelope(o.inputNamespace, `<ns:${o.input}/>`), servicePath(o.service));
    assert.equal(r.status, 500, `${o.name}: ${r.body}`);
    assert.equal(r.text('/s:Envelope/s:Body/s:Fault/faultcode'), 'SOAP-ENV:Server', `${o.name}: ${r.body}`);
    assert.equal(r.text('/s:Envelope/s:Body/s:Fault/detail/c:FunctionalFault/c:Code'), '407', o.name);
    assert.equal(r.text('/s:Envelope/s:Body/s:Fault/detail/c:FunctionalFault/c:Message'), 'UNSUPPORTED_DEVICE_ACTION', o.name);
    assert.deepEqual(validateEnvelopeXml(r.body), [], o.name);
  }
});

test('the authorisation mapping is the catalogue\'s: OWNER holds every function, each function group its own', () => {
  const rows = deviceFunctionMapping();
  for (const op of DEVICE_OPERATIONS) {
    assert.ok(rows.some((r) => r.functionGroup === 'OWNER' && r.deviceFunction === op.messageType));
    assert.ok(rows.some((r) => r.functionGroup === op.functionGroup && r.deviceFunction === op.messageType));
  }
  assert.deepEqual(rows.filter((r) => r.functionGroup !== 'OWNER'), [
    { functionGroup: 'INSTALLATION', deviceFunction: 'ADD_METER' },
    ...['ENABLE_DEBUGGING', 'DISABLE_DEBUGGING', 'GET_MESSAGES', 'SET_DEVICE_COMMUNICATION_SETTINGS', 'UPDATE_PROTOCOL'].map((deviceFunction) => ({ functionGroup: 'MANAGEMENT', deviceFunction })),
  ]);
});

test('meterfabric operations lists every catalogue entry first, then GXF\'s other requests as not implemented', () => {
  const rows = operationRows();
  assert.equal(rows.filter((r) => r.implemented).length, CATALOGUE.length);
  for (const r of rows) assert.deepEqual(Object.keys(r).sort(), ['bundleable', 'functionGroup', 'implemented', 'messageType', 'restRoute', 'service', 'soapRequest']);
  const sync = rows.find((r) => r.messageType === 'SYNCHRONIZE_TIME');
  assert.deepEqual(sync, { messageType: 'SYNCHRONIZE_TIME', service: 'SmartMeteringAdhoc', soapRequest: 'SynchronizeTimeRequest', restRoute: 'POST /api/v1/devices/:deviceIdentification/clock/synchronize', functionGroup: 'OWNER', implemented: true, bundleable: true });
  const notYet = rows.find((r) => r.soapRequest === 'SendNotificationRequest');
  assert.deepEqual(notYet, { messageType: null, service: 'SmartMeteringNotification', soapRequest: 'SendNotificationRequest', restRoute: null, functionGroup: null, implemented: false, bundleable: false });
  // A poll is listed with its request; GetSystemEvent is GXF's one poll without a request of its own.
  assert.deepEqual(rows.filter((r) => r.soapRequest.endsWith('AsyncRequest') && !r.implemented).map((r) => r.soapRequest), ['GetSystemEventAsyncRequest']);
  // GXF's 57 requests, and the requests GXF declares for bundles only (GetActualPowerQuality).
  assert.equal(rows.length, 57 + CATALOGUE.filter((o) => o.kind === 'device' && !o.soap.wsdlOperations).length);
  assert.equal(ENDPOINT, '/osgp-adapter-ws-smartmetering/smartMetering');
});
