/**
 * Reads of the gateway's GSM diagnostic object (class 47, src/cosem/classes/gsm-diagnostic.ts): attributes 2..8 in
 * one get-request-with-list where the meter allows it. Values come back DLMS-native; the operation makes GXF's
 * names of them (src/operations/management/get-gsm-diagnostic.ts).
 */
import type { DlmsData } from '../dlms/axdr.ts';
import type { Obis } from '../dlms/obis.ts';
import { GsmDiagnosticClass } from '../cosem/index.ts';
import { dataAccessError, type DlmsSession } from './client.ts';

export interface GsmDiagnosticReading {
  operator: string;
  status: number;
  csAttachment: number;
  psStatus: number;
  cellInfo: DlmsData[];
  adjacentCells: DlmsData[];
  /** 12-byte COSEM date-time, or undefined when the meter sends null-data. */
  captureTime?: Buffer;
}

const NAMES = ['operator', 'status', 'cs_attachment', 'ps_status', 'cell_info', 'adjacent_cells', 'capture_time'] as const;

export async function readGsmDiagnostic(session: DlmsSession, obis: Obis): Promise<GsmDiagnosticReading> {
  const r = await session.readList(GsmDiagnosticClass, obis, NAMES);
  const values = r.map((x, i) => {
    if (x.kind === 'error') throw dataAccessError(`GSM diagnostic ${obis.toString()} ${NAMES[i]}`, x.result);
    return x.value;
  });
  const [operator, status, csAttachment, psStatus, cellInfo, adjacentCells, captureTime] = values as [string | null, number | null, number | null, number | null, DlmsData[] | null, DlmsData[] | null, Buffer | null];
  return {
    operator: operator ?? '',
    status: status ?? 4,
    csAttachment: csAttachment ?? 0,
    psStatus: psStatus ?? 0,
    cellInfo: cellInfo ?? [],
    adjacentCells: adjacentCells ?? [],
    ...(captureTime ? { captureTime } : {}),
  };
}
