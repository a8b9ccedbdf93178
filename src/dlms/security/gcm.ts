/**
 * AES-128-GCM (NIST SP 800-38D, 96-bit IVs) through node:crypto, a fresh cipher per message.
 *
 * The cipher, the tag computation and the tag comparison are OpenSSL's: nothing here owns cipher code, keeps a key
 * between calls or compares secret bytes itself. Decryption hands out no plaintext before `final()` has verified
 * the tag; a tag of a length GCM does not allow, or one that does not verify, gives `undefined` and the bytes
 * deciphered so far are wiped.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { encodeError } from '../bytes.ts';

const KEY_LENGTH = 16;
const IV_LENGTH = 12;
/** Tag lengths SP 800-38D allows (the set node:crypto accepts for GCM). */
const TAG_LENGTHS: ReadonlySet<number> = new Set([4, 8, 12, 13, 14, 15, 16]);

function checkInputs(key: Buffer, iv: Buffer): void {
  if (key.length !== KEY_LENGTH) throw encodeError('AES-128-GCM needs a 16-byte key');
  if (iv.length !== IV_LENGTH) throw encodeError(`AES-GCM IV must be ${IV_LENGTH} bytes, got ${iv.length}`);
}

function checkTagLength(n: number): void {
  if (!TAG_LENGTHS.has(n)) throw encodeError(`AES-GCM tag length ${n} is not one of 4, 8, 12..16`);
}

/** Enciphers `plaintext` and authenticates it with `aad`; the tag is the first `tagLength` bytes of GCM's. */
export function aesGcmEncrypt(key: Buffer, iv: Buffer, plaintext: Buffer, aad: Buffer, tagLength: number): { ciphertext: Buffer; tag: Buffer } {
  checkInputs(key, iv);
  checkTagLength(tagLength);
  const cipher = createCipheriv('aes-128-gcm', key, iv, { authTagLength: tagLength });
  cipher.setAAD(aad);
  const head = cipher.update(plaintext);
  const tail = cipher.final();
  const ciphertext = tail.length === 0 ? head : Buffer.concat([head, tail]);
  return { ciphertext, tag: cipher.getAuthTag() };
}

/** As aesGcmEncrypt(), writing ciphertext ‖ tag into `out` at `offset` (an APDU is then built in one buffer). */
export function aesGcmEncryptInto(key: Buffer, iv: Buffer, plaintext: Buffer, aad: Buffer, tagLength: number, out: Buffer, offset: number): void {
  checkTagLength(tagLength);
  if (offset < 0 || offset + plaintext.length + tagLength > out.length) throw encodeError('AES-GCM output does not fit');
  const { ciphertext, tag } = aesGcmEncrypt(key, iv, plaintext, aad, tagLength);
  ciphertext.copy(out, offset);
  tag.copy(out, offset + ciphertext.length);
}

/**
 * The plaintext, or undefined when the tag does not verify or has a length GCM does not allow. node:crypto
 * compares the tag in `final()`; only then is the plaintext returned.
 */
export function aesGcmDecrypt(key: Buffer, iv: Buffer, ciphertext: Buffer, aad: Buffer, tag: Buffer): Buffer | undefined {
  checkInputs(key, iv);
  if (!TAG_LENGTHS.has(tag.length)) return undefined;
  const decipher = createDecipheriv('aes-128-gcm', key, iv, { authTagLength: tag.length });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  const head = decipher.update(ciphertext);
  try {
    const tail = decipher.final();
    return tail.length === 0 ? head : Buffer.concat([head, tail]);
  } catch {
    head.fill(0);
    return undefined;
  }
}
