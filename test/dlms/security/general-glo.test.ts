// general-glo-ciphering (DB) and general-ded-ciphering (DC) as a Gurux client and a meter exchange them once the
// AARE granted general-protection. Layout (DLMS Green Book, general-glo-ciphering APDU):
//   DB | 08 system title | A-XDR length of what follows | SC | IC(4) | ciphertext | T(12)
// IV = system title in the APDU ‖ IC, AAD = SC ‖ AK, the same AES-128-GCM as glo-ciphering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generalGloDecrypt, generalGloEncrypt } from '../../../src/dlms/security/glo.ts';
import { GeneralGloCiphering, decodeApdu, GetRequestNormal } from '../../../src/dlms/apdu/index.ts';
import { isMeterfabricError } from '../../../src/errors.ts';

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const keys = { ek: h('000102030405060708090A0B0C0D0E0F'), ak: h('D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF') };
const CLIENT = h('2020200000000001');
const METER = h('4B464D1020000001');
const is230 = (e: unknown) => isMeterfabricError(e) && e.code === 230;
const is1000 = (e: unknown) => isMeterfabricError(e) && e.code === 1000;

// Sent by Gurux's Java DLMS client (GXDLMSSecureClient, logical names, HIGH_GMAC, WRAPPER, default conformance),
// client title 2020200000000001 and the test keys above, to the simulator: GET 1/0-0:43.1.0.255/2 at IC 3.
const GURUX_GET = h('DB 08 2020200000000001 1E 30 00000003 1919F5BEBC5FC23C36579A5593 0B9366A01F1E768122C20C4F');
const GURUX_GET_PLAIN = h('C0 01 C1 00 01 00 00 2B 01 00 FF 02 00');
// The meter's answer at IC 0x67, which that client took as the value 4: get-response-normal, double-long-unsigned 4.
const METER_RESPONSE = h('DB 08 4B464D1020000001 1A 30 00000067 697229EE198A970CFC10AF375D ACCCB5871017B75F');
const METER_RESPONSE_PLAIN = h('C4 01 C1 00 06 00000004');

test('a Gurux general-glo-ciphering request: each field where the Green Book puts it, deciphered to a GET', () => {
  assert.equal(GURUX_GET[0], 0xdb);
  assert.equal(GURUX_GET[1], 8);
  assert.deepEqual(GURUX_GET.subarray(2, 10), CLIENT);
  assert.equal(GURUX_GET[10], GURUX_GET.length - 11); // SC + IC + ciphertext + tag
  assert.equal(GURUX_GET[11], 0x30);
  assert.equal(GURUX_GET.readUInt32BE(12), 3);
  const g = GeneralGloCiphering.decode(GURUX_GET);
  assert.deepEqual({ tag: g.tag, systemTitle: g.systemTitle, sc: g.securityControl, ic: g.invocationCounter, content: g.content.length }, { tag: 0xdb, systemTitle: CLIENT, sc: 0x30, ic: 3, content: 13 + 12 });
  assert.deepEqual(decodeApdu(GURUX_GET), g);
  const d = generalGloDecrypt(GURUX_GET, { keys });
  assert.deepEqual(d, { plaintext: GURUX_GET_PLAIN, invocationCounter: 3, securityControl: 0x30, tag: 0xdb, systemTitle: CLIENT });
  const get = decodeApdu(d.plaintext) as GetRequestNormal;
  assert.equal(get.attribute.classId, 1);
  assert.equal(get.attribute.instance.toString(), '0-0:43.1.0.255');
  assert.equal(get.attribute.attributeId, 2);
  // Our encoder builds the very bytes Gurux sent.
  assert.deepEqual(generalGloEncrypt({ plaintext: GURUX_GET_PLAIN, systemTitle: CLIENT, invocationCounter: 3, keys }), GURUX_GET);
});

test('the meter response that client accepted: built byte for byte and deciphered', () => {
  assert.deepEqual(generalGloEncrypt({ plaintext: METER_RESPONSE_PLAIN, systemTitle: METER, invocationCounter: 0x67, keys }), METER_RESPONSE);
  const d = generalGloDecrypt(METER_RESPONSE, { keys });
  assert.deepEqual(d.plaintext, METER_RESPONSE_PLAIN);
  assert.deepEqual(d.systemTitle, METER);
  assert.equal(d.invocationCounter, 0x67);
});

test('any changed byte after the tag is refused with UNABLE_TO_DECYPHER; a malformed container with DECODE_ERROR', () => {
  for (let i = 2; i < GURUX_GET.length; i++) {
    if (i === 10) continue; // the length byte: a container error, below
    const altered = Buffer.from(GURUX_GET);
    altered[i] ^= 0x01;
    assert.throws(() => generalGloDecrypt(altered, { keys }), is230, `byte ${i}`);
  }
  const longer = Buffer.from(GURUX_GET);
  longer[10] += 1;
  assert.throws(() => generalGloDecrypt(longer, { keys }), is1000);
  assert.throws(() => generalGloDecrypt(GURUX_GET.subarray(0, 20), { keys }), is1000);
  assert.throws(() => generalGloDecrypt(h('DB 04 20202000 1E 30 00000003'), { keys }), is1000);
  // The wrong keys: nothing deciphered.
  assert.throws(() => generalGloDecrypt(GURUX_GET, { keys: { ek: keys.ak, ak: keys.ek } }), is230);
});

test('a sender may leave its system title out (length 0): the title known from the association is used', () => {
  const withoutTitle = Buffer.concat([h('DB 00'), GURUX_GET.subarray(10)]);
  assert.deepEqual(generalGloDecrypt(withoutTitle, { keys, systemTitle: CLIENT }).plaintext, GURUX_GET_PLAIN);
  assert.throws(() => generalGloDecrypt(withoutTitle, { keys, systemTitle: METER }), is230);
  assert.throws(() => generalGloDecrypt(withoutTitle, { keys }), is1000);
});

test('general-ded-ciphering (DC): the same layout under the dedicated key', () => {
  const dedicated = { ek: h('A0A1A2A3A4A5A6A7A8A9AAABACADAEAF'), ak: keys.ak };
  const wire = generalGloEncrypt({ plaintext: GURUX_GET_PLAIN, systemTitle: CLIENT, invocationCounter: 3, keys: dedicated, dedicated: true });
  assert.deepEqual(wire.subarray(0, 16), h('DC 08 2020200000000001 1E 30 00000003'));
  assert.notDeepEqual(wire.subarray(16), GURUX_GET.subarray(16));
  const d = generalGloDecrypt(wire, { keys: dedicated });
  assert.equal(d.tag, 0xdc);
  assert.deepEqual(d.plaintext, GURUX_GET_PLAIN);
  assert.throws(() => generalGloDecrypt(wire, { keys }), is230);
  assert.equal((decodeApdu(wire) as GeneralGloCiphering).tag, 0xdc);
});
