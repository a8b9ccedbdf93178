/**
 * Reading stored push alarms for the REST API (docs/push.md#what-happens-to-an-alarm, #reading-a-stored-alarm). The platform's request API reads one
 * stored response by correlation id; listing a device's recent alarms needs this small read of response_data.
 * Alarms are stored for the device's OWNER organisation only, so the list is always the caller's own.
 */
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import type { Queryable } from '../../platform/db/db.ts';
import { deviceAccess } from '../../platform/inventory.ts';
import { listDeviceResponses } from '../../platform/responses.ts';
import type { StoredResponse } from './platform-api.ts';

export const PUSH_NOTIFICATION_ALARM = 'PUSH_NOTIFICATION_ALARM';

export interface AlarmReader {
  /**
   * The organisation's most recent stored alarms of a device, newest first. Throws 201 when the device is
   * unknown and 301 when the organisation holds no authorisation on it.
   */
  listForDevice(organisationIdentification: string, deviceIdentification: string, limit: number): Promise<StoredResponse[]>;
}

/** Reads from the platform's response_data table (read only; listing does not mark anything fetched). */
export function dbAlarmReader(db: Queryable): AlarmReader {
  return {
    async listForDevice(organisation, device, limit) {
      const c = await deviceAccess(db, organisation, device);
      if (!c.deviceKnown) throw new MeterfabricError(ErrorCode.UNKNOWN_DEVICE, `Device ${device} is unknown`, { component: 'WS_SMART_METERING' });
      if (!c.authorised) {
        throw new MeterfabricError(ErrorCode.UNAUTHORIZED, `Organisation ${organisation} is not authorised for device ${device}`, { component: 'WS_SMART_METERING' });
      }
      const rows = await listDeviceResponses(db, organisation, device, PUSH_NOTIFICATION_ALARM, limit);
      return rows.map((row) => ({
        correlationUid: row.correlationUid,
        organisationIdentification: row.organisationIdentification,
        deviceIdentification: row.deviceIdentification,
        messageType: row.messageType,
        result: row.result,
        ...(row.messageData?.data === undefined ? {} : { data: row.messageData.data }),
        createdAt: row.createdAt,
      }));
    },
  };
}
