// Hostile input on both ends: the simulator answers every mutated APDU (it never dies on one), and the client
// turns every mutated response into a value or a typed error (issue 2: "robust against hostile meters").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryChannelPair } from '../../src/transport/channel.ts';
import { clientTransportOn, serverTransportOn, type ClientTransportOptions } from '../../src/transport/tcp.ts';
import { serveConnection } from '../../src/simulator/connection.ts';
import { createMeterState } from '../../src/simulator/meter.ts';
import { DlmsSession } from '../../src/session/client.ts';
import { isMeterfabricError } from '../../src/errors.ts';
import { withoutLeaks } from '../transport/support.ts';

const N = Number(process.env.FUZZ_ITERATIONS ?? 100_000) / 25;
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

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

function mutate(r: () => number, b: Buffer): Buffer {
  const out = Buffer.from(b);
  const k = Math.floor(r() * 3);
  if (k === 0) for (let i = 0; i < 1 + Math.floor(r() * 3); i++) out[Math.floor(r() * out.length)] = Math.floor(r() * 256);
  if (k === 1) return out.subarray(0, Math.max(1, Math.floor(r() * out.length)));
  if (k === 2) return Buffer.concat([out, Buffer.from([Math.floor(r() * 256)])]);
  return out;
}

const REQUESTS = [
  hex('60 1D A1 09 06 07 60 85 74 05 08 01 01 BE 10 04 0E 01 00 00 00 06 5F 1F 04 00 40 1E 5D FF FF'),
  hex('C0 01 C1 00 01 00 00 2B 01 00 FF 02 00'),
  hex('C0 03 C1 02 00 01 00 00 2B 01 00 FF 02 00 00 08 00 00 01 00 00 FF 02 00'),
  hex('C1 01 C1 00 48 00 01 18 01 00 FF 05 00 11 09'),
  hex('C3 01 C1 00 48 00 01 18 01 00 FF 07 01 09 10 00112233445566778899AABBCCDDEEFF'),
  hex('C0 02 C1 00 00 00 01'),
  hex('62 03 80 01 00'),
];

test(`simulator answers ${N} mutated requests on one public association and keeps serving`, async () => {
  await withoutLeaks(async () => {
    const [a, b] = memoryChannelPair();
    const server = serverTransportOn(b, 'wrapper');
    const serving = serveConnection(server, createMeterState(), {});
    const client = await clientTransportOn(a, { framing: 'wrapper', clientAddress: 16 });
    const r = rng(99);
    await client.send(REQUESTS[0]!);
    await client.receive(1000);
    for (let i = 0; i < N; i++) {
      await client.send(mutate(r, REQUESTS[1 + (i % (REQUESTS.length - 2))]!));
      const reply = await client.receive(1000); // a dead simulator would time out here
      assert.ok(reply.length > 0);
    }
    await client.send(REQUESTS[0]!);
    assert.equal((await client.receive(1000))[0], 0x61);
    await client.send(REQUESTS[1]!);
    assert.deepEqual(await client.receive(1000), hex('C4 01 C1 00 06 00 00 00 01'));
    await client.close();
    await serving;
  });
});

test(`client turns ${N} mutated responses into values or typed errors`, async () => {
  await withoutLeaks(async () => {
    const r = rng(1234);
    const responses = [hex('C4 01 C1 00 06 00 00 00 01'), hex('C4 02 C1 01 00 00 00 01 00 05 06 00 00 00 01'), hex('C4 01 C1 01 0C')];
    const open = async (o: ClientTransportOptions) => {
      const [a, b] = memoryChannelPair();
      const server = serverTransportOn(b, 'wrapper');
      (async () => {
        try {
          await server.receive();
          await server.send(hex('61 29 A1 09 06 07 60 85 74 05 08 01 01 A2 03 02 01 00 A3 05 A1 03 02 01 00 BE 10 04 0E 08 00 06 5F 1F 04 00 40 1E 1D FF FF 00 07'));
          for (let i = 0; ; i++) {
            await server.receive();
            await server.send(mutate(r, responses[i % responses.length]!));
          }
        } catch {
          server.destroy();
        }
      })();
      return clientTransportOn(a, o);
    };
    const s = await DlmsSession.openPublic({ host: 'x', port: 1, framing: 'wrapper', openTransport: open, responseTimeoutMs: 1000 });
    let typed = 0;
    for (let i = 0; i < N; i++) {
      try {
        await s.get({ classId: 1, obis: '0-0:43.1.0.255', attributeId: 2 });
      } catch (e) {
        assert.ok(isMeterfabricError(e), `untyped error: ${String(e)}`);
        assert.notEqual((e as { code: number }).code, 233, 'a mutated response must not be mistaken for silence');
        typed++;
      }
    }
    assert.ok(typed > 0);
    s.destroy();
  });
});
