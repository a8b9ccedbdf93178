/**
 * Bulk jobs (migration 0981): one operation of the catalogue with one payload for a selected set of devices — a
 * fleet rekey (GenerateAndReplaceKeys), a Bundle, later a firmware update — kept in the database with its items, so
 * that its progress survives leaving the console page and a restart.
 *
 * Each item becomes an ordinary request of the organisation that started the job (its authorisation check,
 * throttling, retries and notifications apply), submitted by the BulkJobs runner of the serving process a few at a
 * time. Its requests carry the application name `bulk:<job id>`: after a crash between submitting a request and
 * recording it on the item, resuming the job finds that request instead of submitting a second one. Progress is
 * counted from the items and their requests: PENDING (not submitted yet), REFUSED (the platform refused it, with its
 * code), QUEUED / RUNNING / RETRY, and OK / NOT_OK / NOT_FOUND when done.
 */
import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from './db/db.ts';
import type { SubmitRequest } from './operations.ts';
import { ErrorCode, isMeterfabricError } from '../errors.ts';

export const BULK_STATES = ['PENDING', 'REFUSED', 'QUEUED', 'RUNNING', 'RETRY', 'OK', 'NOT_OK', 'NOT_FOUND'] as const;
export type BulkItemState = (typeof BULK_STATES)[number];

/** Most devices in one job. */
export const MAX_BULK_DEVICES = 100_000;

export interface BulkJob {
  id: string;
  organisationIdentification: string;
  userName: string;
  messageType: string;
  payload: unknown;
  selection: unknown;
  total: number;
  state: 'SUBMITTING' | 'SUBMITTED' | 'CANCELLED';
  createdAt: string;
  submittedAt: string | null;
}

export interface BulkProgress {
  /** Items per state (every state listed, 0 when none). */
  counts: Record<BulkItemState, number>;
  total: number;
  /** Items whose request is done or refused. */
  finished: number;
  /** Everything submitted and every request done (or the job cancelled and nothing left running). */
  complete: boolean;
}

export interface BulkItem {
  seq: number;
  deviceIdentification: string;
  correlationUid: string | null;
  state: BulkItemState;
  errorCode: number | null;
}

export const applicationNameOf = (jobId: string) => `bulk:${jobId}`;

interface JobRow {
  id: string; organisation_identification: string; user_name: string; message_type: string; payload: unknown; selection: unknown;
  total: number; state: BulkJob['state']; created_at: Date; submitted_at: Date | null;
}
const jobOf = (r: JobRow): BulkJob => ({
  id: r.id, organisationIdentification: r.organisation_identification, userName: r.user_name, messageType: r.message_type, payload: r.payload,
  selection: r.selection, total: r.total, state: r.state, createdAt: new Date(r.created_at).toISOString(), submittedAt: r.submitted_at ? new Date(r.submitted_at).toISOString() : null,
});

export async function insertBulkJob(db: Db, job: { id: string; organisationIdentification: string; userName: string; messageType: string; payload: unknown; selection: unknown; devices: readonly string[] }): Promise<void> {
  await db.tx(async (q) => {
    await q.query(
      'INSERT INTO bulk_job (id, organisation_identification, user_name, message_type, payload, selection, total) VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7)',
      [job.id, job.organisationIdentification, job.userName, job.messageType, JSON.stringify(job.payload ?? {}), JSON.stringify(job.selection ?? null), job.devices.length],
    );
    // In slices: one statement per 5,000 items.
    for (let i = 0; i < job.devices.length; i += 5000) {
      await q.query(
        `INSERT INTO bulk_job_item (job_id, seq, device_identification)
         SELECT $1, $2::int + o - 1, d FROM unnest($3::text[]) WITH ORDINALITY AS u(d, o)`,
        [job.id, i, job.devices.slice(i, i + 5000)],
      );
    }
  });
}

export async function getBulkJob(q: Queryable, id: string): Promise<BulkJob | undefined> {
  const r = await q.query<JobRow>('SELECT * FROM bulk_job WHERE id = $1', [id]);
  return r.rows[0] ? jobOf(r.rows[0]) : undefined;
}

/** Jobs newest first: the organisation's, or every organisation's (undefined). */
export async function listBulkJobs(q: Queryable, o: { organisationIdentification?: string; limit?: number }): Promise<BulkJob[]> {
  const limit = Math.min(Math.max(o.limit ?? 50, 1), 500);
  const r = o.organisationIdentification === undefined
    ? await q.query<JobRow>('SELECT * FROM bulk_job ORDER BY created_at DESC, id LIMIT $1', [limit])
    : await q.query<JobRow>('SELECT * FROM bulk_job WHERE organisation_identification = $1 ORDER BY created_at DESC, id LIMIT $2', [o.organisationIdentification, limit]);
  return r.rows.map(jobOf);
}

const STATE_SQL = `CASE WHEN i.correlation_uid IS NULL THEN CASE WHEN i.error_code IS NULL THEN 'PENDING' ELSE 'REFUSED' END
                        WHEN r.status IS NULL THEN 'NOT_FOUND'
                        WHEN r.status = 'DONE' THEN r.result ELSE r.status END`;

export async function bulkJobProgress(q: Queryable, job: BulkJob): Promise<BulkProgress> {
  const r = await q.query<{ state: BulkItemState; n: number }>(
    `SELECT ${STATE_SQL} AS state, count(*)::int AS n FROM bulk_job_item i LEFT JOIN request r ON r.correlation_uid = i.correlation_uid
      WHERE i.job_id = $1 GROUP BY 1`,
    [job.id],
  );
  const counts = Object.fromEntries(BULK_STATES.map((s) => [s, 0])) as Record<BulkItemState, number>;
  for (const x of r.rows) counts[x.state] = Number(x.n);
  const finished = counts.REFUSED + counts.OK + counts.NOT_OK + counts.NOT_FOUND;
  const running = counts.QUEUED + counts.RUNNING + counts.RETRY;
  return {
    counts, total: job.total, finished,
    complete: job.state === 'CANCELLED' ? running === 0 : job.state === 'SUBMITTED' && finished === job.total,
  };
}

/** A page of the job's items in submission order, optionally only those in one state. */
export async function listBulkItems(q: Queryable, jobId: string, o: { state?: BulkItemState; afterSeq?: number; limit?: number } = {}): Promise<BulkItem[]> {
  const limit = Math.min(Math.max(o.limit ?? 100, 1), 1000);
  const params: unknown[] = [jobId, o.afterSeq ?? -1, limit];
  if (o.state) params.push(o.state);
  const r = await q.query<{ seq: number; device_identification: string; correlation_uid: string | null; state: BulkItemState; error_code: number | null }>(
    `SELECT * FROM (
       SELECT i.seq, i.device_identification, i.correlation_uid, ${STATE_SQL} AS state, COALESCE(i.error_code, r.error_code) AS error_code
         FROM bulk_job_item i LEFT JOIN request r ON r.correlation_uid = i.correlation_uid
        WHERE i.job_id = $1 AND i.seq > $2 ORDER BY i.seq
     ) x ${o.state ? 'WHERE x.state = $4' : ''} ORDER BY seq LIMIT $3`,
    params,
  );
  return r.rows.map((x) => ({ seq: x.seq, deviceIdentification: x.device_identification, correlationUid: x.correlation_uid, state: x.state, errorCode: x.error_code }));
}

/** Items not submitted yet, in order. */
async function unsubmitted(q: Queryable, jobId: string, limit: number): Promise<{ seq: number; device_identification: string }[]> {
  const r = await q.query<{ seq: number; device_identification: string }>(
    'SELECT seq, device_identification FROM bulk_job_item WHERE job_id = $1 AND correlation_uid IS NULL AND error_code IS NULL ORDER BY seq LIMIT $2',
    [jobId, limit],
  );
  return r.rows;
}

/** Gives items the requests a previous process submitted for them but did not record (found by application name). */
async function adoptSubmitted(q: Queryable, job: BulkJob): Promise<number> {
  const r = await q.query(
    `UPDATE bulk_job_item i SET correlation_uid = r.correlation_uid
       FROM request r
      WHERE i.job_id = $1 AND i.correlation_uid IS NULL AND i.error_code IS NULL
        AND r.device_identification = i.device_identification AND r.application_name = $2 AND r.organisation_identification = $3`,
    [job.id, applicationNameOf(job.id), job.organisationIdentification],
  );
  return r.rowCount ?? 0;
}

async function recordItem(q: Queryable, jobId: string, seq: number, outcome: { correlationUid: string } | { errorCode: number }): Promise<void> {
  await q.query('UPDATE bulk_job_item SET correlation_uid = $3, error_code = $4 WHERE job_id = $1 AND seq = $2', [
    jobId, seq, 'correlationUid' in outcome ? outcome.correlationUid : null, 'errorCode' in outcome ? outcome.errorCode : null,
  ]);
}

async function setJobState(q: Queryable, id: string, state: BulkJob['state']): Promise<void> {
  await q.query(`UPDATE bulk_job SET state = $2, submitted_at = CASE WHEN $2 = 'SUBMITTED' THEN now() ELSE submitted_at END WHERE id = $1 AND state = 'SUBMITTING'`, [id, state]);
}

async function openJobIds(q: Queryable): Promise<string[]> {
  const r = await q.query<{ id: string }>(`SELECT id FROM bulk_job WHERE state = 'SUBMITTING' ORDER BY created_at`);
  return r.rows.map((x) => x.id);
}

export interface BulkSubmitter {
  submit(request: SubmitRequest): Promise<{ correlationUid: string }>;
}

export interface BulkJobsOptions {
  /** Submissions in flight at a time per job (default 16): the platform's queue and throttle pace the meters. */
  concurrency?: number;
  onError?: (e: unknown, jobId: string) => void;
  /**
   * The request of one item: by default the job's payload for the device. The console maps the job's REST body
   * through the operation's REST mapping here, so that one job serves any operation of the catalogue.
   */
  prepare?: (job: BulkJob, deviceIdentification: string) => { deviceIdentification: string; payload: unknown };
}

/**
 * The runner: submits the items of open jobs (its own, and after a restart those left SUBMITTING). One per serving
 * process; `resume()` at start, `stop()` at shutdown (a job in progress stays SUBMITTING and is resumed later).
 */
export class BulkJobs {
  readonly #db: Db;
  readonly #submitter: BulkSubmitter;
  readonly #concurrency: number;
  readonly #onError: (e: unknown, jobId: string) => void;
  readonly #prepare: NonNullable<BulkJobsOptions['prepare']>;
  readonly #running = new Map<string, Promise<void>>();
  #stopped = false;

  constructor(db: Db, submitter: BulkSubmitter, o: BulkJobsOptions = {}) {
    this.#db = db;
    this.#submitter = submitter;
    this.#concurrency = Math.max(1, o.concurrency ?? 16);
    this.#onError = o.onError ?? (() => undefined);
    this.#prepare = o.prepare ?? ((job, deviceIdentification) => ({ deviceIdentification, payload: job.payload }));
  }

  /** Stores the job with its items and starts submitting them; returns the job. */
  async create(o: { organisationIdentification: string; userName: string; messageType: string; payload: unknown; selection: unknown; devices: readonly string[] }): Promise<BulkJob> {
    const id = randomUUID();
    const devices = [...new Set(o.devices)];
    await insertBulkJob(this.#db, { ...o, id, devices });
    const job = (await getBulkJob(this.#db, id))!;
    this.#start(id);
    return job;
  }

  /** Takes up every job left SUBMITTING (after a restart). */
  async resume(): Promise<string[]> {
    const ids = await openJobIds(this.#db);
    for (const id of ids) this.#start(id);
    return ids;
  }

  /** Stops submitting the job's remaining items (submitted requests run on). */
  async cancel(id: string): Promise<void> {
    await setJobState(this.#db, id, 'CANCELLED');
  }

  /** Resolves when the job's items are all submitted (or it was cancelled or the runner stopped). */
  async settled(id: string): Promise<void> {
    await this.#running.get(id);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.allSettled([...this.#running.values()]);
  }

  #start(id: string): void {
    if (this.#running.has(id) || this.#stopped) return;
    const run = this.#submitAll(id).catch((e) => this.#onError(e, id)).finally(() => this.#running.delete(id));
    this.#running.set(id, run);
  }

  async #submitAll(id: string): Promise<void> {
    const job = await getBulkJob(this.#db, id);
    if (!job || job.state !== 'SUBMITTING') return;
    await adoptSubmitted(this.#db, job);
    for (;;) {
      if (this.#stopped) return;
      const current = await getBulkJob(this.#db, id);
      if (!current || current.state !== 'SUBMITTING') return;
      const batch = await unsubmitted(this.#db, id, this.#concurrency * 4);
      if (batch.length === 0) break;
      let next = 0;
      const worker = async () => {
        while (next < batch.length && !this.#stopped) {
          const item = batch[next++]!;
          let outcome: { correlationUid: string } | { errorCode: number };
          try {
            const { deviceIdentification, payload } = this.#prepare(job, item.device_identification);
            outcome = await this.#submitter.submit({
              organisationIdentification: job.organisationIdentification, userName: job.userName, applicationName: applicationNameOf(job.id),
              deviceIdentification, messageType: job.messageType, payload, channel: 'REST',
            });
          } catch (e) {
            // A refusal (authorisation, unknown device, throttled acceptance) is the item's outcome; anything else
            // (the database gone) stops the job here, to be resumed.
            if (!isMeterfabricError(e) || e.code === ErrorCode.INTERNAL_ERROR) throw e;
            outcome = { errorCode: e.code };
          }
          await recordItem(this.#db, job.id, item.seq, outcome);
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.#concurrency, batch.length) }, worker));
    }
    await setJobState(this.#db, id, 'SUBMITTED');
  }
}
