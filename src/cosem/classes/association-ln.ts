/**
 * Class 15 "Association LN", versions 0, 1 and 2 (docs/dlms.md#hls5-gmac: method 1 reply_to_HLS_authentication;
 * docs/dlms.md#object-list: attribute 2). Version 0 has no security_setup_reference; its object_list states method
 * access as a boolean where version 1+ uses an enum (./object-list.ts decodes both).
 */
import { type AttributeDef, type MethodDef, defineClass, LOGICAL_NAME } from '../model.ts';

const attributesV1 = [
  LOGICAL_NAME,
  { id: 2, name: 'object_list', type: 'array', access: 'read', description: 'array of object_list_element' },
  { id: 3, name: 'associated_partners_id', type: 'structure', access: 'read', description: 'structure{client_SAP integer, server_SAP long-unsigned}' },
  { id: 4, name: 'application_context_name', type: ['octet-string', 'structure'], access: 'read' },
  { id: 5, name: 'xDLMS_context_info', type: 'structure', access: 'read' },
  { id: 6, name: 'authentication_mechanism_name', type: ['octet-string', 'structure'], access: 'read' },
  { id: 7, name: 'secret', type: 'octet-string', access: 'write' },
  { id: 8, name: 'association_status', type: 'enum', access: 'read', description: '0 non-associated, 1 association-pending, 2 associated' },
  { id: 9, name: 'security_setup_reference', type: 'octet-string', access: 'read' },
] as const satisfies readonly AttributeDef[];

const methodsV1 = [
  { id: 1, name: 'reply_to_HLS_authentication', parameter: 'octet-string', returns: 'octet-string', description: 'f(StoC) in, f(CtoS) out' },
  { id: 2, name: 'change_HLS_secret', parameter: 'octet-string', optional: true },
  { id: 3, name: 'add_object', parameter: 'structure', optional: true },
  { id: 4, name: 'remove_object', parameter: 'structure', optional: true },
] as const satisfies readonly MethodDef[];

export const AssociationLnClassV0 = defineClass({
  classId: 15,
  version: 0,
  name: 'association_ln',
  attributes: attributesV1.filter((a) => a.id !== 9) as Exclude<(typeof attributesV1)[number], { id: 9 }>[],
  methods: methodsV1,
});

export const AssociationLnClass = defineClass({ classId: 15, version: 1, name: 'association_ln', attributes: attributesV1, methods: methodsV1 });

export const AssociationLnClassV2 = defineClass({
  classId: 15,
  version: 2,
  name: 'association_ln',
  attributes: [
    ...attributesV1,
    { id: 10, name: 'user_list', type: 'array', access: 'read' },
    { id: 11, name: 'current_user', type: 'structure', access: 'read' },
  ],
  methods: [
    ...methodsV1,
    { id: 5, name: 'add_user', parameter: 'structure', optional: true },
    { id: 6, name: 'remove_user', parameter: 'structure', optional: true },
  ],
});
