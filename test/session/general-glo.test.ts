// A meter that answers the client's glo-ciphered requests with general-glo-ciphering (DB): after the worked-example
// association (AARQ at IC 1, HLS pass 3 at IC 3, meter at IC 0x66), the client's GET of the IC object at IC 4 is
// answered with the DB response a Gurux client accepted (meter IC 0x67, value 4), or with variants of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryChannelPair } from '../../src/transport/channel.ts';
import { clientTransportOn, serverTransportOn, type ClientTransportOptions } from '../../src/transport/tcp.ts';
import { DlmsSession } from '../../src/session/client.ts';
import { MemoryInvocationCounterStore } from '../../src/session/invocation-counter.ts';
import { generalGloEncrypt, gloEncrypt } from '../../src/dlms/security/glo.ts';
import { withoutLeaks } from '../transport/support.ts';
import { ErrorCode, isMeterfabricError } from '../../src/errors.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const keys = { ek: hex('000102030405060708090A0B0C0D0E0F'), ak: hex('D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF') };
const CLIENT = hex('2020200000000001');
const METER = hex('4B464D1020000001');

const AARQ_1 = `60 5D A1 09 06 07 60 85 74 05 08 01 03 A6 0A 04 08 20 20 20 00 00 00 00 01 8A 02 07 80 8B 07 60 85 74 05 08 02 05
  AC 12 80 10 39 57 8D 1F A8 8D B0 26 8A 50 E6 EB 36 BA 13 AC
  BE 23 04 21 21 1F 30 00 00 00 01 69 73 44 08 F1 3A 2E 78 19 5F ED 01 4A 64 A4 CC 40 66 99 21 B3 A9 7E A6 D4 9C`;
const AARE_100 = `61 69 A1 09 06 07 60 85 74 05 08 01 03 A2 03 02 01 00 A3 05 A1 03 02 01 0E A4 0A 04 08 4B 46 4D 10 20 00 00 01
  88 02 07 80 89 07 60 85 74 05 08 02 05 AA 12 80 10 3D F8 A9 0E AB 9C EC 93 4E AF 91 02 FF 93 3C 5F
  BE 23 04 21 28 1F 30 00 00 00 64 04 2C B3 87 AE A4 8B F4 2A A8 80 75 E3 A7 CE FA F1 C0 E8 4E 92 8E 6E 04 26 17`;
const HLS_3 = 'CB3130000000031A19F5BEB25FC23F37579A56927148D1FC6F1AD1D555F89ACD96FB13F0001AD1235E7C48E540279D939F396F';
const HLS_102 = 'CF2A3000000066266FEBCF80439E2E14064EC959C97818862A5A61752A946C0B5E43FDDF0BED2D3D542F6A18';
const GET_IC_PLAIN = hex('C0 01 C1 00 01 00 00 2B 01 00 FF 02 00');
const GET_4 = gloEncrypt({ plaintext: GET_IC_PLAIN, systemTitle: CLIENT, invocationCounter: 4, keys }).toString('hex');
/** What a Gurux client took as the value 4 (test/dlms/security/general-glo.test.ts). */
const DB_RESPONSE_67 = 'DB 08 4B464D1020000001 1A 30 00000067 697229EE198A970CFC10AF375D ACCCB5871017B75F';
const RESPONSE_PLAIN = hex('C4 01 C1 00 06 00000004');

/** A meter that expects exactly these requests and answers with these responses; records mismatches. */
function scriptedMeter(script: [string, string][]) {
  const mismatches: string[] = [];
  let step = 0;
  const open = async (o: ClientTransportOptions) => {
    const [a, b] = memoryChannelPair();
    const server = serverTransportOn(b, o.framing);
    (async () => {
      try {
        while (true) {
          const got = await server.receive();
          const [expected, reply] = script[step++] ?? ['<end>', ''];
          if (!got.equals(hex(expected))) mismatches.push(`step ${step}: sent ${got.toString('hex')} expected ${hex(expected).toString('hex')}`);
          if (reply) await server.send(hex(reply));
        }
      } catch {
        server.destroy();
      }
    })();
    return clientTransportOn(a, o);
  };
  return { open, mismatches };
}

/** Associates as in the worked example and reads the IC object, the meter answering `response`. */
async function readWith(response: string): Promise<unknown> {
  const meter = scriptedMeter([[AARQ_1, AARE_100], [HLS_3, HLS_102], [GET_4, response]]);
  const session = await DlmsSession.openManagement({
    host: 'meter',
    port: 4059,
    framing: 'wrapper',
    openTransport: meter.open,
    deviceId: 'E0000001',
    clientSystemTitle: CLIENT,
    ...keys,
    invocationCounters: new MemoryInvocationCounterStore({ E0000001: 1 }),
    challenge: hex('39578D1FA88DB0268A50E6EB36BA13AC'),
    responseTimeoutMs: 1000,
  });
  try {
    return await session.get({ classId: 1, obis: '0-0:43.1.0.255', attributeId: 2 }).then((v) => v, (e: unknown) => e);
  } finally {
    session.destroy();
    assert.deepEqual(meter.mismatches, []);
  }
}

const illegal = (e: unknown) => isMeterfabricError(e) && e.code === ErrorCode.ILLEGAL_RESPONSE;

test('a general-glo-ciphering response to a glo-ciphered GET is deciphered and read', async () => {
  await withoutLeaks(async () => {
    assert.deepEqual(await readWith(DB_RESPONSE_67), { type: 'double-long-unsigned', value: 4 });
  });
});

test('a general-glo-ciphering response without a system title (length 0) is read under the AARE title', async () => {
  await withoutLeaks(async () => {
    const untitled = Buffer.concat([hex('DB 00'), hex(DB_RESPONSE_67).subarray(10)]).toString('hex');
    assert.deepEqual(await readWith(untitled), { type: 'double-long-unsigned', value: 4 });
  });
});

test('general-glo-ciphering from another system title, general-ded-ciphering, a replayed counter: ILLEGAL_RESPONSE', async () => {
  await withoutLeaks(async () => {
    const otherTitle = generalGloEncrypt({ plaintext: RESPONSE_PLAIN, systemTitle: hex('4B464D1020000002'), invocationCounter: 0x67, keys }).toString('hex');
    const e1 = await readWith(otherTitle);
    assert.ok(illegal(e1), String(e1));
    assert.match(String(e1), /4B464D1020000002/);
    const ded = generalGloEncrypt({ plaintext: RESPONSE_PLAIN, systemTitle: METER, invocationCounter: 0x67, keys, dedicated: true }).toString('hex');
    const e2 = await readWith(ded);
    assert.ok(illegal(e2), String(e2));
    const replayed = generalGloEncrypt({ plaintext: RESPONSE_PLAIN, systemTitle: METER, invocationCounter: 0x66, keys }).toString('hex');
    const e3 = await readWith(replayed);
    assert.ok(illegal(e3), String(e3));
    assert.match(String(e3), /replayed/);
  });
});

test('a general-glo-ciphering response whose tag does not verify is UNABLE_TO_DECYPHER (230)', async () => {
  await withoutLeaks(async () => {
    const tampered = hex(DB_RESPONSE_67);
    tampered[tampered.length - 1] ^= 1;
    const e = await readWith(tampered.toString('hex'));
    assert.ok(isMeterfabricError(e) && e.code === ErrorCode.UNABLE_TO_DECYPHER, String(e));
  });
});
