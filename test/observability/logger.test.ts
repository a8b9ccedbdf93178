import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { rootLogger, scrubText } from '../../src/observability/logger.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, log: rootLogger({ level: 'debug', destination: destination as never }) };
}

test('a 16-byte key in hex inside a message is replaced', () => {
  assert.equal(scrubText('key 000102030405060708090A0B0C0D0E0F sent'), 'key [redacted] sent');
  assert.equal(scrubText('short 0A0B0C'), 'short 0A0B0C');
});

test('log lines never carry key bytes, key-named fields or Buffers', () => {
  const { lines, log } = capture();
  const key = Buffer.from('00112233445566778899AABBCCDDEEFF', 'hex');
  log.info({ device: 'E0051004000000117', ek: 'D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF', raw: key }, 'new key %s', key.toString('hex'));
  const text = lines.join('');
  assert.ok(!text.toLowerCase().includes('00112233445566778899aabbccddeeff'), text);
  assert.ok(!text.includes('D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF'), text);
  assert.ok(!text.includes(key.toString('base64')), text);
  assert.match(text, /E0051004000000117/);
  assert.match(text, /\[16 bytes\]/);
});
