/** Class 3 "Register", version 0. */
import { defineClass, LOGICAL_NAME } from '../model.ts';

export const RegisterClass = defineClass({
  classId: 3,
  version: 0,
  name: 'register',
  attributes: [
    LOGICAL_NAME,
    { id: 2, name: 'value', type: 'any', access: 'read-write' },
    { id: 3, name: 'scaler_unit', type: 'structure', access: 'read', description: 'structure{scaler integer, unit enum}' },
  ],
  methods: [{ id: 1, name: 'reset', parameter: 'integer', optional: true, description: 'data: integer(0)' }],
});
