/**
 * What GXF's SmartMetering Management service changes and lists in the inventory (src/operations/management):
 * a page of the devices an organisation may see (GetDevices), a device's communication settings, protocol and
 * lifecycle status. The debug flag and the message log are in ./message-log.ts.
 */
import { createHash } from 'node:crypto';
import type { Queryable } from './db/db.ts';
import { ErrorCode, MeterfabricError } from '../errors.ts';
import { PROTOCOLS } from './inventory.ts';

/** GXF's GetDevices page size (OSGP/open-smart-grid-platform, osgp-adapter-ws-smartmetering ManagementService PAGE_SIZE). */
export const DEVICE_PAGE_SIZE = 30;

export interface DeviceListItem {
  /** A stable identifier of the device record (name-based UUID of its identification). */
  deviceUid: string;
  deviceIdentification: string;
  deviceType: string;
  activated: boolean;
  hasSchedule: boolean;
  publicKeyPresent: boolean;
}

export interface DevicePage {
  totalPages: number;
  devices: DeviceListItem[];
}

/** A name-based (SHA-1, RFC 4122 version 5 layout) UUID of the device identification. */
export function deviceUid(deviceIdentification: string): string {
  const h = createHash('sha1').update(`meterfabric:device:${deviceIdentification}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/**
 * GetDevices: page `page` (from 0) of the devices the organisation holds any authorisation on (an ADMIN
 * organisation: every device), by device identification descending, DEVICE_PAGE_SIZE per page.
 */
export async function findDevicesPage(q: Queryable, organisationIdentification: string, page: number, pageSize = DEVICE_PAGE_SIZE): Promise<DevicePage> {
  if (!Number.isInteger(page) || page < 0) throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, 'Page must be 0 or more', { component: 'WS_SMART_METERING' });
  const admin = await q.query<{ platform_function_group: string }>('SELECT platform_function_group FROM organisation WHERE identification = $1', [organisationIdentification]);
  const all = admin.rows[0]?.platform_function_group === 'ADMIN';
  const where = all ? '' : `WHERE EXISTS (SELECT 1 FROM device_authorisation a WHERE a.device_identification = d.device_identification AND a.organisation_identification = $1)`;
  const params: unknown[] = all ? [] : [organisationIdentification];
  const count = await q.query<{ n: string | number }>(`SELECT count(*) AS n FROM device d ${where}`, params);
  const total = Number(count.rows[0]?.n ?? 0);
  const r = await q.query<{ device_identification: string; device_type: string; active: boolean }>(
    `SELECT d.device_identification, d.device_type, d.active FROM device d ${where}
      ORDER BY d.device_identification DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
    [...params, pageSize, page * pageSize],
  );
  return {
    totalPages: Math.ceil(total / pageSize),
    devices: r.rows.map((x) => ({
      deviceUid: deviceUid(x.device_identification),
      deviceIdentification: x.device_identification,
      deviceType: x.device_type,
      activated: x.active,
      hasSchedule: false,
      publicKeyPresent: false,
    })),
  };
}

export interface CommunicationSettingsRow {
  challengeLength: number;
  withListMax: number;
  selectiveAccessSupported: boolean;
  ipAddressIsStatic: boolean;
  useSn: boolean;
  useHdlc: boolean;
  polyphase: boolean;
}

/** SetDeviceCommunicationSettings: the seven values, on the device row and its installation facts, in one transaction. */
export async function setCommunicationSettings(q: Queryable, deviceIdentification: string, s: CommunicationSettingsRow): Promise<void> {
  const r = await q.query(
    `UPDATE device SET challenge_length = $2, with_list_max = $3, transport = $4, updated_at = now() WHERE device_identification = $1`,
    [deviceIdentification, s.challengeLength, s.withListMax, s.useHdlc ? 'HDLC' : 'WRAPPER'],
  );
  if (r.rowCount === 0) throw new MeterfabricError(ErrorCode.UNKNOWN_DEVICE, `Device ${deviceIdentification} is unknown`, { component: 'DOMAIN_CORE', retryable: false });
  await q.query(
    `INSERT INTO device_installation (device_identification, selective_access_supported, ip_address_is_static, polyphase, use_sn)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (device_identification) DO UPDATE SET selective_access_supported = EXCLUDED.selective_access_supported,
       ip_address_is_static = EXCLUDED.ip_address_is_static, polyphase = EXCLUDED.polyphase, use_sn = EXCLUDED.use_sn, updated_at = now()`,
    [deviceIdentification, s.selectiveAccessSupported, s.ipAddressIsStatic, s.polyphase, s.useSn],
  );
}

/** The communication settings as stored (for tests and the admin view). */
export async function getCommunicationSettings(q: Queryable, deviceIdentification: string): Promise<Partial<CommunicationSettingsRow> & { transport: string } | undefined> {
  const r = await q.query<Record<string, unknown>>(
    `SELECT d.challenge_length, d.with_list_max, d.transport, i.selective_access_supported, i.ip_address_is_static, i.polyphase, i.use_sn
       FROM device d LEFT JOIN device_installation i USING (device_identification) WHERE d.device_identification = $1`,
    [deviceIdentification],
  );
  const x = r.rows[0];
  if (!x) return undefined;
  return {
    challengeLength: x.challenge_length as number,
    withListMax: x.with_list_max as number,
    transport: x.transport as string,
    useHdlc: x.transport === 'HDLC',
    selectiveAccessSupported: x.selective_access_supported as boolean,
    ipAddressIsStatic: x.ip_address_is_static as boolean,
    polyphase: x.polyphase as boolean,
    useSn: x.use_sn as boolean,
  };
}

/**
 * UpdateProtocol: sets the device's protocol name and version (and variant) when the platform knows the
 * combination (the protocols AddDevice accepts); 'unknown' changes nothing, 'unchanged' when it is the current one.
 */
export async function updateProtocol(
  q: Queryable, deviceIdentification: string, p: { protocol: string; protocolVersion: string; protocolVariant?: string },
): Promise<'updated' | 'unchanged' | 'unknown'> {
  if (!PROTOCOLS.some((k) => k.name === p.protocol && k.version === p.protocolVersion)) return 'unknown';
  const cur = await q.query<{ protocol_name: string | null; protocol_version: string | null; protocol_variant: string | null }>(
    `SELECT d.protocol_name, d.protocol_version, i.protocol_variant FROM device d LEFT JOIN device_installation i USING (device_identification)
      WHERE d.device_identification = $1`,
    [deviceIdentification],
  );
  const c = cur.rows[0];
  if (!c) throw new MeterfabricError(ErrorCode.UNKNOWN_DEVICE, `Device ${deviceIdentification} is unknown`, { component: 'DOMAIN_CORE', retryable: false });
  if (c.protocol_name === p.protocol && c.protocol_version === p.protocolVersion && (c.protocol_variant ?? undefined) === p.protocolVariant) return 'unchanged';
  await q.query('UPDATE device SET protocol_name = $2, protocol_version = $3, updated_at = now() WHERE device_identification = $1', [deviceIdentification, p.protocol, p.protocolVersion]);
  await q.query(
    `INSERT INTO device_installation (device_identification, protocol_variant) VALUES ($1, $2)
     ON CONFLICT (device_identification) DO UPDATE SET protocol_variant = EXCLUDED.protocol_variant, updated_at = now()`,
    [deviceIdentification, p.protocolVariant ?? null],
  );
  return 'updated';
}

/** SetDeviceLifecycleStatusByChannel: the M-Bus device's lifecycle status (GXF's DeviceLifecycleStatus names). */
export async function setLifecycleStatus(q: Queryable, deviceIdentification: string, status: string): Promise<void> {
  const r = await q.query('UPDATE device SET lifecycle_status = $2, updated_at = now() WHERE device_identification = $1', [deviceIdentification, status]);
  if (r.rowCount === 0) throw new MeterfabricError(ErrorCode.UNKNOWN_DEVICE, `Device ${deviceIdentification} is unknown`, { component: 'DOMAIN_CORE', retryable: false });
}

/** The communication method AddDevice stated (GPRS, CDMA, LTE, …), if any. */
export async function communicationMethod(q: Queryable, deviceIdentification: string): Promise<string | undefined> {
  const r = await q.query<{ communication_method: string | null }>('SELECT communication_method FROM device_installation WHERE device_identification = $1', [deviceIdentification]);
  return r.rows[0]?.communication_method ?? undefined;
}
