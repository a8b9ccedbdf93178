/**
 * What a client stated about a device when it added it (GXF AddDevice: DeviceModel, Timezone, Supplier, the
 * LLS1/HLS flags, …) and the platform does not need to reach the meter. Kept, as GXF keeps it, and shown in the
 * admin device view. Stored apart from the device row (table device_installation), which goes with the device.
 */
import type { Queryable } from './db/db.ts';

export interface DeviceInstallation {
  deviceModel?: { manufacturer: string; modelCode?: string };
  protocolVariant?: string;
  timezone?: string;
  supplier?: string;
  communicationMethod?: string;
  communicationProvider?: string;
  iccId?: string;
  lls1Active?: boolean;
  hls3Active?: boolean;
  hls4Active?: boolean;
  polyphase?: boolean;
  ipAddressIsStatic?: boolean;
  selectiveAccessSupported?: boolean;
  /** GXF's selective_access_periodic_meter_reads_supported: the meter selects periodic-read columns (unset = true). */
  selectiveAccessPeriodicMeterReadsSupported?: boolean;
  /** ISO 8601, as the client sent it (GXF's required Delivery_date). */
  deliveryDate?: string;
}

/** Column of each field, in one place for writing and reading. */
const COLUMNS: readonly [Exclude<keyof DeviceInstallation, 'deviceModel'>, string][] = [
  ['protocolVariant', 'protocol_variant'],
  ['timezone', 'timezone'],
  ['supplier', 'supplier'],
  ['communicationMethod', 'communication_method'],
  ['communicationProvider', 'communication_provider'],
  ['iccId', 'icc_id'],
  ['lls1Active', 'lls1_active'],
  ['hls3Active', 'hls3_active'],
  ['hls4Active', 'hls4_active'],
  ['polyphase', 'polyphase'],
  ['ipAddressIsStatic', 'ip_address_is_static'],
  ['selectiveAccessSupported', 'selective_access_supported'],
  ['selectiveAccessPeriodicMeterReadsSupported', 'selective_access_periodic_meter_reads_supported'],
  ['deliveryDate', 'delivery_date'],
];

/** Stores (or replaces) what was stated about the device; call it in the transaction that adds the device. */
export async function saveDeviceInstallation(q: Queryable, deviceIdentification: string, d: DeviceInstallation): Promise<void> {
  const names = ['device_identification', 'device_model_manufacturer', 'device_model_code', ...COLUMNS.map(([, c]) => c)];
  const values = [deviceIdentification, d.deviceModel?.manufacturer ?? null, d.deviceModel?.modelCode ?? null, ...COLUMNS.map(([f]) => d[f] ?? null)];
  await q.query(
    `INSERT INTO device_installation (${names.join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})
     ON CONFLICT (device_identification) DO UPDATE SET ${names.slice(1).map((n) => `${n} = EXCLUDED.${n}`).join(', ')}, updated_at = now()`,
    values,
  );
}

/** What was stated about the device (only the fields given), or undefined when it was not added through AddDevice. */
export async function getDeviceInstallation(q: Queryable, deviceIdentification: string): Promise<DeviceInstallation | undefined> {
  const r = await q.query<Record<string, unknown>>('SELECT * FROM device_installation WHERE device_identification = $1', [deviceIdentification]);
  const row = r.rows[0];
  if (!row) return undefined;
  const out: Record<string, unknown> = {};
  if (row.device_model_manufacturer != null) {
    out.deviceModel = { manufacturer: row.device_model_manufacturer, ...(row.device_model_code != null ? { modelCode: row.device_model_code } : {}) };
  }
  for (const [field, column] of COLUMNS) {
    const v = row[column];
    if (v === null || v === undefined) continue;
    out[field] = v instanceof Date ? v.toISOString() : column === 'delivery_date' ? new Date(v as string).toISOString() : v;
  }
  return out as DeviceInstallation;
}

/** Records the device's time zone (SynchronizeTime keeps it, as GXF keeps it on the DLMS device); other fields stay. */
export async function setDeviceTimezone(q: Queryable, deviceIdentification: string, timezone: string): Promise<void> {
  await q.query(
    `INSERT INTO device_installation (device_identification, timezone) VALUES ($1, $2)
     ON CONFLICT (device_identification) DO UPDATE SET timezone = EXCLUDED.timezone, updated_at = now()`,
    [deviceIdentification, timezone],
  );
}

/** Sets GXF's selective_access_periodic_meter_reads_supported for a device; other fields stay. */
export async function setPeriodicReadsColumnSelection(q: Queryable, deviceIdentification: string, supported: boolean): Promise<void> {
  await q.query(
    `INSERT INTO device_installation (device_identification, selective_access_periodic_meter_reads_supported) VALUES ($1, $2)
     ON CONFLICT (device_identification) DO UPDATE SET selective_access_periodic_meter_reads_supported = EXCLUDED.selective_access_periodic_meter_reads_supported, updated_at = now()`,
    [deviceIdentification, supported],
  );
}

/** GXF's hls3_active, hls4_active and hls5_active of a device; an absent field is left as stored. */
export interface HlsActive {
  hls3Active?: boolean;
  hls4Active?: boolean;
  hls5Active?: boolean;
}

/**
 * Records the HLS flags the meter's configuration object holds (hls5Active on the device row, hls3/hls4 with what
 * was stated at AddDevice), and writes one DEVICE_UPDATED audit row naming each value that changed. Nothing is
 * written when nothing changed. Answers the changes.
 */
export async function setHlsActive(
  q: Queryable,
  deviceIdentification: string,
  flags: HlsActive,
  audit: { correlationUid?: string; organisationIdentification?: string; messageType?: string },
): Promise<string[]> {
  const before = await q.query<{ hls5_active: boolean; hls3_active: boolean | null; hls4_active: boolean | null }>(
    `SELECT d.hls5_active, i.hls3_active, i.hls4_active FROM device d
       LEFT JOIN device_installation i ON i.device_identification = d.device_identification
      WHERE d.device_identification = $1 FOR UPDATE OF d`,
    [deviceIdentification],
  );
  const row = before.rows[0];
  if (!row) return [];
  const changes: string[] = [];
  const was = { hls3Active: row.hls3_active, hls4Active: row.hls4_active, hls5Active: row.hls5_active };
  for (const k of ['hls3Active', 'hls4Active', 'hls5Active'] as const) {
    if (flags[k] !== undefined && flags[k] !== was[k]) changes.push(`${k} ${was[k] ?? 'unset'} -> ${flags[k]}`);
  }
  if (changes.length === 0) return [];
  if (flags.hls5Active !== undefined && flags.hls5Active !== row.hls5_active) {
    await q.query('UPDATE device SET hls5_active = $2 WHERE device_identification = $1', [deviceIdentification, flags.hls5Active]);
  }
  if ((flags.hls3Active !== undefined && flags.hls3Active !== row.hls3_active) || (flags.hls4Active !== undefined && flags.hls4Active !== row.hls4_active)) {
    await q.query(
      `INSERT INTO device_installation (device_identification, hls3_active, hls4_active) VALUES ($1, $2, $3)
       ON CONFLICT (device_identification) DO UPDATE SET hls3_active = COALESCE($2, device_installation.hls3_active),
         hls4_active = COALESCE($3, device_installation.hls4_active), updated_at = now()`,
      [deviceIdentification, flags.hls3Active ?? null, flags.hls4Active ?? null],
    );
  }
  await q.query(
    `INSERT INTO audit_log (event, correlation_uid, organisation_identification, device_identification, message_type, detail)
     VALUES ('DEVICE_UPDATED', $1, $2, $3, $4, $5)`,
    [audit.correlationUid ?? null, audit.organisationIdentification ?? null, deviceIdentification, audit.messageType ?? null, `from the configuration object: ${changes.join(', ')}`],
  );
  return changes;
}
