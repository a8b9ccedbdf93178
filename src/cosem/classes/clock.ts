/** Class 8 "Clock", version 0. */
import { defineClass, LOGICAL_NAME } from '../model.ts';

export const ClockClass = defineClass({
  classId: 8,
  version: 0,
  name: 'clock',
  attributes: [
    LOGICAL_NAME,
    { id: 2, name: 'time', type: 'octet-string', access: 'read-write', description: 'octet-string(12) COSEM date-time' },
    { id: 3, name: 'time_zone', type: 'long', access: 'read-write', description: 'minutes, local = UTC - deviation' },
    { id: 4, name: 'status', type: 'unsigned', access: 'read' },
    { id: 5, name: 'daylight_savings_begin', type: 'octet-string', access: 'read-write', description: 'octet-string(12) COSEM date-time' },
    { id: 6, name: 'daylight_savings_end', type: 'octet-string', access: 'read-write', description: 'octet-string(12) COSEM date-time' },
    { id: 7, name: 'daylight_savings_deviation', type: 'integer', access: 'read-write' },
    { id: 8, name: 'daylight_savings_enabled', type: 'boolean', access: 'read-write' },
    { id: 9, name: 'clock_base', type: 'enum', access: 'read' },
  ],
  methods: [
    { id: 1, name: 'adjust_to_quarter', parameter: 'integer', optional: true },
    { id: 2, name: 'adjust_to_measuring_period', parameter: 'integer', optional: true },
    { id: 3, name: 'adjust_to_minute', parameter: 'integer', optional: true },
    { id: 4, name: 'adjust_to_preset_time', parameter: 'integer', optional: true },
    { id: 5, name: 'preset_adjusting_time', parameter: 'structure', optional: true },
    { id: 6, name: 'shift_time', parameter: 'long', optional: true, description: 'seconds, -900..900' },
  ],
});
