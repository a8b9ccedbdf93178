import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aesKeyUnwrap, aesKeyWrap } from '../../../src/dlms/security/keywrap.ts';
import {
  buildDsmr4TransferKey,
  buildSmr5TransferKey,
  isMbusKeyExchangeRecord,
  keyChangeCounter,
  mbusKeyDataSendParameter,
  parseMbusDataSendParameter,
  smr5IdentBytes,
  smr5TransferKeyIv,
  unwrapDsmr4TransferKey,
  unwrapSmr5TransferKey,
} from '../../../src/dlms/security/mbus-transfer-key.ts';
import { GlobalKeyId, parseGlobalKeyTransferParameter, unwrapGlobalKeyTransfer, wrapGlobalKeyTransfer } from '../../../src/dlms/security/global-key-transfer.ts';
import { Data, decodeDataExact, encodeData } from '../../../src/dlms/axdr.ts';
import { isMeterfabricError } from '../../../src/errors.ts';

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const is230 = (e: unknown) => isMeterfabricError(e) && e.code === 230;
const FLO = 0x198f;

test('RFC 3394 §4.1 vector: 128-bit key wrapped with a 128-bit KEK', () => {
  const kek = h('000102030405060708090A0B0C0D0E0F');
  const wrapped = h('1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5');
  assert.deepEqual(aesKeyWrap(kek, h('00112233445566778899AABBCCDDEEFF')), wrapped);
  assert.deepEqual(aesKeyUnwrap(kek, wrapped), h('00112233445566778899AABBCCDDEEFF'));
});

test('global key transfer worked example (docs/dlms.md#global-key-transfer-class-64): new EK under KEK 0011..FF, parameter bytes', () => {
  const kek = h('00112233445566778899AABBCCDDEEFF');
  const ek = h('112233445566778899AABBCCDDEEFF00');
  const wrapped = h('8E7E7D1622071BABC582FF28D313EB1AAEBF1948095806DD');
  assert.deepEqual(aesKeyWrap(kek, ek), wrapped);
  const param = wrapGlobalKeyTransfer(kek, [{ keyId: GlobalKeyId.GLOBAL_UNICAST_ENCRYPTION_KEY, key: ek }]);
  const bytes = h('01 01 02 02 16 00 09 18 8E7E7D1622071BABC582FF28D313EB1AAEBF1948095806DD');
  assert.deepEqual(encodeData(param), bytes);
  assert.deepEqual(parseGlobalKeyTransferParameter(decodeDataExact(bytes)), [{ keyId: 0, wrappedKey: wrapped }]);
  assert.deepEqual(unwrapGlobalKeyTransfer(kek, decodeDataExact(bytes)), [{ keyId: 0, key: ek }]);
  assert.throws(() => unwrapGlobalKeyTransfer(h('000102030405060708090A0B0C0D0E0F'), param), is230);
  assert.throws(() => parseGlobalKeyTransferParameter(Data.array([Data.structure([Data.unsigned(0), Data.octetString('00')])])), (e: unknown) => isMeterfabricError(e) && e.code === 1000);
});

test('AES key unwrap with the wrong KEK, altered data or a bad length throws UNABLE_TO_DECYPHER', () => {
  const kek = h('000102030405060708090A0B0C0D0E0F');
  const wrapped = h('1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5');
  assert.throws(() => aesKeyUnwrap(h('00112233445566778899AABBCCDDEEFF'), wrapped), is230);
  const altered = Buffer.from(wrapped);
  altered[23] ^= 1;
  assert.throws(() => aesKeyUnwrap(kek, altered), is230);
  assert.throws(() => aesKeyUnwrap(kek, wrapped.subarray(0, 20)), is230);
  assert.throws(() => aesKeyWrap(kek.subarray(0, 15), wrapped), (e: unknown) => isMeterfabricError(e) && e.code === 802);
});

test('transfer_key vector 1 (DSMR 4.2.2, GXF unit test)', () => {
  const def = h('000102030405060708090A0B0C0D0E0F');
  const blob = h('08EAB184363141F1E7B554939DFB75B8');
  assert.deepEqual(buildDsmr4TransferKey(def, h('11111111222222223333333344444455')), blob);
  assert.deepEqual(unwrapDsmr4TransferKey(def, blob), h('11111111222222223333333344444455'));
});

test('transfer_key vector 2 (SMR 5, key_id 2, KCC 1, ident 99310014, FLO)', () => {
  const def = h('000102030405060708090A0B0C0D0E0F');
  assert.deepEqual(smr5TransferKeyIv('99310014', FLO, 1), h('140031998F19500300000001'));
  const blob = h('00000001 1928DD82E493E489EED5A235E771C2232523 C60AC982F22C820A');
  const built = buildSmr5TransferKey({ defaultKey: def, newKey: h('11111111222222223333333344444455'), keyId: 2, kcc: 1, identificationNumber: '99310014', manufacturerId: FLO });
  assert.deepEqual(built, blob);
  assert.deepEqual(unwrapSmr5TransferKey({ defaultKey: def, blob, identificationNumber: '99310014', manufacturerId: FLO }), { keyId: 2, key: h('11111111222222223333333344444455'), kcc: 1 });
});

test('transfer_key vector 3 (DSMR 4.2.2, worked example)', () => {
  const def = h('0F0E0D0C0B0A09080706050403020100');
  const blob = h('F59D7CBF08FC47375511E6D9EECB6804');
  assert.deepEqual(buildDsmr4TransferKey(def, h('00112233445566778899AABBCCDDEEFF')), blob);
  assert.deepEqual(unwrapDsmr4TransferKey(def, blob), h('00112233445566778899AABBCCDDEEFF'));
});

test('transfer_key vector 4 (SMR 5, key_id 0, KCC 848800000, ident 12056731, FLO)', () => {
  const def = h('0F0E0D0C0B0A09080706050403020100');
  assert.deepEqual(smr5TransferKeyIv('12056731', FLO, 848800000), h('316705128F1950033297A900'));
  const blob = h('3297A900 C4C359DC65F4F1750BFF448561D15ED98776 D9AAAF4A11C2EBBE');
  assert.deepEqual(buildSmr5TransferKey({ defaultKey: def, newKey: h('00112233445566778899AABBCCDDEEFF'), keyId: 0, kcc: 848800000, identificationNumber: '12056731', manufacturerId: FLO }), blob);
  const out = unwrapSmr5TransferKey({ defaultKey: def, blob, identificationNumber: '12056731', manufacturerId: FLO });
  assert.deepEqual(out, { keyId: 0, key: h('00112233445566778899AABBCCDDEEFF'), kcc: 848800000 });
});

test('SMR 5 unwrap verifies the 8-byte tag: wrong default key, identity, manufacturer or altered blob throw 230', () => {
  const def = h('0F0E0D0C0B0A09080706050403020100');
  const blob = h('3297A900 C4C359DC65F4F1750BFF448561D15ED98776 D9AAAF4A11C2EBBE');
  const base = { defaultKey: def, blob, identificationNumber: '12056731', manufacturerId: FLO };
  assert.throws(() => unwrapSmr5TransferKey({ ...base, defaultKey: h('000102030405060708090A0B0C0D0E0F') }), is230);
  assert.throws(() => unwrapSmr5TransferKey({ ...base, identificationNumber: '12056732' }), is230);
  assert.throws(() => unwrapSmr5TransferKey({ ...base, manufacturerId: 0x30e2 }), is230);
  const altered = Buffer.from(blob);
  altered[3] ^= 1; // KCC is part of the IV
  assert.throws(() => unwrapSmr5TransferKey({ ...base, blob: altered }), is230);
  assert.throws(() => unwrapSmr5TransferKey({ ...base, blob: blob.subarray(0, 29) }), is230);
  assert.throws(() => unwrapDsmr4TransferKey(def, blob), is230);
});

test('SMR 5 IV identification bytes: "12056731" → 31 67 05 12, "00000561" → 61 05 00 00', () => {
  assert.deepEqual(smr5IdentBytes('12056731'), h('31670512'));
  assert.deepEqual(smr5IdentBytes('00000561'), h('61050000'));
  assert.throws(() => smr5IdentBytes('123456789'), (e: unknown) => isMeterfabricError(e) && e.code === 1001);
});

test('key change counter: whole seconds since 2000-01-01T00:00:00 UTC, whatever the host time zone', () => {
  assert.equal(keyChangeCounter(new Date(Date.UTC(2000, 0, 1) + 848800000 * 1000)), 848800000);
  assert.equal(keyChangeCounter(new Date(Date.UTC(2000, 0, 1, 0, 0, 1))), 1);
  assert.equal(keyChangeCounter(new Date(Date.UTC(2000, 0, 1, 0, 0, 1, 999))), 1);
  assert.equal(keyChangeCounter(new Date(Date.UTC(2136, 1, 7, 6, 28, 15))), 0xffffffff);
  for (const before of [new Date(Date.UTC(1999, 11, 31, 23, 59, 59)), new Date(Date.UTC(2136, 1, 7, 6, 28, 16))]) {
    assert.throws(() => keyChangeCounter(before), (e: unknown) => isMeterfabricError(e) && e.code === 1001);
  }
  const tz = process.env.TZ;
  try {
    // 2026-10-25 00:30Z and 01:30Z: in Amsterdam the wall clock reads 02:30 both times (daylight saving time ends);
    // the counter still moves on by 3600, and a host in another zone computes the same values.
    const first = new Date(Date.UTC(2026, 9, 25, 0, 30));
    const second = new Date(Date.UTC(2026, 9, 25, 1, 30));
    const values = ['Europe/Amsterdam', 'America/New_York', 'UTC'].map((zone) => {
      process.env.TZ = zone;
      return [keyChangeCounter(first), keyChangeCounter(second)];
    });
    assert.deepEqual(values, [
      [846203400, 846207000],
      [846203400, 846207000],
      [846203400, 846207000],
    ]);
    process.env.TZ = 'Europe/Amsterdam';
    assert.equal(first.getHours(), second.getHours()); // the local wall clock repeats the hour
  } finally {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  }
});

test('data_send parameter with an SMR 5 blob (docs/dlms.md#data-send) encodes to the listed bytes and parses back', () => {
  const blob = h('3297A900C4C359DC65F4F1750BFF448561D15ED98776D9AAAF4A11C2EBBE');
  const bytes = Buffer.concat([h('01 01 02 03 09 01 0D 09 02 FD 19 09 1E'), blob]);
  assert.deepEqual(encodeData(mbusKeyDataSendParameter(blob)), bytes);
  const records = parseMbusDataSendParameter(decodeDataExact(bytes));
  assert.equal(records.length, 1);
  assert.ok(isMbusKeyExchangeRecord(records[0]!));
  assert.deepEqual(records[0]!.data, blob);
  assert.throws(() => parseMbusDataSendParameter(Data.octetString(blob)), (e: unknown) => isMeterfabricError(e) && e.code === 1000);
});
