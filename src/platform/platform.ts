/**
 * The platform core: accepts device requests (after GXF's synchronous checks), keeps them durably in the
 * `request` table and the pg-boss queue, runs them through registered OperationExecutors with retries, a
 * per-gateway exchange lock, throttling and scheduling, stores the responses and notifies the callers.
 *
 * Request lifecycle (README.md): submit -> QUEUED -> RUNNING -> (RETRY -> RUNNING)* -> DONE with one response row.
 * The request row names the queue job that owns it (`job_id`); a job whose id differs is stale and does nothing,
 * and the final result is written by a conditional UPDATE in the same transaction as the response, so a request
 * reaches its final result exactly once even when jobs are redelivered after a crash.
 */
import { randomUUID } from 'node:crypto';
import type PgBoss from 'pg-boss';
import type { Db, Queryable } from './db/db.ts';
import { ErrorCode, MeterfabricError, errorCodeName, toMeterfabricError, type Component } from '../errors.ts';
import { logger as componentLogger, type Logger } from '../observability/logger.ts';
import { context } from '@opentelemetry/api';
import { inSpan, currentTraceParent, contextFromTraceParent, CORRELATION_UID } from '../observability/tracing.ts';
import { MessageType, type ResultType } from './operations.ts';
import { makeCorrelationUid } from './correlation.ts';
import { DEAD_LETTER_QUEUE, REQUEST_QUEUE, inTx, startQueue } from './queue.ts';
import { Throttle, type ThrottleOptions } from './throttle.ts';
import { NotificationSender, enqueueNotification, type NotificationOptions } from './notifications.ts';

export type RequestChannel = 'SOAP' | 'REST';

export interface SubmitRequest {
  organisationIdentification: string;
  userName: string;
  applicationName: string;
  deviceIdentification: string;
  messageType: string;
  payload: unknown;
  /** 0..9, absent 4, clamped (GXF-SEMANTICS §5). */
  priority?: number;
  /** Not before (GXF ScheduleTime). */
  scheduleTime?: Date;
  /** A retry that would start after this time ends the request with 417 instead. */
  maxScheduleTime?: Date;
  bypassRetry?: boolean;
  responseUrl?: string;
  channel: RequestChannel;
}

export interface StoredResponse {
  correlationUid: string;
  organisationIdentification: string;
  deviceIdentification: string;
  messageType: string;
  result: ResultType;
  data?: unknown;
  error?: { code: number; codeName: string; component: string; message: string };
  createdAt: Date;
}

export interface OperationContext {
  correlationUid: string;
  organisationIdentification: string;
  userName: string;
  applicationName: string;
  deviceIdentification: string;
  messageType: string;
  payload: unknown;
  /** 1 for the first execution, counting re-runs after retries and crashes. */
  attempt: number;
  db: Db;
  /** Carries the correlation id on every line. */
  log: Logger;
  /** Aborted before the job's lease runs out (and on shutdown): stop talking to the meter and throw. */
  signal: AbortSignal;
  /** Wrap every meter connection in throttle.acquire()/release (GXF-SEMANTICS §10). */
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
  /** Parallel executions in this process (default 8). */
  concurrency?: number;
  retry?: RetryOptions;
  throttle?: ThrottleOptions;
  notifications?: NotificationOptions;
  /** A job active this long counts as crashed and is run again (default 900 s); executions are aborted before. */
  jobExpireSeconds?: number;
  /** Re-deliveries after a crash before the request ends NOT_OK with 1301 (default 5). */
  crashRetries?: number;
  /** pg-boss maintenance (expiry) interval (default 30 s). */
  maintenanceIntervalSeconds?: number;
  /** Idle queue polling interval (default 1 s; pg-boss minimum 0.5 s). */
  pollingIntervalSeconds?: number;
  /** Delay before a request whose gateway is busy is tried again (default 1000 ms). */
  lockRetryMs?: number;
  /** How long responses are kept (default 7 days, GXF-SEMANTICS §3.3). */
  retentionMs?: number;
  /** Retention job interval (default 60 s). */
  retentionIntervalMs?: number;
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

export interface RequestRecord {
  correlationUid: string;
  organisationIdentification: string;
  userName: string;
  applicationName: string;
  deviceIdentification: string;
  messageType: string;
  payload: unknown;
  priority: number;
  scheduleTime: Date | null;
  maxScheduleTime: Date | null;
  bypassRetry: boolean;
  channel: RequestChannel;
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
  constructor(private readonly platform: Platform) {}

  /**
   * GXF's synchronous checks (GXF-SEMANTICS §3.1, §9.2), then one transaction that writes the request, its
   * ResponseUrl and audit row and enqueues its job. Errors: 101, 104, 201, 301 (no correlationUid is created).
   */
  async submit(r: SubmitRequest): Promise<{ correlationUid: string }> {
    const p = this.platform;
    const db = p.db;
    const reject = async (code: number, message: string, component: Component) => {
      await audit(db, {
        event: 'REJECTED', organisationIdentification: r.organisationIdentification, userName: r.userName, applicationName: r.applicationName,
        deviceIdentification: r.deviceIdentification, messageType: r.messageType, channel: r.channel, errorCode: code, detail: message,
      }).catch(() => undefined);
      return new MeterfabricError(code, message, { component, retryable: false });
    };
    // One round trip for GXF's checks, evaluated in GXF's order below (GXF-SEMANTICS §9.2).
    const checked = await db.query<{ enabled: boolean; device_found: boolean; gateway: string | null; authorised: boolean }>(
      `SELECT o.enabled, d.device_identification IS NOT NULL AS device_found, d.gateway_device_identification AS gateway,
              EXISTS (SELECT 1 FROM device_authorisation a
                       WHERE a.organisation_identification = o.identification AND a.device_identification = $2
                         AND (a.function_group = 'OWNER' OR EXISTS (
                           SELECT 1 FROM device_function_mapping m WHERE m.function_group = a.function_group AND m.device_function = $3))) AS authorised
         FROM organisation o LEFT JOIN device d ON d.device_identification = $2
        WHERE o.identification = $1`,
      [r.organisationIdentification, r.deviceIdentification, r.messageType],
    );
    const c = checked.rows[0];
    if (!c) throw await reject(ErrorCode.UNKNOWN_ORGANISATION, `Organisation ${r.organisationIdentification} is unknown`, 'WS_SMART_METERING');
    if (!c.enabled) throw await reject(ErrorCode.DISABLED_ORGANISATION, `Organisation ${r.organisationIdentification} is disabled`, 'WS_SMART_METERING');
    let gateway: string | null = null;
    if (r.messageType !== MessageType.ADD_METER) {
      // GXF-SEMANTICS §9.3: ADD_METER creates the device; every other function is checked on the request's device.
      if (!c.device_found) throw await reject(ErrorCode.UNKNOWN_DEVICE, `Device ${r.deviceIdentification} is unknown`, 'DOMAIN_CORE');
      if (!c.authorised) {
        throw await reject(ErrorCode.UNAUTHORIZED, `Organisation [${r.organisationIdentification}] is not authorized for action`, 'WS_SMART_METERING');
      }
      gateway = c.gateway;
    }
    const executor = p.executors.get(r.messageType);
    const lockInput: LockKeyInput = {
      organisationIdentification: r.organisationIdentification, deviceIdentification: r.deviceIdentification,
      messageType: r.messageType, payload: r.payload ?? {}, gatewayDeviceIdentification: gateway,
    };
    const lockKey = executor?.lockKey ? await executor.lockKey(lockInput) : (gateway ?? r.deviceIdentification);
    const correlationUid = makeCorrelationUid(r.organisationIdentification, r.deviceIdentification);
    const priority = clampPriority(r.priority);
    await inSpan(`accept ${r.messageType}`, { [CORRELATION_UID]: correlationUid, 'meterfabric.device': r.deviceIdentification }, () =>
      this.#accept({
        correlation_uid: correlationUid, organisation_identification: r.organisationIdentification, user_name: r.userName,
        application_name: r.applicationName, device_identification: r.deviceIdentification, message_type: r.messageType,
        payload: r.payload ?? {}, priority, schedule_time: r.scheduleTime?.toISOString() ?? null,
        max_schedule_time: r.maxScheduleTime?.toISOString() ?? null, bypass_retry: r.bypassRetry ?? false, channel: r.channel,
        lock_key: lockKey, job_id: randomUUID(), response_url: r.responseUrl ?? null, trace_parent: currentTraceParent() ?? null,
      }),
    );
    p.wakeWorkers();
    return { correlationUid };
  }

  readonly #pending: Array<{ row: AcceptRow; resolve: () => void; reject: (e: unknown) => void }> = [];
  #flushing = false;

  /**
   * Group commit: requests accepted while a commit is in progress are written together in the next transaction,
   * so concurrent callers share one WAL flush. Each caller still returns only after its request is committed.
   */
  #accept(row: AcceptRow): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ row, resolve, reject });
      if (!this.#flushing) void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0, 500);
        try {
          await this.#writeAccepted(batch.map((b) => b.row));
          for (const b of batch) b.resolve();
        } catch (e) {
          if (batch.length === 1) batch[0]!.reject(e);
          else {
            // One bad row must not fail its neighbours: write them one by one.
            for (const b of batch) await this.#writeAccepted([b.row]).then(b.resolve, b.reject);
          }
        }
      }
    } finally {
      this.#flushing = false;
    }
  }

  /** One transaction: request rows, ResponseUrls, ACCEPTED audit rows and their queue jobs. */
  async #writeAccepted(rows: AcceptRow[]): Promise<void> {
    const json = JSON.stringify(rows);
    await this.platform.db.tx(async (q) => {
      await q.query(
        `INSERT INTO request (correlation_uid, organisation_identification, user_name, application_name, device_identification, message_type,
           payload, priority, schedule_time, max_schedule_time, bypass_retry, channel, lock_key, job_id, trace_parent)
         SELECT correlation_uid, organisation_identification, user_name, application_name, device_identification, message_type,
           payload, priority, schedule_time, max_schedule_time, bypass_retry, channel, lock_key, job_id, trace_parent
           FROM jsonb_to_recordset($1::jsonb) AS x(correlation_uid text, organisation_identification text, user_name text, application_name text,
             device_identification text, message_type text, payload jsonb, priority smallint, schedule_time timestamptz,
             max_schedule_time timestamptz, bypass_retry boolean, channel text, lock_key text, job_id uuid, trace_parent text)`,
        [json],
      );
      if (rows.some((r) => r.response_url)) {
        await q.query(
          `INSERT INTO response_url (correlation_uid, response_url)
           SELECT correlation_uid, response_url FROM jsonb_to_recordset($1::jsonb) AS x(correlation_uid text, response_url text) WHERE response_url IS NOT NULL`,
          [json],
        );
      }
      await q.query(
        `INSERT INTO audit_log (event, correlation_uid, organisation_identification, user_name, application_name, device_identification, message_type, channel)
         SELECT 'ACCEPTED', correlation_uid, organisation_identification, user_name, application_name, device_identification, message_type, channel
           FROM jsonb_to_recordset($1::jsonb) AS x(correlation_uid text, organisation_identification text, user_name text, application_name text,
             device_identification text, message_type text, channel text)`,
        [json],
      );
      await this.platform.boss.insert(
        rows.map((r) => ({
          id: r.job_id, name: REQUEST_QUEUE, data: { correlationUid: r.correlation_uid }, priority: r.priority,
          ...(r.schedule_time ? { startAfter: r.schedule_time } : {}),
        })),
        { db: inTx(q) } as never,
      );
      // pg-boss's bulk insert reports nothing (and skips jobs of an unknown queue): count what it wrote.
      const written = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND id = ANY($2::uuid[])`, [
        REQUEST_QUEUE, rows.map((r) => r.job_id),
      ]);
      if (written.rows[0]!.n !== rows.length) {
        throw new MeterfabricError(ErrorCode.QUEUE_ERROR, 'The request could not be queued', { component: 'SHARED' });
      }
    });
  }

  /** 405 when absent or owned by another organisation (GXF §19 #10); does not delete; stops resends. */
  async getResponse(correlationUid: string, organisationIdentification: string): Promise<StoredResponse> {
    const r = await this.platform.db.query<ResponseRow>(
      `UPDATE response_data SET fetched_at = COALESCE(fetched_at, now())
        WHERE correlation_uid = $1 AND organisation_identification = $2 RETURNING *`,
      [correlationUid, organisationIdentification],
    );
    if (!r.rows[0]) throw unknownCorrelationUid();
    return responseFromRow(r.rows[0]);
  }

  /** The stored response without marking it fetched, or undefined. */
  async peekResponse(correlationUid: string, organisationIdentification: string): Promise<StoredResponse | undefined> {
    const r = await this.platform.db.query<ResponseRow>(
      'SELECT * FROM response_data WHERE correlation_uid = $1 AND organisation_identification = $2',
      [correlationUid, organisationIdentification],
    );
    return r.rows[0] ? responseFromRow(r.rows[0]) : undefined;
  }

  /** GXF DeleteResponseData (GXF-SEMANTICS §3.3): 405 when absent or owned by another organisation. */
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
  | 'message_type' | 'payload' | 'priority' | 'bypass_retry' | 'channel' | 'lock_key'> & {
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

type Outcome = { result: 'OK'; data: unknown } | { result: 'NOT_OK'; error: MeterfabricError };

export class Platform {
  readonly db: Db;
  readonly boss: PgBoss;
  readonly requests: RequestApi;
  readonly executors = new ExecutorRegistry();
  readonly throttle: Throttle;
  readonly log: Logger;
  readonly #opts: Required<Omit<PlatformOptions, 'db' | 'logger' | 'throttle' | 'notifications' | 'retry'>> & { retry: Required<RetryOptions> };
  readonly #workerIds: string[] = [];
  readonly #inFlight = new Set<AbortController>();
  /** Requests whose execution has not returned yet in this process, even if aborted (see #handle). */
  readonly #executing = new Set<string>();
  #notifications: NotificationSender | undefined;
  #retentionTimer: NodeJS.Timeout | undefined;
  #stopped = false;

  private constructor(opts: PlatformOptions, boss: PgBoss) {
    this.db = opts.db;
    this.boss = boss;
    this.log = opts.logger ?? componentLogger('platform');
    this.throttle = new Throttle(opts.throttle);
    this.requests = new RequestApi(this);
    this.#opts = {
      workers: opts.workers ?? true,
      concurrency: opts.concurrency ?? 8,
      retry: { maxRetries: opts.retry?.maxRetries ?? 2, baseDelayMs: opts.retry?.baseDelayMs ?? 30_000 },
      jobExpireSeconds: opts.jobExpireSeconds ?? 900,
      crashRetries: opts.crashRetries ?? 5,
      maintenanceIntervalSeconds: opts.maintenanceIntervalSeconds ?? 30,
      pollingIntervalSeconds: opts.pollingIntervalSeconds ?? 1,
      lockRetryMs: opts.lockRetryMs ?? 1000,
      retentionMs: opts.retentionMs ?? 7 * 24 * 3600_000,
      retentionIntervalMs: opts.retentionIntervalMs ?? 60_000,
    };
    if (this.#opts.workers) this.#notifications = new NotificationSender(this.db, this.log.child({ component: 'notifications' }), opts.notifications);
  }

  /** Starts the queue on opts.db (which must be migrated) and, unless workers is false, the workers. */
  static async start(opts: PlatformOptions): Promise<Platform> {
    const workers = opts.workers ?? true;
    const boss = await startQueue(opts.db, {
      supervise: workers,
      maintenanceIntervalSeconds: opts.maintenanceIntervalSeconds ?? 30,
      expireInSeconds: opts.jobExpireSeconds ?? 900,
      crashRetries: opts.crashRetries ?? 5,
    });
    const platform = new Platform(opts, boss);
    if (workers) await platform.#startWorkers();
    return platform;
  }

  get workersRunning(): boolean {
    return this.#workerIds.length > 0;
  }

  /** Wakes idle local workers after a submit, so a request does not wait for the next poll. */
  wakeWorkers(): void {
    for (const id of this.#workerIds) this.boss.notifyWorker(id);
  }

  /** Stops taking jobs, aborts running executions (their jobs are retried elsewhere), closes the queue. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#retentionTimer);
    await this.#notifications?.stop();
    for (const c of this.#inFlight) c.abort(new MeterfabricError(ErrorCode.QUEUE_ERROR, 'platform stopping', { component: 'SHARED' }));
    await this.boss.stop({ graceful: true, close: false, wait: true, timeout: 10_000 });
  }

  /** Deletes responses, ResponseUrls and notifications past retention (GXF-SEMANTICS §3.3: 7 days). */
  async purgeExpired(now = new Date()): Promise<number> {
    const before = new Date(now.getTime() - this.#opts.retentionMs);
    return this.db.tx(async (q) => {
      const r = await q.query('DELETE FROM response_data WHERE created_at < $1', [before]);
      await q.query('DELETE FROM response_url WHERE created_at < $1', [before]);
      await q.query('DELETE FROM notification WHERE created_at < $1', [before]);
      await q.query('DELETE FROM exchange_lock WHERE expires_at < now()');
      return r.rowCount;
    });
  }

  async #startWorkers(): Promise<void> {
    const options = { batchSize: 1, pollingIntervalSeconds: this.#opts.pollingIntervalSeconds };
    for (let i = 0; i < this.#opts.concurrency; i++) {
      let self: string | undefined;
      self = await this.boss.work<{ correlationUid: string }>(REQUEST_QUEUE, options, async (jobs) => {
        for (const job of jobs) await this.#handle(job.id, job.data.correlationUid);
        // pg-boss 10 waits out the polling interval after every fetch, even a full one; a worker that just found
        // work asks for the next job at once instead.
        if (jobs.length > 0 && self && !this.#stopped) setImmediate(() => this.boss.notifyWorker(self!));
      });
      this.#workerIds.push(self);
    }
    // A job that kept crashing its worker ends here: give the request its final NOT OK.
    await this.boss.work<{ correlationUid: string }>(DEAD_LETTER_QUEUE, { batchSize: 10, pollingIntervalSeconds: Math.max(this.#opts.pollingIntervalSeconds, 2) }, async (jobs) => {
      for (const job of jobs) {
        await this.#finish(job.data.correlationUid, null, {
          result: 'NOT_OK',
          error: new MeterfabricError(ErrorCode.QUEUE_ERROR, 'The request failed repeatedly in the platform and was abandoned', { component: 'SHARED', retryable: false }),
        });
      }
    });
    this.#notifications?.start();
    this.#retentionTimer = setInterval(() => {
      this.purgeExpired().catch((e) => this.log.warn({ err: e }, 'retention run failed'));
    }, this.#opts.retentionIntervalMs);
    this.#retentionTimer.unref();
  }

  async #handle(jobId: string, correlationUid: string): Promise<void> {
    const found = await this.db.query<RequestRow>('SELECT * FROM request WHERE correlation_uid = $1', [correlationUid]);
    const req = found.rows[0];
    if (!req || req.status === 'DONE' || req.job_id !== jobId) return; // stale job: the request moved on
    const log = this.log.child({ correlationUid, messageType: req.message_type });
    const maxTime = toDate(req.max_schedule_time);
    if (maxTime && Date.now() > maxTime.getTime()) {
      await this.#finish(correlationUid, jobId, { result: 'NOT_OK', error: new MeterfabricError(ErrorCode.MAX_SCHEDULE_TIME_EXCEEDED, 'MaxScheduleTime passed before the request could run', { component: 'OSGP_CORE', retryable: false }) });
      return;
    }
    // A job redelivered after its expiry while this process still runs its earlier execution (aborted at the time
    // limit but not yet returned, e.g. mid association): two exchanges of one request would overlap on the meter,
    // and the earlier one fails on the invocation counters the later one used. Wait for it, without a retry.
    if (this.#executing.has(correlationUid)) {
      await this.#requeue(req, jobId, this.#opts.lockRetryMs, false, log);
      return;
    }
    const leaseSeconds = this.#opts.jobExpireSeconds;
    // Take the gateway's exchange lock and mark the request RUNNING in one statement (one commit).
    const claim = await this.db.query<{ locked: number; attempts: number | null }>(
      `WITH lock AS (
         INSERT INTO exchange_lock (lock_key, correlation_uid, expires_at) VALUES ($1, $2, now() + ($3::int * interval '1 second'))
         ON CONFLICT (lock_key) DO UPDATE SET correlation_uid = EXCLUDED.correlation_uid, expires_at = EXCLUDED.expires_at
           WHERE exchange_lock.expires_at < now() OR exchange_lock.correlation_uid = EXCLUDED.correlation_uid
         RETURNING lock_key
       ), started AS (
         UPDATE request SET status = 'RUNNING', attempts = attempts + 1, updated_at = now()
          WHERE correlation_uid = $2 AND job_id = $4 AND status <> 'DONE' AND EXISTS (SELECT 1 FROM lock)
         RETURNING attempts
       )
       SELECT (SELECT count(*) FROM lock)::int AS locked, (SELECT attempts FROM started) AS attempts`,
      [req.lock_key, correlationUid, leaseSeconds, jobId],
    );
    const { locked, attempts } = claim.rows[0]!;
    if (!locked) {
      // The gateway is busy with another exchange: run this one later, without counting a retry.
      await this.#requeue(req, jobId, this.#opts.lockRetryMs, false, log);
      return;
    }
    let released = false;
    try {
      if (attempts === null) return; // the request moved on between the read and the claim
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
      const { maxRetries, baseDelayMs } = this.#opts.retry;
      if (err.retryable && !req.bypass_retry && req.retries < maxRetries && !this.#stopped) {
        const delay = baseDelayMs * 2 ** req.retries;
        if (maxTime && Date.now() + delay > maxTime.getTime()) {
          // GXF-SEMANTICS §7.3: a retry beyond MaxScheduleTime ends the request with 417, cause = original error.
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
      if (!released) await this.db.query('DELETE FROM exchange_lock WHERE lock_key = $1 AND correlation_uid = $2', [req.lock_key, correlationUid]).catch(() => undefined);
    }
  }

  async #execute(req: RequestRow, attempt: number, log: Logger): Promise<Outcome> {
    const executor = this.executors.get(req.message_type);
    if (!executor) {
      return { result: 'NOT_OK', error: new MeterfabricError(ErrorCode.OPERATION_NOT_SUPPORTED_BY_PLATFORM_FOR_PROTOCOL, `No executor for ${req.message_type}`, { component: 'OSGP_CORE', retryable: false }) };
    }
    const controller = new AbortController();
    this.#inFlight.add(controller);
    // Abort before pg-boss declares the job crashed, so a redelivered job never overlaps a live execution.
    const limitMs = Math.max(1000, this.#opts.jobExpireSeconds * 1000 - Math.min(30_000, this.#opts.jobExpireSeconds * 200));
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
        db: this.db,
        log,
        signal: controller.signal,
        throttle: this.throttle,
      }));
      return { result: 'OK', data };
    } catch (e) {
      const error = toMeterfabricError(controller.signal.aborted && !(e instanceof MeterfabricError) ? controller.signal.reason ?? e : e, ErrorCode.INTERNAL_ERROR, 'OSGP_CORE');
      log.info({ code: error.code, retryable: error.retryable }, 'execution failed');
      return { result: 'NOT_OK', error };
    } finally {
      clearTimeout(timer);
      this.#inFlight.delete(controller);
    }
  }

  /** Hands the request to a new job (retry or busy gateway); one transaction, guarded by the current job id. */
  async #requeue(req: RequestRow, jobId: string, delayMs: number, countsAsRetry: boolean, log: Logger, err?: MeterfabricError): Promise<void> {
    const next = randomUUID();
    await this.db.tx(async (q) => {
      const r = await q.query(
        `UPDATE request SET job_id = $3, status = $4, retries = retries + $5, updated_at = now()
          WHERE correlation_uid = $1 AND job_id = $2 AND status <> 'DONE'`,
        [req.correlation_uid, jobId, next, countsAsRetry ? 'RETRY' : (req.status === 'RETRY' ? 'RETRY' : 'QUEUED'), countsAsRetry ? 1 : 0],
      );
      if (r.rowCount === 0) return;
      if (countsAsRetry) {
        await audit(q, {
          event: 'RETRY', correlationUid: req.correlation_uid, organisationIdentification: req.organisation_identification,
          deviceIdentification: req.device_identification, messageType: req.message_type, channel: req.channel,
          errorCode: err?.code, detail: err?.message,
        });
      }
      const id = await this.boss.send(REQUEST_QUEUE, { correlationUid: req.correlation_uid }, {
        id: next, priority: req.priority, startAfter: new Date(Date.now() + delayMs), db: inTx(q),
      });
      if (!id) throw new MeterfabricError(ErrorCode.QUEUE_ERROR, 'The request could not be re-queued', { component: 'SHARED' });
    });
    if (countsAsRetry) log.info({ delayMs }, 'retry scheduled');
  }

  /**
   * Writes the final result once: request DONE, response row, notification outbox and audit in one transaction.
   * jobId null (dead letter) finishes whatever job owns the request.
   */
  async #finish(correlationUid: string, jobId: string | null, outcome: Outcome, lockKey?: string): Promise<void> {
    await this.db.tx(async (q) => {
      if (lockKey) await q.query('DELETE FROM exchange_lock WHERE lock_key = $1 AND correlation_uid = $2', [lockKey, correlationUid]);
      const done = await q.query<RequestRow>(
        `UPDATE request SET status = 'DONE', result = $3, error_code = $4, updated_at = now(), completed_at = now()
          WHERE correlation_uid = $1 AND status <> 'DONE' AND ($2::uuid IS NULL OR job_id = $2::uuid) RETURNING *`,
        [correlationUid, jobId, outcome.result, outcome.result === 'OK' ? null : outcome.error.code],
      );
      const req = done.rows[0];
      if (!req) return;
      const messageData =
        outcome.result === 'OK'
          ? outcome.data === undefined ? null : { data: outcome.data }
          : { error: { code: outcome.error.code, codeName: errorCodeName(outcome.error.code), component: outcome.error.component, message: notificationMessage(outcome.error) } };
      await q.query(
        `INSERT INTO response_data (correlation_uid, organisation_identification, device_identification, message_type, result_type, message_data)
         VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (correlation_uid) DO NOTHING`,
        [correlationUid, req.organisation_identification, req.device_identification, req.message_type, outcome.result, messageData === null ? null : JSON.stringify(messageData)],
      );
      const target = await q.query<{ response_url: string | null; notification_url: string | null; webhook_url: string | null }>(
        `SELECT (SELECT response_url FROM response_url WHERE correlation_uid = $1) AS response_url, o.notification_url, o.webhook_url
           FROM organisation o WHERE o.identification = $2`,
        [correlationUid, req.organisation_identification],
      );
      const t = target.rows[0];
      if (t) {
        if (req.channel === 'SOAP') await enqueueNotification(q, correlationUid, 'SOAP', t.response_url ?? t.notification_url);
        else await enqueueNotification(q, correlationUid, 'WEBHOOK', t.response_url ?? t.webhook_url);
      }
      await audit(q, {
        event: 'COMPLETED', correlationUid, organisationIdentification: req.organisation_identification, userName: req.user_name,
        applicationName: req.application_name, deviceIdentification: req.device_identification, messageType: req.message_type,
        channel: req.channel, result: outcome.result, errorCode: outcome.result === 'OK' ? null : outcome.error.code,
      });
    });
  }
}

/** GXF-SEMANTICS §6.4: the notification message is the cause's message when there is a cause. */
function notificationMessage(e: MeterfabricError): string {
  const cause = (e as { cause?: unknown }).cause;
  return cause instanceof Error && cause.message ? cause.message : e.message;
}
