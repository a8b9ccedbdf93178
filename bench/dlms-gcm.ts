/**
 * CPU microseconds per AES-128-GCM operation on a glo-ciphered APDU (40 bytes, AAD = SC ‖ AK, 12-byte tag) through
 * src/dlms/security/gcm.ts: node:crypto with a fresh cipher per message, as every APDU uses it.
 *
 *   node --import tsx bench/dlms-gcm.ts [operations, default 300000]
 *   npm run bench -- gcm
 */
import { randomBytes } from 'node:crypto';
import { aesGcmDecrypt, aesGcmEncrypt } from '../src/dlms/security/gcm.ts';

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

const sealed = aesGcmEncrypt(key, iv, plaintext, aad, TAG);

console.log(`AES-128-GCM, ${plaintext.length}-byte APDU, ${aad.length}-byte AAD, ${TAG}-byte tag (Node ${process.version}, ${n} operations each)`);
measure('encrypt (new node:crypto cipher per message)', () => aesGcmEncrypt(key, iv, plaintext, aad, TAG));
measure('decrypt (new node:crypto cipher per message)', () => {
  if (aesGcmDecrypt(key, iv, sealed.ciphertext, aad, sealed.tag) === undefined) throw new Error('tag does not verify');
});
