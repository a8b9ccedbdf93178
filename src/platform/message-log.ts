/**
 * The per-device DLMS message log (GXF's EnableDebugging / DisableDebugging and FindMessageLogs, docs/gxf.md#device-message-log):
 * while a device's debug flag is set, every APDU of every connection to it is logged — time, direction, APDU type,
 * size, the bytes as they went over the wire (hex; ciphered APDUs stay ciphered, nothing is deciphered for the log)
 * and a decoded summary (src/dlms/apdu/summary.ts: types, descriptors and security headers, never data).
 *
 * Writing is off the exchange's path: the session's APDU observer only queues the bytes; summaries are made and
 * rows written in batches by one writer per database (a short timer, or a flush when the connection is released).
 * A device without the flag gets no observer at all. Rows go by retention (METERFABRIC_RETENTION_MESSAGE_LOG_DAYS).
 */
import type { Queryable } from './db/db.ts';
import { ErrorCode, MeterfabricError } from '../errors.ts';
import { summariseApdu } from '../dlms/apdu/summary.ts';
import { logger } from '../observability/logger.ts';

/** GXF's page size of device lists (30); the message log pages the same. */
export const MESSAGE_LOG_PAGE_SIZE = 30;

/** One row of the log, as FindMessageLogs shows it. */
export interface MessageLog {
  /** ISO 8601. */
  timestamp: string;
  organisationIdentification: string;
  deviceIdentification: string;
  /** `<MessageType> (<correlationUid>) - <summary>` (GXF's form), or the summary alone outside a request. */
  decodedMessage: string;
  /** The APDU as it went over the wire, hex upper case. */
  encodedMessage: string;
  /** From the meter. */
  incoming: boolean;
  valid: boolean;
  apduType: string;
  size: number;
}

export interface MessageLogPage {
  /** Pages of `pageSize` rows that the device's log fills now. */
  totalPages: number;
  /** Newest first. */
  messageLogs: MessageLog[];
}

/** Who caused a connection: stored with each of its rows. */
export interface MessageLogContext {
  organisationIdentification?: string;
  correlationUid?: string;
  messageType?: string;
}

export interface MessageLogEntry extends MessageLogContext {
  loggedAt: Date;
  deviceIdentification: string;
  incoming: boolean;
  apdu: Buffer;
}

/** Sets or clears the device's debug flag; false when the device is unknown. */
export async function setDebugMode(q: Queryable, deviceIdentification: string, enabled: boolean): Promise<boolean> {
  const r = await q.query('UPDATE device SET in_debug_mode = $2, updated_at = now() WHERE device_identification = $1', [deviceIdentification, enabled]);
  return r.rowCount > 0;
}

export async function isDebugging(q: Queryable, deviceIdentification: string): Promise<boolean> {
  const r = await q.query<{ in_debug_mode: boolean }>('SELECT in_debug_mode FROM device WHERE device_identification = $1', [deviceIdentification]);
  return r.rows[0]?.in_debug_mode === true;
}

const COLUMNS = 11;

/** Writes entries in one statement. */
export async function appendMessageLogs(q: Queryable, entries: readonly MessageLogEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const params: unknown[] = [];
  const rows: string[] = [];
  for (const e of entries) {
    const { type, summary } = summariseApdu(e.apdu);
    const decoded = e.messageType ? `${e.messageType} (${e.correlationUid ?? ''}) - ${summary}` : summary;
    const base = params.length;
    params.push(e.loggedAt, e.deviceIdentification, e.organisationIdentification ?? null, e.correlationUid ?? null, e.messageType ?? null,
      e.incoming, type, e.apdu.length, e.apdu.toString('hex').toUpperCase(), decoded, true);
    rows.push(`(${Array.from({ length: COLUMNS }, (_, i) => `$${base + i + 1}`).join(', ')})`);
  }
  await q.query(
    `INSERT INTO dlms_message_log (logged_at, device_identification, organisation_identification, correlation_uid, message_type,
       incoming, apdu_type, size, encoded_message, decoded_message, valid) VALUES ${rows.join(', ')}`,
    params,
  );
}

/**
 * One page of a device's message log, newest first. `page` counts from 0 (GXF's paging); a page past the end is
 * empty. Used by FindMessageLogs of the SmartMetering Management service and of the Admin service.
 */
export async function findMessageLogs(
  q: Queryable,
  o: { deviceIdentification: string; page: number; pageSize?: number },
): Promise<MessageLogPage> {
  const pageSize = o.pageSize ?? MESSAGE_LOG_PAGE_SIZE;
  if (!Number.isInteger(o.page) || o.page < 0) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, 'Page must be 0 or more', { component: 'WS_SMART_METERING' });
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, 'page size must be 1..1000', { component: 'WS_SMART_METERING' });
  const count = await q.query<{ n: string | number }>('SELECT count(*) AS n FROM dlms_message_log WHERE device_identification = $1', [o.deviceIdentification]);
  const total = Number(count.rows[0]?.n ?? 0);
  const r = await q.query<Record<string, unknown>>(
    `SELECT logged_at, organisation_identification, device_identification, decoded_message, encoded_message, incoming, valid, apdu_type, size
       FROM dlms_message_log WHERE device_identification = $1 ORDER BY logged_at DESC, id DESC LIMIT $2 OFFSET $3`,
    [o.deviceIdentification, pageSize, o.page * pageSize],
  );
  return {
    totalPages: Math.ceil(total / pageSize),
    messageLogs: r.rows.map(messageLogRow),
  };
}

/**
 * The message log across devices, for the Admin service's FindMessageLogs: optional device, organisation and time
 * filters, newest first, one page of `pageSize` rows plus whether another page follows.
 */
export async function searchMessageLogs(
  q: Queryable,
  o: { deviceIdentification?: string; organisationIdentification?: string; from?: Date; to?: Date; page: number; pageSize?: number },
): Promise<{ messageLogs: MessageLog[]; nextPageAvailable: boolean }> {
  const pageSize = o.pageSize ?? MESSAGE_LOG_PAGE_SIZE;
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, value: unknown) => { params.push(value); where.push(clause.replace('?', `$${params.length}`)); };
  if (o.deviceIdentification) add('device_identification = ?', o.deviceIdentification);
  if (o.organisationIdentification) add('organisation_identification = ?', o.organisationIdentification);
  if (o.from) add('logged_at >= ?', o.from);
  if (o.to) add('logged_at <= ?', o.to);
  params.push(pageSize + 1, o.page * pageSize);
  const r = await q.query<Record<string, unknown>>(
    `SELECT logged_at, organisation_identification, device_identification, decoded_message, encoded_message, incoming, valid, apdu_type, size
       FROM dlms_message_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY logged_at DESC, id DESC LIMIT $${params.length - 1} OFFSET $${params.length}`,
    params,
  );
  return { messageLogs: r.rows.slice(0, pageSize).map(messageLogRow), nextPageAvailable: r.rows.length > pageSize };
}

function messageLogRow(x: Record<string, unknown>): MessageLog {
  return {
    timestamp: new Date(x.logged_at as string).toISOString(),
    organisationIdentification: (x.organisation_identification as string | null) ?? '',
    deviceIdentification: x.device_identification as string,
    decodedMessage: x.decoded_message as string,
    encodedMessage: x.encoded_message as string,
    incoming: x.incoming as boolean,
    valid: x.valid as boolean,
    apduType: x.apdu_type as string,
    size: Number(x.size),
  };
}

const log = logger('platform.message-log');

/**
 * Collects log entries in memory and writes them in batches: after `flushMs`, when `maxBatch` are waiting, or on
 * flush(). The observer it hands out does nothing but queue the bytes.
 */
export class MessageLogWriter {
  #pending: MessageLogEntry[] = [];
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  readonly #q: Queryable;
  readonly #flushMs: number;
  readonly #maxBatch: number;

  constructor(q: Queryable, o: { flushMs?: number; maxBatch?: number } = {}) {
    this.#q = q;
    this.#flushMs = o.flushMs ?? 200;
    this.#maxBatch = o.maxBatch ?? 500;
  }

  /** An APDU observer for one connection to the device (src/session/client.ts ConnectionOptions.apduObserver). */
  observer(deviceIdentification: string, context: MessageLogContext = {}): (apdu: Buffer, incoming: boolean) => void {
    return (apdu, incoming) => {
      this.#pending.push({ ...context, deviceIdentification, incoming, loggedAt: new Date(), apdu: Buffer.from(apdu) });
      if (this.#pending.length >= this.#maxBatch) void this.flush();
      else this.#timer ??= setTimeout(() => void this.flush(), this.#flushMs).unref();
    };
  }

  /** Writes what is waiting; resolves when it (and any write before it) is stored. Never rejects: failures are logged. */
  flush(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length > 0) {
      this.#writing = this.#writing.then(() => appendMessageLogs(this.#q, batch)).catch((err) => {
        log.error({ err, entries: batch.length }, 'message log entries could not be written');
      });
    }
    return this.#writing;
  }
}

const writers = new WeakMap<object, MessageLogWriter>();

/** The one writer of a database handle. */
export function messageLogWriter(q: Queryable): MessageLogWriter {
  let w = writers.get(q);
  if (!w) {
    w = new MessageLogWriter(q);
    writers.set(q, w);
  }
  return w;
}
