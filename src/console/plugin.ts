/**
 * The web console: static single-page app under /console/ and its JSON API under /console/api/. A visitor signs
 * in with an API token of its organisation, a one-time sign-in link, or its client certificate; every API route
 * except sign-in and sign-out needs the session cookie (or the same credentials as the other APIs: a bearer token
 * or a client certificate) and shows only what that organisation may see: devices it holds an authorisation on
 * and its own requests; ADMIN organisations see everything. Key material is never read: the secret store is used
 * only through list() and audit(), which return metadata.
 */
import { registerMeterRoutes } from './meter.ts';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyError } from 'fastify';
import { z } from 'zod';
import { ErrorCode, MeterfabricError, isMeterfabricError } from '../errors.ts';
import type { Platform } from '../platform/platform.ts';
import type { SecretStore, SecretMetadata } from '../secrets/store.ts';
import { DEVICE_OPERATIONS } from '../operations/catalogue.ts';
import setMbusUserKeyByChannel from '../operations/configuration/set-mbus-user-key-by-channel.ts';
import getMbusEncryptionKeyStatus from '../operations/configuration/get-mbus-encryption-key-status.ts';
import getMbusEncryptionKeyStatusByChannel from '../operations/configuration/get-mbus-encryption-key-status-by-channel.ts';
import { getOrganisation, listOrganisations, updateOrganisation, findDevice, type Device } from '../platform/inventory.ts';
import { certificateOrganisation } from '../api/rest/caller.ts';
import { problem } from '../api/server.ts';
import { issueApiToken, organisationOfToken, redeemSignInToken, SIGN_IN_PREFIX } from '../platform/tokens.ts';
import { errorAnswer, publicText } from '../api/problems.ts';
import {
  DEFAULT_SESSION_TTL_MS, createSession, endSession, findSession, revokeConsoleTokens, type ConsoleSession,
} from './auth.ts';
import { holdsAnyAuthorisation, listAuthorisationsOf, listCoupledMbusDevices, listDeviceIdentifications } from '../platform/inventory.ts';
import { latestOkResponsesAroundGateway, responsesOf } from '../platform/responses.ts';
import { addConsoleRekeyItem, consoleRekeyOwner, createConsoleRekey, listConsoleRekeyItems } from '../platform/console-rekeys.ts';
import { BulkJobs } from '../platform/bulk-jobs.ts';
import { refreshFleetStatistics, requestAttempts, requestNotifications } from '../platform/fleet.ts';
import { bulkRequest, registerFleetRoutes, type Viewer } from './fleet.ts';

export interface ConsolePluginOptions {
  platform: Platform;
  secrets: SecretStore;
  /** Session lifetime (default 8 h). */
  sessionTtlMs?: number;
  /** The bulk job runner (default: one of the plugin's own, resumed when the server is ready, stopped when it closes). */
  bulk?: BulkJobs;
  /** How often the fleet view's planner statistics are refreshed (default 5 minutes). */
  statisticsIntervalMs?: number;
}

export const COOKIE = 'mf_console';
const STATIC_DIR = join(import.meta.dirname, 'static');
const ASSETS: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};
const CHANNELS = [1, 2, 3, 4] as const;

/** The channel actions: the catalogue's operations that declare one (src/operations, `console`). */
const ACTIONS = new Map(
  DEVICE_OPERATIONS.flatMap((op) => (op.console ? [[op.console.action, { messageType: op.messageType, payload: op.console.payload }] as const] : [])),
);

declare module 'fastify' {
  interface FastifyRequest {
    consoleSession?: ConsoleSession;
  }
}

const notSignedIn = () => new MeterfabricError(ErrorCode.AUTHENTICATION_REQUIRED, 'Sign in to the console first', { component: 'WS_SMART_METERING', retryable: false });
const adminOnly = () => new MeterfabricError(ErrorCode.UNAUTHORIZED, 'Only an ADMIN organisation may do this', { component: 'WS_SMART_METERING', retryable: false });
// An invisible device is reported as unknown, so the console does not reveal which devices exist.
const unknownDevice = (id: string) => new MeterfabricError(ErrorCode.UNKNOWN_DEVICE, `Device ${id} is unknown`, { component: 'DOMAIN_CORE', retryable: false });
const invalid = (message: string) => new MeterfabricError(ErrorCode.VALIDATION_ERROR, message, { component: 'WS_SMART_METERING', retryable: false });

function cookieValue(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

function isTls(request: FastifyRequest): boolean {
  return Boolean((request.raw.socket as { encrypted?: boolean } | undefined)?.encrypted);
}

function setCookie(request: FastifyRequest, reply: FastifyReply, value: string, maxAgeSeconds: number): void {
  const secure = isTls(request) ? '; Secure' : '';
  reply.header('set-cookie', `${COOKIE}=${value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`);
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw invalid(r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return r.data;
}

const signInBody = z.object({ token: z.string().min(1).max(100).optional() }).strict();
const actionBody = z.object({ action: z.enum([...ACTIONS.keys()] as [string, ...string[]]) }).strict();
const orgPatch = z.object({ enabled: z.boolean() }).strict();
const rekeyBody = z.object({ gateways: z.array(z.string().min(1).max(64)).min(1).max(10_000) }).strict();
const listQuery = z.object({ device: z.string().max(64).optional(), limit: z.coerce.number().int().min(1).max(1000).optional() });

interface ChannelView {
  channel: number;
  gMeter: { deviceIdentification: string; mbusIdentificationNumber: string | null; mbusManufacturerIdentification: string | null } | null;
  userKey: { active: { secretId: number; since: string | null } | null; pending: { secretId: number; createdAt: string; sent: boolean } | null } | null;
  encryptionKeyStatus: { status: string; at: string; correlationUid: string } | null;
}

export async function consolePlugin(app: FastifyInstance, opts: ConsolePluginOptions): Promise<void> {
  const { platform, secrets } = opts;
  const db = platform.db;
  const ttlMs = opts.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  let bulk = opts.bulk;
  if (!bulk) {
    const own = new BulkJobs(db, platform.requests, {
      prepare: (job, device) => {
        try {
          return bulkRequest({ operation: (job.selection as { operation: string }).operation, payload: job.payload }, device);
        } catch (e) {
          throw isMeterfabricError(e) ? e : invalid(`bulk job ${job.id}: the body makes no request`);
        }
      },
      onError: (e, id) => platform.log.error({ err: e, bulkJob: id }, 'bulk job stopped; it is taken up again at the next start'),
    });
    app.addHook('onReady', async () => {
      await own.resume();
    });
    app.addHook('onClose', async () => {
      await own.stop();
    });
    bulk = own;
  }
  // Fresh planner statistics for the fleet view (src/platform/fleet.ts refreshFleetStatistics).
  let statistics: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    await refreshFleetStatistics(db).catch((e) => platform.log.warn({ err: e }, 'fleet statistics not refreshed'));
    statistics = setInterval(() => void refreshFleetStatistics(db).catch(() => undefined), opts.statisticsIntervalMs ?? 5 * 60_000);
    statistics.unref();
  });
  app.addHook('onClose', async () => {
    if (statistics) clearInterval(statistics);
  });

  await app.register(async (scope) => {
    scope.setErrorHandler((error: FastifyError | MeterfabricError, _request, reply) => {
      const p = errorAnswer(error, (e) => platform.log.error({ err: e }, 'unexpected error in console route'));
      return reply.code(p.status).type('application/json').send(p);
    });
    scope.addHook('onSend', async (_request, reply, payload) => {
      reply.header('cache-control', 'no-store');
      reply.header('x-content-type-options', 'nosniff');
      reply.header('x-frame-options', 'DENY');
      reply.header('content-security-policy', "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
      return payload;
    });

    // ------------------------------------------------------------ static assets
    const open = { config: { public: true } };
    scope.get('/console', open, async (_request, reply) => reply.redirect('/console/'));
    scope.get('/console/', open, async (_request, reply) => reply.type(ASSETS['index.html']!).send(await readFile(join(STATIC_DIR, 'index.html'))));
    scope.get<{ Params: { file: string } }>('/console/:file', open, async (request, reply) => {
      const type = ASSETS[request.params.file];
      if (!type) return reply.code(404).send({ status: 404, message: 'Not found' });
      return reply.type(type).send(await readFile(join(STATIC_DIR, request.params.file)));
    });

    // ------------------------------------------------------------ sign-in
    // A token in the body (an API token, or a one-time sign-in token from a sign-in link), or else a client
    // certificate from the platform CA. Nothing else signs in.
    scope.post('/console/api/session', open, async (request, reply) => {
      const body = parse(signInBody, request.body ?? {});
      let organisation: string;
      let via: ConsoleSession['via'];
      if (body.token?.startsWith(SIGN_IN_PREFIX)) {
        organisation = await redeemSignInToken(db, body.token);
        via = 'SIGN_IN_LINK';
      } else if (body.token) {
        organisation = await organisationOfToken(db, body.token);
        via = 'TOKEN';
      } else {
        const fromCertificate = certificateOrganisation(request);
        if (!fromCertificate) {
          throw new MeterfabricError(ErrorCode.AUTHENTICATION_REQUIRED, 'A token is required', { component: 'WS_SMART_METERING', retryable: false });
        }
        organisation = fromCertificate;
        via = 'CERTIFICATE';
      }
      const { id, session } = await createSession(db, organisation, via, ttlMs);
      setCookie(request, reply, id, Math.floor(ttlMs / 1000));
      return sessionView(session);
    });

    scope.delete('/console/api/session', open, async (request, reply) => {
      await endSession(db, cookieValue(request, COOKIE));
      setCookie(request, reply, '', 0);
      return { signedOut: true };
    });

    // ------------------------------------------------------------ the fleet view and bulk jobs over the REST API
    // (/api/v1, credentials only: a bearer token or a client certificate, no console cookie).
    await scope.register(async (rest) => {
      rest.addHook('preHandler', async (request) => {
        const caller = request.caller;
        if (!caller) throw new MeterfabricError(ErrorCode.AUTHENTICATION_REQUIRED, 'Authentication required: a client certificate from the platform CA or an API token (Authorization: Bearer)', { component: 'WS_SMART_METERING', retryable: false });
        const org = await getOrganisation(db, caller.organisationIdentification);
        if (!org.enabled) throw new MeterfabricError(ErrorCode.DISABLED_ORGANISATION, `Organisation ${org.identification} is disabled`, { component: 'WS_SMART_METERING', retryable: false });
        (request as FastifyRequest & { fleetViewer?: Viewer }).fleetViewer = { organisationIdentification: org.identification, admin: org.platformFunctionGroup === 'ADMIN', userName: 'api' };
      });
      registerFleetRoutes(rest, '/api/v1', { db, bulk: bulk!, viewer: (request) => (request as FastifyRequest & { fleetViewer?: Viewer }).fleetViewer! });
    });

    // ------------------------------------------------------------ everything below needs a session
    await scope.register(async (api) => {
      // These routes accept the session cookie besides the credentials the security hook checks.
      api.addHook('onRoute', (route) => {
        route.config = { ...(route.config ?? {}), session: true };
      });
      api.addHook('preHandler', async (request) => {
        if (request.caller) {
          // A bearer token or a client certificate, as on the other APIs.
          const org = await getOrganisation(db, request.caller.organisationIdentification);
          if (!org.enabled) {
            throw new MeterfabricError(ErrorCode.DISABLED_ORGANISATION, `Organisation ${org.identification} is disabled`, { component: 'WS_SMART_METERING', retryable: false });
          }
          request.consoleSession = {
            organisationIdentification: org.identification, admin: org.platformFunctionGroup === 'ADMIN',
            via: request.caller.via === 'certificate' ? 'CERTIFICATE' : 'TOKEN', expiresAt: new Date(Date.now() + ttlMs),
          };
          return;
        }
        const session = await findSession(db, cookieValue(request, COOKIE));
        if (!session) throw notSignedIn();
        request.consoleSession = session;
      });
      const who = (request: FastifyRequest) => request.consoleSession!;
      const requireAdmin = (request: FastifyRequest) => {
        if (!who(request).admin) throw adminOnly();
      };

      /** Devices the session may see (all for ADMIN). */
      const visibleDevices = async (s: ConsoleSession, type?: Device['deviceType']): Promise<Device[]> => {
        const ids = await listDeviceIdentifications(db, { ...(type ? { deviceType: type } : {}), ...(s.admin ? {} : { authorisedTo: s.organisationIdentification }), limit: 1000 });
        const devices = await Promise.all(ids.map((id) => findDevice(db, id)));
        return devices.filter((d): d is Device => Boolean(d));
      };
      const mayView = async (s: ConsoleSession, deviceIdentification: string): Promise<boolean> => {
        if (s.admin) return Boolean(await findDevice(db, deviceIdentification));
        return holdsAnyAuthorisation(db, s.organisationIdentification, deviceIdentification);
      };

      api.get('/console/api/session', async (request) => sessionView(who(request)));

      // ---------------------------------------------------------- fleet view and bulk jobs (./fleet.ts)
      registerFleetRoutes(api, '/console/api', { db, bulk: bulk!, viewer: (request) => ({ ...who(request), userName: 'console' }) });

      // ---------------------------------------------------------- gateways
      const gatewayView = async (gw: Device) => {
        const coupled = await listCoupledMbusDevices(db, [gw.deviceIdentification]);
        // The latest OK answer per channel (by channel) or per G-meter (GetMbusEncryptionKeyStatus).
        const statuses = (await latestOkResponsesAroundGateway(db, gw.deviceIdentification, getMbusEncryptionKeyStatusByChannel.messageType, getMbusEncryptionKeyStatus.messageType, 200))
          .map((r) => ({ ...r, messageData: r.messageData as { data?: Record<string, unknown> } | null }));
        const channels: ChannelView[] = [];
        for (const channel of CHANNELS) {
          const g = coupled.find((r) => r.channel === channel);
          let userKey: ChannelView['userKey'] = null;
          if (g) {
            const keys = (await secrets.list(g.deviceIdentification)).filter((k: SecretMetadata) => k.type === 'G_METER_ENCRYPTION_KEY');
            const active = keys.find((k) => k.status === 'ACTIVE');
            const pending = keys.find((k) => k.status === 'NEW');
            userKey = {
              active: active ? { secretId: active.secretId, since: (active.activatedAt ?? active.createdAt)?.toISOString() ?? null } : null,
              pending: pending ? { secretId: pending.secretId, createdAt: pending.createdAt.toISOString(), sent: pending.sent } : null,
            };
          }
          const latest = statuses.find((r) =>
            r.deviceIdentification === gw.deviceIdentification ? Number(r.messageData?.data?.channel) === channel : g?.deviceIdentification === r.deviceIdentification);
          channels.push({
            channel,
            gMeter: g ? { deviceIdentification: g.deviceIdentification, mbusIdentificationNumber: g.mbusIdentificationNumber, mbusManufacturerIdentification: g.mbusManufacturerIdentification } : null,
            userKey,
            encryptionKeyStatus: latest && typeof latest.messageData?.data?.encryptionKeyStatus === 'string'
              ? { status: latest.messageData.data.encryptionKeyStatus, at: latest.createdAt.toISOString(), correlationUid: latest.correlationUid }
              : null,
          });
        }
        return {
          deviceIdentification: gw.deviceIdentification,
          protocol: [gw.protocolName, gw.protocolVersion].filter(Boolean).join(' '),
          address: gw.host ? `${gw.host}:${gw.port ?? ''}` : null,
          transport: gw.transport,
          active: gw.active,
          channels,
        };
      };

      api.get('/console/api/gateways', async (request) => {
        const gateways = await visibleDevices(who(request), 'SMART_METER_E');
        return { gateways: await Promise.all(gateways.map(gatewayView)) };
      });

      api.get<{ Params: { id: string } }>('/console/api/gateways/:id', async (request) => {
        const id = request.params.id;
        const gw = (await mayView(who(request), id)) ? await findDevice(db, id) : undefined;
        if (!gw || gw.deviceType !== 'SMART_METER_E') throw unknownDevice(id);
        return gatewayView(gw);
      });

      const submitAs = (s: ConsoleSession, deviceIdentification: string, messageType: string, payload: unknown) =>
        platform.requests.submit({
          organisationIdentification: s.organisationIdentification, userName: 'console', applicationName: 'meterfabric-console',
          deviceIdentification, messageType, payload, channel: 'REST',
        });

      registerMeterRoutes(api, {
        db, who, mayView, submitAs, unknownDevice, parse,
        gatewayProtocol: async (id) => {
          const d = await findDevice(db, id);
          return d?.deviceType === 'SMART_METER_E' ? [d.protocolName, d.protocolVersion].filter(Boolean).join(' ') : undefined;
        },
      });

      api.post<{ Params: { id: string; channel: string } }>('/console/api/gateways/:id/channels/:channel/actions', async (request, reply) => {
        const s = who(request);
        const { action } = parse(actionBody, request.body ?? {});
        const channel = Number(request.params.channel);
        if (!Number.isInteger(channel) || channel < 1 || channel > 4) throw invalid('channel must be 1..4');
        if (!(await mayView(s, request.params.id))) throw unknownDevice(request.params.id);
        const { messageType, payload } = ACTIONS.get(action)!;
        // The platform checks the organisation's authorisation for the function itself (docs/gxf.md#authorisation-check).
        const { correlationUid } = await submitAs(s, request.params.id, messageType, payload(channel));
        return reply.code(202).send({ correlationUid, messageType });
      });

      // ---------------------------------------------------------- requests
      api.get<{ Querystring: Record<string, string> }>('/console/api/requests', async (request) => {
        const s = who(request);
        const q = parse(listQuery, request.query ?? {});
        const records = await platform.requests.list({
          ...(s.admin ? {} : { organisationIdentification: s.organisationIdentification }),
          ...(q.device ? { deviceIdentification: q.device } : {}),
          limit: q.limit ?? 100,
        });
        const results = await responsesOf(db, records.map((r) => r.correlationUid));
        const byId = new Map(results.map((r) => [r.correlationUid, r]));
        return {
          requests: records.map((r) => ({
            correlationUid: r.correlationUid, organisationIdentification: r.organisationIdentification, deviceIdentification: r.deviceIdentification,
            messageType: r.messageType, channel: r.channel, status: r.status, attempts: r.attempts, retries: r.retries,
            result: r.result, errorCode: r.errorCode, error: errorSummary(byId.get(r.correlationUid)?.messageData),
            createdAt: r.createdAt, updatedAt: r.updatedAt, completedAt: r.completedAt,
          })),
        };
      });

      api.get<{ Params: { cid: string } }>('/console/api/requests/:cid', async (request) => {
        const s = who(request);
        const r = await platform.requests.get(request.params.cid);
        if (!r || (!s.admin && r.organisationIdentification !== s.organisationIdentification)) {
          throw new MeterfabricError(ErrorCode.UNKNOWN_CORRELATION_UID, 'CorrelationUid is unknown.', { component: 'WS_SMART_METERING', retryable: false });
        }
        const response = await platform.requests.responseOf(r.correlationUid);
        const timeline = (await platform.requests.audit({ correlationUid: r.correlationUid, limit: 200 })).reverse();
        return {
          request: {
            correlationUid: r.correlationUid, organisationIdentification: r.organisationIdentification, deviceIdentification: r.deviceIdentification,
            messageType: r.messageType, payload: r.payload, channel: r.channel, status: r.status, attempts: r.attempts, retries: r.retries,
            result: r.result, errorCode: r.errorCode, createdAt: r.createdAt, updatedAt: r.updatedAt, completedAt: r.completedAt,
          },
          response: response ? { result: response.result, data: response.data ?? null, error: errorSummary(response), createdAt: response.createdAt } : null,
          timeline: timeline.map((e) => ({ at: e.at, event: e.event, result: e.result, errorCode: e.errorCode, detail: e.detail })),
          attempts: await requestAttempts(db, r.correlationUid),
          notifications: await requestNotifications(db, r.correlationUid),
        };
      });

      // ---------------------------------------------------------- organisations and authorisations
      api.get('/console/api/organisations', async (request) => {
        const s = who(request);
        const orgs = (await listOrganisations(db)).filter((o) => s.admin || o.identification === s.organisationIdentification);
        const auth = await listAuthorisationsOf(db, s.admin ? undefined : s.organisationIdentification, 5000);
        return {
          organisations: orgs.map((o) => ({
            identification: o.identification, name: o.name, enabled: o.enabled, platformFunctionGroup: o.platformFunctionGroup, createdAt: o.createdAt,
            authorisations: auth.filter((a) => a.organisationIdentification === o.identification)
              .map((a) => ({ deviceIdentification: a.deviceIdentification, functionGroup: a.functionGroup })),
          })),
        };
      });

      api.patch<{ Params: { id: string } }>('/console/api/organisations/:id', async (request) => {
        requireAdmin(request);
        const body = parse(orgPatch, request.body ?? {});
        if (request.params.id === who(request).organisationIdentification && !body.enabled) throw invalid('An organisation cannot disable itself here');
        const o = await updateOrganisation(db, request.params.id, { enabled: body.enabled });
        return { identification: o.identification, enabled: o.enabled };
      });

      // Console tokens are issued by an ADMIN organisation and shown once.
      api.post<{ Params: { id: string } }>('/console/api/organisations/:id/console-tokens', async (request, reply) => {
        requireAdmin(request);
        const issued = await issueApiToken(db, request.params.id, `console:${who(request).organisationIdentification}`);
        return reply.code(201).send(issued);
      });

      api.delete<{ Params: { id: string } }>('/console/api/organisations/:id/console-tokens', async (request) => {
        requireAdmin(request);
        return { revoked: await revokeConsoleTokens(db, request.params.id) };
      });

      // ---------------------------------------------------------- audit
      api.get<{ Querystring: Record<string, string> }>('/console/api/audit', async (request) => {
        const s = who(request);
        const q = parse(listQuery, request.query ?? {});
        const limit = q.limit ?? 200;
        const platformAudit = await platform.requests.audit({ ...(s.admin ? {} : { organisationIdentification: s.organisationIdentification }), limit });
        let secretRows;
        if (s.admin) secretRows = await secrets.audit(q.device, { limit });
        else {
          const devices = q.device ? ((await mayView(s, q.device)) ? [q.device] : []) : (await visibleDevices(s)).map((d) => d.deviceIdentification).slice(0, 200);
          secretRows = (await Promise.all(devices.map((d) => secrets.audit(d, { limit })))).flat()
            .sort((a, b) => b.at.getTime() - a.at.getTime() || b.id - a.id).slice(0, limit);
        }
        return {
          platform: platformAudit.filter((e) => !q.device || e.deviceIdentification === q.device),
          secrets: secretRows.map((r) => ({
            id: r.id, at: r.at, deviceIdentification: r.deviceId, type: r.type, secretId: r.secretId, action: r.action,
            fromStatus: r.fromStatus, toStatus: r.toStatus, actor: r.actor, reason: r.reason,
          })),
        };
      });

      // ---------------------------------------------------------- fleet rekey
      api.post('/console/api/rekeys', async (request, reply) => {
        const s = who(request);
        const { gateways } = parse(rekeyBody, request.body ?? {});
        const unique = [...new Set(gateways)];
        for (const g of unique) if (!(await mayView(s, g))) throw unknownDevice(g);
        const coupled = await listCoupledMbusDevices(db, unique);
        const id = randomUUID();
        await createConsoleRekey(db, id, s.organisationIdentification);
        // Submitted one after another: the platform queues them and its throttle bounds the meter connections
        // (docs/gxf.md#throttling); a refused submission is recorded with its code instead of stopping the batch.
        for (const c of coupled) {
          let correlationUid: string | null = null;
          let errorCode: number | null = null;
          try {
            ({ correlationUid } = await submitAs(s, c.gatewayDeviceIdentification, setMbusUserKeyByChannel.messageType, { channel: c.channel }));
          } catch (e) {
            errorCode = isMeterfabricError(e) ? e.code : ErrorCode.INTERNAL_ERROR;
          }
          await addConsoleRekeyItem(db, { rekeyId: id, correlationUid, gatewayDeviceIdentification: c.gatewayDeviceIdentification, channel: c.channel, errorCode });
        }
        return reply.code(202).send({ id, ...(await rekeyProgress(id)) });
      });

      api.get<{ Params: { id: string } }>('/console/api/rekeys/:id', async (request) => {
        const s = who(request);
        const owner = await consoleRekeyOwner(db, request.params.id);
        if (owner === undefined || (!s.admin && owner !== s.organisationIdentification)) {
          throw new MeterfabricError(ErrorCode.UNKNOWN_CORRELATION_UID, 'Unknown fleet rekey', { component: 'WS_SMART_METERING', retryable: false });
        }
        return { id: request.params.id, ...(await rekeyProgress(request.params.id)) };
      });

      const rekeyProgress = async (id: string) => {
        const items = await listConsoleRekeyItems(db, id);
        const view = items.map((i) => {
          const state = i.errorCode !== null ? 'FAILED' : i.status === 'DONE' ? (i.result === 'OK' ? 'DONE' : 'FAILED') : 'PENDING';
          return { gatewayDeviceIdentification: i.gatewayDeviceIdentification, channel: i.channel, correlationUid: i.correlationUid, state, errorCode: i.errorCode ?? i.requestErrorCode };
        });
        const count = (st: string) => view.filter((v) => v.state === st).length;
        return { total: view.length, done: count('DONE'), failed: count('FAILED'), pending: count('PENDING'), items: view };
      };
    });
  });
}

function sessionView(s: ConsoleSession) {
  return { organisationIdentification: s.organisationIdentification, admin: s.admin, via: s.via, expiresAt: s.expiresAt.toISOString() };
}

function errorSummary(data: { error?: { code: number; codeName: string; message: string } } | null | undefined) {
  const e = data?.error;
  return e ? { code: e.code, codeName: e.codeName, message: publicText(e.code, e.message) } : null;
}
