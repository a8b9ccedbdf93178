/**
 * The simulated meter's special days table (class 11, 0-0:11.0.0.255) and activity calendar (class 20,
 * 0-0:13.0.0.255), src/cosem/calendar.ts. The special days table starts empty and holds what attribute 2 was set to
 * (an entry must be structure{long-unsigned, octet-string(5) or date, unsigned}, else type-unmatched); insert replaces
 * an entry with the same index, delete removes one.
 */
import type { DlmsData } from '../dlms/axdr.ts';
import { ActionResult, DataAccessResult } from '../dlms/apdu/common.ts';
import type { MeterState } from './meter.ts';

function isSpecialDayEntry(e: DlmsData): boolean {
  if (e.type !== 'structure' || e.value.length !== 3) return false;
  const [index, date, dayId] = e.value as [DlmsData, DlmsData, DlmsData];
  return index.type === 'long-unsigned' && (date.type === 'octet-string' || date.type === 'date') && (date.value as Buffer).length === 5 && dayId.type === 'unsigned';
}

const indexOf = (e: DlmsData): number => ((e as { value: DlmsData[] }).value[0] as { value: number }).value;

export function readSpecialDays(m: MeterState): DlmsData[] {
  return m.specialDays ?? [];
}

export function writeSpecialDays(m: MeterState, entries: DlmsData[]): number {
  if (!entries.every(isSpecialDayEntry)) return DataAccessResult.TYPE_UNMATCHED;
  m.specialDays = [...entries];
  return DataAccessResult.SUCCESS;
}

export function insertSpecialDay(m: MeterState, entry: DlmsData): number {
  if (!isSpecialDayEntry(entry)) return ActionResult.TYPE_UNMATCHED;
  m.specialDays = [...readSpecialDays(m).filter((e) => indexOf(e) !== indexOf(entry)), entry].sort((a, b) => indexOf(a) - indexOf(b));
  return ActionResult.SUCCESS;
}

export function deleteSpecialDay(m: MeterState, index: number): number {
  m.specialDays = readSpecialDays(m).filter((e) => indexOf(e) !== index);
  return ActionResult.SUCCESS;
}
