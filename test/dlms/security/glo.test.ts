import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gloDecrypt, gloEncrypt, gloIv, generalGloDecrypt, generalGloEncrypt } from '../../../src/dlms/security/glo.ts';
import { hlsGmac, verifyHlsGmac } from '../../../src/dlms/security/hls.ts';
import { Aare, Aarq, ActionResponseNormal, InitiateRequest, InitiateResponse, decodeApdu } from '../../../src/dlms/apdu/index.ts';
import { isMeterfabricError } from '../../../src/errors.ts';

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
// The test keys (docs/dlms.md#roles-addresses-and-keys)
const keys = { ek: h('000102030405060708090A0B0C0D0E0F'), ak: h('D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF') };
const CLIENT = h('2020200000000001');
const METER = h('4B464D1020000001');
const is230 = (e: unknown) => isMeterfabricError(e) && e.code === 230;

test('IV = sender system title ‖ invocation counter (docs/dlms.md#ciphering)', () => {
  assert.deepEqual(gloIv(CLIENT, 7), h('20 20 20 00 00 00 00 01 00 00 00 07'));
  assert.deepEqual(gloIv(METER, 0x6a), h('4B464D1020000001 0000006A'));
  assert.throws(() => gloIv(h('2020'), 1), (e: unknown) => isMeterfabricError(e) && e.code === 802);
});

test('ciphering worked example (docs/dlms.md#ciphering): GET attribute 14 at IC 7 and its response at IC 0x6A', () => {
  const plaintext = h('C0 01 C1 00 48 00 01 18 01 00 FF 0E 00');
  const wire = h('C8 1E 30 00000007 1024F50A454A94AD83E3154506 60CF506324086D4B0018010A');
  assert.deepEqual(gloEncrypt({ plaintext, systemTitle: CLIENT, invocationCounter: 7, keys }), wire);
  assert.deepEqual(gloDecrypt(wire, { systemTitle: CLIENT, keys }), { plaintext, invocationCounter: 7, securityControl: 0x30, tag: 0xc8 });
  const response = h('CC 17 30 0000006A 05F357020C29 E833AF849A131FC680714FB5');
  assert.deepEqual(gloDecrypt(response, { systemTitle: METER, keys }).plaintext, h('C4 01 C1 00 16 04'));
  assert.deepEqual(gloEncrypt({ plaintext: h('C4 01 C1 00 16 04'), systemTitle: METER, invocationCounter: 0x6a, keys }), response);
});

test('glo-initiate-request/response inside the ciphered AARQ/AARE of docs/dlms.md#association-acse decipher to the listed plaintexts', () => {
  const aarq = Aarq.decode(h(`60 5D A1 09 06 07 60 85 74 05 08 01 03 A6 0A 04 08 20 20 20 00 00 00 00 01 8A 02 07 80
    8B 07 60 85 74 05 08 02 05 AC 12 80 10 39 57 8D 1F A8 8D B0 26 8A 50 E6 EB 36 BA 13 AC
    BE 23 04 21 21 1F 30 00 00 00 01 69 73 44 08 F1 3A 2E 78 19 5F ED 01 4A 64 A4 CC 40 66 99 21 B3 A9 7E A6 D4 9C`));
  const req = gloDecrypt(aarq.userInformation!, { systemTitle: aarq.callingApTitle!, keys });
  assert.deepEqual(req.plaintext, h('01 00 00 00 06 5F 1F 04 00 00 1E 1D FF FF'));
  assert.equal(req.invocationCounter, 1);
  assert.ok(InitiateRequest.decode(req.plaintext).proposedConformance.has('action'));
  assert.deepEqual(gloEncrypt({ plaintext: req.plaintext, systemTitle: CLIENT, invocationCounter: 1, keys }), aarq.userInformation);

  const aare = Aare.decode(h(`61 69 A1 09 06 07 60 85 74 05 08 01 03 A2 03 02 01 00 A3 05 A1 03 02 01 0E
    A4 0A 04 08 4B 46 4D 10 20 00 00 01 88 02 07 80 89 07 60 85 74 05 08 02 05
    AA 12 80 10 3D F8 A9 0E AB 9C EC 93 4E AF 91 02 FF 93 3C 5F
    BE 23 04 21 28 1F 30 00 00 00 64 04 2C B3 87 AE A4 8B F4 2A A8 80 75 E3 A7 CE FA F1 C0 E8 4E 92 8E 6E 04 26 17`));
  const resp = gloDecrypt(aare.userInformation!, { systemTitle: aare.respondingApTitle!, keys });
  assert.deepEqual(resp.plaintext, h('08 00 06 5F 1F 04 00 00 1E 1D FF FF 00 07'));
  assert.equal(resp.invocationCounter, 100);
  assert.equal(InitiateResponse.decode(resp.plaintext).serverMaxReceivePduSize, 0xffff);
});

test('HLS5-GMAC pass 3/4 of docs/dlms.md#hls5-gmac: f(StoC) at IC 2, f(CtoS) at IC 101, and their ciphered carriers', () => {
  const StoC = h('3DF8A90EAB9CEC934EAF9102FF933C5F');
  const CtoS = h('39578D1FA88DB0268A50E6EB36BA13AC');
  const fStoC = h('10 00000002 C778F319EA43B3F21E06DF3F');
  const fCtoS = h('10 00000065 2B01EE9EA70DEEC4E1D7A412');
  assert.deepEqual(hlsGmac({ challenge: StoC, systemTitle: CLIENT, invocationCounter: 2, keys }), fStoC);
  assert.deepEqual(hlsGmac({ challenge: CtoS, systemTitle: METER, invocationCounter: 101, keys }), fCtoS);
  assert.deepEqual(verifyHlsGmac(fCtoS, { challenge: CtoS, systemTitle: METER, keys }), { valid: true, invocationCounter: 101 });
  assert.deepEqual(verifyHlsGmac(fStoC, { challenge: StoC, systemTitle: CLIENT, keys }), { valid: true, invocationCounter: 2 });
  // wrong title, altered challenge, wrong key, wrong length all fail
  assert.equal(verifyHlsGmac(fCtoS, { challenge: CtoS, systemTitle: CLIENT, keys }).valid, false);
  assert.equal(verifyHlsGmac(fCtoS, { challenge: StoC, systemTitle: METER, keys }).valid, false);
  assert.equal(verifyHlsGmac(fCtoS, { challenge: CtoS, systemTitle: METER, keys: { ...keys, ak: keys.ek } }).valid, false);
  assert.deepEqual(verifyHlsGmac(fCtoS.subarray(0, 16), { challenge: CtoS, systemTitle: METER, keys }), { valid: false });

  const requestPlain = h('C3 01 C1 00 0F 00 00 28 00 00 FF 01 01 09 11 10 00000002 C778F319EA43B3F21E06DF3F');
  const requestWire = h('CB3130000000031A19F5BEB25FC23F37579A56927148D1FC6F1AD1D555F89ACD96FB13F0001AD1235E7C48E540279D939F396F');
  assert.deepEqual(gloEncrypt({ plaintext: requestPlain, systemTitle: CLIENT, invocationCounter: 3, keys }), requestWire);
  assert.deepEqual(gloDecrypt(requestWire, { systemTitle: CLIENT, keys }).plaintext, requestPlain);

  const responsePlain = h('C7 01 C1 00 01 00 09 11 10 00000065 2B01EE9EA70DEEC4E1D7A412');
  const responseWire = h('CF2A3000000066266FEBCF80439E2E14064EC959C97818862A5A61752A946C0B5E43FDDF0BED2D3D542F6A18');
  assert.deepEqual(gloEncrypt({ plaintext: responsePlain, systemTitle: METER, invocationCounter: 102, keys }), responseWire);
  const back = gloDecrypt(responseWire, { systemTitle: METER, keys });
  assert.equal(back.invocationCounter, 102);
  const action = ActionResponseNormal.decode(back.plaintext);
  assert.deepEqual(action.returnData, { type: 'octet-string', value: fCtoS });
});

// docs/dlms.md#worked-example: ciphered wire APDUs of steps 5-10 with their plaintexts and ICs.
const steps: Array<[number, Buffer, number, string, string]> = [
  [5, CLIENT, 4,
    'C0 03 C1 05 0048 0001180100FF 05 00 0048 0001180100FF 06 00 0048 0001180100FF 07 00 0048 0001180100FF 08 00 0048 0001180100FF 09 00',
    'C847300000000430C6C03FA65EE6EC83E273BBFC90D0DBEA13AA75E5AD63CAF454C191AB16A765640268C796EE87A42FB4085E7C1A41BBBA1BD6B0AEDB09C3614D84C289C8D1EA040F'],
  [6, METER, 103,
    'C4 03 C1 05 00 11 09 00 06 00B7F89B 00 12 198F 00 11 50 00 11 03',
    'CC283000000067697029EB1F9B9E0CFE4D43AA274CF73A78B692C7BACA24D2829D4025545C86C866D3C2'],
  [7, CLIENT, 5,
    'C3 01 C1 0048 0001180100FF 08 01 09 1E 3297A900C4C359DC65F4F1750BFF448561D15ED98776D9AAAF4A11C2EBBE',
    'CB3E3000000005022D369C3EC7CE7349223641FACDEA8AABF74BAB610A5BF4A5E3C95634035A24722EC8BCF9A33A989BE31F6AE337B3FD2A21FF50EF6954E772'],
  [8, METER, 104, 'C7 01 C1 00 00', 'CF163000000068796428C8EE1CCCBD3FB3316937972791C0'],
  [9, CLIENT, 6,
    'C3 01 C1 0048 0001180100FF 07 01 09 10 00112233445566778899AABBCCDDEEFF',
    'CB3030000000064552D5E8BDA6910B853A02DF170D7035DEF9E07F93F064E9A61E29D2FAA50CE9CAFC5B9AAF29B2A8181F16'],
  [10, METER, 105, 'C7 01 C1 00 00', 'CF16300000006935BD0C0C9A98B56FD9B35783539C5C9663'],
];

for (const [step, title, ic, plain, wire] of steps) {
  test(`SetMbusUserKeyByChannel step ${step} (docs/dlms.md#worked-example): plaintext at IC ${ic} ciphers to the listed wire APDU and back`, () => {
    assert.deepEqual(gloEncrypt({ plaintext: h(plain), systemTitle: title, invocationCounter: ic, keys }), h(wire));
    const d = gloDecrypt(h(wire), { systemTitle: title, keys });
    assert.deepEqual(d.plaintext, h(plain));
    assert.equal(d.invocationCounter, ic);
    assert.deepEqual(decodeApdu(d.plaintext).encode(), h(plain));
  });
}

test('decipher failures throw UNABLE_TO_DECYPHER (230): altered byte, wrong title, wrong key, unsupported SC, tag mismatch', () => {
  const wire = h('CF16300000006935BD0C0C9A98B56FD9B35783539C5C9663');
  const altered = Buffer.from(wire);
  altered[8] ^= 1;
  assert.throws(() => gloDecrypt(altered, { systemTitle: METER, keys }), is230);
  assert.throws(() => gloDecrypt(wire, { systemTitle: CLIENT, keys }), is230);
  assert.throws(() => gloDecrypt(wire, { systemTitle: METER, keys: { ek: keys.ak, ak: keys.ak } }), is230);
  assert.throws(() => gloDecrypt(h('CF 10 20 00000001 00112233445566778899AA'), { systemTitle: METER, keys }), is230);
  assert.throws(() => gloDecrypt(h('CF 08 30 00000001 001122'), { systemTitle: METER, keys }), is230);
  // A valid action-response ciphered under the get-response glo tag: verifies, but the plain tag does not match.
  const mismatched = gloEncrypt({ plaintext: h('C7 01 C1 00 00'), systemTitle: METER, invocationCounter: 9, keys });
  mismatched[0] = 0xcc;
  assert.throws(() => gloDecrypt(mismatched, { systemTitle: METER, keys }), (e: unknown) => is230(e) && /does not start with the tag 0xc4/.test((e as Error).message));
  // Error messages never contain key bytes.
  try {
    gloDecrypt(altered, { systemTitle: METER, keys });
  } catch (e) {
    assert.ok(!(e as Error).message.toUpperCase().includes('000102030405'));
  }
});

test('SC 0x10 authentication only: plaintext travels in clear, tag over SC ‖ AK ‖ plaintext', () => {
  const plaintext = h('C0 01 C1 00 48 00 01 18 01 00 FF 0E 00');
  const wire = gloEncrypt({ plaintext, systemTitle: CLIENT, invocationCounter: 7, keys, securityControl: 0x10 });
  assert.deepEqual(wire.subarray(0, 7), h('C8 1E 10 00000007'));
  assert.deepEqual(wire.subarray(7, 20), plaintext);
  assert.equal(wire.length, 7 + 13 + 12);
  assert.deepEqual(gloDecrypt(wire, { systemTitle: CLIENT, keys }).plaintext, plaintext);
  const altered = Buffer.from(wire);
  altered[10] ^= 0x80;
  assert.throws(() => gloDecrypt(altered, { systemTitle: CLIENT, keys }), is230);
});

test('general-glo-ciphering carries the sender system title', () => {
  const plaintext = h('C4 01 C1 00 16 04');
  const wire = generalGloEncrypt({ plaintext, systemTitle: METER, invocationCounter: 0x6a, keys });
  assert.deepEqual(wire.subarray(0, 16), h('DB 08 4B464D1020000001 17 30 0000006A'));
  // same IV, SC and keys as the glo example: same ciphertext and tag
  assert.deepEqual(wire.subarray(16), h('05F357020C29 E833AF849A131FC680714FB5'));
  const d = generalGloDecrypt(wire, { keys });
  assert.deepEqual(d.plaintext, plaintext);
  assert.deepEqual(d.systemTitle, METER);
});
