/** Class 11 "Special days table", version 0 (IEC 62056-6-2 / DLMS UA Blue Book 4.5.4). */
import { defineClass, LOGICAL_NAME } from '../model.ts';

export const SpecialDaysTableClass = defineClass({
  classId: 11,
  version: 0,
  name: 'special_days_table',
  attributes: [
    LOGICAL_NAME,
    { id: 2, name: 'entries', type: 'array', access: 'read-write', description: 'array of structure{index long-unsigned, specialday_date octet-string(5) date, day_id unsigned}' },
  ],
  methods: [
    { id: 1, name: 'insert', parameter: 'structure', description: 'one spec_day_entry; an entry with the same index or date is replaced' },
    { id: 2, name: 'delete', parameter: 'long-unsigned', description: 'the index of the entry to remove' },
  ],
});
