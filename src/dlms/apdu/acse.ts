/**
 * ACSE APDUs (BER): AARQ, AARE, RLRQ, RLRE for LN referencing with and without ciphering (docs/dlms.md#association-acse).
 * User-information is carried as the raw xDLMS APDU bytes (plain InitiateRequest/Response, glo-initiate-*, or a
 * ConfirmedServiceError); callers decode or decipher it.
 */
import { ByteReader, checkUint, decodeError, encodeError } from '../bytes.ts';

export const AcseTag = { AARQ: 0x60, AARE: 0x61, RLRQ: 0x62, RLRE: 0x63 } as const;

/** Application context name 2.16.756.5.8.1.x: last arc. */
export const ApplicationContextName = { LN: 1, SN: 2, LN_CIPHERED: 3, SN_CIPHERED: 4 } as const;

/** Mechanism name 2.16.756.5.8.2.x: last arc (IEC 62056-5-3; docs/dlms.md#association-acse). */
export const MechanismName = {
  NONE: 0,
  LLS: 1,
  HLS_MANUFACTURER: 2,
  HLS_MD5: 3,
  HLS_SHA1: 4,
  HLS_GMAC: 5,
  HLS_SHA256: 6,
  HLS_ECDSA: 7,
} as const;

export const AssociationResult = { ACCEPTED: 0, REJECTED_PERMANENT: 1, REJECTED_TRANSIENT: 2 } as const;

export const AcseServiceUserDiagnostic = {
  NULL: 0,
  NO_REASON_GIVEN: 1,
  APPLICATION_CONTEXT_NAME_NOT_SUPPORTED: 2,
  CALLING_AP_TITLE_NOT_RECOGNIZED: 3,
  CALLING_AP_INVOCATION_IDENTIFIER_NOT_RECOGNIZED: 4,
  CALLING_AE_QUALIFIER_NOT_RECOGNIZED: 5,
  CALLING_AE_INVOCATION_IDENTIFIER_NOT_RECOGNIZED: 6,
  CALLED_AP_TITLE_NOT_RECOGNIZED: 7,
  CALLED_AP_INVOCATION_IDENTIFIER_NOT_RECOGNIZED: 8,
  CALLED_AE_QUALIFIER_NOT_RECOGNIZED: 9,
  CALLED_AE_INVOCATION_IDENTIFIER_NOT_RECOGNIZED: 10,
  AUTHENTICATION_MECHANISM_NAME_NOT_RECOGNISED: 11,
  AUTHENTICATION_MECHANISM_NAME_REQUIRED: 12,
  AUTHENTICATION_FAILURE: 13,
  AUTHENTICATION_REQUIRED: 14,
} as const;

export const AcseServiceProviderDiagnostic = { NULL: 0, NO_REASON_GIVEN: 1, NO_COMMON_ACSE_VERSION: 2 } as const;

export interface ResultSourceDiagnostic {
  source: 'acse-service-user' | 'acse-service-provider';
  value: number;
}

const resultNames = new Map<number, string>(Object.entries(AssociationResult).map(([k, v]) => [v, k]));
const userDiagNames = new Map<number, string>(Object.entries(AcseServiceUserDiagnostic).map(([k, v]) => [v, k]));
const providerDiagNames = new Map<number, string>(Object.entries(AcseServiceProviderDiagnostic).map(([k, v]) => [v, k]));

/** DLMS UA OID prefix 2.16.756.5.8 (`60 85 74 05 08`). */
const DLMS_OID_PREFIX = Buffer.from([0x60, 0x85, 0x74, 0x05, 0x08]);

// ---------------------------------------------------------------------------------------------------------------
// Minimal BER

function berLength(len: number): Buffer {
  if (len < 0x80) return Buffer.from([len]);
  if (len <= 0xff) return Buffer.from([0x81, len]);
  if (len <= 0xffff) return Buffer.from([0x82, len >> 8, len & 0xff]);
  throw encodeError(`BER length ${len} too large for an ACSE APDU`);
}

/** tag ‖ BER length ‖ value in one allocation (the encoders nest it several levels deep). */
function tlv(tag: number, value: Buffer): Buffer {
  const n = value.length;
  const ls = n < 0x80 ? 1 : n <= 0xff ? 2 : n <= 0xffff ? 3 : berLength(n).length;
  const out = Buffer.allocUnsafe(1 + ls + n);
  out[0] = tag;
  if (ls === 1) out[1] = n;
  else if (ls === 2) {
    out[1] = 0x81;
    out[2] = n;
  } else {
    out[1] = 0x82;
    out[2] = n >> 8;
    out[3] = n & 0xff;
  }
  value.copy(out, 1 + ls);
  return out;
}

function readBerLength(r: ByteReader, field: string): number {
  const first = r.u8(`${field} length`);
  if (first < 0x80) return first;
  const n = first & 0x7f;
  if (n === 0) throw decodeError(`${r.what}: ${field} uses the indefinite length form`);
  if (n > 3) throw decodeError(`${r.what}: ${field} length of ${n} bytes is too large`);
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + r.u8(`${field} length`);
  return len;
}

interface Element {
  tag: number;
  value: Buffer;
}

/** Reads the tag/length/value elements inside a constructed value. Tags are single-byte in ACSE for DLMS. */
function readElements(r: ByteReader): Element[] {
  const out: Element[] = [];
  while (!r.atEnd) {
    const tag = r.u8('element tag');
    if ((tag & 0x1f) === 0x1f) throw decodeError(`${r.what}: multi-byte BER tag 0x${tag.toString(16)} is not used in ACSE`);
    const len = readBerLength(r, `element 0x${tag.toString(16)}`);
    out.push({ tag, value: r.view(len, `element 0x${tag.toString(16)}`) });
  }
  return out;
}

/** Opens the outer APDU tag and returns a reader over exactly its contents. */
function openApdu(buf: Buffer, tag: number, what: string): ByteReader {
  const r = new ByteReader(buf, what);
  const t = r.u8('tag');
  if (t !== tag) throw decodeError(`${what}: expected tag 0x${tag.toString(16)}, got 0x${t.toString(16).padStart(2, '0')}`);
  const len = readBerLength(r, what);
  r.need(len, what);
  if (r.remaining !== len) throw decodeError(`${what}: length ${len} does not match the ${r.remaining} byte(s) present`);
  return new ByteReader(buf, what, r.pos, r.pos + len);
}

function single(value: Buffer, innerTag: number, what: string, field: string): Buffer {
  const r = new ByteReader(value, what);
  const t = r.u8(`${field} tag`);
  if (t !== innerTag) throw decodeError(`${what}: ${field} must start with 0x${innerTag.toString(16)}, got 0x${t.toString(16)}`);
  const len = readBerLength(r, field);
  const v = r.view(len, field);
  r.expectEnd();
  return v;
}

function readInteger(value: Buffer, what: string, field: string): number {
  const v = single(value, 0x02, what, field);
  if (v.length < 1 || v.length > 4) throw decodeError(`${what}: ${field} INTEGER of ${v.length} bytes`);
  return v.readIntBE(0, v.length);
}

function dlmsOidArc(oid: Buffer, kind: number, what: string, field: string): number {
  if (oid.length !== 7 || !oid.subarray(0, 5).equals(DLMS_OID_PREFIX) || oid[5] !== kind) {
    throw decodeError(`${what}: ${field} is not a DLMS UA name (${oid.toString('hex')})`);
  }
  return oid[6]!;
}

function dlmsOid(kind: number, arc: number): Buffer {
  if (!Number.isInteger(arc) || arc < 0 || arc > 127) throw encodeError(`DLMS name arc ${arc} out of range`);
  return Buffer.concat([DLMS_OID_PREFIX, Buffer.from([kind, arc])]);
}

/** ACSE requirements BIT STRING: `07 80` = authentication functional unit. */
function acseRequirements(value: Buffer): boolean {
  return value.length >= 2 && (value[1]! & 0x80) !== 0;
}

function apTitle(value: Buffer, what: string, field: string): Buffer {
  return Buffer.from(single(value, 0x04, what, field));
}

function authValue(value: Buffer, what: string, field: string): Buffer {
  const r = new ByteReader(value, what);
  const t = r.u8(`${field} tag`);
  if (t !== 0x80 && t !== 0x81) throw decodeError(`${what}: ${field} must be charstring (80) or bitstring (81), got 0x${t.toString(16)}`);
  const len = readBerLength(r, field);
  const v = r.bytes(len, field);
  r.expectEnd();
  return v;
}

function userInformation(value: Buffer, what: string): Buffer {
  return Buffer.from(single(value, 0x04, what, 'user-information'));
}

// ---------------------------------------------------------------------------------------------------------------

export interface AarqFields {
  applicationContextName: number;
  callingApTitle?: Buffer;
  /** sender-acse-requirements with the authentication bit (`8A 02 07 80`). */
  authentication?: boolean;
  mechanismName?: number;
  callingAuthenticationValue?: Buffer;
  userInformation?: Buffer;
}

export class Aarq implements AarqFields {
  readonly applicationContextName: number;
  readonly callingApTitle?: Buffer;
  readonly authentication: boolean;
  readonly mechanismName?: number;
  readonly callingAuthenticationValue?: Buffer;
  readonly userInformation?: Buffer;

  constructor(p: AarqFields) {
    this.applicationContextName = p.applicationContextName;
    if (p.callingApTitle) this.callingApTitle = p.callingApTitle;
    this.authentication = p.authentication ?? false;
    if (p.mechanismName !== undefined) this.mechanismName = p.mechanismName;
    if (p.callingAuthenticationValue) this.callingAuthenticationValue = p.callingAuthenticationValue;
    if (p.userInformation) this.userInformation = p.userInformation;
    Object.freeze(this);
  }

  encode(): Buffer {
    const parts = [tlv(0xa1, tlv(0x06, dlmsOid(1, this.applicationContextName)))];
    if (this.callingApTitle) parts.push(tlv(0xa6, tlv(0x04, this.callingApTitle)));
    if (this.authentication) parts.push(tlv(0x8a, Buffer.from([0x07, 0x80])));
    if (this.mechanismName !== undefined) parts.push(tlv(0x8b, dlmsOid(2, this.mechanismName)));
    if (this.callingAuthenticationValue) parts.push(tlv(0xac, tlv(0x80, this.callingAuthenticationValue)));
    if (this.userInformation) parts.push(tlv(0xbe, tlv(0x04, this.userInformation)));
    return tlv(AcseTag.AARQ, Buffer.concat(parts));
  }

  static decode(buf: Buffer): Aarq {
    const what = 'AARQ';
    const fields: Partial<AarqFields> = {};
    for (const e of readElements(openApdu(buf, AcseTag.AARQ, what))) {
      switch (e.tag) {
        case 0xa1:
          fields.applicationContextName = dlmsOidArc(single(e.value, 0x06, what, 'application-context-name'), 1, what, 'application-context-name');
          break;
        case 0xa6:
          fields.callingApTitle = apTitle(e.value, what, 'calling-AP-title');
          break;
        case 0x8a:
          fields.authentication = acseRequirements(e.value);
          break;
        case 0x8b:
          fields.mechanismName = dlmsOidArc(e.value, 2, what, 'mechanism-name');
          break;
        case 0xac:
          fields.callingAuthenticationValue = authValue(e.value, what, 'calling-authentication-value');
          break;
        case 0xbe:
          fields.userInformation = userInformation(e.value, what);
          break;
        default:
          break; // protocol-version, called-*/calling-* qualifiers, implementation-information: not used by DLMS
      }
    }
    if (fields.applicationContextName === undefined) throw decodeError('AARQ: application-context-name missing');
    return new Aarq(fields as AarqFields);
  }
}

export interface AareFields {
  applicationContextName: number;
  result: number;
  resultSourceDiagnostic: ResultSourceDiagnostic;
  respondingApTitle?: Buffer;
  /** responder-acse-requirements with the authentication bit (`88 02 07 80`). */
  authentication?: boolean;
  mechanismName?: number;
  respondingAuthenticationValue?: Buffer;
  userInformation?: Buffer;
}

export class Aare implements AareFields {
  readonly applicationContextName: number;
  readonly result: number;
  readonly resultSourceDiagnostic: ResultSourceDiagnostic;
  readonly respondingApTitle?: Buffer;
  readonly authentication: boolean;
  readonly mechanismName?: number;
  readonly respondingAuthenticationValue?: Buffer;
  readonly userInformation?: Buffer;

  constructor(p: AareFields) {
    this.applicationContextName = p.applicationContextName;
    this.result = p.result;
    this.resultSourceDiagnostic = Object.freeze({ ...p.resultSourceDiagnostic });
    if (p.respondingApTitle) this.respondingApTitle = p.respondingApTitle;
    this.authentication = p.authentication ?? false;
    if (p.mechanismName !== undefined) this.mechanismName = p.mechanismName;
    if (p.respondingAuthenticationValue) this.respondingAuthenticationValue = p.respondingAuthenticationValue;
    if (p.userInformation) this.userInformation = p.userInformation;
    Object.freeze(this);
  }

  get accepted(): boolean {
    return this.result === AssociationResult.ACCEPTED;
  }

  /** Accepted with diagnostic 14: the client continues with HLS pass 3 (docs/dlms.md#association-acse, #hls5-gmac). */
  get authenticationRequired(): boolean {
    return this.resultSourceDiagnostic.source === 'acse-service-user' && this.resultSourceDiagnostic.value === AcseServiceUserDiagnostic.AUTHENTICATION_REQUIRED;
  }

  /** e.g. "REJECTED_PERMANENT (acse-service-user NO_REASON_GIVEN)". */
  get description(): string {
    const d = this.resultSourceDiagnostic;
    const names = d.source === 'acse-service-user' ? userDiagNames : providerDiagNames;
    return `${resultNames.get(this.result) ?? `RESULT_${this.result}`} (${d.source} ${names.get(d.value) ?? d.value})`;
  }

  encode(): Buffer {
    const d = this.resultSourceDiagnostic;
    const parts = [
      tlv(0xa1, tlv(0x06, dlmsOid(1, this.applicationContextName))),
      tlv(0xa2, tlv(0x02, Buffer.from([checkUint(this.result, 0x7f, 'association result')]))),
      tlv(0xa3, tlv(d.source === 'acse-service-user' ? 0xa1 : 0xa2, tlv(0x02, Buffer.from([checkUint(d.value, 0x7f, 'result-source-diagnostic')])))),
    ];
    if (this.respondingApTitle) parts.push(tlv(0xa4, tlv(0x04, this.respondingApTitle)));
    if (this.authentication) parts.push(tlv(0x88, Buffer.from([0x07, 0x80])));
    if (this.mechanismName !== undefined) parts.push(tlv(0x89, dlmsOid(2, this.mechanismName)));
    if (this.respondingAuthenticationValue) parts.push(tlv(0xaa, tlv(0x80, this.respondingAuthenticationValue)));
    if (this.userInformation) parts.push(tlv(0xbe, tlv(0x04, this.userInformation)));
    return tlv(AcseTag.AARE, Buffer.concat(parts));
  }

  static decode(buf: Buffer): Aare {
    const what = 'AARE';
    const fields: Partial<AareFields> = {};
    for (const e of readElements(openApdu(buf, AcseTag.AARE, what))) {
      switch (e.tag) {
        case 0xa1:
          fields.applicationContextName = dlmsOidArc(single(e.value, 0x06, what, 'application-context-name'), 1, what, 'application-context-name');
          break;
        case 0xa2:
          fields.result = readInteger(e.value, what, 'result');
          break;
        case 0xa3: {
          const r = new ByteReader(e.value, what);
          const [choice, ...extra] = readElements(r);
          if (!choice || extra.length > 0 || (choice.tag !== 0xa1 && choice.tag !== 0xa2)) {
            throw decodeError('AARE: result-source-diagnostic must be one acse-service-user (A1) or acse-service-provider (A2)');
          }
          fields.resultSourceDiagnostic = {
            source: choice.tag === 0xa1 ? 'acse-service-user' : 'acse-service-provider',
            value: readInteger(choice.value, what, 'result-source-diagnostic'),
          };
          break;
        }
        case 0xa4:
          fields.respondingApTitle = apTitle(e.value, what, 'responding-AP-title');
          break;
        case 0x88:
          fields.authentication = acseRequirements(e.value);
          break;
        case 0x89:
          fields.mechanismName = dlmsOidArc(e.value, 2, what, 'mechanism-name');
          break;
        case 0xaa:
          fields.respondingAuthenticationValue = authValue(e.value, what, 'responding-authentication-value');
          break;
        case 0xbe:
          fields.userInformation = userInformation(e.value, what);
          break;
        default:
          break;
      }
    }
    if (fields.applicationContextName === undefined) throw decodeError('AARE: application-context-name missing');
    if (fields.result === undefined) throw decodeError('AARE: result missing');
    if (fields.resultSourceDiagnostic === undefined) throw decodeError('AARE: result-source-diagnostic missing');
    return new Aare(fields as AareFields);
  }
}

/** Release-request-reason: 0 normal, 1 urgent, 30 user-defined. */
export const ReleaseRequestReason = { NORMAL: 0, URGENT: 1, USER_DEFINED: 30 } as const;
/** Release-response-reason: 0 normal, 1 not-finished, 30 user-defined. */
export const ReleaseResponseReason = { NORMAL: 0, NOT_FINISHED: 1, USER_DEFINED: 30 } as const;

function encodeRelease(tag: number, reason: number | undefined, userInfo: Buffer | undefined): Buffer {
  const parts: Buffer[] = [];
  if (reason !== undefined) parts.push(tlv(0x80, Buffer.from([checkUint(reason, 0x7f, 'release reason')])));
  if (userInfo) parts.push(tlv(0xbe, tlv(0x04, userInfo)));
  return tlv(tag, Buffer.concat(parts));
}

/** RLRQ `62 03 80 01 00` (reason normal), sent plain (docs/dlms.md#association-acse). */
export class Rlrq {
  readonly reason?: number;
  readonly userInformation?: Buffer;

  constructor(p: { reason?: number; userInformation?: Buffer } = { reason: ReleaseRequestReason.NORMAL }) {
    if (p.reason !== undefined) this.reason = p.reason;
    if (p.userInformation) this.userInformation = p.userInformation;
    Object.freeze(this);
  }

  encode(): Buffer {
    return encodeRelease(AcseTag.RLRQ, this.reason, this.userInformation);
  }

  static decode(buf: Buffer): Rlrq {
    const what = 'RLRQ';
    let reason: number | undefined;
    let userInfo: Buffer | undefined;
    for (const e of readElements(openApdu(buf, AcseTag.RLRQ, what))) {
      if (e.tag === 0x80) {
        if (e.value.length !== 1) throw decodeError('RLRQ: reason must be one byte');
        reason = e.value[0]!;
      } else if (e.tag === 0xbe) {
        userInfo = userInformation(e.value, what);
      }
    }
    return new Rlrq({ reason, userInformation: userInfo });
  }
}

/**
 * RLRE `63 03 80 01 00`. Decoding is lenient (docs/dlms.md#association-acse): some meters append user-information with wrong BER
 * lengths, so anything after a readable reason that does not parse is ignored; only a wrong tag is an error.
 */
export class Rlre {
  readonly reason?: number;
  readonly userInformation?: Buffer;

  constructor(p: { reason?: number; userInformation?: Buffer } = { reason: ReleaseResponseReason.NORMAL }) {
    if (p.reason !== undefined) this.reason = p.reason;
    if (p.userInformation) this.userInformation = p.userInformation;
    Object.freeze(this);
  }

  encode(): Buffer {
    return encodeRelease(AcseTag.RLRE, this.reason, this.userInformation);
  }

  static decode(buf: Buffer): Rlre {
    const r = new ByteReader(buf, 'RLRE');
    const t = r.u8('tag');
    if (t !== AcseTag.RLRE) throw decodeError(`RLRE: expected tag 0x63, got 0x${t.toString(16).padStart(2, '0')}`);
    let reason: number | undefined;
    let userInfo: Buffer | undefined;
    try {
      // The declared length is not trusted; the elements are read from what is present.
      const first = r.u8('RLRE length');
      if (first > 0x80 && first <= 0x83) r.view(Math.min(first & 0x7f, r.remaining), 'RLRE length');
      while (!r.atEnd) {
        const tag = r.u8('element tag');
        const len = readBerLength(r, 'element');
        const value = r.view(Math.min(len, r.remaining), 'element');
        if (tag === 0x80 && value.length === 1) reason = value[0]!;
        else if (tag === 0xbe) userInfo = userInformation(value, 'RLRE');
      }
    } catch {
      // lenient: keep what was read so far
    }
    return new Rlre({ reason, userInformation: userInfo });
  }
}
