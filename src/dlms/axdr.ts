/**
 * A-XDR encoding of the COSEM Data type (docs/dlms.md#a-xdr-data, tag table). Integers are big-endian; counts and lengths use
 * the A-XDR length form. Decoding is bounded: lengths are checked against the bytes present before any copy, and
 * nesting is limited so hostile input cannot exhaust the stack.
 */
import { ByteReader, checkUint, decodeError, encodeAxdrLength, encodeError } from './bytes.ts';

export { decodeAxdrLength, encodeAxdrLength } from './bytes.ts';

export type SimpleNumberType =
  | 'integer'
  | 'long'
  | 'unsigned'
  | 'long-unsigned'
  | 'double-long'
  | 'double-long-unsigned'
  | 'enum'
  | 'bcd'
  | 'float32'
  | 'float64';

/** Type description of a compact-array element (Blue Book TypeDescription). */
export type TypeDescription =
  | { type: Exclude<DlmsDataType, 'array' | 'structure' | 'compact-array'> }
  | { type: 'array'; count: number; element: TypeDescription }
  | { type: 'structure'; elements: TypeDescription[] };

export type DlmsData =
  | { type: 'null-data' }
  | { type: 'array' | 'structure'; value: DlmsData[] }
  | { type: 'boolean'; value: boolean }
  | { type: 'bit-string'; value: Buffer; bitLength: number }
  | { type: SimpleNumberType; value: number }
  | { type: 'long64' | 'long64-unsigned'; value: bigint }
  | { type: 'octet-string'; value: Buffer }
  | { type: 'visible-string' | 'utf8-string'; value: string }
  | { type: 'date-time' | 'date' | 'time'; value: Buffer }
  | { type: 'compact-array'; elementType: TypeDescription; value: DlmsData[] };

export type DlmsDataType = DlmsData['type'];

export const DATA_TAGS = {
  'null-data': 0x00,
  array: 0x01,
  structure: 0x02,
  boolean: 0x03,
  'bit-string': 0x04,
  'double-long': 0x05,
  'double-long-unsigned': 0x06,
  'octet-string': 0x09,
  'visible-string': 0x0a,
  'utf8-string': 0x0c,
  bcd: 0x0d,
  integer: 0x0f,
  long: 0x10,
  unsigned: 0x11,
  'long-unsigned': 0x12,
  'compact-array': 0x13,
  long64: 0x14,
  'long64-unsigned': 0x15,
  enum: 0x16,
  float32: 0x17,
  float64: 0x18,
  'date-time': 0x19,
  date: 0x1a,
  time: 0x1b,
} as const satisfies Record<DlmsDataType, number>;

const TAG_TYPES = new Map<number, DlmsDataType>(Object.entries(DATA_TAGS).map(([k, v]) => [v, k as DlmsDataType]));

/** Fixed body sizes of the date types (no length prefix). */
const DATE_SIZES = { 'date-time': 12, date: 5, time: 4 } as const;

const INT_RANGES: Record<Exclude<SimpleNumberType, 'float32' | 'float64'>, [number, number, number]> = {
  // [min, max, byte size]
  integer: [-0x80, 0x7f, 1],
  long: [-0x8000, 0x7fff, 2],
  unsigned: [0, 0xff, 1],
  'long-unsigned': [0, 0xffff, 2],
  'double-long': [-0x80000000, 0x7fffffff, 4],
  'double-long-unsigned': [0, 0xffffffff, 4],
  enum: [0, 0xff, 1],
  bcd: [0, 0xff, 1],
};

/** Nesting limit for arrays/structures; real COSEM objects stay far below it. */
export const MAX_DEPTH = 32;

// ---------------------------------------------------------------------------------------------------------------
// Constructors

export const Data = {
  nullData: (): DlmsData => ({ type: 'null-data' }),
  array: (value: DlmsData[]): DlmsData => ({ type: 'array', value }),
  structure: (value: DlmsData[]): DlmsData => ({ type: 'structure', value }),
  boolean: (value: boolean): DlmsData => ({ type: 'boolean', value }),
  bitString: (value: Buffer, bitLength = value.length * 8): DlmsData => ({ type: 'bit-string', value, bitLength }),
  integer: (value: number): DlmsData => ({ type: 'integer', value }),
  long: (value: number): DlmsData => ({ type: 'long', value }),
  unsigned: (value: number): DlmsData => ({ type: 'unsigned', value }),
  longUnsigned: (value: number): DlmsData => ({ type: 'long-unsigned', value }),
  doubleLong: (value: number): DlmsData => ({ type: 'double-long', value }),
  doubleLongUnsigned: (value: number): DlmsData => ({ type: 'double-long-unsigned', value }),
  long64: (value: bigint): DlmsData => ({ type: 'long64', value }),
  long64Unsigned: (value: bigint): DlmsData => ({ type: 'long64-unsigned', value }),
  enum: (value: number): DlmsData => ({ type: 'enum', value }),
  bcd: (value: number): DlmsData => ({ type: 'bcd', value }),
  float32: (value: number): DlmsData => ({ type: 'float32', value }),
  float64: (value: number): DlmsData => ({ type: 'float64', value }),
  octetString: (value: Buffer | string): DlmsData => ({
    type: 'octet-string',
    value: typeof value === 'string' ? Buffer.from(value, 'hex') : value,
  }),
  visibleString: (value: string): DlmsData => ({ type: 'visible-string', value }),
  utf8String: (value: string): DlmsData => ({ type: 'utf8-string', value }),
  dateTime: (value: Buffer): DlmsData => ({ type: 'date-time', value }),
  date: (value: Buffer): DlmsData => ({ type: 'date', value }),
  time: (value: Buffer): DlmsData => ({ type: 'time', value }),
} as const;

// ---------------------------------------------------------------------------------------------------------------
// Encoding

export function encodeData(d: DlmsData): Buffer {
  const parts: Buffer[] = [];
  writeData(d, parts, 0);
  return Buffer.concat(parts);
}

function writeData(d: DlmsData, out: Buffer[], depth: number): void {
  const tag = (DATA_TAGS as Record<string, number>)[d.type];
  if (tag === undefined) throw encodeError(`unknown Data type ${String((d as { type: unknown }).type)}`);
  out.push(Buffer.from([tag]));
  writeContents(d, out, depth);
}

/** Body of a Data value without its tag (also the element form inside compact-array contents). */
function writeContents(d: DlmsData, out: Buffer[], depth: number): void {
  if (depth > MAX_DEPTH) throw encodeError(`Data nested deeper than ${MAX_DEPTH}`);
  switch (d.type) {
    case 'null-data':
      return;
    case 'array':
    case 'structure':
      out.push(encodeAxdrLength(d.value.length));
      for (const e of d.value) writeData(e, out, depth + 1);
      return;
    case 'boolean':
      out.push(Buffer.from([d.value ? 0xff : 0x00]));
      return;
    case 'bit-string': {
      const bytes = Math.ceil(d.bitLength / 8);
      if (d.value.length !== bytes) throw encodeError(`bit-string of ${d.bitLength} bits needs ${bytes} bytes, got ${d.value.length}`);
      out.push(encodeAxdrLength(d.bitLength), d.value);
      return;
    }
    case 'float32': {
      const b = Buffer.alloc(4);
      b.writeFloatBE(d.value);
      out.push(b);
      return;
    }
    case 'float64': {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(d.value);
      out.push(b);
      return;
    }
    case 'integer':
    case 'long':
    case 'unsigned':
    case 'long-unsigned':
    case 'double-long':
    case 'double-long-unsigned':
    case 'enum':
    case 'bcd': {
      const [min, max, size] = INT_RANGES[d.type];
      if (!Number.isInteger(d.value) || d.value < min || d.value > max) {
        throw encodeError(`${d.type} value ${d.value} is outside ${min}..${max}`);
      }
      const b = Buffer.alloc(size);
      if (min < 0) b.writeIntBE(d.value, 0, size);
      else b.writeUIntBE(d.value, 0, size);
      out.push(b);
      return;
    }
    case 'long64':
    case 'long64-unsigned': {
      const b = Buffer.alloc(8);
      try {
        if (d.type === 'long64') b.writeBigInt64BE(d.value);
        else b.writeBigUInt64BE(d.value);
      } catch {
        throw encodeError(`${d.type} value ${d.value} is out of range`);
      }
      out.push(b);
      return;
    }
    case 'octet-string':
      out.push(encodeAxdrLength(d.value.length), d.value);
      return;
    case 'visible-string': {
      const b = Buffer.from(d.value, 'latin1');
      out.push(encodeAxdrLength(b.length), b);
      return;
    }
    case 'utf8-string': {
      const b = Buffer.from(d.value, 'utf8');
      out.push(encodeAxdrLength(b.length), b);
      return;
    }
    case 'date-time':
    case 'date':
    case 'time':
      if (d.value.length !== DATE_SIZES[d.type]) throw encodeError(`${d.type} must be ${DATE_SIZES[d.type]} bytes, got ${d.value.length}`);
      out.push(d.value);
      return;
    case 'compact-array': {
      out.push(encodeTypeDescription(d.elementType));
      const contents: Buffer[] = [];
      for (const e of d.value) writeCompactElement(e, d.elementType, contents, depth + 1);
      const body = Buffer.concat(contents);
      out.push(encodeAxdrLength(body.length), body);
      return;
    }
    default:
      throw encodeError(`unknown Data type ${String((d as { type: unknown }).type)}`);
  }
}

function writeCompactElement(d: DlmsData, t: TypeDescription, out: Buffer[], depth: number): void {
  if (d.type !== t.type) throw encodeError(`compact-array element of type ${d.type} does not match ${t.type}`);
  if (t.type === 'structure' && d.type === 'structure') {
    if (d.value.length !== t.elements.length) throw encodeError('compact-array structure element count mismatch');
    d.value.forEach((e, i) => writeCompactElement(e, t.elements[i]!, out, depth + 1));
  } else if (t.type === 'array' && d.type === 'array') {
    if (d.value.length !== t.count) throw encodeError('compact-array array element count mismatch');
    for (const e of d.value) writeCompactElement(e, t.element, out, depth + 1);
  } else {
    writeContents(d, out, depth);
  }
}

export function encodeTypeDescription(t: TypeDescription): Buffer {
  const tag = DATA_TAGS[t.type];
  if (t.type === 'array') {
    return Buffer.concat([Buffer.from([tag, (checkUint(t.count, 0xffff, 'array count') >> 8) & 0xff, t.count & 0xff]), encodeTypeDescription(t.element)]);
  }
  if (t.type === 'structure') {
    return Buffer.concat([Buffer.from([tag]), encodeAxdrLength(t.elements.length), ...t.elements.map(encodeTypeDescription)]);
  }
  return Buffer.from([tag]);
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding

export function decodeData(buf: Buffer, offset = 0): { data: DlmsData; next: number } {
  const r = new ByteReader(buf, 'A-XDR Data', offset);
  const data = readData(r, 0);
  return { data, next: r.pos };
}

/** Decodes exactly one Data value that fills the buffer. */
export function decodeDataExact(buf: Buffer): DlmsData {
  const r = new ByteReader(buf, 'A-XDR Data');
  const data = readData(r, 0);
  r.expectEnd();
  return data;
}

/** Reads one tagged Data value from a reader (used by the APDU decoders). */
export function readData(r: ByteReader, depth = 0): DlmsData {
  const at = r.pos;
  const tag = r.u8('Data tag');
  const type = TAG_TYPES.get(tag);
  if (type === undefined) throw decodeError(`${r.what}: unknown A-XDR Data tag 0x${tag.toString(16).padStart(2, '0')} at offset ${at}`);
  if (type === 'compact-array') {
    if (depth > MAX_DEPTH) throw decodeError(`${r.what}: Data nested deeper than ${MAX_DEPTH}`);
    const elementType = readTypeDescription(r, depth + 1);
    const len = r.axdrLength('compact-array contents');
    r.need(len, 'compact-array contents');
    // Nested arrays of zero-size types would make the decoder loop without consuming bytes; oversized element
    // types cannot fit. Both are refused before any element is built.
    const elementSize = minContentSize(elementType);
    if (elementSize === 0) throw decodeError(`${r.what}: compact-array element type has no size`);
    if (len > 0 && elementSize > len) throw decodeError(`${r.what}: compact-array element needs at least ${elementSize} bytes, contents have ${len}`);
    const sub = new ByteReader(r.buf, r.what, r.pos, r.pos + len);
    r.pos += len;
    const value: DlmsData[] = [];
    while (!sub.atEnd) {
      const before = sub.pos;
      value.push(readContents(sub, elementType, depth + 1));
      // A zero-size element type (null-data, empty structure) would never consume the contents.
      if (sub.pos === before) throw decodeError(`${r.what}: compact-array element type has no size`);
    }
    return { type: 'compact-array', elementType, value };
  }
  return readContents(r, { type } as ContentsType, depth);
}

/** A compact-array element type, or a plain tagged array/structure whose elements carry their own tags. */
type ContentsType = TypeDescription | { type: 'array' | 'structure' };

function readContents(r: ByteReader, t: ContentsType, depth: number): DlmsData {
  if (depth > MAX_DEPTH) throw decodeError(`${r.what}: Data nested deeper than ${MAX_DEPTH}`);
  switch (t.type) {
    case 'null-data':
      return { type: 'null-data' };
    case 'array':
    case 'structure': {
      const value: DlmsData[] = [];
      if ('elements' in t) {
        for (const e of t.elements) value.push(readContents(r, e, depth + 1));
      } else if ('element' in t) {
        for (let i = 0; i < t.count; i++) value.push(readContents(r, t.element, depth + 1));
      } else {
        const count = r.axdrLength(`${t.type} count`);
        // Every element takes at least one byte (its tag), so a count beyond the remaining bytes is a lie.
        if (count > r.remaining) throw decodeError(`${r.what}: ${t.type} declares ${count} elements but only ${r.remaining} byte(s) remain`);
        for (let i = 0; i < count; i++) value.push(readData(r, depth + 1));
      }
      return { type: t.type, value };
    }
    case 'boolean':
      return { type: 'boolean', value: r.u8('boolean') !== 0 };
    case 'bit-string': {
      const bitLength = r.axdrLength('bit-string');
      const value = r.bytes(Math.ceil(bitLength / 8), 'bit-string');
      return { type: 'bit-string', value, bitLength };
    }
    case 'integer':
      return { type: t.type, value: r.i8(t.type) };
    case 'long':
      return { type: t.type, value: r.i16(t.type) };
    case 'unsigned':
    case 'enum':
    case 'bcd':
      return { type: t.type, value: r.u8(t.type) };
    case 'long-unsigned':
      return { type: t.type, value: r.u16(t.type) };
    case 'double-long':
      return { type: t.type, value: r.i32(t.type) };
    case 'double-long-unsigned':
      return { type: t.type, value: r.u32(t.type) };
    case 'long64':
      return { type: t.type, value: r.view(8, t.type).readBigInt64BE(0) };
    case 'long64-unsigned':
      return { type: t.type, value: r.view(8, t.type).readBigUInt64BE(0) };
    case 'float32':
      return { type: t.type, value: r.view(4, t.type).readFloatBE(0) };
    case 'float64':
      return { type: t.type, value: r.view(8, t.type).readDoubleBE(0) };
    case 'octet-string': {
      const len = r.axdrLength('octet-string');
      return { type: 'octet-string', value: r.bytes(len, 'octet-string') };
    }
    case 'visible-string': {
      const len = r.axdrLength('visible-string');
      return { type: 'visible-string', value: r.view(len, 'visible-string').toString('latin1') };
    }
    case 'utf8-string': {
      const len = r.axdrLength('utf8-string');
      return { type: 'utf8-string', value: r.view(len, 'utf8-string').toString('utf8') };
    }
    case 'date-time':
    case 'date':
    case 'time':
      return { type: t.type, value: r.bytes(DATE_SIZES[t.type], t.type) };
    default:
      throw decodeError(`${r.what}: type ${(t as { type: string }).type} cannot be a compact-array element`);
  }
}

const MIN_SIZES: Partial<Record<DlmsDataType, number>> = {
  'null-data': 0,
  boolean: 1,
  'bit-string': 1,
  'double-long': 4,
  'double-long-unsigned': 4,
  'octet-string': 1,
  'visible-string': 1,
  'utf8-string': 1,
  bcd: 1,
  integer: 1,
  long: 2,
  unsigned: 1,
  'long-unsigned': 2,
  long64: 8,
  'long64-unsigned': 8,
  enum: 1,
  float32: 4,
  float64: 8,
  'date-time': 12,
  date: 5,
  time: 4,
};

/** Fewest content bytes one element of this type can take (strings count only their length byte). */
function minContentSize(t: TypeDescription): number {
  if (t.type === 'array') return t.count * minContentSize(t.element);
  if (t.type === 'structure') return t.elements.reduce((s, e) => s + minContentSize(e), 0);
  return MIN_SIZES[t.type] ?? 1;
}

function readTypeDescription(r: ByteReader, depth: number): TypeDescription {
  if (depth > MAX_DEPTH) throw decodeError(`${r.what}: type description nested deeper than ${MAX_DEPTH}`);
  const tag = r.u8('type description');
  const type = TAG_TYPES.get(tag);
  if (type === undefined || type === 'compact-array') {
    throw decodeError(`${r.what}: invalid type description tag 0x${tag.toString(16).padStart(2, '0')}`);
  }
  if (type === 'array') {
    const count = r.u16('type description array count');
    return { type: 'array', count, element: readTypeDescription(r, depth + 1) };
  }
  if (type === 'structure') {
    const n = r.axdrLength('type description structure count');
    if (n > r.remaining) throw decodeError(`${r.what}: type description declares ${n} elements but only ${r.remaining} byte(s) remain`);
    const elements: TypeDescription[] = [];
    for (let i = 0; i < n; i++) elements.push(readTypeDescription(r, depth + 1));
    return { type: 'structure', elements };
  }
  return { type } as TypeDescription;
}

// ---------------------------------------------------------------------------------------------------------------
// Accessors used by higher layers to pick typed values out of Data without casts.

export function expectType<T extends DlmsDataType>(d: DlmsData, type: T, what: string): Extract<DlmsData, { type: T }> {
  if (d.type !== type) throw decodeError(`${what}: expected ${type}, got ${d.type}`);
  return d as Extract<DlmsData, { type: T }>;
}

/** Numeric value of any integer-like Data (null-data → undefined). */
export function dataNumber(d: DlmsData, what: string): number | undefined {
  if (d.type === 'null-data') return undefined;
  if (d.type in INT_RANGES || d.type === 'float32' || d.type === 'float64') return (d as { value: number }).value;
  if (d.type === 'long64' || d.type === 'long64-unsigned') return Number(d.value);
  throw decodeError(`${what}: expected a number, got ${d.type}`);
}

/** Plain JSON-friendly form of Data (octet-strings as upper-case hex, 64-bit values as strings). */
export function dataToJson(d: DlmsData): unknown {
  switch (d.type) {
    case 'null-data':
      return null;
    case 'array':
    case 'structure':
    case 'compact-array':
      return d.value.map(dataToJson);
    case 'bit-string':
    case 'octet-string':
    case 'date-time':
    case 'date':
    case 'time':
      return d.value.toString('hex').toUpperCase();
    case 'long64':
    case 'long64-unsigned':
      return d.value.toString();
    default:
      return d.value;
  }
}

/** The value of any integer-typed Data (8 to 64 bits, enum and bcd) as a bigint; undefined for every other type. */
export function integerOf(d: DlmsData): bigint | undefined {
  switch (d.type) {
    case 'integer':
    case 'long':
    case 'unsigned':
    case 'long-unsigned':
    case 'double-long':
    case 'double-long-unsigned':
    case 'enum':
    case 'bcd':
      return BigInt(d.value);
    case 'long64':
    case 'long64-unsigned':
      return d.value;
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// COSEM date-time (12 bytes): year(2) month day day-of-week hour minute second hundredths deviation(int16) status.

export const DEVIATION_UNSPECIFIED = -0x8000;

export interface CosemDateTimeFields {
  year: number; // 0xFFFF = not specified
  month: number; // 1..12, 0xFF not specified (0xFD/0xFE DST markers)
  day: number; // 1..31, 0xFF not specified
  dayOfWeek: number; // 1 = Monday .. 7, 0xFF not specified
  hour: number;
  minute: number;
  second: number;
  hundredths: number;
  /** Minutes, local time = UTC - deviation (DSMR: -60 winter CET, -120 summer); DEVIATION_UNSPECIFIED if absent. */
  deviation: number;
  clockStatus: number;
}

export function decodeCosemDateTime(buf: Buffer): CosemDateTimeFields {
  if (buf.length !== 12) throw decodeError(`COSEM date-time must be 12 bytes, got ${buf.length}`);
  return {
    year: buf.readUInt16BE(0),
    month: buf[2]!,
    day: buf[3]!,
    dayOfWeek: buf[4]!,
    hour: buf[5]!,
    minute: buf[6]!,
    second: buf[7]!,
    hundredths: buf[8]!,
    deviation: buf.readInt16BE(9),
    clockStatus: buf[11]!,
  };
}

export function encodeCosemDateTime(f: CosemDateTimeFields): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(checkUint(f.year, 0xffff, 'year'), 0);
  b[2] = checkUint(f.month, 0xff, 'month');
  b[3] = checkUint(f.day, 0xff, 'day');
  b[4] = checkUint(f.dayOfWeek, 0xff, 'day of week');
  b[5] = checkUint(f.hour, 0xff, 'hour');
  b[6] = checkUint(f.minute, 0xff, 'minute');
  b[7] = checkUint(f.second, 0xff, 'second');
  b[8] = checkUint(f.hundredths, 0xff, 'hundredths');
  if (!Number.isInteger(f.deviation) || f.deviation < -0x8000 || f.deviation > 0x7fff) throw encodeError(`deviation ${f.deviation} out of range`);
  b.writeInt16BE(f.deviation, 9);
  b[11] = checkUint(f.clockStatus, 0xff, 'clock status');
  return b;
}

/**
 * COSEM date-time for an instant. `deviation` is in minutes with DLMS sign (local = UTC - deviation), so a CET
 * meter in winter uses -60. Hundredths keep the milliseconds / 10.
 */
export function dateToCosemDateTime(date: Date, options: { deviation?: number; clockStatus?: number } = {}): Buffer {
  const deviation = options.deviation ?? 0;
  if (Number.isNaN(date.getTime())) throw encodeError('invalid Date');
  const local = new Date(date.getTime() - deviation * 60_000);
  const dow = local.getUTCDay() === 0 ? 7 : local.getUTCDay();
  return encodeCosemDateTime({
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    dayOfWeek: dow,
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
    hundredths: Math.floor(local.getUTCMilliseconds() / 10),
    deviation,
    clockStatus: options.clockStatus ?? 0,
  });
}

/**
 * The instant of a COSEM date-time. Unspecified hundredths count as 0; an unspecified deviation is taken as
 * `assumeDeviation` (default 0 = the fields are UTC). Throws DECODE_ERROR when a date or time field is unspecified.
 */
export function cosemDateTimeToDate(buf: Buffer, assumeDeviation = 0): Date {
  const f = decodeCosemDateTime(buf);
  if (f.year === 0xffff || f.month > 12 || f.month < 1 || f.day < 1 || f.day > 31 || f.hour > 23 || f.minute > 59 || f.second > 59) {
    throw decodeError('COSEM date-time does not name one instant (unspecified or out-of-range fields)');
  }
  const hundredths = f.hundredths === 0xff ? 0 : Math.min(f.hundredths, 99);
  const deviation = f.deviation === DEVIATION_UNSPECIFIED ? assumeDeviation : f.deviation;
  const localMs = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second, hundredths * 10);
  return new Date(localMs + deviation * 60_000);
}
