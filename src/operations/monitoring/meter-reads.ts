/**
 * What the actual-read operations share: a register read as GXF reports it (value × 10^scaler exactly, Wh as KWH,
 * m³ as M3, docs/dlms.md#scaler-unit), date-times as instants, and the SOAP MeterValue element
 * (monitoring-ws-smartmetering.xsd: decimal text with a required `unit` attribute).
 */
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { decodeScalerUnit, decimalToString, meterReadValue, registerRaw } from '../../dlms/scaler-unit.ts';
import { dateTimeFromData } from '../../dlms/date-time.ts';
import type { DlmsData } from '../../dlms/axdr.ts';
import type { RegisterReading } from '../../adapters/ports.ts';
import { el, IncompleteResultError, record } from '../../api/soap/mapping.ts';
import { escapeXml } from '../../api/soap/xml.ts';

/** A meter read in GXF's terms: decimal text and OsgpUnitType name. */
export interface MeterValue {
  value: string;
  unit: string;
}

export function protocolError(message: string, cause?: unknown): MeterfabricError {
  return new MeterfabricError(ErrorCode.ILLEGAL_RESPONSE, message, { component: 'PROTOCOL_DLMS', retryable: false, ...(cause ? { cause } : {}) });
}

/** value and scaler_unit of a register, converted once (null value or an unsupported unit: ILLEGAL_RESPONSE). */
export function meterValue(reading: RegisterReading, what: string): MeterValue {
  try {
    const raw = registerRaw(reading.value, what);
    if (raw === null) throw protocolError(`${what}: the meter sent no value`);
    const v = meterReadValue(raw, decodeScalerUnit(reading.scalerUnit, `${what} scaler_unit`));
    return { value: decimalToString(v.value), unit: v.unit };
  } catch (e) {
    if (e instanceof MeterfabricError && e.code === ErrorCode.ILLEGAL_RESPONSE) throw e;
    throw protocolError(`${what}: ${(e as Error).message}`, e);
  }
}

/** A COSEM date-time (octet-string(12)) as an ISO instant; unspecified → ILLEGAL_RESPONSE with `unspecified`. */
export function instantOf(d: DlmsData, what: string, unspecified: string): string {
  let instant: Date | null;
  try {
    instant = dateTimeFromData(d, what)?.instant ?? null;
  } catch (e) {
    throw protocolError(`${what}: ${(e as Error).message}`, e);
  }
  if (!instant) throw protocolError(unspecified);
  return instant.toISOString();
}

const DECIMAL = /^\d+(\.\d+)?$/;
const UNIT = /^[A-Z][A-Z0-9_]*$/;

/** `<p:Name unit="KWH">10.001</p:Name>` from a stored MeterValue. */
export function meterValueElement(qname: string, v: unknown): string {
  const m = record(v, qname);
  if (typeof m.value !== 'string' || !DECIMAL.test(m.value) || typeof m.unit !== 'string' || !UNIT.test(m.unit)) throw new IncompleteResultError(qname);
  return `<${qname} unit="${escapeXml(m.unit)}">${escapeXml(m.value)}</${qname}>`;
}

export function dateTimeElement(qname: string, v: unknown): string {
  if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) throw new IncompleteResultError(qname);
  return el(qname, v);
}
