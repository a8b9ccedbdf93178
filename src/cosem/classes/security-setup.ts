/** Class 64 "Security setup", versions 0 and 1 (docs/dlms.md#global-key-transfer-class-64: method 2 global_key_transfer). */
import { type AttributeDef, type MethodDef, defineClass, LOGICAL_NAME } from '../model.ts';

const attributesV0 = [
  LOGICAL_NAME,
  { id: 2, name: 'security_policy', type: 'enum', access: 'read-write' },
  { id: 3, name: 'security_suite', type: 'enum', access: 'read' },
  { id: 4, name: 'client_system_title', type: 'octet-string', access: 'read' },
  { id: 5, name: 'server_system_title', type: 'octet-string', access: 'read' },
] as const satisfies readonly AttributeDef[];

const methodsV0 = [
  { id: 1, name: 'security_activate', parameter: 'enum' },
  {
    id: 2,
    name: 'global_key_transfer',
    parameter: 'array',
    description: 'array of structure{key_id enum, key_wrapped octet-string(24)}; RFC 3394 under the master key',
  },
] as const satisfies readonly MethodDef[];

export const SecuritySetupClass = defineClass({ classId: 64, version: 0, name: 'security_setup', attributes: attributesV0, methods: methodsV0 });

export const SecuritySetupClassV1 = defineClass({
  classId: 64,
  version: 1,
  name: 'security_setup',
  attributes: [...attributesV0, { id: 6, name: 'certificates', type: 'array', access: 'read' }],
  methods: [
    ...methodsV0,
    { id: 3, name: 'key_agreement', parameter: 'array', optional: true },
    { id: 4, name: 'generate_key_pair', parameter: 'enum', optional: true },
    { id: 5, name: 'generate_certificate_request', parameter: 'enum', returns: 'octet-string', optional: true },
    { id: 6, name: 'import_certificate', parameter: 'octet-string', optional: true },
    { id: 7, name: 'export_certificate', parameter: 'structure', returns: 'octet-string', optional: true },
    { id: 8, name: 'remove_certificate', parameter: 'structure', optional: true },
  ],
});

/** key_id values of global_key_transfer (docs/dlms.md#global-key-transfer-class-64). */
export { GlobalKeyId } from '../../dlms/security/global-key-transfer.ts';
