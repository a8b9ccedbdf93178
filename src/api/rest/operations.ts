/**
 * The REST/JSON operation API under /api/v1: the same device operations as the SOAP interface, the same
 * asynchronous model (POST -> 202 {correlationUid}; GET /api/v1/responses/{correlationUid} for the outcome, or a
 * webhook to responseUrl; DELETE removes it) and the same authorisation (src/api/rest/caller.ts). Bodies are
 * validated with zod; the OpenAPI 3 document generated from the same schemas is served at /openapi.json.
 * Routes are listed in src/api/README.md; they are contracts.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorCode, isMeterfabricError, MeterfabricError } from '../../errors.ts';
import { logger } from '../../observability/logger.ts';
import { DEVICE_OPERATIONS, SYNC_OPERATIONS } from '../../operations/catalogue.ts';
import { API_PREFIX, gatewayParams } from './schemas.ts';
import { restCallerOrganisation } from './caller.ts';
import { dbAlarmReader, PUSH_NOTIFICATION_ALARM, type AlarmReader } from './alarms.ts';
import type { PlatformApi, StoredResponse } from './platform-api.ts';
import type { Queryable } from '../../platform/db/db.ts';
import { PROBLEM_CONTENT_TYPE, clientErrorText, problemFromThrown, problemOf, publicText, type Problem } from '../problems.ts';

export interface RestOperationsOptions {
  platform: PlatformApi;
  /** Lists a device's stored alarms; default: read from the platform's database when it has one (`platform.db`). */
  alarms?: AlarmReader;
  /** More paths for /openapi.json: REST routes registered elsewhere (the fleet view and bulk jobs, src/console/fleet.ts). */
  extraPaths?: () => Record<string, Record<string, unknown>>;
}

export { API_PREFIX };
const log = logger('api.rest');

// ---- schemas -----------------------------------------------------------------------------------------------

const callerHeaders = z.looseObject({
  'x-organisation-identification': z.string().max(40).optional().describe('Optional; when given, must be the authenticated organisation (certificate CN or token)'),
  'x-user-name': z.string().max(40).optional().describe('For the audit log; default the organisation'),
  'x-application-name': z.string().max(40).optional().describe('For the audit log; default REST'),
});

const accepted = z.object({ correlationUid: z.string() }).describe('The request is queued; poll /api/v1/responses/{correlationUid}');

const problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.number().int().describe('GXF FunctionalExceptionType code, or meterfabric code >= 1000'),
    codeName: z.string(),
    component: z.string(),
    detail: z.string(),
  })
  .describe('JSON problem');

const storedResponse = z.object({
  correlationUid: z.string(),
  deviceIdentification: z.string(),
  messageType: z.string(),
  result: z.enum(['OK', 'NOT_OK', 'NOT_FOUND']),
  data: z.unknown().optional().describe('Result data of the operation (src/platform/operations.ts Results)'),
  error: z.object({ code: z.number().int(), codeName: z.string(), component: z.string(), message: z.string() }).optional(),
  createdAt: z.string().describe('ISO 8601'),
});

const alarm = z
  .object({
    correlationUid: z.string().describe('32 hex characters, as GXF (docs/push.md#what-happens-to-an-alarm)'),
    deviceIdentification: z.string().describe('The E-meter that pushed'),
    receivedAt: z.string().describe('ISO 8601'),
    alarms: z.array(z.string()).describe('GXF AlarmType names of the bits set'),
    unknownBits: z.array(z.object({ register: z.number().int(), bit: z.number().int() })).describe('Bits set that have no AlarmType (GXF drops such pushes)'),
    decodedMessage: z.string(),
    encodedMessage: z.string().describe('The received bytes, hex'),
    format: z.string().optional().describe('Push format, e.g. DSMR4, SMR5, SMR5_CIPHERED'),
    triggerType: z.string().optional(),
  })
  .describe('A pushed alarm as stored (PUSH_NOTIFICATION_ALARM)');

/** The REST view of a stored alarm; it shows the unknown bits that SOAP cannot carry. */
function alarmView(stored: StoredResponse): z.infer<typeof alarm> {
  const d = (stored.data !== null && typeof stored.data === 'object' ? stored.data : {}) as Record<string, unknown>;
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const bits = Array.isArray(d.unknownBits)
    ? d.unknownBits.filter((b): b is { register: number; bit: number } => b !== null && typeof b === 'object' && Number.isInteger(b.register) && Number.isInteger(b.bit))
        .map((b) => ({ register: b.register, bit: b.bit }))
    : [];
  return {
    correlationUid: stored.correlationUid,
    deviceIdentification: stored.deviceIdentification,
    receivedAt: new Date(stored.createdAt).toISOString(),
    alarms: strings(d.alarms),
    unknownBits: bits,
    decodedMessage: typeof d.decodedMessage === 'string' ? d.decodedMessage : '',
    encodedMessage: typeof d.encodedMessage === 'string' ? d.encodedMessage : '',
    ...(typeof d.format === 'string' ? { format: d.format } : {}),
    ...(typeof d.triggerType === 'string' ? { triggerType: d.triggerType } : {}),
  };
}

const errorResponses = { 400: problem, 401: problem, 403: problem, 404: problem, 409: problem, 422: problem, 500: problem };

// ---- operations ------------------------------------------------------------------------------------------

interface RestOperation {
  url: string;
  operationId: string;
  summary: string;
  tag: string;
  messageType: string;
  params?: z.ZodObject;
  body: z.ZodObject;
  /** The device checked for authorisation and the catalogue payload. */
  toRequest(params: Record<string, unknown>, body: Record<string, unknown>): { deviceIdentification: string; payload: unknown };
}

/** One POST route per operation of the catalogue (src/operations/catalogue.ts). */
export const REST_OPERATIONS: readonly RestOperation[] = DEVICE_OPERATIONS.map((op) => ({ ...op.rest, messageType: op.messageType }));

// ---- plugin ------------------------------------------------------------------------------------------------

function sendProblem(reply: FastifyReply, pr: Problem): FastifyReply {
  return reply.code(pr.status).type(PROBLEM_CONTENT_TYPE).send(pr);
}

export async function restOperationsPlugin(app: FastifyInstance, opts: RestOperationsOptions): Promise<void> {
  const { platform } = opts;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.setErrorHandler((error, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const detail = error.validation
        .map((v) => `${v.instancePath ? v.instancePath.replace(/^\//, '').replaceAll('/', '.') : error.validationContext ?? 'request'}: ${v.message}`)
        .join('; ');
      return sendProblem(reply, problemOf(ErrorCode.VALIDATION_ERROR, 'SHARED', `${error.validationContext ?? 'request'} invalid: ${detail}`));
    }
    if (isMeterfabricError(error)) return sendProblem(reply, problemFromThrown(error));
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Unreadable JSON, wrong content type, body too large: the client's to fix.
      return sendProblem(reply, { ...problemOf(ErrorCode.VALIDATION_ERROR, 'SHARED', clientErrorText(error)), status });
    }
    log.error({ err: error, url: request.url }, 'unexpected error in REST operation route');
    return sendProblem(reply, problemFromThrown(error));
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'meterfabric operation API',
        version: '1.0.0',
        description:
          'Device operations, asynchronous: POST returns 202 {correlationUid}; GET /api/v1/responses/{correlationUid} returns the outcome. ' +
          'Every route needs credentials: a client certificate from the platform CA (mutual TLS) or an API token ' +
          '(Authorization: Bearer, from `meterfabric org token ORG`). POST bodies are application/json, also when empty.',
      },
      tags: [{ name: 'mbus' }, { name: 'devices' }, { name: 'adhoc' }, { name: 'monitoring' }, { name: 'management' }, { name: 'responses' }, { name: 'alarms' }, { name: 'fleet' }, { name: 'bulk' }],
      components: { securitySchemes: { apiToken: { type: 'http', scheme: 'bearer', description: 'API token from `meterfabric org token ORG`' } } },
      security: [{ apiToken: [] }],
    },
    transform: jsonSchemaTransform,
  });

  const caller = (request: FastifyRequest) => restCallerOrganisation(request);
  const r = app.withTypeProvider<ZodTypeProvider>();

  for (const op of REST_OPERATIONS) {
    r.route({
      method: 'POST',
      url: `${API_PREFIX}${op.url}`,
      schema: {
        operationId: op.operationId,
        summary: op.summary,
        tags: [op.tag],
        headers: callerHeaders,
        ...(op.params ? { params: op.params } : {}),
        body: op.body,
        response: { 202: accepted, ...errorResponses },
      },
      // Operations whose body holds only options may be posted without one.
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) request.body = {};
      },
      handler: async (request, reply) => {
        const organisationIdentification = caller(request);
        const body = (request.body ?? {}) as Record<string, unknown>;
        const { deviceIdentification, payload } = op.toRequest((request.params ?? {}) as Record<string, unknown>, body);
        const userName = request.headers['x-user-name'];
        const applicationName = request.headers['x-application-name'];
        const { correlationUid } = await platform.requests.submit({
          organisationIdentification,
          userName: typeof userName === 'string' && userName ? userName : organisationIdentification,
          applicationName: typeof applicationName === 'string' && applicationName ? applicationName : 'REST',
          deviceIdentification,
          messageType: op.messageType,
          payload,
          ...(body.priority === undefined ? {} : { priority: body.priority as number }),
          ...(body.scheduleTime ? { scheduleTime: new Date(body.scheduleTime as string) } : {}),
          ...(body.maxScheduleTime ? { maxScheduleTime: new Date(body.maxScheduleTime as string) } : {}),
          ...(body.bypassRetry === undefined ? {} : { bypassRetry: body.bypassRetry as boolean }),
          ...(body.responseUrl ? { responseUrl: body.responseUrl as string } : {}),
          channel: 'REST',
        });
        log.info({ correlationUid, messageType: op.messageType, organisation: organisationIdentification }, 'rest request accepted');
        return reply
          .code(202)
          .header('location', `${API_PREFIX}/responses/${encodeURIComponent(correlationUid)}`)
          .send({ correlationUid });
      },
    });
  }

  // Synchronous reads of the platform's own data (GetDevices): answered at once.
  for (const op of SYNC_OPERATIONS) {
    r.route({
      method: 'GET',
      url: `${API_PREFIX}${op.rest.url}`,
      schema: {
        operationId: op.rest.operationId,
        summary: op.rest.summary,
        tags: [op.rest.tag],
        headers: callerHeaders,
        querystring: op.rest.querystring,
        response: { 200: op.rest.response, ...errorResponses },
      },
      handler: async (request) => {
        const organisationIdentification = caller(request);
        if (!hasDb(platform)) throw new MeterfabricError(ErrorCode.CONFIGURATION_ERROR, `${op.rest.operationId} is not available on this server`, { component: 'WS_SMART_METERING' });
        return op.run(platform.db, organisationIdentification, op.rest.toInput((request.query ?? {}) as Record<string, unknown>));
      },
    });
  }

  const responseParams = z.object({ correlationUid: z.string().min(1).max(200) });

  r.route({
    method: 'GET',
    url: `${API_PREFIX}/responses/:correlationUid`,
    schema: {
      operationId: 'getResponse',
      summary: 'The stored outcome of a request; 404 (code 405) until it exists. Reading does not delete it.',
      tags: ['responses'],
      headers: callerHeaders,
      params: responseParams,
      response: { 200: storedResponse, ...errorResponses },
    },
    handler: async (request) => {
      const stored = await platform.requests.getResponse(request.params.correlationUid, caller(request));
      return {
        correlationUid: stored.correlationUid,
        deviceIdentification: stored.deviceIdentification,
        messageType: stored.messageType,
        result: stored.result,
        ...(stored.data === undefined ? {} : { data: stored.data }),
        ...(stored.error ? { error: { ...stored.error, message: publicText(stored.error.code, stored.error.message) } } : {}),
        createdAt: new Date(stored.createdAt).toISOString(),
      };
    },
  });

  r.route({
    method: 'DELETE',
    url: `${API_PREFIX}/responses/:correlationUid`,
    schema: {
      operationId: 'deleteResponse',
      summary: 'Delete a stored outcome (DeleteResponseData); pending notifications for it are cancelled.',
      tags: ['responses'],
      headers: callerHeaders,
      params: responseParams,
      response: { 204: z.null().describe('Deleted'), ...errorResponses },
    },
    handler: async (request, reply) => {
      await platform.requests.deleteResponse(request.params.correlationUid, caller(request));
      return reply.code(204).send(null);
    },
  });

  r.route({
    method: 'GET',
    url: `${API_PREFIX}/alarms/:correlationUid`,
    schema: {
      operationId: 'getAlarm',
      summary: 'A pushed alarm by the correlation id of its PUSH_NOTIFICATION_ALARM notification (GXF GetPushNotificationAlarm); 404 (code 405) when unknown, another organisation\'s, or not an alarm.',
      tags: ['alarms'],
      headers: callerHeaders,
      params: responseParams,
      response: { 200: alarm, ...errorResponses },
    },
    handler: async (request) => {
      const stored = await platform.requests.getResponse(request.params.correlationUid, caller(request));
      if (stored.messageType !== PUSH_NOTIFICATION_ALARM) {
        throw new MeterfabricError(ErrorCode.UNKNOWN_CORRELATION_UID, 'CorrelationUid does not name an alarm.', { component: 'WS_SMART_METERING' });
      }
      return alarmView(stored);
    },
  });

  const alarms = opts.alarms ?? (hasDb(platform) ? dbAlarmReader(platform.db) : undefined);
  r.route({
    method: 'GET',
    url: `${API_PREFIX}/devices/:deviceIdentification/alarms`,
    schema: {
      operationId: 'listDeviceAlarms',
      summary: 'The most recent pushed alarms of this device stored for the calling organisation, newest first (reading marks nothing fetched)',
      tags: ['alarms'],
      headers: callerHeaders,
      params: gatewayParams,
      querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50).describe('At most this many (default 50)') }),
      response: { 200: z.object({ alarms: z.array(alarm) }), ...errorResponses },
    },
    handler: async (request) => {
      const organisation = caller(request);
      if (!alarms) throw new MeterfabricError(ErrorCode.CONFIGURATION_ERROR, 'Listing alarms is not available on this server', { component: 'WS_SMART_METERING' });
      const list = await alarms.listForDevice(organisation, request.params.deviceIdentification, request.query.limit);
      return { alarms: list.map(alarmView) };
    },
  });

  app.get('/openapi.json', { schema: { hide: true }, config: { public: true } }, async () => {
    const doc = app.swagger() as { paths?: Record<string, unknown> };
    return opts.extraPaths ? { ...doc, paths: { ...doc.paths, ...opts.extraPaths() } } : doc;
  });
}

function hasDb(platform: PlatformApi): platform is PlatformApi & { db: Queryable } {
  const db = (platform as { db?: unknown }).db;
  return db !== null && typeof db === 'object' && typeof (db as Queryable).query === 'function';
}
