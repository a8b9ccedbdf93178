/** RFC 3394 AES key wrap with the default IV A6A6A6A6A6A6A6A6 (docs/dlms.md#global-key-transfer-class-64), via node:crypto id-aes128-wrap. */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { checkKey, decipherError, keyError } from './crypto.ts';

const DEFAULT_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');

export function aesKeyWrap(kek: Buffer, key: Buffer): Buffer {
  checkKey(kek, 'key-encryption key');
  if (!Buffer.isBuffer(key) || key.length < 16 || key.length % 8 !== 0) throw keyError('key to wrap must be a multiple of 8 bytes, at least 16');
  const c = createCipheriv('id-aes128-wrap', kek, DEFAULT_IV);
  return Buffer.concat([c.update(key), c.final()]);
}

/** Throws UNABLE_TO_DECYPHER when the integrity check fails (wrong KEK or altered data). */
export function aesKeyUnwrap(kek: Buffer, wrapped: Buffer): Buffer {
  checkKey(kek, 'key-encryption key');
  if (!Buffer.isBuffer(wrapped) || wrapped.length < 24 || wrapped.length % 8 !== 0) {
    throw decipherError(`wrapped key must be a multiple of 8 bytes, at least 24, got ${Buffer.isBuffer(wrapped) ? wrapped.length : typeof wrapped}`);
  }
  try {
    const d = createDecipheriv('id-aes128-wrap', kek, DEFAULT_IV);
    return Buffer.concat([d.update(wrapped), d.final()]);
  } catch {
    throw decipherError('AES key unwrap: integrity check failed (wrong key-encryption key or altered data)');
  }
}
