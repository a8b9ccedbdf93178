/**
 * M-Bus key material for class 72 (docs/dlms.md#m-bus-key-transfer). The wrapping key is the G-meter's M-Bus Default key; the
 * format follows the GATEWAY's protocol.
 *   DSMR 4.2.2: blob = AES-128-CBC(Default key, IV 0, no padding)(new key)                         16 bytes
 *   SMR 5.x:    IV = ident(4, BCD byte-reversed) ‖ manuf(2, byte-reversed) ‖ 0x50 ‖ 0x03 ‖ KCC(4)
 *               P = key_id ‖ 0x10 ‖ key; C‖T = AES-128-GCM(Default key, IV, P), T 8 bytes
 *               blob = KCC ‖ C ‖ T                                                                30 bytes
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { type DlmsData, Data } from '../axdr.ts';
import { decodeError, encodeError, u32be } from '../bytes.ts';
import { checkKey, decipherError, gcmDecrypt, gcmEncrypt } from './crypto.ts';

export const DSMR4_TRANSFER_KEY_LENGTH = 16;
export const SMR5_TRANSFER_KEY_LENGTH = 30;
const SMR5_TAG_LENGTH = 8;

/** SMR5 key ids inside P (docs/dlms.md#transfer-key-blob). */
export const MbusKeyId = { USER_KEY: 0, FIRMWARE_UPDATE_AUTHENTICATION_KEY: 1, P0_KEY: 2 } as const;

/** GXF constants in the SMR5 IV, not read from attributes 8/9 (docs/dlms.md#transfer-key-blob). */
const SMR5_IV_VERSION = 0x50;
const SMR5_IV_MEDIUM_GAS = 0x03;

// ---------------------------------------------------------------------------------------------------------------
// DSMR 4.2.2

export function buildDsmr4TransferKey(defaultKey: Buffer, newKey: Buffer): Buffer {
  checkKey(defaultKey, 'M-Bus default key');
  checkKey(newKey, 'new M-Bus key');
  const c = createCipheriv('aes-128-cbc', defaultKey, Buffer.alloc(16));
  c.setAutoPadding(false);
  return Buffer.concat([c.update(newKey), c.final()]);
}

/** The DSMR4 blob carries no integrity check; any 16 bytes unwrap to some key. */
export function unwrapDsmr4TransferKey(defaultKey: Buffer, blob: Buffer): Buffer {
  checkKey(defaultKey, 'M-Bus default key');
  if (blob.length !== DSMR4_TRANSFER_KEY_LENGTH) throw decipherError(`DSMR 4 transfer_key blob must be 16 bytes, got ${blob.length}`);
  const d = createDecipheriv('aes-128-cbc', defaultKey, Buffer.alloc(16));
  d.setAutoPadding(false);
  return Buffer.concat([d.update(blob), d.final()]);
}

// ---------------------------------------------------------------------------------------------------------------
// SMR 5

/** "12056731" → 31 67 05 12: the 8-digit text read as hex (BCD), byte-reversed. */
export function smr5IdentBytes(identificationNumber: string): Buffer {
  if (!/^[0-9A-Fa-f]{1,8}$/.test(identificationNumber)) throw encodeError(`identification number must be up to 8 digits, got ${JSON.stringify(identificationNumber)}`);
  return Buffer.from(identificationNumber.padStart(8, '0'), 'hex').reverse();
}

export function smr5TransferKeyIv(identificationNumber: string, manufacturerId: number, kcc: number): Buffer {
  if (!Number.isInteger(manufacturerId) || manufacturerId < 0 || manufacturerId > 0xffff) throw encodeError(`manufacturer id ${manufacturerId} out of range`);
  if (!Number.isInteger(kcc) || kcc < 0 || kcc > 0xffffffff) throw encodeError(`key change counter ${kcc} out of range`);
  return Buffer.concat([
    smr5IdentBytes(identificationNumber),
    Buffer.from([manufacturerId & 0xff, manufacturerId >> 8, SMR5_IV_VERSION, SMR5_IV_MEDIUM_GAS]),
    u32be(kcc),
  ]);
}

/**
 * The SMR 5 key change counter for a transfer_key made at `at`: whole seconds since 2000-01-01T00:00:00 UTC.
 *
 * The one KCC function of the project (callers persist the value per M-Bus device and raise it by one where the
 * clock gives no larger value, so it strictly increases). UTC, not the local wall clock: the G-meter refuses a
 * KCC that is not above the last one it accepted, and local time steps back an hour when daylight saving time ends
 * and differs between hosts set to different time zones; UTC does neither. GXF counts from its local wall clock,
 * which in the Netherlands runs one or two hours ahead; the counter persisted per device keeps our values
 * increasing either way.
 */
export function keyChangeCounter(at: Date): number {
  const seconds = Math.floor((at.getTime() - Date.UTC(2000, 0, 1)) / 1000);
  if (seconds < 0 || seconds > 0xffffffff) throw encodeError('key change counter out of range for this date');
  return seconds;
}

export interface Smr5TransferKeyInput {
  defaultKey: Buffer;
  newKey: Buffer;
  keyId: number;
  kcc: number;
  identificationNumber: string;
  manufacturerId: number;
}

export function buildSmr5TransferKey(p: Smr5TransferKeyInput): Buffer {
  checkKey(p.defaultKey, 'M-Bus default key');
  checkKey(p.newKey, 'new M-Bus key');
  if (!Number.isInteger(p.keyId) || p.keyId < 0 || p.keyId > 0xff) throw encodeError(`key id ${p.keyId} out of range`);
  const iv = smr5TransferKeyIv(p.identificationNumber, p.manufacturerId, p.kcc);
  const plain = Buffer.concat([Buffer.from([p.keyId, 0x10]), p.newKey]);
  const { ciphertext, tag } = gcmEncrypt(p.defaultKey, iv, plain, Buffer.alloc(0), SMR5_TAG_LENGTH);
  return Buffer.concat([u32be(p.kcc), ciphertext, tag]);
}

/** Unwraps and verifies an SMR5 blob (the simulator's G-meter side). Throws UNABLE_TO_DECYPHER on any mismatch. */
export function unwrapSmr5TransferKey(p: { defaultKey: Buffer; blob: Buffer; identificationNumber: string; manufacturerId: number }): {
  keyId: number;
  key: Buffer;
  kcc: number;
} {
  checkKey(p.defaultKey, 'M-Bus default key');
  if (p.blob.length !== SMR5_TRANSFER_KEY_LENGTH) throw decipherError(`SMR 5 transfer_key blob must be 30 bytes, got ${p.blob.length}`);
  const kcc = p.blob.readUInt32BE(0);
  const iv = smr5TransferKeyIv(p.identificationNumber, p.manufacturerId, kcc);
  const plain = gcmDecrypt(p.defaultKey, iv, p.blob.subarray(4, 22), Buffer.alloc(0), p.blob.subarray(22), 'SMR 5 transfer_key');
  if (plain[1] !== 0x10) throw decipherError('SMR 5 transfer_key: key length byte is not 0x10');
  return { keyId: plain[0]!, key: Buffer.from(plain.subarray(2)), kcc };
}

// ---------------------------------------------------------------------------------------------------------------
// data_send (class 72 method 6) carrying an SMR5 blob (docs/dlms.md#data-send)

export const MBUS_KEY_EXCHANGE_DIB = Buffer.from([0x0d]);
export const MBUS_KEY_EXCHANGE_VIB = Buffer.from([0xfd, 0x19]);

export interface MbusDataSendRecord {
  dib: Buffer;
  vib: Buffer;
  data: Buffer;
}

/** array[1] of structure{ octet-string DIB 0D, octet-string VIB FD19, octet-string blob }. */
export function mbusKeyDataSendParameter(blob: Buffer): DlmsData {
  return Data.array([Data.structure([Data.octetString(MBUS_KEY_EXCHANGE_DIB), Data.octetString(MBUS_KEY_EXCHANGE_VIB), Data.octetString(blob)])]);
}

/** Reads a data_send parameter into its records; throws DECODE_ERROR when the shape is wrong. */
export function parseMbusDataSendParameter(d: DlmsData): MbusDataSendRecord[] {
  if (d.type !== 'array') throw decodeError(`data_send parameter must be an array, got ${d.type}`);
  return d.value.map((e, i) => {
    if (e.type !== 'structure' || e.value.length !== 3 || e.value.some((v) => v.type !== 'octet-string')) {
      throw decodeError(`data_send record ${i} must be structure{octet-string, octet-string, octet-string}`);
    }
    const [dib, vib, data] = e.value.map((v) => (v as { value: Buffer }).value) as [Buffer, Buffer, Buffer];
    return { dib, vib, data };
  });
}

/** Whether a data_send record is the key-exchange record (DIB 0D, VIB FD 19). */
export function isMbusKeyExchangeRecord(r: MbusDataSendRecord): boolean {
  return r.dib.equals(MBUS_KEY_EXCHANGE_DIB) && r.vib.equals(MBUS_KEY_EXCHANGE_VIB);
}
