/**
 * `meterfabric read actual|periodic|events DEVICE [--from --to --type] [--json]`: submits a meter read over the REST
 * API of a running platform, waits for its result and prints it as a table (JSON with --json). README "Command line".
 */
import type { Command } from 'commander';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { addClientOptions, apiCall, printTable, type ClientOptions } from '../admin-client.ts';

const KINDS = ['actual', 'periodic', 'events'] as const;
type Kind = (typeof KINDS)[number];
const PERIOD_TYPES = ['DAILY', 'MONTHLY', 'INTERVAL'];
/** GXF's EventLogCategory names (management-ws-smartmetering.xsd), kept here so `--help` stays light. */
const EVENT_LOG_CATEGORIES = [
  'STANDARD_EVENT_LOG', 'FRAUD_DETECTION_LOG', 'COMMUNICATION_SESSION_LOG', 'M_BUS_EVENT_LOG', 'POWER_QUALITY_EVENT_LOG',
  'AUXILIARY_EVENT_LOG', 'POWER_QUALITY_EXTENDED_EVENT_LOG', 'POWER_QUALITY_THD_EVENT_LOG',
];

export interface ReadOptions extends ClientOptions {
  from?: string;
  to?: string;
  type?: string;
  json?: boolean;
  timeout: number;
}

const invalid = (message: string) => new MeterfabricError(ErrorCode.VALIDATION_ERROR, message, { component: 'SHARED' });

function instant(v: string | undefined, flag: string): string | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw invalid(`${flag} must be a date-time (ISO 8601, e.g. 2026-01-14T00:00:00Z)`);
  return new Date(t).toISOString();
}

/** The REST route and body of a read, checked before anything is sent. */
export function readRequest(kind: string, device: string, o: Pick<ReadOptions, 'from' | 'to' | 'type'>, now = new Date()): { path: string; body: Record<string, unknown> } {
  if (!KINDS.includes(kind as Kind)) throw invalid(`read what? ${KINDS.join(', ')}`);
  const base = `/api/v1/devices/${encodeURIComponent(device)}`;
  const from = instant(o.from, '--from');
  const to = instant(o.to, '--to');
  if (kind === 'actual') return { path: `${base}/meter-reads/actual`, body: {} };
  if (kind === 'periodic') {
    if (!o.type || !PERIOD_TYPES.includes(o.type)) throw invalid(`read periodic needs --type ${PERIOD_TYPES.join('|')}`);
    if (!from || !to) throw invalid('read periodic needs --from and --to');
    return { path: `${base}/meter-reads/periodic`, body: { periodType: o.type, beginDate: from, endDate: to } };
  }
  const type = o.type ?? 'STANDARD_EVENT_LOG';
  if (!EVENT_LOG_CATEGORIES.includes(type)) throw invalid(`--type must be an event log: ${EVENT_LOG_CATEGORIES.join(', ')}`);
  const until = to ?? now.toISOString();
  return { path: `${base}/events`, body: { eventLogCategory: type, from: from ?? new Date(Date.parse(until) - 86_400_000).toISOString(), until } };
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object' && !Array.isArray(v) && 'value' in (v as object) && 'unit' in (v as object)) {
    const m = v as { value: unknown; unit: unknown };
    return `${m.value} ${m.unit}`;
  }
  if (Array.isArray(v)) {
    return v.map((x) => (x && typeof x === 'object' && 'name' in x && 'value' in x ? `${(x as { name: string }).name}=${(x as { value: string }).value}` : cell(x))).join(' ');
  }
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** Columns shown first, in this order (stored results do not keep their key order). */
const FIRST = ['timestamp', 'logTime', 'eventCode', 'eventType', 'eventLogCategory', 'eventCounter', 'eventDetails'];

/** The result as a table: the rows of its first list (events, periodic reads), else one row per field. */
export function resultRows(data: unknown): { rows: Record<string, string>[]; columns: string[] } {
  const d = (data && typeof data === 'object' ? data : {}) as Record<string, unknown>;
  const list = Object.values(d).find((v) => Array.isArray(v) && v.every((x) => x && typeof x === 'object' && !Array.isArray(x))) as Record<string, unknown>[] | undefined;
  if (list) {
    const keys = new Set(list.flatMap((r) => Object.keys(r)));
    const columns = [...FIRST.filter((c) => keys.has(c)), ...[...keys].filter((c) => !FIRST.includes(c)).sort()];
    return { columns, rows: list.map((r) => Object.fromEntries(columns.map((c) => [c, cell(r[c])]))) };
  }
  const fields = Object.keys(d).sort((a, b) => (FIRST.includes(b) ? 1 : 0) - (FIRST.includes(a) ? 1 : 0) || a.localeCompare(b));
  return { columns: ['field', 'value'], rows: fields.map((field) => ({ field, value: cell(d[field]) })) };
}

export function register(program: Command): void {
  addClientOptions(program.command('read <what> <deviceIdentification>'))
    .description('read a meter through the REST API and wait for the result: actual (energy registers), periodic (--type DAILY|MONTHLY|INTERVAL --from --to), events (--type EVENT_LOG_CATEGORY, default STANDARD_EVENT_LOG, --from/--to, default the last 24 h)')
    .option('--from <datetime>', 'start of the window (ISO 8601)')
    .option('--to <datetime>', 'end of the window (ISO 8601)')
    .option('--type <type>', 'periodic: DAILY, MONTHLY or INTERVAL; events: the event log (GXF EventLogCategory)')
    .option('--json', 'print the response as JSON')
    .option('--timeout <seconds>', 'give up waiting after this long', (v) => Number(v), 600)
    .action(async (what: string, device: string, o: ReadOptions) => {
      const { path, body } = readRequest(what, device, o);
      let accepted: { correlationUid: string };
      try {
        accepted = await apiCall(o, 'POST', path, body);
      } catch (e) {
        const status = (e as { httpStatus?: number }).httpStatus;
        if (what === 'periodic' && (status === 404 || (e instanceof MeterfabricError && e.code === ErrorCode.UNSUPPORTED_DEVICE_ACTION))) {
          throw new MeterfabricError(ErrorCode.UNSUPPORTED_DEVICE_ACTION, `this platform does not serve periodic meter reads (POST ${path} answered ${status ?? 407})`, { component: 'SHARED' });
        }
        throw e;
      }
      const deadline = Date.now() + o.timeout * 1000;
      for (;;) {
        let response: { result: string; data?: unknown; error?: { code?: number; message?: string } } | undefined;
        try {
          response = await apiCall(o, 'GET', `/api/v1/responses/${encodeURIComponent(accepted.correlationUid)}`);
        } catch (e) {
          if ((e as { httpStatus?: number }).httpStatus !== 404) throw e;
        }
        if (response) {
          if (o.json) console.log(JSON.stringify(response, null, 2));
          if (response.result !== 'OK') {
            throw new MeterfabricError(response.error?.code ?? ErrorCode.INTERNAL_ERROR, response.error?.message ?? `result ${response.result}`, { component: 'SHARED' });
          }
          if (!o.json) {
            const t = resultRows(response.data);
            if (t.rows.length === 0) console.log('(nothing in this window)');
            else printTable(t.rows, t.columns);
          }
          return;
        }
        if (Date.now() > deadline) throw new Error(`no result within ${o.timeout} s (correlation uid ${accepted.correlationUid})`);
        await new Promise((res) => setTimeout(res, 250));
      }
    });
}
