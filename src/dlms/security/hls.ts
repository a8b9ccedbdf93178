/**
 * HLS5-GMAC pass 3/4 (docs/dlms.md#hls5-gmac):
 *   f(StoC) = 10 ‖ IC_c ‖ GMAC12(EK, IV = ST_client ‖ IC_c, AAD = 10 ‖ AK ‖ StoC)   (client → meter)
 *   f(CtoS) = 10 ‖ IC_m ‖ GMAC12(EK, IV = ST_meter  ‖ IC_m, AAD = 10 ‖ AK ‖ CtoS)   (meter → client)
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { type CipheringKeys, GLO_TAG_LENGTH, currentGloIv } from './glo.ts';
import { checkKey, gcmEncrypt } from './crypto.ts';

export const HLS_GMAC_SC = 0x10;
/** SC(1) ‖ IC(4) ‖ GMAC(12). */
export const HLS_GMAC_LENGTH = 17;
const EMPTY = Buffer.alloc(0);

/**
 * f(challenge) computed by the party whose system title and invocation counter are given: the client answers the
 * meter's StoC with its own title, the meter answers the client's CtoS with its own.
 */
export function hlsGmac(p: { challenge: Buffer; systemTitle: Buffer; invocationCounter: number; keys: CipheringKeys }): Buffer {
  const ek = checkKey(p.keys.ek, 'encryption key');
  const ak = checkKey(p.keys.ak, 'authentication key');
  const iv = currentGloIv(p.systemTitle, p.invocationCounter);
  const aad = Buffer.allocUnsafe(1 + ak.length + p.challenge.length);
  aad[0] = HLS_GMAC_SC;
  ak.copy(aad, 1);
  p.challenge.copy(aad, 1 + ak.length);
  const { tag } = gcmEncrypt(ek, iv, EMPTY, aad, GLO_TAG_LENGTH);
  const out = Buffer.allocUnsafe(HLS_GMAC_LENGTH);
  out[0] = HLS_GMAC_SC;
  out.writeUInt32BE(p.invocationCounter, 1);
  tag.copy(out, 5);
  return out;
}

/**
 * Checks a received f(challenge): `systemTitle` is the sender's (the meter's title from the AARE when the client
 * checks f(CtoS)). Returns the sender's invocation counter carried in it; never throws on a wrong value.
 */
export function verifyHlsGmac(fValue: Buffer, p: { challenge: Buffer; systemTitle: Buffer; keys: CipheringKeys }): { valid: boolean; invocationCounter?: number } {
  if (!Buffer.isBuffer(fValue) || fValue.length !== HLS_GMAC_LENGTH || fValue[0] !== HLS_GMAC_SC) return { valid: false };
  const invocationCounter = fValue.readUInt32BE(1);
  const expected = hlsGmac({ challenge: p.challenge, systemTitle: p.systemTitle, invocationCounter, keys: p.keys });
  return { valid: timingSafeEqual(expected, fValue), invocationCounter };
}

/**
 * A fresh random HLS challenge (CtoS or StoC) of `length` bytes, 8..64 for HLS5-GMAC (DLMS Green Book, HLS
 * authentication): one randomBytes call each. Node serves small requests from OpenSSL's CSPRNG in user space.
 */
export function hlsChallenge(length = 16): Buffer {
  return randomBytes(length);
}
