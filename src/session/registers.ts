/**
 * Reads of registers (class 3 and class 4) and the clock in one go: value, scaler_unit and, for class 4, the capture
 * time, all in one get-request-with-list when the meter allows it (WithListMax), one GET each otherwise
 * (IEC 62056-5-3 GET service; attribute ids from the class declarations in src/cosem). Values stay as the meter
 * sent them; a non-success result for any attribute throws DATA_ACCESS_RESULT naming it.
 */
import type { DlmsData } from '../dlms/axdr.ts';
import type { Obis } from '../dlms/obis.ts';
import { ClockClass, ExtendedRegisterClass, RegisterClass, WellKnownObis, attributeOf, valueOf, type AttributeDef, type InterfaceClass } from '../cosem/index.ts';
import type { AttributeRef, DlmsSession } from './client.ts';
import { dataAccessError } from './client.ts';
import { illegalResponse } from './errors.ts';

export interface RegisterRef {
  /** register (class 3) or extended register (class 4, adds capture_time) */
  kind: 'register' | 'extended-register';
  obis: Obis;
}

export interface RegisterReading {
  /** Attribute 2 as sent (any integer type, or null-data). */
  value: DlmsData;
  /** Attribute 3 as sent. */
  scalerUnit: DlmsData;
  /** Attribute 5 of class 4 as sent. */
  captureTime?: DlmsData;
}

export interface MeterValues {
  /** Clock attribute 2, the 12-byte COSEM date-time, when asked for. */
  clock?: Buffer;
  registers: RegisterReading[];
}

interface Wanted {
  cls: InterfaceClass;
  obis: Obis;
  def: AttributeDef;
}

function want(cls: InterfaceClass, obis: Obis, name: string): Wanted {
  return { cls, obis, def: attributeOf(cls, name as never) as AttributeDef };
}

export async function readMeterValues(session: DlmsSession, request: { clock: boolean; registers: readonly RegisterRef[] }): Promise<MeterValues> {
  const wanted: Wanted[] = [];
  if (request.clock) wanted.push(want(ClockClass, WellKnownObis.CLOCK, 'time'));
  for (const r of request.registers) {
    const cls = r.kind === 'extended-register' ? ExtendedRegisterClass : RegisterClass;
    wanted.push(want(cls, r.obis, 'value'), want(cls, r.obis, 'scaler_unit'));
    if (r.kind === 'extended-register') wanted.push(want(cls, r.obis, 'capture_time'));
  }
  const refs: AttributeRef[] = wanted.map((w) => ({ classId: w.cls.classId, obis: w.obis, attributeId: w.def.id }));
  const results = await session.getMany(refs);
  if (results.length !== wanted.length) throw illegalResponse(`expected ${wanted.length} GET results, got ${results.length}`);
  const data = results.map((r, i) => {
    const w = wanted[i]!;
    const what = `GET ${w.cls.classId}/${w.obis.toString()}/${w.def.id}`;
    if (r.kind === 'error') throw dataAccessError(what, r.result);
    if (r.data.type !== 'null-data') {
      try {
        valueOf(w.def.type, r.data, `${w.cls.name} ${w.obis.toString()} ${w.def.name}`);
      } catch (e) {
        throw illegalResponse(`${what}: ${(e as Error).message}`, e);
      }
    }
    return r.data;
  });
  let i = 0;
  const out: MeterValues = { registers: [] };
  if (request.clock) {
    const c = data[i++]!;
    if (c.type !== 'octet-string' || c.value.length !== 12) throw illegalResponse(`clock time: expected an octet-string of 12 bytes, got ${c.type}`);
    out.clock = c.value;
  }
  for (const r of request.registers) {
    const reading: RegisterReading = { value: data[i++]!, scalerUnit: data[i++]! };
    if (r.kind === 'extended-register') reading.captureTime = data[i++]!;
    out.registers.push(reading);
  }
  return out;
}
