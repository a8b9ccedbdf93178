/**
 * The platform core: accepts device requests (after GXF's synchronous checks), keeps them durably in the
 * `request` table and the job queue (queue.ts), runs them through registered OperationExecutors with retries, a
 * per-gateway exchange lock, throttling and scheduling, stores the responses and notifies the callers.
 *
 * Request lifecycle (README.md): submit -> QUEUED -> RUNNING -> (RETRY -> RUNNING)* -> DONE with one response row.
 * The request row names the queue job that owns it (`job_id`); a job whose id differs is stale and does nothing,
 * and the final result is written by a conditional UPDATE in the same transaction as the response, so a request
 * reaches its final result exactly once even when jobs are redelivered after a crash.
 */
import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from './db/db.ts';
import { ErrorCode, MeterfabricError, errorCodeName, isMeterfabricError, toMeterfabricError, type Component } from '../errors.ts';
import { checkNotificationTarget } from './outbound.ts';
import { logger as componentLogger, type Logger } from '../observability/logger.ts';
import { context } from '@opentelemetry/api';
import { inSpan, currentTraceParent, contextFromTraceParent, CORRELATION_UID } from '../observability/tracing.ts';
import { type RequestChannel, type ResultType, type StoredResponse, type SubmitRequest } from './operations.ts';
import { makeCorrelationUid } from './correlation.ts';
import { WorkQueue, completeJobs, completeJobsSql, insertJobsSql, laterJobsSql, type QueueJob } from './queue.ts';
import { Throttle, throttledRetryAfterMs, type ThrottleOptions } from './throttle.ts';
import { NotificationSender, type NotificationOptions } from './notifications.ts';
import { batcherOf } from './batch.ts';
import { DEFAULT_RETENTION, PLATFORM_RETENTION_STEPS, RetentionTask, type RetentionPolicy, type RetentionStep } from './retention.ts';

export type { RequestChannel, SubmitRequest, StoredResponse };

export interface OperationContext
  extends Pick<SubmitRequest, 'organisationIdentification' | 'userName' | 'applicationName' | 'deviceIdentification' | 'messageType' | 'payload'> {
  correlationUid: string;
  /** 1 for the first execution, counting re-runs after retries and crashes. */
  attempt: number;
  /** The request's MessagePriority for this execution (0..9, lowered on retries, docs/gxf.md#priority). */
  priority: number;
  db: Db;
  /** Carries the correlation id on every line. */
  log: Logger;
  /** Aborted before the job's lease runs out (and on shutdown): stop talking to the meter and throw. */
  signal: AbortSignal;
  /** Wrap every meter connection in throttle.acquire()/release (docs/gxf.md#throttling). */
  throttle: Throttle;
}

export interface LockKeyInput {
  organisationIdentification: string;
  deviceIdentification: string;
  messageType: string;
  payload: unknown;
  /** The gateway of the request's device, when it is an M-Bus device. */
  gatewayDeviceIdentification: string | null;
}

export interface OperationExecutor {
  messageType: string;
  /** Which device the per-device lock is taken on (default: the gateway of the request's device, else the device). */
  lockKey?(req: LockKeyInput): string | Promise<string>;
  /** Returns the result data (see Results in operations.ts); throws MeterfabricError (error.retryable decides retries). */
  execute(ctx: OperationContext): Promise<unknown>;
}

export interface RetryOptions {
  /** Functional retries after the first attempt (GXF default 2). */
  maxRetries?: number;
  /** Delay before retry n (0-based) is baseDelayMs * 2^n (GXF: 30 s). */
  baseDelayMs?: number;
}

export interface PlatformOptions {
  db: Db;
  /** Run request workers, notification sending and retention in this process (default true). */
  workers?: boolean;
  /** Parallel executions in this process (default: the throttle's maxOpen, 1000). */
  concurrency?: number;
  retry?: RetryOptions;
  throttle?: ThrottleOptions;
  notifications?: NotificationOptions;
  /**
   * The execution time limit, in seconds (default 900): an execution is aborted just before it (at 80 %, at most 30 s
   * before). Jobs are leased for half of it (at most 30 s) and the lease is renewed while they run, so a killed
   * worker's jobs run again well within it.
   */
  jobExpireSeconds?: number;
  /** Re-deliveries after a crash before the request ends NOT_OK with 1301 (default 5). */
  crashRetries?: number;
  /** How often a worker returns jobs with expired leases to the queue, at most (default 30 s; also at most half a lease). */
  maintenanceIntervalSeconds?: number;
  /** Idle queue polling interval (default 1 s). */
  pollingIntervalSeconds?: number;
  /** Delay before a request whose gateway is busy is tried again (default 1000 ms). */
  lockRetryMs?: number;
  /**
   * How long after acceptance a request denied a connection permit is re-queued without counting a retry
   * (default 1 h, GXF's message time-to-live); after that, or past MaxScheduleTime, the denial is handled as a
   * retryable failure.
   */
  throttledRequeueWindowMs?: number;
  /** How long responses and finished requests are kept (default 7 days, docs/gxf.md#response-storage). */
  retentionMs?: number;
  /** Retention job interval (default 60 s). */
  retentionIntervalMs?: number;
  /** The rest of the retention policy (src/platform/retention.ts), and steps of other areas (the secret store's). */
  retention?: { policy?: Partial<RetentionPolicy>; steps?: readonly RetentionStep[] };
  logger?: Logger;
}

interface RequestRow {
  correlation_uid: string;
  organisation_identification: string;
  user_name: string;
  application_name: string;
  device_identification: string;
  message_type: string;
  payload: unknown;
  priority: number;
  schedule_time: Date | null;
  max_schedule_time: Date | null;
  bypass_retry: boolean;
  channel: RequestChannel;
  lock_key: string;
  status: 'QUEUED' | 'RUNNING' | 'RETRY' | 'DONE';
  job_id: string | null;
  attempts: number;
  retries: number;
  result: ResultType | null;
  error_code: number | null;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
  trace_parent: string | null;
}

export interface RequestRecord
  extends Pick<SubmitRequest, 'organisationIdentification' | 'userName' | 'applicationName' | 'deviceIdentification' | 'messageType' | 'payload' | 'channel'> {
  correlationUid: string;
  priority: number;
  scheduleTime: Date | null;
  maxScheduleTime: Date | null;
  bypassRetry: boolean;
  lockKey: string;
  status: RequestRow['status'];
  attempts: number;
  retries: number;
  result: ResultType | null;
  errorCode: number | null;
  createdAt: Date;
  updatedAt: Date;
  completedAt: Date | null;
}

export interface AuditEntry {
  at: Date;
  event: string;
  correlationUid: string | null;
  organisationIdentification: string | null;
  userName: string | null;
  applicationName: string | null;
  deviceIdentification: string | null;
  messageType: string | null;
  channel: string | null;
  result: string | null;
  errorCode: number | null;
  detail: string | null;
}

const toDate = (v: unknown): Date | null => (v == null ? null : v instanceof Date ? v : new Date(v as string));

function recordFromRow(r: RequestRow): RequestRecord {
  return {
    correlationUid: r.correlation_uid,
    organisationIdentification: r.organisation_identification,
    userName: r.user_name,
    applicationName: r.application_name,
    deviceIdentification: r.device_identification,
    messageType: r.message_type,
    payload: r.payload,
    priority: r.priority,
    scheduleTime: toDate(r.schedule_time),
    maxScheduleTime: toDate(r.max_schedule_time),
    bypassRetry: r.bypass_retry,
    channel: r.channel,
    lockKey: r.lock_key,
    status: r.status,
    attempts: r.attempts,
    retries: r.retries,
    result: r.result,
    errorCode: r.error_code,
    createdAt: toDate(r.created_at)!,
    updatedAt: toDate(r.updated_at)!,
    completedAt: toDate(r.completed_at),
  };
}

const unknownCorrelationUid = () =>
  new MeterfabricError(ErrorCode.UNKNOWN_CORRELATION_UID, 'CorrelationUid is unknown.', { component: 'WS_SMART_METERING', retryable: false });

function clampPriority(p: number | undefined): number {
  if (p === undefined || p === null || Number.isNaN(p)) return 4;
  return Math.min(9, Math.max(0, Math.trunc(p)));
}

async function audit(q: Queryable, e: Partial<AuditEntry> & { event: string }): Promise<void> {
  await q.query(
    `INSERT INTO audit_log (event, correlation_uid, organisation_identification, user_name, application_name, device_identification,
       message_type, channel, result, error_code, detail) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
    [e.event, e.correlationUid ?? null, e.organisationIdentification ?? null, e.userName ?? null, e.applicationName ?? null,
      e.deviceIdentification ?? null, e.messageType ?? null, e.channel ?? null, e.result ?? null, e.errorCode ?? null, e.detail ?? null],
  );
}

/**
 * Batches concurrent writes: items added while a write is in progress go together into the next one, so concurrent
 * callers share one round trip and one WAL flush. `add` resolves with the item's result once its item is committed.
 * A failed batch is written again item by item, so one bad item fails only its caller. One write at a time: on
 * PostgreSQL the WAL flush is the cost, and parallel writes only split the batch into more flushes (bench/platform.ts).
 */
export class GroupCommit<T, R = void> {
  readonly #pending: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  #flushing = false;

  constructor(private readonly write: (items: T[]) => Promise<R[] | void>, private readonly maxBatch = 500) {}

  add(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      if (!this.#flushing) void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0, this.maxBatch);
        try {
          const results = await this.write(batch.map((b) => b.item));
          batch.forEach((b, i) => b.resolve(results?.[i] as R));
        } catch (e) {
          if (batch.length === 1) batch[0]!.reject(e);
          else for (const b of batch) await this.write([b.item]).then((results) => b.resolve(results?.[0] as R), b.reject);
        }
      }
    } finally {
      this.#flushing = false;
    }
  }
}

/**
 * GXF's synchronous checks as a CTE over the rows of `x` (docs/gxf.md#authorisation-check, in GXF's order): refusal 101 unknown
 * organisation, 104 disabled organisation, 201 unknown device, 301 not authorised (OWNER holds every function),
 * 0 accepted. ADD_METER creates its device, so only the organisation is checked (docs/gxf.md#device-functions). Also the device's gateway and
 * the default exchange lock key: the gateway of an M-Bus device, else the device. The device is a primary-key probe
 * per row (LATERAL … OFFSET 0): the planner, which expects 100 rows of any batch, otherwise reads the whole device
 * table into a hash for a batch of a few requests once the fleet has some thousands of devices (0.9 ms of a 3.2 ms
 * accept of 32 requests with 8,000 devices).
 */
/** The device function whose request creates its device (AddDevice, src/operations/installation/add-device.ts). */
const ADD_METER = 'ADD_METER';

const CHECKED_SQL = `checked AS (
  SELECT x.*,
    CASE WHEN x.message_type = '${ADD_METER}' THEN NULL ELSE d.gateway_device_identification END AS gateway,
    CASE WHEN x.message_type = '${ADD_METER}' THEN x.device_identification
         ELSE COALESCE(d.gateway_device_identification, x.device_identification) END AS default_lock_key,
    CASE
      WHEN o.identification IS NULL THEN ${ErrorCode.UNKNOWN_ORGANISATION}
      WHEN NOT o.enabled THEN ${ErrorCode.DISABLED_ORGANISATION}
      WHEN x.message_type = '${ADD_METER}' THEN 0
      WHEN d.device_identification IS NULL THEN ${ErrorCode.UNKNOWN_DEVICE}
      WHEN NOT EXISTS (
        SELECT 1 FROM device_authorisation a
         WHERE a.organisation_identification = x.organisation_identification AND a.device_identification = x.device_identification
           AND (a.function_group = 'OWNER' OR EXISTS (
             SELECT 1 FROM device_function_mapping m WHERE m.function_group = a.function_group AND m.device_function = x.message_type))
      ) THEN ${ErrorCode.UNAUTHORIZED}
      ELSE 0
    END AS refusal
  FROM x LEFT JOIN organisation o ON o.identification = x.organisation_identification
         LEFT JOIN LATERAL (
           SELECT d.device_identification, d.gateway_device_identification FROM device d
            WHERE d.device_identification = x.device_identification OFFSET 0
         ) d ON true
)`;

/**
 * The accept of a batch (RequestApi#writeAccepted): the checks, then for the accepted rows the request, its
 * ResponseUrl, the ACCEPTED audit row and the queue job. $1 is a JSON array of AcceptRow.
 */
export const ACCEPT_SQL = `WITH x AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(correlation_uid text, organisation_identification text, user_name text, application_name text,
      device_identification text, message_type text, payload jsonb, priority smallint, schedule_time timestamptz,
      max_schedule_time timestamptz, bypass_retry boolean, channel text, lock_key text, job_id uuid, response_url text, trace_parent text)
  ), ${CHECKED_SQL}, accepted AS (
    SELECT * FROM checked WHERE refusal = 0
  ), requests AS (
    INSERT INTO request (correlation_uid, organisation_identification, user_name, application_name, device_identification, message_type,
      payload, priority, schedule_time, max_schedule_time, bypass_retry, channel, lock_key, job_id, trace_parent)
    SELECT correlation_uid, organisation_identification, user_name, application_name, device_identification, message_type,
      payload, priority, schedule_time, max_schedule_time, bypass_retry, channel, COALESCE(lock_key, default_lock_key), job_id, trace_parent
      FROM accepted
  ), urls AS (
    INSERT INTO response_url (correlation_uid, response_url) SELECT correlation_uid, response_url FROM accepted WHERE response_url IS NOT NULL
  ), audit AS (
    INSERT INTO audit_log (event, correlation_uid, organisation_identification, user_name, application_name, device_identification, message_type, channel)
    SELECT 'ACCEPTED', correlation_uid, organisation_identification, user_name, application_name, device_identification, message_type, channel FROM accepted
  ), jobs AS (${insertJobsSql(`(SELECT job_id, correlation_uid, COALESCE(lock_key, default_lock_key) AS lock_key, priority,
      now() AS submitted_at, COALESCE(schedule_time, now()) AS run_after FROM accepted)`)})
  SELECT correlation_uid, refusal FROM checked`;

export class ExecutorRegistry {
  readonly #map = new Map<string, OperationExecutor>();
  register(executor: OperationExecutor): void {
    if (this.#map.has(executor.messageType)) {
      throw new MeterfabricError(ErrorCode.CONFIGURATION_ERROR, `An executor for ${executor.messageType} is already registered`, { component: 'SHARED' });
    }
    this.#map.set(executor.messageType, executor);
  }
  get(messageType: string): OperationExecutor | undefined {
    return this.#map.get(messageType);
  }
  list(): string[] {
    return [...this.#map.keys()].sort();
  }
}

export class RequestApi {
  constructor(private readonly platform: Platform) {
    this.#accepted = new GroupCommit<AcceptRow, number>((rows) => this.#writeAccepted(rows));
  }

  /**
   * GXF's synchronous checks (docs/gxf.md#asynchronous-pattern, #authorisation-check) and, when they pass, the request, its ResponseUrl and audit
   * row and its queue job, all in one statement shared with the requests submitted at the same time (group commit).
   * Resolves once the request is committed. Errors: 101, 104, 201, 301 (no correlationUid is created).
   */
  async submit(r: SubmitRequest): Promise<{ correlationUid: string }> {
    const p = this.platform;
    if (r.responseUrl) await this.#checkResponseUrl(r);
    const executor = p.executors.get(r.messageType);
    let lockKey: string | null = null;
    if (executor?.lockKey) {
      // The executor picks the lock from the checked device: check first, then accept (checked again there).
      const checked = await this.#check(r);
      if (checked.refusal) throw await this.#refuse(r, checked.refusal);
      lockKey = await executor.lockKey({
        organisationIdentification: r.organisationIdentification, deviceIdentification: r.deviceIdentification,
        messageType: r.messageType, payload: r.payload ?? {}, gatewayDeviceIdentification: checked.gateway,
      });
    }
    const correlationUid = makeCorrelationUid(r.organisationIdentification, r.deviceIdentification);
    const priority = clampPriority(r.priority);
    const refusal = await inSpan(`accept ${r.messageType}`, { [CORRELATION_UID]: correlationUid, 'meterfabric.device': r.deviceIdentification }, () =>
      this.#accepted.add({
        correlation_uid: correlationUid, organisation_identification: r.organisationIdentification, user_name: r.userName,
        application_name: r.applicationName, device_identification: r.deviceIdentification, message_type: r.messageType,
        payload: r.payload ?? {}, priority, schedule_time: r.scheduleTime?.toISOString() ?? null,
        max_schedule_time: r.maxScheduleTime?.toISOString() ?? null, bypass_retry: r.bypassRetry ?? false, channel: r.channel,
        lock_key: lockKey, job_id: randomUUID(), response_url: r.responseUrl ?? null, trace_parent: currentTraceParent() ?? null,
      }),
    );
    if (refusal) throw await this.#refuse(r, refusal);
    p.wakeWorkers();
    p.queue.announce();
    return { correlationUid };
  }

  /**
   * A ResponseUrl must be on the organisation's allowlist and may not reach an internal address through a name
   * (src/platform/outbound.ts): refused here, before anything is stored. An unknown organisation is left to the
   * checks of the accept statement (101).
   */
  async #checkResponseUrl(r: SubmitRequest): Promise<void> {
    const o = await this.platform.db.query<{ allowed_urls: string[] }>('SELECT allowed_urls FROM organisation WHERE identification = $1', [r.organisationIdentification]);
    if (!o.rows[0]) return;
    try {
      await checkNotificationTarget(r.responseUrl!, o.rows[0].allowed_urls ?? [], r.organisationIdentification, 'ResponseUrl');
    } catch (e) {
      const code = isMeterfabricError(e) ? e.code : ErrorCode.VALIDATION_ERROR;
      await audit(this.platform.db, {
        event: 'REJECTED', organisationIdentification: r.organisationIdentification, userName: r.userName, applicationName: r.applicationName,
        deviceIdentification: r.deviceIdentification, messageType: r.messageType, channel: r.channel, errorCode: code, detail: 'ResponseUrl refused',
      }).catch(() => undefined);
      throw e;
    }
  }

  /** GXF's refusal for a failed check, audited as REJECTED. */
  async #refuse(r: SubmitRequest, code: number): Promise<MeterfabricError> {
    const [message, component]: [string, Component] =
      code === ErrorCode.UNKNOWN_ORGANISATION ? [`Organisation ${r.organisationIdentification} is unknown`, 'WS_SMART_METERING']
      : code === ErrorCode.DISABLED_ORGANISATION ? [`Organisation ${r.organisationIdentification} is disabled`, 'WS_SMART_METERING']
      : code === ErrorCode.UNKNOWN_DEVICE ? [`Device ${r.deviceIdentification} is unknown`, 'DOMAIN_CORE']
      : [`Organisation [${r.organisationIdentification}] is not authorized for action`, 'WS_SMART_METERING'];
    await audit(this.platform.db, {
      event: 'REJECTED', organisationIdentification: r.organisationIdentification, userName: r.userName, applicationName: r.applicationName,
      deviceIdentification: r.deviceIdentification, messageType: r.messageType, channel: r.channel, errorCode: code, detail: message,
    }).catch(() => undefined);
    return new MeterfabricError(code, message, { component, retryable: false });
  }

  /** The checks alone, for executors that choose their lock key (see submit). */
  async #check(r: SubmitRequest): Promise<{ refusal: number; gateway: string | null }> {
    const x = JSON.stringify([{ organisation_identification: r.organisationIdentification, device_identification: r.deviceIdentification, message_type: r.messageType }]);
    const c = await this.platform.db.query<{ refusal: number; gateway: string | null }>(
      `WITH x AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(organisation_identification text, device_identification text, message_type text)),
       ${CHECKED_SQL} SELECT refusal, gateway FROM checked`,
      [x],
    );
    return c.rows[0]!;
  }

  /**
   * Group commit: requests submitted while a write is in progress are checked and written together by the next one,
   * so concurrent callers share one round trip and one WAL flush.
   */
  readonly #accepted: GroupCommit<AcceptRow, number>;

  /**
   * One statement for a batch: GXF's checks per row (refusal code, 0 = accepted), then, for the accepted rows, the
   * request rows, ResponseUrls, ACCEPTED audit rows and queue jobs — all of it or nothing. Returns the refusal
   * codes in row order.
   */
  async #writeAccepted(rows: AcceptRow[]): Promise<number[]> {
    const r = await this.platform.db.query<{ correlation_uid: string; refusal: number }>(
      ACCEPT_SQL,
      [JSON.stringify(rows)],
      { prepareAs: 'meterfabric_accept' },
    );
    const refusals = new Map(r.rows.map((x) => [x.correlation_uid, x.refusal]));
    return rows.map((row) => refusals.get(row.correlation_uid)!);
  }

  /** 405 when absent or owned by another organisation (docs/gxf.md#where-meterfabric-differs item 10); does not delete; stops resends. */
  async getResponse(correlationUid: string, organisationIdentification: string): Promise<StoredResponse> {
    // Fetches arriving together (clients notified of results finished together) share one statement.
    const db = this.platform.db;
    const row = await batcherOf<[string, string], ResponseRow | undefined>(db, 'response.fetch', async (items) => {
      const r = await db.query<ResponseRow>(
        // Rows locked in correlation_uid order, as every multi-row update of response_data does (no deadlocks).
        `WITH locked AS MATERIALIZED (
           SELECT r.correlation_uid FROM response_data r
             JOIN (SELECT DISTINCT * FROM unnest($1::text[], $2::text[]) AS x(c, o)) x
               ON r.correlation_uid = x.c AND r.organisation_identification = x.o
            ORDER BY r.correlation_uid FOR UPDATE OF r
         )
         UPDATE response_data r SET fetched_at = COALESCE(r.fetched_at, now())
           FROM locked l WHERE r.correlation_uid = l.correlation_uid RETURNING r.*`,
        [items.map((i) => i[0]), items.map((i) => i[1])],
      );
      const byKey = new Map(r.rows.map((row) => [`${row.correlation_uid}\n${row.organisation_identification}`, row]));
      return items.map(([c, o]) => byKey.get(`${c}\n${o}`));
    }).submit([correlationUid, organisationIdentification]);
    if (!row) throw unknownCorrelationUid();
    return responseFromRow(row);
  }

  /** The stored response without marking it fetched, or undefined. */
  async peekResponse(correlationUid: string, organisationIdentification: string): Promise<StoredResponse | undefined> {
    const r = await this.platform.db.query<ResponseRow>(
      'SELECT * FROM response_data WHERE correlation_uid = $1 AND organisation_identification = $2',
      [correlationUid, organisationIdentification],
    );
    return r.rows[0] ? responseFromRow(r.rows[0]) : undefined;
  }

  /** GXF DeleteResponseData (docs/gxf.md#response-storage): 405 when absent or owned by another organisation. */
  async deleteResponse(correlationUid: string, organisationIdentification: string): Promise<void> {
    await this.platform.db.tx(async (q) => {
      const r = await q.query<ResponseRow>(
        'DELETE FROM response_data WHERE correlation_uid = $1 AND organisation_identification = $2 RETURNING *',
        [correlationUid, organisationIdentification],
      );
      if (!r.rows[0]) throw unknownCorrelationUid();
      await q.query('DELETE FROM response_url WHERE correlation_uid = $1', [correlationUid]);
      await q.query(`UPDATE notification SET state = 'CANCELLED' WHERE correlation_uid = $1 AND state = 'PENDING'`, [correlationUid]);
      await audit(q, { event: 'DELETED', correlationUid, organisationIdentification, deviceIdentification: r.rows[0].device_identification, messageType: r.rows[0].message_type });
    });
  }

  /** Polls until the response exists (without marking it fetched); 405 after timeoutMs. */
  async waitForResponse(correlationUid: string, organisationIdentification: string, timeoutMs = 30_000): Promise<StoredResponse> {
    const deadline = Date.now() + timeoutMs;
    for (let delay = 10; ; delay = Math.min(delay * 2, 250)) {
      const resp = await this.peekResponse(correlationUid, organisationIdentification);
      if (resp) return resp;
      if (Date.now() >= deadline) throw unknownCorrelationUid();
      await new Promise((res) => setTimeout(res, Math.min(delay, Math.max(1, deadline - Date.now()))));
    }
  }

  async get(correlationUid: string): Promise<RequestRecord | undefined> {
    const r = await this.platform.db.query<RequestRow>('SELECT * FROM request WHERE correlation_uid = $1', [correlationUid]);
    return r.rows[0] ? recordFromRow(r.rows[0]) : undefined;
  }

  /** Any organisation's response (for administrators); undefined when none. */
  async responseOf(correlationUid: string): Promise<StoredResponse | undefined> {
    const r = await this.platform.db.query<ResponseRow>('SELECT * FROM response_data WHERE correlation_uid = $1', [correlationUid]);
    return r.rows[0] ? responseFromRow(r.rows[0]) : undefined;
  }

  async list(filter: { organisationIdentification?: string; deviceIdentification?: string; status?: string; limit?: number } = {}): Promise<RequestRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.organisationIdentification) { params.push(filter.organisationIdentification); where.push(`organisation_identification = $${params.length}`); }
    if (filter.deviceIdentification) { params.push(filter.deviceIdentification); where.push(`device_identification = $${params.length}`); }
    if (filter.status) { params.push(filter.status); where.push(`status = $${params.length}`); }
    params.push(Math.min(Math.max(filter.limit ?? 100, 1), 1000));
    const r = await this.platform.db.query<RequestRow>(
      `SELECT * FROM request ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY created_at DESC, correlation_uid LIMIT $${params.length}`,
      params,
    );
    return r.rows.map(recordFromRow);
  }

  async audit(filter: { correlationUid?: string; organisationIdentification?: string; limit?: number } = {}): Promise<AuditEntry[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.correlationUid) { params.push(filter.correlationUid); where.push(`correlation_uid = $${params.length}`); }
    if (filter.organisationIdentification) { params.push(filter.organisationIdentification); where.push(`organisation_identification = $${params.length}`); }
    params.push(Math.min(Math.max(filter.limit ?? 100, 1), 1000));
    const r = await this.platform.db.query<Record<string, unknown>>(
      `SELECT * FROM audit_log ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
    return r.rows.map((x) => ({
      at: toDate(x.at)!, event: x.event as string, correlationUid: (x.correlation_uid as string) ?? null,
      organisationIdentification: (x.organisation_identification as string) ?? null, userName: (x.user_name as string) ?? null,
      applicationName: (x.application_name as string) ?? null, deviceIdentification: (x.device_identification as string) ?? null,
      messageType: (x.message_type as string) ?? null, channel: (x.channel as string) ?? null, result: (x.result as string) ?? null,
      errorCode: (x.error_code as number) ?? null, detail: (x.detail as string) ?? null,
    }));
  }
}

/** A request as accepted: the columns written at submit (times as ISO text for the batched insert). */
type AcceptRow = Pick<RequestRow, 'correlation_uid' | 'organisation_identification' | 'user_name' | 'application_name' | 'device_identification'
  | 'message_type' | 'payload' | 'priority' | 'bypass_retry' | 'channel'> & {
  /** Chosen by the executor; null: the gateway of an M-Bus device, else the device. */
  lock_key: string | null;
  schedule_time: string | null;
  max_schedule_time: string | null;
  job_id: string;
  response_url: string | null;
  trace_parent: string | null;
};

interface ResponseRow {
  correlation_uid: string;
  organisation_identification: string;
  device_identification: string;
  message_type: string;
  result_type: ResultType;
  message_data: { data?: unknown; error?: StoredResponse['error'] } | null;
  created_at: Date;
}

function responseFromRow(r: ResponseRow): StoredResponse {
  const out: StoredResponse = {
    correlationUid: r.correlation_uid,
    organisationIdentification: r.organisation_identification,
    deviceIdentification: r.device_identification,
    messageType: r.message_type,
    result: r.result_type,
    createdAt: toDate(r.created_at)!,
  };
  if (r.message_data?.data !== undefined) out.data = r.message_data.data;
  if (r.message_data?.error) out.error = r.message_data.error;
  return out;
}

type RequestJob = QueueJob;

/** A final result as #writeFinished stores it. */
interface FinishRow {
  correlation_uid: string;
  /** Only the job that owns the request may finish it; null (dead letter) finishes whatever job owns it. */
  job_id: string | null;
  /** The exchange lock to release with the result. */
  lock_key: string | null;
  result: ResultType;
  error_code: number | null;
  message_data: unknown;
}

type Outcome = { result: 'OK'; data: unknown } | { result: 'NOT_OK'; error: MeterfabricError };

export class Platform {
  readonly db: Db;
  readonly queue: WorkQueue;
  readonly requests: RequestApi;
  readonly executors = new ExecutorRegistry();
  readonly throttle: Throttle;
  readonly log: Logger;
  readonly #opts: Required<Omit<PlatformOptions, 'db' | 'logger' | 'throttle' | 'notifications' | 'retry' | 'retention'>> & { retry: Required<RetryOptions> };
  #dispatcher: Promise<void> | undefined;
  /** Jobs fetched and not yet settled (at most concurrency). */
  #active = 0;
  #wake: (() => void) | undefined;
  #woken = false;
  readonly #handling = new Set<Promise<void>>();
  readonly #finished: GroupCommit<FinishRow>;
  readonly #inFlight = new Set<AbortController>();
  /** Requests whose execution has not returned yet in this process, even if aborted (see #handle). */
  readonly #executing = new Set<string>();
  #notifications: NotificationSender | undefined;
  readonly #retention: RetentionTask;
  #stopped = false;

  private constructor(opts: PlatformOptions) {
    this.db = opts.db;
    this.log = opts.logger ?? componentLogger('platform');
    this.throttle = new Throttle(opts.throttle);
    this.#finished = new GroupCommit<FinishRow>(async (rows) => {
      const later = await this.#writeFinished(rows);
      // Their notifications are committed: send them now, not at the sender's next poll.
      this.#notifications?.wake();
      // A gateway's next request could not start while this one ran: start it now, not at the next poll.
      if (later) this.wakeWorkers();
    });
    this.requests = new RequestApi(this);
    this.#opts = {
      workers: opts.workers ?? true,
      // Sessions in flight are bounded by the connection throttle (open connections, new ones per second), as in GXF;
      // a smaller worker limit would make the platform, not the throttle, the bottleneck (bench/scale.ts).
      concurrency: opts.concurrency ?? opts.throttle?.maxOpen ?? 1000,
      retry: { maxRetries: opts.retry?.maxRetries ?? 2, baseDelayMs: opts.retry?.baseDelayMs ?? 30_000 },
      jobExpireSeconds: opts.jobExpireSeconds ?? 900,
      crashRetries: opts.crashRetries ?? 5,
      maintenanceIntervalSeconds: opts.maintenanceIntervalSeconds ?? 30,
      pollingIntervalSeconds: opts.pollingIntervalSeconds ?? 1,
      lockRetryMs: opts.lockRetryMs ?? 1000,
      throttledRequeueWindowMs: opts.throttledRequeueWindowMs ?? 3_600_000,
      retentionMs: opts.retentionMs ?? 7 * 24 * 3600_000,
      retentionIntervalMs: opts.retentionIntervalMs ?? 60_000,
    };
    this.#retention = new RetentionTask({
      db: this.db,
      steps: [...PLATFORM_RETENTION_STEPS, ...(opts.retention?.steps ?? [])],
      policy: { ...DEFAULT_RETENTION, requestsMs: this.#opts.retentionMs, intervalMs: this.#opts.retentionIntervalMs, ...opts.retention?.policy },
      onError: (e) => this.log.warn({ err: e }, 'retention run failed'),
      onPass: (r) => {
        if (Object.values(r).some((n) => n > 0)) this.log.info({ deleted: r }, 'retention pass');
      },
    });
    // The lease is short and renewed while a job runs, so a killed worker's jobs run again well within the
    // execution time limit (lease + sweep interval <= 3/4 of it).
    const leaseMs = Math.min(30_000, Math.max(200, Math.floor(this.#executionLimitMs() / 2)));
    this.queue = new WorkQueue(this.db, {
      leaseMs,
      sweepMs: Math.min(this.#opts.maintenanceIntervalSeconds * 1000, Math.floor(leaseMs / 2)),
      log: this.log.child({ component: 'queue' }),
    });
    if (this.#opts.workers) this.#notifications = new NotificationSender(this.db, this.log.child({ component: 'notifications' }), opts.notifications);
  }

  /** Starts the queue on opts.db (which must be migrated) and, unless workers is false, the workers. */
  static async start(opts: PlatformOptions): Promise<Platform> {
    const workers = opts.workers ?? true;
    const platform = new Platform(opts);
    if (workers) await platform.#startWorkers();
    return platform;
  }

  get workersRunning(): boolean {
    return this.#dispatcher !== undefined;
  }

  /** Wakes the idle local dispatcher after a submit, so a request does not wait for the next poll. */
  wakeWorkers(): void {
    this.#woken = true;
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Stops taking jobs, aborts running executions (their jobs are retried elsewhere), closes the queue. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#retention.stop();
    await this.#notifications?.stop();
    for (const c of this.#inFlight) c.abort(new MeterfabricError(ErrorCode.QUEUE_ERROR, 'platform stopping', { component: 'SHARED' }));
    this.wakeWorkers();
    await this.#dispatcher;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.#handling]), new Promise((res) => (timer = setTimeout(res, 10_000)))]);
    clearTimeout(timer);
    await this.queue.stop();
  }

  /** How long one execution may run before it is aborted: just under jobExpireSeconds. */
  #executionLimitMs(): number {
    return Math.max(1000, this.#opts.jobExpireSeconds * 1000 - Math.min(30_000, this.#opts.jobExpireSeconds * 200));
  }

  /**
   * One retention pass as of `now` (src/platform/retention.ts): responses, ResponseUrls, notifications and finished
   * requests past retention (docs/gxf.md#response-storage: 7 days), audit, pushes, leftovers, and the steps of
   * options.retention. Returns the number of responses deleted (0 when another process holds the retention lease).
   */
  async purgeExpired(now = new Date()): Promise<number> {
    return (await this.#retention.runOnce(now))?.responses ?? 0;
  }

  async #startWorkers(): Promise<void> {
    this.queue.start(() => {
      for (const c of this.#inFlight) c.abort(new MeterfabricError(ErrorCode.QUEUE_ERROR, 'The job lease could not be renewed', { component: 'SHARED' }));
    }, () => this.wakeWorkers());
    this.#dispatcher = this.#dispatch();
    this.#notifications?.start();
    this.#retention.start();
  }

  /** Resolves after ms, or at once when wakeWorkers() was called since the last fetch. */
  #idle(ms: number): Promise<void> {
    if (this.#woken) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.#wake === done) this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }

  /**
   * The dispatcher: fetches as many jobs as there are free execution slots (`concurrency`) in one query, highest
   * priority first, and hands each batch to #handleBatch. It fetches again as soon as slots free up while the queue
   * has work, and polls (or waits for a local submit) when it is empty.
   */
  async #dispatch(): Promise<void> {
    const pollMs = this.#opts.pollingIntervalSeconds * 1000;
    while (!this.#stopped) {
      // PGlite answers from WASM within the same macrotask: without this yield a busy loop would starve timers
      // (executions' own timeouts, delays) for as long as the queue has work.
      await new Promise((resolve) => setImmediate(resolve));
      const free = this.#opts.concurrency - this.#active;
      if (free <= 0) {
        await this.#idle(pollMs);
        this.#woken = false;
        continue;
      }
      this.#woken = false;
      // Errors are logged and counted by the queue; the next poll tries again.
      const jobs = await this.queue.fetch(free);
      if (jobs.length > 0) {
        this.#active += jobs.length;
        const handling = this.#handleBatch(jobs);
        this.#handling.add(handling);
        void handling.finally(() => this.#handling.delete(handling));
      }
      if (jobs.length < free && !this.#stopped) await this.#idle(pollMs);
    }
  }

  /**
   * Runs `work` for jobs the dispatcher holds. work completes the jobs in its own transaction; when it throws
   * (database trouble, shutdown) the jobs go back to the queue, which delivers them again (counted against
   * crashRetries).
   */
  async #settle(jobs: RequestJob[], work: () => Promise<void>): Promise<void> {
    try {
      await work();
      this.queue.forget(jobs.map((j) => j.id));
    } catch (e) {
      if (!this.#stopped) this.log.warn({ err: e }, 'request handling failed; the job is run again');
      await this.queue.release(jobs.map((j) => j.id), this.#stopped ? 0 : 1000);
    } finally {
      const wasFull = this.#active >= this.#opts.concurrency;
      this.#active -= jobs.length;
      if (wasFull) this.wakeWorkers();
    }
  }

  /**
   * One batch of fetched jobs: one query reads their requests, one statement claims the gateways' exchange locks and
   * marks the requests RUNNING, then each request runs on its own. Jobs whose request moved on are completed; two
   * requests of one gateway in a batch: the second waits (requeued) like any request of a busy gateway.
   */
  async #handleBatch(jobs: RequestJob[]): Promise<void> {
    let found: RequestRow[];
    try {
      if (this.#stopped) throw new MeterfabricError(ErrorCode.QUEUE_ERROR, 'platform stopping', { component: 'SHARED' });
      found = (await this.db.query<RequestRow>('SELECT * FROM request WHERE correlation_uid = ANY($1::text[])', [jobs.map((j) => j.correlationUid)], { prepareAs: 'meterfabric_job_requests' })).rows;
    } catch (e) {
      await this.#settle(jobs, () => Promise.reject(e));
      return;
    }
    const byUid = new Map(found.map((r) => [r.correlation_uid, r]));
    const tasks: Array<Promise<void>> = [];
    const stale: RequestJob[] = [];
    const claims: Array<{ job: RequestJob; req: RequestRow; log: Logger }> = [];
    const lockKeys = new Set<string>();
    for (const job of jobs) {
      const req = byUid.get(job.correlationUid);
      if (!req || req.status === 'DONE' || req.job_id !== job.id) {
        stale.push(job); // the request moved on
        continue;
      }
      const correlationUid = req.correlation_uid;
      const log = this.log.child({ correlationUid, messageType: req.message_type });
      if (job.deliveries > this.#opts.crashRetries + 1) {
        // The job kept crashing its worker (or kept failing to be handled): give the request its final NOT OK.
        tasks.push(this.#settle([job], () => this.#finish(correlationUid, job.id, {
          result: 'NOT_OK',
          error: new MeterfabricError(ErrorCode.QUEUE_ERROR, 'The request failed repeatedly in the platform and was abandoned', { component: 'SHARED', retryable: false }),
        }, req.lock_key)));
        continue;
      }
      const maxTime = toDate(req.max_schedule_time);
      if (maxTime && Date.now() > maxTime.getTime()) {
        tasks.push(this.#settle([job], () => this.#finish(correlationUid, job.id, {
          result: 'NOT_OK', error: new MeterfabricError(ErrorCode.MAX_SCHEDULE_TIME_EXCEEDED, 'MaxScheduleTime passed before the request could run', { component: 'OSGP_CORE', retryable: false }),
        })));
        continue;
      }
      // A job redelivered after its expiry while this process still runs its earlier execution (aborted at the time
      // limit but not yet returned, e.g. mid association): two exchanges of one request would overlap on the meter,
      // and the earlier one fails on the invocation counters the later one used. Wait for it, without a retry.
      // A second request for a gateway already claimed in this batch waits the same way.
      if (this.#executing.has(correlationUid) || lockKeys.has(req.lock_key)) {
        tasks.push(this.#settle([job], () => this.#requeue(req, job.id, this.#opts.lockRetryMs, false, log)));
        continue;
      }
      lockKeys.add(req.lock_key);
      claims.push({ job, req, log });
    }
    if (stale.length > 0) tasks.push(this.#settle(stale, () => this.#completeJobs(stale.map((j) => j.id))));
    if (claims.length > 0) {
      let claimed: Map<string, { locked: boolean; attempts: number | null }> | undefined;
      try {
        claimed = await this.#claim(claims.map((c) => c.req), claims.map((c) => c.job.id));
      } catch (e) {
        tasks.push(this.#settle(claims.map((c) => c.job), () => Promise.reject(e)));
      }
      for (const { job, req, log } of claimed ? claims : []) {
        const c = claimed!.get(req.correlation_uid);
        if (!c?.locked) {
          // The gateway is busy with another exchange: run this one later, without counting a retry.
          tasks.push(this.#settle([job], () => this.#requeue(req, job.id, this.#opts.lockRetryMs, false, log)));
        } else if (c.attempts === null) {
          // The request moved on between the read and the claim.
          tasks.push(this.#settle([job], async () => {
            await this.#releaseLock(req.lock_key, req.correlation_uid);
            await this.#completeJobs([job.id]);
          }));
        } else {
          tasks.push(this.#settle([job], () => this.#run(req, job.id, c.attempts!, log)));
        }
      }
    }
    await Promise.all(tasks);
  }

  /**
   * Takes the exchange locks of the requests' gateways (distinct lock keys, in key order so that concurrent claims
   * cannot deadlock) and marks the requests that got theirs RUNNING, attempts + 1: one statement, one commit.
   */
  async #claim(reqs: RequestRow[], jobIds: string[]): Promise<Map<string, { locked: boolean; attempts: number | null }>> {
    const r = await this.db.query<{ correlation_uid: string; locked: boolean; attempts: number | null }>(
      `WITH x AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[]) AS x(lock_key, correlation_uid, job_id)
       ), lock AS (
         INSERT INTO exchange_lock (lock_key, correlation_uid, expires_at)
         SELECT lock_key, correlation_uid, now() + ($4::int * interval '1 second') FROM x ORDER BY lock_key
         ON CONFLICT (lock_key) DO UPDATE SET correlation_uid = EXCLUDED.correlation_uid, expires_at = EXCLUDED.expires_at
           WHERE exchange_lock.expires_at < now() OR exchange_lock.correlation_uid = EXCLUDED.correlation_uid
         RETURNING lock_key, correlation_uid
       ), started AS (
         UPDATE request r SET status = 'RUNNING', attempts = r.attempts + 1, updated_at = now()
           FROM x JOIN lock l ON l.correlation_uid = x.correlation_uid
          WHERE r.correlation_uid = x.correlation_uid AND r.job_id = x.job_id AND r.status <> 'DONE'
         RETURNING r.correlation_uid, r.attempts
       )
       SELECT x.correlation_uid, l.lock_key IS NOT NULL AS locked, s.attempts
         FROM x LEFT JOIN lock l ON l.correlation_uid = x.correlation_uid LEFT JOIN started s ON s.correlation_uid = x.correlation_uid`,
      [reqs.map((q) => q.lock_key), reqs.map((q) => q.correlation_uid), jobIds, this.#opts.jobExpireSeconds],
      { prepareAs: 'meterfabric_claim' },
    );
    return new Map(r.rows.map((x) => [x.correlation_uid, { locked: x.locked, attempts: x.attempts }]));
  }

  async #releaseLock(lockKey: string, correlationUid: string): Promise<void> {
    await this.db.query('DELETE FROM exchange_lock WHERE lock_key = $1 AND correlation_uid = $2', [lockKey, correlationUid]);
  }

  async #completeJobs(ids: string[]): Promise<void> {
    await completeJobs(this.db, ids);
  }

  /** Executes a claimed request (its lock held, status RUNNING) and records the outcome: result, retry or 417. */
  async #run(req: RequestRow, jobId: string, attempts: number, log: Logger): Promise<void> {
    const correlationUid = req.correlation_uid;
    const maxTime = toDate(req.max_schedule_time);
    let released = false;
    try {
      if (this.#stopped) throw new MeterfabricError(ErrorCode.QUEUE_ERROR, 'platform stopping', { component: 'SHARED' });
      this.#executing.add(correlationUid);
      let outcome: Outcome;
      try {
        outcome = await this.#execute(req, attempts, log);
      } finally {
        this.#executing.delete(correlationUid);
      }
      if (outcome.result === 'OK') {
        await this.#finish(correlationUid, jobId, outcome, req.lock_key);
        released = true;
        return;
      }
      const err = outcome.error;
      const deniedFor = throttledRetryAfterMs(err);
      if (deniedFor !== undefined && !this.#stopped) {
        const until = Math.min(new Date(req.created_at).getTime() + this.#opts.throttledRequeueWindowMs, maxTime?.getTime() ?? Infinity);
        if (Date.now() + deniedFor <= until) {
          // docs/gxf.md#re-queues-that-are-not-retries: a denied connection permit re-queues the request; it is no retry, so neither the
          // retry count nor BypassRetry applies.
          await this.#requeue(req, jobId, deniedFor, false, log, err);
          return;
        }
      }
      const { maxRetries, baseDelayMs } = this.#opts.retry;
      if (err.retryable && !req.bypass_retry && req.retries < maxRetries && !this.#stopped) {
        const delay = baseDelayMs * 2 ** req.retries;
        if (maxTime && Date.now() + delay > maxTime.getTime()) {
          // docs/gxf.md#retries: a retry beyond MaxScheduleTime ends the request with 417, cause = original error.
          await this.#finish(correlationUid, jobId, {
            result: 'NOT_OK',
            error: new MeterfabricError(ErrorCode.MAX_SCHEDULE_TIME_EXCEEDED, err.message, { component: 'OSGP_CORE', cause: err, retryable: false }),
          });
        } else {
          await this.#requeue(req, jobId, delay, true, log, err);
        }
        return;
      }
      if (this.#stopped && err.retryable) throw err; // shutting down: leave the job to be redelivered
      await this.#finish(correlationUid, jobId, outcome, req.lock_key);
      released = true;
    } finally {
      if (!released) await this.#releaseLock(req.lock_key, correlationUid).catch(() => undefined);
    }
  }

  async #execute(req: RequestRow, attempt: number, log: Logger): Promise<Outcome> {
    const executor = this.executors.get(req.message_type);
    if (!executor) {
      return { result: 'NOT_OK', error: new MeterfabricError(ErrorCode.OPERATION_NOT_SUPPORTED_BY_PLATFORM_FOR_PROTOCOL, `No executor for ${req.message_type}`, { component: 'OSGP_CORE', retryable: false }) };
    }
    const controller = new AbortController();
    this.#inFlight.add(controller);
    // The execution time limit (just under jobExpireSeconds); a live worker renews the job's lease meanwhile.
    const limitMs = this.#executionLimitMs();
    const timer = setTimeout(() => controller.abort(new MeterfabricError(ErrorCode.COMMUNICATION_TIMEOUT, 'Execution exceeded its time limit', { component: 'OSGP_CORE' })), limitMs);
    try {
      // The execution continues the trace of the span that accepted the request, in whatever process it runs.
      const data = await context.with(contextFromTraceParent(req.trace_parent), () => executor.execute({
        correlationUid: req.correlation_uid,
        organisationIdentification: req.organisation_identification,
        userName: req.user_name,
        applicationName: req.application_name,
        deviceIdentification: req.device_identification,
        messageType: req.message_type,
        payload: req.payload,
        attempt,
        priority: req.priority,
        db: this.db,
        log,
        signal: controller.signal,
        throttle: this.throttle,
      }));
      return { result: 'OK', data };
    } catch (e) {
      const thrown = controller.signal.aborted && !(e instanceof MeterfabricError) ? controller.signal.reason ?? e : e;
      // Anything but a MeterfabricError (a database or driver error, a bug) is stored and notified as a plain
      // internal error: its own text (SQL, constraint names) stays in the log.
      const error = isMeterfabricError(thrown)
        ? thrown
        : new MeterfabricError(ErrorCode.INTERNAL_ERROR, 'An unexpected error occurred while executing the request', { component: 'OSGP_CORE' });
      if (!isMeterfabricError(thrown)) log.warn({ err: thrown }, 'unexpected error in execution');
      log.info({ code: error.code, retryable: error.retryable }, 'execution failed');
      return { result: 'NOT_OK', error };
    } finally {
      clearTimeout(timer);
      this.#inFlight.delete(controller);
    }
  }

  /**
   * Hands the request to a new job (retry or busy gateway) and completes the current one: one transaction, guarded
   * by the current job id. A retry lowers the priority every second retry (docs/gxf.md#priority).
   */
  async #requeue(req: RequestRow, jobId: string, delayMs: number, countsAsRetry: boolean, log: Logger, err?: MeterfabricError): Promise<void> {
    const next = randomUUID();
    const priority = countsAsRetry ? retryPriority(req.priority, req.retries + 1) : req.priority;
    // One statement: the current job completed, the request handed to the next job (keeping its place in the order
    // of its gateway: submitted_at is the acceptance time) and, for a retry, the RETRY audit row.
    await this.db.query(
      `WITH done AS (
         ${completeJobsSql('($2::uuid)')}
       ), r AS (
         UPDATE request SET job_id = $3, status = $4, retries = retries + $5, priority = $6, updated_at = now()
          WHERE correlation_uid = $1 AND job_id = $2 AND status <> 'DONE'
         RETURNING correlation_uid, organisation_identification, device_identification, message_type, channel, lock_key, priority, created_at
       ), a AS (
         INSERT INTO audit_log (event, correlation_uid, organisation_identification, device_identification, message_type, channel, error_code, detail)
         SELECT 'RETRY', correlation_uid, organisation_identification, device_identification, message_type, channel, $8, $9 FROM r WHERE $5 = 1
       ), j AS (
         ${insertJobsSql(`(SELECT $3::uuid AS job_id, correlation_uid, lock_key, priority, created_at AS submitted_at,
           now() + $7::int * interval '1 millisecond' AS run_after FROM r)`)}
       )
       SELECT 1`,
      [req.correlation_uid, jobId, next, countsAsRetry ? 'RETRY' : (req.status === 'RETRY' ? 'RETRY' : 'QUEUED'), countsAsRetry ? 1 : 0, priority,
        Math.round(delayMs), err?.code ?? null, countsAsRetry ? (err?.message ?? null) : null],
      { prepareAs: 'meterfabric_requeue' },
    );
    if (countsAsRetry) log.info({ delayMs, priority }, 'retry scheduled');
    // A local dispatcher that is idle would otherwise find a short delay only at its next poll.
    if (this.#dispatcher && delayMs < this.#opts.pollingIntervalSeconds * 1000) setTimeout(() => this.wakeWorkers(), delayMs).unref();
  }

  /**
   * Writes the final result once: request DONE, response row, notification outbox and audit, the exchange lock
   * released and the job completed, in one transaction shared with the other results finishing at the same time.
   * jobId null (dead letter) finishes whatever job owns the request.
   */
  async #finish(correlationUid: string, jobId: string | null, outcome: Outcome, lockKey?: string): Promise<void> {
    const messageData =
      outcome.result === 'OK'
        ? outcome.data === undefined ? null : { data: outcome.data }
        : { error: { code: outcome.error.code, codeName: errorCodeName(outcome.error.code), component: outcome.error.component, message: notificationMessage(outcome.error) } };
    await this.#finished.add({
      correlation_uid: correlationUid, job_id: jobId, lock_key: lockKey ?? null, result: outcome.result,
      error_code: outcome.result === 'OK' ? null : outcome.error.code, message_data: messageData,
    });
  }

  /**
   * One statement for a batch of final results. A request already DONE, or owned by another job, is left alone
   * (its job is still completed). Notifications: SOAP requests to the ResponseUrl or the organisation's
   * notification URL, REST requests to the ResponseUrl or its webhook; no target, no notification (docs/gxf.md#notifications).
   * Returns whether a gateway of these jobs has another job due: the claim held it back until now.
   */
  async #writeFinished(rows: FinishRow[]): Promise<boolean> {
    const r = await this.db.query<{ later: boolean }>(
      `WITH x AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(correlation_uid text, job_id uuid, lock_key text, result text, error_code int, message_data jsonb)
       ), unlocked AS (
         DELETE FROM exchange_lock l USING x WHERE l.lock_key = x.lock_key AND l.correlation_uid = x.correlation_uid
       ), done AS (
         UPDATE request r SET status = 'DONE', result = x.result, error_code = x.error_code, updated_at = now(), completed_at = now()
           FROM x WHERE r.correlation_uid = x.correlation_uid AND r.status <> 'DONE' AND (x.job_id IS NULL OR r.job_id = x.job_id)
         RETURNING r.correlation_uid, r.organisation_identification, r.user_name, r.application_name, r.device_identification, r.message_type,
           r.channel, x.result, x.error_code, x.message_data
       ), responses AS (
         INSERT INTO response_data (correlation_uid, organisation_identification, device_identification, message_type, result_type, message_data)
         SELECT correlation_uid, organisation_identification, device_identification, message_type, result, message_data FROM done
         ON CONFLICT (correlation_uid) DO NOTHING
       ), notifications AS (
         INSERT INTO notification (correlation_uid, kind, target_url)
         SELECT correlation_uid, kind, target_url FROM (
           SELECT d.correlation_uid, CASE WHEN d.channel = 'SOAP' THEN 'SOAP' ELSE 'WEBHOOK' END AS kind,
                  COALESCE(u.response_url, CASE WHEN d.channel = 'SOAP' THEN o.notification_url ELSE o.webhook_url END) AS target_url
             FROM done d JOIN organisation o ON o.identification = d.organisation_identification
             LEFT JOIN response_url u ON u.correlation_uid = d.correlation_uid
         ) t WHERE target_url <> ''
       ), audit AS (
         INSERT INTO audit_log (event, correlation_uid, organisation_identification, user_name, application_name, device_identification,
           message_type, channel, result, error_code)
         SELECT 'COMPLETED', correlation_uid, organisation_identification, user_name, application_name, device_identification,
           message_type, channel, result, error_code FROM done
       ), jobs AS (${completeJobsSql('(SELECT job_id FROM x WHERE job_id IS NOT NULL)')})
       ${laterJobsSql('(SELECT job_id FROM x WHERE job_id IS NOT NULL)')}`,
      [JSON.stringify(rows)],
      { prepareAs: 'meterfabric_finish' },
    );
    return r.rows[0]?.later === true;
  }
}

/** docs/gxf.md#priority: the priority of retry number `retryCount` (1-based) is lowered by one on every even retry. */
export function retryPriority(priority: number, retryCount: number): number {
  return retryCount > 0 && retryCount % 2 === 0 ? Math.max(priority - 1, 0) : priority;
}

/**
 * docs/gxf.md#error-text-of-a-notification: the notification message is the cause's message when there is a cause — a MeterfabricError
 * cause only: the text of anything else (database, driver) is not for callers.
 */
function notificationMessage(e: MeterfabricError): string {
  const cause = (e as { cause?: unknown }).cause;
  return isMeterfabricError(cause) && cause.message ? cause.message : e.message;
}
