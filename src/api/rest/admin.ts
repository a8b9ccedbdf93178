/**
 * The REST admin API under /api/v1/admin: organisations, devices, authorisations, requests and the audit log.
 * Every route needs an authenticated caller (client certificate or API token, src/api/rest/caller.ts) whose
 * organisation is enabled and in the ADMIN platform function group. X-Organisation-Identification, when given,
 * must name the authenticated organisation. The built-in ADMIN organisation's token is in DATA/admin.token.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import type { Platform } from '../../platform/platform.ts';
import type { PlatformCa } from '../../platform/ca.ts';
import {
  FUNCTION_GROUPS, ORGANISATION_IDENTIFICATION, addDevice, addOrganisation, getDevice, getOrganisation, grantAuthorisation, listAuthorisations, listDevices,
  listOrganisations, revokeAuthorisation, updateOrganisation,
} from '../../platform/inventory.ts';
import { existingDeviceIdentifications } from '../../platform/inventory.ts';
import { restCallerOrganisation, ORGANISATION_HEADER } from './caller.ts';
import { getDeviceInstallation } from '../../platform/device-installation.ts';
import {
  PROTOCOL_INFOS, deleteDevice, disableUnusedOrganisation, listDevicesWithoutOwner, setDeviceOwner, setDeviceProtocol, setDevicePublicKey, setNetworkInformation,
} from '../../platform/administration.ts';
import { getOrganisationPublicKey, removeOrganisationPublicKey, setOrganisationPublicKey } from '../../platform/organisation-keys.ts';
import { addFirmwareFile, getFirmwareFileInfo, listFirmwareFiles } from '../../platform/firmware.ts';

export const ADMIN_PREFIX = '/api/v1/admin';
export { ORGANISATION_HEADER };

export interface AdminRoutesOptions {
  platform: Platform;
  /** Issues organisation certificates when present. */
  ca?: PlatformCa;
  /** More admin routes (e.g. key status and audit), registered in this scope so the ADMIN check covers them. */
  extraRoutes?: (app: FastifyInstance) => void | Promise<void>;
}

const url = z.string().regex(/^https?:\/\/.+/, 'must start with http:// or https://');
const urlPrefixes = z.array(z.string().min(1).max(2000)).max(100);
const orgBody = z.object({
  identification: z.string().regex(ORGANISATION_IDENTIFICATION, '1..40 letters, digits, dots, underscores or hyphens'),
  name: z.string().min(1).max(200).optional(),
  platformFunctionGroup: z.enum(['ADMIN', 'USER']).optional(),
  enabled: z.boolean().optional(),
  notificationUrl: url.nullable().optional(),
  webhookUrl: url.nullable().optional(),
  autoRekeyOnAlarm: z.boolean().optional(),
  /** URL prefixes the organisation's notifications may go to (README "Authorisation and notification targets"). */
  allowedUrls: urlPrefixes.optional(),
}).strict();
const orgPatch = orgBody.omit({ identification: true }).extend({
  /** Added to allowedUrls. */
  allowUrls: urlPrefixes.optional(),
  /** Removed from allowedUrls. */
  disallowUrls: urlPrefixes.optional(),
}).strict();
const deviceBody = z.object({
  deviceIdentification: z.string(),
  deviceType: z.enum(['SMART_METER_E', 'SMART_METER_G']),
  protocolName: z.string().optional(),
  protocolVersion: z.string().optional(),
  host: z.string().nullable().optional(),
  port: z.number().int().min(1).max(65535).nullable().optional(),
  transport: z.enum(['WRAPPER', 'HDLC']).optional(),
  hls5Active: z.boolean().optional(),
  challengeLength: z.number().int().nullable().optional(),
  withListMax: z.number().int().min(1).nullable().optional(),
  mbusIdentificationNumber: z.string().nullable().optional(),
  mbusManufacturerIdentification: z.string().nullable().optional(),
  mbusVersion: z.number().int().min(0).max(255).nullable().optional(),
  mbusDeviceTypeIdentification: z.number().int().min(0).max(255).nullable().optional(),
  mbusPrimaryAddress: z.number().int().min(0).max(255).nullable().optional(),
  gatewayDeviceIdentification: z.string().nullable().optional(),
  channel: z.number().int().min(1).max(4).nullable().optional(),
  /** The device's OWNER; default the calling organisation. */
  ownerOrganisationIdentification: z.string().optional(),
}).strict();
const networkBody = z.object({
  host: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  /** The mobile network's BTS and cell the meter is reached through (GXF SetCommunicationNetworkInformation). */
  btsId: z.number().int().optional(),
  cellId: z.number().int().optional(),
}).strict();
const ownerBody = z.object({ organisationIdentification: z.string().min(1) }).strict();
const protocolBody = z.object({ protocolName: z.string().min(1), protocolVersion: z.string().min(1) }).strict();
const devicePublicKeyBody = z.object({ publicKey: z.string().min(1).max(8192) }).strict();
const authBody = z.object({ organisationIdentification: z.string().min(1), functionGroup: z.enum(FUNCTION_GROUPS) }).strict();
const certBody = z.object({ csr: z.string().min(1) }).strict();
const publicKeyBody = z.object({ publicKey: z.string().min(1).max(20_000).describe('PEM of an RSA public key of at least 2048 bits') }).strict();
const limitQuery = z.coerce.number().int().min(1).max(1000);
const firmwareBody = z.object({
  identification: z.string().min(1).max(40).describe("GXF's FirmwareIdentification: the name UpdateFirmware requests use"),
  content: z.string().min(1).describe('the firmware file, base64'),
  imageIdentifier: z.string().regex(/^([0-9a-fA-F]{2}){1,64}$/, '1 to 64 bytes as hex').optional().describe('image_identifier sent with image_transfer_initiate (hex)'),
  manufacturer: z.string().min(1).max(4).optional(),
  modelCode: z.string().min(1).max(255).optional(),
}).strict();
/** Largest firmware upload accepted over the admin API (base64 in JSON): 64 MiB of file. */
const FIRMWARE_BODY_LIMIT = Math.ceil((64 * 1024 * 1024 * 4) / 3) + 4096;

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value ?? {});
  if (!r.success) {
    const detail = r.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
    throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, detail, { component: 'SHARED', retryable: false });
  }
  return r.data;
}

export async function adminRoutes(app: FastifyInstance, o: AdminRoutesOptions): Promise<void> {
  const { platform } = o;
  const db = platform.db;

  app.decorateRequest('adminOrganisation', '');
  app.addHook('preHandler', async (request) => {
    const org = restCallerOrganisation(request);
    const found = await getOrganisation(db, org).catch(() => {
      throw new MeterfabricError(ErrorCode.UNAUTHORIZED, `Organisation [${org}] is not authorized for action`, { component: 'WS_SMART_METERING', retryable: false });
    });
    if (!found.enabled) throw new MeterfabricError(ErrorCode.DISABLED_ORGANISATION, `Organisation ${org} is disabled`, { component: 'WS_SMART_METERING', retryable: false });
    if (found.platformFunctionGroup !== 'ADMIN') {
      throw new MeterfabricError(ErrorCode.UNAUTHORIZED, `Organisation [${org}] is not authorized for action`, { component: 'WS_SMART_METERING', retryable: false });
    }
    (request as unknown as { adminOrganisation: string }).adminOrganisation = org;
  });
  const caller = (r: FastifyRequest) => (r as unknown as { adminOrganisation: string }).adminOrganisation;

  // ---- organisations
  app.get('/organisations', async () => ({ organisations: await listOrganisations(db) }));
  app.post('/organisations', async (request, reply) => {
    const body = parse(orgBody, request.body);
    reply.code(201);
    return addOrganisation(db, body);
  });
  app.get<{ Params: { id: string } }>('/organisations/:id', async (request) => getOrganisation(db, request.params.id));
  app.patch<{ Params: { id: string } }>('/organisations/:id', async (request) => updateOrganisation(db, request.params.id, parse(orgPatch, request.body)));
  app.post<{ Params: { id: string } }>('/organisations/:id/enable', async (request) => updateOrganisation(db, request.params.id, { enabled: true }));
  app.post<{ Params: { id: string } }>('/organisations/:id/disable', async (request) => updateOrganisation(db, request.params.id, { enabled: false }));
  // GXF RemoveOrganisation: disabled, and only when it holds no device authorisation any more (302).
  app.post<{ Params: { id: string } }>('/organisations/:id/remove', async (request) => db.tx((q) => disableUnusedOrganisation(q, request.params.id)));
  app.post<{ Params: { id: string } }>('/organisations/:id/certificate', async (request) => {
    const { csr } = parse(certBody, request.body);
    await getOrganisation(db, request.params.id);
    if (!o.ca) throw new MeterfabricError(ErrorCode.CONFIGURATION_ERROR, 'This platform has no certificate authority configured', { component: 'SHARED', retryable: false });
    const certificate = await o.ca.issueOrganisationCertificate(request.params.id, csr);
    return { organisationIdentification: request.params.id, certificate, caCertificate: await o.ca.caCertificate() };
  });

  // ---- the organisation's RSA public key, with which GetKeys encrypts the keys it returns (README "E-meter keys")
  app.put<{ Params: { id: string } }>('/organisations/:id/public-key', async (request) => {
    const { publicKey } = parse(publicKeyBody, request.body);
    const k = await setOrganisationPublicKey(db, request.params.id, publicKey);
    return { organisationIdentification: k.organisationIdentification, publicKey: k.publicKeyPem, modulusBits: k.modulusBits, updatedAt: k.updatedAt };
  });
  app.get<{ Params: { id: string } }>('/organisations/:id/public-key', async (request) => {
    await getOrganisation(db, request.params.id);
    const k = await getOrganisationPublicKey(db, request.params.id);
    if (!k) throw new MeterfabricError(ErrorCode.KEY_NOT_PRESENT, `No public key is registered for organisation ${request.params.id}`, { component: 'SHARED', retryable: false });
    return { organisationIdentification: k.organisationIdentification, publicKey: k.publicKeyPem, modulusBits: k.modulusBits, updatedAt: k.updatedAt };
  });
  app.delete<{ Params: { id: string } }>('/organisations/:id/public-key', async (request, reply) => {
    await getOrganisation(db, request.params.id);
    await removeOrganisationPublicKey(db, request.params.id);
    reply.code(204);
  });

  // ---- firmware files (docs/firmware.md#file-store; `meterfabric firmware add`)
  app.post('/firmware', { bodyLimit: FIRMWARE_BODY_LIMIT }, async (request, reply) => {
    const body = parse(firmwareBody, request.body);
    const content = Buffer.from(body.content, 'base64');
    if (content.toString('base64').replace(/=+$/, '') !== body.content.replace(/\s+/g, '').replace(/=+$/, '')) {
      throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, 'content: not base64', { component: 'SHARED', retryable: false });
    }
    const f = await addFirmwareFile(db, { identification: body.identification, content, imageIdentifier: body.imageIdentifier, manufacturer: body.manufacturer, modelCode: body.modelCode });
    reply.code(201);
    return f;
  });
  app.get('/firmware', async () => ({ firmwareFiles: await listFirmwareFiles(db) }));
  app.get<{ Params: { id: string } }>('/firmware/:id', async (request) => {
    const f = await getFirmwareFileInfo(db, request.params.id);
    if (!f) throw new MeterfabricError(ErrorCode.UNKNOWN_FIRMWARE, `No firmware file found with Identification ${request.params.id}`, { component: 'SHARED', retryable: false });
    return f;
  });

  // ---- devices
  app.get<{ Querystring: Record<string, string> }>('/devices', async (request) => {
    const q = request.query;
    return {
      devices: await listDevices(db, {
        ...(q.organisation ? { organisationIdentification: q.organisation } : {}),
        ...(q.gateway ? { gatewayDeviceIdentification: q.gateway } : {}),
        ...(q.after ? { after: q.after } : {}),
        limit: q.limit === undefined ? 100 : parse(limitQuery, q.limit)!,
      }),
    };
  });
  app.post('/devices', async (request, reply) => {
    const body = parse(deviceBody, request.body);
    const device = await db.tx((q) => addDevice(q, { ...body, ownerOrganisationIdentification: body.ownerOrganisationIdentification ?? caller(request) }));
    reply.code(201);
    return device;
  });
  // Bulk import (meterfabric device import): one transaction per call; devices that exist already are skipped,
  // so an interrupted import can simply be run again.
  app.post('/devices/bulk', async (request, reply) => {
    const body = parse(z.object({ devices: z.array(deviceBody).min(1).max(5000) }).strict(), request.body);
    const result = await db.tx(async (q) => {
      const known = await existingDeviceIdentifications(q, body.devices.map((d) => d.deviceIdentification));
      let added = 0;
      for (const d of body.devices) {
        if (known.has(d.deviceIdentification)) continue;
        await addDevice(q, { ...d, ownerOrganisationIdentification: d.ownerOrganisationIdentification ?? caller(request) });
        known.add(d.deviceIdentification);
        added++;
      }
      return { added, skipped: body.devices.length - added };
    });
    reply.code(201);
    return result;
  });
  app.get<{ Params: { id: string } }>('/devices/:id', async (request) => {
    const installation = await getDeviceInstallation(db, request.params.id);
    return {
      ...(await getDevice(db, request.params.id)),
      authorisations: await listAuthorisations(db, request.params.id),
      // What AddDevice stated (DeviceModel, Timezone, Supplier, LLS1/HLS flags, …), when it was added that way.
      ...(installation ? { installation } : {}),
    };
  });
  // GXF SetCommunicationNetworkInformation.
  app.put<{ Params: { id: string } }>('/devices/:id/network', async (request) => {
    const body = parse(networkBody, request.body);
    if (body.port !== undefined && body.host === undefined) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, 'port needs host', { component: 'SHARED', retryable: false });
    return db.tx(async (q) => {
      const n = await setNetworkInformation(q, request.params.id, body);
      return { ...(await getDevice(q, request.params.id)), btsId: n.btsId, cellId: n.cellId };
    });
  });
  // The rest of GXF's Admin service (docs/gxf-admin.md), through the same platform functions; any ADMIN here.
  app.get('/devices/without-owner', async () => ({ devices: await listDevicesWithoutOwner(db, 1000) }));
  app.put<{ Params: { id: string } }>('/devices/:id/owner', async (request) => {
    const body = parse(ownerBody, request.body);
    await db.tx((q) => setDeviceOwner(q, request.params.id, body.organisationIdentification));
    return { authorisations: await listAuthorisations(db, request.params.id) };
  });
  app.delete<{ Params: { id: string } }>('/devices/:id', async (request) => {
    await db.tx((q) => deleteDevice(q, request.params.id));
    return { removed: request.params.id };
  });
  app.put<{ Params: { id: string } }>('/devices/:id/protocol', async (request) => {
    const body = parse(protocolBody, request.body);
    return db.tx((q) => setDeviceProtocol(q, request.params.id, { protocol: body.protocolName, protocolVersion: body.protocolVersion }));
  });
  app.put<{ Params: { id: string } }>('/devices/:id/public-key', async (request) => {
    const body = parse(devicePublicKeyBody, request.body);
    await db.tx((q) => setDevicePublicKey(q, request.params.id, body.publicKey));
    return { deviceIdentification: request.params.id, publicKeyPresent: true };
  });
  app.delete<{ Params: { id: string } }>('/devices/:id/public-key', async (request) => {
    await db.tx((q) => setDevicePublicKey(q, request.params.id, null));
    return { deviceIdentification: request.params.id, publicKeyPresent: false };
  });
  app.get('/protocols', async () => ({ protocols: PROTOCOL_INFOS }));
  app.get<{ Params: { id: string } }>('/devices/:id/authorisations', async (request) => {
    await getDevice(db, request.params.id);
    return { authorisations: await listAuthorisations(db, request.params.id) };
  });
  app.post<{ Params: { id: string } }>('/devices/:id/authorisations', async (request, reply) => {
    const body = parse(authBody, request.body);
    await grantAuthorisation(db, { deviceIdentification: request.params.id, ...body });
    reply.code(201);
    return { authorisations: await listAuthorisations(db, request.params.id) };
  });
  app.delete<{ Params: { id: string; org: string; group: string } }>('/devices/:id/authorisations/:org/:group', async (request) => {
    const group = parse(authBody.shape.functionGroup, request.params.group);
    const removed = await revokeAuthorisation(db, { deviceIdentification: request.params.id, organisationIdentification: request.params.org, functionGroup: group });
    return { removed };
  });

  // ---- requests and audit
  app.get<{ Querystring: Record<string, string> }>('/requests', async (request) => {
    const q = request.query;
    return {
      requests: await platform.requests.list({
        ...(q.organisation ? { organisationIdentification: q.organisation } : {}),
        ...(q.device ? { deviceIdentification: q.device } : {}),
        ...(q.status ? { status: q.status } : {}),
        limit: q.limit === undefined ? 100 : parse(limitQuery, q.limit)!,
      }),
    };
  });
  app.get<{ Params: { correlationUid: string } }>('/requests/:correlationUid', async (request) => {
    const id = request.params.correlationUid;
    const record = await platform.requests.get(id);
    if (!record) throw new MeterfabricError(ErrorCode.UNKNOWN_CORRELATION_UID, 'CorrelationUid is unknown.', { component: 'WS_SMART_METERING', retryable: false });
    return { request: record, response: (await platform.requests.responseOf(id)) ?? null, audit: await platform.requests.audit({ correlationUid: id }) };
  });
  app.get<{ Querystring: Record<string, string> }>('/audit', async (request) => {
    const q = request.query;
    return {
      audit: await platform.requests.audit({
        ...(q.organisation ? { organisationIdentification: q.organisation } : {}),
        ...(q.correlationUid ? { correlationUid: q.correlationUid } : {}),
        limit: q.limit === undefined ? 100 : parse(limitQuery, q.limit)!,
      }),
    };
  });
  await o.extraRoutes?.(app);
}
