/**
 * The tariff calendar objects of DSMR 4.2.2 and SMR 5.x (P3 companion standards, "Activity calendar" and "Special
 * days table"): class 11 at 0-0:11.0.0.255 and class 20 at 0-0:13.0.0.255, and the A-XDR values GXF writes to them
 * (OSGP/open-smart-grid-platform osgp-adapter-protocol-dlms SetSpecialDaysCommandExecutor and
 * SetActivityCalendarCommandExecutor; docs/gxf.md#special-days-and-activity-calendar).
 */
import { type DlmsData, Data } from '../dlms/axdr.ts';
import { Obis } from '../dlms/obis.ts';

export const SPECIAL_DAYS_TABLE_OBIS = Obis.parse('0-0:11.0.0.255');
export const ACTIVITY_CALENDAR_OBIS = Obis.parse('0-0:13.0.0.255');

export interface SpecialDay {
  /** COSEM date, 5 bytes (year high, year low, month, day of month, day of week). */
  date: Buffer;
  dayId: number;
}

/**
 * special_days_table entries (attribute 2): `structure{long-unsigned index, octet-string(5) date, unsigned day_id}`,
 * indexes 0, 1, 2, … in the given order (the Blue Book types specialday_date as an octet-string formatted as date).
 */
export function specialDaysEntries(days: readonly SpecialDay[]): DlmsData {
  return Data.array(days.map((d, i) => Data.structure([Data.longUnsigned(i), Data.octetString(d.date), Data.unsigned(d.dayId)])));
}
