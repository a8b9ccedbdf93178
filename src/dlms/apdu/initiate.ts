/**
 * xDLMS InitiateRequest / InitiateResponse and the conformance block (docs/dlms.md#initiate-and-conformance). Carried in the
 * user-information of AARQ/AARE, plain or glo-ciphered.
 */
import { ByteReader, checkUint, decodeError, encodeAxdrLength, encodeError, u16be } from '../bytes.ts';
import { readOptional } from './common.ts';
import { ApduTag } from './services.ts';

/** Conformance bit numbers: bit n is in byte n/8 with mask 0x80 >> (n % 8) (docs/dlms.md#initiate-and-conformance). */
export const CONFORMANCE_BITS = {
  'general-protection': 1,
  'general-block-transfer': 2,
  read: 3,
  write: 4,
  'unconfirmed-write': 5,
  'attribute0-with-set': 8,
  'priority-mgmt': 9,
  'attribute0-with-get': 10,
  'block-transfer-with-get': 11,
  'block-transfer-with-set': 12,
  'block-transfer-with-action': 13,
  'multiple-references': 14,
  'information-report': 15,
  'data-notification': 16,
  access: 17,
  'parameterized-access': 18,
  get: 19,
  set: 20,
  'selective-access': 21,
  'event-notification': 22,
  action: 23,
} as const;

export type ConformanceFlag = keyof typeof CONFORMANCE_BITS;

function mask(bit: number): number {
  return 1 << (23 - bit);
}

/** The 24-bit conformance block as named flags. */
export class Conformance {
  /** Bit 0 is the most significant bit of the 24-bit value. */
  readonly value: number;

  private constructor(value: number) {
    this.value = value & 0xffffff;
    Object.freeze(this);
  }

  static fromValue(value: number): Conformance {
    return new Conformance(checkUint(value, 0xffffff, 'conformance'));
  }

  static of(...flags: ConformanceFlag[]): Conformance {
    let v = 0;
    for (const f of flags) {
      const bit = CONFORMANCE_BITS[f];
      if (bit === undefined) throw encodeError(`unknown conformance flag ${String(f)}`);
      v |= mask(bit);
    }
    return new Conformance(v);
  }

  static fromBytes(b: Buffer): Conformance {
    if (b.length !== 3) throw decodeError(`conformance must be 3 bytes, got ${b.length}`);
    return new Conformance(b.readUIntBE(0, 3));
  }

  has(flag: ConformanceFlag): boolean {
    return (this.value & mask(CONFORMANCE_BITS[flag])) !== 0;
  }

  /** What the meter negotiates: the intersection of proposed and supported services. */
  intersect(other: Conformance): Conformance {
    return new Conformance(this.value & other.value);
  }

  get flags(): ConformanceFlag[] {
    return (Object.keys(CONFORMANCE_BITS) as ConformanceFlag[]).filter((f) => this.has(f));
  }

  toBytes(): Buffer {
    const b = Buffer.alloc(3);
    b.writeUIntBE(this.value, 0, 3);
    return b;
  }

  toString(): string {
    return this.flags.join(',');
  }
}

/** `00 1E 1D`: the set negotiated in the worked example (docs/dlms.md#initiate-and-conformance). */
export const CONFORMANCE_LN_DEFAULT = Conformance.fromValue(0x001e1d);

/** `5F 1F 04 00 <3 bytes>`: [APPLICATION 31] BIT STRING of 24 bits, 0 unused. */
function encodeConformance(c: Conformance): Buffer {
  return Buffer.concat([Buffer.from([0x5f, 0x1f, 0x04, 0x00]), c.toBytes()]);
}

function readConformance(r: ByteReader): Conformance {
  const t1 = r.u8('conformance tag');
  const t2 = r.u8('conformance tag');
  if (t1 !== 0x5f || t2 !== 0x1f) throw decodeError(`${r.what}: conformance tag must be 5F 1F, got ${t1.toString(16)} ${t2.toString(16)}`);
  const len = r.u8('conformance length');
  if (len !== 4) throw decodeError(`${r.what}: conformance length must be 4, got ${len}`);
  r.u8('conformance unused bits');
  return Conformance.fromBytes(r.view(3, 'conformance'));
}

export class InitiateRequest {
  readonly dedicatedKey?: Buffer;
  readonly responseAllowed: boolean;
  readonly proposedQualityOfService?: number;
  readonly proposedDlmsVersion: number;
  readonly proposedConformance: Conformance;
  readonly clientMaxReceivePduSize: number;

  constructor(p: {
    dedicatedKey?: Buffer;
    responseAllowed?: boolean;
    proposedQualityOfService?: number;
    proposedDlmsVersion?: number;
    proposedConformance: Conformance;
    clientMaxReceivePduSize: number;
  }) {
    if (p.dedicatedKey) this.dedicatedKey = p.dedicatedKey;
    this.responseAllowed = p.responseAllowed ?? true;
    if (p.proposedQualityOfService !== undefined) this.proposedQualityOfService = p.proposedQualityOfService;
    this.proposedDlmsVersion = p.proposedDlmsVersion ?? 6;
    this.proposedConformance = p.proposedConformance;
    this.clientMaxReceivePduSize = p.clientMaxReceivePduSize;
    Object.freeze(this);
  }

  encode(): Buffer {
    return Buffer.concat([
      Buffer.from([ApduTag.INITIATE_REQUEST]),
      this.dedicatedKey ? Buffer.concat([Buffer.from([0x01]), encodeAxdrLength(this.dedicatedKey.length), this.dedicatedKey]) : Buffer.from([0x00]),
      // response-allowed BOOLEAN DEFAULT TRUE: 00 = default
      this.responseAllowed ? Buffer.from([0x00]) : Buffer.from([0x01, 0x00]),
      this.proposedQualityOfService === undefined ? Buffer.from([0x00]) : Buffer.from([0x01, checkUint(this.proposedQualityOfService, 0xff, 'QoS')]),
      Buffer.from([checkUint(this.proposedDlmsVersion, 0xff, 'dlms version')]),
      encodeConformance(this.proposedConformance),
      u16be(checkUint(this.clientMaxReceivePduSize, 0xffff, 'client-max-receive-pdu-size')),
    ]);
  }

  static decode(buf: Buffer): InitiateRequest {
    const r = new ByteReader(buf, 'InitiateRequest');
    if (r.u8('tag') !== ApduTag.INITIATE_REQUEST) throw decodeError('InitiateRequest: expected tag 0x01');
    const dedicatedKey = readOptional(r, 'dedicated-key', () => r.bytes(r.axdrLength('dedicated-key'), 'dedicated-key'));
    const responseAllowed = readOptional(r, 'response-allowed', () => r.u8('response-allowed') !== 0) ?? true;
    const proposedQualityOfService = readOptional(r, 'proposed-quality-of-service', () => r.u8('proposed-quality-of-service'));
    const proposedDlmsVersion = r.u8('proposed-dlms-version-number');
    const proposedConformance = readConformance(r);
    const clientMaxReceivePduSize = r.u16('client-max-receive-pdu-size');
    r.expectEnd();
    return new InitiateRequest({ dedicatedKey, responseAllowed, proposedQualityOfService, proposedDlmsVersion, proposedConformance, clientMaxReceivePduSize });
  }
}

export class InitiateResponse {
  readonly negotiatedQualityOfService?: number;
  readonly negotiatedDlmsVersion: number;
  readonly negotiatedConformance: Conformance;
  readonly serverMaxReceivePduSize: number;
  /** 0x0007 for LN referencing. */
  readonly vaaName: number;

  constructor(p: {
    negotiatedQualityOfService?: number;
    negotiatedDlmsVersion?: number;
    negotiatedConformance: Conformance;
    serverMaxReceivePduSize: number;
    vaaName?: number;
  }) {
    if (p.negotiatedQualityOfService !== undefined) this.negotiatedQualityOfService = p.negotiatedQualityOfService;
    this.negotiatedDlmsVersion = p.negotiatedDlmsVersion ?? 6;
    this.negotiatedConformance = p.negotiatedConformance;
    this.serverMaxReceivePduSize = p.serverMaxReceivePduSize;
    this.vaaName = p.vaaName ?? 0x0007;
    Object.freeze(this);
  }

  encode(): Buffer {
    return Buffer.concat([
      Buffer.from([ApduTag.INITIATE_RESPONSE]),
      this.negotiatedQualityOfService === undefined ? Buffer.from([0x00]) : Buffer.from([0x01, checkUint(this.negotiatedQualityOfService, 0xff, 'QoS')]),
      Buffer.from([checkUint(this.negotiatedDlmsVersion, 0xff, 'dlms version')]),
      encodeConformance(this.negotiatedConformance),
      u16be(checkUint(this.serverMaxReceivePduSize, 0xffff, 'server-max-receive-pdu-size')),
      u16be(checkUint(this.vaaName, 0xffff, 'vaa-name')),
    ]);
  }

  static decode(buf: Buffer): InitiateResponse {
    const r = new ByteReader(buf, 'InitiateResponse');
    if (r.u8('tag') !== ApduTag.INITIATE_RESPONSE) throw decodeError('InitiateResponse: expected tag 0x08');
    const negotiatedQualityOfService = readOptional(r, 'negotiated-quality-of-service', () => r.u8('negotiated-quality-of-service'));
    const negotiatedDlmsVersion = r.u8('negotiated-dlms-version-number');
    const negotiatedConformance = readConformance(r);
    const serverMaxReceivePduSize = r.u16('server-max-receive-pdu-size');
    const vaaName = r.u16('vaa-name');
    r.expectEnd();
    return new InitiateResponse({ negotiatedQualityOfService, negotiatedDlmsVersion, negotiatedConformance, serverMaxReceivePduSize, vaaName });
  }
}
