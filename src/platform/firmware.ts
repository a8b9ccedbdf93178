/**
 * The firmware file store and the progress of image transfers (docs/firmware.md). Tables firmware_file and
 * firmware_transfer (migration 0900).
 */
import { createHash } from 'node:crypto';
import { ErrorCode, MeterfabricError } from '../errors.ts';
import type { Queryable } from './db/db.ts';

/**
 * SHA-256 of the bytes as GXF prints a firmware digest: lowercase hex of the digest read as an unsigned big
 * integer, so leading zero digits are dropped (Java's `new BigInteger(1, digest).toString(16)`, in
 * OSGP/open-smart-grid-platform osgp-adapter-ws-core FirmwareFileStorageService).
 */
export function firmwareHash(bytes: Buffer): string {
  const hex = createHash('sha256').update(bytes).digest('hex').replace(/^0+/, '');
  return hex === '' ? '0' : hex;
}

export interface FirmwareFileInfo {
  identification: string;
  size: number;
  hash: string;
  hashType: 'SHA256';
  imageIdentifier?: string;
  manufacturer?: string;
  modelCode?: string;
  createdAt: Date;
}

export interface FirmwareFile extends FirmwareFileInfo {
  content: Buffer;
}

export interface NewFirmwareFile {
  identification: string;
  content: Buffer;
  /** hex */
  imageIdentifier?: string;
  manufacturer?: string;
  modelCode?: string;
}

const MAX_FIRMWARE_BYTES = 64 * 1024 * 1024;

function invalid(message: string): MeterfabricError {
  return new MeterfabricError(ErrorCode.VALIDATION_ERROR, message, { component: 'WS_ADMIN', retryable: false });
}

/** Stores a firmware file; an identification that exists is refused with 702 EXISTING_FIRMWARE (files are never overwritten). */
export async function addFirmwareFile(q: Queryable, f: NewFirmwareFile): Promise<FirmwareFileInfo> {
  if (!/^[\x21-\x7e]{1,40}$/.test(f.identification)) throw invalid('identification: 1 to 40 printable characters without spaces');
  if (f.content.length === 0) throw invalid('the firmware file is empty');
  if (f.content.length > MAX_FIRMWARE_BYTES) throw invalid(`the firmware file exceeds ${MAX_FIRMWARE_BYTES} bytes`);
  if (f.imageIdentifier !== undefined && !/^([0-9a-fA-F]{2}){1,64}$/.test(f.imageIdentifier)) throw invalid('imageIdentifier: 1 to 64 bytes as hex');
  if ((f.manufacturer === undefined) !== (f.modelCode === undefined)) throw invalid('manufacturer and modelCode go together');
  if (f.manufacturer !== undefined && !/^.{1,4}$/.test(f.manufacturer)) throw invalid('manufacturer: 1 to 4 characters');
  if (f.modelCode !== undefined && !/^.{1,255}$/.test(f.modelCode)) throw invalid('modelCode: 1 to 255 characters');
  const hash = firmwareHash(f.content);
  const r = await q.query<Row>(
    `INSERT INTO firmware_file (identification, content, size, hash, image_identifier, manufacturer, model_code)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (identification) DO NOTHING
     RETURNING identification, size, hash, hash_type, image_identifier, manufacturer, model_code, created_at`,
    [f.identification, f.content, f.content.length, hash, f.imageIdentifier === undefined ? null : Buffer.from(f.imageIdentifier, 'hex'), f.manufacturer ?? null, f.modelCode ?? null],
  );
  if (!r.rows[0]) {
    throw new MeterfabricError(ErrorCode.EXISTING_FIRMWARE, `A firmware file with identification ${f.identification} exists; files are never overwritten`, { component: 'WS_ADMIN', retryable: false });
  }
  return info(r.rows[0]);
}

interface Row {
  identification: string;
  size: number;
  hash: string;
  hash_type: string;
  image_identifier: Buffer | null;
  manufacturer: string | null;
  model_code: string | null;
  created_at: Date;
  content?: Buffer;
}

function info(r: Row): FirmwareFileInfo {
  return {
    identification: r.identification,
    size: r.size,
    hash: r.hash,
    hashType: 'SHA256',
    ...(r.image_identifier ? { imageIdentifier: Buffer.from(r.image_identifier).toString('hex').toUpperCase() } : {}),
    ...(r.manufacturer !== null ? { manufacturer: r.manufacturer } : {}),
    ...(r.model_code !== null ? { modelCode: r.model_code } : {}),
    createdAt: r.created_at,
  };
}

/** The file with its bytes, or undefined. */
export async function findFirmwareFile(q: Queryable, identification: string): Promise<FirmwareFile | undefined> {
  const r = await q.query<Row>('SELECT * FROM firmware_file WHERE identification = $1', [identification]);
  const row = r.rows[0];
  return row ? { ...info(row), content: Buffer.from(row.content!) } : undefined;
}

export async function getFirmwareFileInfo(q: Queryable, identification: string): Promise<FirmwareFileInfo | undefined> {
  const r = await q.query<Row>('SELECT identification, size, hash, hash_type, image_identifier, manufacturer, model_code, created_at FROM firmware_file WHERE identification = $1', [identification]);
  return r.rows[0] ? info(r.rows[0]) : undefined;
}

export async function listFirmwareFiles(q: Queryable, limit = 1000): Promise<FirmwareFileInfo[]> {
  const r = await q.query<Row>('SELECT identification, size, hash, hash_type, image_identifier, manufacturer, model_code, created_at FROM firmware_file ORDER BY identification LIMIT $1', [limit]);
  return r.rows.map(info);
}

/**
 * The files an organisation may send (the console's and CLI's pickers, src/console/fleet.ts): every file made for no
 * device model, and those made for a model that a device the organisation holds an authorisation on has
 * (device_installation, AddDevice's DeviceModel); `viewer` undefined (ADMIN) sees every file. With `device`, only
 * the files UpdateFirmware accepts for that device's model, and, for an E-meter (`withImageIdentifier`), only
 * those with an image identifier.
 */
export async function listUsableFirmwareFiles(
  q: Queryable,
  o: { viewer?: string; device?: string; withImageIdentifier?: boolean; limit?: number },
): Promise<FirmwareFileInfo[]> {
  const params: unknown[] = [Math.min(Math.max(o.limit ?? 1000, 1), 1000)];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const where: string[] = [];
  const model = (devices: string) =>
    `f.manufacturer IS NULL OR EXISTS (SELECT 1 FROM device_installation i WHERE i.device_identification IN (${devices})
       AND i.device_model_manufacturer = f.manufacturer AND i.device_model_code = f.model_code)`;
  if (o.device !== undefined) where.push(`(${model(p(o.device))})`);
  else if (o.viewer !== undefined) where.push(`(${model(`SELECT a.device_identification FROM device_authorisation a WHERE a.organisation_identification = ${p(o.viewer)}`)})`);
  if (o.withImageIdentifier) where.push('f.image_identifier IS NOT NULL');
  const r = await q.query<Row>(
    `SELECT identification, size, hash, hash_type, image_identifier, manufacturer, model_code, created_at FROM firmware_file f
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY identification LIMIT $1`,
    params,
  );
  return r.rows.map(info);
}

// ---- image transfer progress --------------------------------------------------------------------------------

/** Where an image transfer stands (docs/firmware.md#resume). */
export type TransferStep = 'initiating' | 'transferring' | 'verifying' | 'activating' | 'activated';

export interface TransferProgress {
  deviceIdentification: string;
  firmwareIdentification: string;
  hash: string;
  step: TransferStep;
  blockSize?: number;
  blocks?: number;
  /** The first block not confirmed by the meter, as last seen. */
  nextBlock: number;
  correlationUid?: string;
}

interface ProgressRow {
  device_identification: string;
  firmware_identification: string;
  hash: string;
  step: TransferStep;
  block_size: number | null;
  blocks: number | null;
  next_block: number;
  correlation_uid: string | null;
}

export async function getTransferProgress(q: Queryable, deviceIdentification: string): Promise<TransferProgress | undefined> {
  const r = await q.query<ProgressRow>('SELECT * FROM firmware_transfer WHERE device_identification = $1', [deviceIdentification]);
  const p = r.rows[0];
  if (!p) return undefined;
  return {
    deviceIdentification: p.device_identification,
    firmwareIdentification: p.firmware_identification,
    hash: p.hash,
    step: p.step,
    ...(p.block_size !== null ? { blockSize: p.block_size } : {}),
    ...(p.blocks !== null ? { blocks: p.blocks } : {}),
    nextBlock: p.next_block,
    ...(p.correlation_uid !== null ? { correlationUid: p.correlation_uid } : {}),
  };
}

export async function saveTransferProgress(q: Queryable, p: TransferProgress): Promise<void> {
  await q.query(
    `INSERT INTO firmware_transfer (device_identification, firmware_identification, hash, step, block_size, blocks, next_block, correlation_uid)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (device_identification) DO UPDATE SET firmware_identification = EXCLUDED.firmware_identification, hash = EXCLUDED.hash,
       step = EXCLUDED.step, block_size = EXCLUDED.block_size, blocks = EXCLUDED.blocks, next_block = EXCLUDED.next_block,
       correlation_uid = EXCLUDED.correlation_uid, updated_at = now()`,
    [p.deviceIdentification, p.firmwareIdentification, p.hash, p.step, p.blockSize ?? null, p.blocks ?? null, p.nextBlock, p.correlationUid ?? null],
  );
}

export async function clearTransferProgress(q: Queryable, deviceIdentification: string): Promise<void> {
  await q.query('DELETE FROM firmware_transfer WHERE device_identification = $1', [deviceIdentification]);
}
