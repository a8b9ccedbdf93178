// The client against a scripted meter that replays the worked example of docs/dlms.md#association-acse, #hls5-gmac, #worked-example byte for
// byte: every wire APDU the client sends must equal the documented one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DlmsSession, readInvocationCounter } from '../../src/session/client.ts';
import { MemoryInvocationCounterStore } from '../../src/session/invocation-counter.ts';
import { MbusGateway } from '../../src/session/mbus.ts';
import { withoutLeaks } from '../transport/support.ts';
import { ErrorCode, isMeterfabricError } from '../../src/errors.ts';
import { AARE_100, AARQ_1, HLS_102, HLS_3, hex, scriptedMeter, workedExampleOptions } from './support.ts';

test('public client: AARQ, GET of the IC object and RLRQ are the worked-example bytes', async () => {
  await withoutLeaks(async () => {
    const meter = scriptedMeter([
      ['60 1D A1 09 06 07 60 85 74 05 08 01 01 BE 10 04 0E 01 00 00 00 06 5F 1F 04 00 40 1E 5D FF FF',
       '61 29 A1 09 06 07 60 85 74 05 08 01 01 A2 03 02 01 00 A3 05 A1 03 02 01 00 BE 10 04 0E 08 00 06 5F 1F 04 00 40 1E 1D FF FF 00 07'],
      ['C0 01 C1 00 01 00 00 2B 01 00 FF 02 00', 'C4 01 C1 00 06 00 00 00 01'],
      ['62 03 80 01 00', '63 03 80 01 00'],
    ]);
    const ic = await readInvocationCounter({ host: 'meter', port: 4059, framing: 'wrapper', openTransport: meter.open, responseTimeoutMs: 1000 });
    assert.equal(ic, 1);
    assert.deepEqual(meter.mismatches, []);
    assert.equal(meter.steps(), 3);
  });
});

const WITH_LIST_4 = 'C847300000000430C6C03FA65EE6EC83E273BBFC90D0DBEA13AA75E5AD63CAF454C191AB16A765640268C796EE87A42FB4085E7C1A41BBBA1BD6B0AEDB09C3614D84C289C8D1EA040F';

test('a response whose GCM tag does not verify is UNABLE_TO_DECYPHER (230)', async () => {
  await withoutLeaks(async () => {
    const tampered = 'CC283000000067697029EB1F9B9E0CFE4D43AA274CF73A78B692C7BACA24D2829D4025545C86C866D3C3'; // last tag byte flipped
    const meter = scriptedMeter([[AARQ_1, AARE_100], [HLS_3, HLS_102], [WITH_LIST_4, tampered]]);
    const session = await DlmsSession.openManagement(workedExampleOptions(meter.open));
    await assert.rejects(new MbusGateway(session, 1).readChannel(1), (e) => isMeterfabricError(e) && e.code === ErrorCode.UNABLE_TO_DECYPHER);
    session.destroy();
    assert.deepEqual(meter.mismatches, []);
  });
});

test('an f(CtoS) that does not verify fails HLS step 4 with AUTHENTICATION_ERROR (223)', async () => {
  await withoutLeaks(async () => {
    // The worked-example meter answers, but the client sent another challenge: its f(CtoS) cannot verify.
    const meter = scriptedMeter([[AARQ_1, AARE_100], [HLS_3, HLS_102]]);
    const o = { ...workedExampleOptions(meter.open), challenge: hex('00000000000000000000000000000000') };
    const e = await DlmsSession.openManagement(o).then(() => undefined, (x: unknown) => x);
    assert.ok(isMeterfabricError(e) && e.code === ErrorCode.AUTHENTICATION_ERROR, String(e));
    assert.match(String((e as Error).message), /step 4/);
    // Only the AARQ differs (its CtoS); pass 3 is the worked-example APDU.
    assert.equal(meter.mismatches.length, 1);
    assert.match(meter.mismatches[0]!, /^step 1:/);
  });
});

test('management client: HLS5 association and SetMbusUserKeyByChannel reproduce docs/dlms.md#worked-example (ICs 1, 2/3, 4, 5, 6)', async () => {
  await withoutLeaks(async () => {
    const meter = scriptedMeter([
      [
        `60 5D A1 09 06 07 60 85 74 05 08 01 03 A6 0A 04 08 20 20 20 00 00 00 00 01 8A 02 07 80 8B 07 60 85 74 05 08 02 05
         AC 12 80 10 39 57 8D 1F A8 8D B0 26 8A 50 E6 EB 36 BA 13 AC
         BE 23 04 21 21 1F 30 00 00 00 01 69 73 44 08 F1 3A 2E 78 19 5F ED 01 4A 64 A4 CC 40 66 99 21 B3 A9 7E A6 D4 9C`,
        `61 69 A1 09 06 07 60 85 74 05 08 01 03 A2 03 02 01 00 A3 05 A1 03 02 01 0E A4 0A 04 08 4B 46 4D 10 20 00 00 01
         88 02 07 80 89 07 60 85 74 05 08 02 05 AA 12 80 10 3D F8 A9 0E AB 9C EC 93 4E AF 91 02 FF 93 3C 5F
         BE 23 04 21 28 1F 30 00 00 00 64 04 2C B3 87 AE A4 8B F4 2A A8 80 75 E3 A7 CE FA F1 C0 E8 4E 92 8E 6E 04 26 17`,
      ],
      [
        'CB3130000000031A19F5BEB25FC23F37579A56927148D1FC6F1AD1D555F89ACD96FB13F0001AD1235E7C48E540279D939F396F',
        'CF2A3000000066266FEBCF80439E2E14064EC959C97818862A5A61752A946C0B5E43FDDF0BED2D3D542F6A18',
      ],
      [
        'C847300000000430C6C03FA65EE6EC83E273BBFC90D0DBEA13AA75E5AD63CAF454C191AB16A765640268C796EE87A42FB4085E7C1A41BBBA1BD6B0AEDB09C3614D84C289C8D1EA040F',
        'CC283000000067697029EB1F9B9E0CFE4D43AA274CF73A78B692C7BACA24D2829D4025545C86C866D3C2',
      ],
      [
        'CB3E3000000005022D369C3EC7CE7349223641FACDEA8AABF74BAB610A5BF4A5E3C95634035A24722EC8BCF9A33A989BE31F6AE337B3FD2A21FF50EF6954E772',
        'CF163000000068796428C8EE1CCCBD3FB3316937972791C0',
      ],
      [
        'CB3030000000064552D5E8BDA6910B853A02DF170D7035DEF9E07F93F064E9A61E29D2FAA50CE9CAFC5B9AAF29B2A8181F16',
        'CF16300000006935BD0C0C9A98B56FD9B35783539C5C9663',
      ],
      ['62 03 80 01 00', '63 03 80 01 00'],
    ]);
    const store = new MemoryInvocationCounterStore({ 'E0000001': 1 });
    const session = await DlmsSession.openManagement({
      host: 'meter',
      port: 4059,
      framing: 'wrapper',
      openTransport: meter.open,
      deviceId: 'E0000001',
      clientSystemTitle: hex('2020200000000001'),
      ek: hex('000102030405060708090A0B0C0D0E0F'),
      ak: hex('D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF'),
      invocationCounters: store,
      challenge: hex('39578D1FA88DB0268A50E6EB36BA13AC'),
      responseTimeoutMs: 1000,
    });
    assert.deepEqual(session.meterSystemTitle, hex('4B464D1020000001'));
    assert.equal(session.conformance.value, 0x001e1d);
    const gw = new MbusGateway(session, 1);
    assert.deepEqual(await gw.readChannel(1), {
      channel: 1, primaryAddress: 9, identificationNumber: '12056731', manufacturerIdentification: 'FLO', version: 80, deviceTypeIdentification: 3,
    });
    await gw.transferKey(1, hex('3297A900C4C359DC65F4F1750BFF448561D15ED98776D9AAAF4A11C2EBBE'));
    await gw.setEncryptionKey(1, hex('00112233445566778899AABBCCDDEEFF'));
    await gw.release();
    assert.deepEqual(meter.mismatches, []);
    assert.equal(meter.steps(), 6);
    // Counters 1..8 were reserved (persisted) before the first was used.
    assert.equal(await store.get('E0000001'), 9);
  });
});
