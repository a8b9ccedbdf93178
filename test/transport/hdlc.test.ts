// Literal vectors from docs/dlms.md#hdlc (worked example, public client 16 and management client 1, logical device 1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc16x25 } from '../../src/transport/crc16.ts';
import {
  HdlcAddress,
  HdlcControl,
  HdlcFrame,
  HdlcFrameReader,
  decodeHdlcParameters,
  encodeHdlcParameters,
  DEFAULT_HDLC_PARAMETERS,
} from '../../src/transport/hdlc.ts';
import { ErrorCode, isMeterfabricError } from '../../src/errors.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const SNRM = '7E A0 07 03 21 93 0F 01 7E';
const UA = '7E A0 1E 21 03 73 C3 7A 81 80 12 05 01 80 06 01 80 07 04 00 00 00 01 08 04 00 00 00 01 53 3B 7E';
const I_GET = '7E A0 19 03 21 32 6F D8 E6 E6 00 C0 01 C1 00 01 00 00 2B 01 00 FF 02 00 7D 8F 7E';
const I_RESP = '7E A0 15 21 03 52 5D 8A E6 E7 00 C4 01 C1 00 06 00 00 00 01 F4 09 7E';
const DISC = '7E A0 07 03 21 53 03 C7 7E';
const SNRM_MGMT = '7E A0 07 03 03 93 8C 11 7E';

const isDecodeError = (e: unknown) => isMeterfabricError(e) && e.code === ErrorCode.DECODE_ERROR;

test('CRC-16/X.25 check value of "123456789" is 0x906E', () => {
  assert.equal(crc16x25(Buffer.from('123456789', 'ascii')), 0x906e);
});

test('CRC-16/X.25 of the SNRM header bytes is the FCS 0F 01 sent low byte first', () => {
  assert.equal(crc16x25(hex('A0 07 03 21 93')), 0x010f);
});

test('SNRM of the public client decodes and re-encodes byte for byte', () => {
  const f = HdlcFrame.decode(hex(SNRM));
  assert.equal(f.kind, 'SNRM');
  assert.equal(f.destination.upper, 1);
  assert.equal(f.source.upper, 16);
  assert.equal(f.information.length, 0);
  assert.deepEqual(new HdlcFrame(new HdlcAddress(1), new HdlcAddress(16), HdlcControl.SNRM).encode(), hex(SNRM));
});

test('SNRM of the management client uses client address 0x03', () => {
  assert.deepEqual(new HdlcFrame(new HdlcAddress(1), new HdlcAddress(1), HdlcControl.SNRM).encode(), hex(SNRM_MGMT));
});

test('UA carries the default parameters 128/128 window 1 with HCS and FCS', () => {
  const f = HdlcFrame.decode(hex(UA));
  assert.equal(f.kind, 'UA');
  assert.deepEqual(decodeHdlcParameters(f.information), { maxInfoTx: 128, maxInfoRx: 128, windowTx: 1, windowRx: 1 });
  const info = encodeHdlcParameters(DEFAULT_HDLC_PARAMETERS);
  assert.deepEqual(info, hex('81 80 12 05 01 80 06 01 80 07 04 00 00 00 01 08 04 00 00 00 01'));
  assert.deepEqual(new HdlcFrame(new HdlcAddress(16), new HdlcAddress(1), HdlcControl.UA, info).encode(), hex(UA));
});

test('I-frame GET of the IC object: N(S)=1 N(R)=1, LLC E6 E6 00', () => {
  const f = HdlcFrame.decode(hex(I_GET));
  assert.equal(f.kind, 'I');
  assert.equal(f.sendSequence, 1);
  assert.equal(f.receiveSequence, 1);
  assert.equal(f.control, HdlcFrame.iControl(1, 1));
  assert.deepEqual(f.information, hex('E6 E6 00 C0 01 C1 00 01 00 00 2B 01 00 FF 02 00'));
  assert.deepEqual(new HdlcFrame(new HdlcAddress(1), new HdlcAddress(16), 0x32, f.information).encode(), hex(I_GET));
});

test('I-frame response: N(S)=1 N(R)=2, LLC E6 E7 00', () => {
  const f = HdlcFrame.decode(hex(I_RESP));
  assert.equal(f.sendSequence, 1);
  assert.equal(f.receiveSequence, 2);
  assert.deepEqual(f.information, hex('E6 E7 00 C4 01 C1 00 06 00 00 00 01'));
  assert.deepEqual(f.encode(), hex(I_RESP));
});

test('DISC decodes', () => {
  const f = HdlcFrame.decode(hex(DISC));
  assert.equal(f.kind, 'DISC');
  assert.deepEqual(f.encode(), hex(DISC));
});

test('I-frame control sequences of client and meter follow docs/dlms.md#hdlc', () => {
  const client = [0, 1, 2, 3, 4, 5, 6, 7].map((n) => HdlcFrame.iControl(n, n));
  assert.deepEqual(client, [0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe]);
  const meter = [0, 1, 2, 3, 4, 5, 6, 7].map((n) => HdlcFrame.iControl(n, (n + 1) & 7));
  assert.deepEqual(meter, [0x30, 0x52, 0x74, 0x96, 0xb8, 0xda, 0xfc, 0x1e]);
  assert.equal(HdlcFrame.rrControl(1), 0x31);
});

test('server addresses of 1, 2 and 4 bytes encode and decode', () => {
  assert.deepEqual(new HdlcAddress(1).encode(), hex('03'));
  assert.deepEqual(new HdlcAddress(16).encode(), hex('21'));
  assert.deepEqual(new HdlcAddress(1, 0x11, 2).encode(), hex('02 23'));
  assert.deepEqual(new HdlcAddress(1, 0x11, 4).encode(), hex('00 02 00 23'));
  const a4 = HdlcAddress.decodeAt(hex('00 02 00 23'), 0, 4);
  assert.equal(a4.length, 4);
  assert.equal(a4.address.upper, 1);
  assert.equal(a4.address.lower, 0x11);
  const a2 = HdlcAddress.decodeAt(hex('02 23'), 0, 2);
  assert.deepEqual([a2.address.upper, a2.address.lower, a2.length], [1, 0x11, 2]);
  const big = new HdlcAddress(0x3fff, 0x1234, 4);
  const back = HdlcAddress.decodeAt(big.encode(), 0, 4).address;
  assert.deepEqual([back.upper, back.lower], [0x3fff, 0x1234]);
});

test('frame with a 4-byte server address round-trips with correct HCS/FCS', () => {
  const f = new HdlcFrame(new HdlcAddress(1, 0x11, 4), new HdlcAddress(1), 0x10, hex('E6 E6 00 C0 01'));
  const bytes = f.encode();
  assert.deepEqual(bytes.subarray(0, 9), hex('7E A0 11 00 02 00 23 03 10'));
  const d = HdlcFrame.decode(bytes);
  assert.equal(d.destination.size, 4);
  assert.deepEqual(d.information, hex('E6 E6 00 C0 01'));
});

test('the segmentation bit is bit 11 of the format field', () => {
  const f = new HdlcFrame(new HdlcAddress(1), new HdlcAddress(16), 0x10, hex('E6 E6 00 01'), true);
  const b = f.encode();
  assert.equal(b[1] & 0xf8, 0xa8);
  assert.equal(HdlcFrame.decode(b).segmented, true);
});

test('bad FCS, bad HCS, wrong length and wrong format type are typed decode errors', () => {
  const bad = hex(I_RESP);
  bad[bad.length - 2] ^= 1;
  assert.throws(() => HdlcFrame.decode(bad), isDecodeError);
  const badHcs = hex(I_RESP);
  badHcs[6] ^= 1;
  assert.throws(() => HdlcFrame.decode(badHcs), isDecodeError);
  assert.throws(() => HdlcFrame.decode(hex('7E A0 08 03 21 93 0F 01 7E')), isDecodeError);
  assert.throws(() => HdlcFrame.decode(hex('7E B0 07 03 21 93 0F 01 7E')), isDecodeError);
  assert.throws(() => HdlcFrame.decode(hex('7E A0')), isDecodeError);
  assert.throws(() => HdlcFrame.decode(hex('7E A0 07 02 02 02 02 02 7E')), isDecodeError);
});

test('parameter field: truncated or oversized values are decode errors', () => {
  assert.throws(() => decodeHdlcParameters(hex('81 80 05 05 01')), isDecodeError);
  assert.throws(() => decodeHdlcParameters(hex('81 80 07 05 05 00 00 00 00 80')), isDecodeError);
  assert.throws(() => decodeHdlcParameters(hex('82 80 00')), isDecodeError);
  assert.deepEqual(decodeHdlcParameters(hex('81 80 08 05 02 04 00 06 02 02 00')), { maxInfoTx: 1024, maxInfoRx: 512, windowTx: 1, windowRx: 1 });
});

test('frame reader splits frames across arbitrary chunk boundaries and shared flags', () => {
  const stream = Buffer.concat([hex(UA), hex(I_RESP).subarray(1)]); // second frame opened by the first one's closing flag
  for (let cut = 1; cut < stream.length; cut++) {
    const r = new HdlcFrameReader();
    const frames = [...r.push(stream.subarray(0, cut)), ...r.push(stream.subarray(cut))];
    assert.equal(frames.length, 2, `cut at ${cut}`);
    assert.deepEqual(HdlcFrame.decode(frames[0]).kind, 'UA');
    assert.deepEqual(HdlcFrame.decode(frames[1]).information, hex('E6 E7 00 C4 01 C1 00 06 00 00 00 01'));
  }
});

test('frame reader skips line noise between frames', () => {
  const r = new HdlcFrameReader();
  const frames = r.push(Buffer.concat([hex('00 11 7E 7E'), hex(SNRM), hex('FF'), hex(DISC)]));
  assert.deepEqual(frames.map((f) => HdlcFrame.decode(f).kind), ['SNRM', 'DISC']);
});
