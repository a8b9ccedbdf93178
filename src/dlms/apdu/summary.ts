/**
 * A one-line description of an APDU as it goes over the wire, for the device message log
 * (src/platform/message-log.ts): its type (DLMS Green Book, xDLMS APDU tags; IEC 62056-5-3 clause 8), and for a
 * plain xDLMS request the attribute or method it addresses. It never shows data: a ciphered APDU is described by
 * its security header only (security control byte, invocation counter, ciphered length), never deciphered, and a
 * plain request or response shows descriptors and result codes, not values. Never throws: bytes it cannot read
 * are described as such.
 */
import { Obis } from '../obis.ts';
import { GENERAL_DED_CIPHERING_TAG, GENERAL_GLO_CIPHERING_TAG, PLAIN_TAG_FOR } from './ciphered.ts';

export interface ApduSummary {
  /** e.g. `glo-get-request`, `AARQ`, `get-response-normal`. */
  type: string;
  /** The type and what can be said of the APDU without its data. */
  summary: string;
}

const PLAIN_NAMES: ReadonlyMap<number, string> = new Map([
  [0x60, 'AARQ'], [0x61, 'AARE'], [0x62, 'RLRQ'], [0x63, 'RLRE'],
  [0x01, 'initiate-request'], [0x08, 'initiate-response'], [0x0e, 'confirmed-service-error'], [0x0f, 'data-notification'],
  [0xc0, 'get-request'], [0xc1, 'set-request'], [0xc2, 'event-notification-request'], [0xc3, 'action-request'],
  [0xc4, 'get-response'], [0xc5, 'set-response'], [0xc7, 'action-response'], [0xd8, 'exception-response'],
]);

const CHOICES: ReadonlyMap<number, readonly string[]> = new Map([
  [0xc0, ['normal', 'next', 'with-list']],
  [0xc1, ['normal', 'with-first-datablock', 'with-datablock', 'with-list', 'with-list-and-first-datablock']],
  [0xc3, ['normal', 'next-pblock', 'with-list', 'with-first-pblock', 'with-list-and-first-pblock', 'with-pblock']],
  [0xc4, ['normal', 'with-datablock', 'with-list']],
  [0xc5, ['normal', 'datablock', 'last-datablock', 'last-datablock-with-list', 'with-list']],
  [0xc7, ['normal', 'with-pblock', 'with-list', 'next-pblock']],
]);

/** A-XDR length at `at`: [length, first byte after it], or undefined when the bytes end first. */
function axdrLength(b: Buffer, at: number): [number, number] | undefined {
  const first = b[at];
  if (first === undefined) return undefined;
  if (first < 0x80) return [first, at + 1];
  const n = first & 0x7f;
  if (n === 0 || n > 4 || at + 1 + n > b.length) return undefined;
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + b[at + 1 + i]!;
  return [v, at + 1 + n];
}

function securityHeader(b: Buffer, at: number): string {
  if (at + 5 > b.length) return 'security header truncated';
  const sc = b[at]!;
  const ic = b.readUInt32BE(at + 1);
  return `SC 0x${sc.toString(16).padStart(2, '0')}, IC ${ic}, ${b.length - at - 5} byte(s) ciphered`;
}

/** Class id, logical name and attribute/method id of a plain descriptor at `at` (9 bytes), if present. */
function descriptor(b: Buffer, at: number, what: 'attribute' | 'method'): string | undefined {
  if (at + 9 > b.length) return undefined;
  const classId = b.readUInt16BE(at);
  const obis = Obis.fromBytes(b.subarray(at + 2, at + 8)).toString();
  return `class ${classId} ${obis} ${what} ${b[at + 8]}`;
}

function plainSummary(tag: number, b: Buffer): string {
  const name = PLAIN_NAMES.get(tag)!;
  const choices = CHOICES.get(tag);
  if (!choices) return name;
  const choice = choices[(b[1] ?? 0) - 1];
  const full = choice ? `${name}-${choice}` : name;
  if (choice !== 'normal') return full;
  if (tag === 0xc0 || tag === 0xc1) return `${full} ${descriptor(b, 3, 'attribute') ?? '(descriptor truncated)'}`;
  if (tag === 0xc3) return `${full} ${descriptor(b, 3, 'method') ?? '(descriptor truncated)'}`;
  // Responses: the result choice (data or data-access-result) and, for a refusal, its code; never the data.
  if (tag === 0xc4) return b[3] === 0x01 ? `${full} data-access-result ${b[4] ?? '?'}` : `${full} data`;
  if (tag === 0xc5 || tag === 0xc7) return `${full} result ${b[3] ?? '?'}`;
  return full;
}

export function summariseApdu(apdu: Uint8Array): ApduSummary {
  const b = Buffer.from(apdu.buffer, apdu.byteOffset, apdu.byteLength);
  const tag = b[0];
  if (tag === undefined) return { type: 'empty', summary: 'empty APDU' };
  const plain = PLAIN_TAG_FOR.get(tag);
  if (plain !== undefined) {
    const type = `glo-${PLAIN_NAMES.get(plain) ?? `0x${plain.toString(16)}`}`;
    const len = axdrLength(b, 1);
    return { type, summary: `${type}, ${len ? securityHeader(b, len[1]) : 'length truncated'}` };
  }
  if (tag === GENERAL_GLO_CIPHERING_TAG || tag === GENERAL_DED_CIPHERING_TAG) {
    const type = tag === GENERAL_GLO_CIPHERING_TAG ? 'general-glo-ciphering' : 'general-ded-ciphering';
    const titleLen = b[1];
    if (titleLen === undefined || 2 + titleLen > b.length) return { type, summary: `${type}, system title truncated` };
    const title = b.subarray(2, 2 + titleLen).toString('hex').toUpperCase();
    const len = axdrLength(b, 2 + titleLen);
    return { type, summary: `${type}, system title ${title}, ${len ? securityHeader(b, len[1]) : 'length truncated'}` };
  }
  if (PLAIN_NAMES.has(tag)) {
    const summary = plainSummary(tag, b);
    return { type: summary.split(' ')[0]!, summary };
  }
  return { type: `0x${tag.toString(16).padStart(2, '0')}`, summary: `unknown APDU tag 0x${tag.toString(16).padStart(2, '0')}` };
}
