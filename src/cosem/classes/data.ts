/** Class 1 "Data", version 0. */
import { defineClass, LOGICAL_NAME } from '../model.ts';

export const DataClass = defineClass({
  classId: 1,
  version: 0,
  name: 'data',
  attributes: [LOGICAL_NAME, { id: 2, name: 'value', type: 'any', access: 'read-write' }],
  methods: [],
});
