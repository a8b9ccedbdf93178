/**
 * Event logs, alarm registers and single attributes as the monitoring operations read them (IEC 62056-5-3 GET with
 * selective access; docs/monitoring.md): an event log's buffer by a range on the clock's time, all columns (GXF
 * sends no column selection for event logs), decoded against the log's capture objects; raw GET and SET results
 * for the operations that report a meter's refusal themselves.
 */
import type { DlmsData } from '../dlms/axdr.ts';
import type { Obis } from '../dlms/obis.ts';
import type { GetDataResult } from '../dlms/apdu/index.ts';
import { rangeAccess, timeRange } from '../dlms/selective-access.ts';
import { decodeProfileBuffer, type ProfileEntry } from '../dlms/profile.ts';
import { CLOCK_TIME, ProfileGenericClass, attributeOf, type EventLogDefinition } from '../cosem/index.ts';
import { isMeterfabricError, ErrorCode } from '../errors.ts';
import type { AttributeRef, DlmsSession } from './client.ts';
import { dataAccessError } from './client.ts';
import { illegalResponse } from './errors.ts';

/**
 * GET attribute 2 of the log with range_descriptor {clock time, from, to (in `zone`), no selected values}; a
 * non-success result throws DATA_ACCESS_RESULT, a buffer that does not fit the log's columns ILLEGAL_RESPONSE.
 */
export async function readEventLog(session: DlmsSession, log: EventLogDefinition, window: { from: Date; to: Date; zone?: string }): Promise<ProfileEntry[]> {
  const buffer = attributeOf(ProfileGenericClass, 'buffer').id;
  const range = timeRange({ clockTime: CLOCK_TIME, from: window.from, to: window.to, zone: window.zone });
  const r = await session.getSelected({ classId: ProfileGenericClass.classId, obis: log.log.obis, attributeId: buffer }, rangeAccess(range));
  if (r.kind === 'error') throw dataAccessError(`GET ${ProfileGenericClass.classId}/${log.log.obis.toString()}/${buffer}`, r.result);
  try {
    return decodeProfileBuffer(r.data, log.columns);
  } catch (e) {
    if (isMeterfabricError(e) && e.code === ErrorCode.DECODE_ERROR) throw illegalResponse(`${log.category}: ${e.message}`, e);
    throw e;
  }
}

/** GET several attributes; each result as the meter sent it. */
export function getResults(session: DlmsSession, refs: { classId: number; obis: Obis; attributeId: number }[]): Promise<GetDataResult[]> {
  return session.getMany(refs as AttributeRef[]);
}

/** SET one attribute; the Data-Access-Result as the meter sent it (0 = success). */
export async function setResult(session: DlmsSession, ref: { classId: number; obis: Obis; attributeId: number }, value: DlmsData): Promise<number> {
  try {
    await session.set(ref, value);
    return 0;
  } catch (e) {
    const result = isMeterfabricError(e) && e.code === ErrorCode.DATA_ACCESS_RESULT ? (e.details as { result?: number } | undefined)?.result : undefined;
    if (typeof result === 'number') return result;
    throw e;
  }
}
