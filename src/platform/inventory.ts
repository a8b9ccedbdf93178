/**
 * Organisations, devices and device authorisations (docs/gxf.md#authorisation). Plain functions over the Db port so that
 * the REST admin API, the CLI and executors share them.
 */
import type { Queryable } from './db/db.ts';
import { ErrorCode, MeterfabricError } from '../errors.ts';
import { normaliseAllowList, parseHttpUrl } from './outbound.ts';
import { batcherOf } from './batch.ts';

export const FUNCTION_GROUPS = [
  'OWNER', 'INSTALLATION', 'AD_HOC', 'MANAGEMENT', 'FIRMWARE', 'SCHEDULING', 'TARIFF_SCHEDULING', 'CONFIGURATION',
  'MONITORING', 'METADATA_MANAGEMENT',
] as const;
export type FunctionGroup = (typeof FUNCTION_GROUPS)[number];
export type PlatformFunctionGroup = 'ADMIN' | 'USER';

export const PROTOCOLS: ReadonlyArray<{ name: string; version: string }> = [
  { name: 'DSMR', version: '2.2' },
  { name: 'DSMR', version: '4.2.2' },
  { name: 'SMR', version: '4.3' },
  { name: 'SMR', version: '5.0.0' },
  { name: 'SMR', version: '5.1' },
  { name: 'SMR', version: '5.2' },
  { name: 'SMR', version: '5.5' },
];

export interface Organisation {
  identification: string;
  name: string;
  enabled: boolean;
  platformFunctionGroup: PlatformFunctionGroup;
  notificationUrl: string | null;
  webhookUrl: string | null;
  autoRekeyOnAlarm: boolean;
  /**
   * URL prefixes this organisation's notifications may go to (ResponseUrl, notification and webhook URLs); only an
   * ADMIN sets them (src/platform/outbound.ts).
   */
  allowedUrls: string[];
  createdAt: Date;
}

export interface Device {
  deviceIdentification: string;
  deviceType: 'SMART_METER_E' | 'SMART_METER_G';
  protocolName: string | null;
  protocolVersion: string | null;
  host: string | null;
  port: number | null;
  transport: 'WRAPPER' | 'HDLC';
  hls5Active: boolean;
  challengeLength: number | null;
  withListMax: number | null;
  mbusIdentificationNumber: string | null;
  mbusManufacturerIdentification: string | null;
  mbusVersion: number | null;
  mbusDeviceTypeIdentification: number | null;
  mbusPrimaryAddress: number | null;
  gatewayDeviceIdentification: string | null;
  channel: number | null;
  lifecycleStatus: string;
  active: boolean;
  /** EnableDebugging: connections to it are written to the message log (src/platform/message-log.ts). */
  inDebugMode?: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface DeviceAuthorisation {
  deviceIdentification: string;
  organisationIdentification: string;
  functionGroup: FunctionGroup;
}

type Row = Record<string, unknown>;

const orgFromRow = (r: Row): Organisation => ({
  identification: r.identification as string,
  name: r.name as string,
  enabled: r.enabled as boolean,
  platformFunctionGroup: r.platform_function_group as PlatformFunctionGroup,
  notificationUrl: (r.notification_url as string | null) ?? null,
  webhookUrl: (r.webhook_url as string | null) ?? null,
  autoRekeyOnAlarm: r.auto_rekey_on_alarm as boolean,
  allowedUrls: (r.allowed_urls as string[] | null) ?? [],
  createdAt: new Date(r.created_at as string),
});

const deviceFromRow = (r: Row): Device => ({
  deviceIdentification: r.device_identification as string,
  deviceType: r.device_type as Device['deviceType'],
  protocolName: (r.protocol_name as string | null) ?? null,
  protocolVersion: (r.protocol_version as string | null) ?? null,
  host: (r.host as string | null) ?? null,
  port: (r.port as number | null) ?? null,
  transport: r.transport as Device['transport'],
  hls5Active: r.hls5_active as boolean,
  challengeLength: (r.challenge_length as number | null) ?? null,
  withListMax: (r.with_list_max as number | null) ?? null,
  mbusIdentificationNumber: (r.mbus_identification_number as string | null) ?? null,
  mbusManufacturerIdentification: (r.mbus_manufacturer_identification as string | null) ?? null,
  mbusVersion: (r.mbus_version as number | null) ?? null,
  mbusDeviceTypeIdentification: (r.mbus_device_type_identification as number | null) ?? null,
  mbusPrimaryAddress: (r.mbus_primary_address as number | null) ?? null,
  gatewayDeviceIdentification: (r.gateway_device_identification as string | null) ?? null,
  channel: (r.channel as number | null) ?? null,
  lifecycleStatus: r.lifecycle_status as string,
  active: r.active as boolean,
  inDebugMode: r.in_debug_mode === true,
  createdAt: new Date(r.created_at as string),
  updatedAt: new Date(r.updated_at as string),
});

const isUniqueViolation = (e: unknown) => (e as { code?: string }).code === '23505';
/** The constraint a database error names (pg and PGlite both report it), for mapping to a functional error. */
const constraintOf = (e: unknown) => (e as { constraint?: string }).constraint;

// ---------------------------------------------------------------- organisations

export interface NewOrganisation {
  identification: string;
  name?: string;
  platformFunctionGroup?: PlatformFunctionGroup;
  enabled?: boolean;
  notificationUrl?: string | null;
  webhookUrl?: string | null;
  autoRekeyOnAlarm?: boolean;
  /** URL prefixes notifications may go to (src/platform/outbound.ts); the notification and webhook URLs join them. */
  allowedUrls?: string[];
}

/**
 * Organisation identifiers: letters, digits, dot, underscore and hyphen, 1..40 characters. Narrower than GXF's
 * Identification type on purpose: the identifier becomes a certificate CN, a path segment and a header value, where
 * '/', '=', ',' or spaces would let one name be read as another (README "Authorisation and notification targets").
 */
export const ORGANISATION_IDENTIFICATION = /^[A-Za-z0-9._-]{1,40}$/;

export function checkOrganisationIdentification(identification: string): void {
  if (!ORGANISATION_IDENTIFICATION.test(identification)) {
    throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, 'An organisation identification is 1..40 letters, digits, dots, underscores or hyphens', { component: 'DOMAIN_CORE', retryable: false });
  }
}

export async function addOrganisation(q: Queryable, o: NewOrganisation): Promise<Organisation> {
  checkOrganisationIdentification(o.identification);
  for (const url of [o.notificationUrl, o.webhookUrl]) if (url) checkUrl(url);
  const allowed = normaliseAllowList([...(o.allowedUrls ?? []), o.notificationUrl, o.webhookUrl]);
  try {
    const r = await q.query(
      `INSERT INTO organisation (identification, name, platform_function_group, enabled, notification_url, webhook_url, auto_rekey_on_alarm, allowed_urls)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
      [o.identification, o.name ?? o.identification, o.platformFunctionGroup ?? 'USER', o.enabled ?? true,
        o.notificationUrl ?? null, o.webhookUrl ?? null, o.autoRekeyOnAlarm ?? false, allowed],
    );
    return orgFromRow(r.rows[0]!);
  } catch (e) {
    if (isUniqueViolation(e)) {
      throw new MeterfabricError(ErrorCode.EXISTING_ORGANISATION, `Organisation ${o.identification} already exists`, { component: 'DOMAIN_CORE' });
    }
    throw e;
  }
}

export async function findOrganisation(q: Queryable, identification: string): Promise<Organisation | undefined> {
  const r = await q.query('SELECT * FROM organisation WHERE identification = $1', [identification]);
  return r.rows[0] ? orgFromRow(r.rows[0]) : undefined;
}

export async function getOrganisation(q: Queryable, identification: string): Promise<Organisation> {
  const o = await findOrganisation(q, identification);
  if (!o) throw new MeterfabricError(ErrorCode.UNKNOWN_ORGANISATION, `Organisation ${identification} is unknown`, { component: 'DOMAIN_CORE' });
  return o;
}

export async function listOrganisations(q: Queryable): Promise<Organisation[]> {
  const r = await q.query('SELECT * FROM organisation ORDER BY identification');
  return r.rows.map(orgFromRow);
}

export interface OrganisationChanges {
  name?: string;
  enabled?: boolean;
  platformFunctionGroup?: PlatformFunctionGroup;
  notificationUrl?: string | null;
  webhookUrl?: string | null;
  autoRekeyOnAlarm?: boolean;
  /** Replaces the allowlist of notification URL prefixes. */
  allowedUrls?: string[];
  /** Adds these prefixes to the allowlist. */
  allowUrls?: string[];
  /** Removes these prefixes from the allowlist. */
  disallowUrls?: string[];
}

/**
 * Changes an organisation. A notification or webhook URL that is set joins the allowlist (the administrator who
 * sets it allows it); the allowlist changes apply in the order replace, add, remove.
 */
export async function updateOrganisation(q: Queryable, identification: string, c: OrganisationChanges): Promise<Organisation> {
  for (const url of [c.notificationUrl, c.webhookUrl]) if (url) checkUrl(url);
  const replace = c.allowedUrls === undefined ? null : normaliseAllowList(c.allowedUrls);
  const add = normaliseAllowList([...(c.allowUrls ?? []), c.notificationUrl, c.webhookUrl]);
  const remove = normaliseAllowList(c.disallowUrls ?? []);
  const cols: Array<[string, unknown]> = [];
  if (replace !== null || add.length > 0 || remove.length > 0) {
    cols.push(['allowed_urls', [replace, add, remove]]);
  }
  if (c.name !== undefined) cols.push(['name', c.name]);
  if (c.enabled !== undefined) cols.push(['enabled', c.enabled]);
  if (c.platformFunctionGroup !== undefined) cols.push(['platform_function_group', c.platformFunctionGroup]);
  if (c.notificationUrl !== undefined) cols.push(['notification_url', c.notificationUrl]);
  if (c.webhookUrl !== undefined) cols.push(['webhook_url', c.webhookUrl]);
  if (c.autoRekeyOnAlarm !== undefined) cols.push(['auto_rekey_on_alarm', c.autoRekeyOnAlarm]);
  const params: unknown[] = [identification];
  const sets = cols.map(([k, v]) => {
    if (k !== 'allowed_urls') {
      params.push(v);
      return `${k} = $${params.length}`;
    }
    const [rep, plus, minus] = v as [string[] | null, string[], string[]];
    params.push(rep, plus, minus);
    const n = params.length;
    return `allowed_urls = ARRAY(SELECT DISTINCT u FROM unnest(COALESCE($${n - 2}::text[], allowed_urls) || $${n - 1}::text[]) AS u
      WHERE u <> ALL($${n}::text[]) ORDER BY u)`;
  }).concat('updated_at = now()').join(', ');
  const r = await q.query(`UPDATE organisation SET ${sets} WHERE identification = $1 RETURNING *`, params);
  if (!r.rows[0]) throw new MeterfabricError(ErrorCode.UNKNOWN_ORGANISATION, `Organisation ${identification} is unknown`, { component: 'DOMAIN_CORE' });
  return orgFromRow(r.rows[0]);
}

function checkUrl(url: string): void {
  parseHttpUrl(url);
}

// ---------------------------------------------------------------- devices

export interface NewDevice {
  deviceIdentification: string;
  deviceType: Device['deviceType'];
  protocolName?: string;
  protocolVersion?: string;
  host?: string | null;
  port?: number | null;
  transport?: Device['transport'];
  hls5Active?: boolean;
  challengeLength?: number | null;
  withListMax?: number | null;
  mbusIdentificationNumber?: string | null;
  mbusManufacturerIdentification?: string | null;
  mbusVersion?: number | null;
  mbusDeviceTypeIdentification?: number | null;
  mbusPrimaryAddress?: number | null;
  gatewayDeviceIdentification?: string | null;
  channel?: number | null;
  /** The organisation that adds the device becomes its OWNER (ADD_METER in docs/gxf.md#device-functions). */
  ownerOrganisationIdentification: string;
}

const DEVICE_IDENTIFICATION = /^[a-zA-Z0-9 ]{16,}$/; // DeviceIdentification (docs/gxf.md#simple-types)

export function checkDevice(d: Omit<NewDevice, 'ownerOrganisationIdentification'>): void {
  const bad = (m: string, code: number = ErrorCode.VALIDATION_ERROR) => new MeterfabricError(code, m, { component: 'DOMAIN_CORE' });
  if (!DEVICE_IDENTIFICATION.test(d.deviceIdentification)) throw bad('DeviceIdentification must be at least 16 letters, digits or spaces');
  if (d.deviceType !== 'SMART_METER_E' && d.deviceType !== 'SMART_METER_G') throw bad('deviceType must be SMART_METER_E or SMART_METER_G');
  if (d.protocolName !== undefined || d.protocolVersion !== undefined) {
    if (!PROTOCOLS.some((p) => p.name === d.protocolName && p.version === d.protocolVersion)) {
      throw bad(`Unknown protocol ${d.protocolName} ${d.protocolVersion}`, ErrorCode.UNKNOWN_PROTOCOL_NAME_OR_VERSION_OR_VARIANT);
    }
  }
  if (d.host != null) checkHost(d.host);
  if (d.challengeLength != null && (d.challengeLength < 8 || d.challengeLength > 64)) {
    throw bad('challengeLength must be 8..64', ErrorCode.CHALLENGE_LENGTH_OUT_OF_RANGE);
  }
  if (d.mbusIdentificationNumber != null && !/^[0-9]{8}$/.test(d.mbusIdentificationNumber)) throw bad('mbusIdentificationNumber must be 8 digits');
  if (d.mbusManufacturerIdentification != null && !/^[A-Z]{3}$/.test(d.mbusManufacturerIdentification)) throw bad('mbusManufacturerIdentification must be 3 capital letters');
  if (d.channel != null && (d.channel < 1 || d.channel > 4)) throw bad('channel must be 1..4');
}

export function checkHost(host: string): void {
  // A host name or an IPv4/IPv6 address; GXF rejects malformed addresses with 212.
  if (!/^[A-Za-z0-9.:\-\[\]]{1,253}$/.test(host)) {
    throw new MeterfabricError(ErrorCode.INVALID_IP_ADDRESS, 'Invalid network address', { component: 'DOMAIN_CORE' });
  }
}

const existingDevice = (id: string) =>
  new MeterfabricError(ErrorCode.EXISTING_DEVICE, `Device ${id} already exists`, { component: 'DOMAIN_CORE', retryable: false });
const channelTaken = () =>
  new MeterfabricError(ErrorCode.GIVEN_MBUS_DEVICE_ALREADY_COUPLED, 'That gateway channel is already taken', { component: 'DOMAIN_CORE', retryable: false });
/**
 * The M-Bus identity names one physical gas meter, so a second device with it is an existing device (204). The
 * message does not say which device holds it: it may be another organisation's.
 */
const existingMbusIdentity = (number: string, manufacturer: string) =>
  new MeterfabricError(ErrorCode.EXISTING_DEVICE, `An M-Bus device with identification number ${number} and manufacturer ${manufacturer} already exists`, { component: 'DOMAIN_CORE', retryable: false });

/**
 * The functional error for a unique violation of the device table, by the constraint it names; undefined for any
 * other error. Nothing is queried here: after a failed statement the transaction is aborted.
 */
function deviceConflict(e: unknown, d: { deviceIdentification: string; mbusIdentificationNumber?: string | null; mbusManufacturerIdentification?: string | null }): MeterfabricError | undefined {
  if (!isUniqueViolation(e)) return undefined;
  switch (constraintOf(e)) {
    case 'device_pkey':
      return existingDevice(d.deviceIdentification);
    case 'device_gateway_channel':
      return channelTaken();
    case 'device_mbus_identity':
      return existingMbusIdentity(d.mbusIdentificationNumber ?? '', d.mbusManufacturerIdentification ?? '');
    default:
      return undefined;
  }
}

/**
 * Adds a device with its OWNER. Conflicts are looked for first (204 device or M-Bus identity exists, 216 channel
 * taken), so the usual case never runs a failing statement; a concurrent insert that wins the race still ends in
 * the same functional error, mapped from the constraint it violated.
 */
export async function addDevice(q: Queryable, d: NewDevice): Promise<Device> {
  checkDevice(d);
  await getOrganisation(q, d.ownerOrganisationIdentification);
  if (await findDevice(q, d.deviceIdentification)) throw existingDevice(d.deviceIdentification);
  if (d.gatewayDeviceIdentification) {
    const gw = await findDevice(q, d.gatewayDeviceIdentification);
    if (!gw || gw.deviceType !== 'SMART_METER_E') {
      throw new MeterfabricError(ErrorCode.GATEWAY_DEVICE_INVALID_FOR_MBUS_DEVICE, 'The gateway must be a known E-meter', { component: 'DOMAIN_CORE' });
    }
    if (d.channel != null) {
      const taken = await q.query('SELECT 1 FROM device WHERE gateway_device_identification = $1 AND channel = $2', [d.gatewayDeviceIdentification, d.channel]);
      if (taken.rowCount > 0) throw channelTaken();
    }
  }
  if (d.mbusIdentificationNumber && d.mbusManufacturerIdentification && (await findMbusDeviceByIdentity(q, d.mbusIdentificationNumber, d.mbusManufacturerIdentification))) {
    throw existingMbusIdentity(d.mbusIdentificationNumber, d.mbusManufacturerIdentification);
  }
  try {
    const r = await q.query(
      `INSERT INTO device (device_identification, device_type, protocol_name, protocol_version, host, port, transport, hls5_active,
         challenge_length, with_list_max, mbus_identification_number, mbus_manufacturer_identification, mbus_version,
         mbus_device_type_identification, mbus_primary_address, gateway_device_identification, channel)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17) RETURNING *`,
      [d.deviceIdentification, d.deviceType, d.protocolName ?? null, d.protocolVersion ?? null, d.host ?? null, d.port ?? null,
        d.transport ?? 'WRAPPER', d.hls5Active ?? true, d.challengeLength ?? null, d.withListMax ?? null,
        d.mbusIdentificationNumber ?? null, d.mbusManufacturerIdentification ?? null, d.mbusVersion ?? null,
        d.mbusDeviceTypeIdentification ?? null, d.mbusPrimaryAddress ?? null, d.gatewayDeviceIdentification ?? null, d.channel ?? null],
    );
    await q.query(
      `INSERT INTO device_authorisation (device_identification, organisation_identification, function_group) VALUES ($1, $2, 'OWNER')`,
      [d.deviceIdentification, d.ownerOrganisationIdentification],
    );
    return deviceFromRow(r.rows[0]!);
  } catch (e) {
    throw deviceConflict(e, d) ?? e;
  }
}

/** What AddDevice with overwrite may change on an existing device: its description, never owner or coupling. */
export type DeviceReplacement = Omit<NewDevice, 'ownerOrganisationIdentification' | 'gatewayDeviceIdentification' | 'channel' | 'host'>;

/**
 * AddDevice with overwrite: the device's description is replaced in place. Its authorisations (and so its OWNER),
 * its coupling and its network address stay; the caller checks first that it may overwrite (mayOverwriteDevice).
 */
export async function replaceDevice(q: Queryable, d: DeviceReplacement): Promise<Device> {
  checkDevice(d);
  const current = await getDevice(q, d.deviceIdentification);
  if (current.deviceType !== d.deviceType) {
    throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `Device ${d.deviceIdentification} is a ${current.deviceType}; overwrite cannot change its type`, { component: 'DOMAIN_CORE', retryable: false });
  }
  if (d.mbusIdentificationNumber && d.mbusManufacturerIdentification) {
    const other = await findMbusDeviceByIdentity(q, d.mbusIdentificationNumber, d.mbusManufacturerIdentification);
    if (other && other.deviceIdentification !== d.deviceIdentification) throw existingMbusIdentity(d.mbusIdentificationNumber, d.mbusManufacturerIdentification);
  }
  try {
    const r = await q.query(
      `UPDATE device SET protocol_name = $2, protocol_version = $3, port = COALESCE($4, port), transport = $5, hls5_active = $6,
         challenge_length = $7, with_list_max = $8, mbus_identification_number = $9, mbus_manufacturer_identification = $10,
         mbus_version = $11, mbus_device_type_identification = $12, mbus_primary_address = $13, updated_at = now()
       WHERE device_identification = $1 RETURNING *`,
      [d.deviceIdentification, d.protocolName ?? null, d.protocolVersion ?? null, d.port ?? null, d.transport ?? 'WRAPPER',
        d.hls5Active ?? true, d.challengeLength ?? null, d.withListMax ?? null, d.mbusIdentificationNumber ?? null,
        d.mbusManufacturerIdentification ?? null, d.mbusVersion ?? null, d.mbusDeviceTypeIdentification ?? null, d.mbusPrimaryAddress ?? null],
    );
    return deviceFromRow(r.rows[0]!);
  } catch (e) {
    throw deviceConflict(e, d) ?? e;
  }
}

/** AddDevice overwrite is for the device's OWNER, or an (enabled) ADMIN organisation. */
export async function mayOverwriteDevice(q: Queryable, organisationIdentification: string, deviceIdentification: string): Promise<boolean> {
  const r = await q.query(
    `SELECT 1 FROM organisation o WHERE o.identification = $1 AND o.enabled AND (o.platform_function_group = 'ADMIN' OR EXISTS (
       SELECT 1 FROM device_authorisation a WHERE a.organisation_identification = o.identification AND a.device_identification = $2 AND a.function_group = 'OWNER'))`,
    [organisationIdentification, deviceIdentification],
  );
  return r.rowCount > 0;
}

/**
 * G-meters by M-Bus identity ($1 numbers, $2 manufacturers): one probe of the unique index device_mbus_identity per
 * item. The subquery is kept apart (OFFSET 0: not merged into a join, no condition pushed into it) so the plan does
 * not depend on statistics: with a device-type filter inside, statistics taken before a G-meter import made the cached
 * plan read every G-meter for each lookup (a hash join; 2.3 ms a lookup at 2,000 G-meters on the embedded database).
 */
export const MBUS_IDENTITY_LOOKUP_SQL = `SELECT d.*, x.i::int AS batch_index FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS x(n, m, i)
  CROSS JOIN LATERAL (SELECT * FROM device d WHERE d.mbus_identification_number = x.n AND d.mbus_manufacturer_identification = x.m OFFSET 0) d
 WHERE d.device_type = 'SMART_METER_G'`;

/** The gas meter with this M-Bus identity (at most one: unique index device_mbus_identity); lookups made at the same time share one statement. */
export async function findMbusDeviceByIdentity(q: Queryable, identificationNumber: string, manufacturerIdentification: string): Promise<Device | undefined> {
  const row = await batcherOf<[string, string], Record<string, unknown> | undefined>(q, 'device.mbusIdentity', async (items) => {
    const r = await q.query(MBUS_IDENTITY_LOOKUP_SQL, [items.map((i) => i[0]), items.map((i) => i[1])]);
    const byIndex = new Map(r.rows.map((row) => [Number(row.batch_index) - 1, row]));
    return items.map((_, i) => byIndex.get(i));
  }).submit([identificationNumber, manufacturerIdentification]);
  return row ? deviceFromRow(row) : undefined;
}

/** The device row; reads made at the same time share one statement. */
async function deviceRow(q: Queryable, deviceIdentification: string): Promise<Record<string, unknown> | undefined> {
  return batcherOf<string, Record<string, unknown> | undefined>(q, 'device.row', async (ids) => {
    const r = await q.query('SELECT * FROM device WHERE device_identification = ANY($1::text[])', [[...new Set(ids)]]);
    const byId = new Map(r.rows.map((row) => [row.device_identification as string, row]));
    return ids.map((id) => byId.get(id));
  }).submit(deviceIdentification);
}

export async function findDevice(q: Queryable, deviceIdentification: string): Promise<Device | undefined> {
  const row = await deviceRow(q, deviceIdentification);
  return row ? deviceFromRow(row) : undefined;
}

/** findDevice, with the system title the meter named in its last AARE (hex, upper case; null: none known). */
export async function findDeviceAndSystemTitle(q: Queryable, deviceIdentification: string): Promise<(Device & { meterSystemTitle: string | null }) | undefined> {
  const row = await deviceRow(q, deviceIdentification);
  return row ? { ...deviceFromRow(row), meterSystemTitle: (row.meter_system_title as string | null) ?? null } : undefined;
}

export async function getDevice(q: Queryable, deviceIdentification: string): Promise<Device> {
  const d = await findDevice(q, deviceIdentification);
  if (!d) throw new MeterfabricError(ErrorCode.UNKNOWN_DEVICE, `Device ${deviceIdentification} is unknown`, { component: 'DOMAIN_CORE' });
  return d;
}

export async function listDevices(q: Queryable, opts: { organisationIdentification?: string; gatewayDeviceIdentification?: string; limit?: number; after?: string } = {}): Promise<Device[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (opts.organisationIdentification) {
    params.push(opts.organisationIdentification);
    where.push(`EXISTS (SELECT 1 FROM device_authorisation a WHERE a.device_identification = d.device_identification AND a.organisation_identification = $${params.length})`);
  }
  if (opts.gatewayDeviceIdentification) {
    params.push(opts.gatewayDeviceIdentification);
    where.push(`d.gateway_device_identification = $${params.length}`);
  }
  if (opts.after) {
    params.push(opts.after);
    where.push(`d.device_identification > $${params.length}`);
  }
  params.push(Math.min(Math.max(opts.limit ?? 100, 1), 1000));
  const r = await q.query(
    `SELECT * FROM device d ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY d.device_identification LIMIT $${params.length}`,
    params,
  );
  return r.rows.map(deviceFromRow);
}

/** GXF SetCommunicationNetworkInformation: the address the platform connects to. */
export async function setNetworkAddress(q: Queryable, deviceIdentification: string, host: string, port?: number): Promise<Device> {
  checkHost(host);
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
    throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, 'port must be 1..65535', { component: 'DOMAIN_CORE' });
  }
  const r = await q.query(
    'UPDATE device SET host = $2, port = COALESCE($3, port), updated_at = now() WHERE device_identification = $1 RETURNING *',
    [deviceIdentification, host, port ?? null],
  );
  if (!r.rows[0]) throw new MeterfabricError(ErrorCode.UNKNOWN_DEVICE, `Device ${deviceIdentification} is unknown`, { component: 'DOMAIN_CORE' });
  return deviceFromRow(r.rows[0]);
}

/** Decouples every M-Bus device on this gateway channel except `keep` (the inventory holds one device per channel). */
export async function decoupleOthersOnChannel(q: Queryable, gateway: string, channel: number, keep: string): Promise<void> {
  await q.query(
    'UPDATE device SET gateway_device_identification = NULL, channel = NULL, updated_at = now() WHERE gateway_device_identification = $1 AND channel = $2 AND device_identification <> $3',
    [gateway, channel, keep],
  );
}

/** Couples an M-Bus device to a gateway channel (null gateway decouples). */
export async function setCoupling(q: Queryable, mbusDeviceIdentification: string, gateway: string | null, channel: number | null): Promise<Device> {
  try {
    const r = await q.query(
      'UPDATE device SET gateway_device_identification = $2, channel = $3, updated_at = now() WHERE device_identification = $1 RETURNING *',
      [mbusDeviceIdentification, gateway, channel],
    );
    if (!r.rows[0]) throw new MeterfabricError(ErrorCode.UNKNOWN_DEVICE, `Device ${mbusDeviceIdentification} is unknown`, { component: 'DOMAIN_CORE' });
    return deviceFromRow(r.rows[0]);
  } catch (e) {
    throw deviceConflict(e, { deviceIdentification: mbusDeviceIdentification }) ?? e;
  }
}

// ---------------------------------------------------------------- authorisations

export async function grantAuthorisation(q: Queryable, a: DeviceAuthorisation): Promise<void> {
  if (!FUNCTION_GROUPS.includes(a.functionGroup)) {
    throw new MeterfabricError(ErrorCode.VALIDATION_ERROR, `Unknown function group ${a.functionGroup}`, { component: 'DOMAIN_CORE' });
  }
  await getOrganisation(q, a.organisationIdentification);
  await getDevice(q, a.deviceIdentification);
  await q.query(
    `INSERT INTO device_authorisation (device_identification, organisation_identification, function_group) VALUES ($1, $2, $3)
     ON CONFLICT DO NOTHING`,
    [a.deviceIdentification, a.organisationIdentification, a.functionGroup],
  );
}

export async function revokeAuthorisation(q: Queryable, a: DeviceAuthorisation): Promise<boolean> {
  const r = await q.query(
    'DELETE FROM device_authorisation WHERE device_identification = $1 AND organisation_identification = $2 AND function_group = $3',
    [a.deviceIdentification, a.organisationIdentification, a.functionGroup],
  );
  return r.rowCount > 0;
}

export async function listAuthorisations(q: Queryable, deviceIdentification: string): Promise<DeviceAuthorisation[]> {
  const r = await q.query<{ device_identification: string; organisation_identification: string; function_group: FunctionGroup }>(
    'SELECT * FROM device_authorisation WHERE device_identification = $1 ORDER BY organisation_identification, function_group',
    [deviceIdentification],
  );
  return r.rows.map((x) => ({ deviceIdentification: x.device_identification, organisationIdentification: x.organisation_identification, functionGroup: x.function_group }));
}

/**
 * docs/gxf.md#authorisation-check: the organisation may perform deviceFunction on the device iff one of its function groups
 * for that device maps to the function. OWNER holds every function, whether or not a mapping row names it.
 */
export async function isAuthorised(q: Queryable, organisationIdentification: string, deviceIdentification: string, deviceFunction: string): Promise<boolean> {
  // Checks made at the same time (concurrent operations) share one statement.
  return batcherOf<[string, string, string], boolean>(q, 'device.authorised', async (items) => {
    const r = await q.query<{ i: number }>(
      `SELECT x.i::int AS i FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS x(o, d, f, i)
        WHERE EXISTS (SELECT 1 FROM device_authorisation a
          WHERE a.organisation_identification = x.o AND a.device_identification = x.d
            AND (a.function_group = 'OWNER' OR EXISTS (
              SELECT 1 FROM device_function_mapping m WHERE m.function_group = a.function_group AND m.device_function = x.f)))`,
      [items.map((i) => i[0]), items.map((i) => i[1]), items.map((i) => i[2])],
    );
    const yes = new Set(r.rows.map((row) => Number(row.i) - 1));
    return items.map((_, i) => yes.has(i));
  }).submit([organisationIdentification, deviceIdentification, deviceFunction]);
}

// ---------------------------------------------------------------- device facts learned from meters, and views

/** Records the M-Bus primary address a gateway reported for a coupled gas meter (null: none). */
export async function setMbusPrimaryAddress(q: Queryable, mbusDeviceIdentification: string, primaryAddress: number | null): Promise<void> {
  await q.query('UPDATE device SET mbus_primary_address = $2 WHERE device_identification = $1', [mbusDeviceIdentification, primaryAddress]);
}

/** Records the system title a meter named in its AARE (hex, upper case); no write when it is already known. */
export async function recordMeterSystemTitle(q: Queryable, deviceIdentification: string, systemTitleHex: string): Promise<void> {
  // Titles learned at the same time are written by one statement (one meter per device in a batch: the last wins).
  await batcherOf<[string, string], void>(q, 'device.systemTitle', async (items) => {
    const last = new Map(items);
    await q.query(
      `UPDATE device d SET meter_system_title = x.t FROM unnest($1::text[], $2::text[]) AS x(id, t)
        WHERE d.device_identification = x.id AND d.meter_system_title IS DISTINCT FROM x.t`,
      [[...last.keys()], [...last.values()]],
    );
    return items.map((): void => undefined);
  }).submit([deviceIdentification, systemTitleHex]);
}

/** The devices that named this system title (hex, upper case); more than one is a configuration error. */
export async function devicesWithSystemTitle(q: Queryable, systemTitleHex: string): Promise<string[]> {
  const r = await q.query<{ device_identification: string }>('SELECT device_identification FROM device WHERE meter_system_title = $1', [systemTitleHex]);
  return r.rows.map((x) => x.device_identification);
}

/** Which of these device identifications the inventory holds. */
export async function existingDeviceIdentifications(q: Queryable, deviceIdentifications: readonly string[]): Promise<Set<string>> {
  const r = await q.query<{ device_identification: string }>('SELECT device_identification FROM device WHERE device_identification = ANY($1::text[])', [
    deviceIdentifications,
  ]);
  return new Set(r.rows.map((x) => x.device_identification));
}

/** Whether the device exists, and whether the organisation holds any authorisation on it. */
export async function deviceAccess(q: Queryable, organisationIdentification: string, deviceIdentification: string): Promise<{ deviceKnown: boolean; authorised: boolean }> {
  const r = await q.query<{ device_known: boolean; authorised: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM device WHERE device_identification = $1) AS device_known,
            EXISTS (SELECT 1 FROM device_authorisation WHERE device_identification = $1 AND organisation_identification = $2) AS authorised`,
    [deviceIdentification, organisationIdentification],
  );
  return { deviceKnown: Boolean(r.rows[0]?.device_known), authorised: Boolean(r.rows[0]?.authorised) };
}

/** Whether the organisation holds any authorisation (of any function group) on the device. */
export async function holdsAnyAuthorisation(q: Queryable, organisationIdentification: string, deviceIdentification: string): Promise<boolean> {
  const r = await q.query('SELECT 1 FROM device_authorisation WHERE device_identification = $1 AND organisation_identification = $2 LIMIT 1', [
    deviceIdentification, organisationIdentification,
  ]);
  return r.rowCount > 0;
}

/**
 * Device identifications, in order, at most `limit` (default 1000): of one device type when given, and only those
 * the organisation holds an authorisation on when `authorisedTo` is given.
 */
export async function listDeviceIdentifications(q: Queryable, opts: { deviceType?: Device['deviceType']; authorisedTo?: string; limit?: number } = {}): Promise<string[]> {
  const params: unknown[] = [];
  const where: string[] = [];
  if (opts.deviceType) {
    params.push(opts.deviceType);
    where.push(`d.device_type = $${params.length}`);
  }
  if (opts.authorisedTo) {
    params.push(opts.authorisedTo);
    where.push(`EXISTS (SELECT 1 FROM device_authorisation a WHERE a.device_identification = d.device_identification AND a.organisation_identification = $${params.length})`);
  }
  params.push(opts.limit ?? 1000);
  const r = await q.query<{ device_identification: string }>(
    `SELECT d.device_identification FROM device d ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY d.device_identification LIMIT $${params.length}`,
    params,
  );
  return r.rows.map((x) => x.device_identification);
}

export interface CoupledMbusDevice {
  gatewayDeviceIdentification: string;
  deviceIdentification: string;
  channel: number;
  mbusIdentificationNumber: string | null;
  mbusManufacturerIdentification: string | null;
}

/** The M-Bus devices coupled to a channel of these gateways, by gateway and channel. */
export async function listCoupledMbusDevices(q: Queryable, gateways: readonly string[]): Promise<CoupledMbusDevice[]> {
  const r = await q.query<{ gateway_device_identification: string; device_identification: string; channel: number; mbus_identification_number: string | null; mbus_manufacturer_identification: string | null }>(
    `SELECT gateway_device_identification, device_identification, channel, mbus_identification_number, mbus_manufacturer_identification FROM device
      WHERE gateway_device_identification = ANY($1::text[]) AND channel IS NOT NULL ORDER BY gateway_device_identification, channel`,
    [gateways],
  );
  return r.rows.map((x) => ({
    gatewayDeviceIdentification: x.gateway_device_identification,
    deviceIdentification: x.device_identification,
    channel: Number(x.channel),
    mbusIdentificationNumber: x.mbus_identification_number,
    mbusManufacturerIdentification: x.mbus_manufacturer_identification,
  }));
}

/** Authorisations of one organisation, or of all when undefined, ordered, at most `limit` (default 5000). */
export async function listAuthorisationsOf(q: Queryable, organisationIdentification: string | undefined, limit = 5000): Promise<DeviceAuthorisation[]> {
  const r = await q.query<{ device_identification: string; organisation_identification: string; function_group: FunctionGroup }>(
    `SELECT organisation_identification, device_identification, function_group FROM device_authorisation
      ${organisationIdentification === undefined ? '' : 'WHERE organisation_identification = $2'}
      ORDER BY organisation_identification, device_identification, function_group LIMIT $1`,
    organisationIdentification === undefined ? [limit] : [limit, organisationIdentification],
  );
  return r.rows.map((x) => ({ deviceIdentification: x.device_identification, organisationIdentification: x.organisation_identification, functionGroup: x.function_group }));
}

export interface DeviceOwner {
  organisationIdentification: string;
  notificationUrl: string | null;
  webhookUrl: string | null;
  autoRekeyOnAlarm: boolean;
  autoRekeyAllowPlaintext: boolean;
}

/** The device's first OWNER organisation with its notification targets and alarm policy, or undefined. */
export async function findDeviceOwner(q: Queryable, deviceIdentification: string): Promise<DeviceOwner | undefined> {
  const r = await q.query<{ organisation_identification: string; notification_url: string | null; webhook_url: string | null; auto_rekey_on_alarm: boolean; auto_rekey_allow_plaintext: boolean }>(
    `SELECT a.organisation_identification, o.notification_url, o.webhook_url, o.auto_rekey_on_alarm, o.auto_rekey_allow_plaintext
       FROM device_authorisation a JOIN organisation o ON o.identification = a.organisation_identification
      WHERE a.device_identification = $1 AND a.function_group = 'OWNER' ORDER BY a.created_at LIMIT 1`,
    [deviceIdentification],
  );
  const x = r.rows[0];
  return x
    ? {
        organisationIdentification: x.organisation_identification,
        notificationUrl: x.notification_url,
        webhookUrl: x.webhook_url,
        autoRekeyOnAlarm: x.auto_rekey_on_alarm,
        autoRekeyAllowPlaintext: x.auto_rekey_allow_plaintext,
      }
    : undefined;
}
