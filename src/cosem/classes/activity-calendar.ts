/** Class 20 "Activity calendar", version 0 (IEC 62056-6-2 / DLMS UA Blue Book 4.5.5). */
import { defineClass, LOGICAL_NAME } from '../model.ts';

const SEASONS = 'array of structure{season_profile_name octet-string, season_start octet-string(12) date-time, week_name octet-string}';
const WEEKS = 'array of structure{week_profile_name octet-string, monday..sunday unsigned day_id}';
const DAYS = 'array of structure{day_id unsigned, day_schedule array of structure{start_time octet-string(4) time, script_logical_name octet-string(6), script_selector long-unsigned}}';

export const ActivityCalendarClass = defineClass({
  classId: 20,
  version: 0,
  name: 'activity_calendar',
  attributes: [
    LOGICAL_NAME,
    { id: 2, name: 'calendar_name_active', type: 'octet-string', access: 'read' },
    { id: 3, name: 'season_profile_active', type: 'array', access: 'read', description: SEASONS },
    { id: 4, name: 'week_profile_table_active', type: 'array', access: 'read', description: WEEKS },
    { id: 5, name: 'day_profile_table_active', type: 'array', access: 'read', description: DAYS },
    { id: 6, name: 'calendar_name_passive', type: 'octet-string', access: 'read-write' },
    { id: 7, name: 'season_profile_passive', type: 'array', access: 'read-write', description: SEASONS },
    { id: 8, name: 'week_profile_table_passive', type: 'array', access: 'read-write', description: WEEKS },
    { id: 9, name: 'day_profile_table_passive', type: 'array', access: 'read-write', description: DAYS },
    { id: 10, name: 'activate_passive_calendar_time', type: 'octet-string', access: 'read-write', description: 'octet-string(12) date-time' },
  ],
  methods: [
    { id: 1, name: 'activate_passive_calendar', parameter: 'integer', description: 'integer(0): the passive calendar becomes the active one now' },
  ],
});
