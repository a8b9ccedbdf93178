/** Small helpers shared by the DLMS security functions: key checks, errors, AES-GCM (gcm.ts, node:crypto). Messages never carry key material. */
import { ErrorCode, MeterfabricError } from '../../errors.ts';
import { aesGcmDecrypt, aesGcmEncrypt, aesGcmEncryptInto } from './gcm.ts';

export function decipherError(message: string, cause?: unknown): MeterfabricError {
  return new MeterfabricError(ErrorCode.UNABLE_TO_DECYPHER, message, { component: 'PROTOCOL_DLMS', cause: cause instanceof MeterfabricError ? cause : undefined });
}

export function keyError(message: string): MeterfabricError {
  return new MeterfabricError(ErrorCode.INVALID_DLMS_KEY_FORMAT, message, { component: 'PROTOCOL_DLMS' });
}

/** Checks a 16-byte AES-128 key without ever printing it. */
export function checkKey(key: Buffer, name: string): Buffer {
  if (!Buffer.isBuffer(key) || key.length !== 16) throw keyError(`${name} must be a 16-byte AES-128 key`);
  return key;
}

export function checkSystemTitle(st: Buffer, name = 'system title'): Buffer {
  if (!Buffer.isBuffer(st) || st.length !== 8) throw keyError(`${name} must be 8 bytes, got ${Buffer.isBuffer(st) ? st.length : typeof st}`);
  return st;
}

/** AES-128-GCM (gcm.ts). */
export function gcmEncrypt(key: Buffer, iv: Buffer, plaintext: Buffer, aad: Buffer, tagLength: number): { ciphertext: Buffer; tag: Buffer } {
  return aesGcmEncrypt(key, iv, plaintext, aad, tagLength);
}

/** Writes ciphertext ‖ tag into `out` at `offset`. */
export function gcmEncryptInto(key: Buffer, iv: Buffer, plaintext: Buffer, aad: Buffer, tagLength: number, out: Buffer, offset: number): void {
  aesGcmEncryptInto(key, iv, plaintext, aad, tagLength, out, offset);
}

/** Throws UNABLE_TO_DECYPHER when the tag does not verify. */
export function gcmDecrypt(key: Buffer, iv: Buffer, ciphertext: Buffer, aad: Buffer, tag: Buffer, what: string): Buffer {
  const plaintext = aesGcmDecrypt(key, iv, ciphertext, aad, tag);
  if (plaintext === undefined) throw decipherError(`${what}: authentication tag does not verify (wrong key, system title or invocation counter, or altered data)`);
  return plaintext;
}
