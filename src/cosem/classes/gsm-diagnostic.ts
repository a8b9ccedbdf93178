/**
 * Class 47 "GSM diagnostic", version 2 (IEC 62056-6-2; DLMS UA Blue Book, "GSM diagnostic"): the modem's view of
 * the mobile network. Version 2 carries cell_ID as double-long-unsigned and MCC, MNC and channel in cell_info.
 * SMR 5 meters expose one object per communication method (docs/gxf.md#device-management).
 */
import { defineClass, LOGICAL_NAME } from '../model.ts';

export const GsmDiagnosticClass = defineClass({
  classId: 47,
  version: 2,
  name: 'gsm_diagnostic',
  attributes: [
    LOGICAL_NAME,
    { id: 2, name: 'operator', type: 'visible-string', access: 'read' },
    { id: 3, name: 'status', type: 'enum', access: 'read', description: 'modem registration status 0..5 (6..255 reserved)' },
    { id: 4, name: 'cs_attachment', type: 'enum', access: 'read', description: 'circuit switched status 0..2' },
    { id: 5, name: 'ps_status', type: 'enum', access: 'read', description: 'packet switched status 0..8' },
    {
      id: 6, name: 'cell_info', type: 'structure', access: 'read',
      description: 'structure{cell_ID double-long-unsigned, location_ID long-unsigned, signal_quality unsigned, ber unsigned, mcc long-unsigned, mnc long-unsigned, channel_number double-long-unsigned}',
    },
    { id: 7, name: 'adjacent_cells', type: 'array', access: 'read', description: 'array of structure{cell_ID double-long-unsigned, signal_quality unsigned}' },
    { id: 8, name: 'capture_time', type: 'octet-string', access: 'read', description: 'octet-string(12) COSEM date-time' },
  ],
  methods: [],
});
