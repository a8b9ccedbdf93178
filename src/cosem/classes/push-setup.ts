/** Class 40 "Push setup", version 0 (IEC 62056-6-2; docs/push.md). */
import { defineClass, LOGICAL_NAME } from '../model.ts';

export const PushSetupClass = defineClass({
  classId: 40,
  version: 0,
  name: 'push_setup',
  attributes: [
    LOGICAL_NAME,
    { id: 2, name: 'push_object_list', type: 'array', access: 'read-write', description: 'array of structure{class_id, logical_name, attribute_index, data_index}' },
    { id: 3, name: 'send_destination_and_method', type: 'structure', access: 'read-write', description: 'structure{transport_service enum, destination octet-string, message enum}' },
    { id: 4, name: 'communication_window', type: 'array', access: 'read-write', description: 'array of structure{start date-time, end date-time}' },
    { id: 5, name: 'randomisation_start_interval', type: 'long-unsigned', access: 'read-write' },
    { id: 6, name: 'number_of_retries', type: 'unsigned', access: 'read-write' },
    { id: 7, name: 'repetition_delay', type: 'long-unsigned', access: 'read-write' },
  ],
  methods: [{ id: 1, name: 'push', parameter: 'integer' }],
});
