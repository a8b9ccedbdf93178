/**
 * GXF's administration functions (its Admin web service, docs/gxf-admin.md): organisations, device ownership and
 * authorisations, device removal, protocols, a device's public key and network information — each with GXF's
 * authorisation rule. Platform functions (organisation management, ownerless devices, keys, protocols, message
 * logs) belong to the ADMIN platform function group (OSGP/open-smart-grid-platform,
 * osgp/platform/osgp-domain-core/.../services/SecurityService.java); a device's authorisations are granted and
 * listed by the organisations that hold it (device functions SET_DEVICE_AUTHORIZATION, GET_DEVICE_AUTHORIZATION,
 * REMOVE_DEVICE, SET_COMMUNICATION_NETWORK_INFORMATION, seeded in GXF's device_function_mapping).
 *
 * The SOAP Admin service (src/api/soap/admin.ts) calls these; they build on the inventory functions the REST admin
 * API uses (inventory.ts), so both interfaces change the same records the same way.
 */
import { createPublicKey } from 'node:crypto';
import type { Db, Queryable } from './db/db.ts';
import { searchMessageLogs } from './message-log.ts';
import { ErrorCode, MeterfabricError, type Component } from '../errors.ts';
import {
  FUNCTION_GROUPS, PROTOCOLS, addOrganisation, checkHost, findOrganisation, getDevice, getOrganisation, grantAuthorisation, listAuthorisations,
  revokeAuthorisation, setNetworkAddress, updateOrganisation, type Device, type DeviceAuthorisation, type FunctionGroup, type Organisation,
  type PlatformFunctionGroup,
} from './inventory.ts';

const COMPONENT: Component = 'WS_ADMIN';

function fail(code: number, message: string, component: Component = COMPONENT): MeterfabricError {
  return new MeterfabricError(code, message, { component, retryable: false });
}

const notAuthorised = (org: string) => fail(ErrorCode.UNAUTHORIZED, `Organisation [${org}] is not authorized for action`);

// ---------------------------------------------------------------- rules

/** GXF's platform functions that the Admin service uses. */
export type PlatformFunction =
  | 'CREATE_ORGANISATION' | 'GET_ORGANISATIONS' | 'REMOVE_ORGANISATION' | 'CHANGE_ORGANISATION' | 'GET_DEVICE_NO_OWNER'
  | 'GET_MESSAGES' | 'FIND_DEVICES' | 'SET_OWNER' | 'UPDATE_KEY' | 'REVOKE_KEY' | 'GET_PROTOCOL_INFOS' | 'UPDATE_DEVICE_PROTOCOL';

/** Platform function group -> the platform functions it holds (GXF's SecurityService). */
export const PLATFORM_FUNCTIONS: Readonly<Record<PlatformFunctionGroup, readonly PlatformFunction[]>> = {
  ADMIN: [
    'CREATE_ORGANISATION', 'GET_ORGANISATIONS', 'REMOVE_ORGANISATION', 'CHANGE_ORGANISATION', 'GET_DEVICE_NO_OWNER', 'GET_MESSAGES',
    'FIND_DEVICES', 'SET_OWNER', 'UPDATE_KEY', 'REVOKE_KEY', 'GET_PROTOCOL_INFOS', 'UPDATE_DEVICE_PROTOCOL',
  ],
  USER: ['GET_ORGANISATIONS', 'FIND_DEVICES'],
};

/** The device functions of the Admin service. */
export type AdminDeviceFunction = 'SET_DEVICE_AUTHORIZATION' | 'GET_DEVICE_AUTHORIZATION' | 'REMOVE_DEVICE' | 'SET_COMMUNICATION_NETWORK_INFORMATION';

/** Device function -> the device function groups that hold it (GXF's device_function_mapping seed). */
export const ADMIN_DEVICE_FUNCTIONS: Readonly<Record<AdminDeviceFunction, readonly FunctionGroup[]>> = {
  SET_DEVICE_AUTHORIZATION: ['OWNER'],
  // Every group may see the authorisations it is part of (what each sees: findDeviceAuthorisations).
  GET_DEVICE_AUTHORIZATION: FUNCTION_GROUPS,
  REMOVE_DEVICE: ['OWNER', 'MANAGEMENT'],
  SET_COMMUNICATION_NETWORK_INFORMATION: ['OWNER'],
};

/** The calling organisation, known and enabled (GXF checks `enabled` only for UpdateKey; meterfabric always). */
async function enabledCaller(q: Queryable, organisationIdentification: string): Promise<Organisation> {
  const org = await findOrganisation(q, organisationIdentification);
  if (!org) throw fail(ErrorCode.UNKNOWN_ORGANISATION, `Organisation ${organisationIdentification} is unknown`);
  if (!org.enabled) throw fail(ErrorCode.DISABLED_ORGANISATION, `Organisation ${organisationIdentification} is disabled`);
  return org;
}

/** The caller may perform a platform function: its platform function group holds it, else 301. */
export async function checkPlatformFunction(q: Queryable, organisationIdentification: string, fn: PlatformFunction): Promise<Organisation> {
  const org = await enabledCaller(q, organisationIdentification);
  if (!PLATFORM_FUNCTIONS[org.platformFunctionGroup].includes(fn)) throw notAuthorised(organisationIdentification);
  return org;
}

/** The function groups the organisation holds on the device. */
async function groupsOn(q: Queryable, organisationIdentification: string, deviceIdentification: string): Promise<FunctionGroup[]> {
  const r = await q.query<{ function_group: FunctionGroup }>(
    'SELECT function_group FROM device_authorisation WHERE organisation_identification = $1 AND device_identification = $2',
    [organisationIdentification, deviceIdentification],
  );
  return r.rows.map((x) => x.function_group);
}

/**
 * The caller may perform a device function on the device: one of its groups on that device holds it, else 301.
 * Unknown device: 201. Returns the caller's groups on the device.
 */
export async function checkDeviceFunction(q: Queryable, organisationIdentification: string, deviceIdentification: string, fn: AdminDeviceFunction): Promise<FunctionGroup[]> {
  await enabledCaller(q, organisationIdentification);
  await getDevice(q, deviceIdentification);
  const groups = await groupsOn(q, organisationIdentification, deviceIdentification);
  if (!groups.some((g) => ADMIN_DEVICE_FUNCTIONS[fn].includes(g))) throw notAuthorised(organisationIdentification);
  return groups;
}

// ---------------------------------------------------------------- organisations

export interface OrganisationDescription {
  identification: string;
  name: string;
  prefix: string;
  platformFunctionGroup: PlatformFunctionGroup;
  enabled: boolean;
  domains: string[];
}

/** GXF's Prefix and platform Domains of an organisation (what is not given stays). */
export async function setOrganisationDetails(q: Queryable, identification: string, d: { prefix?: string; domains?: readonly string[] }): Promise<void> {
  await q.query('UPDATE organisation SET prefix = COALESCE($2, prefix), domains = COALESCE($3, domains) WHERE identification = $1', [
    identification, d.prefix ?? null, d.domains ? [...new Set(d.domains)] : null,
  ]);
}

/** CreateOrganisation: an ADMIN adds an organisation (102 when the identification is taken). */
export async function createOrganisation(db: Db, caller: string, o: OrganisationDescription): Promise<Organisation> {
  return db.tx(async (q) => {
    await checkPlatformFunction(q, caller, 'CREATE_ORGANISATION');
    const created = await addOrganisation(q, { identification: o.identification, name: o.name, platformFunctionGroup: o.platformFunctionGroup, enabled: o.enabled });
    await setOrganisationDetails(q, o.identification, { prefix: o.prefix, domains: o.domains });
    return created;
  });
}

/** ChangeOrganisation: name, platform function group and domains of an organisation. */
export async function changeOrganisation(db: Db, caller: string, target: string, c: { name: string; platformFunctionGroup: PlatformFunctionGroup; domains: string[] }): Promise<Organisation> {
  return db.tx(async (q) => {
    await checkPlatformFunction(q, caller, 'CHANGE_ORGANISATION');
    const changed = await updateOrganisation(q, target, { name: c.name, platformFunctionGroup: c.platformFunctionGroup });
    await setOrganisationDetails(q, target, { domains: c.domains });
    return changed;
  });
}

/** ActivateOrganisation: enables an organisation (GXF's platform function CHANGE_ORGANISATION). */
export async function activateOrganisation(db: Db, caller: string, target: string): Promise<Organisation> {
  return db.tx(async (q) => {
    await checkPlatformFunction(q, caller, 'CHANGE_ORGANISATION');
    return updateOrganisation(q, target, { enabled: true });
  });
}

/**
 * RemoveOrganisation: as GXF, the organisation is disabled, not deleted (its requests and audit rows keep naming
 * it), and only when it holds no device authorisation any more (302 otherwise).
 */
export async function removeOrganisation(db: Db, caller: string, target: string): Promise<Organisation> {
  return db.tx(async (q) => {
    await checkPlatformFunction(q, caller, 'REMOVE_ORGANISATION');
    return disableUnusedOrganisation(q, target);
  });
}

/** Disables an organisation that holds no device authorisation (302 while it holds one). */
export async function disableUnusedOrganisation(q: Queryable, identification: string): Promise<Organisation> {
  await getOrganisation(q, identification);
  const held = await q.query('SELECT 1 FROM device_authorisation WHERE organisation_identification = $1 LIMIT 1', [identification]);
  if (held.rowCount > 0) {
    throw fail(ErrorCode.EXISTING_DEVICE_AUTHORIZATIONS, `Device Authorizations are still present for the current organisation ${identification}`);
  }
  return updateOrganisation(q, identification, { enabled: false });
}

// ---------------------------------------------------------------- device authorisations

export interface AuthorisationChange extends DeviceAuthorisation {
  /** true: withdraw the authorisation; otherwise grant it. */
  revoked?: boolean;
}

/**
 * UpdateDeviceAuthorisations: the caller grants or withdraws authorisations on devices it may set authorisations
 * on (SET_DEVICE_AUTHORIZATION: OWNER). A grant that exists and a withdrawal of the caller's own OWNER row are
 * ignored, as in GXF. All changes of one call happen together or not at all (GXF applies them one by one).
 */
export async function updateDeviceAuthorisations(db: Db, caller: string, changes: readonly AuthorisationChange[]): Promise<void> {
  await db.tx(async (q) => {
    for (const c of changes) {
      await checkDeviceFunction(q, caller, c.deviceIdentification, 'SET_DEVICE_AUTHORIZATION');
      await getOrganisation(q, c.organisationIdentification);
      const a = { deviceIdentification: c.deviceIdentification, organisationIdentification: c.organisationIdentification, functionGroup: c.functionGroup };
      if (!c.revoked) await grantAuthorisation(q, a);
      else if (!(c.organisationIdentification === caller && c.functionGroup === 'OWNER')) await revokeAuthorisation(q, a);
    }
  });
}

/**
 * FindDeviceAuthorisations: an owner of the device sees every authorisation on it; an organisation with another
 * authorisation on it sees only its own (GXF's DeviceAuthorizationRepository#findByDeviceForOrganisation).
 */
export async function findDeviceAuthorisations(q: Queryable, caller: string, deviceIdentification: string): Promise<DeviceAuthorisation[]> {
  const groups = await checkDeviceFunction(q, caller, deviceIdentification, 'GET_DEVICE_AUTHORIZATION');
  const all = await listAuthorisations(q, deviceIdentification);
  return groups.includes('OWNER') ? all : all.filter((a) => a.organisationIdentification === caller);
}

// ---------------------------------------------------------------- devices

export interface OwnerlessDevice {
  deviceIdentification: string;
  deviceType: Device['deviceType'];
  host: string | null;
  active: boolean;
  publicKeyPresent: boolean;
  /** Organisations holding any (non-OWNER) authorisation on it. */
  organisations: string[];
}

/** FindDevicesWhichHaveNoOwner: the devices without an OWNER authorisation, in order, at most `limit`. */
export async function findDevicesWithoutOwner(q: Queryable, caller: string, limit = 10_000): Promise<OwnerlessDevice[]> {
  await checkPlatformFunction(q, caller, 'GET_DEVICE_NO_OWNER');
  return listDevicesWithoutOwner(q, limit);
}

/** The devices without an OWNER authorisation, in order, at most `limit`. */
export async function listDevicesWithoutOwner(q: Queryable, limit = 10_000): Promise<OwnerlessDevice[]> {
  const r = await q.query<{ device_identification: string; device_type: Device['deviceType']; host: string | null; active: boolean; public_key_present: boolean; organisations: string[] | null }>(
    `SELECT d.device_identification, d.device_type, d.host, d.active, d.public_key IS NOT NULL AS public_key_present,
            ARRAY(SELECT DISTINCT a.organisation_identification FROM device_authorisation a WHERE a.device_identification = d.device_identification ORDER BY 1) AS organisations
       FROM device d
      WHERE NOT EXISTS (SELECT 1 FROM device_authorisation o WHERE o.device_identification = d.device_identification AND o.function_group = 'OWNER')
      ORDER BY d.device_identification LIMIT $1`,
    [limit],
  );
  return r.rows.map((x) => ({
    deviceIdentification: x.device_identification, deviceType: x.device_type, host: x.host, active: x.active,
    publicKeyPresent: x.public_key_present, organisations: x.organisations ?? [],
  }));
}

/** SetOwner: an ADMIN makes an organisation the device's only OWNER (other OWNER rows are removed). */
export async function setOwner(db: Db, caller: string, deviceIdentification: string, newOwner: string): Promise<void> {
  await db.tx(async (q) => {
    await checkPlatformFunction(q, caller, 'SET_OWNER');
    await setDeviceOwner(q, deviceIdentification, newOwner);
  });
}

/** Makes the organisation the device's only OWNER (201 unknown device, 101 unknown organisation). */
export async function setDeviceOwner(q: Queryable, deviceIdentification: string, owner: string): Promise<void> {
  await getDevice(q, deviceIdentification);
  await getOrganisation(q, owner);
  await q.query(`DELETE FROM device_authorisation WHERE device_identification = $1 AND function_group = 'OWNER'`, [deviceIdentification]);
  await grantAuthorisation(q, { deviceIdentification, organisationIdentification: owner, functionGroup: 'OWNER' });
}

/**
 * RemoveDevice (OWNER or MANAGEMENT on the device): the device, its authorisations and what AddDevice stated about
 * it go. A gateway with M-Bus devices coupled to it is refused (401) until they are decoupled — GXF's database
 * refuses it too, with a technical error. Its requests, responses and retired keys stay until retention removes them.
 */
export async function removeDevice(db: Db, caller: string, deviceIdentification: string): Promise<void> {
  await db.tx(async (q) => {
    await checkDeviceFunction(q, caller, deviceIdentification, 'REMOVE_DEVICE');
    await deleteDevice(q, deviceIdentification);
  });
}

/** Deletes a device with its authorisations and installation facts; 401 while M-Bus devices are coupled to it. */
export async function deleteDevice(q: Queryable, deviceIdentification: string): Promise<void> {
  await getDevice(q, deviceIdentification);
  const coupled = await q.query('SELECT 1 FROM device WHERE gateway_device_identification = $1 LIMIT 1', [deviceIdentification]);
  if (coupled.rowCount > 0) {
    throw fail(ErrorCode.VALIDATION_ERROR, `M-Bus devices are coupled to ${deviceIdentification}; decouple them before removing it`);
  }
  await q.query('DELETE FROM device WHERE device_identification = $1', [deviceIdentification]);
}

export interface ProtocolInfo {
  id: number;
  protocol: string;
  protocolVersion: string;
}

/** The protocols a device may have, with stable ids (their position in inventory.ts PROTOCOLS, from 1). */
export const PROTOCOL_INFOS: readonly ProtocolInfo[] = PROTOCOLS.map((p, i) => ({ id: i + 1, protocol: p.name, protocolVersion: p.version }));

/** GetProtocolInfos: every protocol, by protocol and version. */
export async function protocolInfos(q: Queryable, caller: string): Promise<ProtocolInfo[]> {
  await checkPlatformFunction(q, caller, 'GET_PROTOCOL_INFOS');
  return [...PROTOCOL_INFOS].sort((a, b) => a.protocol.localeCompare(b.protocol) || a.protocolVersion.localeCompare(b.protocolVersion, undefined, { numeric: true }));
}

/**
 * UpdateDeviceProtocol: an ADMIN sets a device's protocol (name, version; 206 when the platform has no such
 * protocol — it knows no variants, so a variant is always 206).
 */
export async function updateDeviceProtocol(db: Db, caller: string, deviceIdentification: string, p: { protocol: string; protocolVersion: string; protocolVariant?: string }): Promise<Device> {
  return db.tx(async (q) => {
    await checkPlatformFunction(q, caller, 'UPDATE_DEVICE_PROTOCOL');
    return setDeviceProtocol(q, deviceIdentification, p);
  });
}

/** Sets a device's protocol (206 when the platform has no such protocol; it knows no variants). */
export async function setDeviceProtocol(q: Queryable, deviceIdentification: string, p: { protocol: string; protocolVersion: string; protocolVariant?: string }): Promise<Device> {
  const device = await getDevice(q, deviceIdentification);
  const known = PROTOCOLS.some((x) => x.name === p.protocol && x.version === p.protocolVersion);
  if (!known || p.protocolVariant !== undefined) {
    throw fail(ErrorCode.UNKNOWN_PROTOCOL_NAME_OR_VERSION_OR_VARIANT, `Unknown protocol ${p.protocol} ${p.protocolVersion}${p.protocolVariant === undefined ? '' : ` ${p.protocolVariant}`}`);
  }
  if (device.protocolName === p.protocol && device.protocolVersion === p.protocolVersion) return device;
  await q.query('UPDATE device SET protocol_name = $2, protocol_version = $3, updated_at = now() WHERE device_identification = $1', [deviceIdentification, p.protocol, p.protocolVersion]);
  return getDevice(q, deviceIdentification);
}

/** A public key as GXF's UpdateKey carries it: base64 of a DER SubjectPublicKeyInfo (RSA or EC). */
export function checkPublicKey(publicKey: string): string {
  const text = publicKey.replace(/\s+/g, '');
  const bad = () => fail(ErrorCode.VALIDATION_ERROR, 'PublicKey must be base64 of a DER SubjectPublicKeyInfo');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length > 8192) throw bad();
  try {
    const key = createPublicKey({ key: Buffer.from(text, 'base64'), format: 'der', type: 'spki' });
    if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'ec') throw bad();
  } catch {
    throw bad();
  }
  return text;
}

/**
 * UpdateKey: an ADMIN records the device's public key. GXF creates a street-light device when the device is
 * unknown; meterfabric keeps only smart meters and answers 201. ProtocolInfoId only matters for that creation.
 */
export async function updateKey(db: Db, caller: string, deviceIdentification: string, publicKey: string): Promise<void> {
  await db.tx(async (q) => {
    await checkPlatformFunction(q, caller, 'UPDATE_KEY');
    await setDevicePublicKey(q, deviceIdentification, publicKey);
  });
}

/** Records (a checked public key) or withdraws (null) a device's public key; 201 unknown device. */
export async function setDevicePublicKey(q: Queryable, deviceIdentification: string, publicKey: string | null): Promise<void> {
  const key = publicKey === null ? null : checkPublicKey(publicKey);
  await getDevice(q, deviceIdentification);
  await q.query('UPDATE device SET public_key = $2, updated_at = now() WHERE device_identification = $1', [deviceIdentification, key]);
}

/** RevokeKey: an ADMIN withdraws the device's public key. */
export async function revokeKey(db: Db, caller: string, deviceIdentification: string): Promise<void> {
  await db.tx(async (q) => {
    await checkPlatformFunction(q, caller, 'REVOKE_KEY');
    await setDevicePublicKey(q, deviceIdentification, null);
  });
}

export interface NetworkInformation {
  host: string | null;
  btsId: number | null;
  cellId: number | null;
}

/**
 * SetCommunicationNetworkInformation (OWNER of the device): the address the platform connects to (212 when it is
 * not one) and the mobile network's BTS and cell ids; what is not given stays.
 */
export async function setCommunicationNetworkInformation(db: Db, caller: string, deviceIdentification: string, n: { ipAddress?: string; btsId?: number; cellId?: number }): Promise<NetworkInformation> {
  return db.tx(async (q) => {
    await checkDeviceFunction(q, caller, deviceIdentification, 'SET_COMMUNICATION_NETWORK_INFORMATION');
    return setNetworkInformation(q, deviceIdentification, {
      ...(n.ipAddress !== undefined ? { host: n.ipAddress } : {}), ...(n.btsId !== undefined ? { btsId: n.btsId } : {}), ...(n.cellId !== undefined ? { cellId: n.cellId } : {}),
    });
  });
}

/**
 * The address (212 when it is not one; the port stays unless given) and the mobile network's BTS and cell ids of
 * a device; what is not given stays. The REST admin route PUT /devices/{id}/network sets the same.
 */
export async function setNetworkInformation(q: Queryable, deviceIdentification: string, n: { host?: string; port?: number; btsId?: number; cellId?: number }): Promise<NetworkInformation> {
  if (n.host !== undefined) {
    checkHost(n.host);
    await setNetworkAddress(q, deviceIdentification, n.host, n.port);
  }
  const r = await q.query<{ host: string | null; bts_id: number | null; cell_id: number | null }>(
    `UPDATE device SET bts_id = COALESCE($2, bts_id), cell_id = COALESCE($3, cell_id), updated_at = now()
      WHERE device_identification = $1 RETURNING host, bts_id, cell_id`,
    [deviceIdentification, n.btsId ?? null, n.cellId ?? null],
  );
  const row = r.rows[0];
  if (!row) throw fail(ErrorCode.UNKNOWN_DEVICE, `Device ${deviceIdentification} is unknown`, 'DOMAIN_CORE');
  return { host: row.host, btsId: row.bts_id, cellId: row.cell_id };
}

// ---------------------------------------------------------------- message logs

export interface MessageLogFilter {
  deviceIdentification?: string;
  organisationIdentification?: string;
  startTime?: Date;
  endTime?: Date;
  /** 0-based page number. */
  page: number;
}

export interface MessageLogEntry {
  timestamp: Date;
  organisationIdentification: string;
  deviceIdentification: string;
  decodedMessage: string;
  encodedMessage: string;
  incoming: boolean;
  valid: boolean;
}

export interface MessageLogPage {
  messageLogs: MessageLogEntry[];
  nextPageAvailable: boolean;
}

/**
 * FindMessageLogs (ADMIN): a page of the DLMS message log (./message-log.ts), which holds the APDUs of devices
 * while their debugging is enabled (Management EnableDebugging).
 */
export async function findMessageLogs(q: Queryable, caller: string, filter: MessageLogFilter): Promise<MessageLogPage> {
  await checkPlatformFunction(q, caller, 'GET_MESSAGES');
  if (!Number.isInteger(filter.page) || filter.page < 0) throw fail(ErrorCode.VALIDATION_ERROR, 'Page must be 0 or more');
  const page = await searchMessageLogs(q, {
    page: filter.page,
    ...(filter.deviceIdentification ? { deviceIdentification: filter.deviceIdentification } : {}),
    ...(filter.organisationIdentification ? { organisationIdentification: filter.organisationIdentification } : {}),
    ...(filter.startTime ? { from: filter.startTime } : {}),
    ...(filter.endTime ? { to: filter.endTime } : {}),
  });
  return {
    nextPageAvailable: page.nextPageAvailable,
    messageLogs: page.messageLogs.map((m) => ({
      timestamp: new Date(m.timestamp), organisationIdentification: m.organisationIdentification, deviceIdentification: m.deviceIdentification,
      decodedMessage: m.decodedMessage, encodedMessage: m.encodedMessage, incoming: m.incoming, valid: m.valid,
    })),
  };
}
