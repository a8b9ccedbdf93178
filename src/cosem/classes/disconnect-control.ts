/** Class 70 "Disconnect control", version 0 (IEC 62056-6-2). */
import { defineClass, LOGICAL_NAME } from '../model.ts';

export const DisconnectControlClass = defineClass({
  classId: 70,
  version: 0,
  name: 'disconnect_control',
  attributes: [
    LOGICAL_NAME,
    { id: 2, name: 'output_state', type: 'boolean', access: 'read' },
    { id: 3, name: 'control_state', type: 'enum', access: 'read', description: '0 disconnected, 1 connected, 2 ready_for_reconnection' },
    { id: 4, name: 'control_mode', type: 'enum', access: 'read-write' },
  ],
  methods: [
    { id: 1, name: 'remote_disconnect', parameter: 'integer' },
    { id: 2, name: 'remote_reconnect', parameter: 'integer' },
  ],
});
