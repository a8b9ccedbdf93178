/**
 * What GetPeriodicMeterReads and GetPeriodicMeterReadsGas share (docs/gxf.md#periodic-meter-reads): one read of a
 * load profile (class 7) with a range descriptor on the clock's time, the way GXF reads it
 * (AbstractPeriodicMeterReadsCommandExecutor, GetPeriodicMeterReadsCommandExecutor and
 * GetPeriodicMeterReadsGasCommandExecutor in OSGP/open-smart-grid-platform osgp/protocol-adapter-dlms):
 *
 * * from/to are sent as date-times in the device's time zone (SynchronizeTime records it; none = UTC);
 * * the time range is always sent. A device that selects columns (GXF's selective_access_periodic_meter_reads_supported,
 *   default true) gets the columns the read needs, or none when that is every column; a device that does not gets
 *   no column list: meterfabric then reads the meter's capture_objects first and picks its columns from them
 *   (GXF picks by position from its configuration);
 * * the scaler_unit of every captured register is read from the meter (one get-request-with-list where allowed,
 *   where GXF sends one GET each);
 * * an entry with a null-data clock gets the previous entry's time + one capture period (15 minutes, an hour, a
 *   calendar day, a calendar month in the device's zone); entries before the first real time are dropped, and so are
 *   entries whose time lies outside [from, to];
 * * the AMR profile status column becomes GXF's flag names, one per set bit.
 */
import { z } from 'zod';
import type { DlmsData } from '../../dlms/axdr.ts';
import { columnPositions, returnedColumns, selectedValuesFor, timeRange } from '../../dlms/selective-access.ts';
import { captureStep, decodeProfileBuffer, fillTimestamps, type ProfileEntry } from '../../dlms/profile.ts';
import { dateTimeFromData } from '../../dlms/date-time.ts';
import { decimalToString, decodeScalerUnit, meterReadValue, registerRaw, type ScalerUnit } from '../../dlms/scaler-unit.ts';
import { CLOCK_TIME, ExtendedRegisterClass, type PeriodType, type ProfileColumn, type ProfileDefinition } from '../../cosem/index.ts';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import type { GatewayLink, RegisterRef } from '../../adapters/ports.ts';
import type { XmlElement } from 'libxml2-wasm';
import { el, IncompleteResultError, record, sub, text } from '../../api/soap/mapping.ts';
import { requestOptions } from '../../api/rest/schemas.ts';
import { dateTimeElement, meterValueElement, protocolError, type MeterValue } from './meter-reads.ts';

export const periodType = z.enum(['DAILY', 'MONTHLY', 'INTERVAL']);

/** The stored payload of a periodic read. */
export const periodicPayload = z.object({ periodType, beginDate: z.iso.datetime({ offset: true }), endDate: z.iso.datetime({ offset: true }) }).strict();
export type PeriodicPayload = z.infer<typeof periodicPayload>;

/** The REST body: GXF's PeriodicReadsRequestData as JSON, plus the request options. */
export const periodicBody = z.object({
  periodType: periodType.describe('DAILY, MONTHLY or INTERVAL (15 minutes; an hour for gas)'),
  beginDate: z.iso.datetime({ offset: true }).describe('First log time to include (ISO 8601)'),
  endDate: z.iso.datetime({ offset: true }).describe('Last log time to include (ISO 8601)'),
  ...requestOptions,
});

/** AMR profile status bits, bit 0 first (AmrProfileStatusCodeHelper in osgp/protocol-adapter-dlms; the XSD's AmrProfileStatusCodeFlag). */
export const AMR_FLAGS = ['CRITICAL_ERROR', 'CLOCK_INVALID', 'DATA_NOT_VALID', 'DAYLIGHT_SAVING', 'NOT_USED', 'CLOCK_ADJUSTED', 'RECOVERED_VALUE', 'POWER_DOWN'] as const;

export function amrFlags(status: number): string[] {
  return AMR_FLAGS.filter((_, bit) => (status >> bit) & 1);
}

/** Checks the request's window (GXF's domain: begin before end) and returns it as instants. */
export function periodicWindow(p: PeriodicPayload): { from: Date; to: Date } {
  const from = new Date(p.beginDate);
  const to = new Date(p.endDate);
  if (from.getTime() > to.getTime()) {
    throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, 'BeginDate must not be after EndDate', { component: 'DOMAIN_SMART_METERING', retryable: false });
  }
  return { from, to };
}

/** xsd:dateTime as an ISO instant (a time without offset is UTC, as GXF's JAXB reads it in a UTC JVM). */
export function isoOf(v: string): string {
  const s = v.trim();
  const t = Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(s) ? s : `${s}Z`);
  if (Number.isNaN(t)) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `${s} is not a date-time`, { component: 'WS_SMART_METERING' });
  return new Date(t).toISOString();
}

/** A row of the profile: its log time and, per wanted column, the Data. */
export interface PeriodicRow {
  logTime: Date;
  values: DlmsData[];
}

export interface PeriodicProfileRead {
  rows: PeriodicRow[];
  /** scaler_unit per register column of `wanted`, keyed by the column's index in `wanted`. */
  scalerUnits: Map<number, ScalerUnit>;
}

/**
 * Reads `profile` for [from, to] and returns the `wanted` columns (the clock first) of every entry in the window.
 * Garbage from the meter (no array, wrong widths, a clock that is no date-time, a bad scaler_unit) is ILLEGAL_RESPONSE;
 * a refused GET is DATA_ACCESS_RESULT.
 */
export async function readPeriodicProfile(
  link: GatewayLink,
  p: { profile: ProfileDefinition; wanted: readonly ProfileColumn[]; from: Date; to: Date; zone: string; columnSelection: boolean },
): Promise<PeriodicProfileRead> {
  if (!link.readProfile) throw new MeterfabricError(ErrorCode.OPERATION_NOT_SUPPORTED_BY_PLATFORM_FOR_PROTOCOL, 'profile reads are not available on this link', { retryable: false });
  const all = p.profile.columns.map((c) => c.capture);
  const wanted = p.wanted.map((c) => c.capture);
  const selectedValues = selectedValuesFor({ captureObjects: all, wanted, columnSelection: p.columnSelection });
  const registerColumns = p.wanted.map((c, i) => ({ c, i })).filter(({ c }) => c.meaning.role === 'energy' || c.meaning.role === 'mbus-value');
  const registers: RegisterRef[] = registerColumns.map(({ c }) => ({ kind: c.capture.classId === ExtendedRegisterClass.classId ? 'extended-register' : 'register', obis: c.capture.logicalName }));
  const read = await link.readProfile({
    obis: p.profile.obis,
    captureObjects: !p.columnSelection,
    selection: { kind: 'range', range: timeRange({ clockTime: CLOCK_TIME, from: p.from, to: p.to, zone: p.zone, selectedValues }) },
    scalerUnits: registers,
  });
  const what = `profile ${p.profile.obis.toString()}`;
  try {
    const returned = p.columnSelection ? returnedColumns(all, selectedValues) : read.captureObjects!;
    const positions = columnPositions(returned, wanted);
    const entries: ProfileEntry[] = decodeProfileBuffer(read.buffer, returned);
    const clockAt = positions[0]!;
    const times = fillTimestamps(
      entries.map((e) => {
        const cell = e.cells[clockAt]!;
        if (cell.kind === 'date-time') return cell.value.instant;
        if (cell.kind === 'null') return null;
        throw protocolError(`${what}: the clock column holds ${cell.kind}`);
      }),
      captureStep(p.profile.capturePeriod, p.zone),
    );
    const scalerUnits = new Map<number, ScalerUnit>();
    registerColumns.forEach(({ c, i }, k) => scalerUnits.set(i, decodeScalerUnit(read.scalerUnits[k]!, `scaler_unit of ${c.capture.logicalName.toString()}`)));
    const rows: PeriodicRow[] = [];
    entries.forEach((e, i) => {
      const t = times[i];
      if (!t || t < p.from || t > p.to) return;
      rows.push({ logTime: t, values: positions.map((at) => e.values[at]!) });
    });
    return { rows, scalerUnits };
  } catch (e) {
    if (e instanceof MeterfabricError && e.code === ErrorCode.ILLEGAL_RESPONSE) throw e;
    throw protocolError(`${what}: ${(e as Error).message}`, e);
  }
}

/** A register cell scaled as GXF reports it (Wh → KWH, m³ → M3); null-data → undefined (GXF omits the value). */
export function cellValue(d: DlmsData, su: ScalerUnit, what: string): MeterValue | undefined {
  try {
    const raw = registerRaw(d, what);
    if (raw === null) return undefined;
    const v = meterReadValue(raw, su);
    return { value: decimalToString(v.value), unit: v.unit };
  } catch (e) {
    throw protocolError(`${what}: ${(e as Error).message}`, e);
  }
}

/** The AMR status cell as flags (GXF: a number, else "Could not read AMR profile register data. Invalid data type."). */
export function amrCell(d: DlmsData): string[] {
  let n: bigint | null;
  try {
    n = registerRaw(d, 'AMR profile status');
  } catch {
    n = null;
  }
  if (n === null) throw protocolError('Could not read AMR profile register data. Invalid data type.');
  return amrFlags(Number(n & 0xffn));
}

/** A capture-time cell as an instant, or null (null-data: the caller fills it in). */
export function captureTimeCell(d: DlmsData, what: string): Date | null | 'unspecified' {
  if (d.type === 'null-data') return null;
  try {
    return dateTimeFromData(d, what)?.instant ?? 'unspecified';
  } catch (e) {
    throw protocolError(`${what}: ${(e as Error).message}`, e);
  }
}

/** `<p:AmrProfileStatusCode><p:AmrProfileStatusCodeFlag>…</…></…>`, when the entry has a status. */
export function amrElement(p: string, flags: unknown): string {
  if (flags === undefined) return '';
  if (!Array.isArray(flags) || flags.some((f) => !(AMR_FLAGS as readonly string[]).includes(f as string))) throw new IncompleteResultError(`${p}:AmrProfileStatusCode`);
  return `<${p}:AmrProfileStatusCode>${flags.map((f) => el(`${p}:AmrProfileStatusCodeFlag`, f as string)).join('')}</${p}:AmrProfileStatusCode>`;
}

export function periodTypeElement(p: string, v: unknown): string {
  if (typeof v !== 'string' || !periodType.safeParse(v).success) throw new IncompleteResultError(`${p}:PeriodType`);
  return el(`${p}:PeriodType`, v);
}

/** The device and window of a PeriodicMeterReads(Gas)Request: both carry the same PeriodicReadsRequestData. */
export function readPeriodicRequest(r: XmlElement): { deviceIdentification: string; payload: PeriodicPayload } {
  const d = sub(r, 'PeriodicReadsRequestData');
  return {
    deviceIdentification: text(r, 'DeviceIdentification'),
    payload: { periodType: text(d, 'PeriodType') as PeriodType, beginDate: isoOf(text(d, 'BeginDate')), endDate: isoOf(text(d, 'EndDate')) },
  };
}

/** The PeriodType element then one element per stored entry under `field`, as both periodic responses render. */
export function renderPeriodicResult(stored: { data?: unknown }, field: string, p: string, renderEntry: (e: unknown, p: string) => string): string {
  const d = record(stored.data, 'data');
  const reads = d[field];
  if (!Array.isArray(reads)) throw new MeterfabricError(ErrorCode.INTERNAL_ERROR, `stored ${field} is not a list`);
  return periodTypeElement(p, d.periodType) + reads.map((e) => renderEntry(e, p)).join('');
}

export { dateTimeElement, meterValueElement, record };
export type { PeriodType };
