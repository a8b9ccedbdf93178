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
import { MessageType, type MessageTypeName } from '../../platform/operations.ts';
import { restCallerOrganisation } from './caller.ts';
import { dbAlarmReader, PUSH_NOTIFICATION_ALARM, type AlarmReader } from './alarms.ts';
import type { PlatformApi, StoredResponse } from './platform-api.ts';
import type { Queryable } from '../../platform/db/db.ts';
import { PROBLEM_CONTENT_TYPE, clientErrorText, problemFromThrown, problemOf, publicText, type Problem } from '../problems.ts';

export interface RestOperationsOptions {
  platform: PlatformApi;
  /** Lists a device's stored alarms; default: read from the platform's database when it has one (`platform.db`). */
  alarms?: AlarmReader;
}

export const API_PREFIX = '/api/v1';
const log = logger('api.rest');

// ---- schemas -----------------------------------------------------------------------------------------------

const deviceIdentification = z
  .string()
  .regex(/^[A-Za-z0-9 _.:-]{1,64}$/, 'letters, digits, space, _ . : - (1..64)')
  .describe('Device identification');
const channel = z.coerce.number().int().min(1).max(4).describe('M-Bus channel 1..4');
const epochOrIso = z.iso.datetime({ offset: true });

/** Request metadata, the REST form of GXF's optional SOAP headers (docs/gxf.md#soap-headers). */
const requestOptions = {
  priority: z.number().int().min(0).max(9).optional().describe('0..9, default 4; higher runs first'),
  scheduleTime: epochOrIso.optional().describe('Do not start before this time (ISO 8601)'),
  maxScheduleTime: epochOrIso.optional().describe('Give up with 417 if a retry would start after this time'),
  bypassRetry: z.boolean().optional().describe('Answer the first failure instead of retrying'),
  responseUrl: z.url({ protocol: /^https?$/ }).optional().describe('Webhook notified when the outcome is stored'),
};
const optionsOnly = z.object(requestOptions).strict();

const callerHeaders = z.looseObject({
  'x-organisation-identification': z.string().max(40).optional().describe('Optional; when given, must be the authenticated organisation (certificate CN or token)'),
  'x-user-name': z.string().max(40).optional().describe('For the audit log; default the organisation'),
  'x-application-name': z.string().max(40).optional().describe('For the audit log; default REST'),
});

const hexCiphertext = z
  .string()
  .regex(/^[0-9a-fA-F]+$/, 'hex')
  .max(2048)
  .describe('Key RSA-OAEP (SHA-1) encrypted to the platform public key (GET /api/v1/platform/public-key), hex');

const addDeviceBody = z
  .object({
    deviceIdentification: z.string().regex(/^[a-zA-Z0-9 ]{16,64}$/, 'GXF DeviceIdentification: 16..64 letters, digits, spaces'),
    deviceType: z.enum(['SMART_METER_E', 'SMART_METER_G', 'SMART_METER_W']),
    protocolName: z.string().max(10).optional(),
    protocolVersion: z.string().max(10).optional(),
    protocolVariant: z.string().max(10).optional(),
    timezone: z.string().max(40).optional().describe('e.g. Europe/Amsterdam'),
    communicationMethod: z.string().max(10).optional(),
    communicationProvider: z.string().max(10).optional(),
    iccId: z.string().max(20).optional(),
    supplier: z.string().max(50).optional(),
    lls1Active: z.boolean().optional(),
    hls3Active: z.boolean().optional(),
    hls4Active: z.boolean().optional(),
    hls5Active: z.boolean().optional(),
    masterKey: hexCiphertext.optional(),
    globalEncryptionUnicastKey: hexCiphertext.optional(),
    authenticationKey: hexCiphertext.optional(),
    mbusIdentificationNumber: z.string().regex(/^[0-9]{8}$/).optional(),
    mbusManufacturerIdentification: z.string().regex(/^[A-Z]{3}$/).optional(),
    mbusVersion: z.number().int().min(0).max(255).optional(),
    mbusDeviceTypeIdentification: z.number().int().min(0).max(255).optional(),
    mbusDefaultKey: hexCiphertext.optional(),
    mbusUserKey: hexCiphertext.optional(),
    mbusFirmwareUpdateAuthenticationKey: hexCiphertext.optional(),
    mbusP0Key: hexCiphertext.optional(),
    polyphase: z.boolean().optional(),
    ipAddressIsStatic: z.boolean().optional(),
    deliveryDate: z.iso.datetime({ offset: true }).optional().describe('GXF Delivery_date, ISO 8601'),
    withListMax: z.number().int().min(1).optional(),
    selectiveAccessSupported: z.boolean().optional(),
    challengeLength: z.number().int().min(0).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    deviceModel: z.object({ manufacturer: z.string().min(1).max(4), modelCode: z.string().max(255).optional() }).strict().optional(),
    overwrite: z.boolean().optional(),
    ...requestOptions,
  })
  .strict();

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
  messageType: MessageTypeName;
  params?: z.ZodObject;
  body: z.ZodObject;
  /** The device checked for authorisation and the catalogue payload. */
  toRequest(params: Record<string, never>, body: Record<string, unknown>): { deviceIdentification: string; payload: unknown };
}

const gatewayParams = z.object({ deviceIdentification });
const gatewayChannelParams = z.object({ deviceIdentification, channel });

type P = Record<string, unknown>;
const p = (params: unknown) => params as P;

export const REST_OPERATIONS: readonly RestOperation[] = [
  {
    url: '/devices/:deviceIdentification/mbus/channels/:channel/user-key',
    operationId: 'setMbusUserKeyByChannel',
    summary: 'Generate, transfer and set a new M-Bus user key on the G-meter on a channel of this gateway (SetMbusUserKeyByChannel)',
    messageType: MessageType.SET_MBUS_USER_KEY_BY_CHANNEL,
    params: gatewayChannelParams,
    body: optionsOnly,
    toRequest: (params) => ({ deviceIdentification: p(params).deviceIdentification as string, payload: { channel: p(params).channel } }),
  },
  {
    url: '/devices/:deviceIdentification/mbus/keys',
    operationId: 'setKeyOnGMeter',
    summary: 'Set a key on this M-Bus device through its gateway (SetKeyOnGMeter)',
    messageType: MessageType.SET_KEY_ON_G_METER,
    params: gatewayParams,
    body: z
      .object({
        secretType: z.enum(['G_METER_ENCRYPTION_KEY', 'G_METER_FIRMWARE_UPDATE_AUTHENTICATION_KEY', 'G_METER_OPTICAL_PORT_KEY']),
        closeOpticalPort: z.boolean().optional(),
        ...requestOptions,
      })
      .strict(),
    toRequest: (params, body) => {
      const id = p(params).deviceIdentification as string;
      return {
        deviceIdentification: id,
        payload: {
          mbusDeviceIdentification: id,
          secretType: body.secretType,
          ...(body.closeOpticalPort === undefined ? {} : { closeOpticalPort: body.closeOpticalPort }),
        },
      };
    },
  },
  {
    url: '/devices/:deviceIdentification/mbus/encryption-key-status',
    operationId: 'getMbusEncryptionKeyStatus',
    summary: 'Read the encryption key status of this M-Bus device (GetMbusEncryptionKeyStatus)',
    messageType: MessageType.GET_MBUS_ENCRYPTION_KEY_STATUS,
    params: gatewayParams,
    body: optionsOnly,
    toRequest: (params) => ({ deviceIdentification: p(params).deviceIdentification as string, payload: {} }),
  },
  {
    url: '/devices/:deviceIdentification/mbus/channels/:channel/encryption-key-status',
    operationId: 'getMbusEncryptionKeyStatusByChannel',
    summary: 'Read the encryption key status of the M-Bus device on a channel of this gateway (GetMbusEncryptionKeyStatusByChannel)',
    messageType: MessageType.GET_MBUS_ENCRYPTION_KEY_STATUS_BY_CHANNEL,
    params: gatewayChannelParams,
    body: optionsOnly,
    toRequest: (params) => ({ deviceIdentification: p(params).deviceIdentification as string, payload: { channel: p(params).channel } }),
  },
  {
    url: '/devices/:deviceIdentification/mbus/scan',
    operationId: 'scanMbusChannels',
    summary: 'Read what the four M-Bus channels of this gateway hold (ScanMbusChannels)',
    messageType: MessageType.SCAN_MBUS_CHANNELS,
    params: gatewayParams,
    body: optionsOnly,
    toRequest: (params) => ({ deviceIdentification: p(params).deviceIdentification as string, payload: {} }),
  },
  {
    url: '/devices/:deviceIdentification/mbus/couple',
    operationId: 'coupleMbusDevice',
    summary: 'Couple an M-Bus device to this gateway, finding or installing it on a channel (CoupleMbusDevice)',
    messageType: MessageType.COUPLE_MBUS_DEVICE,
    params: gatewayParams,
    body: z.object({ mbusDeviceIdentification: deviceIdentification, force: z.boolean().optional(), ...requestOptions }).strict(),
    toRequest: (params, body) => ({
      deviceIdentification: p(params).deviceIdentification as string,
      payload: { mbusDeviceIdentification: body.mbusDeviceIdentification, force: body.force ?? false },
    }),
  },
  {
    url: '/devices/:deviceIdentification/mbus/decouple',
    operationId: 'decoupleMbusDevice',
    summary: 'Decouple an M-Bus device from this gateway (DecoupleMbusDevice)',
    messageType: MessageType.DECOUPLE_MBUS_DEVICE,
    params: gatewayParams,
    body: z.object({ mbusDeviceIdentification: deviceIdentification, ...requestOptions }).strict(),
    toRequest: (params, body) => ({
      deviceIdentification: p(params).deviceIdentification as string,
      payload: { mbusDeviceIdentification: body.mbusDeviceIdentification },
    }),
  },
  {
    url: '/devices/:deviceIdentification/mbus/channels/:channel/couple',
    operationId: 'coupleMbusDeviceByChannel',
    summary: 'Couple the M-Bus device found on a channel of this gateway (CoupleMbusDeviceByChannel)',
    messageType: MessageType.COUPLE_MBUS_DEVICE_BY_CHANNEL,
    params: gatewayChannelParams,
    body: optionsOnly,
    toRequest: (params) => ({ deviceIdentification: p(params).deviceIdentification as string, payload: { channel: p(params).channel } }),
  },
  {
    url: '/devices/:deviceIdentification/mbus/channels/:channel/decouple',
    operationId: 'decoupleMbusDeviceByChannel',
    summary: 'Decouple the M-Bus device on a channel of this gateway (DecoupleMbusDeviceByChannel)',
    messageType: MessageType.DECOUPLE_MBUS_DEVICE_BY_CHANNEL,
    params: gatewayChannelParams,
    body: optionsOnly,
    toRequest: (params) => ({ deviceIdentification: p(params).deviceIdentification as string, payload: { channel: p(params).channel } }),
  },
  {
    url: '/devices',
    operationId: 'addDevice',
    summary: 'Add an E-meter or G-meter with its keys (AddDevice; keys RSA-OAEP encrypted as GXF clients send them)',
    messageType: MessageType.ADD_METER,
    body: addDeviceBody,
    toRequest: (_params, body) => {
      const payload: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(body)) {
        if (k in requestOptions || v === undefined) continue;
        payload[k] = typeof v === 'string' && k.endsWith('Key') ? v.toLowerCase() : v;
      }
      return { deviceIdentification: body.deviceIdentification as string, payload };
    },
  },
];

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
      tags: [{ name: 'mbus' }, { name: 'devices' }, { name: 'responses' }, { name: 'alarms' }],
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
        tags: [op.url === '/devices' ? 'devices' : 'mbus'],
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
        const { deviceIdentification, payload } = op.toRequest((request.params ?? {}) as Record<string, never>, body);
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

  app.get('/openapi.json', { schema: { hide: true }, config: { public: true } }, async () => app.swagger());
}

function hasDb(platform: PlatformApi): platform is PlatformApi & { db: Queryable } {
  const db = (platform as { db?: unknown }).db;
  return db !== null && typeof db === 'object' && typeof (db as Queryable).query === 'function';
}
