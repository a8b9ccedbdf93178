/** Class 4 "Extended register", version 0 (IEC 62056-6-2). */
import { defineClass, LOGICAL_NAME } from '../model.ts';

export const ExtendedRegisterClass = defineClass({
  classId: 4,
  version: 0,
  name: 'extended_register',
  attributes: [
    LOGICAL_NAME,
    { id: 2, name: 'value', type: 'any', access: 'read-write' },
    { id: 3, name: 'scaler_unit', type: 'structure', access: 'read', description: 'structure{scaler integer, unit enum}' },
    { id: 4, name: 'status', type: 'any', access: 'read' },
    { id: 5, name: 'capture_time', type: 'octet-string', access: 'read', description: 'octet-string(12) COSEM date-time' },
  ],
  methods: [{ id: 1, name: 'reset', parameter: 'integer', optional: true, description: 'data: integer(0)' }],
});
