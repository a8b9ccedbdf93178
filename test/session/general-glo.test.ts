// A meter that answers the client's glo-ciphered requests with general-glo-ciphering (DB): after the worked-example
// association (AARQ at IC 1, HLS pass 3 at IC 3, meter at IC 0x66), the client's GET of the IC object at IC 4 is
// answered with the DB response a Gurux client accepted (meter IC 0x67, value 4), or with variants of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DlmsSession } from '../../src/session/client.ts';
import { generalGloEncrypt, gloEncrypt } from '../../src/dlms/security/glo.ts';
import { withoutLeaks } from '../transport/support.ts';
import { ErrorCode, isMeterfabricError } from '../../src/errors.ts';
import { AARE_100, AARQ_1, HLS_102, HLS_3, hex, scriptedMeter, workedExampleOptions } from './support.ts';

const keys = { ek: hex('000102030405060708090A0B0C0D0E0F'), ak: hex('D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF') };
const CLIENT = hex('2020200000000001');
const METER = hex('4B464D1020000001');

const GET_IC_PLAIN = hex('C0 01 C1 00 01 00 00 2B 01 00 FF 02 00');
const GET_4 = gloEncrypt({ plaintext: GET_IC_PLAIN, systemTitle: CLIENT, invocationCounter: 4, keys }).toString('hex');
/** What a Gurux client took as the value 4 (test/dlms/security/general-glo.test.ts). */
const DB_RESPONSE_67 = 'DB 08 4B464D1020000001 1A 30 00000067 697229EE198A970CFC10AF375D ACCCB5871017B75F';
const RESPONSE_PLAIN = hex('C4 01 C1 00 06 00000004');

/** Associates as in the worked example and reads the IC object, the meter answering `response`. */
async function readWith(response: string): Promise<unknown> {
  const meter = scriptedMeter([[AARQ_1, AARE_100], [HLS_3, HLS_102], [GET_4, response]]);
  const session = await DlmsSession.openManagement(workedExampleOptions(meter.open));
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
