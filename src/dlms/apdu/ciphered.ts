/**
 * Containers of ciphered APDUs (DLMS-NOTES §5), without the crypto (that is src/dlms/security/glo.ts):
 *   glo-ciphered:          tag | A-XDR length | SC | IC(4) | ciphertext-or-plaintext ‖ T(12)
 *   general-glo-ciphering: DB | len ST | ST | A-XDR length | SC | IC(4) | ...
 */
import { ByteReader, checkUint, decodeError, encodeAxdrLength, encodeError, u32be } from '../bytes.ts';

/** Plain xDLMS tag → its glo-ciphered tag (DLMS-NOTES §5). */
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

/** Dedicated-key ciphered tags: recognised but not used by GXF (DLMS-NOTES §5). */
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

export class GeneralGloCiphering {
  readonly systemTitle: Buffer;
  readonly securityControl: number;
  readonly invocationCounter: number;
  readonly content: Buffer;

  constructor(p: { systemTitle: Buffer; securityControl: number; invocationCounter: number; content: Buffer }) {
    this.systemTitle = p.systemTitle;
    this.securityControl = p.securityControl;
    this.invocationCounter = p.invocationCounter;
    this.content = p.content;
    Object.freeze(this);
  }

  encode(): Buffer {
    const body = Buffer.concat([
      Buffer.from([checkUint(this.securityControl, 0xff, 'security control')]),
      u32be(checkUint(this.invocationCounter, 0xffffffff, 'invocation counter')),
      this.content,
    ]);
    return Buffer.concat([
      Buffer.from([GENERAL_GLO_CIPHERING_TAG]),
      encodeAxdrLength(this.systemTitle.length),
      this.systemTitle,
      encodeAxdrLength(body.length),
      body,
    ]);
  }

  static decode(buf: Buffer): GeneralGloCiphering {
    const r = new ByteReader(buf, 'general-glo-ciphering');
    if (r.u8('tag') !== GENERAL_GLO_CIPHERING_TAG) throw decodeError('general-glo-ciphering: expected tag 0xdb');
    const stLen = r.axdrLength('system title');
    const systemTitle = r.bytes(stLen, 'system title');
    const len = r.axdrLength('ciphered content');
    if (len < 5) throw decodeError(`general-glo-ciphering: length ${len} cannot hold security control and invocation counter`);
    r.need(len, 'ciphered content');
    const securityControl = r.u8('security control');
    const invocationCounter = r.u32('invocation counter');
    const content = r.bytes(len - 5, 'ciphered content');
    r.expectEnd();
    return new GeneralGloCiphering({ systemTitle, securityControl, invocationCounter, content });
  }
}
