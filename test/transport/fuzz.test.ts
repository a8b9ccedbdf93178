// Fuzzing the transport decoders (issue 2, "Must show"): random and mutated valid frames must end only in typed
// decode errors (or be skipped), never in another exception, a hang, or an allocation sized by a declared length.
// FUZZ_ITERATIONS raises the count for a longer run on demand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HdlcAddress, HdlcFrame, HdlcFrameReader, decodeHdlcParameters } from '../../src/transport/hdlc.ts';
import { HdlcStation } from '../../src/transport/hdlc-link.ts';
import { WrapperFrame, WrapperFrameReader } from '../../src/transport/wrapper.ts';
import { isMeterfabricError } from '../../src/errors.ts';

const N = Number(process.env.FUZZ_ITERATIONS ?? 100_000);

/** Small deterministic PRNG (xorshift32) so that a failure can be replayed from its seed. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const SEEDS = [
  hex('7E A0 07 03 21 93 0F 01 7E'),
  hex('7E A0 1E 21 03 73 C3 7A 81 80 12 05 01 80 06 01 80 07 04 00 00 00 01 08 04 00 00 00 01 53 3B 7E'),
  hex('7E A0 19 03 21 32 6F D8 E6 E6 00 C0 01 C1 00 01 00 00 2B 01 00 FF 02 00 7D 8F 7E'),
  hex('7E A0 15 21 03 52 5D 8A E6 E7 00 C4 01 C1 00 06 00 00 00 01 F4 09 7E'),
  new HdlcFrame(new HdlcAddress(1, 0x11, 4), new HdlcAddress(1), 0x10, Buffer.alloc(40, 0xe6), true).encode(),
];

function mutate(r: () => number, b: Buffer): Buffer {
  const out = Buffer.from(b);
  const kind = Math.floor(r() * 4);
  if (kind === 0) {
    for (let i = 0, n = 1 + Math.floor(r() * 4); i < n; i++) out[Math.floor(r() * out.length)] = Math.floor(r() * 256);
    return out;
  }
  if (kind === 1) return out.subarray(0, Math.floor(r() * out.length));
  if (kind === 2) return Buffer.concat([out, Buffer.from(Array.from({ length: Math.floor(r() * 20) }, () => Math.floor(r() * 256)))]);
  return Buffer.from(Array.from({ length: Math.floor(r() * 64) }, () => Math.floor(r() * 256)));
}

function onlyTyped(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!isMeterfabricError(e)) throw e;
  }
}

test(`HDLC frame decoder, parameter decoder and station: ${N} random and mutated frames`, () => {
  const r = rng(0x5eed);
  const server = new HdlcStation({ role: 'server', local: new HdlcAddress(1) });
  let decoded = 0;
  for (let i = 0; i < N; i++) {
    const input = mutate(r, SEEDS[i % SEEDS.length]!);
    onlyTyped(() => {
      const f = HdlcFrame.decode(input);
      decoded++;
      onlyTyped(() => decodeHdlcParameters(f.information));
      onlyTyped(() => server.receive(f));
    });
  }
  assert.ok(decoded > 0, 'some mutated frames still decode (the fuzzer reaches the station)');
});

test(`HDLC frame reader: ${N / 10} random chunks of a noisy stream`, () => {
  const r = rng(42);
  const reader = new HdlcFrameReader();
  let frames = 0;
  for (let i = 0; i < N / 10; i++) {
    const chunk = r() < 0.5 ? mutate(r, SEEDS[i % SEEDS.length]!) : SEEDS[i % SEEDS.length]!;
    onlyTyped(() => {
      frames += reader.push(chunk).length;
    });
    assert.ok(reader.pending <= 4 * 0x7ff + chunk.length, 'reader buffer stays bounded');
  }
  assert.ok(frames > 0);
});

test(`WRAPPER reader and decoder: ${N} random and mutated frames, declared lengths never allocated ahead`, () => {
  const r = rng(7);
  const valid = new WrapperFrame(1, 16, hex('C4 01 C1 00 06 00 00 00 01')).encode();
  for (let i = 0; i < N; i++) {
    const input = mutate(r, valid);
    onlyTyped(() => WrapperFrame.decode(input));
    const reader = new WrapperFrameReader();
    onlyTyped(() => {
      for (const f of reader.push(input)) assert.ok(f.apdu.length <= input.length);
    });
    assert.ok(reader.pending <= input.length);
  }
});
