/**
 * The fleet view's reads (migration 0980): devices searched, filtered and paged on the server by keyset (device
 * identification order), each with its owner, last contact and last result; requests filtered and paged newest
 * first by keyset (acceptance time, correlation uid); a request's attempts and notifications; requests per minute
 * by result. `viewer` is the organisation whose view it is (only devices it holds an authorisation on, only its
 * own requests); undefined is the whole platform (ADMIN).
 */
import type { Queryable } from './db/db.ts';
import { batcherOf } from './batch.ts';

export type DeviceType = 'SMART_METER_E' | 'SMART_METER_G';
export type LastResultFilter = 'OK' | 'NOT_OK' | 'NOT_FOUND' | 'NONE';

export interface FleetFilter {
  /** Prefix of the device identification. */
  q?: string;
  deviceType?: DeviceType;
  /** The organisation holding OWNER on the device. */
  owner?: string;
  /** Protocol name, or name and version ("SMR", "SMR 5.1"). */
  protocol?: string;
  /** M-Bus devices coupled to a gateway channel (true) or not coupled (false). */
  coupled?: boolean;
  /** Result of the device's latest finished request; NONE: no request finished yet. */
  lastResult?: LastResultFilter;
}

export interface FleetDevice {
  deviceIdentification: string;
  deviceType: DeviceType;
  protocol: string;
  owner: string | null;
  gatewayDeviceIdentification: string | null;
  channel: number | null;
  active: boolean;
  lifecycleStatus: string;
  lastContactAt: string | null;
  lastRequestAt: string | null;
  lastResult: string | null;
  lastErrorCode: number | null;
  lastMessageType: string | null;
  lastCorrelationUid: string | null;
}

export interface FleetPage {
  devices: FleetDevice[];
  /** Cursor of the next page (`after`), null on the last page. */
  next: string | null;
  /** Cursor of the previous page (`before`), null on the first page. */
  previous: string | null;
  /** Matching devices, counted up to COUNT_CAP (`totalCapped` when there are more). */
  total: number;
  totalCapped: boolean;
}

export const COUNT_CAP = 10_000;
export const MAX_PAGE = 200;

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** WHERE conditions and parameters of a device filter for viewer, on `device d` alone (no join needed to count). */
function deviceConditions(viewer: string | undefined, f: FleetFilter, params: unknown[], cursor?: { op: '>' | '<'; value: string }): string[] {
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const where: string[] = [];
  if (viewer !== undefined) {
    // IN, not EXISTS: the planner then starts from the organisation's authorisations (index on organisation, device)
    // when they are few, and from the device key when they are many (bench/fleet.ts).
    // The page's cursor is repeated inside, so that the walk of the organisation's index starts at the cursor.
    const from = cursor ? ` AND v.device_identification ${cursor.op} ${p(cursor.value)}` : '';
    where.push(`d.device_identification IN (SELECT v.device_identification FROM device_authorisation v WHERE v.organisation_identification = ${p(viewer)}${from})`);
  }
  if (f.q) where.push(`d.device_identification LIKE ${p(escapeLike(f.q) + '%')}`);
  if (f.deviceType) where.push(`d.device_type = ${p(f.deviceType)}`);
  if (f.owner) {
    where.push(`d.device_identification IN (SELECT o.device_identification FROM device_authorisation o WHERE o.organisation_identification = ${p(f.owner)} AND o.function_group = 'OWNER')`);
  }
  if (f.protocol) {
    const [name, ...version] = f.protocol.trim().split(/\s+/);
    where.push(`d.protocol_name = ${p(name)}`);
    if (version.length) where.push(`d.protocol_version = ${p(version.join(' '))}`);
  }
  if (f.coupled === true) where.push('d.gateway_device_identification IS NOT NULL');
  if (f.coupled === false) where.push(`d.device_type = 'SMART_METER_G' AND d.gateway_device_identification IS NULL`);
  // An anti-join on the activity rows with a result (a.last_result IS NULL after the outer join plans far worse).
  if (f.lastResult === 'NONE') where.push('NOT EXISTS (SELECT 1 FROM device_activity x WHERE x.device_identification = d.device_identification AND x.last_result IS NOT NULL)');
  else if (f.lastResult) where.push(`d.device_identification IN (SELECT x.device_identification FROM device_activity x WHERE x.last_result = ${p(f.lastResult)})`);
  return where;
}

interface DeviceRow {
  device_identification: string;
  device_type: DeviceType;
  protocol_name: string | null;
  protocol_version: string | null;
  owner: string | null;
  gateway_device_identification: string | null;
  channel: number | null;
  active: boolean;
  lifecycle_status: string;
  last_contact_at: Date | null;
  last_request_at: Date | null;
  last_result: string | null;
  last_error_code: number | null;
  last_message_type: string | null;
  last_correlation_uid: string | null;
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/** One page of the viewer's devices matching the filter, in identification order; `after`/`before` are cursors. */
export async function searchFleet(q: Queryable, o: { viewer?: string; filter?: FleetFilter; after?: string; before?: string; limit?: number }): Promise<FleetPage> {
  const limit = Math.min(Math.max(o.limit ?? 50, 1), MAX_PAGE);
  const filter = o.filter ?? {};
  const countParams: unknown[] = [];
  const countWhere = deviceConditions(o.viewer, filter, countParams);
  const backwards = o.before !== undefined && o.after === undefined;
  const params: unknown[] = [];
  const where = deviceConditions(o.viewer, filter, params,
    o.after !== undefined ? { op: '>', value: o.after } : backwards ? { op: '<', value: o.before! } : undefined);
  if (o.after !== undefined) {
    params.push(o.after);
    where.push(`d.device_identification > $${params.length}`);
  } else if (backwards) {
    params.push(o.before);
    where.push(`d.device_identification < $${params.length}`);
  }
  params.push(limit + 1);
  const from = 'FROM device d LEFT JOIN device_activity a ON a.device_identification = d.device_identification';
  const rows = await q.query<DeviceRow>(
    `SELECT d.device_identification, d.device_type, d.protocol_name, d.protocol_version, d.gateway_device_identification, d.channel, d.active,
            d.lifecycle_status, a.last_contact_at, a.last_request_at, a.last_result, a.last_error_code, a.last_message_type, a.last_correlation_uid,
            (SELECT o.organisation_identification FROM device_authorisation o
              WHERE o.device_identification = d.device_identification AND o.function_group = 'OWNER' ORDER BY 1 LIMIT 1) AS owner
       ${from} ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
      ORDER BY d.device_identification ${backwards ? 'DESC' : ''} LIMIT $${params.length}`,
    params,
  );
  countParams.push(COUNT_CAP + 1);
  const counted = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT 1 FROM device d ${countWhere.length ? 'WHERE ' + countWhere.join(' AND ') : ''} LIMIT $${countParams.length}) x`,
    countParams,
  );
  // A cursor past the end (devices gone, or a view that changed) answers the first page rather than an empty one
  // from which there is no way on.
  if (rows.rows.length === 0 && (o.after !== undefined || o.before !== undefined)) return searchFleet(q, { ...o, after: undefined, before: undefined });
  const more = rows.rows.length > limit;
  const page = rows.rows.slice(0, limit);
  if (backwards) page.reverse();
  const devices = page.map((r): FleetDevice => ({
    deviceIdentification: r.device_identification,
    deviceType: r.device_type,
    protocol: [r.protocol_name, r.protocol_version].filter(Boolean).join(' '),
    owner: r.owner,
    gatewayDeviceIdentification: r.gateway_device_identification,
    channel: r.channel,
    active: r.active,
    lifecycleStatus: r.lifecycle_status,
    lastContactAt: iso(r.last_contact_at),
    lastRequestAt: iso(r.last_request_at),
    lastResult: r.last_result,
    lastErrorCode: r.last_error_code,
    lastMessageType: r.last_message_type,
    lastCorrelationUid: r.last_correlation_uid,
  }));
  const first = devices[0]?.deviceIdentification ?? null;
  const last = devices.at(-1)?.deviceIdentification ?? null;
  const n = Number(counted.rows[0]?.n ?? 0);
  return {
    devices,
    // Forwards: more rows → a next page; a cursor given → a previous one. Backwards the other way round.
    next: backwards ? (o.before !== undefined ? last : null) : more ? last : null,
    previous: backwards ? (more ? first : null) : o.after !== undefined ? first : null,
    total: Math.min(n, COUNT_CAP),
    totalCapped: n > COUNT_CAP,
  };
}

/**
 * Every device identification of the viewer matching the filter, in identification order, at most `max` (a bulk
 * job's selection).
 */
export async function selectFleet(q: Queryable, o: { viewer?: string; filter?: FleetFilter; max: number }): Promise<string[]> {
  const params: unknown[] = [];
  const where = deviceConditions(o.viewer, o.filter ?? {}, params);
  params.push(o.max);
  const r = await q.query<{ device_identification: string }>(
    `SELECT d.device_identification FROM device d ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY d.device_identification LIMIT $${params.length}`,
    params,
  );
  return r.rows.map((x) => x.device_identification);
}

/** Which of these devices the viewer may see (all existing ones for undefined). */
export async function visibleOf(q: Queryable, viewer: string | undefined, deviceIdentifications: readonly string[]): Promise<Set<string>> {
  const r = await q.query<{ device_identification: string }>(
    viewer === undefined
      ? 'SELECT device_identification FROM device WHERE device_identification = ANY($1::text[])'
      : 'SELECT DISTINCT device_identification FROM device_authorisation WHERE device_identification = ANY($1::text[]) AND organisation_identification = $2',
    viewer === undefined ? [deviceIdentifications] : [deviceIdentifications, viewer],
  );
  return new Set(r.rows.map((x) => x.device_identification));
}

/**
 * Planner statistics of the fleet view's tables. PostgreSQL's autovacuum keeps them; the embedded database has none,
 * and with statistics from before a large import the planner sorts a whole organisation's devices for one page
 * instead of walking the index. The console runs this when the server is ready and every few minutes.
 */
export async function refreshFleetStatistics(q: Queryable): Promise<void> {
  await q.query('ANALYZE device, device_authorisation, device_activity');
}

/** A successful association with the device: its last contact (written by the link, src/adapters/bindings.ts). */
export async function recordContact(q: Queryable, deviceIdentification: string): Promise<void> {
  // Contacts made at the same time are recorded by one statement.
  await batcherOf<string, void>(q, 'device.contact', async (ids) => {
    await q.query(
      `INSERT INTO device_activity (device_identification, last_contact_at)
       SELECT device_identification, now() FROM device WHERE device_identification = ANY($1::text[])
       ON CONFLICT (device_identification) DO UPDATE SET last_contact_at = EXCLUDED.last_contact_at`,
      [[...new Set(ids)]],
    );
    return ids.map((): void => undefined);
  }).submit(deviceIdentification);
}

// ------------------------------------------------------------------------------------------------ requests

export interface RequestFilter {
  device?: string;
  messageType?: string;
  status?: 'QUEUED' | 'RUNNING' | 'RETRY' | 'DONE';
  result?: 'OK' | 'NOT_OK' | 'NOT_FOUND';
  /** Accepted at or after / before. */
  since?: Date;
  until?: Date;
}

export interface RequestListItem {
  correlationUid: string;
  organisationIdentification: string;
  deviceIdentification: string;
  messageType: string;
  channel: string;
  status: string;
  attempts: number;
  retries: number;
  result: string | null;
  errorCode: number | null;
  createdAt: string;
  completedAt: string | null;
}

/** Requests newest first; `before` is the cursor of the previous page's last row. */
export async function listFleetRequests(q: Queryable, o: { viewer?: string; filter?: RequestFilter; before?: string; limit?: number }): Promise<{ requests: RequestListItem[]; next: string | null }> {
  const limit = Math.min(Math.max(o.limit ?? 50, 1), MAX_PAGE);
  const f = o.filter ?? {};
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const where: string[] = [];
  if (o.viewer !== undefined) where.push(`r.organisation_identification = ${p(o.viewer)}`);
  if (f.device) where.push(`r.device_identification = ${p(f.device)}`);
  if (f.messageType) where.push(`r.message_type = ${p(f.messageType)}`);
  if (f.status) where.push(`r.status = ${p(f.status)}`);
  if (f.result) where.push(`r.result = ${p(f.result)}`);
  if (f.since) where.push(`r.created_at >= ${p(f.since.toISOString())}`);
  if (f.until) where.push(`r.created_at < ${p(f.until.toISOString())}`);
  if (o.before) {
    const i = o.before.lastIndexOf('|');
    where.push(`(r.created_at, r.correlation_uid) < (${p(o.before.slice(0, i))}::timestamptz, ${p(o.before.slice(i + 1))})`);
  }
  const r = await q.query<{
    correlation_uid: string; organisation_identification: string; device_identification: string; message_type: string; channel: string; status: string;
    attempts: number; retries: number; result: string | null; error_code: number | null; created_at: Date; completed_at: Date | null; cursor_at: string;
  }>(
    `SELECT correlation_uid, organisation_identification, device_identification, message_type, channel, status, attempts, retries, result, error_code,
            created_at, completed_at, created_at::text AS cursor_at
       FROM request r ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
      ORDER BY r.created_at DESC, r.correlation_uid DESC LIMIT ${p(limit + 1)}`,
    params,
  );
  const rows = r.rows.slice(0, limit);
  const last = rows.at(-1);
  return {
    requests: rows.map((x) => ({
      correlationUid: x.correlation_uid, organisationIdentification: x.organisation_identification, deviceIdentification: x.device_identification,
      messageType: x.message_type, channel: x.channel, status: x.status, attempts: x.attempts, retries: x.retries, result: x.result,
      errorCode: x.error_code, createdAt: iso(x.created_at)!, completedAt: iso(x.completed_at),
    })),
    next: r.rows.length > limit && last ? `${last.cursor_at}|${last.correlation_uid}` : null,
  };
}

/** The organisation that submitted the request, or undefined when unknown. */
export async function requestOrganisation(q: Queryable, correlationUid: string): Promise<string | undefined> {
  const r = await q.query<{ organisation_identification: string }>('SELECT organisation_identification FROM request WHERE correlation_uid = $1', [correlationUid]);
  return r.rows[0]?.organisation_identification;
}

export interface RequestAttempt {
  attempt: number;
  startedAt: string;
  endedAt: string | null;
  outcome: string | null;
  errorCode: number | null;
  nextAttemptAt: string | null;
}

export async function requestAttempts(q: Queryable, correlationUid: string): Promise<RequestAttempt[]> {
  const r = await q.query<{ attempt: number; started_at: Date; ended_at: Date | null; outcome: string | null; error_code: number | null; next_attempt_at: Date | null }>(
    'SELECT attempt, started_at, ended_at, outcome, error_code, next_attempt_at FROM request_attempt WHERE correlation_uid = $1 ORDER BY attempt',
    [correlationUid],
  );
  return r.rows.map((x) => ({ attempt: x.attempt, startedAt: iso(x.started_at)!, endedAt: iso(x.ended_at), outcome: x.outcome, errorCode: x.error_code, nextAttemptAt: iso(x.next_attempt_at) }));
}

export interface NotificationRecord {
  kind: string;
  /** Scheme, host and port of the target only (a URL's path or query may carry a secret). */
  target: string;
  state: string;
  attempts: number;
  createdAt: string;
  deliveredAt: string | null;
  nextAttemptAt: string | null;
  lastError: string | null;
}

export async function requestNotifications(q: Queryable, correlationUid: string): Promise<NotificationRecord[]> {
  const r = await q.query<{ kind: string; target_url: string; state: string; attempts: number; created_at: Date; delivered_at: Date | null; next_attempt_at: Date; last_error: string | null }>(
    'SELECT kind, target_url, state, attempts, created_at, delivered_at, next_attempt_at, last_error FROM notification WHERE correlation_uid = $1 ORDER BY id',
    [correlationUid],
  );
  const origin = (u: string) => {
    try {
      return new URL(u).origin;
    } catch {
      return '(invalid URL)';
    }
  };
  return r.rows.map((x) => ({
    kind: x.kind, target: origin(x.target_url), state: x.state, attempts: x.attempts, createdAt: iso(x.created_at)!, deliveredAt: iso(x.delivered_at),
    nextAttemptAt: x.state === 'PENDING' ? iso(x.next_attempt_at) : null, lastError: x.last_error,
  }));
}

/** Finished requests per minute and result over the last `minutes` minutes, oldest first (minutes without any left out). */
export async function requestsPerMinute(q: Queryable, o: { viewer?: string; minutes?: number }): Promise<{ minute: string; result: string; n: number }[]> {
  const minutes = Math.min(Math.max(o.minutes ?? 60, 1), 24 * 60);
  const params: unknown[] = [minutes];
  if (o.viewer !== undefined) params.push(o.viewer);
  const r = await q.query<{ minute: Date; result: string; n: number }>(
    `SELECT date_trunc('minute', completed_at) AS minute, result, count(*)::int AS n FROM request
      WHERE completed_at IS NOT NULL AND completed_at > now() - $1::int * interval '1 minute' ${o.viewer !== undefined ? 'AND organisation_identification = $2' : ''}
      GROUP BY 1, 2 ORDER BY 1, 2`,
    params,
  );
  return r.rows.map((x) => ({ minute: iso(x.minute)!, result: x.result, n: Number(x.n) }));
}
