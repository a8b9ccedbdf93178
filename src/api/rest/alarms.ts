/**
 * Reading stored push alarms for the REST API (docs/push.md#what-happens-to-an-alarm, #reading-a-stored-alarm). The platform's request API reads one
 * stored response by correlation id; listing a device's recent alarms needs this small read of response_data.
 * Alarms are stored for the device's OWNER organisation only, so the list is always the caller's own.
 */
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import type { Queryable } from '../../platform/db/db.ts';
import type { StoredResponse } from './platform-api.ts';

export const PUSH_NOTIFICATION_ALARM = 'PUSH_NOTIFICATION_ALARM';

export interface AlarmReader {
  /**
   * The organisation's most recent stored alarms of a device, newest first. Throws 201 when the device is
   * unknown and 301 when the organisation holds no authorisation on it.
   */
  listForDevice(organisationIdentification: string, deviceIdentification: string, limit: number): Promise<StoredResponse[]>;
}

interface Row {
  correlation_uid: string;
  organisation_identification: string;
  device_identification: string;
  message_type: string;
  result_type: StoredResponse['result'];
  message_data: { data?: unknown } | null;
  created_at: Date | string;
  device_known: boolean;
  authorised: boolean;
}

/** Reads from the platform's response_data table (read only; listing does not mark anything fetched). */
export function dbAlarmReader(db: Queryable): AlarmReader {
  return {
    async listForDevice(organisation, device, limit) {
      const check = await db.query<{ device_known: boolean; authorised: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM device WHERE device_identification = $1) AS device_known,
                EXISTS (SELECT 1 FROM device_authorisation WHERE device_identification = $1 AND organisation_identification = $2) AS authorised`,
        [device, organisation],
      );
      const c = check.rows[0];
      if (!c?.device_known) throw new MeterfabricError(ErrorCode.UNKNOWN_DEVICE, `Device ${device} is unknown`, { component: 'WS_SMART_METERING' });
      if (!c.authorised) {
        throw new MeterfabricError(ErrorCode.UNAUTHORIZED, `Organisation ${organisation} is not authorised for device ${device}`, { component: 'WS_SMART_METERING' });
      }
      const r = await db.query<Row>(
        `SELECT correlation_uid, organisation_identification, device_identification, message_type, result_type, message_data, created_at
           FROM response_data
          WHERE device_identification = $1 AND organisation_identification = $2 AND message_type = $3
          ORDER BY created_at DESC, correlation_uid LIMIT $4`,
        [device, organisation, PUSH_NOTIFICATION_ALARM, limit],
      );
      return r.rows.map((row) => ({
        correlationUid: row.correlation_uid,
        organisationIdentification: row.organisation_identification,
        deviceIdentification: row.device_identification,
        messageType: row.message_type,
        result: row.result_type,
        ...(row.message_data?.data === undefined ? {} : { data: row.message_data.data }),
        createdAt: new Date(row.created_at),
      }));
    },
  };
}
