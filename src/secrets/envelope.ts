/**
 * Envelope encryption of one secret (README "Envelope format").
 *
 * A fresh 256-bit data key per secret encrypts the secret with AES-256-GCM under a fresh random 96-bit nonce; the
 * associated data binds the ciphertext to its device, type and version (the row id), so a ciphertext copied to
 * another row does not decrypt. The data key is then wrapped by the KEK provider, bound to the same version.
 * KEK rotation re-wraps only the data key; the secret's ciphertext never changes.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ErrorCode, MeterfabricError } from '../errors.ts';
import type { KekProvider } from './kek.ts';

export const DATA_KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

export interface Sealed {
  ciphertext: Buffer; // ciphertext ‖ 16-byte tag
  nonce: Buffer;
  wrappedKey: Buffer;
}

/** Associated data of a secret: length-safe (JSON) so that no two (device, type, version) triples collide. */
export function secretAad(scope: string, ...parts: (string | number)[]): Buffer {
  return Buffer.from(JSON.stringify(['meterfabric/secret/1', scope, ...parts.map(String)]), 'utf8');
}

export function dataKeyAad(scope: string, version: string | number): Buffer {
  return Buffer.from(JSON.stringify(['meterfabric/data-key/1', scope, String(version)]), 'utf8');
}

export function aesGcmEncrypt(key: Buffer, nonce: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const c = createCipheriv(key.length === 16 ? 'aes-128-gcm' : 'aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  c.setAAD(aad);
  const out = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
  return out;
}

/** Throws DECRYPTION_EXCEPTION without detail: which byte failed is no one's business. */
export function aesGcmDecrypt(key: Buffer, nonce: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  if (sealed.length < TAG_BYTES || nonce.length !== NONCE_BYTES) {
    throw new MeterfabricError(ErrorCode.DECRYPTION_EXCEPTION, 'sealed secret is malformed', { component: 'SECRET_MANAGEMENT' });
  }
  try {
    const d = createDecipheriv(key.length === 16 ? 'aes-128-gcm' : 'aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - TAG_BYTES)), d.final()]);
  } catch {
    throw new MeterfabricError(ErrorCode.DECRYPTION_EXCEPTION, 'secret does not authenticate (wrong KEK, or ciphertext moved or altered)', {
      component: 'SECRET_MANAGEMENT',
    });
  }
}

/** scope: 'secret' for meter secrets, 'keypair' for the platform's own key pairs. */
export async function seal(kek: KekProvider, plaintext: Buffer, scope: string, version: string | number, bind: (string | number)[]): Promise<Sealed> {
  const dataKey = randomBytes(DATA_KEY_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  try {
    const ciphertext = aesGcmEncrypt(dataKey, nonce, plaintext, secretAad(scope, ...bind, version));
    const wrappedKey = await kek.wrap(dataKey, dataKeyAad(scope, version));
    return { ciphertext, nonce, wrappedKey };
  } finally {
    dataKey.fill(0);
  }
}

export async function unseal(kek: KekProvider, sealed: Sealed, scope: string, version: string | number, bind: (string | number)[]): Promise<Buffer> {
  const dataKey = await kek.unwrap(sealed.wrappedKey, dataKeyAad(scope, version));
  try {
    return aesGcmDecrypt(dataKey, sealed.nonce, sealed.ciphertext, secretAad(scope, ...bind, version));
  } finally {
    dataKey.fill(0);
  }
}

/** Re-wraps a data key from one KEK to another without touching the secret's ciphertext. */
export async function rewrap(from: KekProvider, to: KekProvider, wrappedKey: Buffer, scope: string, version: string | number): Promise<Buffer> {
  const aad = dataKeyAad(scope, version);
  const dataKey = await from.unwrap(wrappedKey, aad);
  try {
    return await to.wrap(dataKey, aad);
  } finally {
    dataKey.fill(0);
  }
}
