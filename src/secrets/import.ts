/**
 * Parsing of manufacturer key shipments (README "Key shipments"). Pure: text in, checked rows out. Every
 * message names the line and column only; a key value is never echoed.
 */
import { ErrorCode, MeterfabricError } from '../errors.ts';
import { checkKeyMaterial, isSecretType, MAX_DEVICE_ID_LENGTH, type SecretType } from './types.ts';

export type KeyShipmentFormat = 'csv' | 'json';

export interface KeyShipmentRow {
  /** 1-based line (CSV) or 1-based entry number (JSON). */
  line: number;
  deviceId: string;
  type: SecretType;
  key: Buffer;
  status: 'ACTIVE' | 'NEW';
}

/** The JSON shipment's `format` value. */
export const KEY_SHIPMENT_FORMAT = 'meterfabric-key-shipment';

function invalid(where: string, message: string): MeterfabricError {
  return new MeterfabricError(ErrorCode.VALIDATION_ERROR, `key shipment ${where}: ${message}`, { component: 'SECRET_MANAGEMENT' });
}

function checkHex(where: string, field: string, v: string): string {
  const t = v.trim();
  if (t.length === 0 || t.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(t)) {
    throw new MeterfabricError(ErrorCode.INVALID_KEY_FORMAT, `key shipment ${where}: ${field} is not an even number of hex digits`, {
      component: 'SECRET_MANAGEMENT',
    });
  }
  return t;
}

interface RawRow {
  where: string;
  line: number;
  deviceId: unknown;
  type: unknown;
  key: unknown;
  encryptedKey: unknown;
  status: unknown;
}

function checkRow(raw: RawRow, decryptKey?: (hex: string) => Buffer): KeyShipmentRow {
  const { where } = raw;
  const deviceId = typeof raw.deviceId === 'string' ? raw.deviceId.trim() : '';
  if (!deviceId || deviceId.length > MAX_DEVICE_ID_LENGTH) throw invalid(where, `device identification must be 1..${MAX_DEVICE_ID_LENGTH} characters`);
  const typeText = typeof raw.type === 'string' ? raw.type.trim() : '';
  if (!isSecretType(typeText)) {
    // Named back only when it reads like a type name: a shipment with its columns in the wrong order has a key here.
    throw invalid(where, /^[A-Za-z_]{1,60}$/.test(typeText) ? `unknown secret type ${JSON.stringify(typeText)}` : 'unknown secret type (is a column out of order?)');
  }
  const statusText = raw.status === undefined || raw.status === null || raw.status === '' ? 'ACTIVE' : String(raw.status).trim();
  if (statusText !== 'ACTIVE' && statusText !== 'NEW') throw invalid(where, 'status must be ACTIVE or NEW');
  const hasKey = typeof raw.key === 'string' && raw.key.trim() !== '';
  const hasEncrypted = typeof raw.encryptedKey === 'string' && raw.encryptedKey.trim() !== '';
  if (hasKey === hasEncrypted) throw invalid(where, 'exactly one of key and encrypted_key must be given');
  let key: Buffer;
  if (hasKey) {
    key = Buffer.from(checkHex(where, 'key', raw.key as string), 'hex');
  } else {
    if (!decryptKey) throw invalid(where, 'encrypted_key given but no platform key pair to decrypt it');
    const hex = checkHex(where, 'encrypted_key', raw.encryptedKey as string);
    try {
      key = decryptKey(hex);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      throw new MeterfabricError(typeof code === 'number' ? code : ErrorCode.DECRYPTION_EXCEPTION, `key shipment ${where}: encrypted_key does not decrypt`, {
        component: 'SECRET_MANAGEMENT',
      });
    }
  }
  try {
    checkKeyMaterial(typeText, key);
  } catch (e) {
    key.fill(0);
    throw invalid(where, (e as Error).message);
  }
  return { line: raw.line, deviceId, type: typeText, key, status: statusText };
}

/** Minimal RFC 4180 line splitter: commas, double-quoted fields with "" escapes. */
function splitCsvLine(line: string, where: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"' && cur.trim() === '') {
      quoted = true;
      cur = '';
    } else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (quoted) throw invalid(where, 'unterminated quoted field');
  out.push(cur);
  return out.map((s) => s.trim());
}

const CSV_COLUMNS = ['device_identification', 'secret_type', 'key', 'encrypted_key', 'status'] as const;

export function parseCsvShipment(text: string, decryptKey?: (hex: string) => Buffer): KeyShipmentRow[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let header: string[] | undefined;
  const rows: KeyShipmentRow[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const where = `line ${i + 1}`;
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const fields = splitCsvLine(line, where);
    if (!header) {
      header = fields.map((f) => f.toLowerCase());
      for (const h of header) if (!(CSV_COLUMNS as readonly string[]).includes(h)) throw invalid(where, `unknown column ${JSON.stringify(h.slice(0, 40))}`);
      for (const need of ['device_identification', 'secret_type']) if (!header.includes(need)) throw invalid(where, `column ${need} is missing`);
      if (!header.includes('key') && !header.includes('encrypted_key')) throw invalid(where, 'column key or encrypted_key is missing');
      if (new Set(header).size !== header.length) throw invalid(where, 'a column is named twice');
      continue;
    }
    if (fields.length !== header.length) throw invalid(where, `${fields.length} fields, the header has ${header.length}`);
    const get = (name: string) => {
      const idx = header!.indexOf(name);
      return idx < 0 ? undefined : fields[idx];
    };
    rows.push(
      checkRow(
        { where, line: i + 1, deviceId: get('device_identification'), type: get('secret_type'), key: get('key'), encryptedKey: get('encrypted_key'), status: get('status') },
        decryptKey,
      ),
    );
  }
  if (!header) throw invalid('header', 'the shipment is empty');
  return rows;
}

export function parseJsonShipment(text: string, decryptKey?: (hex: string) => Buffer): KeyShipmentRow[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text around the error, which may be key material.
    throw invalid('document', 'is not valid JSON');
  }
  const d = doc as { format?: unknown; version?: unknown; keys?: unknown };
  if (typeof d !== 'object' || d === null || Array.isArray(d)) throw invalid('document', 'must be an object with format, version and keys');
  if (d.format !== KEY_SHIPMENT_FORMAT) throw invalid('document', `format must be "${KEY_SHIPMENT_FORMAT}"`);
  if (d.version !== 1) throw invalid('document', 'version must be 1');
  if (!Array.isArray(d.keys)) throw invalid('document', 'keys must be an array');
  return d.keys.map((entry: unknown, i: number) => {
    const where = `keys[${i}]`;
    if (typeof entry !== 'object' || entry === null) throw invalid(where, 'must be an object');
    const e = entry as Record<string, unknown>;
    for (const k of Object.keys(e)) {
      if (!['deviceIdentification', 'secretType', 'key', 'encryptedKey', 'status'].includes(k)) throw invalid(where, `unknown field ${JSON.stringify(k.slice(0, 40))}`);
    }
    return checkRow({ where, line: i + 1, deviceId: e.deviceIdentification, type: e.secretType, key: e.key, encryptedKey: e.encryptedKey, status: e.status }, decryptKey);
  });
}

/** Parses and checks a whole shipment; refuses a (device, type) that appears twice. */
export function parseKeyShipment(text: string, format: KeyShipmentFormat, decryptKey?: (hex: string) => Buffer): KeyShipmentRow[] {
  if (format !== 'csv' && format !== 'json') throw invalid('document', 'format must be csv or json');
  const rows = format === 'csv' ? parseCsvShipment(text, decryptKey) : parseJsonShipment(text, decryptKey);
  const seen = new Map<string, number>();
  for (const r of rows) {
    const k = `${r.deviceId}\u0000${r.type}`;
    const first = seen.get(k);
    if (first !== undefined) {
      for (const x of rows) x.key.fill(0);
      throw invalid(`line ${r.line}`, `${r.type} for ${r.deviceId} also appears at ${format === 'csv' ? 'line' : 'entry'} ${first}`);
    }
    seen.set(k, r.line);
  }
  return rows;
}
