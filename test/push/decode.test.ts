import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv } from 'node:crypto';
import { decodePush, framePush, type PushDecipher } from '../../src/push/decode.ts';
import { decodeAlarmRegister, newMbusDeviceChannel } from '../../src/push/alarms.ts';
import { isMeterfabricError } from '../../src/errors.ts';

const hex = (s: string) => Buffer.from(s.replace(/[^0-9a-fA-F]/g, ''), 'hex');
const ID = '45303035313030343030303030303131 37';

// docs/push.md#dsmr-422-push
const DSMR4_CH1 = hex('45303035313030343030303030303131372C01000000');
// docs/push.md#smr-5-push
const SMR5_CH1 = hex('00010001006600280F000000010002030911453030353130303430303030303031313709060001190900FF0601000000');
// docs/push.md#ciphered-push (EK 000102…0F, AK D0…DF, meter system title 4B464D1020000001, IC 100)
const SMR5_CIPHERED = hex(
  '00010001006600 44 DB 08 4B464D1020000001 39 30 00000064' +
    '032CB5D8B0A089F73DA43ABAD3954D0C4AA98266B9C2A32F822C3BFBDE408E6B1D 25CD7B2219671F E7133560053FA9D2970CF7CE',
);

test('DSMR4 alarm push: channel 1 new M-Bus device', async () => {
  assert.equal(framePush(DSMR4_CH1, true), 22);
  const n = await decodePush(DSMR4_CH1);
  assert.equal(n.format, 'DSMR4');
  assert.equal(n.deviceIdentification, 'E0051004000000117');
  assert.equal(n.trigger, 'Push alarm monitor');
  assert.deepEqual(n.alarms, ['NEW_M_BUS_DEVICE_DISCOVERED_CHANNEL_1']);
  assert.equal(newMbusDeviceChannel(n.alarms[0]), 1);
});

test('DSMR4 channels 2..4 map to bits 25..27', async () => {
  for (const [suffix, ch] of [['02000000', 2], ['04000000', 3], ['08000000', 4]] as const) {
    const n = await decodePush(hex(ID + '2C' + suffix));
    assert.deepEqual(n.alarms, [`NEW_M_BUS_DEVICE_DISCOVERED_CHANNEL_${ch}`]);
  }
});

test('DSMR4 SMS wake-up push carries a logical name', async () => {
  const msg = hex(ID + '2C 000002 0300FF');
  assert.equal(framePush(msg, false), 24);
  const n = await decodePush(msg);
  assert.equal(n.trigger, 'Push sms wakeup');
  assert.equal(n.logicalName, '0-0:2.3.0.255');
});

test('SMR5 plaintext alarm push', async () => {
  assert.equal(framePush(SMR5_CH1, false), 48);
  const n = await decodePush(SMR5_CH1);
  assert.equal(n.format, 'SMR5');
  assert.equal(n.deviceIdentification, 'E0051004000000117');
  assert.equal(n.logicalName, '0-1:25.9.0.255');
  assert.deepEqual(n.alarms, ['NEW_M_BUS_DEVICE_DISCOVERED_CHANNEL_1']);
});

test('SMR 5.2 push with alarm register 2', async () => {
  const msg = hex('000100010066002D0F00000001000204' + '0911' + ID + '09060001190900FF 0601000000 0600000001');
  const n = await decodePush(msg);
  assert.deepEqual(n.alarms, ['NEW_M_BUS_DEVICE_DISCOVERED_CHANNEL_1', 'VOLTAGE_SAG_IN_PHASE_DETECTED_L1']);
});

test('SMR5 push with a date-time and SMR 5.5 last gasp', async () => {
  const withDate = hex('00010001006600340F 80000001 0C 07EA0B1802031204FF000000 0203 0911' + ID + '09060001190900FF 0600000002');
  assert.deepEqual((await decodePush(withDate)).alarms, ['REPLACE_BATTERY']);
  const lastGasp = hex('00010001006600280F00000001000203 0911' + ID + '09060003190900FF 0600000001');
  assert.deepEqual((await decodePush(lastGasp)).alarms, ['LAST_GASP']);
});

test('unknown alarm bits are reported, not a reason to drop the push', async () => {
  const n = await decodePush(hex(ID + '2C 01000020'));
  assert.deepEqual(n.alarms, ['NEW_M_BUS_DEVICE_DISCOVERED_CHANNEL_1']);
  assert.deepEqual(n.unknownBits, [{ register: 1, bit: 5 }]);
  assert.deepEqual(decodeAlarmRegister(3, 0b100).unknownBits, [2]);
});

test('several pushes on one connection are framed one by one', () => {
  const stream = Buffer.concat([SMR5_CH1, DSMR4_CH1, SMR5_CH1]);
  assert.equal(framePush(stream, false), 48);
  assert.equal(framePush(stream.subarray(48), false), 22);
  assert.equal(framePush(stream.subarray(70), false), 48);
  // an alarm with bits in the top half is final at 22 bytes; one that could be the start of a 24-byte
  // logical-name push waits for more bytes, the end of the connection or the caller's idle timer
  assert.equal(framePush(DSMR4_CH1, false), 22);
  const lowBits = hex(ID + '2C 00000004');
  assert.equal(framePush(lowBits, false), 0);
  assert.equal(framePush(lowBits, true), 22);
  assert.equal(framePush(SMR5_CH1.subarray(0, 30), false), 0);
});

test('ciphered SMR5 push is deciphered with the E-meter keys', async () => {
  const ek = hex('000102030405060708090A0B0C0D0E0F');
  const ak = hex('D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF');
  const decipher: PushDecipher = async (st, sc, ic, ct) => {
    assert.equal(st.toString('hex'), '4b464d1020000001');
    const iv = Buffer.concat([st, Buffer.from([ic >>> 24, (ic >>> 16) & 255, (ic >>> 8) & 255, ic & 255])]);
    const d = createDecipheriv('aes-128-gcm', ek, iv, { authTagLength: 12 });
    d.setAAD(Buffer.concat([Buffer.from([sc]), ak]));
    d.setAuthTag(ct.subarray(ct.length - 12));
    return { plaintext: Buffer.concat([d.update(ct.subarray(0, ct.length - 12)), d.final()]), deviceIdentification: 'E0051004000000117' };
  };
  assert.equal(framePush(SMR5_CIPHERED, false), SMR5_CIPHERED.length);
  const n = await decodePush(SMR5_CIPHERED, decipher);
  assert.equal(n.format, 'SMR5_CIPHERED');
  assert.equal(n.invocationCounter, 100);
  assert.deepEqual(n.alarms, ['NEW_M_BUS_DEVICE_DISCOVERED_CHANNEL_1']);
  await assert.rejects(decodePush(SMR5_CIPHERED), (e) => isMeterfabricError(e) && /no keys/.test(e.message));
});

test('garbage is a typed decode error', async () => {
  for (const bad of [hex('00'), hex('0001000100660028'), hex('E005100400000011 7X 01000000'.replace(/X/, '3')), hex(ID + '2C 0100')]) {
    await assert.rejects(
      (async () => {
        framePush(bad, true);
        await decodePush(bad);
      })(),
      (e) => isMeterfabricError(e) && e.code === 1000,
    );
  }
});
