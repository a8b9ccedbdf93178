/**
 * Fuzzing every DLMS/COSEM decoder (issue 2 "Must show"): random bytes and mutations of valid APDUs and values.
 * Each decoder may only return or throw MeterfabricError; it must not hang and must not allocate more than the
 * input can justify (declared lengths are checked before Buffer.alloc).
 *
 * Default run: >= 100,000 inputs. Longer: FUZZ_ITERATIONS=1000000 npm test -- dlms/fuzz. Reproduce: FUZZ_SEED=<n>.
 */
import { test } from 'node:test';
import { CLOCK_TIME } from '../../src/cosem/objects.ts';
import assert from 'node:assert/strict';
import { cosemDateTimeToDate, decodeCosemDateTime, decodeData, decodeDataExact, encodeData, Data } from '../../src/dlms/axdr.ts';
import { decodeAxdrLength } from '../../src/dlms/bytes.ts';
import { Obis } from '../../src/dlms/obis.ts';
import {
  Aare,
  Aarq,
  ActionResponseNormal,
  ConfirmedServiceError,
  ExceptionResponse,
  GeneralGloCiphering,
  GetResponseNormal,
  GetResponseWithDataBlock,
  GetResponseWithList,
  GloCipheredApdu,
  InitiateRequest,
  InitiateResponse,
  Rlre,
  Rlrq,
  decodeApdu,
} from '../../src/dlms/apdu/index.ts';
import { generalGloDecrypt, gloDecrypt, gloEncrypt } from '../../src/dlms/security/glo.ts';
import { verifyHlsGmac } from '../../src/dlms/security/hls.ts';
import { aesKeyUnwrap } from '../../src/dlms/security/keywrap.ts';
import { parseMbusDataSendParameter, unwrapDsmr4TransferKey, unwrapSmr5TransferKey } from '../../src/dlms/security/mbus-transfer-key.ts';
import { parseGlobalKeyTransferParameter } from '../../src/dlms/security/global-key-transfer.ts';
import { decodeIdentificationNumber, manufacturerIdToText } from '../../src/cosem/mbus.ts';
import { isMeterfabricError } from '../../src/errors.ts';
import { cosemDateTimeInstant, dateTimeFromData, decodeDateTime } from '../../src/dlms/date-time.ts';
import { decodeCaptureTime, decodeScalerUnit } from '../../src/dlms/scaler-unit.ts';
import { decodeProfileBuffer, entryTimestamps, captureStep } from '../../src/dlms/profile.ts';
import {
  bufferSelectionFrom,
  captureObject,
  captureObjectsFromData,
  entryDescriptorFromData,
  rangeDescriptorFromData,
  selectBuffer,
} from '../../src/dlms/selective-access.ts';

const TOTAL = Number(process.env.FUZZ_ITERATIONS ?? 100_000);
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed2026) >>> 0;
/** Slowest single decode we accept before calling it a hang. Generous: CI machines are slow and shared. */
const HANG_MS = 2_000;
/** Allocation budget per input: never more than the input plus this slack (crypto and small headers). */
const ALLOC_SLACK = 256;

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** mulberry32: small, seeded, good enough to drive mutations reproducibly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const keys = { ek: h('000102030405060708090A0B0C0D0E0F'), ak: h('D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF') };
const CLIENT = h('2020200000000001');
const METER = h('4B464D1020000001');

// Valid inputs from the test vectors (docs/dlms.md#test-vectors), the seeds for mutation.
const APDUS = [
  '60 1D A1 09 06 07 60 85 74 05 08 01 01 BE 10 04 0E 01 00 00 00 06 5F 1F 04 00 40 1E 5D FF FF',
  '61 29 A1 09 06 07 60 85 74 05 08 01 01 A2 03 02 01 00 A3 05 A1 03 02 01 00 BE 10 04 0E 08 00 06 5F 1F 04 00 40 1E 1D FF FF 00 07',
  `60 5D A1 09 06 07 60 85 74 05 08 01 03 A6 0A 04 08 20 20 20 00 00 00 00 01 8A 02 07 80 8B 07 60 85 74 05 08 02 05
   AC 12 80 10 39 57 8D 1F A8 8D B0 26 8A 50 E6 EB 36 BA 13 AC BE 23 04 21 21 1F 30 00 00 00 01 69 73 44 08 F1 3A 2E 78
   19 5F ED 01 4A 64 A4 CC 40 66 99 21 B3 A9 7E A6 D4 9C`,
  `61 69 A1 09 06 07 60 85 74 05 08 01 03 A2 03 02 01 00 A3 05 A1 03 02 01 0E A4 0A 04 08 4B 46 4D 10 20 00 00 01
   88 02 07 80 89 07 60 85 74 05 08 02 05 AA 12 80 10 3D F8 A9 0E AB 9C EC 93 4E AF 91 02 FF 93 3C 5F BE 23 04 21 28 1F
   30 00 00 00 64 04 2C B3 87 AE A4 8B F4 2A A8 80 75 E3 A7 CE FA F1 C0 E8 4E 92 8E 6E 04 26 17`,
  '61 17 A1 09 06 07 60 85 74 05 08 01 03 A2 03 02 01 01 A3 05 A1 03 02 01 01',
  '62 03 80 01 00',
  '63 03 80 01 00',
  '63 0B 80 01 00 BE 06 04 04 01 02 03 04',
  '01 00 00 00 06 5F 1F 04 00 00 1E 1D FF FF',
  '01 01 10 000102030405060708090A0B0C0D0E0F 01 00 01 01 06 5F1F0400 000010 0200',
  '08 00 06 5F 1F 04 00 00 1E 1D FF FF 00 07',
  'C0 01 C1 00 01 00 00 2B 01 00 FF 02 00',
  'C4 01 C1 00 06 00 00 00 01',
  'C0 01 C1 00 48 00 01 18 01 00 FF 0E 00',
  'C4 01 C1 00 16 04',
  'C4 01 C1 01 0C',
  'C0 03 C1 05 0048 0001180100FF 05 00 0048 0001180100FF 06 00 0048 0001180100FF 07 00 0048 0001180100FF 08 00 0048 0001180100FF 09 00',
  'C4 03 C1 05 00 11 09 00 06 00B7F89B 00 12 198F 00 11 50 00 11 03',
  'C3 01 C1 0048 0001180100FF 08 01 09 1E 3297A900C4C359DC65F4F1750BFF448561D15ED98776D9AAAF4A11C2EBBE',
  'C3 01 C1 0048 0001180100FF 07 01 09 10 00112233445566778899AABBCCDDEEFF',
  'C7 01 C1 00 00',
  'C3 01 C1 00 0F 00 00 28 00 00 FF 01 01 09 11 10 00000002 C778F319EA43B3F21E06DF3F',
  'C7 01 C1 00 01 00 09 11 10 00000065 2B01EE9EA70DEEC4E1D7A412',
  'C1 01 C1 00 48 00 01 18 01 00 FF 05 00 11 09',
  'C5 01 C1 00',
  'C4 02 C1 00 00 00 00 01 00 81 C8' + '5A'.repeat(200),
  'C0 02 C1 00 00 00 01',
  'C4 02 C1 01 00 00 00 02 01 0E',
  'C0 01 42 0007 0100630100FF 02 01 02 02 04 06 00000001 06 0000000A 12 0001 12 0000',
  'C0 01 C1 0007 0100630100FF 02 01 01 02 04 02 04 12 0008 09 06 0000010000FF 0F 02 12 0000 09 0C 07DF0901FF00000000000000 09 0C 07DF0A01FF00000000000000 01 00',
  'C0 01 C1 0007 0100630100FF 02 01 01 02 04 02 04 12 0008 09 06 0000010000FF 0F 02 12 0000 19 07EA010FFF00000000FFC400 19 07EA0110FF00000000FFC400 01 01 02 04 12 0003 09 06 0100010800FF 0F 02 12 0000',
  'D8 01 02',
  'D8 01 06 00 00 00 2A',
  '0E 01 06 02',
  'C8 1E 30 00000007 1024F50A454A94AD83E3154506 60CF506324086D4B0018010A',
  'CC 17 30 0000006A 05F357020C29 E833AF849A131FC680714FB5',
  'CB3130000000031A19F5BEB25FC23F37579A56927148D1FC6F1AD1D555F89ACD96FB13F0001AD1235E7C48E540279D939F396F',
  'CF2A3000000066266FEBCF80439E2E14064EC959C97818862A5A61752A946C0B5E43FDDF0BED2D3D542F6A18',
  'CC283000000067697029EB1F9B9E0CFE4D43AA274CF73A78B692C7BACA24D2829D4025545C86C866D3C2',
  'CF163000000068796428C8EE1CCCBD3FB3316937972791C0',
  'DB 08 4B464D1020000001 17 30 0000006A 05F357020C29 E833AF849A131FC680714FB5',
].map(h);

const DATA = [
  '00', '03 FF', '04 0C AB C0', '05 FF FF FF FE', '06 00 B7 F8 9B', '09 02 01 02', '0A 02 41 42', '0C 02 C3 A9', '0D 12', '0F FF',
  '10 FE D4', '11 09', '12 19 8F', '14 FF FF FF FF FF FF FF FE', '15 01 02 03 04 05 06 07 08', '16 04', '17 3F C0 00 00',
  '18 C0 00 00 00 00 00 00 00', '19 07 EA 0B 18 FF 02 28 11 00 00 00 00', '1A 07 EA 0B 18 FF', '1B 02 28 11 00',
  '01 01 02 02 16 00 09 18 8E7E7D1622071BABC582FF28D313EB1AAEBF1948095806DD',
  '01 01 02 03 09 01 0D 09 02 FD 19 09 1E 3297A900C4C359DC65F4F1750BFF448561D15ED98776D9AAAF4A11C2EBBE',
  '13 02 02 12 11 06 0001 02 0003 04', '13 01 0002 11 02 05 06', '13 01 0002 01 0002 11 04 01 02 03 04',
  '13 02 03 09 0A 00 05 02 AABB 01 41', '13 01 0001 02 02 11 00 01 07', '09 0C 07 EA 0B 18 FF 02 28 11 00 00 00 00',
].map(h);

const CIPHERED = [
  { wire: h('CF163000000068796428C8EE1CCCBD3FB3316937972791C0'), st: METER },
  { wire: h('C8 1E 30 00000007 1024F50A454A94AD83E3154506 60CF506324086D4B0018010A'), st: CLIENT },
  { wire: gloEncrypt({ plaintext: h('C4 01 C1 00 16 04'), systemTitle: METER, invocationCounter: 9, keys, securityControl: 0x10 }), st: METER },
];

// Selective access, capture objects, buffers, scaler_unit and date-times (test/dlms/selective-access.test.ts, profile.test.ts).
const PROFILE_DATA = [
  '02 04 02 04 12 0008 09 06 0000010000FF 0F 02 12 0000 09 0C 07DF0901FF00000000000000 09 0C 07DF0A01FF00000000000000 01 00',
  '02 04 02 04 12 0008 09 06 0000010000FF 0F 02 12 0000 19 07EA010FFF00000000FFC400 19 07EA0110FF00000000FFC400 01 02 02 04 12 0008 09 06 0000010000FF 0F 02 12 0000 02 04 12 0003 09 06 0100010800FF 0F 02 12 0000',
  '02 04 02 04 12 0003 09 06 0100010800FF 0F 02 12 0000 06 00000002 06 00000003 01 00',
  '02 04 06 00000001 06 0000000A 12 0001 12 0000',
  '02 04 06 00000002 06 00000000 12 0002 12 0003',
  '01 04 02 04 12 0008 09 06 0000010000FF 0F 02 12 0000 02 04 12 0001 09 06 0000600A02FF 0F 02 12 0000 02 04 12 0003 09 06 0100010800FF 0F 02 12 0000 02 04 12 0003 09 06 0100020800FF 0F 02 12 0000',
  '01 03 02 04 09 0C 07DF0901FF000000000000 00 11 04 06 00000001 06 00000002 02 04 00 11 04 06 00000002 06 00000004 02 04 00 11 00 06 00000003 06 00000006',
  '13 02 04 09 11 06 06 16 0C 07DF0901FF00000000000000 04 00000001 00000002',
  '02 02 0F FD 16 1E',
  '09 0C 07E0020FFF17000000FFC400',
  '19 07EA0701FF0E22384EFF8880',
].map(h);

const FUZZ_COLUMNS = [CLOCK_TIME, captureObject(1, '0-0:96.10.2.255', 2), captureObject(3, '1-0:1.8.0.255', 2), captureObject(3, '1-0:2.8.0.255', 2)];
const FUZZ_BUFFER = Array.from({ length: 4 }, (_, i) => [
  Data.octetString(h(`07DF0901FF00${(i * 15).toString(16).padStart(2, '0')}0000000000`)),
  Data.unsigned(4),
  Data.doubleLongUnsigned(i + 1),
  Data.doubleLongUnsigned(2 * i + 2),
]);

const LENGTH_BYTES = [0x00, 0x01, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0xff];

function mutate(rand: () => number, seed: Buffer, pool: Buffer[]): Buffer {
  let b = Buffer.from(seed);
  const n = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < n; i++) {
    const pos = b.length === 0 ? 0 : Math.floor(rand() * b.length);
    switch (Math.floor(rand() * 9)) {
      case 0: // flip a bit
        if (b.length) b[pos] ^= 1 << Math.floor(rand() * 8);
        break;
      case 1: // random byte
        if (b.length) b[pos] = Math.floor(rand() * 256);
        break;
      case 2: // interesting length byte
        if (b.length) b[pos] = LENGTH_BYTES[Math.floor(rand() * LENGTH_BYTES.length)]!;
        break;
      case 3: // truncate
        b = b.subarray(0, pos);
        break;
      case 4: // delete one byte
        b = Buffer.concat([b.subarray(0, pos), b.subarray(pos + 1)]);
        break;
      case 5: // insert random bytes
        b = Buffer.concat([b.subarray(0, pos), randomBytes(rand, 1 + Math.floor(rand() * 4)), b.subarray(pos)]);
        break;
      case 6: // append garbage
        b = Buffer.concat([b, randomBytes(rand, 1 + Math.floor(rand() * 16))]);
        break;
      case 7: // splice with another seed
        {
          const other = pool[Math.floor(rand() * pool.length)]!;
          const at = Math.floor(rand() * (other.length + 1));
          b = Buffer.concat([b.subarray(0, pos), other.subarray(at)]);
        }
        break;
      default: // huge 32-bit big-endian value (counts, block numbers, lengths)
        if (b.length >= 4) b.writeUInt32BE(0xffffffff - Math.floor(rand() * 16), Math.min(pos, b.length - 4));
        break;
    }
  }
  return b;
}

function randomBytes(rand: () => number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

/** Random input: mostly short, sometimes starting with a known tag so it gets past the first check. */
function randomInput(rand: () => number, pool: Buffer[]): Buffer {
  const len = rand() < 0.8 ? Math.floor(rand() * 48) : Math.floor(rand() * 600);
  const b = randomBytes(rand, len);
  if (len > 0 && rand() < 0.7) b[0] = pool[Math.floor(rand() * pool.length)]![0]!;
  if (len > 1 && rand() < 0.5) b[1] = Math.floor(rand() * 4);
  return b;
}

// ---------------------------------------------------------------------------------------------------------------
// Allocation watch: Buffer.alloc/allocUnsafe/allocUnsafeSlow sizes requested while one input is decoded.

type AllocFn = (size: number, ...rest: unknown[]) => Buffer;
let maxAlloc = 0;
function watchAllocations(): () => void {
  const B = Buffer as unknown as Record<string, AllocFn>;
  const originals: Record<string, AllocFn> = {};
  for (const name of ['alloc', 'allocUnsafe', 'allocUnsafeSlow']) {
    const orig = B[name]!;
    originals[name] = orig;
    B[name] = function (this: unknown, size: number, ...rest: unknown[]) {
      if (size > maxAlloc) maxAlloc = size;
      return orig.call(this, size, ...rest);
    } as AllocFn;
  }
  return () => {
    for (const [name, fn] of Object.entries(originals)) B[name] = fn;
  };
}

interface Target {
  name: string;
  weight: number;
  seeds: Buffer[];
  run: (input: Buffer) => unknown;
}

const targets: Target[] = [
  {
    name: 'decodeApdu',
    weight: 30,
    seeds: APDUS,
    run: (b) => {
      const apdu = decodeApdu(b);
      let bytes: Buffer;
      try {
        bytes = apdu.encode();
      } catch (e) {
        // Decoders accept a few values the encoders refuse to emit (e.g. multi-byte ACSE integers); nothing else.
        if (isMeterfabricError(e) && e.code === 1001) return;
        throw e;
      }
      // What decodes re-encodes to something that decodes to the same object.
      let again;
      try {
        again = decodeApdu(bytes);
      } catch (e) {
        throw new Error(`re-encoded APDU does not decode: ${String(e)}`);
      }
      assert.deepEqual(again, apdu);
    },
  },
  {
    name: 'APDU class decoders on foreign input',
    weight: 12,
    seeds: APDUS,
    run: (b) => {
      for (const d of [Aarq.decode, Aare.decode, Rlrq.decode, Rlre.decode, InitiateRequest.decode, InitiateResponse.decode, GetResponseNormal.decode, GetResponseWithList.decode, GetResponseWithDataBlock.decode, ActionResponseNormal.decode, ExceptionResponse.decode, ConfirmedServiceError.decode, GloCipheredApdu.decode, GeneralGloCiphering.decode]) {
        try {
          d(b);
        } catch (e) {
          if (!isMeterfabricError(e)) throw e;
        }
      }
    },
  },
  {
    name: 'A-XDR Data',
    weight: 25,
    seeds: DATA,
    run: (b) => {
      const { data, next } = decodeData(b);
      assert.ok(next <= b.length);
      // Whatever decodes must encode, and decode again to the same value (length forms need not be minimal).
      let again;
      try {
        again = decodeDataExact(encodeData(data));
      } catch (e) {
        throw new Error(`decoded Data does not encode and decode again: ${String(e)}`);
      }
      assert.deepEqual(again, data);
      try {
        parseMbusDataSendParameter(data);
      } catch (e) {
        if (!isMeterfabricError(e)) throw e;
      }
      parseGlobalKeyTransferParameter(decodeDataExact(b));
    },
  },
  {
    name: 'glo/general-glo decipher',
    weight: 15,
    seeds: CIPHERED.map((c) => c.wire).concat([h('DB 08 4B464D1020000001 17 30 0000006A 05F357020C29 E833AF849A131FC680714FB5')]),
    run: (b) => {
      if (b[0] === 0xdb) return generalGloDecrypt(b, { keys });
      return gloDecrypt(b, { systemTitle: b.length % 2 ? METER : CLIENT, keys });
    },
  },
  {
    name: 'key unwraps and HLS verify',
    weight: 8,
    seeds: [
      h('3297A900 C4C359DC65F4F1750BFF448561D15ED98776 D9AAAF4A11C2EBBE'),
      h('F59D7CBF08FC47375511E6D9EECB6804'),
      h('1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5'),
      h('10 00000065 2B01EE9EA70DEEC4E1D7A412'),
    ],
    run: (b) => {
      const results: unknown[] = [];
      const def = h('0F0E0D0C0B0A09080706050403020100');
      for (const f of [
        () => unwrapSmr5TransferKey({ defaultKey: def, blob: b, identificationNumber: '12056731', manufacturerId: 0x198f }),
        () => unwrapDsmr4TransferKey(def, b),
        () => aesKeyUnwrap(keys.ek, b),
      ]) {
        try {
          results.push(f());
        } catch (e) {
          if (!isMeterfabricError(e)) throw e;
        }
      }
      return verifyHlsGmac(b, { challenge: h('39578D1FA88DB0268A50E6EB36BA13AC'), systemTitle: METER, keys });
    },
  },
  {
    name: 'OBIS, date-time, A-XDR length, M-Bus identity',
    weight: 10,
    seeds: [h('0001180100FF'), h('07EA0B18FF022811 00000000'), h('8201 2C'), h('12056731')],
    run: (b) => {
      const out: unknown[] = [];
      for (const f of [
        () => Obis.fromBytes(b),
        () => Obis.parse(b.toString('latin1')),
        () => decodeCosemDateTime(b),
        () => cosemDateTimeToDate(b),
        () => decodeAxdrLength(b),
        () => (b.length >= 4 ? decodeIdentificationNumber(b.readUInt32BE(0), b[0]! & 1) : undefined),
        () => (b.length >= 2 ? manufacturerIdToText(b.readUInt16BE(0)) : undefined),
      ]) {
        try {
          out.push(f());
        } catch (e) {
          if (!isMeterfabricError(e)) throw e;
        }
      }
      return out;
    },
  },
  {
    name: 'selective access, profile buffer, scaler_unit, date-time',
    weight: 12,
    seeds: PROFILE_DATA,
    run: (b) => {
      const out: unknown[] = [];
      for (const f of [() => decodeDateTime(b), () => cosemDateTimeInstant(b)]) {
        try {
          out.push(f());
        } catch (e) {
          if (!isMeterfabricError(e)) throw e;
        }
      }
      const d = decodeDataExact(b);
      for (const f of [
        () => rangeDescriptorFromData(d),
        () => entryDescriptorFromData(d),
        () => captureObjectsFromData(d),
        () => decodeScalerUnit(d),
        () => decodeCaptureTime(d),
        () => dateTimeFromData(d),
        () => entryTimestamps(decodeProfileBuffer(d, FUZZ_COLUMNS), FUZZ_COLUMNS, captureStep(900), CLOCK_TIME),
        () => selectBuffer(FUZZ_BUFFER, FUZZ_COLUMNS, bufferSelectionFrom({ selector: 1, parameters: d })),
        () => selectBuffer(FUZZ_BUFFER, FUZZ_COLUMNS, bufferSelectionFrom({ selector: 2, parameters: d })),
      ]) {
        try {
          out.push(f());
        } catch (e) {
          if (!isMeterfabricError(e)) throw e;
        }
      }
      return out;
    },
  },
];

const totalWeight = targets.reduce((s, t) => s + t.weight, 0);

test(`fuzz: every DLMS/COSEM decoder throws only MeterfabricError, never hangs or over-allocates (${TOTAL} inputs, seed ${SEED})`, { timeout: Math.max(120_000, (TOTAL / 100_000) * 60_000) }, () => {
  const rand = prng(SEED);
  const allSeeds = targets.flatMap((t) => t.seeds);
  let inputs = 0;
  const unwatch = watchAllocations();
  try {
    for (const [ti, t] of targets.entries()) {
      const n = ti === targets.length - 1 ? TOTAL - inputs : Math.ceil((TOTAL * t.weight) / totalWeight);
      for (let i = 0; i < n; i++) {
        const input = rand() < 0.6 ? mutate(rand, t.seeds[Math.floor(rand() * t.seeds.length)]!, allSeeds) : randomInput(rand, t.seeds);
        maxAlloc = 0;
        const started = performance.now();
        try {
          t.run(input);
        } catch (e) {
          if (!isMeterfabricError(e)) {
            assert.fail(`${t.name}: non-MeterfabricError ${String(e)} for input ${input.toString('hex')} (seed ${SEED}, #${inputs})`);
          }
          assert.ok(e.message.length > 0, `${t.name}: empty error message`);
        }
        const ms = performance.now() - started;
        assert.ok(ms < HANG_MS, `${t.name}: ${ms.toFixed(0)} ms for input ${input.toString('hex')} (seed ${SEED}, #${inputs})`);
        assert.ok(
          maxAlloc <= input.length + ALLOC_SLACK,
          `${t.name}: allocated ${maxAlloc} bytes for a ${input.length}-byte input ${input.toString('hex').slice(0, 200)} (seed ${SEED}, #${inputs})`,
        );
        inputs++;
      }
    }
  } finally {
    unwatch();
  }
  assert.ok(inputs >= TOTAL, `ran ${inputs} inputs`);
});

test('fuzz seeds are valid inputs, so mutations start from real APDUs and values', () => {
  for (const b of APDUS) assert.doesNotThrow(() => decodeApdu(b), b.toString('hex'));
  for (const b of DATA) assert.doesNotThrow(() => decodeDataExact(b), b.toString('hex'));
  for (const b of PROFILE_DATA) assert.doesNotThrow(() => decodeDataExact(b), b.toString('hex'));
  assert.equal(selectBuffer(FUZZ_BUFFER, FUZZ_COLUMNS, bufferSelectionFrom({ selector: 1, parameters: decodeDataExact(PROFILE_DATA[0]!) })).rows.length, 4);
  assert.equal(decodeProfileBuffer(decodeDataExact(PROFILE_DATA[6]!), FUZZ_COLUMNS).length, 3);
  for (const c of CIPHERED) assert.doesNotThrow(() => gloDecrypt(c.wire, { systemTitle: c.st, keys }));
});

test('fuzz harness detects a decoder that throws a plain Error or allocates from a declared length', () => {
  // Guards the harness itself: a test that cannot fail is a defect.
  const unwatch = watchAllocations();
  try {
    maxAlloc = 0;
    const declared = 0x10000;
    Buffer.alloc(declared);
    assert.ok(maxAlloc >= declared);
  } finally {
    unwatch();
  }
  assert.equal(isMeterfabricError(new Error('x')), false);
  assert.throws(() => decodeData(h('09 84 7F FF FF FF')), (e: unknown) => isMeterfabricError(e) && e.code === 1000);
  assert.deepEqual(decodeDataExact(encodeData(Data.unsigned(1))), Data.unsigned(1));
});
