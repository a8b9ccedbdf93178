import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Obis } from '../../src/dlms/obis.ts';
import { isMeterfabricError } from '../../src/errors.ts';

test('OBIS 0-1:24.1.0.255 is 00 01 18 01 00 FF (docs/dlms.md#xdlms-services)', () => {
  const o = Obis.parse('0-1:24.1.0.255');
  assert.deepEqual(o.bytes, Buffer.from('0001180100FF', 'hex'));
  assert.equal(Obis.fromBytes(Buffer.from('0001180100FF', 'hex')).toString(), '0-1:24.1.0.255');
  assert.equal(Obis.parse('0.0.43.1.0.255').toString(), '0-0:43.1.0.255');
  assert.equal(Obis.parse('00002B0100FF').toString(), '0-0:43.1.0.255');
  assert.ok(Obis.of(0, 0, 40, 0, 0, 255).equals(Obis.parse('0-0:40.0.0.255')));
  assert.equal(JSON.stringify({ o }), '{"o":"0-1:24.1.0.255"}');
});

test('OBIS rejects malformed text and wrong byte lengths with DECODE_ERROR', () => {
  for (const bad of ['0-1:24.1.0', '0-1:24.1.0.256', 'x', '']) {
    assert.throws(() => Obis.parse(bad), (e: unknown) => isMeterfabricError(e) && e.code === 1000);
  }
  assert.throws(() => Obis.fromBytes(Buffer.alloc(5)), /6 bytes/);
});
