/**
 * Containers of ciphered APDUs (docs/dlms.md#ciphering), without the crypto (that is src/dlms/security/glo.ts):
 *   glo-ciphered:          tag | A-XDR length | SC | IC(4) | ciphertext-or-plaintext ‖ T(12)
 *   general-glo-ciphering: DB | len ST | ST | A-XDR length | SC | IC(4) | ...
 *   general-ded-ciphering: DC | the same fields, enciphered with the dedicated key instead of the global one
 * (DLMS Green Book, "general-glo-ciphering" and "general-ded-ciphering" APDUs: the system title is an octet string
 * with its length, the ciphered content an octet string with its length that starts with the security header).
 */
import { ByteReader, checkUint, decodeError, encodeAxdrLength, encodeError, u32be } from '../bytes.ts';

/** Plain xDLMS tag → its glo-ciphered tag (docs/dlms.md#ciphering). */
export const GLO_TAG_FOR: ReadonlyMap<number, number> = new Map([
  [0xc0, 0xc8], // get-request
  [0xc1, 0xc9], // set-request
  [0xc2, 0xca], // event-notification-request
  [0xc3, 0xcb], // action-request
  [0xc4, 0xcc], // get-response
  [0xc5, 0xcd], // set-response
  [0xc7, 0xcf], // action-response
  [0x01, 0x21], // initiate-request
  [0x08, 0x28], // initiate-response
  [0x0e, 0x2e], // confirmed-service-error
]);

export const PLAIN_TAG_FOR: ReadonlyMap<number, number> = new Map([...GLO_TAG_FOR].map(([p, g]) => [g, p]));

export const GENERAL_GLO_CIPHERING_TAG = 0xdb;
export const GENERAL_DED_CIPHERING_TAG = 0xdc;

/** Dedicated-key ciphered tags: recognised but not used by GXF (docs/dlms.md#ciphering). */
export const DED_TAGS: ReadonlySet<number> = new Set([0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd7, 0xdc]);

export function isGloTag(tag: number): boolean {
  return PLAIN_TAG_FOR.has(tag);
}

export class GloCipheredApdu {
  readonly tag: number;
  readonly securityControl: number;
  readonly invocationCounter: number;
  /** Ciphertext ‖ tag (SC 0x30) or plaintext ‖ tag (SC 0x10). */
  readonly content: Buffer;

  constructor(p: { tag: number; securityControl: number; invocationCounter: number; content: Buffer }) {
    this.tag = p.tag;
    this.securityControl = p.securityControl;
    this.invocationCounter = p.invocationCounter;
    this.content = p.content;
    Object.freeze(this);
  }

  encode(): Buffer {
    if (!isGloTag(this.tag)) throw encodeError(`0x${this.tag.toString(16)} is not a glo-ciphered tag`);
    const body = Buffer.concat([
      Buffer.from([checkUint(this.securityControl, 0xff, 'security control')]),
      u32be(checkUint(this.invocationCounter, 0xffffffff, 'invocation counter')),
      this.content,
    ]);
    return Buffer.concat([Buffer.from([this.tag]), encodeAxdrLength(body.length), body]);
  }

  static decode(buf: Buffer): GloCipheredApdu {
    const r = new ByteReader(buf, 'glo-ciphered APDU');
    const tag = r.u8('tag');
    if (!isGloTag(tag)) throw decodeError(`glo-ciphered APDU: 0x${tag.toString(16).padStart(2, '0')} is not a glo-ciphered tag`);
    const len = r.axdrLength('ciphered content');
    if (len < 5) throw decodeError(`glo-ciphered APDU: length ${len} cannot hold security control and invocation counter`);
    r.need(len, 'ciphered content');
    const securityControl = r.u8('security control');
    const invocationCounter = r.u32('invocation counter');
    // A view: the content is only deciphered into a new buffer (or copied for SC 0x10), never kept.
    const content = r.view(len - 5, 'ciphered content');
    r.expectEnd();
    return new GloCipheredApdu({ tag, securityControl, invocationCounter, content });
  }
}

/**
 * general-glo-ciphering (DB) or, with `tag` 0xDC, general-ded-ciphering: the sender's system title travels in the
 * APDU. A sender may leave it empty (length 0) when the receiver already knows it from the association.
 */
export class GeneralGloCiphering {
  readonly tag: number;
  readonly systemTitle: Buffer;
  readonly securityControl: number;
  readonly invocationCounter: number;
  readonly content: Buffer;

  constructor(p: { tag?: number; systemTitle: Buffer; securityControl: number; invocationCounter: number; content: Buffer }) {
    this.tag = p.tag ?? GENERAL_GLO_CIPHERING_TAG;
    this.systemTitle = p.systemTitle;
    this.securityControl = p.securityControl;
    this.invocationCounter = p.invocationCounter;
    this.content = p.content;
    Object.freeze(this);
  }

  encode(): Buffer {
    if (this.tag !== GENERAL_GLO_CIPHERING_TAG && this.tag !== GENERAL_DED_CIPHERING_TAG) throw encodeError(`0x${this.tag.toString(16)} is not general-glo- or general-ded-ciphering`);
    const body = Buffer.concat([
      Buffer.from([checkUint(this.securityControl, 0xff, 'security control')]),
      u32be(checkUint(this.invocationCounter, 0xffffffff, 'invocation counter')),
      this.content,
    ]);
    return Buffer.concat([
      Buffer.from([this.tag]),
      encodeAxdrLength(this.systemTitle.length),
      this.systemTitle,
      encodeAxdrLength(body.length),
      body,
    ]);
  }

  static decode(buf: Buffer): GeneralGloCiphering {
    const r = new ByteReader(buf, 'general-glo-ciphering');
    const tag = r.u8('tag');
    if (tag !== GENERAL_GLO_CIPHERING_TAG && tag !== GENERAL_DED_CIPHERING_TAG) throw decodeError('general-glo-ciphering: expected tag 0xdb or 0xdc');
    const stLen = r.axdrLength('system title');
    const systemTitle = r.bytes(stLen, 'system title');
    const len = r.axdrLength('ciphered content');
    if (len < 5) throw decodeError(`general-glo-ciphering: length ${len} cannot hold security control and invocation counter`);
    r.need(len, 'ciphered content');
    const securityControl = r.u8('security control');
    const invocationCounter = r.u32('invocation counter');
    const content = r.bytes(len - 5, 'ciphered content');
    r.expectEnd();
    return new GeneralGloCiphering({ tag, systemTitle, securityControl, invocationCounter, content });
  }
}
