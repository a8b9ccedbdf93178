/**
 * Key-encryption-key (KEK) providers. A provider wraps and unwraps the per-secret data keys (README "Envelope
 * format"); the store never sees a provider's key. Two providers exist:
 * - software (the default): a 256-bit KEK from the environment (METERFABRIC_KEK, hex) or from a file in the data
 *   folder, created with owner-only permissions (mode 0600) on first start;
 * - PKCS#11 (./pkcs11-kek.ts): the KEK is a non-extractable AES key inside a token.
 * Both wrap with AES-256-GCM (nonce ‖ ciphertext ‖ tag), so their wrapped keys have one format.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, MeterfabricError } from '../errors.ts';
import { aesGcmDecrypt, aesGcmEncrypt, NONCE_BYTES, TAG_BYTES } from './envelope.ts';

export interface KekProvider {
  /** 'software' or 'pkcs11' (secret_kek.provider). */
  readonly kind: 'software' | 'pkcs11';
  /** Stable, non-secret name of this KEK (secret_kek.reference): a key check value or a token object name. */
  readonly reference: string;
  /** Wraps a data key; the result is nonce ‖ ciphertext ‖ tag. */
  wrap(dataKey: Buffer, aad: Buffer): Promise<Buffer>;
  /** Unwraps a data key; throws DECRYPTION_EXCEPTION when it does not authenticate. */
  unwrap(wrapped: Buffer, aad: Buffer): Promise<Buffer>;
  /** Random bytes from the provider's generator (an HSM's RNG); absent means node:crypto's CSPRNG is used. */
  randomBytes?(length: number): Promise<Buffer>;
  close(): Promise<void>;
}

export const KEK_BYTES = 32;
export const KEK_FILE_NAME = 'secret-kek.hex';

function fail(message: string, cause?: unknown): MeterfabricError {
  return new MeterfabricError(ErrorCode.KEK_UNAVAILABLE, message, { component: 'SECRET_MANAGEMENT', cause });
}

/** Key check value: names a software KEK without revealing it (HMAC, so it gives nothing about the key). */
export function keyCheckValue(kek: Buffer): string {
  return createHmac('sha256', kek).update('meterfabric kek check value').digest('hex').slice(0, 16);
}

export class SoftwareKekProvider implements KekProvider {
  readonly kind = 'software' as const;
  readonly reference: string;
  /** The KEK file this provider was read from, and whether opening it created it (a new random KEK). */
  source?: { path: string; created: boolean };
  #kek: Buffer;

  constructor(kek: Buffer) {
    if (kek.length !== KEK_BYTES) throw fail(`a software KEK has ${KEK_BYTES} bytes`);
    this.#kek = Buffer.from(kek);
    this.reference = `software:kcv=${keyCheckValue(this.#kek)}`;
  }

  /** A fresh random KEK (for rotation and tests). */
  static generate(): SoftwareKekProvider {
    const k = randomBytes(KEK_BYTES);
    try {
      return new SoftwareKekProvider(k);
    } finally {
      k.fill(0);
    }
  }

  /** From hex text (METERFABRIC_KEK). The message never echoes the text. */
  static fromHex(hex: string): SoftwareKekProvider {
    const t = hex.trim();
    if (!/^[0-9a-fA-F]{64}$/.test(t)) throw fail(`a software KEK is ${KEK_BYTES * 2} hex digits`);
    return new SoftwareKekProvider(Buffer.from(t, 'hex'));
  }

  /**
   * Reads `<dataDir>/secret-kek.hex`, creating it (mode 0600, exclusive create so two starting processes agree)
   * when absent. A file readable by group or others is refused, as ssh refuses such private keys.
   */
  static fromFile(dataDir: string): SoftwareKekProvider {
    const path = join(dataDir, KEK_FILE_NAME);
    let created = false;
    if (!existsSync(path)) {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      const k = randomBytes(KEK_BYTES);
      try {
        const fd = openSync(path, 'wx', 0o600);
        try {
          writeSync(fd, k.toString('hex') + '\n');
          created = true;
        } finally {
          closeSync(fd);
        }
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fail(`cannot create the KEK file ${path}`, e);
      } finally {
        k.fill(0);
      }
    }
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw fail(`cannot open the KEK file ${path}`, e);
    }
    try {
      const mode = fstatSync(fd).mode;
      if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
        throw fail(`the KEK file ${path} is accessible by group or others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`);
      }
      const provider = SoftwareKekProvider.fromHex(readFileSync(fd, 'utf8'));
      provider.source = { path, created };
      return provider;
    } finally {
      closeSync(fd);
    }
  }

  async wrap(dataKey: Buffer, aad: Buffer): Promise<Buffer> {
    const nonce = randomBytes(NONCE_BYTES);
    return Buffer.concat([nonce, aesGcmEncrypt(this.#kek, nonce, dataKey, aad)]);
  }

  async unwrap(wrapped: Buffer, aad: Buffer): Promise<Buffer> {
    if (wrapped.length < NONCE_BYTES + TAG_BYTES) throw new MeterfabricError(ErrorCode.DECRYPTION_EXCEPTION, 'wrapped key is malformed', { component: 'SECRET_MANAGEMENT' });
    return aesGcmDecrypt(this.#kek, wrapped.subarray(0, NONCE_BYTES), wrapped.subarray(NONCE_BYTES), aad);
  }

  async close(): Promise<void> {
    this.#kek.fill(0);
  }

  /** Keeps the key out of console.log / util.inspect output. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `SoftwareKekProvider(${this.reference})`;
  }

  toJSON(): Record<string, string> {
    return { kind: this.kind, reference: this.reference };
  }
}

export interface DefaultKekOptions {
  /** Data folder holding secret-kek.hex. */
  dataDir: string;
  /** Environment to read METERFABRIC_KEK from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** The default provider: METERFABRIC_KEK when set, else the KEK file in the data folder. */
export function openDefaultKek(options: DefaultKekOptions): SoftwareKekProvider {
  const env = options.env ?? process.env;
  const hex = env.METERFABRIC_KEK;
  if (hex !== undefined && hex !== '') return SoftwareKekProvider.fromHex(hex);
  return SoftwareKekProvider.fromFile(options.dataDir);
}
