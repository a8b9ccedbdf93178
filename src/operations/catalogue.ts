/**
 * The operation catalogue: every operation meterfabric serves, one file each, listed once here. The SOAP
 * endpoints, the REST routes and /openapi.json, the authorisation mapping, the console's actions, the platform's
 * executors and `meterfabric operations` are derived from this list; nothing else enumerates operations.
 * Adding an operation: one file under src/operations/<service>/ and one line below (src/README.md).
 */
import type { CatalogueEntry, DeviceOperation, FunctionGroup, SyncOperation } from './define.ts';
import addDevice from './installation/add-device.ts';
import coupleMbusDevice from './installation/couple-mbus-device.ts';
import decoupleMbusDevice from './installation/decouple-mbus-device.ts';
import coupleMbusDeviceByChannel from './installation/couple-mbus-device-by-channel.ts';
import decoupleMbusDeviceByChannel from './installation/decouple-mbus-device-by-channel.ts';
import setMbusUserKeyByChannel from './configuration/set-mbus-user-key-by-channel.ts';
import setKeyOnGMeter from './configuration/set-key-on-g-meter.ts';
import getMbusEncryptionKeyStatus from './configuration/get-mbus-encryption-key-status.ts';
import getMbusEncryptionKeyStatusByChannel from './configuration/get-mbus-encryption-key-status-by-channel.ts';
import getPushNotificationAlarm from './configuration/get-push-notification-alarm.ts';
import replaceKeys from './configuration/replace-keys.ts';
import generateAndReplaceKeys from './configuration/generate-and-replace-keys.ts';
import getKeys from './configuration/get-keys.ts';
import getFirmwareVersion from './configuration/get-firmware-version.ts';
import getFirmwareVersionGas from './configuration/get-firmware-version-gas.ts';
import updateFirmware from './configuration/update-firmware.ts';
import scanMbusChannels from './adhoc/scan-mbus-channels.ts';
import synchronizeTime from './adhoc/synchronize-time.ts';
import getAssociationLnObjects from './adhoc/get-association-ln-objects.ts';
import getActualMeterReads from './monitoring/get-actual-meter-reads.ts';
import getActualMeterReadsGas from './monitoring/get-actual-meter-reads-gas.ts';
import getPeriodicMeterReads from './monitoring/get-periodic-meter-reads.ts';
import getPeriodicMeterReadsGas from './monitoring/get-periodic-meter-reads-gas.ts';
import retrievePushNotificationAlarm from './monitoring/retrieve-push-notification-alarm.ts';
import deleteResponseData from './common/delete-response-data.ts';
import findEvents from './monitoring/find-events.ts';
import readAlarmRegister from './monitoring/read-alarm-register.ts';
import clearAlarmRegister from './monitoring/clear-alarm-register.ts';
import getSpecificAttributeValue from './adhoc/get-specific-attribute-value.ts';
import getAllAttributeValues from './adhoc/get-all-attribute-values.ts';
import decoupleMbusDeviceAdministrative from './installation/decouple-mbus-device-administrative.ts';
import getDevices from './management/get-devices.ts';
import enableDebugging from './management/enable-debugging.ts';
import disableDebugging from './management/disable-debugging.ts';
import findMessageLogs from './management/find-message-logs.ts';
import setDeviceCommunicationSettings from './management/set-device-communication-settings.ts';
import updateProtocol from './management/update-protocol.ts';
import setDeviceLifecycleStatusByChannel from './management/set-device-lifecycle-status-by-channel.ts';
import getGsmDiagnostic from './management/get-gsm-diagnostic.ts';
import getActualPowerQuality from './monitoring/get-actual-power-quality.ts';
import getPowerQualityProfile from './monitoring/get-power-quality-profile.ts';
import getAdministrativeStatus from './configuration/get-administrative-status.ts';
import setAdministrativeStatus from './configuration/set-administrative-status.ts';
import setPushSetupAlarm from './configuration/set-push-setup-alarm.ts';
import setPushSetupSms from './configuration/set-push-setup-sms.ts';
import setPushSetupLastGasp from './configuration/set-push-setup-last-gasp.ts';
import setPushSetupUdp from './configuration/set-push-setup-udp.ts';
import setAlarmNotifications from './configuration/set-alarm-notifications.ts';
import setClockConfiguration from './configuration/set-clock-configuration.ts';
import setRandomisationSettings from './configuration/set-randomisation-settings.ts';
import setThdConfiguration from './configuration/set-thd-configuration.ts';
import clearMbusStatusOnAllChannels from './management/clear-mbus-status-on-all-channels.ts';
import getConfigurationObject from './configuration/get-configuration-object.ts';
import setConfigurationObject from './configuration/set-configuration-object.ts';
import setSpecialDays from './configuration/set-special-days.ts';
import setActivityCalendar from './configuration/set-activity-calendar.ts';
import configureDefinableLoadProfile from './configuration/configure-definable-load-profile.ts';
import { bundleOperation } from './bundle/bundle.ts';

export const CATALOGUE: readonly CatalogueEntry[] = [
  addDevice,
  coupleMbusDevice,
  decoupleMbusDevice,
  coupleMbusDeviceByChannel,
  decoupleMbusDeviceByChannel,
  setMbusUserKeyByChannel,
  setKeyOnGMeter,
  replaceKeys,
  generateAndReplaceKeys,
  getKeys,
  getFirmwareVersion,
  getFirmwareVersionGas,
  updateFirmware,
  getMbusEncryptionKeyStatus,
  getMbusEncryptionKeyStatusByChannel,
  getPushNotificationAlarm,
  scanMbusChannels,
  synchronizeTime,
  getAssociationLnObjects,
  getActualMeterReads,
  getActualMeterReadsGas,
  getPeriodicMeterReads,
  getPeriodicMeterReadsGas,
  retrievePushNotificationAlarm,
  deleteResponseData,
  findEvents,
  readAlarmRegister,
  clearAlarmRegister,
  getSpecificAttributeValue,
  getAllAttributeValues,
  decoupleMbusDeviceAdministrative,
  getDevices,
  enableDebugging,
  disableDebugging,
  findMessageLogs,
  setDeviceCommunicationSettings,
  updateProtocol,
  setDeviceLifecycleStatusByChannel,
  getGsmDiagnostic,
  getActualPowerQuality,
  getPowerQualityProfile,
  getAdministrativeStatus,
  setAdministrativeStatus,
  setPushSetupAlarm,
  setPushSetupSms,
  setPushSetupLastGasp,
  setPushSetupUdp,
  setAlarmNotifications,
  setClockConfiguration,
  setRandomisationSettings,
  clearMbusStatusOnAllChannels,
  getConfigurationObject,
  setConfigurationObject,
  setSpecialDays,
  setActivityCalendar,
  configureDefinableLoadProfile,
  setThdConfiguration,
  // Bundle: runs the operations above that declare a bundleAction (./bundle/bundle.ts); keep it last.
  bundleOperation(() => DEVICE_OPERATIONS),
];

/** The synchronous reads of the platform's own data (GetDevices). */
export const SYNC_OPERATIONS: readonly SyncOperation[] = CATALOGUE.filter((e): e is SyncOperation => e.kind === 'sync');

/** The operations the platform queues and executes. */
export const DEVICE_OPERATIONS: readonly DeviceOperation<any, any>[] = CATALOGUE.filter((e): e is DeviceOperation<any, any> => e.kind === 'device'); // eslint-disable-line @typescript-eslint/no-explicit-any

/** The message types by name, for code that names one operation (MessageType.ADD_METER === 'ADD_METER'). */
export const MessageType: Readonly<Record<string, string>> = Object.freeze(Object.fromEntries(DEVICE_OPERATIONS.map((o) => [o.messageType, o.messageType])));

export function deviceOperation(messageType: string): DeviceOperation<any, any> | undefined { // eslint-disable-line @typescript-eslint/no-explicit-any
  return DEVICE_OPERATIONS.find((o) => o.messageType === messageType);
}

/**
 * GXF's device_function_mapping as the catalogue declares it (docs/gxf.md#device-functions): OWNER holds every
 * function, and each operation's function group holds its function.
 */
export function deviceFunctionMapping(): { functionGroup: FunctionGroup; deviceFunction: string }[] {
  const rows: { functionGroup: FunctionGroup; deviceFunction: string }[] = [];
  for (const o of DEVICE_OPERATIONS) {
    rows.push({ functionGroup: 'OWNER', deviceFunction: o.messageType });
    if (o.functionGroup !== 'OWNER') rows.push({ functionGroup: o.functionGroup, deviceFunction: o.messageType });
  }
  return rows;
}
