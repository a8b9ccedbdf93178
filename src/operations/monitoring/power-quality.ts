/**
 * What the power-quality operations share (docs/monitoring.md#power-quality): the profile type GXF takes as a free
 * string, the family of the gateway, and a value as GXF reports it (registers scaled exactly with their OsgpUnitType,
 * counters as whole numbers, date-times as instants).
 */
import { z } from 'zod';
import { pqFamily, type PqFamily, type PqProfileType } from '../../cosem/power-quality.ts';
import { decodeScalerUnit, decimalToString, osgpUnitName, registerRaw, scaleValue, type ScalerUnit } from '../../dlms/scaler-unit.ts';
import type { DlmsData } from '../../dlms/axdr.ts';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { el, IncompleteResultError, record } from '../../api/soap/mapping.ts';
import { protocolError } from './meter-reads.ts';

export const profileTypeSchema = z.enum(['PUBLIC', 'PRIVATE']);

/** GXF's ProfileType is an xsd:string: anything but PUBLIC or PRIVATE is refused as GXF refuses it. */
export function profileTypeOf(v: string, operation: string): PqProfileType {
  const t = v.trim();
  if (t === 'PUBLIC' || t === 'PRIVATE') return t;
  throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `${operation}: an unknown profileType was requested`, { component: 'WS_SMART_METERING', retryable: false });
}

export function familyOf(protocol: string): PqFamily {
  const f = pqFamily(protocol);
  if (!f) throw new MeterfabricError(ErrorCode.ILLEGAL_RESPONSE, `No power quality objects found for protocol ${protocol}`, { component: 'PROTOCOL_DLMS', retryable: false });
  return f;
}

/** One value: exactly one of the four (GXF's PowerQualityValue choice). */
export interface PqValue {
  stringValue?: string;
  dateValue?: string;
  floatValue?: string;
  longValue?: string;
}

/** A register value × 10^scaler as decimal text (GXF's BigDecimal), with its unit name. */
export function scaledRegister(d: DlmsData, su: ScalerUnit, what: string): { value: PqValue; unit: string } {
  let raw: bigint | null;
  try {
    raw = registerRaw(d, what);
  } catch (e) {
    throw protocolError(`${what}: ${(e as Error).message}`, e);
  }
  if (raw === null) return { value: {}, unit: osgpUnitName(su.unit) };
  return { value: { floatValue: decimalToString(scaleValue(raw, su.scaler)) }, unit: osgpUnitName(su.unit) };
}

export function scalerUnitOf(d: DlmsData, what: string): ScalerUnit {
  try {
    return decodeScalerUnit(d, `${what} scaler_unit`);
  } catch (e) {
    throw protocolError(`${what}: ${(e as Error).message}`, e);
  }
}

/** A number without scaler as GXF's LongValue; null-data → no value. */
export function longValue(d: DlmsData, what: string): PqValue {
  try {
    const raw = registerRaw(d, what);
    return raw === null ? {} : { longValue: raw.toString() };
  } catch (e) {
    throw protocolError(`${what}: ${(e as Error).message}`, e);
  }
}

const DECIMAL = /^-?\d+(\.\d+)?$/;
const LONG = /^-?\d+$/;

/** `<p:PowerQualityValue>` (or, for profile entries, `<common:ProfileEntryValue>`) children of one stored value. */
export function pqValueBody(v: unknown, p: string, what: string): string {
  const x = record(v, what);
  if (typeof x.dateValue === 'string' && !Number.isNaN(Date.parse(x.dateValue))) return el(`${p}:DateValue`, x.dateValue);
  if (typeof x.floatValue === 'string' && DECIMAL.test(x.floatValue)) return el(`${p}:FloatValue`, x.floatValue);
  if (typeof x.longValue === 'string' && LONG.test(x.longValue)) return el(`${p}:LongValue`, x.longValue);
  if (typeof x.stringValue === 'string') return el(`${p}:StringValue`, x.stringValue);
  if (Object.keys(x).length === 0) return '';
  throw new IncompleteResultError(what);
}
