/** Class 7 "Profile generic", version 1 (IEC 62056-6-2). Buffer entries are decoded by src/dlms codecs, not here. */
import { defineClass, LOGICAL_NAME } from '../model.ts';

export const ProfileGenericClass = defineClass({
  classId: 7,
  version: 1,
  name: 'profile_generic',
  attributes: [
    LOGICAL_NAME,
    { id: 2, name: 'buffer', type: 'array', access: 'read', description: 'array of structure (one per entry); selective access by range or entry' },
    { id: 3, name: 'capture_objects', type: 'array', access: 'read-write', description: 'array of structure{class_id, logical_name, attribute_index, data_index}' },
    { id: 4, name: 'capture_period', type: 'double-long-unsigned', access: 'read-write', description: 'seconds, 0 = no automatic capture' },
    { id: 5, name: 'sort_method', type: 'enum', access: 'read' },
    { id: 6, name: 'sort_object', type: 'structure', access: 'read' },
    { id: 7, name: 'entries_in_use', type: 'double-long-unsigned', access: 'read' },
    { id: 8, name: 'profile_entries', type: 'double-long-unsigned', access: 'read' },
  ],
  methods: [
    { id: 1, name: 'reset', parameter: 'integer', optional: true },
    { id: 2, name: 'capture', parameter: 'integer', optional: true },
  ],
});
