// Shared by the session tests: a scripted meter over an in-memory channel and the worked-example association
// (AARQ at IC 1 with CtoS 39578D1F…, AARE at meter IC 100, HLS pass 3 at IC 3, pass 4 at meter IC 102).
import { memoryChannelPair } from '../../src/transport/channel.ts';
import { clientTransportOn, serverTransportOn } from '../../src/transport/tcp.ts';
import type { ClientTransportOptions } from '../../src/transport/tcp.ts';
import type { ApduTransport } from '../../src/transport/transport.ts';
import { MemoryInvocationCounterStore } from '../../src/session/invocation-counter.ts';

export const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** A meter that expects exactly these requests and answers with these responses; records mismatches. */
export function scriptedMeter(script: [string, string | undefined][]) {
  const mismatches: string[] = [];
  let step = 0;
  const open = async (o: ClientTransportOptions) => {
    const [a, b] = memoryChannelPair();
    const server = serverTransportOn(b, o.framing);
    (async () => {
      try {
        while (true) {
          const got = await server.receive();
          const [expected, reply] = script[step++] ?? ['<end>', undefined];
          if (!got.equals(hex(expected))) mismatches.push(`step ${step}: sent ${got.toString('hex')} expected ${hex(expected).toString('hex')}`);
          if (reply) await server.send(hex(reply));
        }
      } catch {
        server.destroy();
      }
    })();
    return clientTransportOn(a, o);
  };
  return { open, mismatches, steps: () => step };
}

export const AARQ_1 = `60 5D A1 09 06 07 60 85 74 05 08 01 03 A6 0A 04 08 20 20 20 00 00 00 00 01 8A 02 07 80 8B 07 60 85 74 05 08 02 05
  AC 12 80 10 39 57 8D 1F A8 8D B0 26 8A 50 E6 EB 36 BA 13 AC
  BE 23 04 21 21 1F 30 00 00 00 01 69 73 44 08 F1 3A 2E 78 19 5F ED 01 4A 64 A4 CC 40 66 99 21 B3 A9 7E A6 D4 9C`;
export const AARE_100 = `61 69 A1 09 06 07 60 85 74 05 08 01 03 A2 03 02 01 00 A3 05 A1 03 02 01 0E A4 0A 04 08 4B 46 4D 10 20 00 00 01
  88 02 07 80 89 07 60 85 74 05 08 02 05 AA 12 80 10 3D F8 A9 0E AB 9C EC 93 4E AF 91 02 FF 93 3C 5F
  BE 23 04 21 28 1F 30 00 00 00 64 04 2C B3 87 AE A4 8B F4 2A A8 80 75 E3 A7 CE FA F1 C0 E8 4E 92 8E 6E 04 26 17`;
export const HLS_3 = 'CB3130000000031A19F5BEB25FC23F37579A56927148D1FC6F1AD1D555F89ACD96FB13F0001AD1235E7C48E540279D939F396F';
export const HLS_102 = 'CF2A3000000066266FEBCF80439E2E14064EC959C97818862A5A61752A946C0B5E43FDDF0BED2D3D542F6A18';

/** Management options of the worked example (client title, keys, CtoS, IC store at 1) over `open`. */
export function workedExampleOptions(open: (o: ClientTransportOptions) => Promise<ApduTransport>) {
  return {
    host: 'meter',
    port: 4059,
    framing: 'wrapper' as const,
    openTransport: open,
    deviceId: 'E0000001',
    clientSystemTitle: hex('2020200000000001'),
    ek: hex('000102030405060708090A0B0C0D0E0F'),
    ak: hex('D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF'),
    invocationCounters: new MemoryInvocationCounterStore({ E0000001: 1 }),
    challenge: hex('39578D1FA88DB0268A50E6EB36BA13AC'),
    responseTimeoutMs: 1000,
  };
}
