/** OBIS codes: "A-B:C.D.E.F" <-> 6 bytes (docs/dlms.md#xdlms-services: `0-1:24.1.0.255` → `00 01 18 01 00 FF`). */
import { decodeError } from './bytes.ts';

const TEXT = /^(\d{1,3})-(\d{1,3}):(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export class Obis {
  readonly bytes: Buffer;

  private constructor(bytes: Buffer) {
    this.bytes = bytes;
  }

  /** Parses "A-B:C.D.E.F" (also "A.B.C.D.E.F" and 12 hex digits). Throws DECODE_ERROR for anything else. */
  static parse(text: string): Obis {
    const t = text.trim();
    const m = TEXT.exec(t) ?? DOTTED.exec(t);
    if (m) {
      const values = m.slice(1).map(Number);
      if (values.some((v) => v > 255)) throw decodeError(`OBIS code ${JSON.stringify(text)} has a value above 255`);
      return new Obis(Buffer.from(values));
    }
    if (/^[0-9a-fA-F]{12}$/.test(t)) return new Obis(Buffer.from(t, 'hex'));
    throw decodeError(`not an OBIS code: ${JSON.stringify(text.slice(0, 40))}`);
  }

  static fromBytes(bytes: Uint8Array): Obis {
    if (bytes.length !== 6) throw decodeError(`OBIS code must be 6 bytes, got ${bytes.length}`);
    return new Obis(Buffer.from(bytes));
  }

  static of(a: number, b: number, c: number, d: number, e: number, f: number): Obis {
    const v = [a, b, c, d, e, f];
    if (v.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw decodeError(`OBIS values must be 0..255: ${v.join(',')}`);
    return new Obis(Buffer.from(v));
  }

  get values(): [number, number, number, number, number, number] {
    const b = this.bytes;
    return [b[0]!, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!];
  }

  equals(other: Obis): boolean {
    return this.bytes.equals(other.bytes);
  }

  toString(): string {
    const [a, b, c, d, e, f] = this.values;
    return `${a}-${b}:${c}.${d}.${e}.${f}`;
  }

  toJSON(): string {
    return this.toString();
  }
}
