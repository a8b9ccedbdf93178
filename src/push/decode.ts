/**
 * Sans-IO decoding of DLMS push notifications as GXF accepts them (docs/push.md#formats), done more robustly:
 * - pushes are framed by their own structure, so several pushes on one connection work and no FIN is needed;
 * - SMR5 pushes ciphered with general-glo-ciphering are deciphered (through an injected decipher function that
 *   looks up the E-meter's keys by system title and checks the invocation counter);
 * - alarm bits without a meaning are reported instead of dropping the push.
 */
import { MeterfabricError, ErrorCode } from '../errors.ts';
import { decodeAlarmRegister, type AlarmRegister } from './alarms.ts';

export type PushFormat = 'DSMR4' | 'SMR5' | 'SMR5_CIPHERED' | 'MX382';
export type PushTrigger = 'Push alarm monitor' | 'Push sms wakeup' | 'Push csd wakeup' | 'Push scheduler' | '';

export interface PushNotification {
  format: PushFormat;
  /** The 17-character equipment identifier = GXF DeviceIdentification. */
  deviceIdentification: string;
  trigger: PushTrigger;
  /** Logical name of the push setup / trigger, e.g. "0-1:25.9.0.255", when the push carries one. */
  logicalName?: string;
  alarms: string[];
  unknownBits: { register: AlarmRegister; bit: number }[];
  /** Sender system title of a ciphered push (hex). */
  systemTitle?: string;
  invocationCounter?: number;
  raw: Buffer;
}

/**
 * Deciphers a general-glo-ciphering body. Throws when the system title is unknown, the tag does not verify or
 * the invocation counter is not greater than the last one seen.
 */
export type PushDecipher = (systemTitle: Buffer, securityControl: number, invocationCounter: number, cipherAndTag: Buffer) => Promise<{ plaintext: Buffer; deviceIdentification: string }>;

const EQUIPMENT_ID_LENGTH = 17;

function fail(message: string): never {
  throw new MeterfabricError(ErrorCode.DECODE_ERROR, `push notification: ${message}`, { retryable: false });
}

function obisText(b: Buffer): string {
  return `${b[0]}-${b[1]}:${b[2]}.${b[3]}.${b[4]}.${b[5]}`;
}

/** Trigger by logical name (docs/push.md#dsmr-422-push for DSMR4, docs/push.md#smr-5-push for SMR5). */
function triggerFor(ln: string, elements: number): PushTrigger {
  if (elements >= 3 && (ln === '0-1:25.9.0.255' || ln === '0-0:16.1.0.255' || ln === '0-3:25.9.0.255')) return 'Push alarm monitor';
  if (ln === '0-0:2.3.0.255' || ln === '0-0:2.2.0.255' || ln === '0-2:25.9.0.255') return ln === '0-0:2.2.0.255' && elements === 0 ? 'Push csd wakeup' : 'Push sms wakeup';
  if (ln === '0-0:15.0.4.255' || ln === '0-0:25.9.0.255') return 'Push scheduler';
  return '';
}

/**
 * Finds the length of the first complete push in `buf`, or 0 when more bytes are needed.
 * `ended` = the peer closed its side, so a DSMR4 push of 22 bytes is final.
 */
export function framePush(buf: Buffer, ended: boolean): number {
  if (buf.length === 0) return 0;
  // WRAPPER-framed pushes (SMR5 plain/ciphered, MX382): version 00 01 and a known APDU tag at index 8.
  if (buf.length >= 2 && buf[0] === 0x00 && buf[1] === 0x01) {
    if (buf.length < 8) return ended ? fail('truncated WRAPPER header') : 0;
    const total = 8 + buf.readUInt16BE(6);
    if (buf.length < 9) return ended ? fail('truncated push') : 0;
    if (buf[8] === 0x0f || buf[8] === 0xdb || buf[8] === 0xc2) {
      if (buf.length >= total) return total;
      return ended ? fail(`push declares ${total - 8} bytes, ${buf.length - 8} arrived`) : 0;
    }
  }
  // DSMR 4.2.2: 17 ASCII bytes, ',' and 4 (alarm register) or 6 (logical name) bytes.
  if (buf.length < 22) return ended ? fail(`DSMR4 push of ${buf.length} bytes (needs 22 or 24)`) : 0;
  if (buf[17] !== 0x2c) fail('byte 17 of a DSMR4 push must be a comma');
  // A logical name (all known ones are 0-0:x.y.0.255) starts 00 00 and ends 00 FF; an alarm register with any of
  // its top 16 bits set, or anything else, is the 4-byte form.
  const mayBeLogicalName = buf[18] === 0x00 && buf[19] === 0x00;
  if (!mayBeLogicalName) return 22;
  if (buf.length >= 24) return buf[22] === 0x00 && buf[23] === 0xff ? 24 : 22;
  if (buf.length === 23) return buf[22] === 0x00 && !ended ? 0 : 22;
  // 22 bytes on an open connection: the caller decides after a short idle time (or at FIN).
  return ended ? 22 : 0;
}

function asciiId(b: Buffer): string {
  for (const c of b) if (c < 0x20 || c > 0x7e) fail('equipment identifier is not printable ASCII');
  return b.toString('latin1');
}

function decodeDsmr4(msg: Buffer): PushNotification {
  const deviceIdentification = asciiId(msg.subarray(0, EQUIPMENT_ID_LENGTH));
  const data = msg.subarray(18);
  if (data.length === 4) {
    const { alarms, unknownBits } = decodeAlarmRegister(1, data.readUInt32BE(0));
    return { format: 'DSMR4', deviceIdentification, trigger: 'Push alarm monitor', alarms, unknownBits: unknownBits.map((bit) => ({ register: 1, bit })), raw: msg };
  }
  if (data.length === 6) {
    const ln = obisText(data);
    return { format: 'DSMR4', deviceIdentification, trigger: triggerFor(ln, 0), logicalName: ln, alarms: [], unknownBits: [], raw: msg };
  }
  return fail(`DSMR4 push data must be 4 or 6 bytes, got ${data.length}`);
}

/** Decodes the data-notification APDU (starting with 0x0F) of an SMR5 push. */
export function decodeDataNotification(apdu: Buffer, format: PushFormat, raw: Buffer): PushNotification {
  let p = 0;
  const need = (n: number, what: string) => {
    if (p + n > apdu.length) fail(`truncated ${what}`);
  };
  need(1, 'tag');
  if (apdu[p++] !== 0x0f) fail('not a data-notification');
  need(4, 'long-invoke-id-and-priority');
  p += 4;
  need(1, 'date-time');
  const dtLen = apdu[p++];
  need(dtLen, 'date-time');
  p += dtLen;
  need(2, 'structure');
  if (apdu[p++] !== 0x02) fail('notification body is not a structure');
  const count = apdu[p++];
  if (count < 2 || count > 4) fail(`structure of ${count} elements (expects 2..4)`);
  need(2, 'equipment identifier');
  if (apdu[p] !== 0x09 || apdu[p + 1] !== EQUIPMENT_ID_LENGTH) fail('equipment identifier must be an octet-string of 17 bytes');
  p += 2;
  need(EQUIPMENT_ID_LENGTH, 'equipment identifier');
  const deviceIdentification = asciiId(apdu.subarray(p, p + EQUIPMENT_ID_LENGTH));
  p += EQUIPMENT_ID_LENGTH;
  need(2, 'logical name');
  if (apdu[p] !== 0x09 || apdu[p + 1] !== 0x06) fail('logical name must be an octet-string of 6 bytes');
  p += 2;
  need(6, 'logical name');
  const ln = obisText(apdu.subarray(p, p + 6));
  p += 6;
  const registers: number[] = [];
  for (let i = 2; i < count; i++) {
    need(5, 'alarm register');
    if (apdu[p] !== 0x06) fail('alarm register must be double-long-unsigned');
    registers.push(apdu.readUInt32BE(p + 1));
    p += 5;
  }
  const trigger = triggerFor(ln, count);
  const alarms: string[] = [];
  const unknownBits: PushNotification['unknownBits'] = [];
  if (trigger === 'Push alarm monitor') {
    const first: AlarmRegister = ln === '0-3:25.9.0.255' ? 3 : 1;
    registers.forEach((value, i) => {
      const register = (i === 0 ? first : 2) as AlarmRegister;
      const d = decodeAlarmRegister(register, value);
      alarms.push(...d.alarms);
      unknownBits.push(...d.unknownBits.map((bit) => ({ register, bit })));
    });
  }
  return { format, deviceIdentification, trigger, logicalName: ln, alarms, unknownBits, raw };
}

function decodeMx382(msg: Buffer): PushNotification {
  // docs/push.md#mx382-alarm: the equipment identifier is the octet-string at the end.
  const id = msg.subarray(msg.length - EQUIPMENT_ID_LENGTH);
  if (msg.length < 8 + 1 + EQUIPMENT_ID_LENGTH + 2) fail('MX382 push too short');
  if (msg[msg.length - EQUIPMENT_ID_LENGTH - 2] !== 0x09 || msg[msg.length - EQUIPMENT_ID_LENGTH - 1] !== EQUIPMENT_ID_LENGTH) fail('MX382 push must end with a 17-byte equipment identifier');
  return { format: 'MX382', deviceIdentification: asciiId(id), trigger: 'Push alarm monitor', alarms: ['LAST_GASP'], unknownBits: [], raw: msg };
}

/** Decodes one framed push (see framePush). Ciphered pushes need `decipher`. */
export async function decodePush(msg: Buffer, decipher?: PushDecipher): Promise<PushNotification> {
  if (msg.length >= 9 && msg[0] === 0x00 && msg[1] === 0x01) {
    const apdu = msg.subarray(8);
    if (apdu[0] === 0x0f) return decodeDataNotification(apdu, 'SMR5', msg);
    if (apdu[0] === 0xc2) return decodeMx382(msg);
    if (apdu[0] === 0xdb) {
      // general-glo-ciphering: DB len(ST) ST len SC IC ciphertext tag (docs/dlms.md#ciphering)
      if (apdu.length < 2 || apdu[1] !== 8 || apdu.length < 2 + 8 + 1 + 5 + 12) fail('malformed general-glo-ciphering');
      const systemTitle = apdu.subarray(2, 10);
      let p = 10;
      let len = apdu[p++];
      if (len === 0x81) len = apdu[p++];
      else if (len === 0x82) {
        len = apdu.readUInt16BE(p);
        p += 2;
      }
      if (p + len > apdu.length || len < 5 + 12) fail('general-glo-ciphering length exceeds the data');
      const sc = apdu[p];
      const ic = apdu.readUInt32BE(p + 1);
      if (!decipher) fail('ciphered push and no keys to decipher it');
      const { plaintext, deviceIdentification } = await decipher(systemTitle, sc, ic, apdu.subarray(p + 5, p + len));
      const n = decodeDataNotification(plaintext, 'SMR5_CIPHERED', msg);
      if (n.deviceIdentification !== deviceIdentification) fail('equipment identifier does not match the sender system title');
      return { ...n, systemTitle: systemTitle.toString('hex').toUpperCase(), invocationCounter: ic };
    }
  }
  return decodeDsmr4(msg);
}
