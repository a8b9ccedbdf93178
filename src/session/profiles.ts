/**
 * Profile generic (class 7) reads (IEC 62056-6-2 "Profile generic"; docs/dlms.md#profile-buffers): capture_objects
 * (attribute 3) when asked for, the buffer (attribute 2) with selective access (range or entry descriptor, the
 * access selection of IEC 62056-5-3 GET; block transfer when the meter sends it in blocks), and the scaler_unit of
 * the registers the caller will scale, in one get-request-with-list where the meter allows it. Values stay as the
 * meter sent them; a non-success result throws DATA_ACCESS_RESULT naming the attribute.
 */
import type { DlmsData } from '../dlms/axdr.ts';
import type { Obis } from '../dlms/obis.ts';
import { captureObjectsFromData, entryAccess, rangeAccess, type BufferSelection, type CaptureObjectDefinition } from '../dlms/selective-access.ts';
import { ExtendedRegisterClass, ProfileGenericClass, RegisterClass, attributeOf } from '../cosem/index.ts';
import { dataAccessError, type DlmsSession } from './client.ts';
import { illegalResponse } from './errors.ts';
import type { RegisterRef } from './registers.ts';

export interface ProfileReadRequest {
  obis: Obis;
  /** Range or entry descriptor; none = the whole buffer. */
  selection?: BufferSelection;
  /** Read capture_objects (attribute 3) before the buffer. */
  captureObjects?: boolean;
  /** Registers whose scaler_unit (attribute 3) to read after the buffer. */
  scalerUnits?: readonly RegisterRef[];
}

export interface ProfileRead {
  /** The meter's capture objects, when asked for. */
  captureObjects?: CaptureObjectDefinition[];
  /** Attribute 2 as the meter sent it (array of structure, one per entry). */
  buffer: DlmsData;
  /** Attribute 3 of each register asked for, as sent. */
  scalerUnits: DlmsData[];
}

const BUFFER = attributeOf(ProfileGenericClass, 'buffer').id;
const CAPTURE_OBJECTS = attributeOf(ProfileGenericClass, 'capture_objects').id;

export async function readProfile(session: DlmsSession, request: ProfileReadRequest): Promise<ProfileRead> {
  const out: ProfileRead = { buffer: { type: 'null-data' }, scalerUnits: [] };
  if (request.captureObjects) {
    const d = await session.get({ classId: ProfileGenericClass.classId, obis: request.obis, attributeId: CAPTURE_OBJECTS });
    try {
      out.captureObjects = captureObjectsFromData(d, `capture_objects of ${request.obis.toString()}`);
    } catch (e) {
      throw illegalResponse((e as Error).message, e);
    }
  }
  const sel = request.selection;
  const access = sel ? (sel.kind === 'range' ? rangeAccess(sel.range) : entryAccess(sel.entry)) : undefined;
  out.buffer = await session.get({ classId: ProfileGenericClass.classId, obis: request.obis, attributeId: BUFFER }, access);
  const regs = request.scalerUnits ?? [];
  if (regs.length > 0) {
    const refs = regs.map((r) => {
      const cls = r.kind === 'extended-register' ? ExtendedRegisterClass : RegisterClass;
      return { classId: cls.classId, obis: r.obis, attributeId: attributeOf(cls, 'scaler_unit').id };
    });
    const results = await session.getMany(refs);
    if (results.length !== refs.length) throw illegalResponse(`expected ${refs.length} GET results, got ${results.length}`);
    out.scalerUnits = results.map((r, i) => {
      if (r.kind === 'error') throw dataAccessError(`GET ${refs[i]!.classId}/${regs[i]!.obis.toString()}/${refs[i]!.attributeId}`, r.result);
      return r.data;
    });
  }
  return out;
}
