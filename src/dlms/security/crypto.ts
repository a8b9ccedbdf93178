/** Small wrappers over node:crypto shared by the DLMS security functions. Messages never carry key material. */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { ErrorCode, MeterfabricError } from '../../errors.ts';

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

const EMPTY = Buffer.alloc(0);

// GCM is a stream mode: update() returns every byte and final() none, so the two are not concatenated (one copy
// less per APDU on the hot path); final() still runs for the tag.
export function gcmEncrypt(key: Buffer, iv: Buffer, plaintext: Buffer, aad: Buffer, tagLength: number): { ciphertext: Buffer; tag: Buffer } {
  const c = createCipheriv('aes-128-gcm', key, iv, { authTagLength: tagLength });
  if (aad.length > 0) c.setAAD(aad);
  const ciphertext = plaintext.length > 0 ? c.update(plaintext) : EMPTY;
  c.final();
  return { ciphertext, tag: c.getAuthTag() };
}

/** Throws UNABLE_TO_DECYPHER when the tag does not verify. */
export function gcmDecrypt(key: Buffer, iv: Buffer, ciphertext: Buffer, aad: Buffer, tag: Buffer, what: string): Buffer {
  try {
    const d = createDecipheriv('aes-128-gcm', key, iv, { authTagLength: tag.length });
    if (aad.length > 0) d.setAAD(aad);
    d.setAuthTag(tag);
    const plaintext = ciphertext.length > 0 ? d.update(ciphertext) : EMPTY;
    d.final();
    return plaintext;
  } catch {
    throw decipherError(`${what}: authentication tag does not verify (wrong key, system title or invocation counter, or altered data)`);
  }
}
