/**
 * The fleet view and bulk jobs (src/console/README.md "Fleet" and "Bulk jobs"): the same routes under the console's
 * API (/console/api, session cookie or credentials) and the REST API (/api/v1, credentials only). Every answer is
 * the caller organisation's view: the devices it holds an authorisation on and its own requests and jobs (an ADMIN
 * organisation sees the whole platform); a device, request or job outside it is unknown (404).
 *
 * A bulk job runs one operation of the catalogue — any whose REST route names only the device
 * (`/devices/:deviceIdentification/...`), e.g. GenerateAndReplaceKeys (`generateAndReplaceKeys`) or Bundle
 * (`bundle`) — with one REST body for every chosen device (src/platform/bulk-jobs.ts). The stored firmware files
 * the caller may send (`firmware-files`, docs/firmware.md#from-the-cli-and-the-console) feed the pickers of the
 * console and the check of `meterfabric firmware update`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ErrorCode, MeterfabricError } from '../errors.ts';
import type { Db } from '../platform/db/db.ts';
import { DEVICE_OPERATIONS } from '../operations/catalogue.ts';
import type { DeviceOperation } from '../operations/define.ts';
import {
  listFleetRequests, requestAttempts, requestOrganisation, requestNotifications, requestsPerMinute, searchFleet, selectFleet, visibleOf,
  type FleetFilter,
} from '../platform/fleet.ts';
import {
  BULK_STATES, MAX_BULK_DEVICES, bulkJobProgress, getBulkJob, listBulkItems, listBulkJobs, type BulkJob, type BulkJobs,
} from '../platform/bulk-jobs.ts';
import { listUsableFirmwareFiles } from '../platform/firmware.ts';
import { findDevice } from '../platform/inventory.ts';

export interface Viewer {
  organisationIdentification: string;
  admin: boolean;
  /** Recorded as the user name of a bulk job's requests. */
  userName: string;
}

export interface FleetRouteDeps {
  db: Db;
  bulk: BulkJobs;
  viewer(request: FastifyRequest): Viewer;
}

const invalid = (message: string) => new MeterfabricError(ErrorCode.VALIDATION_ERROR, message, { component: 'WS_SMART_METERING', retryable: false });
const unknownJob = () => new MeterfabricError(ErrorCode.UNKNOWN_BULK_JOB, 'Unknown bulk job', { component: 'WS_SMART_METERING', retryable: false });

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw invalid(r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return r.data;
}

const deviceId = z.string().min(1).max(64);
const bool = z.enum(['true', 'false']).transform((v) => v === 'true');
const filterShape = {
  q: z.string().max(64).optional(),
  type: z.enum(['SMART_METER_E', 'SMART_METER_G']).optional(),
  owner: z.string().max(40).optional(),
  protocol: z.string().max(40).optional(),
  coupled: bool.optional(),
  lastResult: z.enum(['OK', 'NOT_OK', 'NOT_FOUND', 'NONE']).optional(),
};
const deviceQuery = z.object({
  ...filterShape,
  after: deviceId.optional(),
  before: deviceId.optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
}).strict();
const requestQuery = z.object({
  device: deviceId.optional(),
  messageType: z.string().max(80).optional(),
  status: z.enum(['QUEUED', 'RUNNING', 'RETRY', 'DONE']).optional(),
  result: z.enum(['OK', 'NOT_OK', 'NOT_FOUND']).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  before: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
}).strict();
const firmwareQuery = z.object({ device: deviceId.optional() }).strict();
const chartQuery = z.object({ minutes: z.coerce.number().int().min(1).max(1440).optional() }).strict();
const bodyFilter = z.object({
  q: filterShape.q, type: filterShape.type, owner: filterShape.owner, protocol: filterShape.protocol,
  coupled: z.boolean().optional(), lastResult: filterShape.lastResult,
}).strict();
const bulkBody = z.object({
  operation: z.string().min(1).max(80),
  body: z.record(z.string(), z.unknown()).optional(),
  devices: z.array(deviceId).min(1).max(MAX_BULK_DEVICES).optional(),
  filter: bodyFilter.optional(),
}).strict().refine((b) => (b.devices === undefined) !== (b.filter === undefined), 'give either devices or filter');
const itemQuery = z.object({
  state: z.enum(BULK_STATES).optional(),
  after: z.coerce.number().int().min(-1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
}).strict();

const cidParams = z.object({ cid: z.string().min(1).max(200) });
const jobParams = z.object({ id: z.string().min(1).max(64) });

/**
 * The routes of this file, declared once: registration takes its paths from here and the REST API's
 * /openapi.json its description (fleetOpenApiPaths).
 */
const ROUTES = {
  devices: { method: 'get', path: '/fleet/devices', operationId: 'searchFleet', tag: 'fleet', query: deviceQuery,
    summary: 'Devices the caller may see, filtered (q, type, owner, protocol, coupled, lastResult) and keyset-paged (after/before), each with its last contact and last result' },
  requests: { method: 'get', path: '/fleet/requests', operationId: 'listFleetRequests', tag: 'fleet', query: requestQuery,
    summary: 'The caller\'s requests, newest first, filtered by device, message type, status, result and time; paged with the cursor in `before`' },
  requestsPerMinute: { method: 'get', path: '/fleet/requests-per-minute', operationId: 'requestsPerMinute', tag: 'fleet', query: chartQuery,
    summary: 'Finished requests per minute and result over the last `minutes` (default 60)' },
  attempts: { method: 'get', path: '/fleet/requests/:cid/attempts', operationId: 'requestAttempts', tag: 'fleet', params: cidParams,
    summary: 'A request\'s attempts (start, end, error, next retry) and the notifications sent for it; 404 (code 405) when unknown or another organisation\'s' },
  firmwareFiles: { method: 'get', path: '/firmware-files', operationId: 'listFirmwareFiles', tag: 'fleet', query: firmwareQuery,
    summary: 'The stored firmware files the caller may send with UpdateFirmware (descriptions, never the bytes); with device, only those that fit it (404 when unknown)' },
  bulkOperations: { method: 'get', path: '/bulk-operations', operationId: 'listBulkOperations', tag: 'bulk',
    summary: 'The operations a bulk job may run: those whose REST route names only the device' },
  startBulk: { method: 'post', path: '/bulk-jobs', operationId: 'startBulkJob', tag: 'bulk', body: bulkBody, status: 202,
    summary: 'Run one operation with one REST body over a device list or a fleet filter (give one of devices or filter); 202 with the job and its progress' },
  listBulk: { method: 'get', path: '/bulk-jobs', operationId: 'listBulkJobs', tag: 'bulk',
    summary: 'The caller\'s 50 most recent bulk jobs with their progress' },
  getBulk: { method: 'get', path: '/bulk-jobs/:id', operationId: 'getBulkJob', tag: 'bulk', params: jobParams, query: itemQuery,
    summary: 'One bulk job, its progress and its devices\' requests (filter by state, page with after); 404 (code 1580) when unknown' },
  cancelBulk: { method: 'post', path: '/bulk-jobs/:id/cancel', operationId: 'cancelBulkJob', tag: 'bulk', params: jobParams,
    summary: 'Stop submitting the job\'s remaining devices; requests already queued run to their end' },
} as const satisfies Record<string, {
  method: 'get' | 'post'; path: string; operationId: string; tag: 'fleet' | 'bulk'; summary: string;
  query?: z.ZodObject; params?: z.ZodObject; body?: z.ZodType; status?: number;
}>;

/** The OpenAPI 3.0 paths of the routes above under `prefix` (merged into the REST API's /openapi.json). */
export function fleetOpenApiPaths(prefix: string): Record<string, Record<string, unknown>> {
  const json = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', target: 'openapi-3.0' }) as {
    properties?: Record<string, unknown>; required?: string[];
  };
  const parameters = (schema: z.ZodObject | undefined, where: 'query' | 'path') => {
    if (!schema) return [];
    const s = json(schema);
    return Object.entries(s.properties ?? {}).map(([name, p]) => ({ name, in: where, required: where === 'path' || (s.required ?? []).includes(name), schema: p }));
  };
  const problem = { description: 'A problem (application/json: type, title, status, code, codeName, component, detail)' };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of Object.values(ROUTES) as Array<(typeof ROUTES)[keyof typeof ROUTES] & { query?: z.ZodObject; params?: z.ZodObject; body?: z.ZodType; status?: number }>) {
    const path = `${prefix}${r.path}`.replace(/:([A-Za-z]+)/g, '{$1}');
    (paths[path] ??= {})[r.method] = {
      operationId: r.operationId,
      summary: r.summary,
      tags: [r.tag],
      parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query')],
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: json(r.body) } } } } : {}),
      responses: { [String(r.status ?? 200)]: { description: 'OK (application/json)' }, 400: problem, 401: problem, 403: problem, 404: problem },
    };
  }
  return paths;
}

const REQUEST_OPTIONS = ['priority', 'scheduleTime', 'maxScheduleTime', 'bypassRetry', 'responseUrl'];

/** The operations a bulk job may run: those whose REST route names the device and nothing else. */
export const BULK_OPERATIONS: ReadonlyMap<string, DeviceOperation<any, any>> = new Map( // eslint-disable-line @typescript-eslint/no-explicit-any
  DEVICE_OPERATIONS
    .filter((op) => op.contactsDevice && /^\/devices\/:deviceIdentification\/[^:]*$/.test(op.rest.url))
    .map((op) => [op.rest.operationId, op] as const),
);

/** The request of one device of a job: the job's REST body through the operation's REST mapping. */
export function bulkRequest(job: Pick<BulkJob, 'payload'> & { operation: string }, deviceIdentification: string): { deviceIdentification: string; payload: unknown } {
  const op = BULK_OPERATIONS.get(job.operation);
  if (!op) throw invalid(`${job.operation} cannot run as a bulk job`);
  const body = parse(op.rest.body, job.payload ?? {}) as Record<string, unknown>;
  return op.rest.toRequest({ deviceIdentification }, body);
}

const filterOf = (q: { q?: string; type?: FleetFilter['deviceType']; owner?: string; protocol?: string; coupled?: boolean; lastResult?: FleetFilter['lastResult'] }): FleetFilter => ({
  ...(q.q ? { q: q.q } : {}), ...(q.type ? { deviceType: q.type } : {}), ...(q.owner ? { owner: q.owner } : {}),
  ...(q.protocol ? { protocol: q.protocol } : {}), ...(q.coupled !== undefined ? { coupled: q.coupled } : {}), ...(q.lastResult ? { lastResult: q.lastResult } : {}),
});

/** The job's operation id (stored in its selection record) and message type. */
interface StoredSelection { operation: string; devices?: number; filter?: FleetFilter }

/** Server time of a route in the Server-Timing header (what the console tests measure). */
function timed(reply: FastifyReply, started: bigint): void {
  reply.header('server-timing', `app;dur=${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(1)}`);
}

export function registerFleetRoutes(api: FastifyInstance, prefix: string, d: FleetRouteDeps): void {
  const { db, bulk } = d;
  const viewerOf = (v: Viewer) => (v.admin ? undefined : v.organisationIdentification);
  const mayView = (v: Viewer, job: BulkJob) => v.admin || job.organisationIdentification === v.organisationIdentification;

  api.get(`${prefix}${ROUTES.devices.path}`, async (request, reply) => {
    const started = process.hrtime.bigint();
    const q = parse(deviceQuery, request.query ?? {});
    const page = await searchFleet(db, {
      viewer: viewerOf(d.viewer(request)), filter: filterOf(q),
      ...(q.after !== undefined ? { after: q.after } : {}), ...(q.before !== undefined ? { before: q.before } : {}), ...(q.limit ? { limit: q.limit } : {}),
    });
    timed(reply, started);
    return page;
  });

  api.get(`${prefix}${ROUTES.requests.path}`, async (request, reply) => {
    const started = process.hrtime.bigint();
    const q = parse(requestQuery, request.query ?? {});
    if (q.before !== undefined && !/^.+\|.+$/.test(q.before)) throw invalid('before: not a cursor of this list');
    const page = await listFleetRequests(db, {
      viewer: viewerOf(d.viewer(request)),
      filter: {
        ...(q.device ? { device: q.device } : {}), ...(q.messageType ? { messageType: q.messageType } : {}), ...(q.status ? { status: q.status } : {}),
        ...(q.result ? { result: q.result } : {}), ...(q.since ? { since: new Date(q.since) } : {}), ...(q.until ? { until: new Date(q.until) } : {}),
      },
      ...(q.before ? { before: q.before } : {}), ...(q.limit ? { limit: q.limit } : {}),
    });
    timed(reply, started);
    return page;
  });

  api.get(`${prefix}${ROUTES.requestsPerMinute.path}`, async (request) => {
    const q = parse(chartQuery, request.query ?? {});
    return { minutes: q.minutes ?? 60, points: await requestsPerMinute(db, { viewer: viewerOf(d.viewer(request)), minutes: q.minutes ?? 60 }) };
  });

  // ------------------------------------------------------------------ firmware files
  // The stored firmware files the caller may send with UpdateFirmware (read-only; storing one is the admin API's):
  // with ?device=, only those that fit that device (unknown, 404, unless the caller may see it).
  api.get(`${prefix}${ROUTES.firmwareFiles.path}`, async (request) => {
    const v = d.viewer(request);
    const q = parse(firmwareQuery, request.query ?? {});
    if (q.device === undefined) return { firmwareFiles: await listUsableFirmwareFiles(db, { ...(v.admin ? {} : { viewer: v.organisationIdentification }) }) };
    const device = (await visibleOf(db, viewerOf(v), [q.device])).has(q.device) ? await findDevice(db, q.device) : undefined;
    if (!device) throw new MeterfabricError(ErrorCode.UNKNOWN_DEVICE, `Device ${q.device} is unknown`, { component: 'DOMAIN_CORE', retryable: false });
    return { firmwareFiles: await listUsableFirmwareFiles(db, { device: device.deviceIdentification, withImageIdentifier: device.deviceType === 'SMART_METER_E' }) };
  });

  // ------------------------------------------------------------------ bulk jobs
  api.get(`${prefix}${ROUTES.bulkOperations.path}`, async () => ({
    operations: [...BULK_OPERATIONS.values()].map((op) => ({ operation: op.rest.operationId, messageType: op.messageType, summary: op.rest.summary })),
  }));

  const jobView = async (job: BulkJob) => {
    const sel = job.selection as StoredSelection;
    return {
      id: job.id, organisationIdentification: job.organisationIdentification, operation: sel.operation, messageType: job.messageType,
      selection: { ...(sel.filter ? { filter: sel.filter } : {}), ...(sel.devices !== undefined ? { devices: sel.devices } : {}) },
      state: job.state, total: job.total, createdAt: job.createdAt, submittedAt: job.submittedAt,
      progress: await bulkJobProgress(db, job),
    };
  };

  api.post(`${prefix}${ROUTES.startBulk.path}`, async (request, reply) => {
    const v = d.viewer(request);
    const b = parse(bulkBody, request.body ?? {});
    const op = BULK_OPERATIONS.get(b.operation);
    if (!op) throw invalid(`operation: ${b.operation} cannot run as a bulk job (GET ${prefix}/bulk-operations lists those that can)`);
    const body = b.body ?? {};
    const options = REQUEST_OPTIONS.filter((k) => k in body);
    if (options.length) throw invalid(`body: ${options.join(', ')} cannot be given for a bulk job`);
    let devices: string[];
    if (b.devices) {
      devices = [...new Set(b.devices)];
      const visible = await visibleOf(db, viewerOf(v), devices);
      // An invisible device is reported as unknown, as everywhere in the console.
      const unknown = devices.find((x) => !visible.has(x));
      if (unknown) throw new MeterfabricError(ErrorCode.UNKNOWN_DEVICE, `Device ${unknown} is unknown`, { component: 'DOMAIN_CORE', retryable: false });
    } else {
      devices = await selectFleet(db, { viewer: viewerOf(v), filter: filterOf(b.filter!), max: MAX_BULK_DEVICES + 1 });
      if (devices.length > MAX_BULK_DEVICES) throw invalid(`the filter selects more than ${MAX_BULK_DEVICES} devices`);
      if (devices.length === 0) throw invalid('the filter selects no device');
    }
    // The body must make a request for these devices (checked on the first; the others differ only by device).
    bulkRequest({ operation: op.rest.operationId, payload: body }, devices[0]!);
    const selection: StoredSelection = { operation: op.rest.operationId, ...(b.devices ? { devices: devices.length } : { filter: filterOf(b.filter!) }) };
    const job = await bulk.create({
      organisationIdentification: v.organisationIdentification, userName: v.userName, messageType: op.messageType, payload: body, selection, devices,
    });
    return reply.code(202).send(await jobView(job));
  });

  api.get(`${prefix}${ROUTES.listBulk.path}`, async (request) => {
    const v = d.viewer(request);
    const jobs = await listBulkJobs(db, { ...(v.admin ? {} : { organisationIdentification: v.organisationIdentification }), limit: 50 });
    return { jobs: await Promise.all(jobs.map(jobView)) };
  });

  const visibleJob = async (request: FastifyRequest<{ Params: { id: string } }>) => {
    const job = request.params.id.length <= 64 ? await getBulkJob(db, request.params.id) : undefined;
    if (!job || !mayView(d.viewer(request), job)) throw unknownJob();
    return job;
  };

  api.get<{ Params: { id: string } }>(`${prefix}${ROUTES.getBulk.path}`, async (request) => {
    const job = await visibleJob(request);
    const q = parse(itemQuery, request.query ?? {});
    const items = await listBulkItems(db, job.id, { ...(q.state ? { state: q.state } : {}), ...(q.after !== undefined ? { afterSeq: q.after } : {}), limit: q.limit ?? 100 });
    return { ...(await jobView(job)), items };
  });

  api.post<{ Params: { id: string } }>(`${prefix}${ROUTES.cancelBulk.path}`, async (request) => {
    const job = await visibleJob(request);
    await bulk.cancel(job.id);
    return jobView((await getBulkJob(db, job.id))!);
  });

  // A request's attempts and notifications (the console's request page adds them to its timeline).
  api.get<{ Params: { cid: string } }>(`${prefix}${ROUTES.attempts.path}`, async (request) => {
    const v = d.viewer(request);
    const owner = request.params.cid.length <= 200 ? await requestOrganisation(db, request.params.cid) : undefined;
    if (owner === undefined || (!v.admin && owner !== v.organisationIdentification)) {
      throw new MeterfabricError(ErrorCode.UNKNOWN_CORRELATION_UID, 'CorrelationUid is unknown.', { component: 'WS_SMART_METERING', retryable: false });
    }
    return { attempts: await requestAttempts(db, request.params.cid), notifications: await requestNotifications(db, request.params.cid) };
  });
}
