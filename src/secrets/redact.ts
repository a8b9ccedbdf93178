/**
 * Keeping key material out of logs (GXF-SEMANTICS §19 weakness 8; CONVENTIONS "Key material never reaches a log
 * line"). Two layers for pino:
 * - `pinoRedact`: pino's `redact` option, censoring fields whose names say they hold secrets;
 * - `redactValue` / `pinoFormatters` / `pinoSerializers`: a structural pass that replaces every byte buffer and
 *   KeyObject by its length, and every field with a secret-sounding name, wherever it sits in the object.
 * And one test utility, `assertNoKeyMaterial`, that searches text for keys in hex (both cases) and base64.
 *
 * Usage: pino({ redact: pinoRedact, formatters: pinoFormatters, serializers: pinoSerializers }).
 */
import { KeyObject } from 'node:crypto';

export const REDACTED = '[REDACTED]';

/** Field names (case-insensitive, exact) whose values are never logged. */
const SECRET_FIELD = /^(key|keys|secret|secrets|password|passwd|pin|kek|dek|dataKey|privateKey|private_key|masterKey|master_key|authenticationKey|encryptionKey|encryption_key|authentication_key|plaintext|encodedSecret|encoded_secret|userKey|defaultKey|newKey|oldKey|authorization|cookie)$/i;
/** Any name containing one of these is secret too (e.g. Mbus_user_key, Global_encryption_unicast_key). */
const SECRET_FRAGMENT = /(_key$|Key$|password)/i;

export function isSecretFieldName(name: string): boolean {
  return SECRET_FIELD.test(name) || SECRET_FRAGMENT.test(name);
}

const PINO_FIELDS = ['key', 'keys', 'secret', 'password', 'pin', 'kek', 'dek', 'privateKey', 'masterKey', 'authenticationKey', 'encryptionKey', 'userKey', 'plaintext'];

/** pino's `redact` option: these paths at the top level and one level down. */
export const pinoRedact = {
  paths: [...PINO_FIELDS, ...PINO_FIELDS.map((f) => `*.${f}`)],
  censor: REDACTED,
};

/**
 * Returns a copy of `value` safe to log: byte buffers become `[bytes:N]`, KeyObjects `[key]`, fields with secret
 * names REDACTED; errors keep name, code and message. Cycles and depth beyond 8 are cut.
 */
export function redactValue(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== 'object') return typeof value === 'bigint' ? value.toString() : value;
  if (Buffer.isBuffer(value) || value instanceof Uint8Array || value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    return `[bytes:${(value as ArrayBuffer).byteLength}]`;
  }
  if (value instanceof KeyObject) return '[key]';
  if (value instanceof Date) return value;
  if (seen.has(value)) return '[circular]';
  if (depth >= 8) return '[depth]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1, seen));
  if (value instanceof Error) {
    const e = value as Error & { code?: unknown; details?: unknown };
    const out: Record<string, unknown> = { type: e.name, message: e.message };
    if (e.code !== undefined) out.code = e.code;
    if (e.details !== undefined) out.details = redactValue(e.details, depth + 1, seen);
    if (e.stack) out.stack = e.stack;
    if (e.cause !== undefined) out.cause = redactValue(e.cause, depth + 1, seen);
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = isSecretFieldName(k) && v !== undefined && v !== null ? REDACTED : redactValue(v, depth + 1, seen);
  }
  return out;
}

/** pino `formatters`: runs redactValue over every log object. */
export const pinoFormatters = {
  log(object: Record<string, unknown>): Record<string, unknown> {
    return redactValue(object) as Record<string, unknown>;
  },
};

/** pino `serializers`: errors through redactValue (their causes may carry buffers). */
export const pinoSerializers = {
  err: (e: unknown) => redactValue(e),
  error: (e: unknown) => redactValue(e),
};

/** The spellings under which a key can leak into text. */
export function keySpellings(key: Buffer): string[] {
  const hex = key.toString('hex');
  const b64 = key.toString('base64');
  const b64url = key.toString('base64url');
  return [...new Set([hex, hex.toUpperCase(), b64, b64.replace(/=+$/, ''), b64url])];
}

/**
 * Test utility: throws when any key occurs in `text` in hex (lower or upper case) or base64 (standard, unpadded,
 * URL-safe). The thrown message names the key's index and spelling, never the key. Keys shorter than 4 bytes
 * are refused (they match by chance).
 */
export function assertNoKeyMaterial(text: string, keys: Buffer[]): void {
  keys.forEach((key, i) => {
    if (key.length < 4) throw new Error(`assertNoKeyMaterial: key #${i} is shorter than 4 bytes and would match by chance`);
    const spellings: [string, string][] = [
      ['hex', key.toString('hex')],
      ['HEX', key.toString('hex').toUpperCase()],
      ['base64', key.toString('base64').replace(/=+$/, '')],
      ['base64url', key.toString('base64url')],
    ];
    for (const [name, s] of spellings) {
      const at = text.indexOf(s);
      if (at >= 0) throw new Error(`key material leaked: key #${i} found as ${name} at offset ${at}`);
    }
    // Hex with mixed case or separators (00:11:… or 00 11 …) is caught by a normalised search.
    const normalised = text.replace(/[\s:-]/g, '').toLowerCase();
    const hexAt = normalised.indexOf(key.toString('hex'));
    if (hexAt >= 0) throw new Error(`key material leaked: key #${i} found as separated or mixed-case hex`);
  });
}
