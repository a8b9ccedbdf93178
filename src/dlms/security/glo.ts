/**
 * Glo-ciphering with security suite 0 (docs/dlms.md#ciphering): AES-128-GCM, 12-byte tag, IV = sender system title ‖ IC.
 *   SC 0x30 (authenticated encryption): C = GCM(EK, IV, plaintext), AAD = SC ‖ AK
 *   SC 0x10 (authentication only):      plaintext in clear, T = GMAC(EK, IV, AAD = SC ‖ AK ‖ plaintext)
 */
import { axdrLengthSize, decodeError, encodeError, writeAxdrLength } from '../bytes.ts';
import { GENERAL_DED_CIPHERING_TAG, GENERAL_GLO_CIPHERING_TAG, GLO_TAG_FOR, GeneralGloCiphering, GloCipheredApdu, PLAIN_TAG_FOR } from '../apdu/ciphered.ts';
import { checkKey, checkSystemTitle, decipherError, gcmDecrypt, gcmEncryptInto } from './crypto.ts';

const EMPTY = Buffer.alloc(0);

export const SecurityControl = {
  AUTHENTICATED: 0x10,
  ENCRYPTED: 0x20,
  AUTHENTICATED_ENCRYPTED: 0x30,
} as const;

export const GLO_TAG_LENGTH = 12;

export interface CipheringKeys {
  /** Global unicast encryption key (EK). */
  ek: Buffer;
  /** Authentication key (AK), used only inside the AAD. */
  ak: Buffer;
}

export function gloIv(systemTitle: Buffer, invocationCounter: number): Buffer {
  return writeGloIv(Buffer.allocUnsafe(12), systemTitle, invocationCounter);
}

/**
 * The IV of the APDU being (de)ciphered now: AES-GCM reads it synchronously and keeps nothing, so one buffer serves
 * every call (the IV is public: it travels in the APDU).
 */
const scratchIv = Buffer.alloc(12);
export function currentGloIv(systemTitle: Buffer, invocationCounter: number): Buffer {
  return writeGloIv(scratchIv, systemTitle, invocationCounter);
}

function writeGloIv(iv: Buffer, systemTitle: Buffer, invocationCounter: number): Buffer {
  checkSystemTitle(systemTitle);
  if (!Number.isInteger(invocationCounter) || invocationCounter < 0 || invocationCounter > 0xffffffff) {
    throw encodeError(`invocation counter ${invocationCounter} is outside 0..2^32-1`);
  }
  systemTitle.copy(iv, 0);
  iv.writeUInt32BE(invocationCounter, 8);
  return iv;
}

/** AAD = SC ‖ AK (‖ plaintext for SC 0x10), built in one allocation. */
function gloAad(sc: number, ak: Buffer, plaintext?: Buffer): Buffer {
  const aad = Buffer.allocUnsafe(1 + ak.length + (plaintext?.length ?? 0));
  aad[0] = sc;
  ak.copy(aad, 1);
  if (plaintext) plaintext.copy(aad, 1 + ak.length);
  return aad;
}

function checkSc(sc: number, forDecrypt: boolean): void {
  // Suite 0 only (bits 0-3), no compression, unicast or broadcast key set; authentication is mandatory here.
  const ok = sc === 0x30 || sc === 0x10;
  if (!ok) {
    const msg = `security control 0x${sc.toString(16).padStart(2, '0')} is not supported (only 0x30 and 0x10 of suite 0)`;
    throw forDecrypt ? decipherError(msg) : encodeError(msg);
  }
}

/** Protects `plaintext` and returns content = (ciphertext or plaintext) ‖ T(12). */
export function gloProtect(p: { plaintext: Buffer; systemTitle: Buffer; invocationCounter: number; keys: CipheringKeys; securityControl?: number }): Buffer {
  const out = Buffer.allocUnsafe(p.plaintext.length + GLO_TAG_LENGTH);
  gloSealInto(p, out, 0);
  return out;
}

/** Writes (ciphertext or, for SC 0x10, plaintext) ‖ T(12) into `out` at `offset`. */
function gloSealInto(p: { plaintext: Buffer; systemTitle: Buffer; invocationCounter: number; keys: CipheringKeys; securityControl?: number }, out: Buffer, offset: number): void {
  const sc = p.securityControl ?? SecurityControl.AUTHENTICATED_ENCRYPTED;
  checkSc(sc, false);
  const ek = checkKey(p.keys.ek, 'encryption key');
  const ak = checkKey(p.keys.ak, 'authentication key');
  const iv = currentGloIv(p.systemTitle, p.invocationCounter);
  if (sc === 0x30) {
    gcmEncryptInto(ek, iv, p.plaintext, gloAad(sc, ak), GLO_TAG_LENGTH, out, offset);
    return;
  }
  p.plaintext.copy(out, offset);
  gcmEncryptInto(ek, iv, EMPTY, gloAad(sc, ak, p.plaintext), GLO_TAG_LENGTH, out, offset + p.plaintext.length);
}

/** Verifies and (for SC 0x30) deciphers content = (ciphertext or plaintext) ‖ T(12). Throws UNABLE_TO_DECYPHER. */
export function gloUnprotect(p: { content: Buffer; securityControl: number; systemTitle: Buffer; invocationCounter: number; keys: CipheringKeys }): Buffer {
  checkSc(p.securityControl, true);
  const ek = checkKey(p.keys.ek, 'encryption key');
  const ak = checkKey(p.keys.ak, 'authentication key');
  if (p.content.length < GLO_TAG_LENGTH) throw decipherError(`ciphered content of ${p.content.length} byte(s) is shorter than the ${GLO_TAG_LENGTH}-byte tag`);
  const iv = currentGloIv(p.systemTitle, p.invocationCounter);
  const body = p.content.subarray(0, p.content.length - GLO_TAG_LENGTH);
  const tag = p.content.subarray(p.content.length - GLO_TAG_LENGTH);
  if (p.securityControl === 0x30) return gcmDecrypt(ek, iv, body, gloAad(0x30, ak), tag, 'glo-ciphered APDU');
  gcmDecrypt(ek, iv, EMPTY, gloAad(p.securityControl, ak, body), tag, 'glo-authenticated APDU');
  return Buffer.from(body);
}

/**
 * Builds the glo-ciphered wire APDU for a plain xDLMS APDU; the glo tag follows from the plain tag
 * (C0 → C8, C3 → CB, C4 → CC, 01 → 21, 08 → 28 …). `systemTitle` is the SENDER's.
 */
export function gloEncrypt(p: { plaintext: Buffer; systemTitle: Buffer; invocationCounter: number; keys: CipheringKeys; securityControl?: number }): Buffer {
  if (p.plaintext.length === 0) throw encodeError('cannot cipher an empty APDU');
  const tag = GLO_TAG_FOR.get(p.plaintext[0]!);
  if (tag === undefined) throw encodeError(`APDU tag 0x${p.plaintext[0]!.toString(16)} has no glo-ciphered form`);
  const sc = p.securityControl ?? 0x30;
  // tag | A-XDR length | SC | IC | ciphertext | T written once (the same bytes as GloCipheredApdu.encode()).
  const len = 5 + p.plaintext.length + GLO_TAG_LENGTH;
  const out = Buffer.allocUnsafe(1 + axdrLengthSize(len) + len);
  out[0] = tag;
  let o = writeAxdrLength(out, 1, len);
  out[o++] = sc;
  o = out.writeUInt32BE(p.invocationCounter, o);
  gloSealInto(p, out, o);
  return out;
}

export interface DecipheredApdu {
  plaintext: Buffer;
  /** The sender's invocation counter (the receiver checks it is increasing). */
  invocationCounter: number;
  securityControl: number;
  /** The glo tag the APDU arrived with. */
  tag: number;
}

/**
 * Verifies and deciphers a glo-ciphered wire APDU. `systemTitle` is the SENDER's (the meter's title for responses).
 * Malformed containers throw DECODE_ERROR; a tag that does not verify, or a plaintext whose tag does not match the
 * glo tag, throws UNABLE_TO_DECYPHER.
 */
export function gloDecrypt(apdu: Buffer | GloCipheredApdu, p: { systemTitle: Buffer; keys: CipheringKeys }): DecipheredApdu {
  const glo = Buffer.isBuffer(apdu) ? GloCipheredApdu.decode(apdu) : apdu;
  const plaintext = gloUnprotect({ content: glo.content, securityControl: glo.securityControl, systemTitle: p.systemTitle, invocationCounter: glo.invocationCounter, keys: p.keys });
  const expected = PLAIN_TAG_FOR.get(glo.tag);
  if (plaintext.length === 0 || plaintext[0] !== expected) {
    throw decipherError(`deciphered APDU does not start with the tag 0x${expected?.toString(16)} that glo tag 0x${glo.tag.toString(16)} announces`);
  }
  return { plaintext, invocationCounter: glo.invocationCounter, securityControl: glo.securityControl, tag: glo.tag };
}

/**
 * general-glo-ciphering (DB): the sender's system title travels inside the APDU; with `dedicated` the same layout
 * as general-ded-ciphering (DC), `keys.ek` being the dedicated key from the xDLMS InitiateRequest.
 */
export function generalGloEncrypt(p: { plaintext: Buffer; systemTitle: Buffer; invocationCounter: number; keys: CipheringKeys; securityControl?: number; dedicated?: boolean }): Buffer {
  const content = gloProtect(p);
  const tag = p.dedicated ? GENERAL_DED_CIPHERING_TAG : GENERAL_GLO_CIPHERING_TAG;
  return new GeneralGloCiphering({ tag, systemTitle: p.systemTitle, securityControl: p.securityControl ?? 0x30, invocationCounter: p.invocationCounter, content }).encode();
}

/**
 * Verifies and deciphers a general-glo-ciphering (or general-ded-ciphering) APDU. The IV uses the system title the
 * APDU carries; one that carries none (length 0) uses `systemTitle`, the sender's title known from the
 * association. Malformed containers throw DECODE_ERROR, a tag that does not verify UNABLE_TO_DECYPHER.
 */
export function generalGloDecrypt(apdu: Buffer | GeneralGloCiphering, p: { keys: CipheringKeys; systemTitle?: Buffer }): DecipheredApdu & { systemTitle: Buffer } {
  const g = Buffer.isBuffer(apdu) ? GeneralGloCiphering.decode(apdu) : apdu;
  const systemTitle = g.systemTitle.length === 0 && p.systemTitle !== undefined ? p.systemTitle : g.systemTitle;
  if (systemTitle.length !== 8) throw decodeError(`general-glo-ciphering: system title must be 8 bytes, got ${systemTitle.length}`);
  const plaintext = gloUnprotect({ content: g.content, securityControl: g.securityControl, systemTitle, invocationCounter: g.invocationCounter, keys: p.keys });
  if (plaintext.length === 0) throw decipherError('general-glo-ciphering carries an empty APDU');
  return { plaintext, invocationCounter: g.invocationCounter, securityControl: g.securityControl, tag: g.tag, systemTitle };
}
