// WRAPPER framing, IEC 62056-47 (docs/dlms.md#wrapper).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WrapperFrame, WrapperFrameReader, WrapperHeader } from '../../src/transport/wrapper.ts';
import { ErrorCode, isMeterfabricError } from '../../src/errors.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const PUBLIC_GET = '00 01 00 10 00 01 00 0D C0 01 C1 00 01 00 00 2B 01 00 FF 02 00';
const RESPONSE = '00 01 00 01 00 10 00 09 C4 01 C1 00 06 00 00 00 01';

test('public client GET of the IC object: header 0001 0010 0001 000D', () => {
  const f = new WrapperFrame(16, 1, hex('C0 01 C1 00 01 00 00 2B 01 00 FF 02 00'));
  assert.deepEqual(f.encode(), hex(PUBLIC_GET));
  const d = WrapperFrame.decode(hex(RESPONSE));
  assert.equal(d.source, 1);
  assert.equal(d.destination, 16);
  assert.deepEqual(d.apdu, hex('C4 01 C1 00 06 00 00 00 01'));
});

test('a management AARQ of 95 bytes carries length 005F', () => {
  const f = new WrapperFrame(1, 1, Buffer.alloc(95, 0x60));
  assert.deepEqual(f.encode().subarray(0, 8), hex('00 01 00 01 00 01 00 5F'));
});

test('version other than 1 is WRAPPER_HEADER_INVALID (231)', () => {
  assert.throws(() => WrapperHeader.decode(hex('00 02 00 01 00 10 00 00')), (e) => isMeterfabricError(e) && e.code === ErrorCode.WRAPPER_HEADER_INVALID);
  const r = new WrapperFrameReader();
  assert.throws(() => r.push(hex('47 45 54 20 2F 20 48 54 54 50')), (e) => isMeterfabricError(e) && e.code === 231);
});

test('a frame whose length field disagrees with the bytes present is a decode error', () => {
  assert.throws(() => WrapperFrame.decode(hex('00 01 00 01 00 10 00 09 C4 01')), (e) => isMeterfabricError(e) && e.code === ErrorCode.DECODE_ERROR);
  assert.throws(() => WrapperHeader.decode(hex('00 01 00')), (e) => isMeterfabricError(e) && e.code === ErrorCode.DECODE_ERROR);
});

test('reader returns exact-length frames across every split of two merged frames', () => {
  const stream = Buffer.concat([hex(RESPONSE), hex(PUBLIC_GET)]);
  for (let a = 0; a <= stream.length; a++) {
    for (let b = a; b <= stream.length; b += 3) {
      const r = new WrapperFrameReader();
      const frames = [...r.push(stream.subarray(0, a)), ...r.push(stream.subarray(a, b)), ...r.push(stream.subarray(b))];
      assert.equal(frames.length, 2);
      assert.deepEqual(frames[0].apdu, hex('C4 01 C1 00 06 00 00 00 01'));
      assert.deepEqual(frames[1].apdu, hex('C0 01 C1 00 01 00 00 2B 01 00 FF 02 00'));
      assert.equal(r.pending, 0);
    }
  }
});

test('reader waits for a declared length larger than the bytes present without allocating it', () => {
  const r = new WrapperFrameReader();
  assert.deepEqual(r.push(hex('00 01 00 01 00 10 FF FF C4')), []);
  assert.equal(r.pending, 9);
});

test('encoding an APDU longer than 65535 bytes is refused', () => {
  assert.throws(() => new WrapperFrame(1, 1, Buffer.alloc(65536)).encode(), (e) => isMeterfabricError(e) && e.code === ErrorCode.ENCODE_ERROR);
});
