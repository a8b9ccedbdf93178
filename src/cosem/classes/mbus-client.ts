/**
 * Class 72 "M-Bus client", versions 0 and 1 (docs/dlms.md#m-bus-client-class-72). GXF reads attribute 14 on version-0 gateways too
 * (DSMR 4.2.2), so attributes 13 and 14 are declared for both versions. Attributes 1-4 and 10-13 follow the
 * M-Bus client class of IEC 62056-6-2 (Blue Book); 5-9 and 14 and all methods are what GXF uses (docs/dlms.md#m-bus-client-class-72).
 */
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { type AttributeDef, type MethodDef, defineClass, LOGICAL_NAME } from '../model.ts';

const attributes = [
  LOGICAL_NAME,
  { id: 2, name: 'mbus_port_reference', type: 'octet-string', access: 'read' },
  { id: 3, name: 'capture_definition', type: 'array', access: 'read-write', description: 'array of structure{data_information_block, value_information_block}' },
  { id: 4, name: 'capture_period', type: 'double-long-unsigned', access: 'read-write' },
  { id: 5, name: 'primary_address', type: 'unsigned', access: 'read-write' },
  { id: 6, name: 'identification_number', type: 'double-long-unsigned', access: 'read-write', description: 'version 0: BCD; version 1: binary' },
  { id: 7, name: 'manufacturer_id', type: 'long-unsigned', access: 'read-write', description: '3 letters, 5 bits each' },
  { id: 8, name: 'version', type: 'unsigned', access: 'read-write' },
  { id: 9, name: 'device_type', type: 'unsigned', access: 'read-write', description: '3 = gas' },
  { id: 10, name: 'access_number', type: 'unsigned', access: 'read' },
  { id: 11, name: 'status', type: 'unsigned', access: 'read' },
  { id: 12, name: 'alarm', type: 'unsigned', access: 'read' },
  { id: 13, name: 'configuration', type: 'long-unsigned', access: 'read-write' },
  { id: 14, name: 'encryption_key_status', type: 'enum', access: 'read', description: 'EncryptionKeyStatus 0..4' },
] as const satisfies readonly AttributeDef[];

const methods = [
  { id: 1, name: 'slave_install', parameter: ['integer', 'unsigned'], optional: true },
  { id: 2, name: 'slave_deinstall', parameter: ['integer', 'unsigned'], description: 'GXF: integer(0), on type-unmatched unsigned(0)' },
  { id: 3, name: 'capture', parameter: ['integer', 'unsigned'], optional: true },
  { id: 4, name: 'reset_alarm', parameter: ['integer', 'unsigned'], optional: true },
  { id: 5, name: 'synchronize_clock', parameter: ['integer', 'unsigned'], optional: true },
  { id: 6, name: 'data_send', parameter: 'array', description: 'array of structure{DIB, VIB, data} (docs/dlms.md#data-send)' },
  { id: 7, name: 'set_encryption_key', parameter: 'octet-string', description: 'octet-string(16) plain key, empty = disable' },
  { id: 8, name: 'transfer_key', parameter: 'octet-string', description: 'octet-string(16) DSMR 4.2.2 or (30) SMR 5 blob' },
] as const satisfies readonly MethodDef[];

export const MbusClientClassV0 = defineClass({ classId: 72, version: 0, name: 'mbus_client', attributes, methods });
export const MbusClientClassV1 = defineClass({ classId: 72, version: 1, name: 'mbus_client', attributes, methods });

export function mbusClientClass(version: number): typeof MbusClientClassV0 {
  if (version === 0) return MbusClientClassV0;
  if (version === 1) return MbusClientClassV1;
  throw new MeterfabricError(ErrorCode.OPERATION_NOT_SUPPORTED_BY_PLATFORM_FOR_PROTOCOL, `M-Bus client class version ${version} is not declared`, { component: 'PROTOCOL_DLMS' });
}
