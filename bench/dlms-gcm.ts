/**
 * CPU microseconds per AES-128-GCM operation on a glo-ciphered APDU (40 bytes, AAD = SC ‖ AK, 12-byte tag):
 * node:crypto's createCipheriv/createDecipheriv per message against the kept per-key context of
 * src/dlms/security/gcm.ts, plus the single AES-ECB call that context makes per message.
 *
 *   node --import tsx bench/dlms-gcm.ts [operations, default 300000]
 *   npm run bench -- gcm
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { aesGcm128 } from '../src/dlms/security/gcm.ts';

const n = Number(process.argv[2] ?? 300_000);
const key = randomBytes(16);
const iv = randomBytes(12);
const aad = Buffer.concat([Buffer.from([0x30]), randomBytes(16)]);
const plaintext = randomBytes(40);
const TAG = 12;

function measure(label: string, op: () => void): void {
  for (let i = 0; i < Math.min(n, 30_000); i++) op();
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) op();
  const c = process.cpuUsage(c0);
  console.log(`   ${label.padEnd(44)} ${((c.user + c.system) / n).toFixed(2).padStart(6)} µs CPU/operation`);
}

const sealed = aesGcm128(key).encrypt(iv, plaintext, aad, TAG);
const ecb = createCipheriv('aes-128-ecb', key, null);
ecb.setAutoPadding(false);
const fourBlocks = Buffer.alloc(64);

console.log(`AES-128-GCM, ${plaintext.length}-byte APDU, ${aad.length}-byte AAD, ${TAG}-byte tag (Node ${process.version}, ${n} operations each)`);
measure('node:crypto encrypt (new context per message)', () => {
  const c = createCipheriv('aes-128-gcm', key, iv, { authTagLength: TAG });
  c.setAAD(aad);
  c.update(plaintext);
  c.final();
  c.getAuthTag();
});
measure('node:crypto decrypt (new context per message)', () => {
  const d = createDecipheriv('aes-128-gcm', key, iv, { authTagLength: TAG });
  d.setAAD(aad);
  d.setAuthTag(sealed.tag);
  d.update(sealed.ciphertext);
  d.final();
});
measure('kept context encrypt (gcm.ts)', () => aesGcm128(key).encrypt(iv, plaintext, aad, TAG));
measure('kept context decrypt (gcm.ts)', () => {
  if (aesGcm128(key).decrypt(iv, sealed.ciphertext, aad, sealed.tag) === undefined) throw new Error('tag does not verify');
});
measure('of which: one AES-ECB call of 4 blocks', () => ecb.update(fourBlocks));
